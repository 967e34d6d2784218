package audit_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/clock"
	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/dbtest"
)

// buildChain appends n varied events and returns them.
func buildChain(t *testing.T, conn *sqlx.DB, n int) []audit.Entry {
	t.Helper()
	clk := &clock.Adjustable{}
	clk.Set(time.Date(2025, 4, 1, 8, 0, 0, 0, time.UTC))
	log := audit.New(clk)
	entries := make([]audit.Entry, n)
	for i := range n {
		ev := audit.Event{Action: "member.updated", Subject: fmt.Sprintf("member:%d", i), Payload: map[string]any{"i": i, "name": "Jäsen"}}
		if i%4 != 0 {
			ev.ActorAccountID = ptr(int64(i))
		}
		entries[i] = appendEvent(t, conn, log, ev)
		clk.Advance(time.Minute)
	}
	return entries
}

// tamper runs statements in one transaction, as someone with direct access
// to the database would.
func tamper(t *testing.T, conn *sqlx.DB, statements ...string) {
	t.Helper()
	err := db.WithTx(context.Background(), conn, func(tx *sqlx.Tx) error {
		for _, s := range statements {
			if _, err := tx.Exec(s); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// withTriggersOff wraps statements between ALTER TABLE ... DISABLE TRIGGER
// and ENABLE TRIGGER on both tables.
func withTriggersOff(statements ...string) []string {
	out := []string{`ALTER TABLE audit_events DISABLE TRIGGER USER`, `ALTER TABLE audit_head DISABLE TRIGGER USER`}
	out = append(out, statements...)
	return append(out, `ALTER TABLE audit_events ENABLE TRIGGER USER`, `ALTER TABLE audit_head ENABLE TRIGGER USER`)
}

type where struct {
	table string
	seq   int64
}

func TestVerify_ReportsTamperingAtTheExactEvent(t *testing.T) {
	const n = 20
	events, head := "audit_events", "audit_head"
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, chain []audit.Entry) []string
		want   []where
		reason string // in the first problem
	}{
		{
			name: "edit a payload with triggers off for the session",
			tamper: func(*testing.T, []audit.Entry) []string {
				return []string{
					`SET LOCAL session_replication_role = replica`,
					`UPDATE audit_events SET payload = '{"i": 6, "name": "Someone else"}' WHERE seq = 7`,
				}
			},
			want:   []where{{events, 7}},
			reason: "the hash does not match the event's contents",
		},
		{
			name: "disable the trigger and edit the actor",
			tamper: func(*testing.T, []audit.Entry) []string {
				return []string{
					`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`,
					`UPDATE audit_events SET actor_account_id = 99 WHERE seq = 12`,
					`ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only`,
				}
			},
			want:   []where{{events, 12}},
			reason: "the hash does not match the event's contents",
		},
		{
			name: "make the system the actor",
			tamper: func(*testing.T, []audit.Entry) []string {
				return withTriggersOff(`UPDATE audit_events SET actor_account_id = NULL WHERE seq = 2`)
			},
			want: []where{{events, 2}},
		},
		{
			name: "move a time by one microsecond",
			tamper: func(*testing.T, []audit.Entry) []string {
				return withTriggersOff(`UPDATE audit_events SET at = at + interval '1 microsecond' WHERE seq = 3`)
			},
			want: []where{{events, 3}},
		},
		{
			name: "edit an action",
			tamper: func(*testing.T, []audit.Entry) []string {
				return withTriggersOff(`UPDATE audit_events SET action = 'member.deleted' WHERE seq = 4`)
			},
			want: []where{{events, 4}},
		},
		{
			name: "edit a subject",
			tamper: func(*testing.T, []audit.Entry) []string {
				return withTriggersOff(`UPDATE audit_events SET subject = 'member:999' WHERE seq = 5`)
			},
			want: []where{{events, 5}},
		},
		{
			name: "put a float into a payload",
			tamper: func(*testing.T, []audit.Entry) []string {
				return withTriggersOff(`UPDATE audit_events SET payload = '{"i": 1.5, "name": "Jäsen"}' WHERE seq = 6`)
			},
			want:   []where{{events, 6}},
			reason: "the payload cannot be hashed: no canonical JSON encoding: number 1.5 is not an integer",
		},
		{
			name: "replace a hash",
			tamper: func(_ *testing.T, c []audit.Entry) []string {
				return withTriggersOff(fmt.Sprintf(`UPDATE audit_events SET hash = '\x%s' WHERE seq = 8`, c[8].Hash))
			},
			want:   []where{{events, 8}, {events, 9}},
			reason: "the hash does not match the event's contents",
		},
		{
			name: "replace a prev_hash",
			tamper: func(_ *testing.T, c []audit.Entry) []string {
				return withTriggersOff(fmt.Sprintf(`UPDATE audit_events SET prev_hash = '\x%s' WHERE seq = 10`, c[0].Hash))
			},
			want:   []where{{events, 10}},
			reason: "is not the hash of event 9",
		},
		{
			name: "delete a row",
			tamper: func(*testing.T, []audit.Entry) []string {
				return withTriggersOff(`DELETE FROM audit_events WHERE seq = 9`)
			},
			want:   []where{{events, 9}},
			reason: "event 9 is missing: the sequence jumps from 8 to 10",
		},
		{
			name: "delete several rows",
			tamper: func(*testing.T, []audit.Entry) []string {
				return withTriggersOff(`DELETE FROM audit_events WHERE seq BETWEEN 5 AND 8`)
			},
			want:   []where{{events, 5}},
			reason: "events 5 to 8 are missing",
		},
		{
			name: "delete the first row",
			tamper: func(*testing.T, []audit.Entry) []string {
				return withTriggersOff(`DELETE FROM audit_events WHERE seq = 1`)
			},
			want:   []where{{events, 1}},
			reason: "event 1 is missing: the chain starts at 2",
		},
		{
			name: "delete the last row",
			tamper: func(*testing.T, []audit.Entry) []string {
				return withTriggersOff(`DELETE FROM audit_events WHERE seq = 20`)
			},
			want:   []where{{head, 20}},
			reason: "the head is at event 20 but the last event is 19",
		},
		{
			name: "swap two rows",
			tamper: func(*testing.T, []audit.Entry) []string {
				return withTriggersOff(swap(5, 11))
			},
			want:   []where{{events, 5}, {events, 6}, {events, 11}, {events, 12}},
			reason: "is not the hash of event 4",
		},
		{
			name: "swap two neighbours",
			tamper: func(*testing.T, []audit.Entry) []string {
				return withTriggersOff(swap(5, 6))
			},
			want: []where{{events, 5}, {events, 6}, {events, 7}},
		},
		{
			name: "insert a forged row with a made-up hash",
			tamper: func(_ *testing.T, c []audit.Entry) []string {
				return withTriggersOff(forged(21, c[19].Hash, make([]byte, 32)))
			},
			want:   []where{{events, 21}, {head, 21}},
			reason: "the hash does not match the event's contents",
		},
		{
			name: "insert a forged row hashed by the rules without moving the head",
			tamper: func(t *testing.T, c []audit.Entry) []string {
				return withTriggersOff(forged(21, c[19].Hash, forgedHash(t, 21, c[19].Hash)))
			},
			want:   []where{{head, 21}},
			reason: "event 21 lies beyond the head at 20",
		},
		{
			name: "insert a forged row after a gap",
			tamper: func(t *testing.T, c []audit.Entry) []string {
				return withTriggersOff(forged(25, c[19].Hash, forgedHash(t, 25, c[19].Hash)))
			},
			want:   []where{{events, 21}, {head, 21}},
			reason: "events 21 to 24 are missing",
		},
		{
			name: "rewrite the head's hash",
			tamper: func(*testing.T, []audit.Entry) []string {
				return withTriggersOff(`UPDATE audit_head SET hash = '\x` + strings.Repeat("00", 32) + `'`)
			},
			want:   []where{{head, 20}},
			reason: "the head records hash 0000",
		},
		{
			name: "move the head back",
			tamper: func(_ *testing.T, c []audit.Entry) []string {
				return withTriggersOff(fmt.Sprintf(`UPDATE audit_head SET seq = 19, hash = '\x%s'`, c[18].Hash))
			},
			want:   []where{{head, 20}},
			reason: "event 20 lies beyond the head at 19",
		},
		{
			name: "delete the head",
			tamper: func(*testing.T, []audit.Entry) []string {
				return withTriggersOff(`DELETE FROM audit_head`)
			},
			want:   []where{{head, 20}},
			reason: "the audit_head row is missing",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			conn := dbtest.New(t)
			chain := buildChain(t, conn.DB, n)
			tamper(t, conn.DB, tc.tamper(t, chain)...)

			rep, err := audit.Verify(context.Background(), conn)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK {
				t.Fatalf("Verify found nothing wrong: %+v", rep)
			}
			var got []where
			for _, p := range rep.Problems {
				got = append(got, where{p.Table, p.Seq})
				if p.Table == events && p.Row != fmt.Sprintf("seq=%d", p.Seq) {
					t.Errorf("problem names row %q for seq %d", p.Row, p.Seq)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("problems at %v, want %v:\n%s", got, tc.want, describe(rep))
			}
			if !strings.Contains(rep.Problems[0].Reason, tc.reason) {
				t.Fatalf("first problem %q does not say %q", rep.Problems[0].Reason, tc.reason)
			}
		})
	}
}

func describe(rep audit.Report) string {
	var b strings.Builder
	for _, p := range rep.Problems {
		fmt.Fprintf(&b, "  %s %s (seq %d): %s\n", p.Table, p.Row, p.Seq, p.Reason)
	}
	return b.String()
}

// swap exchanges everything but the sequence numbers of events a and b.
func swap(a, b int64) string {
	return fmt.Sprintf(`
		UPDATE audit_events e
		SET v = o.v, at = o.at, actor_account_id = o.actor_account_id, action = o.action,
		    subject = o.subject, payload = o.payload, prev_hash = o.prev_hash, hash = o.hash
		FROM audit_events o
		WHERE (e.seq, o.seq) IN ((%d, %d), (%d, %d))`, a, b, b, a)
}

var forgedAt = time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)

func forged(seq int64, prev, hash []byte) string {
	return fmt.Sprintf(`
		INSERT INTO audit_events (seq, v, at, actor_account_id, action, subject, payload, prev_hash, hash)
		VALUES (%d, 1, '%s', 1, 'member.admitted', 'member:666', '{}', '\x%x', '\x%x')`,
		seq, audit.FormatTime(forgedAt), prev, hash)
}

func forgedHash(t *testing.T, seq int64, prev []byte) []byte {
	return specHash(t, prev, seq, forgedAt, ptr[int64](1), "member.admitted", "member:666", []byte(`{}`))
}

func TestVerify_ListsAHundredProblemsAndCountsTheRest(t *testing.T) {
	conn := dbtest.New(t)
	buildChain(t, conn.DB, 150)
	tamper(t, conn.DB, withTriggersOff(`UPDATE audit_events SET subject = 'x'`)...)
	rep, err := audit.Verify(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || rep.Events != 150 || len(rep.Problems) != 100 || rep.ProblemsOmitted != 50 {
		t.Fatalf("ok %v, %d events, %d problems, %d omitted", rep.OK, rep.Events, len(rep.Problems), rep.ProblemsOmitted)
	}
	if rep.Problems[0].Seq != 1 || rep.Problems[99].Seq != 100 {
		t.Fatalf("problems run from %d to %d", rep.Problems[0].Seq, rep.Problems[99].Seq)
	}
}

// Verify runs on a live database: events appended while it walks must not
// look like forgeries, whether it runs on the pool or in a transaction.
func TestVerify_WhileEventsAreAppended(t *testing.T) {
	conn := dbtest.New(t)
	ctx := context.Background()
	log := audit.New(clock.Real{})
	var done atomic.Bool
	errc := make(chan error, 1)
	go func() {
		defer done.Store(true)
		for i := range 400 {
			err := db.WithTx(ctx, conn.DB, func(tx *sqlx.Tx) error {
				_, err := log.Append(ctx, tx, audit.Event{Action: "test.appended", Payload: map[string]int{"i": i}})
				return err
			})
			if err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	runs := 0
	for !done.Load() || runs == 0 {
		runs++
		rep, err := audit.Verify(ctx, conn)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK {
			t.Fatalf("Verify on the pool, run %d: %s", runs, describe(rep))
		}
		err = db.WithTx(ctx, conn.DB, func(tx *sqlx.Tx) error {
			rep, err := audit.Verify(ctx, tx)
			if err == nil && !rep.OK {
				err = fmt.Errorf("problems:\n%s", describe(rep))
			}
			return err
		})
		if err != nil {
			t.Fatalf("Verify in a transaction, run %d: %v", runs, err)
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	t.Logf("%d verifications during 400 appends", runs)
}

// A segment of the log, as an export bundle holds it, verifies against the
// event before it, and says so; a segment that does not follow its anchor,
// or lacks its first event, is reported where it goes wrong.
func TestVerifyWith_WalksASegmentFromItsAnchor(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		anchor func(c []audit.Entry) audit.Anchor
		tamper []string
		want   []where
		reason string
	}{
		{
			name:   "the segment after event 7",
			anchor: func(c []audit.Entry) audit.Anchor { return audit.Anchor{Seq: 7, Hash: c[6].Hash} },
		},
		{
			name:   "an anchor with another hash",
			anchor: func(c []audit.Entry) audit.Anchor { return audit.Anchor{Seq: 7, Hash: c[0].Hash} },
			want:   []where{{"audit_events", 8}},
			reason: "is not the hash of event 7",
		},
		{
			name:   "the segment's first event removed",
			anchor: func(c []audit.Entry) audit.Anchor { return audit.Anchor{Seq: 7, Hash: c[6].Hash} },
			tamper: []string{`DELETE FROM audit_events WHERE seq = 8`},
			want:   []where{{"audit_events", 8}},
			reason: "event 8 is missing: the segment after event 7 starts at 9",
		},
		{
			name:   "an event slipped in before the anchor",
			anchor: func(c []audit.Entry) audit.Anchor { return audit.Anchor{Seq: 7, Hash: c[6].Hash} },
			tamper: []string{forged(3, make([]byte, 32), make([]byte, 32))},
			want:   []where{{"audit_events", 3}},
			reason: "the event lies before the segment, which follows event 7",
		},
		{
			name:   "an anchor at the head",
			anchor: func(c []audit.Entry) audit.Anchor { return audit.Anchor{Seq: 20, Hash: c[19].Hash} },
			tamper: []string{`DELETE FROM audit_events WHERE seq > 7`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			conn := dbtest.New(t)
			chain := buildChain(t, conn.DB, 20)
			// What a bundle holds: the events after the anchor.
			tamper(t, conn.DB, withTriggersOff(append([]string{`DELETE FROM audit_events WHERE seq <= 7`}, tc.tamper...)...)...)
			anchor := tc.anchor(chain)
			rep, err := audit.VerifyWith(ctx, conn, audit.VerifyOptions{After: &anchor})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Anchor == nil || rep.Anchor.Seq != anchor.Seq || rep.Anchor.Hash.String() != anchor.Hash.String() {
				t.Fatalf("the report's anchor is %+v, want %+v", rep.Anchor, anchor)
			}
			var got []where
			for _, p := range rep.Problems {
				got = append(got, where{p.Table, p.Seq})
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || rep.OK != (len(tc.want) == 0) {
				t.Fatalf("ok %v, problems at %v, want %v:\n%s", rep.OK, got, tc.want, describe(rep))
			}
			if tc.reason != "" && !strings.Contains(rep.Problems[0].Reason, tc.reason) {
				t.Fatalf("first problem %q does not say %q", rep.Problems[0].Reason, tc.reason)
			}
			if rep.OK && rep.HeadHash != chain[19].Hash.String() {
				t.Fatalf("head hash %s, want %s", rep.HeadHash, chain[19].Hash)
			}
		})
	}

	// Without an anchor the same segment is a log whose beginning is gone.
	conn := dbtest.New(t)
	buildChain(t, conn.DB, 10)
	tamper(t, conn.DB, withTriggersOff(`DELETE FROM audit_events WHERE seq <= 4`)...)
	rep, err := audit.Verify(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || rep.Anchor != nil || rep.Problems[0].Seq != 1 || !strings.Contains(rep.Problems[0].Reason, "the chain starts at 5") {
		t.Fatalf("a log without its first events: %s", describe(rep))
	}
}

func TestVerifyWith_TellsProgress(t *testing.T) {
	conn := dbtest.New(t)
	buildChain(t, conn.DB, 25)
	var calls []string
	rep, err := audit.VerifyWith(context.Background(), conn, audit.VerifyOptions{
		ProgressEvery: 10,
		Progress:      func(events, seq int64) { calls = append(calls, fmt.Sprintf("%d@%d", events, seq)) },
	})
	if err != nil || !rep.OK {
		t.Fatalf("verify: %v %s", err, describe(rep))
	}
	if got := strings.Join(calls, " "); got != "10@10 20@20" {
		t.Fatalf("progress %q, want after events 10 and 20", got)
	}
}
