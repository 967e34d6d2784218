package meetings_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/osktest"
)

var idAttr = regexp.MustCompile(`\sid="([^"]*)"`)

// wantUniqueIDs fails the test for each id the page gives to more than
// one element: a label, a hint or an error link then finds the first
// alone.
func wantUniqueIDs(t *testing.T, name, page string) {
	t.Helper()
	seen := map[string]int{}
	for _, m := range idAttr.FindAllStringSubmatch(page, -1) {
		seen[m[1]]++
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("%s gives the id %q to %d elements", name, id, n)
		}
	}
}

func memberNo(m members.Member) string { return strconv.Itoa(*m.MemberNo) }

// Someone who takes part for themself and for an organisation they
// represent has a set of forms for each, whose fields, buttons and groups
// say whose they are; a refused form shows its problem by itself alone,
// and the summary links to its field.
func TestPages_ActingForSeveralEachFormSaysWhose(t *testing.T) {
	f := newFixture(t)
	rita, own := f.Member("Rita Representative")
	workshop := f.Organisation(rita, "Workshop")
	m := f.convened()
	f.inst.Clock.Set(m.StartsAt.Add(-30 * time.Minute))
	page := fmt.Sprintf("/meetings/%d", m.ID)
	client := f.Client(rita)

	body := string(client.Get(page).Body)
	wantUniqueIDs(t, "the page of one acting for two", body)
	theirs := "Workshop (member " + memberNo(workshop) + ")"
	mine := "(member " + memberNo(own) + ")"
	osktest.WantOnPage(t, "the page of one acting for two", body,
		fmt.Sprintf(`<label for="holder_member_no-%d">Authorise a proxy: the member number of the member who will act for you %s</label>`, own.ID, mine),
		fmt.Sprintf(`<label for="holder_member_no-%d">Authorise a proxy: the member number of the member who will act for %s</label>`, workshop.ID, theirs),
		"<legend>How are you taking part yourself "+mine+"?</legend>",
		"<legend>How are you taking part for "+theirs+"?</legend>",
		">Register yourself as present "+mine+"</button>",
		">Register "+theirs+" as present</button>",
		">Authorise this member to act for you "+mine+"</button>",
		">Authorise this member to act for "+theirs+"</button>",
	)

	sent := func(form url.Values) string {
		t.Helper()
		r := client.Do(http.MethodPost, page+"/proxy", form)
		if r.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("a refused proxy form: %d\n%s", r.StatusCode, r.Body)
		}
		return string(r.Body)
	}
	body = sent(url.Values{"holder_member_no": {"none"}, "member_id": {strconv.FormatInt(workshop.ID, 10)}})
	wantUniqueIDs(t, "the page of a refused proxy", body)
	osktest.WantOnPage(t, "the page of a refused proxy", body,
		fmt.Sprintf(`<a href="#holder_member_no-%d">Enter the member number of the member you authorise.</a>`, workshop.ID),
		fmt.Sprintf(`id="holder_member_no-%d" name="holder_member_no" value="none" aria-describedby="holder_member_no-%[1]d-hint holder_member_no-%[1]d-error" aria-invalid="true"`, workshop.ID),
		fmt.Sprintf(`id="holder_member_no-%d" name="holder_member_no" value="" aria-describedby="holder_member_no-%[1]d-hint">`, own.ID),
	)
	if n := strings.Count(body, "Error: Enter the member number"); n != 1 {
		t.Errorf("the proxy's problem shows by %d fields, want 1", n)
	}

	body = sent(url.Values{"holder_member_no": {"987654"}, "member_id": {strconv.FormatInt(own.ID, 10)}})
	osktest.WantOnPage(t, "the page of a proxy for an unknown number", body,
		fmt.Sprintf(`<a href="#holder_member_no-%d">There is no member with the number 987654.</a>`, own.ID),
		fmt.Sprintf(`<span class="field-error" id="holder_member_no-%d-error">`, own.ID),
	)
	if strings.Contains(body, fmt.Sprintf(`id="holder_member_no-%d-error"`, workshop.ID)) {
		t.Error("Rita's own refused proxy shows its problem by the workshop's field too")
	}

	r := client.Do(http.MethodPost, page+"/attend", url.Values{"mode": {"flying"}, "member_id": {strconv.FormatInt(workshop.ID, 10)}})
	body = string(r.Body)
	if r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a refused attendance: %d\n%s", r.StatusCode, body)
	}
	osktest.WantOnPage(t, "the page of a refused attendance", body,
		fmt.Sprintf(`<a href="#mode-%d-in_person">`, workshop.ID),
		fmt.Sprintf(`<fieldset aria-describedby="mode-%d-error">`, workshop.ID),
	)
	if n := strings.Count(body, `class="field-error"`); n != 1 {
		t.Errorf("the attendance's problem shows %d times by the forms, want 1", n)
	}

	// Once present for both, each Leave button says whose it is.
	f.attend(rita, m.ID, meetings.ModeInPerson, &own.ID)
	f.attend(rita, m.ID, meetings.ModeRemote, &workshop.ID)
	osktest.WantOnPage(t, "the page of one present for two", string(client.Get(page).Body),
		">Leave the meeting yourself "+mine+"</button>",
		">Leave the meeting for "+theirs+"</button>",
	)
}

// With one membership, the forms keep their plain words.
func TestPages_ActingForOneTheFormsKeepTheirWords(t *testing.T) {
	f := newFixture(t)
	ada, own := f.Member("Ada Member")
	m := f.convened()
	f.inst.Clock.Set(m.StartsAt.Add(-30 * time.Minute))
	page := fmt.Sprintf("/meetings/%d", m.ID)
	client := f.Client(ada)
	body := string(client.Get(page).Body)
	wantUniqueIDs(t, "the page of a member", body)
	osktest.WantOnPage(t, "the page of a member", body,
		fmt.Sprintf(`<label for="holder_member_no-%d">Authorise a proxy: the member number of the member who will act for you</label>`, own.ID),
		"<legend>How are you taking part?</legend>",
		">Register as present</button>",
		">Authorise this member</button>",
	)
	r := client.Do(http.MethodPost, page+"/proxy", url.Values{"holder_member_no": {""}, "member_id": {strconv.FormatInt(own.ID, 10)}})
	osktest.WantOnPage(t, "the page of a refused proxy", string(r.Body),
		fmt.Sprintf(`<a href="#holder_member_no-%d">`, own.ID),
		fmt.Sprintf(`<span class="field-error" id="holder_member_no-%d-error">`, own.ID),
	)
}

// A member's requests for agenda items sit under the heading about asking
// while they may ask, and under a heading of their own afterwards, not
// under the one before.
func TestPages_YourRequestsHaveAHeadingOnceAskingCloses(t *testing.T) {
	f := newFixture(t)
	ada, _ := f.Member("Ada Member")
	m := f.convenedWhileAsking()
	if _, err := f.svc.RequestItem(f.ctx, ada, m.ID, meetings.ItemRequestInput{Title: "Accessible venues"}); err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/meetings/%d", m.ID)
	client := f.Client(ada)

	body := string(client.Get(page).Body)
	asking := strings.Index(body, `<h2 id="ask">Ask for an item on the agenda</h2>`)
	mine := strings.Index(body, `<h3 id="your-requests">Your requests</h3>`)
	if asking < 0 || mine < asking || strings.Contains(body, `<h2 id="your-requests">`) {
		t.Errorf("while members may ask, the requests are not under the heading about asking:\n%s", body)
	}

	f.inst.Clock.Set(m.MemberMotionDeadline.Add(time.Hour))
	body = string(client.Get(page).Body)
	if strings.Contains(body, "Ask for an item on the agenda") || strings.Contains(body, "<h3") ||
		!strings.Contains(body, `<h2 id="your-requests">Your requests for agenda items</h2>`) {
		t.Errorf("after the deadline, the requests lack a heading of their own:\n%s", body)
	}
	osktest.WantOnPage(t, "the meeting's page after the deadline", body, "Accessible venues: waiting for the board")
}

// Each request's box for the reason of a refusal says which request it is
// about, so that a link from the error summary lands on a field that
// says so; the page names the meeting, as the edit page does.
func TestPages_RequestsPageNamesTheMeetingAndEachRequest(t *testing.T) {
	f := newFixture(t)
	ada, _ := f.Member("Ada Member")
	bob, _ := f.Member("Bob Member")
	m := f.convenedWhileAsking()
	solar, err := f.svc.RequestItem(f.ctx, ada, m.ID, meetings.ItemRequestInput{Title: "Solar panels"})
	if err != nil {
		t.Fatal(err)
	}
	party, err := f.svc.RequestItem(f.ctx, bob, m.ID, meetings.ItemRequestInput{Title: "A summer party"})
	if err != nil {
		t.Fatal(err)
	}
	board := f.Client(f.board)
	page := fmt.Sprintf("/meetings/%d/requests", m.ID)
	label := func(r meetings.ItemRequest, who string) string {
		return fmt.Sprintf(`<label for="reason-%d">Or decline it, with the reason the member is told<span class="visually-hidden">: %s, asked by %s</span></label>`, r.ID, r.Title, who)
	}
	body := string(board.Get(page).Body)
	osktest.WantOnPage(t, "the requests page", body,
		"<title>Members&#39; requests for agenda items at Extraordinary general meeting · Osk</title>",
		"<h1>Members&#39; requests for agenda items at Extraordinary general meeting</h1>",
		label(solar, "Ada Member (member "+strconv.Itoa(memberNoOf(t, f, solar.MemberID))+")"),
		label(party, "Bob Member (member "+strconv.Itoa(memberNoOf(t, f, party.MemberID))+")"),
	)
	r := board.Do(http.MethodPost, fmt.Sprintf("%s/%d/decline", page, party.ID), url.Values{"reason": {" "}})
	osktest.WantOnPage(t, "the requests page after a refused decision", string(r.Body),
		fmt.Sprintf(`<a href="#reason-%d">`, party.ID),
		fmt.Sprintf(`<span class="field-error" id="reason-%d-error">`, party.ID),
	)

	osktest.WantOnPage(t, "the edit page", string(board.Get(fmt.Sprintf("/meetings/%d/edit", m.ID)).Body),
		"<title>Change the details of Extraordinary general meeting · Osk</title>",
		"<h1>Change the details of Extraordinary general meeting</h1>",
	)
}

// convenedWhileAsking convenes a meeting far enough ahead that members may
// still ask for agenda items.
func (f *fixture) convenedWhileAsking() meetings.Meeting {
	f.t.Helper()
	m, err := f.svc.Convene(f.ctx, f.board, f.draftAt(f.now().Add(45*24*time.Hour)).ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

func memberNoOf(t *testing.T, f *fixture, id int64) int {
	t.Helper()
	sums, err := f.inst.Server.Members.SummariesOf(f.ctx, []int64{id})
	if err != nil {
		t.Fatal(err)
	}
	return sums[id].MemberNo
}

// Once the notice offered remote participation, the edit page keeps it
// and says why, rather than offer a box whose unticking is refused.
func TestEditPage_KeepsTheRemoteParticipationTheNoticeOffered(t *testing.T) {
	f := newFixture(t)
	m := f.convened()
	board := f.Client(f.board)
	edit := fmt.Sprintf("/meetings/%d/edit", m.ID)
	osktest.WantOnPage(t, "the edit page", string(board.Get(edit).Body),
		`<input type="hidden" name="remote_allowed" value="yes">`,
		"Members may take part remotely: the notice offered it, and members may have counted on it.")
	r := board.Do(http.MethodPost, edit, url.Values{"location": {"Room 3, Kaisaniemenkatu 1"}, "remote_allowed": {"yes"},
		"online_url": {"https://meet.example.org/osk-room-3"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("a new place and link: %d\n%s", r.StatusCode, r.Body)
	}
	if got, _ := f.svc.Get(f.ctx, m.ID); !got.RemoteAllowed || got.OnlineURL != "https://meet.example.org/osk-room-3" {
		t.Fatalf("after the edit: %+v", got)
	}
}

// An officer named by email is the holder of a confirmed address: not
// whoever signed in with it through a provider that checks no address.
func TestOfficersPage_NamesOnlyConfirmedEmails(t *testing.T) {
	f := newFixture(t)
	m := f.convened()
	if _, err := f.inst.Server.Auth.SignIn(f.ctx, auth.Identity{Provider: "oidc", Issuer: "https://anyone.example.org", Subject: "chair-elect",
		Email: "chair.elect@example.org", Name: "Not The Chair"}); err != nil {
		t.Fatal(err)
	}
	board := f.Client(f.board)
	page := fmt.Sprintf("/meetings/%d/officers", m.ID)
	board.Get(page)
	r := board.Do(http.MethodPost, page, url.Values{"chair": {"chair.elect@example.org"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "Nobody confirmed that Not The Chair, who signed in as chair.elect@example.org") {
		t.Fatalf("an unconfirmed chair: %d\n%s", r.StatusCode, r.Body)
	}
	if got, _ := f.svc.Get(f.ctx, m.ID); got.Officers.ChairAccountID != nil {
		t.Fatalf("the chair is %d", *got.Officers.ChairAccountID)
	}
}
