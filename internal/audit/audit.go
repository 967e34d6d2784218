// Package audit owns Osk's audit log (SPEC.md, "The audit log"): an
// append-only chain of events in PostgreSQL in which every event carries the
// SHA-256 of its predecessor, so that changing, removing, reordering or
// inserting any event is detectable by re-walking the chain (Verify).
//
// Every state change appends its event in the same transaction as the change
// (Log.Append). Appends are serialised on the single audit_head row, which
// keeps sequence numbers contiguous and the chain unforked across
// connections and app instances. The hashed form of an event is the
// canonical JSON encoding specified in CANONICAL.md, computed in Go and
// recomputed from the stored jsonb when verifying.
package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/citizen-network/osk/internal/clock"
)

// Limits on an event's names. They keep the log readable and its indexes
// small; no legitimate action or subject comes near them.
const (
	maxActionLen  = 100
	maxSubjectLen = 200
)

// ErrInvalidEvent is the kind of error Append returns for an event that
// cannot go into the log as given: a malformed action or subject, an
// impossible actor, or a payload without a canonical encoding (then the
// error also matches ErrNotCanonical).
var ErrInvalidEvent = errors.New("invalid audit event")

// Event is one state change to record.
type Event struct {
	// ActorAccountID is the account that made the change, or nil when Osk
	// itself did (a scheduled close, a migration of data).
	ActorAccountID *int64
	// Action names what happened as "domain.past_tense_verb", in lower-case
	// ASCII letters, digits, '_' and '.', e.g. "member.admitted".
	Action string
	// Subject names what it happened to as "kind:id", e.g. "member:42".
	Subject string
	// Payload holds the details: a map or a struct that encoding/json turns
	// into a JSON object (nil means {}). Integers must be within
	// ±MaxSafeInteger; decimals, larger numbers and other non-integers go
	// as strings, and times preferably as FormatTime strings.
	Payload any
}

// Entry is an event as recorded in the chain. Its JSON form is the item of
// GET /api/v1/audit/events, with the hashes in hex.
type Entry struct {
	Seq            int64           `json:"seq"`
	At             time.Time       `json:"at"`
	ActorAccountID *int64          `json:"actor_account_id"`
	Action         string          `json:"action"`
	Subject        string          `json:"subject"`
	Payload        json.RawMessage `json:"payload"`
	PrevHash       Hash            `json:"prev_hash"`
	Hash           Hash            `json:"hash"`
}

// MarshalJSON writes the entry with "at" in the log's own time format
// (FormatTime), so that a reader can recompute the hash from the JSON alone.
func (e Entry) MarshalJSON() ([]byte, error) {
	type plain Entry
	return json.Marshal(struct {
		plain
		At string `json:"at"`
	}{plain(e), FormatTime(e.At)})
}

// Log appends events to the audit chain.
type Log struct {
	clk clock.Clock
}

// New returns a Log that stamps events with clk's time.
func New(clk clock.Clock) *Log {
	return &Log{clk: clk}
}

// Append records ev in tx, the transaction of the change it describes, so
// that the change and its event commit or vanish together.
//
// Append locks the chain head until tx ends, which makes every other append
// wait: call it as the last statement of the transaction, after the
// transaction has taken its other locks, so that the head is held briefly
// and no lock-order deadlock can form around it.
func (l *Log) Append(ctx context.Context, tx *sqlx.Tx, ev Event) (Entry, error) {
	entries, err := l.AppendAll(ctx, tx, []Event{ev})
	if err != nil {
		return Entry{}, err
	}
	return entries[0], nil
}

// AppendAll records evs in tx, in order, as Append records one: the events
// follow each other in the chain, and the head is locked once and moved
// once, whatever their number. A group commit records the events of all
// its changes this way, in three statements rather than three per event.
// Nothing is recorded unless every event is valid.
func (l *Log) AppendAll(ctx context.Context, tx *sqlx.Tx, evs []Event) ([]Entry, error) {
	if len(evs) == 0 {
		return nil, nil
	}
	payloads := make([][]byte, len(evs))
	for i, ev := range evs {
		payload, err := validate(ev)
		if err != nil {
			return nil, fmt.Errorf("audit: append %q: %w", ev.Action, err)
		}
		payloads[i] = payload
	}
	first := evs[0].Action

	var head struct {
		Seq  int64  `db:"seq"`
		Hash []byte `db:"hash"`
	}
	err := tx.QueryRowxContext(ctx, `SELECT seq, hash FROM audit_head WHERE singleton FOR UPDATE`).StructScan(&head)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("audit: append %q: the audit_head row is missing", first)
	}
	if err != nil {
		return nil, fmt.Errorf("audit: append %q: lock head: %w", first, err)
	}
	if head.Seq > MaxSafeInteger-int64(len(evs)) {
		return nil, fmt.Errorf("audit: append %q: the chain is full at %d events", first, head.Seq)
	}

	// Stamped under the lock, so that times follow sequence numbers
	// whenever the clock runs forward.
	at := l.clk.Now().UTC().Truncate(time.Microsecond)
	if y := at.Year(); y < 1 || y > 9999 {
		return nil, fmt.Errorf("audit: append %q: the clock reads %s, outside years 1 to 9999", first, at)
	}
	var (
		entries  = make([]Entry, len(evs))
		seqs     = make([]int64, len(evs))
		actors   = make([]sql.NullInt64, len(evs))
		actions  = make([]string, len(evs))
		subjects = make([]string, len(evs))
		// Payloads go as text: lib/pq would send []byte as bytea.
		texts  = make([]string, len(evs))
		prevs  = make([][]byte, len(evs))
		hashes = make([][]byte, len(evs))
		h      = sha256.New()
		env    []byte
		prev   = Hash(head.Hash)
	)
	for i, ev := range evs {
		e := Entry{
			Seq:            head.Seq + 1 + int64(i),
			At:             at,
			ActorAccountID: ev.ActorAccountID,
			Action:         ev.Action,
			Subject:        ev.Subject,
			Payload:        payloads[i],
			PrevHash:       prev,
		}
		env = appendEnvelope(env[:0], envelope{
			seq:     e.Seq,
			at:      e.At,
			actor:   e.ActorAccountID,
			action:  []byte(e.Action),
			subject: []byte(e.Subject),
			payload: e.Payload,
		})
		e.Hash = chainHash(make([]byte, 0, HashSize), h, e.PrevHash, env)
		entries[i], prev = e, e.Hash

		seqs[i], actions[i], subjects[i], texts[i] = e.Seq, e.Action, e.Subject, string(e.Payload)
		if e.ActorAccountID != nil {
			actors[i] = sql.NullInt64{Int64: *e.ActorAccountID, Valid: true}
		}
		prevs[i], hashes[i] = e.PrevHash, e.Hash
	}

	// One statement for every event: the trigger that checks each row
	// against the head sees the rows inserted before it, so the later
	// events extend the earlier ones until the head moves onto the last.
	_, err = tx.ExecContext(ctx, `
		INSERT INTO audit_events (seq, v, at, actor_account_id, action, subject, payload, prev_hash, hash)
		SELECT e.seq, $1, $2, e.actor, e.action, e.subject, e.payload::jsonb, e.prev_hash, e.hash
		FROM unnest($3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::bytea[], $9::bytea[])
			AS e (seq, actor, action, subject, payload, prev_hash, hash)
		ORDER BY e.seq`,
		CanonicalVersion, at, pq.Array(seqs), pq.Array(actors), pq.Array(actions), pq.Array(subjects),
		pq.Array(texts), pq.ByteaArray(prevs), pq.ByteaArray(hashes))
	if err != nil {
		return nil, fmt.Errorf("audit: append %q: insert events %d to %d: %w", first, seqs[0], seqs[len(seqs)-1], err)
	}
	last := entries[len(entries)-1]
	_, err = tx.ExecContext(ctx, `UPDATE audit_head SET seq = $1, hash = $2 WHERE singleton`, last.Seq, []byte(last.Hash))
	if err != nil {
		return nil, fmt.Errorf("audit: append %q: move head to %d: %w", first, last.Seq, err)
	}
	return entries, nil
}

// validate checks ev and returns its payload's canonical encoding.
func validate(ev Event) ([]byte, error) {
	if err := validAction(ev.Action); err != nil {
		return nil, fmt.Errorf("%w: action: %s", ErrInvalidEvent, err)
	}
	switch {
	case len(ev.Subject) > maxSubjectLen:
		return nil, fmt.Errorf("%w: subject is longer than %d bytes", ErrInvalidEvent, maxSubjectLen)
	case !utf8.ValidString(ev.Subject) || strings.IndexByte(ev.Subject, 0) >= 0:
		return nil, fmt.Errorf("%w: subject %q is not valid UTF-8 text", ErrInvalidEvent, ev.Subject)
	}
	if a := ev.ActorAccountID; a != nil && (*a < 1 || *a > MaxSafeInteger) {
		return nil, fmt.Errorf("%w: actor account id %d is out of range", ErrInvalidEvent, *a)
	}
	if ev.Payload == nil {
		return []byte("{}"), nil
	}
	src, err := json.Marshal(ev.Payload)
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %w", ErrInvalidEvent, err)
	}
	var c canonicalizer
	payload, err := c.append(nil, src)
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %w", ErrInvalidEvent, err)
	}
	if string(payload) == "null" {
		// A nil map or pointer: no details, like a nil Payload.
		return []byte("{}"), nil
	}
	if payload[0] != '{' {
		return nil, fmt.Errorf("%w: payload is %s, not a JSON object", ErrInvalidEvent, payload)
	}
	return payload, nil
}

func validAction(a string) error {
	if a == "" {
		return errors.New("empty")
	}
	if len(a) > maxActionLen {
		return fmt.Errorf("longer than %d bytes", maxActionLen)
	}
	if a[0] < 'a' || a[0] > 'z' {
		return fmt.Errorf("%q does not start with a lower-case letter", a)
	}
	for i := 0; i < len(a); i++ {
		if b := a[i]; !('a' <= b && b <= 'z' || '0' <= b && b <= '9' || b == '_' || b == '.') {
			return fmt.Errorf("%q has a character other than a-z, 0-9, '_' and '.'", a)
		}
	}
	return nil
}

// Head returns the chain head: the sequence number and hash of the last
// event (0 and 32 zero bytes for an empty log). Ballot records and sealed
// minutes print it, anchoring the chain outside the database. Inside a
// transaction that has appended, it is that transaction's own event.
func Head(ctx context.Context, q sqlx.QueryerContext) (seq int64, hash []byte, err error) {
	err = q.QueryRowxContext(ctx, `SELECT seq, hash FROM audit_head WHERE singleton`).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, errors.New("audit: head: the audit_head row is missing")
	}
	if err != nil {
		return 0, nil, fmt.Errorf("audit: head: %w", err)
	}
	return seq, hash, nil
}

// LockHead returns the chain head as Head does, and locks it until tx
// ends: no other event can be appended in between, so the next event tx
// appends follows this head. A lot drawn from it is then drawn from the
// event just before the one that records it, as anyone redrawing it will
// find.
func LockHead(ctx context.Context, tx *sqlx.Tx) (seq int64, hash []byte, err error) {
	err = tx.QueryRowxContext(ctx, `SELECT seq, hash FROM audit_head WHERE singleton FOR UPDATE`).Scan(&seq, &hash)
	if err != nil {
		return 0, nil, fmt.Errorf("audit: lock head: %w", err)
	}
	return seq, hash, nil
}

// Page sizes of List, as for every list of the API.
const (
	DefaultListLimit = 50
	MaxListLimit     = 500
)

// Filter selects events for List. Zero fields select everything.
type Filter struct {
	// AfterSeq is the keyset cursor: only events after it are listed.
	AfterSeq int64
	// Limit is the page size: DefaultListLimit when 0, at most MaxListLimit.
	Limit int
	// Action, ActorAccountID and Subject match exactly.
	Action         string
	ActorAccountID *int64
	Subject        string
	// From (inclusive) and To (exclusive) bound the time of the events.
	From, To time.Time
}

// Each calls fn with every event that f selects, in sequence order, a page
// at a time so that a long log is never held whole.
func Each(ctx context.Context, q sqlx.QueryerContext, f Filter, fn func(Entry)) error {
	f.Limit = MaxListLimit
	for {
		page, err := List(ctx, q, f)
		if err != nil {
			return err
		}
		for _, e := range page {
			fn(e)
		}
		if len(page) < MaxListLimit {
			return nil
		}
		f.AfterSeq = page[len(page)-1].Seq
	}
}

// List returns the events that f selects, in sequence order. Each payload is
// in canonical form, as it was hashed; a payload that has been tampered into
// something without one is returned as stored, and Verify reports it.
func List(ctx context.Context, q sqlx.QueryerContext, f Filter) ([]Entry, error) {
	var (
		conds []string
		args  []any
	)
	where := func(cond string, arg any) {
		args = append(args, arg)
		conds = append(conds, fmt.Sprintf(cond, len(args)))
	}
	where("seq > $%d", f.AfterSeq)
	if f.Action != "" {
		where("action = $%d", f.Action)
	}
	if f.ActorAccountID != nil {
		where("actor_account_id = $%d", *f.ActorAccountID)
	}
	if f.Subject != "" {
		where("subject = $%d", f.Subject)
	}
	if !f.From.IsZero() {
		where("at >= $%d", f.From)
	}
	if !f.To.IsZero() {
		where("at < $%d", f.To)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	limit = min(limit, MaxListLimit)
	args = append(args, limit)
	query := fmt.Sprintf(`
		SELECT seq, at, actor_account_id, action, subject, payload, prev_hash, hash
		FROM audit_events
		WHERE %s
		ORDER BY seq
		LIMIT $%d`, strings.Join(conds, " AND "), len(args))

	var rows []struct {
		Seq            int64     `db:"seq"`
		At             time.Time `db:"at"`
		ActorAccountID *int64    `db:"actor_account_id"`
		Action         string    `db:"action"`
		Subject        string    `db:"subject"`
		Payload        []byte    `db:"payload"`
		PrevHash       []byte    `db:"prev_hash"`
		Hash           []byte    `db:"hash"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, query, args...); err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	entries := make([]Entry, len(rows))
	var c canonicalizer
	for i, r := range rows {
		payload, err := c.append(nil, r.Payload)
		if err != nil {
			payload = r.Payload
		}
		entries[i] = Entry{
			Seq:            r.Seq,
			At:             r.At.UTC(),
			ActorAccountID: r.ActorAccountID,
			Action:         r.Action,
			Subject:        r.Subject,
			Payload:        payload,
			PrevHash:       r.PrevHash,
			Hash:           r.Hash,
		}
	}
	return entries, nil
}

// SubjectID reads the id of a subject of the kind ("ballot" for
// "ballot:42"); false for a subject of another kind or without an id.
func SubjectID(subject, kind string) (int64, bool) {
	raw, ok := strings.CutPrefix(subject, kind+":")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	return id, err == nil
}
