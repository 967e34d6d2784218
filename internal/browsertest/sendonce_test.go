package browsertest_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/browsertest"
	"github.com/citizen-network/osk/internal/osktest"
)

// A board member clicks "Save as a draft" a second time before the answer
// comes, as a double-click or a slow connection makes people do: the form
// is sent once, and one meeting is drafted. A search, which changes
// nothing, is sent as often as it is asked for.
func TestJourney_ASecondClickSendsNoSecondForm(t *testing.T) {
	t.Parallel()
	inst := osktest.Start(t, osktest.Options{})
	newAccount(t, inst, "bea@example.org", "Bea Board", auth.RoleBoard)
	p := browsertest.Open(t, inst.URL)
	p.SignIn("bea@example.org", "Bea Board")

	starts := inst.Clock.Now().AddDate(0, 0, 10).Truncate(time.Hour)
	p.ClickLink("Meetings")
	p.ClickLink("Draft a new meeting")
	p.Check("Annual general meeting (its statutory agenda items are filled in for you)")
	p.Type("Title", "Annual general meeting")
	p.Type("Starts", starts.Format("2006-01-02T15:04"))
	p.Type("Ends", starts.Add(2*time.Hour).Format("2006-01-02T15:04"))
	if sent := p.ClickTwice(browsertest.Button("Save as a draft")); sent != 1 {
		t.Errorf("two clicks sent the form %d times, want once", sent)
	}
	p.See("The meeting was saved as a draft.")
	var meetings int
	if err := inst.DB.Get(&meetings, `SELECT count(*) FROM meetings`); err != nil {
		t.Fatal(err)
	}
	if meetings != 1 {
		t.Errorf("%d meetings drafted, want 1", meetings)
	}

	p.ClickLink("Members")
	p.Type("Search by name, email address or member number", "Bea")
	if sent := p.ClickTwice(browsertest.Button("Search")); sent != 2 {
		t.Errorf("two clicks sent the search %d times, want twice", sent)
	}
}

// A form sent is busy, and refuses to be sent again, until the page
// changes, or until the page comes back from the browser's cache by Back,
// as it was left. A form that only asks for a page (GET) is never busy.
func TestSendOnce_BusyUntilThePageComesBack(t *testing.T) {
	t.Parallel()
	inst := osktest.Start(t, osktest.Options{})
	newAccount(t, inst, "bea@example.org", "Bea Board", auth.RoleBoard)
	p := browsertest.Open(t, inst.URL)
	p.SignIn("bea@example.org", "Bea Board")
	p.ClickLink("Members")

	// Submit events sent by a script do not send the form: they show what
	// osk.js makes of a submission without leaving the page.
	const probe = `(() => {
		const button = text => Array.from(document.querySelectorAll("button")).find(b => b.textContent.trim() === text);
		const send = b => b.form.dispatchEvent(new SubmitEvent("submit", {bubbles: true, cancelable: true, submitter: b}));
		const state = b => b.form.getAttribute("aria-busy") + " " + b.getAttribute("aria-disabled");
		const back = () => window.dispatchEvent(new PageTransitionEvent("pageshow", {persisted: true}));
		const post = button("Sign out"), get = button("Search");
		const out = {};
		out.first = send(post);
		out.busy = state(post);
		out.again = send(post);
		back();
		out.back = state(post);
		out.afterBack = send(post);
		back();
		out.search = send(get) && send(get);
		out.searchState = state(get);
		return JSON.stringify(out);
	})()`
	ctx, cancel := context.WithTimeout(p.Context(), 20*time.Second)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](probe))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		First, Again, AfterBack, Search bool
		Busy, Back, SearchState         string
	}
	if err := json.Unmarshal([]byte(raw), &got); err != nil {
		t.Fatal(err)
	}
	want := struct {
		First, Again, AfterBack, Search bool
		Busy, Back, SearchState         string
	}{First: true, Again: false, AfterBack: true, Search: true, Busy: "true true", Back: "null null", SearchState: "null null"}
	if got != want {
		t.Fatalf("the forms went %+v, want %+v", got, want)
	}
}
