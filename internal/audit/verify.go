package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// maxProblems bounds the problems a Report lists. A damaged chain can make
// every later row look wrong; the first problems say where and why, and the
// rest are only counted.
const maxProblems = 100

// Report is the outcome of Verify, and the body of GET /api/v1/audit/verify.
type Report struct {
	OK bool `json:"ok"`
	// Events is the number of events walked.
	Events int64 `json:"events"`
	// HeadHash is the hash of the last event walked (hex), 64 zeros for an
	// empty log.
	HeadHash string `json:"head_hash"`
	// Problems lists the problems with events in sequence order, the first
	// being the earliest point where the chain is wrong, then those with the
	// head.
	Problems []Problem `json:"problems"`
	// ProblemsOmitted counts the problems found beyond those listed.
	ProblemsOmitted int64 `json:"problems_omitted"`
	// Anchor is set when Verify walked a segment of the log rather than
	// the whole of it (VerifyOptions.After): the event before the first
	// one walked, which the segment's first event chains onto. Nothing in
	// the segment proves the anchor itself: compare it with the live log,
	// or with a chain head printed on minutes or a ballot record.
	Anchor *Anchor `json:"anchor,omitempty"`
	// Checked counts what the checks beyond the chain read, by kind:
	// "ballots" (closed ballots recounted), "minutes" (documents),
	// "motions" and "elections". A verification that found nothing to
	// check says so, rather than only that nothing was wrong.
	Checked map[string]int `json:"checked"`
	// MeetingID is set when the report covers the records of one meeting
	// only, as an export bundle holds them. The checks beyond the chain
	// then expect to find the records of that meeting alone.
	MeetingID int64 `json:"meeting_id,omitempty"`
}

// Anchor names one event of the chain by its sequence number and hash.
type Anchor struct {
	Seq  int64 `json:"seq"`
	Hash Hash  `json:"hash"`
}

// DefaultProgressEvery is the number of events Verify walks between two
// calls of VerifyOptions.Progress unless told otherwise: a few seconds'
// work on a large log.
const DefaultProgressEvery = 100_000

// VerifyOptions change what Verify walks and whom it tells how far it is.
type VerifyOptions struct {
	// After, when set, makes Verify check a segment of the log, such as an
	// export bundle holds: the events that follow After, which is not
	// among them. The first event must then be After.Seq+1 and chain onto
	// After.Hash, as event 1 chains onto the genesis hash. The report
	// carries the anchor (Report.Anchor), which only the live log or a
	// printed chain head can confirm.
	After *Anchor
	// Progress, when set, is called after every ProgressEvery events
	// walked, with the number walked so far and the last sequence number.
	Progress func(events, seq int64)
	// ProgressEvery is DefaultProgressEvery when 0.
	ProgressEvery int64
}

// Problem is one thing wrong in the recorded data. Other checks of `osk
// verify` (ballots, minutes) report in the same shape.
type Problem struct {
	// Seq is the sequence number of the audit event concerned.
	Seq int64 `json:"seq"`
	// Table and Row name the row at fault, the row by its primary key
	// ("seq=42").
	Table  string `json:"table"`
	Row    string `json:"row"`
	Reason string `json:"reason"`
}

// Count records that a check read n records of a kind.
func (r *Report) Count(kind string, n int) {
	if r.Checked == nil {
		r.Checked = map[string]int{}
	}
	r.Checked[kind] += n
}

// Add records a problem: listed while fewer than a hundred are, counted
// after that. The checks of other records report through it.
func (r *Report) Add(p Problem) {
	r.OK = false
	if len(r.Problems) >= maxProblems {
		r.ProblemsOmitted++
		return
	}
	r.Problems = append(r.Problems, p)
}

func eventProblem(seq int64, reason string) Problem {
	return Problem{Seq: seq, Table: "audit_events", Row: fmt.Sprintf("seq=%d", seq), Reason: reason}
}

func headProblem(seq int64, reason string) Problem {
	return Problem{Seq: seq, Table: "audit_head", Row: "singleton=true", Reason: reason}
}

type head struct {
	found bool
	seq   int64
	hash  []byte
}

func readHead(ctx context.Context, q sqlx.QueryerContext) (head, error) {
	h := head{found: true}
	err := q.QueryRowxContext(ctx, `SELECT seq, hash FROM audit_head WHERE singleton`).Scan(&h.seq, &h.hash)
	if errors.Is(err, sql.ErrNoRows) {
		return head{}, nil
	}
	return h, err
}

// Verify walks the whole chain in sequence order and checks that sequence
// numbers run from 1 without a gap, that each event's prev_hash is the hash
// stored on the event before it, that each hash is the SHA-256 of the
// previous hash and the event's canonical envelope, recomputed from the
// stored columns, and that audit_head names the last event. The error is for
// failing to read; what is wrong with the data goes into the Report.
//
// Each event is checked against its own stored prev_hash and its
// predecessor's stored hash, so that one altered event is reported where it
// was altered and does not make every later event look wrong.
//
// Verify streams the events and keeps only the previous one, so memory does
// not grow with the log. It may run while events are being appended, on a
// database handle or in a transaction: events appended after the walk began
// are not counted, and are not mistaken for forgeries.
func Verify(ctx context.Context, q sqlx.QueryerContext) (Report, error) {
	return VerifyWith(ctx, q, VerifyOptions{})
}

// VerifyWith is Verify with options: a segment of the log rather than the
// whole (opts.After), and progress on a long walk (opts.Progress).
func VerifyWith(ctx context.Context, q sqlx.QueryerContext, opts VerifyOptions) (Report, error) {
	// The head is read before the walk, whose snapshot is therefore at
	// least as new: every event up to this head must be seen.
	h, err := readHead(ctx, q)
	if err != nil {
		return Report{}, fmt.Errorf("audit: verify: read head: %w", err)
	}
	// The time comes as microseconds since 1970: parsing a timestamptz
	// would cost the client as much as hashing the event.
	rows, err := q.QueryContext(ctx, `
		SELECT seq, v, (EXTRACT(EPOCH FROM at) * 1000000)::bigint, actor_account_id,
		       action, subject, payload, prev_hash, hash
		FROM audit_events
		ORDER BY seq`)
	if err != nil {
		return Report{}, fmt.Errorf("audit: verify: %w", err)
	}
	defer rows.Close()

	r := Report{OK: true, Problems: []Problem{}, Checked: map[string]int{}}
	// start is the first event expected: 1, or the one after the anchor
	// of a segment.
	start := int64(1)
	// prev is the hash stored on event last; before the first event, the
	// genesis hash of 32 zero bytes, or the anchor's hash.
	prev := make([]byte, HashSize)
	if a := opts.After; a != nil {
		if a.Seq < 0 || len(a.Hash) != HashSize {
			return Report{}, fmt.Errorf("audit: verify: the anchor %d %x is not an event of a chain", a.Seq, []byte(a.Hash))
		}
		start, prev = a.Seq+1, bytes.Clone(a.Hash)
		r.Anchor = &Anchor{Seq: a.Seq, Hash: bytes.Clone(a.Hash)}
	}
	var (
		c         canonicalizer
		hasher    = sha256.New()
		env       []byte
		payload   []byte
		sum       []byte
		reasons   []string
		expected  = start
		last      = start - 1
		prevKnown = true
		// headRow is the hash stored on the event the head names, once seen.
		headRow []byte

		seq, version            int64
		atMicros                int64
		actor                   sql.NullInt64
		action, subject, stored sql.RawBytes
		storedPrev, storedHash  sql.RawBytes
	)
	if h.found && h.seq == start-1 {
		headRow = bytes.Clone(prev)
	}
	every := opts.ProgressEvery
	if every <= 0 {
		every = DefaultProgressEvery
	}
	for rows.Next() {
		if err := rows.Scan(&seq, &version, &atMicros, &actor, &action, &subject, &stored, &storedPrev, &storedHash); err != nil {
			return Report{}, fmt.Errorf("audit: verify: read event after %d: %w", last, err)
		}
		r.Events++
		if opts.Progress != nil && r.Events%every == 0 {
			opts.Progress(r.Events, seq)
		}
		if seq < start {
			// Only a segment can hold such an event: one put before the
			// anchor it claims to follow. It takes no part in the chain.
			r.Add(eventProblem(seq, fmt.Sprintf("the event lies before the segment, which follows event %d", start-1)))
			continue
		}
		if seq != expected {
			// Rows arrive in key order, so seq > expected: some are gone.
			// The gap is reported once, and the next event's prev_hash
			// cannot be checked against an event that is not there.
			missing := fmt.Sprintf("event %d is missing", expected)
			if seq > expected+1 {
				missing = fmt.Sprintf("events %d to %d are missing", expected, seq-1)
			}
			switch {
			case last == start-1 && opts.After != nil:
				missing += fmt.Sprintf(": the segment after event %d starts at %d", start-1, seq)
			case last == start-1:
				missing += fmt.Sprintf(": the chain starts at %d", seq)
			default:
				missing += fmt.Sprintf(": the sequence jumps from %d to %d", last, seq)
			}
			r.Add(eventProblem(expected, missing))
			prevKnown = false
		}
		reasons = reasons[:0]
		if prevKnown && !bytes.Equal(storedPrev, prev) {
			reasons = append(reasons, fmt.Sprintf("prev_hash %x is not the hash of event %d (%x)", []byte(storedPrev), last, prev))
		}
		payload, err = c.append(payload[:0], stored)
		switch {
		case version != CanonicalVersion:
			reasons = append(reasons, fmt.Sprintf("unknown encoding version %d", version))
		case err != nil:
			reasons = append(reasons, fmt.Sprintf("the payload cannot be hashed: %v", err))
		default:
			var a *int64
			if actor.Valid {
				a = &actor.Int64
			}
			env = appendEnvelope(env[:0], envelope{
				seq: seq, at: time.UnixMicro(atMicros), actor: a, action: action, subject: subject, payload: payload,
			})
			sum = chainHash(sum[:0], hasher, storedPrev, env)
			if !bytes.Equal(sum, storedHash) {
				reasons = append(reasons, "the hash does not match the event's contents")
			}
		}
		if len(reasons) > 0 {
			r.Add(eventProblem(seq, strings.Join(reasons, "; ")))
		}
		prev = append(prev[:0], storedHash...)
		prevKnown = true
		last, expected = seq, seq+1
		if h.found && seq == h.seq {
			headRow = bytes.Clone(prev)
		}
	}
	if err := rows.Err(); err != nil {
		return Report{}, fmt.Errorf("audit: verify: read event after %d: %w", last, err)
	}
	r.HeadHash = Hash(prev).String()

	if !h.found {
		r.Add(headProblem(last, "the audit_head row is missing"))
		return r, nil
	}
	switch {
	case h.seq > last && last == start-1 && opts.After != nil:
		r.Add(headProblem(start, fmt.Sprintf("the head is at event %d but there are no events after %d", h.seq, start-1)))
	case h.seq > last && last == start-1:
		r.Add(headProblem(start, fmt.Sprintf("the head is at event %d but there are no events", h.seq)))
	case h.seq > last:
		r.Add(headProblem(last+1, fmt.Sprintf("the head is at event %d but the last event is %d: the events after it are missing", h.seq, last)))
	case headRow == nil:
		// The event the head names is in a gap, already reported.
	case !bytes.Equal(headRow, h.hash):
		r.Add(headProblem(h.seq, fmt.Sprintf("the head records hash %x for event %d, but that event has hash %x", h.hash, h.seq, headRow)))
	}
	if h.seq < last {
		// Either events were appended during the walk, which moved the
		// head on, or events were inserted without moving it.
		now, err := readHead(ctx, q)
		if err != nil {
			return Report{}, fmt.Errorf("audit: verify: read head: %w", err)
		}
		if !now.found || now.seq < last {
			from := h.seq
			if now.found {
				from = now.seq
			}
			beyond := fmt.Sprintf("event %d lies", last)
			if last > from+1 {
				beyond = fmt.Sprintf("events %d to %d lie", from+1, last)
			}
			r.Add(headProblem(from+1, fmt.Sprintf("%s beyond the head at %d: added without moving the head, or the head was moved back", beyond, from)))
		}
	}
	return r, nil
}
