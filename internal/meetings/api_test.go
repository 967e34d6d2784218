package meetings_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/osktest"
)

// problem is an RFC 9457 body.
type problem struct {
	Status int `json:"status"`
	Errors []struct {
		Field string `json:"field"`
	} `json:"errors"`
}

func wantProblem(t *testing.T, r *osktest.Response, status int, field string) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s %s: %d, want %d: %s", r.Request.Method, r.Request.URL.Path, r.StatusCode, status, r.Body)
	}
	if field == "" {
		return
	}
	var p problem
	r.JSON(t, &p)
	for _, e := range p.Errors {
		if e.Field == field {
			return
		}
	}
	t.Fatalf("no error on %s: %s", field, r.Body)
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestAPI_TheMeetingsRoutesAsWritten(t *testing.T) {
	f := newFixture(t)
	ada, a := f.Member("Ada Member")
	chair, _ := f.Member("Chair Person")
	board := f.Client(f.board)
	member := f.Client(ada)

	start := f.now().Add(10 * 24 * time.Hour).Truncate(time.Second)
	body := map[string]any{"kind": "extraordinary", "title": "EGM", "starts_at": rfc(start), "ends_at": rfc(start.Add(2 * time.Hour)),
		"location": "Helsinki", "online_url": "https://meet.example.org/osk", "remote_allowed": true, "time_zone": "Europe/Helsinki",
		"quorum": map[string]any{"min_members": 2, "min_percent": 0},
		"agenda": []map[string]any{{"title": "Opening"}, {"title": "Closing", "description": "The end."}}}
	wantProblem(t, board.Do(http.MethodPost, "/api/v1/meetings", `{"kind":`), 400, "")
	wantProblem(t, board.Do(http.MethodPost, "/api/v1/meetings", map[string]any{"kind": "annual", "colour": "red"}), 422, "colour")
	bad := map[string]any{}
	for k, v := range body {
		bad[k] = v
	}
	bad["ends_at"] = rfc(start.Add(-time.Hour))
	bad["time_zone"] = "Nowhere/Special"
	r := board.Do(http.MethodPost, "/api/v1/meetings", bad)
	wantProblem(t, r, 422, "ends_at")
	wantProblem(t, r, 422, "time_zone")
	wantProblem(t, member.Do(http.MethodPost, "/api/v1/meetings", body), 403, "")

	r = board.Do(http.MethodPost, "/api/v1/meetings", body)
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", r.StatusCode, r.Body)
	}
	var raw map[string]any
	r.JSON(t, &raw)
	for _, k := range []string{"id", "kind", "title", "starts_at", "ends_at", "location", "online_url", "remote_allowed", "time_zone",
		"status", "convened_at", "record_date", "quorum", "agenda", "officers"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("MEETING has no %q: %v", k, keys(raw))
		}
	}
	if got := keys(raw["quorum"].(map[string]any)); !slices.Equal(got, []string{"min_members", "min_percent"}) {
		t.Errorf("quorum: %v", got)
	}
	if got := keys(raw["officers"].(map[string]any)); !slices.Equal(got, []string{"chair_account_id", "checker_account_ids", "secretary_account_id"}) {
		t.Errorf("officers: %v", got)
	}
	item := raw["agenda"].([]any)[1].(map[string]any)
	for _, k := range []string{"id", "position", "title", "description", "rule_change", "weighty"} {
		if _, ok := item[k]; !ok {
			t.Errorf("agenda item has no %q: %v", k, keys(item))
		}
	}
	var m meetings.Meeting
	r.JSON(t, &m)
	if m.Status != "draft" || !m.StartsAt.Equal(start) || m.Quorum.MinMembers != 2 || len(m.Agenda) != 2 {
		t.Fatalf("created: %+v", m)
	}
	path := "/api/v1/meetings/" + itoa(m.ID)

	wantProblem(t, member.Get(path), 404, "") // a draft
	wantProblem(t, board.Do(http.MethodPost, path+"/agenda", map[string]any{"title": "Middle", "position": 7}), 422, "position")
	r = board.Do(http.MethodPost, path+"/agenda", map[string]any{"title": "Middle", "position": 2, "weighty": false})
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("add item: %d %s", r.StatusCode, r.Body)
	}
	r = board.Do(http.MethodPatch, path, map[string]any{"title": "EGM on the merger"})
	if r.StatusCode != 200 || !strings.Contains(string(r.Body), "EGM on the merger") {
		t.Fatalf("patch: %d %s", r.StatusCode, r.Body)
	}
	r = board.Do(http.MethodPost, path+"/officers", map[string]any{"chair_account_id": chair.AccountID, "secretary_account_id": nil, "checker_account_ids": []int64{}})
	if r.StatusCode != 200 {
		t.Fatalf("officers: %d %s", r.StatusCode, r.Body)
	}
	r = board.Do(http.MethodPost, path+"/convene", nil)
	if r.StatusCode != 200 {
		t.Fatalf("convene: %d %s", r.StatusCode, r.Body)
	}
	wantProblem(t, board.Do(http.MethodPost, path+"/convene", nil), 409, "")
	wantProblem(t, board.Do(http.MethodPatch, path, map[string]any{"starts_at": rfc(start.Add(time.Hour))}), 409, "")

	var list struct {
		Items      []meetings.Meeting `json:"items"`
		NextCursor *string            `json:"next_cursor"`
	}
	member.Get("/api/v1/meetings").JSON(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != m.ID {
		t.Fatalf("the member's list: %+v", list)
	}

	wantProblem(t, member.Do(http.MethodPost, path+"/attendance", map[string]any{"mode": "in_person"}), 409, "")
	f.inst.Clock.Set(start.Add(-time.Hour))
	r = member.Do(http.MethodPost, path+"/attendance", map[string]any{"mode": "remote"})
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("attend: %d %s", r.StatusCode, r.Body)
	}
	var att map[string]any
	r.JSON(t, &att)
	for _, k := range []string{"member_id", "member_no", "name", "mode", "proxy_for", "arrived_at", "left_at"} {
		if _, ok := att[k]; !ok {
			t.Errorf("attendance has no %q: %v", k, keys(att))
		}
	}
	if r := member.Do(http.MethodPost, path+"/attendance", map[string]any{"mode": "remote"}); r.StatusCode != http.StatusOK {
		t.Fatalf("attending again: %d %s", r.StatusCode, r.Body)
	}
	wantProblem(t, member.Do(http.MethodPost, path+"/attendance", map[string]any{"mode": "telepathy"}), 422, "mode")

	var q map[string]any
	member.Get(path+"/quorum").JSON(t, &q)
	if got := keys(q); !slices.Equal(got, []string{"by_proxy", "eligible", "met", "present", "represented", "required"}) {
		t.Fatalf("quorum: %v", got)
	}
	if q["present"] != 1.0 || q["required"] != 2.0 || q["met"] != false {
		t.Fatalf("quorum: %v", q)
	}

	var roll struct {
		Items []meetings.Attendee `json:"items"`
	}
	board.Get(path+"/attendance").JSON(t, &roll)
	if len(roll.Items) != 1 || roll.Items[0].MemberID != a.ID || roll.Items[0].Mode != "remote" {
		t.Fatalf("attendance list: %+v", roll)
	}
	if r := member.Do(http.MethodDelete, path+"/attendance", nil); r.StatusCode != http.StatusNoContent {
		t.Fatalf("leave: %d", r.StatusCode)
	}

	wantProblem(t, member.Do(http.MethodPost, path+"/proxies", map[string]any{"holder_member_id": a.ID}), 422, "holder_member_id")
	_, bo := f.Member("Bo Holder")
	r = member.Do(http.MethodPost, path+"/proxies", map[string]any{"holder_member_id": bo.ID})
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("proxy: %d %s", r.StatusCode, r.Body)
	}
	if r := member.Do(http.MethodDelete, path+"/proxies/mine", nil); r.StatusCode != http.StatusOK || !strings.Contains(string(r.Body), `"withdrawn_at":"`) {
		t.Fatalf("withdraw: %d %s", r.StatusCode, r.Body)
	}
	wantProblem(t, member.Do(http.MethodDelete, path+"/proxies/mine", nil), 404, "")

	ics := member.Get(path + "/calendar.ics")
	if ics.StatusCode != 200 || !strings.HasPrefix(ics.Header.Get("Content-Type"), "text/calendar") ||
		!strings.Contains(string(ics.Body), "BEGIN:VEVENT\r\n") || !strings.Contains(string(ics.Body), "DTSTART:"+start.UTC().Format("20060102T150405Z")) {
		t.Fatalf("calendar: %d %s", ics.StatusCode, ics.Body)
	}

	chairClient := f.Client(chair)
	wantProblem(t, board.Do(http.MethodPost, path+"/open", nil), 403, "")
	if r := chairClient.Do(http.MethodPost, path+"/open", nil); r.StatusCode != 200 {
		t.Fatalf("open: %d %s", r.StatusCode, r.Body)
	}
	r = board.Do(http.MethodPost, path+"/officers", map[string]any{"chair_account_id": chair.AccountID,
		"secretary_account_id": f.admin.AccountID, "checker_account_ids": []int64{f.board2.AccountID}})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("officers: %d %s", r.StatusCode, r.Body)
	}
	if r := chairClient.Do(http.MethodPost, path+"/close", nil); r.StatusCode != 200 {
		t.Fatalf("close: %d %s", r.StatusCode, r.Body)
	}
	wantProblem(t, member.Do(http.MethodPost, path+"/attendance", map[string]any{"mode": "remote"}), 409, "")
	wantProblem(t, member.Do(http.MethodPost, path+"/proxies", map[string]any{"holder_member_id": bo.ID}), 409, "")
	wantProblem(t, board.Do(http.MethodPost, path+"/cancel", map[string]any{"reason": "Late."}), 409, "")
	wantProblem(t, board.Do(http.MethodPatch, path, map[string]any{"location": "Elsewhere"}), 409, "")
	wantProblem(t, board.Do(http.MethodPost, path+"/agenda", map[string]any{"title": "More"}), 409, "")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestCalendarFeed_BySecretAddress(t *testing.T) {
	f := newFixture(t)
	ada, _ := f.Member("Ada Member")
	m := f.convened()
	f.draftAt(f.now().Add(20 * 24 * time.Hour))
	member := f.Client(ada)
	page := member.Do(http.MethodPost, "/meetings/calendar-address", url.Values{})
	found := regexp.MustCompile(`<code>(http[^<]+/meetings/calendar/(oskcal_[A-Za-z0-9_-]+))</code>`).FindSubmatch(page.Body)
	if page.StatusCode != 200 || found == nil {
		t.Fatalf("calendar address page: %d %s", page.StatusCode, page.Body)
	}
	anonymous := f.inst.Client(t)
	feed := anonymous.Get("/meetings/calendar/" + string(found[2]))
	if feed.StatusCode != 200 || strings.Count(string(feed.Body), "BEGIN:VEVENT") != 1 || !strings.Contains(string(feed.Body), "meeting-"+itoa(m.ID)+"@") {
		t.Fatalf("feed: %d %s", feed.StatusCode, feed.Body)
	}
	// A new address replaces the old one.
	member.Do(http.MethodPost, "/meetings/calendar-address", url.Values{})
	if r := anonymous.Get("/meetings/calendar/" + string(found[2])); r.StatusCode != 404 {
		t.Fatalf("the old address: %d", r.StatusCode)
	}
	if r := anonymous.Get("/meetings/calendar/oskcal_guess"); r.StatusCode != 404 {
		t.Fatalf("a guessed address: %d", r.StatusCode)
	}
}

// sse reads one stream of Server-Sent Events.
type sse struct {
	events chan sseEvent
	cancel context.CancelFunc
}

type sseEvent struct {
	id, name, data string
}

func openEvents(t *testing.T, c *osktest.Client, url, lastEventID string) *sse {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	client := *c.HTTP
	client.Timeout = 0
	resp, err := client.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		cancel()
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &sse{events: make(chan sseEvent, 100), cancel: cancel}
	go func() {
		defer resp.Body.Close()
		defer close(s.events)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" {
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.name = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data += line[6:]
			}
		}
	}()
	t.Cleanup(cancel)
	return s
}

func (s *sse) next(t *testing.T, name string) sseEvent {
	t.Helper()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				t.Fatalf("the stream ended before a %s event", name)
			}
			if ev.name == name {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s event within 15 s", name)
		}
	}
}

// A change made through one app instance reaches a page connected to
// another, through PostgreSQL; a page that reconnects gets what it missed.
func TestEvents_ReachAClientOfAnotherInstanceAndResume(t *testing.T) {
	f := newFixture(t)
	ada, _ := f.Member("Ada Member")
	bo, _ := f.Member("Bo Member")
	m := f.convened()
	f.inst.Clock.Set(m.StartsAt.Add(-30 * time.Minute))

	second := osktest.Start(t, osktest.Options{DB: f.inst.DB})
	watcher := second.Client(t)
	watcher.SignIn(bo.Email, bo.Name)
	url := second.URL + "/api/v1/meetings/" + itoa(m.ID) + "/events"
	stream := openEvents(t, watcher, url, "")

	f.attend(ada, m.ID, meetings.ModeInPerson, nil)
	ev := stream.next(t, "quorum")
	var q meetings.QuorumEvent
	if err := json.Unmarshal([]byte(ev.data), &q); err != nil {
		t.Fatal(err)
	}
	if q.MeetingID != m.ID || q.Present != 1 || q.Represented != 1 || q.Summary == "" {
		t.Fatalf("quorum event: %+v", q)
	}
	stream.cancel()

	// While nobody listens, the meeting changes twice.
	f.attend(bo, m.ID, meetings.ModeRemote, nil)
	chair := f.Person("Chair", "board")
	if _, err := f.svc.SetOfficers(f.ctx, f.board, m.ID, meetings.Officers{ChairAccountID: &chair.AccountID}); err != nil {
		t.Fatal(err)
	}
	resumed := openEvents(t, watcher, url, ev.id)
	missed := resumed.next(t, "quorum")
	if err := json.Unmarshal([]byte(missed.data), &q); err != nil || q.Present != 2 {
		t.Fatalf("missed quorum event %s: %+v", missed.data, q)
	}
	state := resumed.next(t, "meeting")
	if !strings.Contains(state.data, `"status":"convened"`) {
		t.Fatalf("missed meeting event: %s", state.data)
	}

	// The hub's close, as at shutdown, ends the stream at once.
	second.Server.Live.Close()
	select {
	case _, ok := <-resumed.events:
		for ok {
			_, ok = <-resumed.events
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stream outlived the hub")
	}
}

func TestPages_TheBoardPreparesAndMembersTakePart(t *testing.T) {
	f := newFixture(t)
	ada, _ := f.Member("Ada Member")
	board := f.Client(f.board)
	start := f.now().Add(10 * 24 * time.Hour)
	loc, _ := time.LoadLocation("Europe/Helsinki")
	form := url.Values{"kind": {"annual"}, "title": {"AGM"}, "time_zone": {"Europe/Helsinki"},
		"starts_at": {start.In(loc).Format("2006-01-02T15:04")}, "ends_at": {start.In(loc).Add(-time.Hour).Format("2006-01-02T15:04")},
		"location": {"Kaisaniemenkatu 1"}, "quorum_min_members": {"0"}, "quorum_min_percent": {"x"}}
	r := board.Do(http.MethodPost, "/meetings", form)
	if r.StatusCode != 422 || !strings.Contains(string(r.Body), `href="#ends_at"`) || !strings.Contains(string(r.Body), `href="#quorum_min_percent"`) {
		t.Fatalf("bad form: %d", r.StatusCode)
	}
	// The summary lists the problems in the order the form asks.
	form.Set("title", "")
	body := string(board.Do(http.MethodPost, "/meetings", form).Body)
	at := func(field string) int { return strings.Index(body, `href="#`+field+`"`) }
	if !(at("title") >= 0 && at("title") < at("ends_at") && at("ends_at") < at("quorum_min_percent")) {
		t.Errorf("the summary is not in the form's order: title at %d, ends_at at %d, quorum_min_percent at %d", at("title"), at("ends_at"), at("quorum_min_percent"))
	}
	form.Set("title", "AGM")
	form.Set("ends_at", start.In(loc).Add(2*time.Hour).Format("2006-01-02T15:04"))
	form.Set("quorum_min_percent", "0")
	r = board.Do(http.MethodPost, "/meetings", form)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %s", r.StatusCode, r.Body)
	}
	where := strings.SplitN(r.Header.Get("Location"), "?", 2)[0]
	page := board.Get(where)
	for _, want := range []string{"Adopting the financial statements", "Convene the meeting", "Europe/Helsinki", "UTC", `data-live="represented"`, "js/meeting.js"} {
		if !strings.Contains(string(page.Body), want) {
			t.Errorf("the board's page lacks %q", want)
		}
	}
	for _, sub := range []string{"/edit", "/agenda", "/officers", "/convene", "/cancel", "/requests", "/attendance"} {
		if r := board.Get(where + sub); r.StatusCode != 200 {
			t.Errorf("GET %s: %d", where+sub, r.StatusCode)
		}
	}
	// What stops the notice is mended elsewhere: the problems link there.
	f.inst.Clock.Set(start.Add(-3 * 24 * time.Hour))
	r = board.Do(http.MethodPost, where+"/convene", url.Values{})
	if r.StatusCode != 422 || !strings.Contains(string(r.Body), `href="`+where+`/edit#starts_at"`) {
		t.Fatalf("convening too late: %d, want 422 with a link to the start on the edit page\n%s", r.StatusCode, r.Body)
	}
	f.inst.Clock.Set(start.Add(-10 * 24 * time.Hour))
	if r := board.Do(http.MethodPost, where+"/convene", url.Values{}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("convene: %d %s", r.StatusCode, r.Body)
	}

	member := f.Client(ada)
	page = member.Get(where)
	if page.StatusCode != 200 || !strings.Contains(string(page.Body), "NOTICE OF THE ANNUAL GENERAL MEETING") || !strings.Contains(string(page.Body), "You can register as present from") {
		t.Fatalf("the member's page: %d", page.StatusCode)
	}
	// A number beyond any the register can give names nobody too.
	for _, no := range []string{"4242", "2147483648", "3000000000"} {
		r = member.Do(http.MethodPost, where+"/proxy", url.Values{"holder_member_no": {no}})
		if r.StatusCode != 422 || !strings.Contains(string(r.Body), "There is no member with the number "+no+".") {
			t.Fatalf("proxy to nobody (%s): %d", no, r.StatusCode)
		}
	}
	if !strings.Contains(string(member.Get("/meetings").Body), "AGM") {
		t.Fatal("the list does not show the meeting")
	}
	if !strings.Contains(string(member.Get("/").Body), `href="/meetings"`) {
		t.Fatal("no link to the meetings")
	}
}

// The lists of a meeting page as every list of the API does: ?limit= and
// the next_cursor of each page lead through the whole list once, in order,
// and a limit out of range or a cursor Osk did not give is refused.
func TestAPI_AMeetingsListsPage(t *testing.T) {
	f := newFixture(t)
	chair, _ := f.Member("Chair")
	m := f.inSession(chair)
	var want []int64
	var holders []auth.Principal
	for i := range 7 {
		p, mem := f.Member("Attendee " + strconv.Itoa(i))
		f.inst.Clock.Set(f.now().Add(time.Minute))
		f.attend(p, m.ID, "in_person", nil)
		want = append(want, mem.ID)
		holders = append(holders, p)
	}
	for i := range 4 {
		giver, _ := f.Member("Giver " + strconv.Itoa(i))
		holder, _ := f.inst.Server.Members.IndividualOf(f.ctx, holders[i].AccountID)
		if _, err := f.svc.GrantProxy(f.ctx, giver, m.ID, meetings.ProxyInput{HolderMemberID: holder.ID}); err != nil {
			t.Fatal(err)
		}
	}
	board := f.Client(f.board)
	path := "/api/v1/meetings/" + strconv.FormatInt(m.ID, 10)

	type page struct {
		Items []struct {
			MemberID int64 `json:"member_id"`
			ID       int64 `json:"id"`
		} `json:"items"`
		NextCursor *string `json:"next_cursor"`
	}
	walk := func(list string, limit int, key func(memberID, id int64) int64) (ids []int64) {
		t.Helper()
		q := url.Values{"limit": {strconv.Itoa(limit)}}
		for pages := 0; ; pages++ {
			r := board.Get(path + "/" + list + "?" + q.Encode())
			if r.StatusCode != http.StatusOK || pages > 10 {
				t.Fatalf("%s page %d: %d %s", list, pages, r.StatusCode, r.Body)
			}
			var p page
			r.JSON(t, &p)
			if len(p.Items) > limit {
				t.Fatalf("%s: %d items on a page of %d", list, len(p.Items), limit)
			}
			for _, it := range p.Items {
				ids = append(ids, key(it.MemberID, it.ID))
			}
			if p.NextCursor == nil {
				return ids
			}
			q.Set("cursor", *p.NextCursor)
		}
	}
	member := func(memberID, _ int64) int64 { return memberID }
	proxy := func(_, id int64) int64 { return id }
	if got := walk("attendance", 3, member); !slices.Equal(got, want) {
		t.Fatalf("attendance paged as %v, want %v in order of arrival", got, want)
	}
	if got := walk("attendance", 500, member); !slices.Equal(got, want) {
		t.Fatalf("attendance in one page: %v, want %v", got, want)
	}
	if got := walk("proxies", 3, proxy); len(got) != 4 || !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != 4 {
		t.Fatalf("proxies paged as %v, want 4 in order", got)
	}
	// The attendance page names whom each attendee holds a proxy for.
	roll := string(board.Get("/meetings/" + strconv.FormatInt(m.ID, 10) + "/attendance").Body)
	for i := range 4 {
		if !regexp.MustCompile(`Giver ` + strconv.Itoa(i) + ` \(member \d+\)`).MatchString(roll) {
			t.Errorf("the attendance page does not name Giver %d as represented by proxy", i)
		}
	}
	for _, bad := range []string{"limit=0", "limit=501", "limit=x", "cursor=nonsense"} {
		field := strings.SplitN(bad, "=", 2)[0]
		wantProblem(t, board.Get(path+"/attendance?"+bad), http.StatusUnprocessableEntity, field)
		wantProblem(t, board.Get(path+"/proxies?"+bad), http.StatusUnprocessableEntity, field)
	}
}

// Declining a request without a reason shows the problem at that
// request's own reason field, linked from the summary, with nothing
// decided.
func TestPages_DecliningARequestNeedsAReasonAtItsField(t *testing.T) {
	f := newFixture(t)
	ada, _ := f.Member("Ada Member")
	m, err := f.svc.Convene(f.ctx, f.board, f.draftAt(f.now().Add(45*24*time.Hour)).ID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, title := range []string{"Accessible venues", "Translation budget"} {
		req, err := f.svc.RequestItem(f.ctx, ada, m.ID, meetings.ItemRequestInput{Title: title})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, req.ID)
	}
	board := f.Client(f.board)
	second := strconv.FormatInt(ids[1], 10)
	where := "/meetings/" + strconv.FormatInt(m.ID, 10) + "/requests/"
	r := board.Do(http.MethodPost, where+second+"/decline", url.Values{"reason": {"   "}})
	body := string(r.Body)
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#reason-`+second+`"`) ||
		!strings.Contains(body, `id="reason-`+second+`-error"`) || strings.Contains(body, `id="reason-`+strconv.FormatInt(ids[0], 10)+`-error"`) {
		t.Fatalf("declining without a reason: %d\n%s", r.StatusCode, body)
	}
	reqs, err := f.svc.ItemRequests(f.ctx, f.board, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, req := range reqs {
		if req.Status != "pending" {
			t.Errorf("request %d is %s after a refused decision", req.ID, req.Status)
		}
	}
}
