package browsertest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/browsertest"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/motions"
	"github.com/citizen-network/osk/internal/osktest"
)

// announced is the live region, in the page from the start, that says
// text: a screen reader reads what arrives in it.
func announced(text string) browsertest.Locator {
	return browsertest.XPath(fmt.Sprintf(`//*[@role='status' and @aria-live='polite'][contains(normalize-space(.), "%s")]`, text),
		fmt.Sprintf("the live region saying %q", text))
}

// A member follows a meeting on its page while the chair opens the
// session and a ballot; the chair follows the attendance as members
// arrive. What changes is said in a live region, not only shown.
func TestJourney_LiveChangesAreAnnounced(t *testing.T) {
	t.Parallel()
	inst := osktest.Start(t, osktest.Options{})
	ctx := context.Background()
	board := newAccount(t, inst, "board@example.org", "Bo Board", auth.RoleBoard)
	chair := newMember(t, inst, board, "cleo@example.org", "Cleo Chair")
	vera := newMember(t, inst, board, "vera@example.org", "Vera Voter")
	walt := newMember(t, inst, board, "walt@example.org", "Walt Latecomer")

	mt := inst.Server.Meetings
	m := convenedSoon(t, inst, board, chair)
	page := fmt.Sprintf("/meetings/%d", m.ID)

	member := browsertest.Open(t, inst.URL, browsertest.As("member"))
	member.SignIn("vera@example.org", "Vera Voter")
	member.Visit(page)
	if _, err := mt.Open(ctx, chair, m.ID); err != nil {
		t.Fatal(err)
	}
	member.WaitToSee("The meeting is now: In session now.")
	if !member.Has(announced("The meeting is now: In session now.")) {
		t.Error("the opening of the session is shown but not announced")
	}

	if _, _, err := mt.Attend(ctx, vera, m.ID, meetings.AttendInput{Mode: meetings.ModeInPerson}); err != nil {
		t.Fatal(err)
	}
	d, err := inst.Server.Motions.Propose(ctx, board, m.ID, motions.Proposal{Title: "Buy solar panels", Body: "The co-op buys solar panels."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inst.Server.Motions.OpenBallot(ctx, chair, d.ID, motions.BallotRequest{}); err != nil {
		t.Fatal(err)
	}
	const opened = "A ballot is open. 1 member is on its voting list."
	member.WaitToSee(opened)
	if !member.Has(announced(opened)) {
		t.Error("the ballot's opening is shown but not announced")
	}
	member.See("Reload the page")
	member.CheckA11y()

	room := browsertest.Open(t, inst.URL, browsertest.As("chair"))
	room.SignIn("cleo@example.org", "Cleo Chair")
	room.Visit(page + "/attendance")
	room.NotSee("The list changed")
	if _, _, err := mt.Attend(ctx, walt, m.ID, meetings.AttendInput{Mode: meetings.ModeInPerson}); err != nil {
		t.Fatal(err)
	}
	room.WaitToSee("The list changed: reload it.")
	if !room.Has(announced("The list changed: reload it.")) {
		t.Error("the change of the attendance list is shown but not announced")
	}
	room.CheckA11y()
	room.ClickLink("reload it")
	room.See("Walt Latecomer")
}

// On the application form, the Name field's autocomplete follows the
// choice of whether a person or an organisation applies.
func TestJourney_ApplyingForAnOrganisationAutofillsItsName(t *testing.T) {
	t.Parallel()
	inst := osktest.Start(t, osktest.Options{})
	p := browsertest.Open(t, inst.URL)
	p.SignIn("ngozi@example.org", "Ngozi Adeyemi")
	p.Visit("/apply")
	name := func(purpose string) browsertest.Locator {
		return browsertest.XPath(fmt.Sprintf(`//input[@id='name'][@autocomplete='%s']`, purpose), "the Name field for the "+purpose)
	}
	if !p.Has(name("name")) {
		t.Error("the Name field of a person's application is not a person's name")
	}
	p.Check("I am applying for an organisation that I represent")
	if !p.Has(name("organization")) {
		t.Error("the Name field of an organisation's application is not an organisation's name")
	}
	p.Check("I am applying for myself, as an individual")
	if !p.Has(name("name")) {
		t.Error("back to a person's application, the Name field is not a person's name")
	}
}

// A stream refused by the server, as in a database outage or a restart
// behind the proxy, ends for good in the browser. The page says that its
// live updates paused, opens the stream again once the server answers,
// and catches up with what happened meanwhile. On a ballot's page the
// turnout, which changes with every vote, is shown but not read out.
func TestJourney_LiveUpdatesComeBackAfterAnOutage(t *testing.T) {
	t.Parallel()
	inst := osktest.Start(t, osktest.Options{})
	ctx := context.Background()
	board := newAccount(t, inst, "board@example.org", "Bo Board", auth.RoleBoard)
	chair := newMember(t, inst, board, "cleo@example.org", "Cleo Chair")
	vera := newMember(t, inst, board, "vera@example.org", "Vera Voter")
	walt := newMember(t, inst, board, "walt@example.org", "Walt Voter")
	mt := inst.Server.Meetings
	m := convenedSoon(t, inst, board, chair)
	page := fmt.Sprintf("/meetings/%d", m.ID)

	member := browsertest.Open(t, inst.URL, browsertest.As("member"))
	member.SignIn("vera@example.org", "Vera Voter")
	restore := member.Refuse("*/events*", 503)
	member.Visit(page)
	const paused = "Live updates are paused: the connection to Osk was lost."
	member.WaitToSee(paused)
	if !member.Has(announced(paused)) {
		t.Error("the pause is shown but not announced")
	}
	if _, err := mt.Open(ctx, chair, m.ID); err != nil {
		t.Fatal(err)
	}
	if n := restore(); n == 0 {
		t.Fatal("no stream was refused")
	}
	member.WaitToSee("Live updates are back.")
	member.WaitToSee("The meeting is now: In session now.")

	for _, p := range []auth.Principal{vera, walt} {
		if _, _, err := mt.Attend(ctx, p, m.ID, meetings.AttendInput{Mode: meetings.ModeInPerson}); err != nil {
			t.Fatal(err)
		}
	}
	d, err := inst.Server.Motions.Propose(ctx, board, m.ID, motions.Proposal{Title: "Buy solar panels", Body: "The co-op buys solar panels."})
	if err != nil {
		t.Fatal(err)
	}
	b, err := inst.Server.Motions.OpenBallot(ctx, chair, d.ID, motions.BallotRequest{})
	if err != nil {
		t.Fatal(err)
	}
	member.Visit(fmt.Sprintf("/ballots/%d", b.ID))
	member.See("0 of 2")
	if _, err := inst.Server.Ballots.Vote(ctx, walt, b.ID, ballots.VoteInput{Choice: ballots.ChoiceFor}); err != nil {
		t.Fatal(err)
	}
	member.WaitToSee("1 of 2")
	if said := member.TextOf(`[data-live="announce"]`); said != "" {
		t.Errorf("the turnout is read out: %q", said)
	}
	member.CheckA11y()

	// Signed out meanwhile, the page stops trying and says why.
	restore = member.Refuse("*/events*", 503)
	member.Reload()
	member.WaitToSee(paused)
	if _, err := inst.DB.Exec(`DELETE FROM sessions`); err != nil {
		t.Fatal(err)
	}
	member.WaitToSee("Live updates have stopped: you are signed out. Sign in again and reload the page.")
	restore()
}
