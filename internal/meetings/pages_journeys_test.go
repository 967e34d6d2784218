package meetings_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/osktest"
)

// A closed meeting tells who was represented at its session, each member
// once, though the close recorded everyone as leaving; its attendance
// page says who stayed until the close rather than that everyone left.
func TestPages_ClosedMeetingShowsWhoWasRepresentedAtTheSession(t *testing.T) {
	f := newFixture(t)
	ada, adaM := f.Member("Ada Member")
	bob, _ := f.Member("Bob Member")
	cara, _ := f.Member("Cara Member")
	dan, _ := f.Member("Dan Member")
	f.Member("Eve Away")
	m := f.inSession(f.board)
	if _, err := f.svc.GrantProxy(f.ctx, dan, m.ID, meetings.ProxyInput{HolderMemberID: adaM.ID}); err != nil {
		t.Fatal(err)
	}
	f.attend(ada, m.ID, meetings.ModeInPerson, nil)
	f.attend(bob, m.ID, meetings.ModeRemote, nil)
	f.attend(cara, m.ID, meetings.ModeInPerson, nil)
	// Cara comes back remotely after leaving: she counts once.
	if err := f.svc.Leave(f.ctx, cara, m.ID, nil); err != nil {
		t.Fatal(err)
	}
	f.attend(cara, m.ID, meetings.ModeRemote, nil)
	if err := f.svc.Leave(f.ctx, cara, m.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Close(f.ctx, f.board, m.ID); err != nil {
		t.Fatal(err)
	}

	page := fmt.Sprintf("/meetings/%d", m.ID)
	body := string(f.Client(ada).Get(page).Body)
	osktest.WantOnPage(t, "the page of a closed meeting", body,
		"At the session: 3 present, 1 by proxy, 4 represented of 5 active members.")
	if strings.Contains(body, `data-live="present">0<`) {
		t.Error("the closed meeting's page still counts those present now: nobody")
	}

	body = string(f.Client(f.board).Get(page + "/attendance").Body)
	osktest.WantOnPage(t, "the attendance of a closed meeting", body,
		"At the session: 3 present, 1 by proxy, 4 represented of 5 active members.",
		"<td>Until the close, in person</td>", "<td>Until the close, remotely</td>", "<td>At the close, <time")
	if n := strings.Count(body, "<td>Left</td>"); n != 1 {
		t.Errorf("%d members are said to have left before the close, want 1 (Cara)", n)
	}
}

// A member admitted after the record date may take part but votes at no
// ballot of the meeting: the page says so, and says whether each proxy
// given or held carries a vote.
func TestPages_MemberAdmittedAfterTheRecordDateIsToldTheyCannotVote(t *testing.T) {
	f := newFixture(t)
	ada, adaM := f.Member("Ada Member")
	bob, bobM := f.Member("Bob Member")
	m := f.convened()
	// The record date is the day of convening: Lea joins the day after.
	f.inst.Clock.Advance(36 * time.Hour)
	lea, leaM := f.Member("Lea Late")
	page := fmt.Sprintf("/meetings/%d", m.ID)
	cannot := "<strong>You cannot vote at this meeting.</strong> Only members who were active on its record date, "

	body := string(f.Client(lea).Get(page).Body)
	osktest.WantOnPage(t, "the page of a member admitted after the record date", body,
		cannot,
		osktest.ShownAt(t, *m.RecordDate, "Europe/Helsinki")[0],
		"You may still take part, and act for other members as their proxy.",
		"The proxy lets them take part, but carries no vote: you were not an active member on the record date.",
	)
	body = string(f.Client(ada).Get(page).Body)
	if strings.Contains(body, "cannot vote") {
		t.Error("a member active on the record date is told they cannot vote")
	}
	osktest.WantOnPage(t, "the page of a member active on the record date", body,
		"The proxy carries your vote: they cast it in the ballots.")

	if _, err := f.svc.GrantProxy(f.ctx, lea, m.ID, meetings.ProxyInput{HolderMemberID: adaM.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.GrantProxy(f.ctx, bob, m.ID, meetings.ProxyInput{HolderMemberID: adaM.ID}); err != nil {
		t.Fatal(err)
	}
	body = string(f.Client(ada).Get(page).Body)
	osktest.WantOnPage(t, "the page of a holder of two proxies", body,
		"You hold 2 proxies for this meeting.",
		fmt.Sprintf("<li>For Lea Late (member %s): it carries no vote, as they were not an active member on the record date.</li>", memberNo(leaM)),
		fmt.Sprintf("<li>For Bob Member (member %s): it carries their vote.</li>", memberNo(bobM)),
	)
	osktest.WantOnPage(t, "the page of a late member who gave a proxy", string(f.Client(lea).Get(page).Body),
		"to act for you. It carries no vote, as you were not an active member on the record date.")
	osktest.WantOnPage(t, "the page of a member who gave a proxy", string(f.Client(bob).Get(page).Body),
		"to act for you. It carries your vote.")
}

// The notice and the meeting's page link a calendar file that a person
// can open from an email: signed out, they are sent to sign in and
// brought back to it. The API's address answers programs as before.
func TestPages_CalendarLinkWorksForAPersonSignedOut(t *testing.T) {
	f := newFixture(t)
	ada, _ := f.Member("Ada Member")
	m := f.convened()
	file := fmt.Sprintf("/meetings/%d/calendar.ics", m.ID)

	notices := f.mailTo(ada.Email)
	if len(notices) != 1 || !strings.Contains(notices[0].Body, "Add the meeting to your calendar: "+f.inst.URL+file+"\n") {
		t.Fatalf("the notice does not link the calendar file for people: %+v", notices)
	}
	osktest.WantOnPage(t, "the meeting's page", string(f.Client(ada).Get(fmt.Sprintf("/meetings/%d", m.ID)).Body),
		`<a href="`+file+`">Add this meeting to your calendar (iCalendar file)</a>`)

	anonymous := f.inst.Client(t)
	r := anonymous.Get(file)
	if want := "/signin?return=" + url.QueryEscape(file); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != want {
		t.Fatalf("signed out: %d to %q, want 303 to %q", r.StatusCode, r.Header.Get("Location"), want)
	}
	r = f.Client(ada).Get(file)
	if r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/calendar") || !strings.HasPrefix(string(r.Body), "BEGIN:VCALENDAR") {
		t.Fatalf("signed in: %d %s\n%s", r.StatusCode, r.Header.Get("Content-Type"), r.Body)
	}
	if r := anonymous.Get(fmt.Sprintf("/api/v1/meetings/%d/calendar.ics", m.ID)); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("the API's calendar file signed out: %d, want 401", r.StatusCode)
	}
}

// Where a request for an agenda item goes depends on the meetings
// announced, and the list of meetings and the page for asking say so.
func TestPages_AskingForAnItemSaysWhereTheRequestGoes(t *testing.T) {
	f := newFixture(t)
	ada, _ := f.Member("Ada Member")
	client := f.Client(ada)

	osktest.WantOnPage(t, "the meetings with none announced", string(client.Get("/meetings").Body),
		`<a href="/requests">Ask the board for an item at the next general meeting</a>`)
	osktest.WantOnPage(t, "the page for asking with no meeting announced", string(client.Get("/requests").Body),
		"Ask here while no meeting is announced yet")

	m := f.convenedWhileAsking()
	body := string(client.Get("/meetings").Body)
	osktest.WantOnPage(t, "the meetings with one taking requests", body,
		fmt.Sprintf(`<a href="/meetings/%d#ask">Ask for an item on the agenda of Extraordinary general meeting</a>, until `, m.ID))
	if strings.Contains(body, "at the next general meeting") {
		t.Error("the meetings offer to ask for an item at the next general meeting while one announced takes requests")
	}
	body = string(client.Get("/requests").Body)
	osktest.WantOnPage(t, "the page for asking while a meeting takes requests", body,
		fmt.Sprintf(`<a href="/meetings/%d#ask">Ask for an item at Extraordinary general meeting</a>, until `, m.ID),
		"A request sent here instead goes to the board for a later general meeting")
	if strings.Contains(body, "while no meeting is announced yet") {
		t.Error("the page for asking says no meeting is announced while one is")
	}

	f.inst.Clock.Set(m.MemberMotionDeadline.Add(time.Hour))
	osktest.WantOnPage(t, "the meetings once the deadline passed", string(client.Get("/meetings").Body),
		`<a href="/requests">Ask the board for an item at the general meeting after Extraordinary general meeting</a>: the deadline for items at Extraordinary general meeting was `)
	body = string(client.Get("/requests").Body)
	osktest.WantOnPage(t, "the page for asking once the deadline passed", body,
		"A request you send here now goes to the board for the general meeting after it")
	if strings.Contains(body, "while no meeting is announced yet") {
		t.Error("the page for asking says no meeting is announced while one is")
	}
}

// The notice previewed before convening says when the link for taking
// part remotely is missing, and the page says what can still change
// once the notice is out.
func TestPages_ConvenePageSaysWhatIsMissingAndWhatCanChange(t *testing.T) {
	f := newFixture(t)
	start := f.now().Add(20 * 24 * time.Hour).Truncate(time.Minute)
	m, err := f.svc.Create(f.ctx, f.board, meetings.Draft{
		Kind: meetings.KindExtraordinary, Title: "Online meeting", StartsAt: rfc(start), EndsAt: rfc(start.Add(2 * time.Hour)),
		TimeZone: "Europe/Helsinki", RemoteAllowed: true, Agenda: []meetings.ItemInput{{Title: "Opening of the meeting"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	board := f.Client(f.board)
	page := fmt.Sprintf("/meetings/%d/convene", m.ID)
	body := string(board.Get(page).Body)
	osktest.WantOnPage(t, "the convene page", body,
		"Taking part remotely: allowed, but the link is missing: the meeting cannot be convened without it\n",
		"After that, the time and the items the notice lists cannot change. The place and the link for taking part remotely still can",
		"The board can still add an item until ",
		", but none that changes the rules or is weighty: members then receive a supplementary notice.",
	)
	if strings.Contains(body, "allowed, at \n") || strings.Contains(body, "the agenda cannot change") {
		t.Errorf("the convene page says what is not so:\n%s", body)
	}
	osktest.WantOnPage(t, "the meeting's page", string(board.Get(fmt.Sprintf("/meetings/%d", m.ID)).Body),
		"<dt>Taking part remotely</dt><dd>Allowed, but the link is missing</dd>")
}

// The agenda of a convened meeting offers the form to add an item only
// while an item would be taken, and says until when.
func TestPages_AgendaOffersNoItemOnceTooLate(t *testing.T) {
	f := newFixture(t)
	m := f.convened()
	board := f.Client(f.board)
	page := fmt.Sprintf("/meetings/%d/agenda", m.ID)
	until := m.StartsAt.Add(-7 * 24 * time.Hour)

	// Two weeks ahead: too late for a weighty item (30 days), not for
	// another (7 days).
	body := string(board.Get(page).Body)
	osktest.WantOnPage(t, "the agenda two weeks ahead", body,
		"You can still add an item until "+osktest.ShownAt(t, until, "Europe/Helsinki")[0],
		"It is too late for an item that changes the rules or is weighty: members must have its notice at least 30 days before the meeting.",
		"<h2>Add an item</h2>")
	if strings.Contains(body, `id="rule_change"`) || strings.Contains(body, `id="weighty"`) {
		t.Error("the agenda offers a weighty item or a rule change when it is too late for one")
	}

	f.inst.Clock.Set(until.Add(time.Minute))
	body = string(board.Get(page).Body)
	osktest.WantOnPage(t, "the agenda once too late", body,
		"it is too late to add an item: members must have the notice of an item at least 7 days before the meeting, so the last moment was "+osktest.ShownAt(t, until, "Europe/Helsinki")[0])
	if strings.Contains(body, "Add an item") || strings.Contains(body, `action="/meetings/`+fmt.Sprint(m.ID)+`/agenda"`) {
		t.Error("the agenda offers the form to add an item once it is too late")
	}
}

// Closing the session cannot be undone: the chair confirms it on a page
// of its own. A closed meeting has nothing to take part in, and no
// heading for it.
func TestPages_ClosingTheSessionIsConfirmedAndLeavesNoTakingPart(t *testing.T) {
	f := newFixture(t)
	chair, _ := f.Member("Cleo Chair")
	ada, _ := f.Member("Ada Member")
	m := f.inSession(chair)
	f.attend(ada, m.ID, meetings.ModeInPerson, nil)
	page := fmt.Sprintf("/meetings/%d", m.ID)
	cleo := f.Client(chair)

	body := string(cleo.Get(page).Body)
	osktest.WantOnPage(t, "the chair's page in session", body,
		fmt.Sprintf(`<a class="button warning" href="%s/close">Close the session</a>`, page))
	if strings.Contains(body, `action="`+page+`/close"`) {
		t.Error("the meeting's page closes the session in one click")
	}
	osktest.WantOnPage(t, "the confirmation", string(cleo.Get(page+"/close").Body),
		"Closing the session ends the meeting, and it cannot be undone",
		"the member still present is recorded as leaving at the close",
		fmt.Sprintf(`<form method="post" action="%s/close">`, page),
		">Close the session now</button>")
	if r := f.Client(ada).Get(page + "/close"); r.StatusCode != http.StatusForbidden {
		t.Errorf("a member asks to close the session: %d, want 403", r.StatusCode)
	}
	if r := cleo.Do(http.MethodPost, page+"/close", url.Values{}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("the close: %d\n%s", r.StatusCode, r.Body)
	}

	body = string(f.Client(ada).Get(page).Body)
	if strings.Contains(body, `<h2 id="taking-part">`) || strings.Contains(body, "Chairing the meeting") {
		t.Errorf("the closed meeting's page has a heading with nothing under it:\n%s", body)
	}
	if strings.Contains(string(cleo.Get(page).Body), "Chairing the meeting") {
		t.Error("the chair's page of a closed meeting has a heading with nothing under it")
	}
}
