package motions_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/motions"
	"github.com/citizen-network/osk/internal/osktest"
)

// room is a meeting in session with a chair and three members present.
type room struct {
	*fixture
	chair, p, s, v auth.Principal
}

func newRoom(t *testing.T) *room {
	f := newFixture(t)
	r := &room{fixture: f}
	r.chair, _ = f.Member("Chair")
	r.p, _ = f.Member("Aino Proposer")
	r.s, _ = f.Member("Bertta Seconder")
	r.v, _ = f.Member("Veikko Voter")
	// Members vote at a meeting convened after they joined: the record
	// date is the day of the notice.
	f.use(f.convened())
	return r
}

func (r *room) open() {
	r.t.Helper()
	r.inSession(r.chair)
	for _, p := range []auth.Principal{r.chair, r.p, r.s, r.v} {
		r.attend(p)
	}
}

// ballot opens a ballot on the motion, has the members present vote as
// told and the chair close it, and returns the ballot as closed.
func (r *room) ballot(id int64, choices ...string) ballots.Ballot {
	r.t.Helper()
	b, err := r.svc.OpenBallot(r.ctx, r.chair, id, motions.BallotRequest{})
	if err != nil {
		r.t.Fatalf("open a ballot on %d: %v", id, err)
	}
	for i, choice := range choices {
		voter := []auth.Principal{r.chair, r.p, r.s, r.v}[i]
		if _, err := r.inst.Server.Ballots.Vote(r.ctx, voter, b.ID, ballots.VoteInput{Choice: choice}); err != nil {
			r.t.Fatalf("vote %s on %d: %v", choice, b.ID, err)
		}
	}
	closed, err := r.inst.Server.Ballots.Close(r.ctx, r.chair, b.ID)
	if err != nil {
		r.t.Fatalf("close %d: %v", b.ID, err)
	}
	return closed
}

func TestBallot_AmendmentsFirstThenTheAmendedMotion(t *testing.T) {
	r := newRoom(t)
	main := r.propose(r.p, motions.Proposal{Title: "Plant trees", Body: "Plant ten trees in the yard.", AgendaItemID: &r.item})
	r.second(r.s, main.ID)
	oaks := r.propose(r.s, motions.Proposal{Title: "Oaks", Body: "Plant ten oaks in the yard.", AmendsMotionID: &main.ID})
	r.second(r.p, oaks.ID)
	birches := r.propose(r.v, motions.Proposal{Title: "Birches", Body: "Plant ten birches in the yard.", AmendsMotionID: &main.ID})
	r.second(r.p, birches.ID)
	r.open()

	_, err := r.svc.OpenBallot(r.ctx, r.chair, main.ID, motions.BallotRequest{})
	osktest.WantKind(t, err, errs.Conflict)

	// While an amendment is voted on, the motion it amends stays: it can
	// be neither withdrawn nor put to a vote, but amended further.
	b, err := r.svc.OpenBallot(r.ctx, r.chair, oaks.ID, motions.BallotRequest{Secret: true})
	if err != nil {
		t.Fatal(err)
	}
	if b.MotionID == nil || *b.MotionID != oaks.ID || b.Majority != motions.MajoritySimple || !b.Secret {
		t.Errorf("ballot %+v", b)
	}
	if got := r.get(oaks.ID); got.Status != motions.StatusVoting || got.BallotID == nil || *got.BallotID != b.ID {
		t.Fatalf("amendment being voted on: %+v", got.Motion)
	}
	_, err = r.svc.Withdraw(r.ctx, r.p, main.ID)
	osktest.WantKind(t, err, errs.Conflict)
	_, err = r.svc.Withdraw(r.ctx, r.s, oaks.ID)
	osktest.WantKind(t, err, errs.Conflict)
	_, err = r.svc.OpenBallot(r.ctx, r.chair, main.ID, motions.BallotRequest{})
	osktest.WantKind(t, err, errs.Conflict)
	late := r.propose(r.v, motions.Proposal{Title: "Pines", Body: "Plant ten pines in the yard.", AmendsMotionID: &main.ID})
	for i, voter := range []auth.Principal{r.chair, r.p, r.s, r.v} {
		choice := ballots.ChoiceFor
		if i == 3 {
			choice = ballots.ChoiceAgainst
		}
		if _, err := r.inst.Server.Ballots.Vote(r.ctx, voter, b.ID, ballots.VoteInput{Choice: choice}); err != nil {
			t.Fatal(err)
		}
	}
	if closed, err := r.inst.Server.Ballots.Close(r.ctx, r.chair, b.ID); err != nil || closed.Result.Outcome != ballots.OutcomeCarried {
		t.Fatalf("close: %v %+v", err, closed.Result)
	}

	// The carried amendment made version 2 of the motion; version 1 stays.
	got := r.get(main.ID)
	if got.Status != motions.StatusSeconded || got.Version != 2 || got.Body != oaks.Body {
		t.Fatalf("amended motion: version %d %q, status %s", got.Version, got.Body, got.Status)
	}
	if len(got.Versions) != 2 || got.Versions[0].Body != main.Body || got.Versions[0].AmendmentID != nil ||
		got.Versions[1].Body != oaks.Body || got.Versions[1].AmendmentID == nil || *got.Versions[1].AmendmentID != oaks.ID {
		t.Errorf("versions %+v", got.Versions)
	}
	if a := r.get(oaks.ID); a.Status != motions.StatusCarried || a.DecidedAt == nil {
		t.Errorf("carried amendment %+v", a.Motion)
	}

	// The pages show both versions, and warn that the other amendment was
	// written against the earlier text.
	mc := r.Client(r.v)
	page := string(mc.Get(fmt.Sprintf("/motions/%d", main.ID)).Body)
	for _, want := range []string{"The text (version 2)", fmt.Sprintf(`As amended by <a href="/motions/%d">`, oaks.ID), "Earlier versions", "Version 1: as proposed", "Plant ten trees in the yard."} {
		if !strings.Contains(page, want) {
			t.Errorf("amended motion's page lacks %q", want)
		}
	}
	if page := string(mc.Get(fmt.Sprintf("/motions/%d", birches.ID)).Body); !strings.Contains(page, "The motion's text has changed") {
		t.Error("the page of an amendment written against version 1 does not warn")
	}

	// An amendment written against version 1 can no longer be voted on
	// (TestOpenBallot_OneAmendmentAtATimeOnTheCurrentText); one written
	// against version 2 can, and when it fails, the text stays.
	_, err = r.svc.OpenBallot(r.ctx, r.chair, birches.ID, motions.BallotRequest{})
	osktest.WantKind(t, err, errs.Conflict)
	maples := r.propose(r.v, motions.Proposal{Title: "Maples", Body: "Plant ten maples in the yard.", AmendsMotionID: &main.ID})
	r.second(r.p, maples.ID)
	if r.ballot(maples.ID, "against", "against", "against", "for").Result.Outcome != ballots.OutcomeFailed {
		t.Fatal("the maples did not fail")
	}
	if a := r.get(maples.ID); a.Status != motions.StatusFailed {
		t.Errorf("failed amendment %s", a.Status)
	}
	if got := r.get(main.ID); got.Version != 2 {
		t.Errorf("a failed amendment changed the text to version %d", got.Version)
	}

	// An amendment nobody seconded holds nothing back: the chair is told
	// it falls, puts the motion to the vote, and it can be seconded no
	// more.
	if page := string(r.Client(r.chair).Get(fmt.Sprintf("/motions/%d", main.ID)).Body); !strings.Contains(page, "it falls") {
		t.Error("the chair is not told that the unseconded amendment falls")
	}
	if r.ballot(main.ID, "for", "for", "for", "abstain").Result.Outcome != ballots.OutcomeCarried {
		t.Fatal("the amended motion did not carry")
	}
	_, err = r.svc.Second(r.ctx, r.p, late.ID, nil)
	osktest.WantKind(t, err, errs.Conflict)
	if a := r.get(late.ID); a.Status != motions.StatusSubmitted {
		t.Errorf("the fallen amendment is %s", a.Status)
	}
	if page := string(mc.Get(fmt.Sprintf("/motions/%d", late.ID)).Body); !strings.Contains(page, "Fell: nobody seconded it") {
		t.Error("the fallen amendment's page does not say it fell")
	}
	final := r.get(main.ID)
	if final.Status != motions.StatusCarried || final.Version != 2 || final.Body != oaks.Body {
		t.Errorf("carried motion %+v", final.Motion)
	}
	// Decided is final.
	_, err = r.svc.Withdraw(r.ctx, r.p, main.ID)
	osktest.WantKind(t, err, errs.Conflict)
	_, err = r.svc.OpenBallot(r.ctx, r.chair, main.ID, motions.BallotRequest{})
	osktest.WantKind(t, err, errs.Conflict)
	_, err = r.svc.Propose(r.ctx, r.v, r.meeting.ID, motions.Proposal{Title: "Too late", Body: "Plant one tree.", AmendsMotionID: &main.ID})
	osktest.WantKind(t, err, errs.Conflict)

	want := []string{"motion.proposed", "motion.seconded", "motion.amended", "motion.put_to_vote", "motion.decided"}
	if got := actions(r.events(fmt.Sprintf("motion:%d", main.ID))); !slices.Equal(got, want) {
		t.Errorf("audit of the motion %v, want %v", got, want)
	}
}

func TestBallot_OnlyTheChairInASession(t *testing.T) {
	r := newRoom(t)
	d := r.propose(r.board, text("Adopt the budget"))
	// Before the session: no ballot for the represented members.
	chairP := r.chair
	if _, err := r.inst.Server.Meetings.SetOfficers(r.ctx, r.board, r.meeting.ID, meetings.Officers{ChairAccountID: &chairP.AccountID}); err != nil {
		t.Fatal(err)
	}
	_, err := r.svc.OpenBallot(r.ctx, r.chair, d.ID, motions.BallotRequest{})
	osktest.WantKind(t, err, errs.Conflict)
	r.open()
	for _, who := range []auth.Principal{r.p, r.board, r.auditor} {
		_, err := r.svc.OpenBallot(r.ctx, who, d.ID, motions.BallotRequest{})
		osktest.WantKind(t, err, errs.Forbidden)
	}
	if got := r.get(d.ID); got.Status != motions.StatusSeconded {
		t.Fatalf("refused ballots changed the motion to %s", got.Status)
	}
	// Through the API, the chair gets the BALLOT.
	resp := r.Client(r.chair).Do(http.MethodPost, fmt.Sprintf("/api/v1/motions/%d/ballots", d.ID), map[string]any{"secret": false})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("open: %d %s", resp.StatusCode, resp.Body)
	}
	var raw map[string]any
	resp.JSON(t, &raw)
	for _, k := range []string{"id", "motion_id", "election_id", "secret", "electorate", "status", "opened_at", "closes_at", "eligible", "voted"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("BALLOT has no %q: %s", k, resp.Body)
		}
	}
	if raw["motion_id"] != float64(d.ID) || raw["status"] != "open" || raw["electorate"] != "represented" || raw["eligible"] != float64(4) {
		t.Errorf("BALLOT %s", resp.Body)
	}
	// A second ballot on the same motion: the wrong state.
	resp = r.Client(r.chair).Do(http.MethodPost, fmt.Sprintf("/api/v1/motions/%d/ballots", d.ID), map[string]any{"secret": false})
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("second ballot: %d %s", resp.StatusCode, resp.Body)
	}
	// The motion's page links to the ballot.
	page := string(r.Client(r.p).Get(fmt.Sprintf("/motions/%d", d.ID)).Body)
	if want := fmt.Sprintf(`href="/ballots/%d"`, int64(raw["id"].(float64))); !strings.Contains(page, want) {
		t.Errorf("motion page lacks %s", want)
	}
}

func TestBallot_RuleChangeGoesToTheVoteWithTwoThirds(t *testing.T) {
	f := newFixture(t)
	chair, _ := f.Member("Chair")
	// The board proposes on a draft, then flags the item as a rule change.
	draft, err := f.inst.Server.Meetings.Create(f.ctx, f.board, draftOf(f))
	if err != nil {
		t.Fatal(err)
	}
	item := draft.Agenda[0].ID
	d, err := f.svc.Propose(f.ctx, f.board, draft.ID, motions.Proposal{Title: "Budget rule", Body: "Section 9 reads: ...", AgendaItemID: &item})
	if err != nil {
		t.Fatal(err)
	}
	if d.Majority != motions.MajoritySimple {
		t.Fatalf("majority %s", d.Majority)
	}
	if _, err := f.inst.Server.Meetings.UpdateItem(f.ctx, f.board, draft.ID, item, meetings.ItemChange{RuleChange: ptr(true), Description: ptr("Section 9.")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.inst.Server.Meetings.Convene(f.ctx, f.board, draft.ID); err != nil {
		t.Fatal(err)
	}
	f.meeting, err = f.inst.Server.Meetings.Get(f.ctx, draft.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.inSession(chair)
	f.attend(chair)
	b, err := f.svc.OpenBallot(f.ctx, chair, d.ID, motions.BallotRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if b.Majority != motions.MajorityTwoThirds {
		t.Errorf("ballot majority %s, want two_thirds", b.Majority)
	}
	if got := f.get(d.ID); got.Majority != motions.MajorityTwoThirds {
		t.Errorf("motion majority %s, want two_thirds", got.Majority)
	}
}

func TestBallot_TooFewVotesIsNoQuorum(t *testing.T) {
	r := newRoom(t)
	admin := r.Person("Admin", auth.RoleAdmin)
	cur, err := r.inst.Server.Rules.Current(r.ctx)
	if err != nil {
		t.Fatal(err)
	}
	cur.BallotMinVotes = 3
	if _, err := r.inst.Server.Rules.Update(r.ctx, admin, cur); err != nil {
		t.Fatal(err)
	}
	d := r.propose(r.board, text("Adopt the budget"))
	a := r.propose(r.board, motions.Proposal{Title: "Smaller budget", Body: "Adopt a smaller budget.", AmendsMotionID: &d.ID})
	r.open()
	if r.ballot(a.ID, "for", "abstain").Result.Outcome != ballots.OutcomeNoQuorum {
		t.Fatal("two votes, one cast, did not fall short of the quorum")
	}
	if got := r.get(a.ID); got.Status != motions.StatusNoQuorum {
		t.Errorf("amendment %s, want no_quorum", got.Status)
	}
	if got := r.get(d.ID); got.Version != 1 || got.Status != motions.StatusSeconded {
		t.Errorf("motion after an undecided amendment: version %d, %s", got.Version, got.Status)
	}
}

func TestBallot_TieWaitsForTheChairsCastingVote(t *testing.T) {
	r := newRoom(t)
	d := r.propose(r.board, text("Adopt the budget"))
	r.open()
	b := r.ballot(d.ID, "for", "for", "against", "against")
	if !b.AwaitingCastingVote() {
		t.Fatalf("tie: %+v", b.Result)
	}
	if got := r.get(d.ID); got.Status != motions.StatusVoting || got.DecidedAt != nil {
		t.Fatalf("motion on a tie: %s", got.Status)
	}
	if _, err := r.inst.Server.Ballots.CastingVote(r.ctx, r.chair, b.ID, ballots.ChoiceFor); err != nil {
		t.Fatal(err)
	}
	if got := r.get(d.ID); got.Status != motions.StatusCarried {
		t.Errorf("motion after the casting vote: %s", got.Status)
	}
}
