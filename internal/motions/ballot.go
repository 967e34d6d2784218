package motions

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
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
		if err := mayOpen(p, c, mt, req.Electorate); err != nil {
			return err
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

// mayOpen refuses whoever may not open a ballot on a motion of the
// meeting, before anything is said of whether the motion is ready for
// one: a board member who does not chair the session learns that they
// may not, not what the motion still lacks. The chair opens a ballot in
// the session, the board advance voting before it (SPEC.md, "Ballots");
// internal/ballots' Open applies the same rule again, with the rules, the
// quorum and the closing time.
func mayOpen(p auth.Principal, c members.Caller, mt meetings.Meeting, electorate string) error {
	chair := mt.IsChair(p.AccountID)
	switch {
	case !chair && !c.Board():
		return errs.Wrap(errs.Forbidden, "Only the meeting's chair puts motions to a vote.")
	case mt.Status == meetings.StatusInSession && !chair:
		return errs.Wrap(errs.Forbidden, "Only the meeting's chair opens a ballot.")
	case mt.Status == meetings.StatusConvened && electorate == ballots.ElectorateAllMembers && !c.Board():
		return errs.Wrap(errs.Forbidden, "Only the board opens advance voting before the session.")
	}
	return nil
}

// readyForBallot refuses a vote on a motion that is not ready for one.
// The main motion's row is locked already (lockMotion), so that no other
// ballot on it or its amendments opens or decides meanwhile.
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
		d := Detail{Motion: main}
		if d.Amendments, err = amendmentsOf(ctx, tx, main.ID, noLock); err != nil {
			return err
		}
		if d.Versions, err = versionsOf(ctx, tx, main.ID); err != nil {
			return err
		}
		return amendmentReady(mo, d)
	}
	amendments, err := amendmentsOf(ctx, tx, mo.ID, lockForUpdate)
	if err != nil {
		return err
	}
	for _, a := range amendments {
		if a.HoldsBack(mo.Version) {
			return errs.Wrap(errs.Conflict, "Amendments are voted on first: amendment %d, %q, is still %s. Put it to a vote, or its proposer withdraws it.",
				a.ID, a.Title, statusInSentence(a.Status))
		}
	}
	return nil
}

// amendmentReady refuses a vote on amendment a of main that could undo
// what the meeting has decided. An amendment's body is the whole new text
// of the main motion, written against one version of it: carried over
// another amendment's change, it would put the old wording back without
// anyone voting on that. So the amendments of a motion are voted on one
// at a time, each only while the text it was written against is current.
func amendmentReady(a Motion, main Detail) error {
	if !main.Open() {
		return errs.Wrap(errs.Conflict, "The motion this amends has been %s.", pastTense(main.Status))
	}
	if a.StaleAgainst(main.Version) {
		return errs.Wrap(errs.Conflict, "The motion's text has changed since this amendment was written against version %d: %s and made it version %d. "+
			"Carried, this amendment would undo that change, so it cannot be put to a vote: its proposer can propose it again on the current text.",
			*a.BasedOnVersion, changedBy(main, *a.BasedOnVersion), main.Version)
	}
	for _, o := range main.Amendments {
		if o.ID != a.ID && o.Status == StatusVoting {
			return errs.Wrap(errs.Conflict, "Amendment %d, %q, to the same motion is being voted on. Wait for its result: "+
				"if it carries, the motion's text changes and this amendment must be proposed again on the new text.", o.ID, o.Title)
		}
	}
	return nil
}

// changedBy names the carried amendments that made the versions of the
// main motion's text after version since.
func changedBy(main Detail, since int) string {
	titles := map[int64]string{}
	for _, a := range main.Amendments {
		titles[a.ID] = a.Title
	}
	var names []string
	for _, v := range main.Versions {
		if v.Version > since && v.AmendmentID != nil {
			names = append(names, fmt.Sprintf("%d, %q,", *v.AmendmentID, titles[*v.AmendmentID]))
		}
	}
	switch len(names) {
	case 0:
		return "another amendment carried"
	case 1:
		return "amendment " + names[0] + " carried"
	}
	return "amendments " + strings.Join(names[:len(names)-1], " ") + " and " + names[len(names)-1] + " carried"
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
	// Opening refuses a stale amendment, but whatever changed the text
	// since, the carried amendment's text must not replace a text it was
	// not written against: the close is refused rather than undo a change
	// nobody voted to undo.
	if amends && mo.StaleAgainst(main.Version) {
		return errs.Wrap(errs.Conflict, "Amendment %d was written against version %d of the motion's text, which is now version %d: "+
			"carried, it would undo the changes made since, so this result cannot be recorded.", mo.ID, *mo.BasedOnVersion, main.Version)
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
