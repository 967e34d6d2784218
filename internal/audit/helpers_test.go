package audit_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/db"
)

// specHash computes an event's hash from CANONICAL.md alone: the envelope is
// a map encoded by audit.Marshal, independent of the hand-written envelope
// encoder that Append and Verify use.
func specHash(t testing.TB, prev []byte, seq int64, at time.Time, actor *int64, action, subject string, payload json.RawMessage) audit.Hash {
	t.Helper()
	env, err := audit.Marshal(map[string]any{
		"v":                1,
		"seq":              seq,
		"at":               audit.FormatTime(at),
		"actor_account_id": actor,
		"action":           action,
		"subject":          subject,
		"payload":          payload,
	})
	if err != nil {
		t.Fatalf("envelope of %d: %v", seq, err)
	}
	h := sha256.New()
	h.Write(prev)
	h.Write(env)
	return h.Sum(nil)
}

// appendEvent appends ev in a transaction of its own.
func appendEvent(t testing.TB, conn *sqlx.DB, log *audit.Log, ev audit.Event) audit.Entry {
	t.Helper()
	var e audit.Entry
	err := db.WithTx(context.Background(), conn, func(tx *sqlx.Tx) error {
		var err error
		e, err = log.Append(context.Background(), tx, ev)
		return err
	})
	if err != nil {
		t.Fatalf("append %s: %v", ev.Action, err)
	}
	return e
}

func ptr[T any](v T) *T { return &v }

// sqlState returns the SQLSTATE of a PostgreSQL error, or "".
func sqlState(err error) string {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return string(pqErr.Code)
	}
	return ""
}
