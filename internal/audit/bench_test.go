package audit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/dbtest"
)

// BenchmarkVerify walks a log of a million events, which `osk verify` must
// do in well under ten seconds. The log is loaded with COPY and hashed by
// the rules of CANONICAL.md, so that loading takes under a minute.
func BenchmarkVerify(b *testing.B) {
	const n = 1_000_000
	conn := dbtest.New(b)
	ctx := context.Background()
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	err := db.WithTx(ctx, conn.DB, func(tx *sqlx.Tx) error {
		// Loading in bulk bypasses the per-row chain triggers.
		if _, err := tx.Exec(`SET LOCAL session_replication_role = replica`); err != nil {
			return err
		}
		stmt, err := tx.Prepare(pq.CopyIn("audit_events",
			"seq", "v", "at", "actor_account_id", "action", "subject", "payload", "prev_hash", "hash"))
		if err != nil {
			return err
		}
		prev := make([]byte, 32)
		for i := int64(1); i <= n; i++ {
			at := start.Add(time.Duration(i) * 1234567 * time.Microsecond)
			actor := ptr(i%500 + 1)
			subject := fmt.Sprintf("member:%d", i%5000)
			payload, err := audit.Marshal(map[string]any{
				"member_no": i % 5000, "name": "Jäsen Nimi", "reason": "Päätös hallituksen kokouksessa 3/2025", "status": "active",
			})
			if err != nil {
				return err
			}
			hash := specHash(b, prev, i, at, actor, "member.updated", subject, payload)
			if _, err := stmt.Exec(i, 1, at, *actor, "member.updated", subject, string(payload), prev, []byte(hash)); err != nil {
				return err
			}
			prev = hash
		}
		if _, err := stmt.Exec(); err != nil {
			return err
		}
		if err := stmt.Close(); err != nil {
			return err
		}
		_, err = tx.Exec(`UPDATE audit_head SET seq = $1, hash = $2`, n, prev)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(`VACUUM ANALYZE audit_events`); err != nil {
		b.Fatal(err)
	}

	// As `osk verify` walks it: telling its progress.
	calls := 0
	opts := audit.VerifyOptions{Progress: func(events, seq int64) { calls++ }}
	for b.Loop() {
		rep, err := audit.VerifyWith(ctx, conn, opts)
		if err != nil {
			b.Fatal(err)
		}
		if !rep.OK || rep.Events != n {
			b.Fatalf("Verify = ok %v, %d events: %s", rep.OK, rep.Events, describe(rep))
		}
	}
	if calls != b.N*n/audit.DefaultProgressEvery {
		b.Fatalf("progress told %d times in %d walks", calls, b.N)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
