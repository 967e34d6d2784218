package ballots_test

import (
	"errors"
	"testing"

	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/errs"
)

func TestMeetingClose_WaitsForEveryBallotToBeDecided(t *testing.T) {
	f := newFixture(t)
	chair := f.board
	yes, _ := f.member("Yes Voter")
	no, _ := f.member("No Voter")
	m := f.inSession(chair)
	f.attend(yes, m.ID, nil)
	f.attend(no, m.ID, nil)
	b := f.openBallot(chair, ballots.OpenSpec{MeetingID: m.ID})

	if _, err := f.inst.Server.Meetings.Close(f.ctx, chair, m.ID); !errors.Is(err, errs.Conflict) {
		t.Fatalf("closing the session with a ballot open: %v, want a conflict", err)
	}
	// One for, one against: a tie under a simple majority, waiting for
	// the chair's casting vote.
	f.vote(yes, b.ID, "for", nil)
	f.vote(no, b.ID, "against", nil)
	f.close(chair, b.ID)
	if _, err := f.inst.Server.Meetings.Close(f.ctx, chair, m.ID); !errors.Is(err, errs.Conflict) {
		t.Fatalf("closing the session with a tie undecided: %v, want a conflict", err)
	}
	if _, err := f.svc.CastingVote(f.ctx, chair, b.ID, "against"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.inst.Server.Meetings.Close(f.ctx, chair, m.ID); err != nil {
		t.Fatalf("closing the session once every ballot is decided: %v", err)
	}
}
