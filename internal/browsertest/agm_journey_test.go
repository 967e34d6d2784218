package browsertest_test

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/browsertest"
	"github.com/citizen-network/osk/internal/osktest"
)

// The annual general meeting from end to end, each step in the browser as
// its person does it: a visitor applies and is admitted, and asks the
// board for an agenda item; the board drafts the meeting, puts her item on
// its agenda, appoints its officers and convenes it; a member authorises
// a proxy; on the day, members register as present, the chair opens the
// session and a ballot, members vote (one again from a second tab, and the
// proxy holder twice), and the chair closes the ballot while a member
// watches the result arrive; the secretary writes the minutes, the chair
// and the minute checker sign them, a member finds them in the archive,
// and the auditor verifies the record and downloads the meeting's audit
// bundle. Only the people it starts with are made through the services,
// and the clock is moved to the day of the meeting.
func TestJourney_AnnualGeneralMeeting(t *testing.T) {
	t.Parallel()
	inst := osktest.Start(t, osktest.Options{})
	board := newAccount(t, inst, "bo@example.org", "Bo Board", auth.RoleBoard)
	newAccount(t, inst, "ines@example.org", "Ines Auditor", auth.RoleAuditor)
	newMember(t, inst, board, "cleo@example.org", "Cleo Chair")
	newMember(t, inst, board, "cai@example.org", "Cai Checker")
	newMember(t, inst, board, "pia@example.org", "Pia Holder")
	newMember(t, inst, board, "otto@example.org", "Otto Away")

	ada := browsertest.Open(t, inst.URL, browsertest.As("Ada, the new member"), browsertest.InZone("America/Sao_Paulo"))
	bo := browsertest.Open(t, inst.URL, browsertest.As("Bo, of the board and secretary"))
	cleo := browsertest.Open(t, inst.URL, browsertest.As("Cleo, the chair"))
	cai := browsertest.Open(t, inst.URL, browsertest.As("Cai, the minute checker"))
	pia := browsertest.Open(t, inst.URL, browsertest.As("Pia, the proxy holder"))
	otto := browsertest.Open(t, inst.URL, browsertest.As("Otto, represented by proxy"))
	ines := browsertest.Open(t, inst.URL, browsertest.As("Ines, the auditor"))

	// A visitor applies, and the board admits her.
	ada.SignIn("ada@example.org", "Ada Lovelace")
	ada.ClickLink("Apply to become a member-owner of the co-op")
	ada.Check("I am applying for myself, as an individual")
	ada.Select("Country", "Finland")
	ada.Check("I accept the co-op's rules")
	ada.Submit("Send my application")
	ada.See("your application has gone to the board")

	bo.SignIn("bo@example.org", "Bo Board")
	bo.ClickLink("Members")
	bo.ClickLink("Applications (1)")
	bo.ClickLink("Ada Lovelace")
	bo.ClickLink("Admit as a member")
	bo.Submit("Admit as a member")
	bo.See("The applicant is now a member")

	// While she waited, her menu offered no meetings; told that she is
	// admitted, Ada comes back to her membership page, and it does.
	if ada.Has(browsertest.Link("Meetings")) {
		t.Error("the menu offers an applicant the meetings")
	}
	ada.Reload()
	ada.See("Active member")

	// No meeting is announced yet: Ada asks the board for an item at the
	// next one.
	ada.ClickLink("Meetings")
	ada.ClickLink("Ask the board for an item at the next general meeting")
	ada.Type("The matter you want a general meeting to handle", "Accessible venues for every meeting")
	ada.Submit("Send to the board")
	ada.See("Your request went to the board.")
	ada.See("Accessible venues for every meeting: waiting for the board to prepare the next general meeting")

	// The board drafts the meeting for 18:00 eight days ahead, in Helsinki,
	// the default zone of the form: the rules want the notice out at least
	// seven days before.
	helsinki, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		t.Fatal(err)
	}
	day := inst.Clock.Now().In(helsinki).AddDate(0, 0, 8)
	starts := time.Date(day.Year(), day.Month(), day.Day(), 18, 0, 0, 0, helsinki)
	title := fmt.Sprintf("Annual general meeting %d", starts.Year())
	bo.ClickLink("Meetings")
	bo.ClickLink("Draft a new meeting")
	bo.Check("Annual general meeting (its statutory agenda items are filled in for you)")
	bo.Type("Title", title)
	if got := bo.Value("Time zone of the meeting"); got != "Europe/Helsinki" {
		t.Fatalf("the form offers the time zone %q, want Europe/Helsinki", got)
	}
	bo.Type("Starts", starts.Format("2006-01-02T15:04"))
	bo.Type("Ends", starts.Add(2*time.Hour).Format("2006-01-02T15:04"))
	bo.Type("Place (optional)", "Mannerheimintie 1, 00100 Helsinki")
	bo.Submit("Save as a draft")
	bo.See("The meeting was saved as a draft.")
	bo.See("Adopting the financial statements")
	meetingID := idIn(t, bo.Path(), "/meetings/")

	// The board puts Ada's request on the draft's agenda.
	bo.ClickLink("Members' requests for agenda items")
	bo.See("before any notice, for the next general meeting")
	bo.Submit("Put it on the agenda: Accessible venues for every meeting")
	bo.See("The decision was recorded and the member told by email.")
	bo.ClickLink("Back to the meeting")
	bo.See("Accessible venues for every meeting")

	bo.ClickLink("Appoint the chair, the secretary and the minute checkers")
	bo.Type("Chair's email address (optional)", "cleo@example.org")
	bo.Type("Secretary's email address (optional)", "bo@example.org")
	bo.Type("Minute checkers' email addresses (optional)", "cai@example.org")
	bo.Submit("Save the officers")
	bo.See("The officers were saved.")
	for term, want := range map[string]string{"Chair": "Cleo Chair", "Secretary": "Bo Board", "Minute checkers": "Cai Checker"} {
		if got := bo.Definition(term); got != want {
			t.Errorf("the meeting's page names %q as %s, want %q", got, term, want)
		}
	}

	bo.ClickLink("Convene the meeting: send the notice")
	bo.Submit("Convene the meeting and send the notice")
	bo.See("The meeting is convened")

	// The board's motion, under the item on the surplus.
	const motion = "Use of the surplus"
	bo.ClickLink("The motions and amendments of this meeting")
	bo.Type("Title", motion)
	bo.Type("The text of the motion", "The surplus of the financial year goes to the reserve fund.")
	bo.Select("Agenda item (optional)", "7. Use of the surplus shown on the balance sheet")
	bo.Submit("Propose the motion")
	bo.See("The board's motion is recorded.")

	// Otto will be away: he asks Pia for her member number and authorises
	// her to act for him.
	pia.SignIn("pia@example.org", "Pia Holder")
	pia.ClickLink("Membership")
	piaNo := pia.Definition("Member number")
	otto.SignIn("otto@example.org", "Otto Away")
	otto.ClickLink("Membership")
	ottoNo := otto.Definition("Member number")
	otto.ClickLink("Meetings")
	otto.ClickLink(title)
	otto.Type("Authorise a proxy: the member number of the member who will act for you", piaNo)
	otto.Submit("Authorise this member")
	otto.See("Your proxy is authorised.")
	otto.See(fmt.Sprintf("You have authorised Pia Holder (member %s) to act for you", piaNo))

	// The day of the meeting, half an hour before the start: the room is
	// open for registering.
	inst.Clock.Set(starts.Add(-30 * time.Minute))
	t.Logf("the clock moves to %s", inst.Clock.Now().In(helsinki).Format(time.RFC3339))

	for _, member := range []*browsertest.Page{ada, pia} {
		member.ClickLink("Meetings")
		member.ClickLink(title)
		member.Submit("Register as present")
		member.See("You are registered as present.")
	}
	pia.See("You hold 1 proxy for this meeting.")

	cleo.SignIn("cleo@example.org", "Cleo Chair")
	cleo.ClickLink("Meetings")
	cleo.ClickLink(title)
	cleo.Submit("Open the session")
	cleo.See("The session is open.")
	cleo.ClickLink("The motions and amendments of this meeting")
	cleo.ClickLink(motion)
	cleo.Check("No, an open ballot")
	cleo.Check("The members represented at the meeting now")
	cleo.Submit("Open the ballot")
	cleo.See("The ballot is open.")
	cleo.ClickLink("The ballot on this motion: vote here")
	cleo.See("0 of 3 members on the voting list have voted")

	// Ada, on the meeting's page, hears of the ballot; reloaded, the page
	// shows it first, with a link to vote. She loads the ballot in a
	// second tab too, and votes in the first.
	ada.WaitToSee("A ballot is open.")
	ada.ClickLink("Reload the page")
	ada.ClickLink("Vote on “" + motion + "”")
	// Ada lives in São Paulo: the ballot's times are in Helsinki's zone,
	// and in hers as well.
	ada.See("(Europe/Helsinki;")
	ada.See("your time:")
	ballot := ada.Path()
	adaAgain := ada.NewTab(browsertest.As("Ada, in a second tab"))
	adaAgain.Visit(ballot)
	ada.Check("For")
	ada.Submit("Cast this vote")
	ada.See("Your vote: recorded.")
	ada.See("Your receipt")

	// From the second tab, her form is refused: a vote is final.
	adaAgain.Check("Against")
	adaAgain.Submit("Cast this vote")
	if adaAgain.Status() != 409 {
		t.Errorf("a second vote answered %d, want 409", adaAgain.Status())
	}
	adaAgain.See("This member's vote is already recorded. A vote is final: it cannot be cast again or changed.")
	adaAgain.See("You have voted.")
	if adaAgain.Has(browsertest.Button("Cast this vote")) {
		t.Error("the ballot offers Ada a second vote")
	}

	// Pia votes twice: for Otto, whose proxy she holds, and for herself.
	pia.ClickLink("Meetings")
	pia.ClickLink(title)
	pia.ClickLink("Vote on “" + motion + "”")
	forOtto := fmt.Sprintf("Your vote for Otto Away (member %s), as the holder of their proxy", ottoNo)
	own := fmt.Sprintf("Your own vote (member %s)", piaNo)
	pia.See(forOtto)
	pia.See(own)
	pia.Within(browsertest.FormWith(forOtto)).Check("Against")
	pia.Within(browsertest.FormWith(forOtto)).Submit(fmt.Sprintf("Cast the vote of Otto Away (member %s)", ottoNo))
	pia.See(forOtto + ": recorded.")
	pia.ClickLink("Cast the other vote you hold")
	pia.Within(browsertest.FormWith(own)).Check("For")
	pia.Within(browsertest.FormWith(own)).Submit(fmt.Sprintf("Cast your own vote (member %s)", piaNo))
	pia.See(own + ": recorded.")
	if pia.Has(browsertest.Link("Cast the other vote you hold")) {
		t.Error("after both votes, Pia is offered another")
	}

	// Ada goes back to the ballot and keeps it open; the chair's page
	// counted the votes as they came, and the chair closes the ballot.
	ada.ClickLink("Back to the ballot")
	ada.See("Open for voting")
	cleo.WaitToSee("3 of 3 members on the voting list have voted")
	cleo.Submit("Close the ballot and count")
	cleo.See("The ballot is closed and counted.")
	cleo.See("The motion is carried.")
	for term, want := range map[string]string{"For": "2", "Against": "1", "Votes cast": "3 of 3 on the voting list"} {
		if got := cleo.Definition(term); got != want {
			t.Errorf("the result shows %s: %q, want %q", term, got, want)
		}
	}

	// Ada's page shows the result without a reload: the link to reload is
	// written by the page's script when the news arrives.
	ada.WaitToSee("The ballot is decided: carried.")
	ada.See("Closed and decided")
	ada.See("Reload the page to see it")
	ada.CheckA11y()
	// The second tab, left on the answer to its refused vote, hears the
	// news too, and its link leads to the ballot's page.
	adaAgain.WaitToSee("The ballot is decided: carried.")
	adaAgain.ClickLink("Reload the page to see it")
	adaAgain.See("The motion is carried.")

	cleo.ClickLink(title)
	cleo.ClickLink("Close the session")
	cleo.See("it cannot be undone")
	cleo.Submit("Close the session now")
	cleo.See("The session is closed.")
	cleo.See("At the session: 2 present, 1 by proxy, 3 represented")

	// The secretary writes the minutes from the pre-filled draft, adds
	// what the meeting said, saves and submits them.
	const said = "\nThe meeting thanked the board for the new bicycle shed.\n"
	minutes := "Minutes: " + title
	bo.ClickLink("Minutes")
	bo.See("Write the minutes: the first draft is pre-filled from the meeting's record.")
	bo.ClickLink(minutes)
	bo.ClickLink("Write the minutes")
	bo.See("This first draft is pre-filled from the meeting's record.")
	draft := bo.Value("The text, in Markdown")
	for _, want := range []string{"# " + minutes, "Cleo Chair", "Pia Holder", "Motion: " + motion} {
		if !strings.Contains(draft, want) {
			t.Errorf("the pre-filled draft lacks %q:\n%s", want, draft)
		}
	}
	bo.Append("The text, in Markdown", said)
	bo.Submit("Save as a new version")
	bo.See("A new version is saved.")
	bo.Submit("Submit version 1 for signing")
	bo.See("The text went to the chair and the minute checkers to sign.")

	cleo.ClickLink("Minutes")
	cleo.ClickLink(minutes)
	cleo.Submit("Sign version 1")
	cleo.See("Your signature is recorded.")

	cai.SignIn("cai@example.org", "Cai Checker")
	cai.ClickLink("Minutes")
	cai.See("Sign the text, or send it back with a comment.")
	cai.ClickLink(minutes)
	cai.Submit("Sign version 1")
	cai.See("Your signature was the last one: the text is sealed and published to members.")

	// A member finds the minutes by a word in them.
	ada.ClickLink("Minutes")
	ada.Type("Search the minutes", "bicycle")
	ada.Submit("Search")
	ada.ClickLink(minutes)
	ada.See(strings.TrimSpace(said))
	ada.See("Signatures and seal")

	// The auditor verifies the whole record and downloads the meeting's
	// audit bundle, from the verification's list of meetings and from the
	// meeting's page.
	ines.SignIn("ines@example.org", "Ines Auditor")
	ines.ClickLink("Audit")
	ines.ClickLink("Verify the whole record")
	ines.See("The record is intact.")
	checkBundle(t, meetingID, ines.FetchLink("Download the audit bundle (JSON) of "+title))
	ines.ClickLink("Meetings")
	ines.ClickLink(title)
	checkBundle(t, meetingID, ines.FetchLink("Download the audit bundle (JSON)"))
}

// checkBundle fails t unless b is the audit bundle of the meeting: JSON
// from its address in the API.
func checkBundle(t *testing.T, meetingID int64, b browsertest.Fetched) {
	t.Helper()
	if want := fmt.Sprintf("/api/v1/audit/meetings/%d/bundle", meetingID); !strings.HasSuffix(b.URL, want) {
		t.Errorf("the bundle comes from %s, want %s", b.URL, want)
	}
	if b.Status != 200 {
		t.Fatalf("the audit bundle answered %d: %.500s", b.Status, b.Body)
	}
	if mt, _, err := mime.ParseMediaType(b.ContentType); err != nil || mt != "application/json" {
		t.Errorf("the audit bundle is %q, want application/json", b.ContentType)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(b.Body), &doc); err != nil {
		t.Errorf("the audit bundle is not a JSON object: %v", err)
	}
}

// idIn reads the id after prefix in a page's path, such as 7 in
// /meetings/7?done=created.
func idIn(t *testing.T, path, prefix string) int64 {
	t.Helper()
	u, err := url.Parse(path)
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	if _, err := fmt.Sscanf(strings.TrimPrefix(u.Path, prefix), "%d", &id); err != nil || !strings.HasPrefix(u.Path, prefix) {
		t.Fatalf("no id after %s in %s", prefix, path)
	}
	return id
}
