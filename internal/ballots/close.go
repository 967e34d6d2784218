package ballots

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/live"
	"github.com/citizen-network/osk/internal/meetings"
)

// Close ends voting and counts (SPEC.md, "Ballots"), in one transaction:
// the ballot is locked FOR UPDATE, which waits for every vote in flight
// and turns away every later one; a secret ballot's votes are rewritten in
// receipt order; the votes are counted and checked against the members
// marked as voted; the ballot quorum and the required majority give the
// outcome; and unless a tie under a simple majority waits for the chair's
// casting vote, the record is hashed into the audit log and what was
// voted on learns the outcome (OnDecided). Only the meeting's chair closes
// a ballot.
func (s *Service) Close(ctx context.Context, p auth.Principal, id int64) (Ballot, error) {
	v, err := s.viewerOf(ctx, p)
	if err != nil {
		return Ballot{}, err
	}
	var out Ballot
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		b, err := s.chairBallot(ctx, tx, v, id, "closes the ballot")
		if err != nil {
			return err
		}
		if !b.Open() {
			return errs.Wrap(errs.Conflict, "The ballot is already closed.")
		}
		now := s.clock.Now().Truncate(time.Microsecond)
		return bulkWork(ctx, tx, func() error {
			// An open ballot's votes are not rewritten: the audit log
			// records each with its member, its choice and its time, so
			// their order is no secret to hide.
			if b.Secret {
				if err := resealVotes(ctx, tx, id); err != nil {
					return err
				}
			}
			t, err := countVotes(ctx, tx, b)
			if err != nil {
				return err
			}
			if b.Voted != t.votes {
				return fmt.Errorf("ballots: close %d: %d members are marked as voted but %d votes are stored", id, b.Voted, t.votes)
			}
			var res Result
			if b.Kind == KindElection {
				if res, err = s.countElection(ctx, tx, b, t.marks); err != nil {
					return err
				}
			} else {
				res = Decide(t.motion, b.Majority, b.MinVotes, b.Eligible, "")
			}
			b.Status, b.ClosedAt, b.ClosedBy, b.Result = StatusClosed, &now, p.Actor(), &res
			out, err = s.settle(ctx, tx, p, b, t, now, "ballot.closed")
			return err
		})
	})
	return out, err
}

// CastingVote decides a tie under a simple majority by the chair's casting
// vote, "for" or "against", recorded as such on the result.
func (s *Service) CastingVote(ctx context.Context, p auth.Principal, id int64, choice string) (Ballot, error) {
	v, err := s.viewerOf(ctx, p)
	if err != nil {
		return Ballot{}, err
	}
	var out Ballot
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		// Who may give it, and whether there is a tie, come before the
		// choice: a caller learns nothing of a ballot from its errors but
		// what their standing allows.
		b, err := s.chairBallot(ctx, tx, v, id, "gives the casting vote")
		if err != nil {
			return err
		}
		if !b.AwaitingCastingVote() {
			return errs.Wrap(errs.Conflict, "There is no tie waiting for the chair's casting vote on this ballot.")
		}
		if choice != ChoiceFor && choice != ChoiceAgainst {
			var val errs.Validation
			val.Add("choice", "Choose for or against.")
			return val.Err()
		}
		now := s.clock.Now().Truncate(time.Microsecond)
		return bulkWork(ctx, tx, func() error {
			t, err := countVotes(ctx, tx, b)
			if err != nil {
				return err
			}
			res := Decide(t.motion, b.Majority, b.MinVotes, b.Eligible, choice)
			if res.AwaitingCastingVote || !res.TieBrokenByChair {
				return fmt.Errorf("ballots: casting vote on %d: the count %+v is no tie", id, res)
			}
			b.Result, b.CastingVote = &res, choice
			out, err = s.settle(ctx, tx, p, b, t, now, "ballot.decided")
			return err
		})
	})
	return out, err
}

// chairBallot closes the ballot's gate, and loads and locks the ballot
// FOR UPDATE for its meeting's chair.
func (s *Service) chairBallot(ctx context.Context, tx *sqlx.Tx, v viewer, id int64, what string) (Ballot, error) {
	if err := enterGate(ctx, tx, id, true); err != nil {
		return Ballot{}, err
	}
	b, err := getBallot(ctx, tx, id, lockForUpdate)
	if err != nil {
		return Ballot{}, err
	}
	// Read inside tx, never through the pool: votes queued at the gate
	// may hold every pooled connection until this transaction ends.
	m, err := s.meetings.Lock(ctx, tx, b.MeetingID)
	if err != nil {
		return Ballot{}, err
	}
	if ok, err := s.sees(ctx, tx, v, b, m); err != nil {
		return Ballot{}, err
	} else if !ok {
		return Ballot{}, ErrNotFound
	}
	if !m.IsChair(v.p.AccountID) {
		return Ballot{}, errs.Wrap(errs.Forbidden, "Only the meeting's chair %s.", what)
	}
	if v.p.Has(auth.RoleAuditor) {
		return Ballot{}, errs.Wrap(errs.Forbidden, "An auditor reads everything and changes nothing, so does not chair a ballot, even of a meeting they were made chair of before.")
	}
	// An advance ballot too is closed in the session (SPEC.md), never
	// before it nor after a cancellation.
	if m.Status != meetings.StatusInSession {
		return Ballot{}, errs.Wrap(errs.Conflict, "The chair %s during the meeting's session; the meeting is not in session (%s).", what, strings.ToLower(meetings.StatusLabel(m.Status)))
	}
	return b, nil
}

// settle writes a closed ballot's count inside tx: when the outcome is
// final, with its record hash and the chain head that carries it, and
// tells what was voted on.
func (s *Service) settle(ctx context.Context, tx *sqlx.Tx, p auth.Principal, b Ballot, t votesCount, now time.Time, action string) (Ballot, error) {
	res := *b.Result
	decided := !res.AwaitingCastingVote
	var recordHash []byte
	if decided {
		b.DecidedAt = &now
		var err error
		if recordHash, err = hashRecord(b, t.record, t.voters); err != nil {
			return Ballot{}, err
		}
		h := hex.EncodeToString(recordHash)
		b.RecordHash = &h
	}
	change := "closed"
	if action == "ballot.decided" {
		change = "decided"
	}
	if err := s.publish(ctx, tx, b, change, now); err != nil {
		return Ballot{}, err
	}
	var payload map[string]any
	if e := res.Election; e != nil {
		payload = map[string]any{
			"cast": e.Cast, "blank": e.Blank, "eligible": e.Eligible, "quorum_required": b.MinVotes,
			"quorum_met": e.QuorumMet, "elected": e.Elected(), "lot": e.Lot, "record_hash": *b.RecordHash,
		}
	} else {
		payload = map[string]any{
			"for": res.For, "against": res.Against, "abstain": res.Abstain, "cast": res.Cast, "voted": res.Voted,
			"eligible": res.Eligible, "quorum_required": res.QuorumRequired, "quorum_met": res.QuorumMet,
			"majority": res.Majority, "outcome": nil, "awaiting_casting_vote": res.AwaitingCastingVote,
			"tie_broken_by_chair": res.TieBrokenByChair, "casting_vote": res.CastingVote, "record_hash": nil,
		}
		if decided {
			payload["outcome"], payload["record_hash"] = string(res.Outcome), *b.RecordHash
		}
	}
	entry, err := s.audit.Append(ctx, tx, audit.Event{ActorAccountID: p.Actor(), Action: action, Subject: subject(b.ID), Payload: payload})
	if err != nil {
		return Ballot{}, err
	}
	if decided {
		b.ChainHead = &ChainHead{Seq: entry.Seq, Hash: entry.Hash.String()}
	}
	resultJSON, err := json.Marshal(res)
	if err != nil {
		return Ballot{}, fmt.Errorf("ballots: close %d: %w", b.ID, err)
	}
	if err := setClosed(ctx, tx, b, resultJSON, recordHash, b.ChainHead); err != nil {
		return Ballot{}, err
	}
	if decided {
		if hook := s.decidedHook(b.Kind); hook != nil {
			if err := hook(ctx, tx, b, res); err != nil {
				return Ballot{}, err
			}
		}
	}
	return b, nil
}

// countElection counts an election inside the transaction that closes
// it. The lot, if needed, is drawn from the audit chain head, locked here
// until the close commits: the event just before the close's own, so that
// anyone can redraw it. The ballot is locked already, so no vote waits for
// the head while holding the ballot. The meeting's stream, on which the
// close publishes, is locked before the head, in the order of every other
// change that both publishes and appends to the audit log.
func (s *Service) countElection(ctx context.Context, tx *sqlx.Tx, b Ballot, marks [][]int64) (Result, error) {
	if err := live.Lock(ctx, tx, meetings.Topic(b.MeetingID)); err != nil {
		return Result{}, fmt.Errorf("ballots: close %d: %w", b.ID, err)
	}
	_, seed, err := audit.LockHead(ctx, tx)
	if err != nil {
		return Result{}, fmt.Errorf("ballots: close %d: %w", b.ID, err)
	}
	e := Plurality(marks, b.CandidateIDs, b.Seats, b.MinVotes, b.Eligible, seed)
	if names := s.namesHook(); names != nil {
		byID, err := names(ctx, tx, b.SubjectID, b.CandidateIDs)
		if err != nil {
			return Result{}, err
		}
		for i, c := range e.Candidates {
			e.Candidates[i].Name = byID[c.ID]
		}
	}
	return electionSummary(e), nil
}
