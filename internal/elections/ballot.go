package elections

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
)

// BallotRequest is how the chair, or the board for advance voting, puts an
// election to the vote.
type BallotRequest struct {
	// Secret defaults to true for elections (SPEC.md).
	Secret *bool
	// Electorate is "represented" (the default) or "all_members".
	Electorate string
	// ClosesAt is when voting ends at the latest, as RFC 3339 or as a
	// local time ("2026-06-01T18:30") in the meeting's zone; empty leaves
	// the close to the chair.
	ClosesAt string
}

// OpenBallot puts an election to the vote, with the candidates of
// onBallot on the ballot; nominations end with it. The meeting's chair
// does in the session, and the board opens advance voting before it, as
// for motions.
func (s *Service) OpenBallot(ctx context.Context, p auth.Principal, id int64, req BallotRequest) (ballots.Ballot, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return ballots.Ballot{}, err
	}
	if req.Electorate == "" {
		req.Electorate = ballots.ElectorateRepresented
	}
	secret := req.Secret == nil || *req.Secret
	var out ballots.Ballot
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, e, err := s.lockElection(ctx, tx, c, id)
		if err != nil {
			return err
		}
		if err := mayOpen(m.IsChair(p.AccountID), c, m, req.Electorate); err != nil {
			return err
		}
		var v errs.Validation
		if req.Electorate != ballots.ElectorateRepresented && req.Electorate != ballots.ElectorateAllMembers {
			v.Add("electorate", "Choose represented or all_members.")
		}
		closesAt := meetings.ClosingTime(&v, req.ClosesAt, m, s.clock.Now())
		if err := v.Err(); err != nil {
			return err
		}
		if err := refuseFinished(m); err != nil {
			return err
		}
		if e.Status != StatusNominating {
			return errs.Wrap(errs.Conflict, "The election is already put to the vote.")
		}
		// Opening the ballot ends nominations. In the session the meeting
		// itself decides when; before it, the board ends them no earlier
		// than the time it announced, if it announced one, or anyone about
		// to stand by then would be shut out.
		if advanceVoting(m, req.Electorate) && e.NominationsAwaited(s.clock.Now()) {
			return errs.Wrap(errs.Conflict, "Nominations are open until the time announced, so advance voting, which ends them, opens after that.")
		}
		ids, err := s.onBallot(ctx, e)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			var v errs.Validation
			if slices.ContainsFunc(e.Candidates, func(cand Candidate) bool { return cand.Consented }) {
				v.Add("candidates", "No candidate who consented to stand is still an active member: there is nobody to vote for.")
			} else {
				v.Add("candidates", "No candidate has consented to stand: there is nobody to vote for.")
			}
			return v.Err()
		}
		b, err := s.ballots.Open(ctx, tx, p, ballots.OpenSpec{MeetingID: m.ID, Kind: ballots.KindElection, SubjectID: id,
			Seats: e.Seats, CandidateIDs: ids, Secret: secret, Electorate: req.Electorate, ClosesAt: closesAt})
		if err != nil {
			return err
		}
		if err := setVoting(ctx, tx, id, b.ID); err != nil {
			return err
		}
		out = b
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: "election.put_to_vote", Subject: subject(id),
			Payload: map[string]any{"meeting_id": m.ID, "ballot_id": b.ID, "seats": e.Seats, "candidate_ids": ids,
				"secret": secret, "electorate": req.Electorate},
		})
		return err
	})
	return out, err
}

// mayOpen refuses whoever may not open a ballot on an election of the
// meeting, before anything is said of its candidates. The chair opens a
// ballot in the session, the board advance voting before it (SPEC.md,
// "Ballots"); internal/ballots' Open applies the same rule again, with the
// rules, the quorum and the closing time, and so has the final say.
func mayOpen(chair bool, c members.Caller, m meetings.Meeting, electorate string) error {
	advance := advanceVoting(m, electorate)
	switch {
	case advance && !c.Board():
		return errs.Wrap(errs.Forbidden, "Only the board opens advance voting before the session.")
	case !advance && !chair:
		return errs.Wrap(errs.Forbidden, "Only the meeting's chair puts an election to the vote; before the session, the board may open advance voting where the rules allow it.")
	}
	return nil
}

// advanceVoting reports whether a ballot of the electorate on the meeting
// would be advance voting: of all members, before the session.
func advanceVoting(m meetings.Meeting, electorate string) bool {
	return m.Status == meetings.StatusConvened && electorate == ballots.ElectorateAllMembers
}

// onBallot returns, in the order they were nominated, the candidates on
// the election's ballot: once it is put to the vote, those its ballot
// lists; until then, those who would be if it were put to the vote now.
// These have consented, and a member among them must still be an active
// member to be elected: one who resigned, or was suspended or expelled,
// since is left off.
func (s *Service) onBallot(ctx context.Context, e Election) ([]int64, error) {
	if e.BallotID != nil {
		b, err := s.ballots.Get(ctx, *e.BallotID)
		if err != nil {
			return nil, err
		}
		return b.CandidateIDs, nil
	}
	var ids []int64
	for _, cand := range e.Candidates {
		if !cand.Consented {
			continue
		}
		if cand.MemberID != nil {
			mem, err := s.members.Get(ctx, *cand.MemberID)
			if err != nil {
				return nil, err
			}
			if mem.Status != members.StatusActive {
				continue
			}
		}
		ids = append(ids, cand.ID)
	}
	return ids, nil
}

// Decided records the outcome of an election's ballot inside tx, the
// transaction that decides it; internal/ballots calls it through the hook
// registered with OnDecided("election", ...).
func (s *Service) Decided(ctx context.Context, tx *sqlx.Tx, b ballots.Ballot, r ballots.Result) error {
	if b.Kind != ballots.KindElection || r.Election == nil {
		return fmt.Errorf("elections: ballot %d is on a %s, not an election", b.ID, b.Kind)
	}
	e, err := getElection(ctx, tx, b.SubjectID, lockForUpdate)
	if err != nil {
		return fmt.Errorf("elections: decide %d: %w", b.SubjectID, err)
	}
	if e.Status != StatusVoting || e.BallotID == nil || *e.BallotID != b.ID {
		return fmt.Errorf("elections: ballot %d decided election %d, which is %s on ballot %v", b.ID, e.ID, e.Status, e.BallotID)
	}
	elected := r.Election.Elected()
	if err := setDecided(ctx, tx, e.ID, elected, s.clock.Now().Truncate(time.Microsecond)); err != nil {
		return err
	}
	// The ballot's own events name who closed it and carry the count;
	// this one records what the count did to the election.
	_, err = s.audit.Append(ctx, tx, audit.Event{
		Action: "election.decided", Subject: subject(e.ID),
		Payload: map[string]any{"meeting_id": e.MeetingID, "ballot_id": b.ID, "elected": elected,
			"quorum_met": r.Election.QuorumMet, "drawn_by_lot": r.Election.Lot != nil},
	})
	return err
}

// DescribeBallot names an election for the pages of its ballot;
// internal/ballots calls it through the hook registered with
// OnDescribe("election", ...).
func (s *Service) DescribeBallot(ctx context.Context, id int64) (ballots.Subject, error) {
	e, err := getElection(ctx, s.db, id, noLock)
	if err != nil {
		return ballots.Subject{}, err
	}
	return ballots.Subject{Title: "Election: " + e.Title, URL: electionPath(id)}, nil
}

// CandidateNames names an election's candidates on its result;
// internal/ballots calls it through the hook registered with OnNames.
func (s *Service) CandidateNames(ctx context.Context, q sqlx.QueryerContext, electionID int64, ids []int64) (map[int64]string, error) {
	return candidateNames(ctx, q, electionID, ids)
}
