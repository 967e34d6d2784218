package server_test

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/osktest"
)

// Who may do what with general meetings. {meeting} is convened and open
// for attendance, chaired by someone who is none of the callers, and the
// member caller has a proxy at it; {draft} and the meetings to convene and
// cancel are drafts; {ask} is convened well before its member motion
// deadline, with requests {req1}..{req4} from the member caller.
var meetingRoutes = map[string]expect{
	"POST /api/v1/meetings": {path: "/api/v1/meetings", body: map[string]any{
		"kind": "extraordinary", "title": "EGM", "starts_at": "2099-06-01T10:00:00Z", "ends_at": "2099-06-01T12:00:00Z",
	}, want: only(401, 201, board)},
	"GET /api/v1/meetings":                       {path: "/api/v1/meetings", want: callers(401, 403, 200, 200, 200, 403)},
	"GET /api/v1/meetings/calendar.ics":          {path: "/api/v1/meetings/calendar.ics", want: callers(401, 403, 200, 200, 200, 403)},
	"GET /api/v1/meetings/:id":                   {path: "/api/v1/meetings/{meeting}", want: callers(401, 404, 200, 200, 200, 404)},
	"PATCH /api/v1/meetings/:id":                 {path: "/api/v1/meetings/{draft}", body: map[string]any{"title": "Renamed"}, want: only(401, 200, board)},
	"POST /api/v1/meetings/:id/agenda":           {path: "/api/v1/meetings/{draft}/agenda", body: map[string]any{"title": "More"}, want: only(401, 201, board)},
	"PATCH /api/v1/meetings/:id/agenda/:item":    {path: "/api/v1/meetings/{draft}/agenda/{item1}", body: map[string]any{"title": "Changed"}, want: only(401, 200, board)},
	"DELETE /api/v1/meetings/:id/agenda/:item":   {path: "/api/v1/meetings/{draft}/agenda/{item2}", want: only(401, 204, board)},
	"POST /api/v1/meetings/:id/agenda/statutory": {path: "/api/v1/meetings/{agm1}/agenda/statutory", want: only(401, 200, board)},
	"POST /api/v1/meetings/:id/officers":         {path: "/api/v1/meetings/{draft}/officers", body: map[string]any{"checker_account_ids": []int{}}, want: only(401, 200, board)},
	"POST /api/v1/meetings/:id/convene":          {path: "/api/v1/meetings/{convene1}/convene", want: only(401, 200, board)},
	"POST /api/v1/meetings/:id/cancel":           {path: "/api/v1/meetings/{cancel1}/cancel", body: map[string]any{"reason": "Planned twice."}, want: only(401, 200, board)},
	// Only the chair opens and closes; the chair is none of the callers.
	"POST /api/v1/meetings/:id/open":                           {path: "/api/v1/meetings/{meeting}/open", want: callers(401, 404, 403, 403, 403, 404)},
	"POST /api/v1/meetings/:id/close":                          {path: "/api/v1/meetings/{meeting}/close", want: callers(401, 404, 403, 403, 403, 404)},
	"POST /api/v1/meetings/:id/attendance":                     {path: "/api/v1/meetings/{meeting}/attendance", body: map[string]any{"mode": "in_person"}, want: callers(401, 404, 201, 403, 403, 404)},
	"DELETE /api/v1/meetings/:id/attendance":                   {path: "/api/v1/meetings/{meeting}/attendance", want: callers(401, 404, 204, 403, 403, 404)},
	"GET /api/v1/meetings/:id/attendance":                      {path: "/api/v1/meetings/{meeting}/attendance", want: callers(401, 404, 403, 200, 200, 404)},
	"POST /api/v1/meetings/:id/proxies":                        {path: "/api/v1/meetings/{meeting}/proxies", body: map[string]any{"holder_member_id": 999999}, want: callers(401, 404, 422, 403, 403, 404)},
	"DELETE /api/v1/meetings/:id/proxies/mine":                 {path: "/api/v1/meetings/{meeting}/proxies/mine", want: callers(401, 404, 200, 403, 403, 404)},
	"GET /api/v1/meetings/:id/proxies":                         {path: "/api/v1/meetings/{meeting}/proxies", want: callers(401, 404, 200, 200, 200, 404)},
	"GET /api/v1/meetings/:id/quorum":                          {path: "/api/v1/meetings/{meeting}/quorum", want: callers(401, 404, 200, 200, 200, 404)},
	"GET /api/v1/meetings/:id/calendar.ics":                    {path: "/api/v1/meetings/{meeting}/calendar.ics", want: callers(401, 404, 200, 200, 200, 404)},
	"GET /api/v1/meetings/:id/events":                          {path: "/api/v1/meetings/{meeting}/events", stream: true, want: callers(401, 404, 200, 200, 200, 404)},
	"POST /api/v1/meetings/:id/item-requests":                  {path: "/api/v1/meetings/{ask}/item-requests", body: map[string]any{"title": "Solar panels"}, want: callers(401, 404, 201, 403, 403, 404)},
	"GET /api/v1/meetings/:id/item-requests":                   {path: "/api/v1/meetings/{ask}/item-requests", want: callers(401, 404, 200, 200, 200, 404)},
	"POST /api/v1/meetings/:id/item-requests/:request/accept":  {path: "/api/v1/meetings/{ask}/item-requests/{req1}/accept", body: map[string]any{}, want: only(401, 200, board)},
	"POST /api/v1/meetings/:id/item-requests/:request/decline": {path: "/api/v1/meetings/{ask}/item-requests/{req2}/decline", body: map[string]any{"reason": "Not ours to decide."}, want: only(401, 200, board)},
	"POST /api/v1/item-requests":                               {path: "/api/v1/item-requests", body: map[string]any{"title": "Solar panels"}, want: callers(401, 403, 201, 403, 403, 403)},
	"GET /api/v1/item-requests":                                {path: "/api/v1/item-requests", want: callers(401, 403, 200, 200, 200, 403)},

	"GET /meetings":                                {path: "/meetings", want: callers(toSignIn, 403, 200, 200, 200, 403)},
	"GET /meetings/new":                            {path: "/meetings/new", want: only(toSignIn, 200, board)},
	"POST /meetings":                               {path: "/meetings", form: url.Values{"kind": {"extraordinary"}, "title": {"EGM"}, "starts_at": {"2099-06-01T10:00"}, "ends_at": {"2099-06-01T12:00"}, "time_zone": {"Europe/Helsinki"}, "quorum_min_members": {"0"}, "quorum_min_percent": {"0"}}, want: only(401, 303, board)},
	"POST /meetings/calendar-address":              {path: "/meetings/calendar-address", form: url.Values{}, want: callers(401, 403, 200, 200, 200, 403)},
	"GET /meetings/calendar/:token":                {path: "/meetings/calendar/oskcal_unknown", want: all(404)},
	"GET /meetings/:id":                            {path: "/meetings/{meeting}", want: callers(toSignIn, 404, 200, 200, 200, 404)},
	"GET /meetings/:id/calendar.ics":               {path: "/meetings/{meeting}/calendar.ics", want: callers(toSignIn, 404, 200, 200, 200, 404)},
	"GET /meetings/:id/edit":                       {path: "/meetings/{draft}/edit", want: only(toSignIn, 200, board)},
	"POST /meetings/:id/edit":                      {path: "/meetings/{meeting}/edit", form: url.Values{"location": {"Room 2"}, "remote_allowed": {"yes"}, "online_url": {"https://meet.example.org/osk"}}, want: only(401, 303, board)},
	"GET /meetings/:id/agenda":                     {path: "/meetings/{draft}/agenda", want: only(toSignIn, 200, board)},
	"POST /meetings/:id/agenda":                    {path: "/meetings/{draft}/agenda", form: url.Values{"title": {"Any other business"}}, want: only(401, 303, board)},
	"POST /meetings/:id/agenda/:item/move":         {path: "/meetings/{draft}/agenda/{item1}/move", form: url.Values{"direction": {"down"}}, want: only(401, 303, board)},
	"POST /meetings/:id/agenda/:item/remove":       {path: "/meetings/{draft}/agenda/{item3}/remove", form: url.Values{}, want: only(401, 303, board)},
	"POST /meetings/:id/agenda/statutory":          {path: "/meetings/{agm2}/agenda/statutory", form: url.Values{}, want: only(401, 303, board)},
	"GET /meetings/:id/officers":                   {path: "/meetings/{draft}/officers", want: only(toSignIn, 200, board)},
	"POST /meetings/:id/officers":                  {path: "/meetings/{draft}/officers", form: url.Values{}, want: only(401, 303, board)},
	"GET /meetings/:id/convene":                    {path: "/meetings/{draft}/convene", want: only(toSignIn, 200, board)},
	"POST /meetings/:id/convene":                   {path: "/meetings/{convene2}/convene", form: url.Values{}, want: only(401, 303, board)},
	"GET /meetings/:id/cancel":                     {path: "/meetings/{draft}/cancel", want: only(toSignIn, 200, board)},
	"POST /meetings/:id/cancel":                    {path: "/meetings/{cancel2}/cancel", form: url.Values{"reason": {"Planned twice."}}, want: only(401, 303, board)},
	"POST /meetings/:id/open":                      {path: "/meetings/{meeting}/open", form: url.Values{}, want: callers(401, 404, 403, 403, 403, 404)},
	"GET /meetings/:id/close":                      {path: "/meetings/{meeting}/close", want: callers(toSignIn, 404, 403, 403, 403, 404)},
	"POST /meetings/:id/close":                     {path: "/meetings/{meeting}/close", form: url.Values{}, want: callers(401, 404, 403, 403, 403, 404)},
	"POST /meetings/:id/attend":                    {path: "/meetings/{meeting}/attend", form: url.Values{"mode": {"remote"}}, want: callers(401, 404, 303, 403, 403, 404)},
	"POST /meetings/:id/leave":                     {path: "/meetings/{meeting}/leave", form: url.Values{}, want: callers(401, 404, 303, 403, 403, 404)},
	"POST /meetings/:id/proxy":                     {path: "/meetings/{meeting}/proxy", form: url.Values{"holder_member_no": {"999999"}}, want: callers(401, 404, 422, 403, 403, 404)},
	"POST /meetings/:id/proxy/withdraw":            {path: "/meetings/{meeting}/proxy/withdraw", form: url.Values{}, want: callers(401, 404, 404, 403, 403, 404)},
	"GET /requests":                                {path: "/requests", want: callers(toSignIn, 403, 200, 200, 200, 403)},
	"POST /requests":                               {path: "/requests", form: url.Values{"title": {"A party"}}, want: callers(401, 403, 303, 403, 403, 403)},
	"POST /meetings/:id/requests":                  {path: "/meetings/{ask}/requests", form: url.Values{"title": {"A party"}}, want: callers(401, 404, 303, 403, 403, 404)},
	"GET /meetings/:id/requests":                   {path: "/meetings/{ask}/requests", want: only(toSignIn, 200, board)},
	"POST /meetings/:id/requests/:request/accept":  {path: "/meetings/{ask}/requests/{req3}/accept", form: url.Values{}, want: only(401, 303, board)},
	"POST /meetings/:id/requests/:request/decline": {path: "/meetings/{ask}/requests/{req4}/decline", form: url.Values{"reason": {"No."}}, want: only(401, 303, board)},
	"GET /meetings/:id/attendance":                 {path: "/meetings/{meeting}/attendance", want: callers(toSignIn, 404, 403, 200, 200, 404)},
	"POST /meetings/:id/attendance":                {path: "/meetings/{meeting}/attendance", form: url.Values{"member_no": {"999999"}}, want: callers(401, 404, 403, 403, 403, 404)},
	"POST /meetings/:id/attendance/:member/leave":  {path: "/meetings/{meeting}/attendance/{self}/leave", form: url.Values{}, want: callers(401, 404, 303, 403, 403, 404)},
}

func init() { maps.Copy(accessTable, meetingRoutes) }

// makeMeetings makes the meetings the access table's paths name, once the
// member caller is a member, and returns the replacer that puts their ids
// in paths.
func makeMeetings(t *testing.T, inst *osktest.Instance) *strings.Replacer {
	t.Helper()
	ctx := context.Background()
	principal := func(email string) auth.Principal {
		acc, err := inst.Server.Auth.AccountByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		p, err := inst.Server.Auth.Principal(ctx, acc.ID)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	boardMember := principal(callerNames[board] + "@example.org")
	memberCaller := principal(callerNames[member] + "@example.org")
	chairAcc, err := inst.Server.Auth.CreateAccount(ctx, auth.Operator, "chair@example.org", "Chair")
	if err != nil {
		t.Fatal(err)
	}
	if err := inst.Server.Auth.Grant(ctx, auth.Operator, chairAcc.ID, auth.RoleBoard); err != nil {
		t.Fatal(err)
	}
	holderAcc, err := inst.Server.Auth.CreateAccount(ctx, auth.Operator, "holder@example.org", "Holder")
	if err != nil {
		t.Fatal(err)
	}
	holderP, err := inst.Server.Auth.Principal(ctx, holderAcc.ID)
	if err != nil {
		t.Fatal(err)
	}
	holder, err := inst.Server.Members.Apply(ctx, holderP, members.Application{Kind: members.KindIndividual, Name: "Holder", Email: "holder@example.org", Country: "FI", AcceptRules: true})
	if err != nil {
		t.Fatal(err)
	}
	if holder, err = inst.Server.Members.Admit(ctx, boardMember, holder.ID, members.Admission{}); err != nil {
		t.Fatal(err)
	}

	svc := inst.Server.Meetings
	now := inst.Clock.Now()
	draft := func(start time.Time, items ...string) meetings.Meeting {
		agenda := []meetings.ItemInput{}
		for _, it := range items {
			agenda = append(agenda, meetings.ItemInput{Title: it})
		}
		m, err := svc.Create(ctx, boardMember, meetings.Draft{Kind: meetings.KindExtraordinary, Title: "EGM",
			StartsAt: start.Format(time.RFC3339), EndsAt: start.Add(2 * time.Hour).Format(time.RFC3339),
			Location: "Helsinki", RemoteAllowed: true, OnlineURL: "https://meet.example.org/osk", Agenda: agenda})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	convene := func(m meetings.Meeting) meetings.Meeting {
		m, err := svc.Convene(ctx, boardMember, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	// An annual meeting drafted with an agenda of its own lacks the
	// statutory items, for the board to put back.
	agm := func() string {
		start := now.Add(30 * 24 * time.Hour)
		m, err := svc.Create(ctx, boardMember, meetings.Draft{Kind: meetings.KindAnnual, Title: "AGM",
			StartsAt: start.Format(time.RFC3339), EndsAt: start.Add(2 * time.Hour).Format(time.RFC3339),
			Location: "Helsinki", Agenda: []meetings.ItemInput{{Title: "Opening"}}})
		if err != nil {
			t.Fatal(err)
		}
		return id(m.ID)
	}

	// The meeting is convened a week ahead, then brought forward to half
	// an hour from now, so that attendance is open.
	meeting := convene(draft(now.Add(8*24*time.Hour), "Opening", "Closing"))
	// A secretary and a minute checker of their own, so that the session
	// may close and no caller gains their powers.
	var minuted []int64
	for _, who := range []string{"secretary", "checker"} {
		acc, err := inst.Server.Auth.CreateAccount(ctx, auth.Operator, who+"@example.org", who)
		if err != nil {
			t.Fatal(err)
		}
		if err := inst.Server.Auth.Grant(ctx, auth.Operator, acc.ID, auth.RoleBoard); err != nil {
			t.Fatal(err)
		}
		minuted = append(minuted, acc.ID)
	}
	officers := meetings.Officers{ChairAccountID: &chairAcc.ID, SecretaryAccountID: &minuted[0], CheckerAccountIDs: minuted[1:]}
	if _, err := svc.SetOfficers(ctx, boardMember, meeting.ID, officers); err != nil {
		t.Fatal(err)
	}
	if _, err := inst.DB.Exec(`UPDATE meetings SET starts_at = $2, ends_at = $3 WHERE id = $1`,
		meeting.ID, now.Add(30*time.Minute), now.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.GrantProxy(ctx, memberCaller, meeting.ID, meetings.ProxyInput{HolderMemberID: holder.ID}); err != nil {
		t.Fatal(err)
	}
	d := draft(now.Add(20*24*time.Hour), "One", "Two", "Three")
	ask := convene(draft(now.Add(45*24*time.Hour), "Opening", "Closing"))
	pairs := []string{
		"{meeting}", id(meeting.ID), "{draft}", id(d.ID), "{ask}", id(ask.ID),
		"{item1}", id(d.Agenda[0].ID), "{item2}", id(d.Agenda[1].ID), "{item3}", id(d.Agenda[2].ID),
		"{convene1}", id(draft(now.Add(20*24*time.Hour), "Opening").ID),
		"{convene2}", id(draft(now.Add(20*24*time.Hour), "Opening").ID),
		"{cancel1}", id(draft(now.Add(20*24*time.Hour), "Opening").ID),
		"{cancel2}", id(draft(now.Add(20*24*time.Hour), "Opening").ID),
		"{agm1}", agm(), "{agm2}", agm(),
	}
	for i := 1; i <= 4; i++ {
		req, err := svc.RequestItem(ctx, memberCaller, ask.ID, meetings.ItemRequestInput{Title: "Request " + id(int64(i))})
		if err != nil {
			t.Fatal(err)
		}
		pairs = append(pairs, "{req"+id(int64(i))+"}", id(req.ID))
	}
	return strings.NewReplacer(pairs...)
}

// openStream makes a request to a streaming route and returns its status
// without waiting for the stream to end.
func openStream(t *testing.T, c *osktest.Client, base, path string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
