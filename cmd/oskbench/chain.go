package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/citizen-network/osk/internal/audit"
)

// chainEvent is one audit event to seed.
type chainEvent struct {
	// actor is the acting account, 0 for an operator or Osk itself.
	actor   int64
	action  string
	subject string
	payload any
}

// envelope is the hashed form of an event (CANONICAL.md, "The envelope");
// audit.Marshal writes it canonically.
type envelope struct {
	Action  string          `json:"action"`
	Actor   *int64          `json:"actor_account_id"`
	At      string          `json:"at"`
	Payload json.RawMessage `json:"payload"`
	Seq     int64           `json:"seq"`
	Subject string          `json:"subject"`
	V       int             `json:"v"`
}

// appendChain seeds n events at the head of the audit chain, hashed as
// CANONICAL.md says, in one transaction that holds the chain head FOR
// UPDATE as audit.Log.Append does, so that no append of Osk's can slip in
// between. The triggers that check every inserted row against the head
// (which a COPY cannot move row by row) are skipped for this transaction
// alone; the verification step re-walks every hash.
func appendChain(ctx context.Context, conn *sqlx.DB, n int, what string, log *progress, event func(i int) chainEvent) error {
	if n == 0 {
		return nil
	}
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("seed %s: %w", what, err)
	}
	defer func() { _ = tx.Rollback() }()
	var seq int64
	var prev []byte
	if err := tx.QueryRowxContext(ctx, `SELECT seq, hash FROM audit_head WHERE singleton FOR UPDATE`).Scan(&seq, &prev); err != nil {
		return fmt.Errorf("seed %s: lock the chain head: %w", what, err)
	}
	if _, err := tx.ExecContext(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
		return fmt.Errorf("seed %s: %w", what, err)
	}
	stmt, err := tx.PrepareContext(ctx, pq.CopyIn("audit_events", "seq", "v", "at", "actor_account_id", "action", "subject", "payload", "prev_hash", "hash"))
	if err != nil {
		return fmt.Errorf("seed %s: %w", what, err)
	}
	defer stmt.Close()
	report := log.counter(what, n)
	h := sha256.New()
	for i := range n {
		ev := event(i)
		payload, err := audit.Marshal(ev.payload)
		if err != nil {
			return fmt.Errorf("seed %s: %w", what, err)
		}
		var actor *int64
		if ev.actor != 0 {
			actor = &ev.actor
		}
		at := time.Now().UTC().Truncate(time.Microsecond)
		seq++
		env, err := audit.Marshal(envelope{
			Action: ev.action, Actor: actor, At: audit.FormatTime(at), Payload: payload,
			Seq: seq, Subject: ev.subject, V: audit.CanonicalVersion,
		})
		if err != nil {
			return fmt.Errorf("seed %s: %w", what, err)
		}
		h.Reset()
		h.Write(prev)
		h.Write(env)
		hash := h.Sum(nil)
		if _, err := stmt.ExecContext(ctx, seq, audit.CanonicalVersion, at, actor, ev.action, ev.subject, string(payload), prev, hash); err != nil {
			return fmt.Errorf("seed %s: event %d: %w", what, seq, err)
		}
		prev = hash
		report(i + 1)
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return fmt.Errorf("seed %s: %w", what, err)
	}
	if err := stmt.Close(); err != nil {
		return fmt.Errorf("seed %s: %w", what, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET seq = $1, hash = $2 WHERE singleton`, seq, prev); err != nil {
		return fmt.Errorf("seed %s: move the chain head: %w", what, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("seed %s: %w", what, err)
	}
	return nil
}

// chainLength is the number of events in the chain.
func chainLength(ctx context.Context, conn *sqlx.DB) (int64, error) {
	seq, _, err := audit.Head(ctx, conn)
	return seq, err
}
