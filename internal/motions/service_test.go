package motions_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/motions"
	"github.com/citizen-network/osk/internal/osktest"
)

func TestPropose_MemberMotionWaitsForASeconder(t *testing.T) {
	f := newFixture(t)
	p, mem := f.Member("Aino Proposer")
	d := f.propose(p, motions.Proposal{Title: "Lower the membership fee", Body: "The fee is **40 euros** a year.", AgendaItemID: &f.item})
	if d.Status != motions.StatusSubmitted || d.ByBoard || d.SeconderMemberID != nil {
		t.Fatalf("motion %+v, want submitted without a seconder", d.Motion)
	}
	if d.ProposerMemberID == nil || *d.ProposerMemberID != mem.ID || d.Majority != motions.MajoritySimple {
		t.Errorf("proposer %v majority %s, want member %d and simple", d.ProposerMemberID, d.Majority, mem.ID)
	}
	if d.Version != 1 || len(d.Versions) != 1 || d.Versions[0].Body != d.Body || d.Versions[0].AmendmentID != nil {
		t.Errorf("versions %+v of version %d, want the one text as proposed", d.Versions, d.Version)
	}
	if len(d.Amendments) != 0 {
		t.Errorf("amendments %+v, want none", d.Amendments)
	}
	if got := actions(f.events(fmt.Sprintf("motion:%d", d.ID))); !slices.Equal(got, []string{"motion.proposed"}) {
		t.Errorf("audit %v", got)
	}
	if _, err := f.svc.OpenBallot(f.ctx, f.board, d.ID, motions.BallotRequest{}); !errors.Is(err, errs.Conflict) {
		t.Errorf("a ballot on an unseconded motion: %v, want a conflict", err)
	}
}

func TestPropose_BoardMotionStartsSeconded(t *testing.T) {
	f := newFixture(t)
	d := f.propose(f.board, text("Adopt the budget"))
	if d.Status != motions.StatusSeconded || !d.ByBoard || d.ProposerMemberID != nil || d.SeconderMemberID != nil {
		t.Fatalf("board motion %+v, want seconded with neither proposing member nor seconder", d.Motion)
	}
	other, _ := f.Member("Other Member")
	_, err := f.svc.Second(f.ctx, other, d.ID, nil)
	osktest.WantKind(t, err, errs.Conflict)
}

func TestSecond_ByTheProposerIsRefused(t *testing.T) {
	f := newFixture(t)
	p, _ := f.Member("Aino Proposer")
	d := f.propose(p, text("Plant trees"))
	_, err := f.svc.Second(f.ctx, p, d.ID, nil)
	osktest.WantKind(t, err, errs.Forbidden)

	// Nor through an organisation the proposer represents.
	org := f.Admit(p, members.Application{Kind: members.KindOrganisation, Name: "Proposer Oy", Email: "office@proposer.example.org", Country: "FI", AcceptRules: true})
	_, err = f.svc.Second(f.ctx, p, d.ID, &org.ID)
	osktest.WantKind(t, err, errs.Forbidden)

	s, seconder := f.Member("Bertta Seconder")
	got := f.second(s, d.ID)
	if got.Status != motions.StatusSeconded || got.SeconderMemberID == nil || *got.SeconderMemberID != seconder.ID || got.SecondedAt == nil {
		t.Fatalf("seconded motion %+v", got.Motion)
	}
	third, _ := f.Member("Third Member")
	_, err = f.svc.Second(f.ctx, third, d.ID, nil)
	osktest.WantKind(t, err, errs.Conflict)
}

func TestSecond_NeedsAnActiveMember(t *testing.T) {
	f := newFixture(t)
	p, _ := f.Member("Aino Proposer")
	d := f.propose(p, text("Plant trees"))
	// The board and auditors see the motion but are no members.
	_, err := f.svc.Second(f.ctx, f.board, d.ID, nil)
	osktest.WantKind(t, err, errs.Forbidden)
	_, err = f.svc.Second(f.ctx, f.auditor, d.ID, nil)
	osktest.WantKind(t, err, errs.Forbidden)
	// Someone who is not a member does not see it at all.
	_, err = f.svc.Second(f.ctx, f.Person("Outsider"), d.ID, nil)
	osktest.WantKind(t, err, errs.NotFound)
	// A suspended member can second nothing.
	s, smem := f.Member("Suspended Member")
	if _, err := f.inst.Server.Members.Suspend(f.ctx, f.board, smem.ID, "Did not pay."); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Second(f.ctx, s, d.ID, nil)
	osktest.WantKind(t, err, errs.NotFound)
}

func TestPropose_MembersBeforeTheDeadlineTheBoardAnyTime(t *testing.T) {
	f := newFixture(t)
	p, _ := f.Member("Aino Proposer")
	main := f.propose(p, text("Plant trees"))
	f.inst.Clock.Set(f.meeting.MemberMotionDeadline.Add(time.Minute))

	_, err := f.svc.Propose(f.ctx, p, f.meeting.ID, text("Late motion"))
	osktest.WantKind(t, err, errs.Conflict)
	if !strings.Contains(errs.Message(err), "deadline") {
		t.Errorf("message %q does not name the deadline", errs.Message(err))
	}
	// Amendments are made at the meeting, after the deadline too.
	in := text("Plant oaks")
	in.AmendsMotionID = &main.ID
	f.propose(p, in)
	// The board proposes at any time before the vote.
	f.propose(f.board, text("The board's late motion"))
}

func TestPropose_RuleChangeNeedsTwoThirds(t *testing.T) {
	f := newFixture(t)
	p, _ := f.Member("Aino Proposer")

	// A member's motion on an item that changes the rules takes two thirds.
	in := text("Change section 5")
	in.AgendaItemID = &f.rules
	if d := f.propose(p, in); d.Majority != motions.MajorityTwoThirds {
		t.Errorf("member's rule change: majority %s, want two_thirds", d.Majority)
	}
	// So does the board's by default; it may ask for more, not for less.
	if d := f.propose(f.board, in); d.Majority != motions.MajorityTwoThirds {
		t.Errorf("board's rule change: majority %s, want two_thirds", d.Majority)
	}
	for _, m := range []string{motions.MajorityThreeQuarters, motions.MajorityUnanimous, motions.MajorityTwoThirds} {
		in.Majority = ptr(m)
		if d := f.propose(f.board, in); d.Majority != m {
			t.Errorf("board's rule change with %s: majority %s", m, d.Majority)
		}
	}
	in.Majority = ptr(motions.MajoritySimple)
	_, err := f.svc.Propose(f.ctx, f.board, f.meeting.ID, in)
	osktest.WantFields(t, err, "majority")

	// Elsewhere the board may mark a motion as needing two thirds, or
	// leave the simple majority.
	other := text("Sell the old office")
	other.AgendaItemID = &f.item
	other.Majority = ptr(motions.MajorityTwoThirds)
	if d := f.propose(f.board, other); d.Majority != motions.MajorityTwoThirds {
		t.Errorf("board's motion marked two thirds: %s", d.Majority)
	}
	other.Majority = ptr("most")
	_, err = f.svc.Propose(f.ctx, f.board, f.meeting.ID, other)
	osktest.WantFields(t, err, "majority")

	// Only the board sets the majority.
	other.Majority = ptr(motions.MajorityTwoThirds)
	_, err = f.svc.Propose(f.ctx, p, f.meeting.ID, other)
	osktest.WantKind(t, err, errs.Forbidden)
	// An amendment to a rule change is on the same item, so needs as much.
	ruleChange := text("Change section 5")
	ruleChange.AgendaItemID = &f.rules
	a := text("Change section 5 differently")
	a.AmendsMotionID = ptr(f.propose(p, ruleChange).ID)
	if d := f.propose(p, a); d.Majority != motions.MajorityTwoThirds || d.AgendaItemID == nil || *d.AgendaItemID != f.rules {
		t.Errorf("amendment of a rule change: majority %s item %v", d.Majority, d.AgendaItemID)
	}
}

func TestPropose_BadValuesNameTheirFields(t *testing.T) {
	f := newFixture(t)
	p, _ := f.Member("Aino Proposer")
	main := f.propose(p, text("Plant trees"))
	amendment := f.propose(p, motions.Proposal{Title: "Plant oaks", Body: "Plant oaks.", AmendsMotionID: &main.ID})

	elsewhere := f.convened()
	foreign, err := f.svc.Propose(f.ctx, p, elsewhere.ID, text("Elsewhere"))
	if err != nil {
		t.Fatal(err)
	}
	otherItem := elsewhere.Agenda[0].ID

	long := strings.Repeat("a", motions.MaxTitle+1)
	tests := []struct {
		name   string
		in     motions.Proposal
		fields []string
	}{
		{"empty title and body", motions.Proposal{Title: "  ", Body: "\n"}, []string{"title", "body"}},
		{"long title", motions.Proposal{Title: long, Body: "Text."}, []string{"title"}},
		{"title on two lines", motions.Proposal{Title: "One\ntwo", Body: "Text."}, []string{"title"}},
		{"body over 20,000 characters", motions.Proposal{Title: "Long", Body: strings.Repeat("ä", motions.MaxBody+1)}, []string{"body"}},
		{"unknown agenda item", motions.Proposal{Title: "T", Body: "B", AgendaItemID: ptr(int64(999999))}, []string{"agenda_item_id"}},
		{"agenda item of another meeting", motions.Proposal{Title: "T", Body: "B", AgendaItemID: &otherItem}, []string{"agenda_item_id"}},
		{"amends a motion of another meeting", motions.Proposal{Title: "T", Body: "B", AmendsMotionID: &foreign.ID}, []string{"amends_motion_id"}},
		{"amends an unknown motion", motions.Proposal{Title: "T", Body: "B", AmendsMotionID: ptr(int64(999999))}, []string{"amends_motion_id"}},
		{"amends an amendment", motions.Proposal{Title: "T", Body: "B", AmendsMotionID: &amendment.ID}, []string{"amends_motion_id"}},
		{"amendment that changes nothing", motions.Proposal{Title: "T", Body: main.Body, AmendsMotionID: &main.ID}, []string{"body"}},
		{"amendment under another item", motions.Proposal{Title: "T", Body: "B", AmendsMotionID: &main.ID, AgendaItemID: &f.item}, []string{"agenda_item_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.Propose(f.ctx, p, f.meeting.ID, tt.in)
			osktest.WantFields(t, err, tt.fields...)
		})
	}
	// Exactly 20,000 characters is allowed.
	f.propose(p, motions.Proposal{Title: "Long", Body: strings.Repeat("ä", motions.MaxBody)})
}

func TestWithdraw_ByTheProposerBeforeVoting(t *testing.T) {
	f := newFixture(t)
	p, _ := f.Member("Aino Proposer")
	s, _ := f.Member("Bertta Seconder")
	d := f.propose(p, text("Plant trees"))
	f.second(s, d.ID)

	// Only the proposer withdraws a member's motion; the board does not.
	for name, who := range map[string]auth.Principal{"seconder": s, "board": f.board, "auditor": f.auditor} {
		if _, err := f.svc.Withdraw(f.ctx, who, d.ID); !errors.Is(err, errs.Forbidden) {
			t.Errorf("withdrawal by the %s: %v, want forbidden", name, err)
		}
	}
	got, err := f.svc.Withdraw(f.ctx, p, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != motions.StatusWithdrawn || got.WithdrawnAt == nil {
		t.Fatalf("withdrawn motion %+v", got.Motion)
	}
	// Withdrawn is final: no second withdrawal, no seconding, no ballot,
	// no amendment.
	_, err = f.svc.Withdraw(f.ctx, p, d.ID)
	osktest.WantKind(t, err, errs.Conflict)
	_, err = f.svc.OpenBallot(f.ctx, f.board, d.ID, motions.BallotRequest{})
	osktest.WantKind(t, err, errs.Conflict)
	in := text("Plant oaks")
	in.AmendsMotionID = &d.ID
	_, err = f.svc.Propose(f.ctx, s, f.meeting.ID, in)
	osktest.WantKind(t, err, errs.Conflict)

	// The board withdraws its own motions.
	b := f.propose(f.board, text("Adopt the budget"))
	_, err = f.svc.Withdraw(f.ctx, p, b.ID)
	osktest.WantKind(t, err, errs.Forbidden)
	if got, err := f.svc.Withdraw(f.ctx, f.board2, b.ID); err != nil || got.Status != motions.StatusWithdrawn {
		t.Fatalf("board withdrawal: %v %+v", err, got.Motion)
	}
}

func TestWithdraw_TakesTheOpenAmendmentsWithIt(t *testing.T) {
	f := newFixture(t)
	p, _ := f.Member("Aino Proposer")
	a, _ := f.Member("Amending Member")
	main := f.propose(p, text("Plant trees"))
	first := f.propose(a, motions.Proposal{Title: "Oaks", Body: "Plant oaks.", AmendsMotionID: &main.ID})
	second := f.propose(a, motions.Proposal{Title: "Birches", Body: "Plant birches.", AmendsMotionID: &main.ID})
	if _, err := f.svc.Withdraw(f.ctx, a, second.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Withdraw(f.ctx, p, main.ID); err != nil {
		t.Fatal(err)
	}
	if got := f.get(first.ID); got.Status != motions.StatusWithdrawn {
		t.Errorf("open amendment after its motion's withdrawal: %s", got.Status)
	}
	es := f.events(fmt.Sprintf("motion:%d", first.ID))
	if got := actions(es); !slices.Equal(got, []string{"motion.proposed", "motion.withdrawn"}) {
		t.Errorf("amendment's audit %v", got)
	}
}

func TestOpenBallot_AmendmentsComeFirst(t *testing.T) {
	f := newFixture(t)
	chair, _ := f.Member("Chair")
	p, _ := f.Member("Aino Proposer")
	s, _ := f.Member("Bertta Seconder")
	main := f.propose(p, text("Plant trees"))
	f.second(s, main.ID)
	amendment := f.propose(s, motions.Proposal{Title: "Oaks", Body: "Plant oaks.", AmendsMotionID: &main.ID})
	f.inSession(chair)

	// Once seconded, the amendment is voted on first. (One nobody
	// seconded falls instead: TestBallot_AmendmentsFirstThenTheAmendedMotion.)
	f.second(p, amendment.ID)
	_, err := f.svc.OpenBallot(f.ctx, chair, main.ID, motions.BallotRequest{})
	osktest.WantKind(t, err, errs.Conflict)
	if !strings.Contains(errs.Message(err), "Amendments are voted on first") {
		t.Errorf("message %q", errs.Message(err))
	}
	// Once the amendment is withdrawn, the motion is free to go.
	if _, err := f.svc.Withdraw(f.ctx, s, amendment.ID); err != nil {
		t.Fatal(err)
	}
	// A member who does not chair the meeting cannot open it.
	_, err = f.svc.OpenBallot(f.ctx, s, main.ID, motions.BallotRequest{})
	osktest.WantKind(t, err, errs.Forbidden)
}

func TestOpenBallot_BadValuesNameTheirFields(t *testing.T) {
	f := newFixture(t)
	chair, _ := f.Member("Chair")
	d := f.propose(f.board, text("Adopt the budget"))
	f.inSession(chair)
	_, err := f.svc.OpenBallot(f.ctx, chair, d.ID, motions.BallotRequest{Electorate: "everyone", ClosesAt: "tomorrow"})
	osktest.WantFields(t, err, "electorate", "closes_at")
	past := f.now().Add(-time.Minute).Format(time.RFC3339)
	_, err = f.svc.OpenBallot(f.ctx, chair, d.ID, motions.BallotRequest{ClosesAt: past})
	osktest.WantFields(t, err, "closes_at")
}

func TestGet_OnlyThoseWhoSeeTheMeeting(t *testing.T) {
	f := newFixture(t)
	p, _ := f.Member("Aino Proposer")
	d := f.propose(p, text("Plant trees"))
	for name, who := range map[string]auth.Principal{"member": p, "board": f.board, "auditor": f.auditor} {
		if _, err := f.svc.GetAs(f.ctx, who, d.ID); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, err := f.svc.GetAs(f.ctx, f.Person("Outsider"), d.ID)
	osktest.WantKind(t, err, errs.NotFound)
	// The board's motions on a draft meeting stay with the board.
	draft, err := f.inst.Server.Meetings.Create(f.ctx, f.board, draftOf(f))
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.svc.Propose(f.ctx, f.board, draft.ID, text("Prepare the budget"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.GetAs(f.ctx, p, b.ID)
	osktest.WantKind(t, err, errs.NotFound)
	_, err = f.svc.Propose(f.ctx, p, draft.ID, text("Member's motion to a draft"))
	osktest.WantKind(t, err, errs.NotFound)
}
