package server_test

import (
	"context"
	"maps"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/motions"
	"github.com/citizen-network/osk/internal/osktest"
)

// Who may do what with motions. {motionMeeting} is convened well before
// its member motion deadline; {motion}, {secondApi} and {secondPage} are
// submitted motions of a member who is none of the callers;
// {withdrawApi} and {withdrawPage} are the member caller's; {ballotApi}
// and {ballotPage} are the board's, ready for a vote while the meeting
// is not yet in session.
var motionRoutes = map[string]expect{
	"POST /api/v1/meetings/:id/motions": {path: "/api/v1/meetings/{motionMeeting}/motions",
		body: map[string]any{"title": "Solar panels", "body": "Buy solar panels."}, want: callers(401, 404, 201, 201, 403, 404)},
	"GET /api/v1/meetings/:id/motions":  {path: "/api/v1/meetings/{motionMeeting}/motions", want: callers(401, 404, 200, 200, 200, 404)},
	"GET /api/v1/motions/:id":           {path: "/api/v1/motions/{motion}", want: callers(401, 404, 200, 200, 200, 404)},
	"POST /api/v1/motions/:id/second":   {path: "/api/v1/motions/{secondApi}/second", body: map[string]any{}, want: callers(401, 404, 200, 403, 403, 404)},
	"POST /api/v1/motions/:id/withdraw": {path: "/api/v1/motions/{withdrawApi}/withdraw", body: map[string]any{}, want: callers(401, 404, 200, 403, 403, 404)},
	// The chair opens ballots in the session; the board may reach
	// internal/ballots, which refuses a ballot of the members represented
	// before the session.
	"POST /api/v1/motions/:id/ballots": {path: "/api/v1/motions/{ballotApi}/ballots", body: map[string]any{"secret": false}, want: callers(401, 404, 403, 409, 403, 404)},
	// The board marks a motion as needing more than a simple majority.
	"PUT /api/v1/motions/:id/majority": {path: "/api/v1/motions/{motion}/majority", body: map[string]any{"majority": "two_thirds"}, want: callers(401, 404, 403, 200, 403, 404)},

	"GET /meetings/:id/motions":    {path: "/meetings/{motionMeeting}/motions", want: callers(toSignIn, 404, 200, 200, 200, 404)},
	"POST /meetings/:id/motions":   {path: "/meetings/{motionMeeting}/motions", form: url.Values{"title": {"Wind power"}, "body": {"Buy wind power."}}, want: callers(401, 404, 303, 303, 403, 404)},
	"GET /motions/:id":             {path: "/motions/{motion}", want: callers(toSignIn, 404, 200, 200, 200, 404)},
	"POST /motions/:id/amendments": {path: "/motions/{motion}/amendments", form: url.Values{"title": {"Smaller"}, "body": {"Buy small solar panels."}}, want: callers(401, 404, 303, 303, 403, 404)},
	"POST /motions/:id/second":     {path: "/motions/{secondPage}/second", form: url.Values{}, want: callers(401, 404, 303, 403, 403, 404)},
	"POST /motions/:id/withdraw":   {path: "/motions/{withdrawPage}/withdraw", form: url.Values{}, want: callers(401, 404, 303, 403, 403, 404)},
	"POST /motions/:id/ballots":    {path: "/motions/{ballotPage}/ballots", form: url.Values{"secret": {"no"}}, want: callers(401, 404, 403, 409, 403, 404)},
	"POST /motions/:id/majority":   {path: "/motions/{motion}/majority", form: url.Values{"majority": {"two_thirds"}}, want: callers(401, 404, 403, 303, 403, 404)},
}

func init() { maps.Copy(accessTable, motionRoutes) }

// makeMotions makes the meeting and the motions the access table's paths
// name, once the member and board callers exist, and returns the replacer
// that puts their ids in paths.
func makeMotions(t *testing.T, inst *osktest.Instance) *strings.Replacer {
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
	acc, err := inst.Server.Auth.CreateAccount(ctx, auth.Operator, "proposer@example.org", "Proposer")
	if err != nil {
		t.Fatal(err)
	}
	proposer, err := inst.Server.Auth.Principal(ctx, acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	mem, err := inst.Server.Members.Apply(ctx, proposer, members.Application{Kind: members.KindIndividual, Name: "Proposer", Email: "proposer@example.org", Country: "FI", AcceptRules: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inst.Server.Members.Admit(ctx, boardMember, mem.ID, members.Admission{}); err != nil {
		t.Fatal(err)
	}

	start := inst.Clock.Now().Add(45 * 24 * time.Hour).Truncate(time.Minute)
	m, err := inst.Server.Meetings.Create(ctx, boardMember, meetings.Draft{Kind: meetings.KindExtraordinary, Title: "EGM on motions",
		StartsAt: start.Format(time.RFC3339), EndsAt: start.Add(2 * time.Hour).Format(time.RFC3339), Location: "Helsinki",
		Agenda: []meetings.ItemInput{{Title: "Energy"}}})
	if err != nil {
		t.Fatal(err)
	}
	if m, err = inst.Server.Meetings.Convene(ctx, boardMember, m.ID); err != nil {
		t.Fatal(err)
	}
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	propose := func(p auth.Principal, title string) string {
		d, err := inst.Server.Motions.Propose(ctx, p, m.ID, motions.Proposal{Title: title, Body: "Buy " + strings.ToLower(title) + "."})
		if err != nil {
			t.Fatal(err)
		}
		return id(d.ID)
	}
	return strings.NewReplacer(
		"{motionMeeting}", id(m.ID),
		"{motion}", propose(proposer, "Solar panels"),
		"{secondApi}", propose(proposer, "Heat pumps"),
		"{secondPage}", propose(proposer, "Insulation"),
		"{withdrawApi}", propose(memberCaller, "Bicycles"),
		"{withdrawPage}", propose(memberCaller, "Trams"),
		"{ballotApi}", propose(boardMember, "Budget"),
		"{ballotPage}", propose(boardMember, "Accounts"),
	)
}
