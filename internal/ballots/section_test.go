package ballots_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/osktest"
	"github.com/citizen-network/osk/internal/rules"
)

// During a session the meeting's page shows each open ballot first, with
// a link to vote for whoever still casts a vote in it, and whether they
// have; a member on no voting list is told so. The page announces a
// ballot's change live, and a reload then shows it.
func TestMeetingSection_ListsTheOpenBallotsWithALinkToVote(t *testing.T) {
	f := newFixture(t)
	h := newHall(f)
	page := fmt.Sprintf("/meetings/%d", h.m.ID)
	alice, frank, carol := f.client(h.alice), f.client(h.frank), f.client(h.carol)

	osktest.WantOnPage(t, "the meeting's page in session", string(alice.Get(page).Body),
		`<h2 id="voting">Voting now</h2>`,
		"<p>No ballot is open. When the chair opens one, it is listed here with a link to vote.</p>")

	b := f.openBallot(h.chair, ballots.OpenSpec{MeetingID: h.m.ID, Secret: true})
	question := fmt.Sprintf("“Test motion %d”", b.SubjectID)
	item := func(text, status string) string {
		return fmt.Sprintf(`<li><a href="/ballots/%d">%s %s</a> <span class="tag">%s</span></li>`, b.ID, text, question, status)
	}
	body := string(alice.Get(page).Body)
	osktest.WantOnPage(t, "the page of a member on the voting list", body, item("Vote on", "Open for voting"))
	if strings.Index(body, `<h2 id="voting">`) > strings.Index(body, `<dl class="summary-list">`) {
		t.Error("the open ballots come after the meeting's details, where a member must look for them")
	}
	// Frank was admitted after the record date: he is present, but on no
	// voting list.
	osktest.WantOnPage(t, "the page of a member on no voting list", string(frank.Get(page).Body),
		item("The ballot on", "Open for voting: you are not on its voting list"))

	// Alice casts her own vote and Bob's, whose proxy she holds.
	f.vote(h.alice, b.ID, ballots.ChoiceFor, &h.aliceM.ID)
	osktest.WantOnPage(t, "the page of a member with a vote left", string(alice.Get(page).Body),
		item("Vote on", "You have cast 1 of your 2 votes"))
	f.vote(h.alice, b.ID, ballots.ChoiceAgainst, &h.bobM.ID)
	osktest.WantOnPage(t, "the page of a member who cast every vote", string(alice.Get(page).Body),
		item("The ballot on", "You have cast all your 2 votes"))
	f.vote(h.carol, b.ID, ballots.ChoiceFor, nil)
	osktest.WantOnPage(t, "the page of an organisation's representative who voted", string(carol.Get(page).Body),
		item("The ballot on", "You have voted"))

	f.close(h.chair, b.ID)
	body = string(alice.Get(page).Body)
	if strings.Contains(body, fmt.Sprintf(`href="/ballots/%d"`, b.ID)) {
		t.Error("the meeting's page still lists a ballot decided")
	}
	osktest.WantOnPage(t, "the meeting's page once the ballot is decided", body, "No ballot is open.")
}

// Advance voting opens before the session: the convened meeting's page
// shows its ballot, and no section while there is none.
func TestMeetingSection_ShowsAnAdvanceBallotBeforeTheSession(t *testing.T) {
	f := newFixture(t)
	f.setRules(func(r *rules.Rules) { r.AdvanceVoting = true })
	ada, _ := f.member("Ada")
	m := f.convened()
	page := fmt.Sprintf("/meetings/%d", m.ID)
	client := f.client(ada)
	if body := string(client.Get(page).Body); strings.Contains(body, `id="voting"`) {
		t.Error("a convened meeting without a ballot has a section about voting")
	}
	closes := m.StartsAt.Add(time.Hour)
	b := f.openBallot(f.board, ballots.OpenSpec{MeetingID: m.ID, Electorate: ballots.ElectorateAllMembers, ClosesAt: &closes})
	osktest.WantOnPage(t, "the convened meeting's page with advance voting", string(client.Get(page).Body),
		`<h2 id="voting">Voting now</h2>`,
		fmt.Sprintf(`<li><a href="/ballots/%d">Vote on “Test motion %d”</a> <span class="tag">Open for voting</span></li>`, b.ID, b.SubjectID))
}

// The chair's close of a session with a ballot open is refused, and the
// refusal links to the open ballots on the meeting's page. The API's
// answer stays a conflict.
func TestMeetingClose_RefusalLinksToTheOpenBallots(t *testing.T) {
	f := newFixture(t)
	chair := f.board
	yes, _ := f.member("Yes Voter")
	m := f.inSession(chair)
	f.attend(yes, m.ID, nil)
	b := f.openBallot(chair, ballots.OpenSpec{MeetingID: m.ID})
	page := fmt.Sprintf("/meetings/%d", m.ID)

	r := f.client(chair).Do(http.MethodPost, page+"/close", url.Values{})
	if r.StatusCode != http.StatusConflict {
		t.Fatalf("the close with a ballot open: %d, want 409", r.StatusCode)
	}
	osktest.WantOnPage(t, "the refused close", string(r.Body),
		`<a href="#voting">Close the open ballots first (1 still open): the session cannot end while members are voting.</a>`,
		`<h2 id="voting">Voting now</h2>`,
		fmt.Sprintf(`<a href="/ballots/%d">The ballot on “Test motion %d”</a>`, b.ID, b.SubjectID))

	api := f.tokenClient(f.inst, chair).Do(http.MethodPost, fmt.Sprintf("/api/v1/meetings/%d/close", m.ID), nil)
	if api.StatusCode != http.StatusConflict || !strings.Contains(string(api.Body), "Close the open ballots first (1 still open)") {
		t.Errorf("the API's close with a ballot open: %d %s", api.StatusCode, api.Body)
	}
}
