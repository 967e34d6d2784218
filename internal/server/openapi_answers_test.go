package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/osktest"
)

// exchange drives Osk's API over HTTP and checks every answer, and every
// body sent that Osk should accept, against the document.
type exchange struct {
	t    *testing.T
	doc  openAPIDoc
	base string
}

// do sends method to route, a path of the document followed perhaps by a
// query, with its parameters filled from args in order, and checks that
// the answer has status want and is what the document says of it.
func (x exchange) do(c *osktest.Client, method, route string, body any, want int, args ...any) *osktest.Response {
	x.t.Helper()
	template, query, _ := strings.Cut(route, "?")
	op := x.doc.operation(method, template)
	if op == nil {
		x.t.Fatalf("%s %s is not in the document", method, template)
	}
	path := fill(template, args...)
	if query != "" {
		path += "?" + query
	}
	key := method + " " + template
	// A body sent to be refused need not be one the document allows.
	if _, raw := body.([]byte); body != nil && !raw && want < 300 {
		x.checkRequest(key, op, body)
	}
	resp := c.Do(method, path, body)
	if resp.StatusCode != want {
		x.t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, resp.Body)
	}
	x.checkAnswer(key, op, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Body)
	return resp
}

func (x exchange) checkRequest(key string, op map[string]any, body any) {
	x.t.Helper()
	rb := jsonObject(op, "requestBody")
	if rb == nil {
		x.t.Errorf("%s: sent a body, but the document takes none", key)
		return
	}
	v, err := decodeNumbers(mustJSON(x.t, body))
	if err != nil {
		x.t.Fatal(err)
	}
	s := jsonObject(jsonObject(jsonObject(rb, "content"), mediaJSON), "schema")
	for _, p := range x.doc.validate(s, v, "request") {
		x.t.Errorf("%s: %s", key, p)
	}
}

func (x exchange) checkAnswer(key string, op map[string]any, status int, contentType string, body []byte) {
	x.t.Helper()
	r := x.doc.response(op, status)
	if r == nil {
		x.t.Errorf("%s answered %d, which the document does not give", key, status)
		return
	}
	content := jsonObject(r, "content")
	if content == nil {
		if len(body) > 0 {
			x.t.Errorf("%s %d: documented without a body, sent %q", key, status, body)
		}
		return
	}
	media, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		x.t.Errorf("%s %d: Content-Type %q: %v", key, status, contentType, err)
		return
	}
	documented := jsonObject(content, media)
	if documented == nil {
		x.t.Errorf("%s %d: sent as %s, documented as %v", key, status, media, slices.Sorted(maps.Keys(content)))
		return
	}
	if media != mediaJSON && media != "application/problem+json" {
		return
	}
	v, err := decodeNumbers(body)
	if err != nil {
		x.t.Errorf("%s %d: %v: %s", key, status, err, body)
		return
	}
	for _, p := range x.doc.validate(jsonObject(documented, "schema"), v, "body") {
		x.t.Errorf("%s %d: %s", key, status, p)
	}
}

// stream opens a stream of Server-Sent Events and checks its status and
// content type, without waiting for it to end.
func (x exchange) stream(c *osktest.Client, route string, args ...any) {
	x.t.Helper()
	path := fill(route, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, x.base+path, nil)
	if err != nil {
		x.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		x.t.Fatalf("GET %s: %v", path, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		x.t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	x.checkAnswer("GET "+route, x.doc.operation(http.MethodGet, route), resp.StatusCode, resp.Header.Get("Content-Type"), nil)
}

// fill puts args into the {parameters} of a path, in order.
func fill(template string, args ...any) string {
	path := template
	for _, arg := range args {
		open, end := strings.Index(path, "{"), strings.Index(path, "}")
		path = path[:open] + url.PathEscape(fmt.Sprint(arg)) + path[end+1:]
	}
	return path
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestOpenAPI_AnswersMatchTheDocument takes a meeting from its draft to
// sealed minutes through the API, with a member's application, motions,
// an election, proxies and ballots on the way, and checks every answer
// against the schema the document gives for its route and status, so that
// a field changed in the code and not in the document fails here.
func TestOpenAPI_AnswersMatchTheDocument(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	x := exchange{t: t, doc: fetchDocument(t, inst), base: inst.URL}
	ctx := context.Background()
	people := inst.People(t)
	client := func(p auth.Principal) *osktest.Client {
		tok, _, err := inst.Server.Auth.CreateToken(ctx, auth.Operator, p.AccountID, "openapi", 0)
		if err != nil {
			t.Fatal(err)
		}
		c := inst.Client(t)
		c.Token = tok
		return c
	}
	board := client(people.Person("Board Member", auth.RoleBoard))
	admin := client(people.Person("Admin", auth.RoleAdmin))
	auditor := client(people.Person("Auditor", auth.RoleAuditor))
	aliceP, _ := people.Member("Alice")
	bobP, bobM := people.Member("Bob")
	carolP, carolM := people.Member("Carol")
	daveP, _ := people.Member("Dave")
	frankP, frankM := people.Member("Frank")
	erinP := people.Person("Erin")
	alice, bob, carol, dave, frank, erin := client(aliceP), client(bobP), client(carolP), client(daveP), client(frankP), client(erinP)
	anonymous := inst.Client(t)
	var answer struct {
		ID         int64   `json:"id"`
		NextCursor *string `json:"next_cursor"`
		Receipt    string  `json:"receipt"`
		Agenda     []struct {
			ID int64 `json:"id"`
		} `json:"agenda"`
	}
	read := func(r *osktest.Response) {
		answer.NextCursor, answer.Agenda = nil, nil
		r.JSON(t, &answer)
	}

	// Who is calling, and the register.
	x.do(anonymous, "GET", "/api/v1/openapi.json", nil, 200)
	x.do(anonymous, "GET", "/healthz", nil, 200)
	x.do(anonymous, "GET", "/api/v1/me", nil, 401)
	x.do(alice, "GET", "/api/v1/me", nil, 200)
	x.do(erin, "GET", "/api/v1/me", nil, 200)
	application := map[string]any{"kind": "individual", "name": "Erin", "email": erinP.Email, "country": "FI", "accept_rules": true, "statement": "I want to help."}
	read(x.do(erin, "POST", "/api/v1/applications", application, 201))
	erinID := answer.ID
	x.do(erin, "POST", "/api/v1/applications", application, 409)
	x.do(board, "POST", "/api/v1/members/{id}/reject", map[string]any{}, 422, erinID)
	x.do(board, "POST", "/api/v1/members/{id}/reject", []byte(`{"reason":`), 400, erinID)
	x.do(board, "POST", "/api/v1/members/{id}/admit", map[string]any{"decision": "Board 2026/1 §3"}, 200, erinID)
	x.do(board, "POST", "/api/v1/members/{id}/share-payments", map[string]any{"amount": "10.00", "paid_on": inst.Clock.Now().Format(time.DateOnly)}, 201, erinID)
	x.do(board, "PUT", "/api/v1/members/{id}/share-due", map[string]any{"amount": "20.00"}, 200, erinID)
	x.do(erin, "PATCH", "/api/v1/members/{id}", map[string]any{"address": "Mannerheimintie 1, Helsinki"}, 200, erinID)
	x.do(erin, "GET", "/api/v1/members/{id}", nil, 200, erinID)
	x.do(board, "GET", "/api/v1/members/{id}/history", nil, 200, erinID)
	x.do(board, "GET", "/api/v1/members/{id}", nil, 404, 999999)
	x.do(alice, "GET", "/api/v1/members", nil, 403)
	x.do(board, "GET", "/api/v1/members?limit=0", nil, 422)
	read(x.do(board, "GET", "/api/v1/members?limit=2", nil, 200))
	if answer.NextCursor == nil {
		t.Fatal("a first page of two members has no next_cursor")
	}
	x.do(auditor, "GET", "/api/v1/members?status=active&limit=2&cursor="+url.QueryEscape(*answer.NextCursor), nil, 200)
	x.do(board, "GET", "/api/v1/members/register.csv", nil, 200)
	orgRep := people.Person("Pia Rep")
	org := people.Organisation(orgRep, "Coop Supplies")
	x.do(board, "PUT", "/api/v1/members/{id}/representative", map[string]any{"email": people.Person("Ola Rep").Email}, 200, org.ID)
	x.do(client(orgRep), "GET", "/api/v1/me", nil, 200)

	rules := x.do(alice, "GET", "/api/v1/rules", nil, 200)
	current, err := decodeNumbers(rules.Body)
	if err != nil {
		t.Fatal(err)
	}
	x.do(admin, "PUT", "/api/v1/rules", current, 200)

	// A meeting eight days ahead, and another with time for members'
	// motions and agenda requests.
	now := inst.Clock.Now()
	at := func(d time.Duration) string { return now.Add(d).Truncate(time.Minute).Format(time.RFC3339) }
	read(x.do(board, "POST", "/api/v1/meetings", map[string]any{
		"kind": "extraordinary", "title": "Spring meeting", "starts_at": at(8 * 24 * time.Hour), "ends_at": at(8*24*time.Hour + 2*time.Hour),
		"location": "Helsinki", "remote_allowed": true, "online_url": "https://meet.example.org/osk",
		"agenda": []map[string]any{{"title": "The budget"}, {"title": "Board election", "description": "One seat."}},
		"officers": map[string]any{"chair_account_id": carolP.AccountID, "secretary_account_id": daveP.AccountID,
			"checker_account_ids": []int64{aliceP.AccountID}},
	}, 201))
	meeting, budgetItem, electionItem := answer.ID, answer.Agenda[0].ID, answer.Agenda[1].ID
	read(x.do(board, "POST", "/api/v1/meetings/{id}/agenda", map[string]any{"title": "Any other business"}, 201, meeting))
	x.do(board, "PATCH", "/api/v1/meetings/{id}/agenda/{item}", map[string]any{"description": "Anything else."}, 200, meeting, answer.ID)
	x.do(board, "DELETE", "/api/v1/meetings/{id}/agenda/{item}", nil, 204, meeting, answer.ID)
	x.do(board, "PATCH", "/api/v1/meetings/{id}", map[string]any{"location": "Tampere"}, 200, meeting)
	x.do(board, "POST", "/api/v1/meetings/{id}/officers", map[string]any{"chair_account_id": carolP.AccountID,
		"secretary_account_id": daveP.AccountID, "checker_account_ids": []int64{aliceP.AccountID}}, 200, meeting)
	x.do(board, "POST", "/api/v1/meetings/{id}/convene", nil, 200, meeting)
	read(x.do(board, "POST", "/api/v1/meetings", map[string]any{
		"kind": "extraordinary", "title": "Autumn meeting", "starts_at": at(45 * 24 * time.Hour), "ends_at": at(45*24*time.Hour + 2*time.Hour),
		"location": "Helsinki", "agenda": []map[string]any{{"title": "Proposals"}},
	}, 201))
	later := answer.ID
	x.do(board, "POST", "/api/v1/meetings/{id}/convene", nil, 200, later)
	x.do(alice, "GET", "/api/v1/meetings/{id}", nil, 200, meeting)
	read(x.do(alice, "GET", "/api/v1/meetings?limit=1", nil, 200))
	if answer.NextCursor == nil {
		t.Fatal("a first page of one meeting of two has no next_cursor")
	}
	x.do(alice, "GET", "/api/v1/meetings?cursor="+url.QueryEscape(*answer.NextCursor), nil, 200)
	x.do(alice, "GET", "/api/v1/meetings/calendar.ics", nil, 200)
	x.do(alice, "GET", "/api/v1/meetings/{id}/calendar.ics", nil, 200, meeting)
	x.stream(alice, "/api/v1/meetings/{id}/events", meeting)

	read(x.do(alice, "POST", "/api/v1/meetings/{id}/item-requests", map[string]any{"title": "Solar panels", "description": "On the roof."}, 201, later))
	x.do(board, "GET", "/api/v1/meetings/{id}/item-requests", nil, 200, later)
	x.do(board, "POST", "/api/v1/meetings/{id}/item-requests/{request}/accept", map[string]any{}, 200, later, answer.ID)
	read(x.do(alice, "POST", "/api/v1/meetings/{id}/item-requests", map[string]any{"title": "A party"}, 201, later))
	x.do(board, "POST", "/api/v1/meetings/{id}/item-requests/{request}/decline", map[string]any{"reason": "Not for a general meeting."}, 200, later, answer.ID)
	read(x.do(alice, "POST", "/api/v1/meetings/{id}/motions", map[string]any{"title": "Solar panels", "body": "The co-op installs **solar panels**."}, 201, later))
	x.do(bob, "POST", "/api/v1/motions/{id}/second", nil, 200, answer.ID)
	x.do(alice, "GET", "/api/v1/meetings/{id}/motions?limit=1", nil, 200, later)
	x.do(alice, "POST", "/api/v1/motions/{id}/withdraw", nil, 200, answer.ID)
	x.do(frank, "POST", "/api/v1/meetings/{id}/proxies", map[string]any{"holder_member_id": bobM.ID}, 201, later)
	x.do(frank, "DELETE", "/api/v1/meetings/{id}/proxies/mine", nil, 200, later)

	// The session, half an hour before the start.
	x.do(frank, "POST", "/api/v1/meetings/{id}/proxies", map[string]any{"holder_member_id": bobM.ID}, 201, meeting)
	inst.Clock.Advance(8*24*time.Hour - 30*time.Minute)
	x.do(carol, "POST", "/api/v1/meetings/{id}/open", nil, 200, meeting)
	for _, c := range []*osktest.Client{alice, bob, carol} {
		x.do(c, "POST", "/api/v1/meetings/{id}/attendance", map[string]any{"mode": "in_person"}, 201, meeting)
	}
	x.do(alice, "POST", "/api/v1/meetings/{id}/attendance", map[string]any{"mode": "in_person"}, 200, meeting)
	x.do(carol, "GET", "/api/v1/meetings/{id}/attendance", nil, 200, meeting)
	x.do(carol, "GET", "/api/v1/meetings/{id}/proxies", nil, 200, meeting)
	x.do(alice, "GET", "/api/v1/meetings/{id}/quorum", nil, 200, meeting)

	// A motion, decided by the chair's casting vote on a tie.
	read(x.do(board, "POST", "/api/v1/meetings/{id}/motions", map[string]any{"title": "The budget", "body": "The meeting adopts the budget.", "agenda_item_id": budgetItem}, 201, meeting))
	motion := answer.ID
	x.do(alice, "GET", "/api/v1/motions/{id}", nil, 200, motion)
	x.do(board, "PUT", "/api/v1/motions/{id}/majority", map[string]any{"majority": "simple"}, 200, motion)
	read(x.do(carol, "POST", "/api/v1/motions/{id}/ballots", map[string]any{"secret": false}, 201, motion))
	ballot := answer.ID
	x.do(board, "PUT", "/api/v1/motions/{id}/majority", map[string]any{"majority": "two_thirds"}, 409, motion)
	x.do(alice, "GET", "/api/v1/ballots/{id}", nil, 200, ballot)
	read(x.do(alice, "POST", "/api/v1/ballots/{id}/votes", map[string]any{"choice": "for"}, 201, ballot))
	receipt := answer.Receipt
	x.do(alice, "POST", "/api/v1/ballots/{id}/votes", map[string]any{"choice": "for"}, 409, ballot)
	bob.Header = http.Header{"Idempotency-Key": {"openapi-bob-1"}}
	x.do(bob, "POST", "/api/v1/ballots/{id}/votes", map[string]any{"choice": "against"}, 201, ballot)
	x.do(bob, "POST", "/api/v1/ballots/{id}/votes", map[string]any{"choice": "against"}, 200, ballot)
	bob.Header = nil
	x.do(bob, "POST", "/api/v1/ballots/{id}/votes", map[string]any{"choice": "abstain", "on_behalf_of_member_id": frankM.ID}, 201, ballot)
	x.do(alice, "GET", "/api/v1/ballots/{id}/record", nil, 409, ballot)
	x.do(carol, "POST", "/api/v1/ballots/{id}/close", nil, 200, ballot)
	x.do(carol, "POST", "/api/v1/ballots/{id}/casting-vote", map[string]any{"choice": "for"}, 200, ballot)
	x.do(alice, "GET", "/api/v1/ballots/{id}", nil, 200, ballot)
	x.do(alice, "GET", "/api/v1/ballots/{id}/record", nil, 200, ballot)
	x.do(auditor, "GET", "/api/v1/ballots/{id}/record", nil, 200, ballot)
	x.do(anonymous, "GET", "/api/v1/receipts/{receipt}", nil, 200, receipt)
	x.do(anonymous, "GET", "/api/v1/receipts/{receipt}", nil, 404, "not-a-receipt")

	// An election for one seat.
	read(x.do(board, "POST", "/api/v1/meetings/{id}/elections", map[string]any{"title": "Board member", "seats": 1, "agenda_item_id": electionItem}, 201, meeting))
	election := answer.ID
	read(x.do(alice, "POST", "/api/v1/elections/{id}/candidates", map[string]any{"statement": "I will keep the books."}, 201, election))
	aliceCandidate := answer.ID
	read(x.do(bob, "POST", "/api/v1/elections/{id}/candidates", map[string]any{"member_id": carolM.ID}, 201, election))
	x.do(carol, "POST", "/api/v1/elections/{id}/candidates/{cid}/consent", nil, 200, election, answer.ID)
	read(x.do(board, "POST", "/api/v1/elections/{id}/candidates", map[string]any{"name": "Tilintarkastus Oy"}, 201, election))
	x.do(board, "POST", "/api/v1/elections/{id}/candidates", map[string]any{"name": "tilintarkastus oy"}, 409, election)
	x.do(board, "POST", "/api/v1/elections/{id}/candidates/{cid}/withdraw", nil, 200, election, answer.ID)
	closing := inst.Clock.Now().Add(time.Hour).Format(time.RFC3339)
	x.do(board, "PUT", "/api/v1/elections/{id}/nominations-close", map[string]any{"nominations_close_at": closing}, 200, election)
	x.do(board, "PUT", "/api/v1/elections/{id}/nominations-close", map[string]any{"nominations_close_at": nil}, 200, election)
	x.do(alice, "GET", "/api/v1/elections/{id}", nil, 200, election)
	x.do(alice, "GET", "/api/v1/meetings/{id}/elections", nil, 200, meeting)
	read(x.do(carol, "POST", "/api/v1/elections/{id}/ballots", map[string]any{}, 201, election))
	electionBallot := answer.ID
	x.do(alice, "POST", "/api/v1/ballots/{id}/votes", map[string]any{"candidates": []int64{aliceCandidate}}, 201, electionBallot)
	x.do(bob, "POST", "/api/v1/ballots/{id}/votes", map[string]any{"candidates": []int64{}}, 201, electionBallot)
	x.do(carol, "POST", "/api/v1/ballots/{id}/close", nil, 200, electionBallot)
	x.do(auditor, "GET", "/api/v1/meetings/{id}/elections?limit=1", nil, 200, meeting)
	x.do(alice, "GET", "/api/v1/elections/{id}", nil, 200, election)
	x.do(alice, "GET", "/api/v1/ballots/{id}/record", nil, 200, electionBallot)

	x.do(bob, "DELETE", "/api/v1/meetings/{id}/attendance", nil, 204, meeting)
	x.do(carol, "POST", "/api/v1/meetings/{id}/close", nil, 200, meeting)

	// The minutes, sent back once, then signed and sealed, and an
	// addendum that goes the same way.
	x.do(dave, "GET", "/api/v1/meetings/{id}/minutes", nil, 200, meeting)
	x.do(dave, "PUT", "/api/v1/meetings/{id}/minutes", map[string]any{"body": "# Minutes\n\nThe budget was adopted.\n"}, 200, meeting)
	x.do(dave, "POST", "/api/v1/meetings/{id}/minutes/submit", nil, 200, meeting)
	x.do(carol, "POST", "/api/v1/meetings/{id}/minutes/return", map[string]any{"comment": "Say who chaired."}, 200, meeting)
	x.do(dave, "PUT", "/api/v1/meetings/{id}/minutes", map[string]any{"body": "# Minutes\n\nCarol chaired. The budget was adopted.\n"}, 200, meeting)
	x.do(dave, "POST", "/api/v1/meetings/{id}/minutes/submit", nil, 200, meeting)
	x.do(carol, "POST", "/api/v1/meetings/{id}/minutes/sign", nil, 200, meeting)
	x.do(alice, "POST", "/api/v1/meetings/{id}/minutes/sign", map[string]any{"version": 2}, 200, meeting)
	x.do(bob, "GET", "/api/v1/meetings/{id}/minutes", nil, 200, meeting)
	x.do(board, "GET", "/api/v1/meetings/{id}/minutes/versions", nil, 200, meeting)
	x.do(board, "GET", "/api/v1/meetings/{id}/minutes/versions/{version}", nil, 200, meeting, 1)
	x.do(dave, "POST", "/api/v1/meetings/{id}/minutes/addenda", map[string]any{"body": "Frank voted by proxy.\n"}, 201, meeting)
	x.do(dave, "POST", "/api/v1/meetings/{id}/minutes/addenda/{n}/submit", nil, 200, meeting, 1)
	x.do(alice, "POST", "/api/v1/meetings/{id}/minutes/addenda/{n}/return", map[string]any{"comment": "Name the holder."}, 200, meeting, 1)
	x.do(dave, "PUT", "/api/v1/meetings/{id}/minutes/addenda/{n}", map[string]any{"body": "Frank voted by proxy, held by Bob.\n"}, 200, meeting, 1)
	x.do(dave, "POST", "/api/v1/meetings/{id}/minutes/addenda/{n}/submit", nil, 200, meeting, 1)
	x.do(carol, "POST", "/api/v1/meetings/{id}/minutes/addenda/{n}/sign", nil, 200, meeting, 1)
	x.do(alice, "POST", "/api/v1/meetings/{id}/minutes/addenda/{n}/sign", map[string]any{}, 200, meeting, 1)
	x.do(bob, "GET", "/api/v1/meetings/{id}/minutes/addenda/{n}", nil, 200, meeting, 1)
	x.do(board, "GET", "/api/v1/meetings/{id}/minutes/addenda/{n}/versions", nil, 200, meeting, 1)
	x.do(board, "GET", "/api/v1/meetings/{id}/minutes/addenda/{n}/versions/{version}", nil, 200, meeting, 1, 2)
	x.do(alice, "GET", "/api/v1/minutes", nil, 200)
	x.do(alice, "GET", "/api/v1/minutes?q=budget", nil, 200)
	x.do(board, "GET", "/api/v1/minutes/overdue", nil, 200)

	// The autumn meeting is called off, and members leave.
	x.do(board, "POST", "/api/v1/meetings/{id}/cancel", map[string]any{"reason": "Nothing left to decide."}, 200, later)
	x.do(board, "POST", "/api/v1/members/{id}/suspend", map[string]any{"reason": "Unpaid share."}, 200, erinID)
	x.do(board, "POST", "/api/v1/members/{id}/reinstate", map[string]any{"reason": "Paid."}, 200, erinID)
	x.do(erin, "POST", "/api/v1/members/{id}/resign", nil, 200, erinID)
	x.do(board, "POST", "/api/v1/members/{id}/share-payments", map[string]any{"kind": "refund", "amount": "10.00", "paid_on": inst.Clock.Now().Format(time.DateOnly)}, 201, erinID)
	x.do(board, "POST", "/api/v1/members/{id}/erase", nil, 200, erinID)
	x.do(board, "POST", "/api/v1/members/{id}/expel", map[string]any{"reason": "Acted against the co-op."}, 200, frankM.ID)

	// The auditor's tools.
	read(x.do(auditor, "GET", "/api/v1/audit/events?limit=5", nil, 200))
	x.do(auditor, "GET", "/api/v1/audit/verify", nil, 200)
	x.do(auditor, "GET", "/api/v1/audit/meetings/{id}/bundle", nil, 200, meeting)
}
