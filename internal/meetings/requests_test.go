package meetings_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/osktest"
)

// Before any notice is out, no meeting is visible to members: a request
// then goes to the board for the next general meeting, and the board
// decides on it from a meeting it prepares.
func TestAskBoard_BeforeAnyNoticeTheRequestWaitsForAMeeting(t *testing.T) {
	f := newFixture(t)
	ada, a := f.Member("Ada Member")
	outsider := f.Person("Not A Member")
	requests := func() int { return f.inst.DB.Count(t, `SELECT count(*) FROM meeting_item_requests`) }

	_, err := f.svc.AskBoard(f.ctx, outsider, meetings.ItemRequestInput{Title: "Solar panels"})
	osktest.WantKind(t, err, errs.Forbidden)
	_, err = f.svc.AskBoard(f.ctx, f.auditor, meetings.ItemRequestInput{Title: "Solar panels"})
	osktest.WantKind(t, err, errs.Forbidden)
	_, err = f.svc.AskBoard(f.ctx, ada, meetings.ItemRequestInput{Title: "  "})
	osktest.WantFields(t, err, "title")
	if n := requests(); n != 0 {
		t.Fatalf("refused requests wrote %d rows", n)
	}

	solar, err := f.svc.AskBoard(f.ctx, ada, meetings.ItemRequestInput{Title: "Solar panels on the roof", Description: "Let us vote on it."})
	if err != nil {
		t.Fatal(err)
	}
	party, err := f.svc.AskBoard(f.ctx, ada, meetings.ItemRequestInput{Title: "A summer party"})
	if err != nil {
		t.Fatal(err)
	}
	if solar.MeetingID != nil || solar.Status != meetings.RequestPending || solar.MemberID != a.ID {
		t.Fatalf("request: %+v", solar)
	}
	if es := f.events(fmt.Sprintf("item_request:%d", solar.ID)); len(es) != 1 || es[0].Action != "meeting.item_requested" {
		t.Fatalf("audit of the request: %+v", es)
	}
	waiting, err := f.svc.Requests(f.ctx, f.board)
	if err != nil || len(waiting) != 2 {
		t.Fatalf("waiting, to the board: %v %+v", err, waiting)
	}
	_, err = f.svc.Requests(f.ctx, outsider)
	osktest.WantKind(t, err, errs.Forbidden)

	// A meeting in session takes no new item: the waiting requests are
	// neither listed nor decided on there.
	chair, _ := f.Member("Chair")
	busy := f.inSession(chair)
	got, err := f.svc.ItemRequests(f.ctx, f.board, busy.ID)
	if err != nil || len(got) != 0 {
		t.Fatalf("requests at a meeting in session: %v %+v", err, got)
	}
	_, err = f.svc.AcceptRequest(f.ctx, f.board, busy.ID, solar.ID, meetings.Acceptance{})
	osktest.WantKind(t, err, errs.NotFound)
	f.inst.Clock.Set(time.Now())

	// The board drafts the next meeting and finds the requests there.
	d := f.draftAt(f.now().Add(40 * 24 * time.Hour))
	got, err = f.svc.ItemRequests(f.ctx, f.board, d.ID)
	if err != nil || len(got) != 2 {
		t.Fatalf("requests at the draft: %v %+v", err, got)
	}
	_, err = f.svc.AcceptRequest(f.ctx, ada, d.ID, solar.ID, meetings.Acceptance{})
	osktest.WantKind(t, err, errs.Forbidden)
	accepted, err := f.svc.AcceptRequest(f.ctx, f.board, d.ID, solar.ID, meetings.Acceptance{})
	if err != nil {
		t.Fatal(err)
	}
	if accepted.MeetingID == nil || *accepted.MeetingID != d.ID || accepted.AgendaItemID == nil {
		t.Fatalf("accepted: %+v", accepted)
	}
	d, _ = f.svc.Get(f.ctx, d.ID)
	if n := len(d.Agenda); n != 3 || d.Agenda[n-1].Title != "Solar panels on the roof" {
		t.Fatalf("agenda: %+v", d.Agenda)
	}
	declined, err := f.svc.DeclineRequest(f.ctx, f.board, d.ID, party.ID, "The board organises parties itself.")
	if err != nil || declined.Status != meetings.RequestDeclined || *declined.MeetingID != d.ID {
		t.Fatalf("declined: %v %+v", err, declined)
	}
	var decisions []string
	for _, m := range f.mailTo(a.Email) {
		if m.Subject == "Your agenda item" {
			decisions = append(decisions, m.Body)
		}
	}
	// The draft is not hers to read yet: the messages name the next
	// general meeting, with no link to the draft.
	if len(decisions) != 2 || !strings.Contains(decisions[0], "The board organises parties itself.") ||
		!strings.Contains(decisions[1], "the agenda of the next general meeting") || strings.Contains(strings.Join(decisions, ""), fmt.Sprintf("/meetings/%d", d.ID)) {
		t.Fatalf("Ada's decisions: %q", decisions)
	}
	if es := f.events(subjectOf(d)); len(es) < 2 || es[len(es)-2].Action != "meeting.item_request_accepted" || es[len(es)-1].Action != "meeting.item_request_declined" {
		t.Fatalf("audit of the decisions: %+v", es)
	}

	// Decided, they wait no more; Ada still sees both, with the meeting.
	if waiting, _ := f.svc.Requests(f.ctx, f.board); len(waiting) != 0 {
		t.Fatalf("still waiting: %+v", waiting)
	}
	mine, err := f.svc.Requests(f.ctx, ada)
	if err != nil || len(mine) != 2 || *mine[0].MeetingID != d.ID {
		t.Fatalf("Ada's requests: %v %+v", err, mine)
	}
	// From another meeting, a request decided is found decided.
	other := f.draftAt(f.now().Add(50 * 24 * time.Hour))
	_, err = f.svc.AcceptRequest(f.ctx, f.board, other.ID, party.ID, meetings.Acceptance{})
	osktest.WantKind(t, err, errs.Conflict)
}

// A member has at most five requests waiting at once, however many they
// send together.
func TestAskBoard_AtMostFiveWaitingEvenAtOnce(t *testing.T) {
	f := newFixture(t)
	ada, a := f.Member("Ada Member")
	var wg sync.WaitGroup
	results := make([]error, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = f.svc.AskBoard(f.ctx, ada, meetings.ItemRequestInput{Title: fmt.Sprintf("Item %d", i)})
		}()
	}
	wg.Wait()
	refused := 0
	for _, err := range results {
		if err != nil {
			osktest.WantKind(t, err, errs.Conflict)
			refused++
		}
	}
	if n := f.inst.DB.Count(t, `SELECT count(*) FROM meeting_item_requests WHERE member_id = $1`, a.ID); n != 5 || refused != 3 {
		t.Fatalf("%d requests written, %d refused", n, refused)
	}

	// Once the board decides on one, there is room for another.
	d := f.draftAt(f.now().Add(40 * 24 * time.Hour))
	waiting, _ := f.svc.Requests(f.ctx, f.board)
	if _, err := f.svc.DeclineRequest(f.ctx, f.board, d.ID, waiting[0].ID, "Handled by the board already."); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AskBoard(f.ctx, ada, meetings.ItemRequestInput{Title: "One more"}); err != nil {
		t.Fatal(err)
	}
}

// On the pages: a member acting for an organisation too chooses for whom
// they ask, and a refused request keeps the choice; the board finds the request waiting, and again on the
// requests of the meeting it prepares.
func TestPages_AskingTheBoardBeforeAnyNotice(t *testing.T) {
	f := newFixture(t)
	ada, _ := f.Member("Ada Member")
	workshop := f.Organisation(ada, "Ada's Workshop")
	member := f.Client(ada)

	if body := string(member.Get("/requests").Body); !strings.Contains(body, `<legend>Ask as</legend>`) || !strings.Contains(body, `value="`+strconv.FormatInt(workshop.ID, 10)+`">`) {
		t.Fatalf("the form:\n%s", body)
	}
	r := member.Do(http.MethodPost, "/requests", url.Values{"title": {"  "}, "member_id": {strconv.FormatInt(workshop.ID, 10)}})
	if body := string(r.Body); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#title"`) || !strings.Contains(body, `id="title-error"`) ||
		!strings.Contains(body, `value="`+strconv.FormatInt(workshop.ID, 10)+`" checked>`) {
		t.Fatalf("asking without a title: %d\n%s", r.StatusCode, body)
	}
	if n := f.inst.DB.Count(t, `SELECT count(*) FROM meeting_item_requests`); n != 0 {
		t.Fatalf("a refused request wrote %d rows", n)
	}
	r = member.Do(http.MethodPost, "/requests", url.Values{"title": {"Solar panels"}, "member_id": {strconv.FormatInt(workshop.ID, 10)}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/requests?done=requested" {
		t.Fatalf("asking: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if body := string(member.Get("/requests?done=requested").Body); !strings.Contains(body, "Solar panels: waiting for the board to prepare the next general meeting") {
		t.Fatalf("Ada's page:\n%s", body)
	}

	board := f.Client(f.board)
	if body := string(board.Get("/requests").Body); !strings.Contains(body, "Asked by Ada&#39;s Workshop") || !strings.Contains(body, `href="/meetings/new"`) {
		t.Fatalf("the board's page:\n%s", body)
	}
	d := f.draftAt(f.now().Add(40 * 24 * time.Hour))
	if body := string(board.Get(fmt.Sprintf("/meetings/%d/requests", d.ID)).Body); !strings.Contains(body, "before any notice, for the next general meeting") {
		t.Fatalf("the draft's requests:\n%s", body)
	}
}

// Someone who represents two organisations and has no membership of their
// own says on the meeting's page for which one they ask.
func TestPages_ARepresentativeOfTwoChoosesOnTheMeetingPage(t *testing.T) {
	f := newFixture(t)
	rep := f.Person("Rita Representative")
	first := f.Organisation(rep, "First Workshop")
	second := f.Organisation(rep, "Second Workshop")
	m, err := f.svc.Convene(f.ctx, f.board, f.draftAt(f.now().Add(45*24*time.Hour)).ID)
	if err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/meetings/%d", m.ID)
	client := f.Client(rep)
	if body := string(client.Get(page).Body); !strings.Contains(body, `<legend>Ask as</legend>`) ||
		!strings.Contains(body, `value="`+strconv.FormatInt(second.ID, 10)+`">`) {
		t.Fatalf("the meeting's page:\n%s", body)
	}
	r := client.Do(http.MethodPost, page+"/requests", url.Values{"title": {"Accessible venues"}, "member_id": {strconv.FormatInt(second.ID, 10)}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("asking: %d\n%s", r.StatusCode, r.Body)
	}
	reqs, err := f.svc.ItemRequests(f.ctx, f.board, m.ID)
	if err != nil || len(reqs) != 1 || reqs[0].MemberID != second.ID {
		t.Fatalf("requests: %v %+v (first is %d)", err, reqs, first.ID)
	}
}

// An organisation's requests go with it to its next representative.
func TestItemRequests_FollowTheOrganisation(t *testing.T) {
	f := newFixture(t)
	rita := f.Person("Rita Representative")
	workshop := f.Organisation(rita, "Workshop")
	m, err := f.svc.Convene(f.ctx, f.board, f.draftAt(f.now().Add(45*24*time.Hour)).ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RequestItem(f.ctx, rita, m.ID, meetings.ItemRequestInput{Title: "Accessible venues", MemberID: &workshop.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AskBoard(f.ctx, rita, meetings.ItemRequestInput{Title: "Translation budget", MemberID: &workshop.ID}); err != nil {
		t.Fatal(err)
	}
	next := f.Person("Next Representative")
	if _, err := f.inst.Server.Members.ChangeRepresentative(f.ctx, f.board, workshop.ID, members.Representative{Email: next.Email}); err != nil {
		t.Fatal(err)
	}
	if at, err := f.svc.ItemRequests(f.ctx, next, m.ID); err != nil || len(at) != 1 {
		t.Fatalf("the meeting's requests, to the next representative: %v %+v", err, at)
	}
	if all, err := f.svc.Requests(f.ctx, next); err != nil || len(all) != 2 {
		t.Fatalf("every request, to the next representative: %v %+v", err, all)
	}
}

// convenedAhead convenes an extraordinary meeting starting after d.
func (f *fixture) convenedAhead(d time.Duration) meetings.Meeting {
	f.t.Helper()
	start := f.now().Add(d)
	m, err := f.svc.Create(f.ctx, f.board, meetings.Draft{Kind: meetings.KindExtraordinary, Title: "EGM", StartsAt: rfc(start),
		EndsAt: rfc(start.Add(3 * time.Hour)), Location: "Helsinki", Agenda: []meetings.ItemInput{{Title: "Opening of the meeting"}}})
	if err != nil {
		f.t.Fatal(err)
	}
	if m, err = f.svc.Convene(f.ctx, f.board, m.ID); err != nil {
		f.t.Fatal(err)
	}
	return m
}

// The board flags a requested item as it judges it when it accepts it.
// A requested rule change then needs the notice any rule change needs: a
// member's request is no way around it.
func TestAcceptRequest_FlagsTheItemWithTheNoticeItNeeds(t *testing.T) {
	f := newFixture(t)
	ada, _ := f.Member("Ada Member")
	m := f.convenedAhead(45 * 24 * time.Hour)
	start := m.StartsAt
	early, err := f.svc.RequestItem(f.ctx, ada, m.ID, meetings.ItemRequestInput{Title: "Change rule 4: the share",
		Description: "Rule 4 sets the share at 50 euros; make it 20 euros."})
	if err != nil {
		t.Fatal(err)
	}
	late, err := f.svc.RequestItem(f.ctx, ada, m.ID, meetings.ItemRequestInput{Title: "Change rule 5: proxies",
		Description: "Amend rule 5 so that proxies are not allowed."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AcceptRequest(f.ctx, f.board, m.ID, early.ID, meetings.Acceptance{RuleChange: true}); err != nil {
		t.Fatal(err)
	}
	got, _ := f.svc.Get(f.ctx, m.ID)
	if item := got.Agenda[len(got.Agenda)-1]; item.Title != "Change rule 4: the share" || !item.RuleChange {
		t.Fatalf("the accepted rule change: %+v", item)
	}

	f.inst.Clock.Set(start.Add(-10 * 24 * time.Hour))
	_, err = f.svc.AcceptRequest(f.ctx, f.board, m.ID, late.ID, meetings.Acceptance{RuleChange: true})
	osktest.WantKind(t, err, errs.Conflict)
	if mine, _ := f.svc.ItemRequests(f.ctx, ada, m.ID); mine[1].Status != meetings.RequestPending {
		t.Fatalf("a refused acceptance decided the request: %+v", mine[1])
	}
	board := f.Client(f.board)
	page := fmt.Sprintf("/meetings/%d/requests", m.ID)
	body := string(board.Get(page).Body)
	osktest.WantOnPage(t, "the requests page", body,
		fmt.Sprintf(`<input type="checkbox" id="rule_change-%d" name="rule_change" value="yes"><label for="rule_change-%d">This item changes the co-op's rules</label>`, late.ID, late.ID))
	// Refused, the form keeps what the board chose, and says why of this
	// item: a second press adds no ordinary item by mistake.
	r := board.Do(http.MethodPost, fmt.Sprintf("%s/%d/accept", page, late.ID), url.Values{"rule_change": {"yes"}})
	if r.StatusCode != http.StatusConflict {
		t.Fatalf("accepting the late rule change on the page: %d", r.StatusCode)
	}
	osktest.WantOnPage(t, "the refusal", string(r.Body),
		"It is too late to add this item: it changes the rules or is weighty",
		fmt.Sprintf(`id="rule_change-%d" name="rule_change" value="yes" checked>`, late.ID))
}

// A member may not have said which rules change and how; the board
// writes the item's text when it accepts it as a rule change.
func TestAcceptRequest_TheBoardWritesWhatARuleChangeChanges(t *testing.T) {
	f := newFixture(t)
	ada, _ := f.Member("Ada Member")
	m := f.convenedAhead(45 * 24 * time.Hour)
	req, err := f.svc.RequestItem(f.ctx, ada, m.ID, meetings.ItemRequestInput{Title: "Fewer proxies"})
	if err != nil {
		t.Fatal(err)
	}
	board := f.Client(f.board)
	accept := fmt.Sprintf("/meetings/%d/requests/%d/accept", m.ID, req.ID)
	r := board.Do(http.MethodPost, accept, url.Values{"rule_change": {"yes"}})
	osktest.WantOnPage(t, "the rule change without its text", string(r.Body),
		fmt.Sprintf(`<a href="#description-%d">This item changes the rules: describe the rules being changed and how, for the notice.</a>`, req.ID),
		fmt.Sprintf(`aria-describedby="description-%d-hint description-%d-error" aria-invalid="true"`, req.ID, req.ID))
	const text = "Rule 5 lets a member hold three proxies; make it one."
	if r := board.Do(http.MethodPost, accept, url.Values{"rule_change": {"yes"}, "description": {text}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("accepting with the board's text: %d\n%s", r.StatusCode, r.Body)
	}
	got, _ := f.svc.Get(f.ctx, m.ID)
	if item := got.Agenda[len(got.Agenda)-1]; !item.RuleChange || item.Description != text {
		t.Fatalf("the item: %+v", item)
	}
}
