package motions

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/meetings"
)

// Ballots opens ballots on motions: internal/ballots, whose Open checks
// who may open a ballot, the session and its quorum, and freezes the
// voting list. Open runs inside the motion's transaction, so that the
// motion is "voting" exactly when its ballot exists.
type Ballots interface {
	Open(ctx context.Context, tx *sqlx.Tx, p auth.Principal, spec ballots.OpenSpec) (ballots.Ballot, error)
}

// BallotRequest is how the chair (or, for an advance ballot, the board)
// asks for a vote on a motion.
type BallotRequest struct {
	Secret bool
	// Electorate is "represented" (the default) or "all_members".
	Electorate string
	// ClosesAt is when voting ends at the latest, as RFC 3339 or as a
	// local time ("2026-06-01T18:30") in the meeting's zone; empty leaves
	// the close to the chair.
	ClosesAt string
}

// OpenBallot puts a motion to a vote. The motion must be ready for it: a
// member's motion seconded, and a main motion with no amendment left
// undecided, as amendments are voted on first (SPEC.md). A motion on an
// item that changes the rules goes to the vote with at least two thirds,
// whatever it was proposed with, as the item may have been flagged after
// the motion was proposed.
func (s *Service) OpenBallot(ctx context.Context, p auth.Principal, id int64, req BallotRequest) (ballots.Ballot, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return ballots.Ballot{}, err
	}
	if req.Electorate == "" {
		req.Electorate = ballots.ElectorateRepresented
	}
	var out ballots.Ballot
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		mt, mo, err := s.lockMotion(ctx, tx, c, id)
		if err != nil {
			return err
		}
		if !mt.IsChair(p.AccountID) && !c.Board() {
			return errs.Wrap(errs.Forbidden, "Only the meeting's chair puts motions to a vote.")
		}
		var v errs.Validation
		if req.Electorate != ballots.ElectorateRepresented && req.Electorate != ballots.ElectorateAllMembers {
			v.Add("electorate", "Choose represented or all_members.")
		}
		closesAt := meetings.ClosingTime(&v, req.ClosesAt, mt, s.clock.Now())
		if err := v.Err(); err != nil {
			return err
		}
		if err := refuseFinished(mt); err != nil {
			return err
		}
		if err := readyForBallot(ctx, tx, mo); err != nil {
			return err
		}
		majority := mo.Majority
		if item := agendaItem(mt, mo.AgendaItemID); item != nil && item.RuleChange && strength(majority) < strength(RuleChangeMajority) {
			majority = RuleChangeMajority
		}
		b, err := s.ballots.Open(ctx, tx, p, ballots.OpenSpec{MeetingID: mt.ID, Kind: ballots.KindMotion, SubjectID: id,
			Majority: majority, Secret: req.Secret, Electorate: req.Electorate, ClosesAt: closesAt})
		if err != nil {
			return err
		}
		if err := setVoting(ctx, tx, id, b.ID, majority, s.clock.Now()); err != nil {
			return err
		}
		out = b
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: "motion.put_to_vote", Subject: subject(id),
			Payload: map[string]any{"meeting_id": mt.ID, "ballot_id": b.ID, "majority": majority, "version": mo.Version,
				"body_sha256": bodyHash(mo.Body), "secret": req.Secret, "electorate": req.Electorate},
		})
		return err
	})
	return out, err
}

// readyForBallot refuses a vote on a motion that is not ready for one.
func readyForBallot(ctx context.Context, tx *sqlx.Tx, mo Motion) error {
	switch {
	case mo.Status == StatusSubmitted:
		return errs.Wrap(errs.Conflict, "The motion needs a seconder before it can be put to a vote.")
	case !mo.ReadyForBallot():
		return errs.Wrap(errs.Conflict, "The motion has been %s: it cannot be put to a vote again.", pastTense(mo.Status))
	}
	if mo.IsAmendment() {
		main, err := getMotion(ctx, tx, *mo.AmendsMotionID, noLock)
		if err != nil {
			return err
		}
		if !main.Open() {
			return errs.Wrap(errs.Conflict, "The motion this amends has been %s.", pastTense(main.Status))
		}
		return nil
	}
	amendments, err := amendmentsOf(ctx, tx, mo.ID, lockForUpdate)
	if err != nil {
		return err
	}
	for _, a := range amendments {
		if a.HoldsBack() {
			return errs.Wrap(errs.Conflict, "Amendments are voted on first: amendment %d, %q, is still %s. Put it to a vote, or its proposer withdraws it.",
				a.ID, a.Title, statusInSentence(a.Status))
		}
	}
	return nil
}

// statusInSentence says where a motion stands, inside a sentence.
func statusInSentence(status string) string {
	switch status {
	case StatusSeconded:
		return "waiting for its vote"
	case StatusVoting:
		return "being voted on"
	}
	return pastTense(status)
}

func agendaItem(m meetings.Meeting, id *int64) *meetings.AgendaItem {
	if id == nil {
		return nil
	}
	for i := range m.Agenda {
		if m.Agenda[i].ID == *id {
			return &m.Agenda[i]
		}
	}
	return nil
}

// Decided records the outcome of a motion's ballot inside tx, the
// transaction that decides the ballot; internal/ballots calls it through
// the hook registered with OnDecided("motion", ...). A carried amendment's
// text becomes the main motion's next version.
func (s *Service) Decided(ctx context.Context, tx *sqlx.Tx, b ballots.Ballot, r ballots.Result) error {
	outcome := string(r.Outcome)
	if b.Kind != ballots.KindMotion {
		return fmt.Errorf("motions: ballot %d is on a %s, not a motion", b.ID, b.Kind)
	}
	switch outcome {
	case StatusCarried, StatusFailed, StatusNoQuorum:
	default:
		return fmt.Errorf("motions: ballot %d decided motion %d with the outcome %q", b.ID, b.SubjectID, outcome)
	}
	peek, err := getMotion(ctx, tx, b.SubjectID, noLock)
	if err != nil {
		return fmt.Errorf("motions: decide %d: %w", b.SubjectID, err)
	}
	var main Motion
	if peek.IsAmendment() {
		if main, err = getMotion(ctx, tx, *peek.AmendsMotionID, lockForUpdate); err != nil {
			return fmt.Errorf("motions: decide %d: %w", b.SubjectID, err)
		}
	}
	mo, err := getMotion(ctx, tx, b.SubjectID, lockForUpdate)
	if err != nil {
		return fmt.Errorf("motions: decide %d: %w", b.SubjectID, err)
	}
	if mo.Status != StatusVoting || mo.BallotID == nil || *mo.BallotID != b.ID {
		return fmt.Errorf("motions: ballot %d decided motion %d, which is %s on ballot %v", b.ID, mo.ID, mo.Status, mo.BallotID)
	}
	amends := outcome == StatusCarried && mo.IsAmendment()
	if amends && !main.Open() {
		return fmt.Errorf("motions: amendment %d carried, but motion %d is %s", mo.ID, main.ID, main.Status)
	}
	now := s.clock.Now()
	if err := setDecided(ctx, tx, mo.ID, outcome, now); err != nil {
		return err
	}
	version := 0
	if amends {
		if version, err = amendText(ctx, tx, main, mo, now); err != nil {
			return err
		}
	}
	// The ballot's own events name who closed it; these record what its
	// outcome did to the motions.
	if _, err := s.audit.Append(ctx, tx, audit.Event{
		Action: "motion.decided", Subject: subject(mo.ID),
		Payload: map[string]any{"meeting_id": mo.MeetingID, "ballot_id": b.ID, "outcome": outcome, "majority": mo.Majority},
	}); err != nil {
		return err
	}
	if !amends {
		return nil
	}
	_, err = s.audit.Append(ctx, tx, audit.Event{
		Action: "motion.amended", Subject: subject(main.ID),
		Payload: map[string]any{"meeting_id": main.MeetingID, "amendment_id": mo.ID, "ballot_id": b.ID,
			"version": version, "based_on_version": mo.BasedOnVersion, "body_sha256": bodyHash(mo.Body)},
	})
	return err
}

// DescribeBallot names a motion for the pages of its ballot;
// internal/ballots calls it through the hook registered with
// OnDescribe("motion", ...).
func (s *Service) DescribeBallot(ctx context.Context, id int64) (ballots.Subject, error) {
	mo, err := getMotion(ctx, s.db, id, noLock)
	if err != nil {
		return ballots.Subject{}, err
	}
	title := mo.Title
	if mo.IsAmendment() {
		title = "Amendment: " + title
	}
	return ballots.Subject{Title: title, URL: motionPath(id)}, nil
}
