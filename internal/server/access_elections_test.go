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
	"github.com/citizen-network/osk/internal/elections"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/osktest"
)

// Who may do what with elections. {electionMeeting} is convened, not yet
// in session, and chaired by the member caller; {election} is open for
// nominations; {electionConsent} is a candidate the board nominated, the
// member caller, in {electionOfConsent}; {electionBallot} has a consenting
// candidate, and its meeting is not in session, so the chair is refused
// with 409 and everyone else before that. The pages' consent form has a
// nominee of its own, {electionConsentPage} in {electionOfConsentPage}.
// {electionOfWithdrawal} has two firms the board entered, one withdrawn
// through the API ({electionWithdrawn}) and one through the page
// ({electionWithdrawnPage}): once the board has withdrawn one, the callers
// after it find no such candidate.
var electionRoutes = map[string]expect{
	"POST /api/v1/meetings/:id/elections": {path: "/api/v1/meetings/{electionMeeting}/elections",
		body: map[string]any{"title": "Board", "seats": 2}, want: callers(401, 404, 403, 201, 403, 404)},
	"GET /api/v1/meetings/:id/elections": {path: "/api/v1/meetings/{electionMeeting}/elections", want: callers(401, 404, 200, 200, 200, 404)},
	"GET /api/v1/elections/:id":          {path: "/api/v1/elections/{election}", want: callers(401, 404, 200, 200, 200, 404)},
	"PUT /api/v1/elections/:id/nominations-close": {path: "/api/v1/elections/{election}/nominations-close",
		body: map[string]any{"nominations_close_at": "2099-06-01T12:00:00Z"}, want: callers(401, 404, 403, 200, 403, 404)},
	"POST /api/v1/elections/:id/candidates/:cid/withdraw": {path: "/api/v1/elections/{electionOfWithdrawal}/candidates/{electionWithdrawn}/withdraw",
		body: map[string]any{}, want: callers(401, 404, 403, 200, 404, 404)},
	// Only the board enters a candidate who is not a member.
	"POST /api/v1/elections/:id/candidates": {path: "/api/v1/elections/{election}/candidates",
		body: map[string]any{"name": "Tilintarkastus Oy"}, want: callers(401, 404, 422, 201, 403, 404)},
	"POST /api/v1/elections/:id/candidates/:cid/consent": {path: "/api/v1/elections/{electionOfConsent}/candidates/{electionConsent}/consent",
		body: map[string]any{}, want: callers(401, 404, 200, 403, 403, 404)},
	"POST /api/v1/elections/:id/ballots": {path: "/api/v1/elections/{electionBallot}/ballots",
		body: map[string]any{}, want: callers(401, 404, 409, 403, 403, 404)},

	"GET /elections/:id": {path: "/elections/{election}", want: callers(toSignIn, 404, 200, 200, 200, 404)},
	"POST /elections/:id/candidates": {path: "/elections/{election}/candidates",
		form: url.Values{"name": {"Tarkastus Oy"}}, want: callers(401, 404, 422, 303, 403, 404)},
	"POST /elections/:id/candidates/:cid/consent": {path: "/elections/{electionOfConsentPage}/candidates/{electionConsentPage}/consent",
		form: url.Values{}, want: callers(401, 404, 303, 403, 403, 404)},
	"GET /meetings/:id/elections/new": {path: "/meetings/{electionMeeting}/elections/new", want: callers(toSignIn, 404, 403, 200, 403, 404)},
	"POST /meetings/:id/elections": {path: "/meetings/{electionMeeting}/elections",
		form: url.Values{"title": {"Board"}, "seats": {"2"}}, want: callers(401, 404, 403, 303, 403, 404)},
	"POST /elections/:id/ballots": {path: "/elections/{electionBallot}/ballots",
		form: url.Values{"secret": {"yes"}}, want: callers(401, 404, 409, 403, 403, 404)},
	"POST /elections/:id/candidates/:cid/withdraw": {path: "/elections/{electionOfWithdrawal}/candidates/{electionWithdrawnPage}/withdraw",
		form: url.Values{}, want: callers(401, 404, 403, 303, 404, 404)},
	"POST /elections/:id/nominations-close": {path: "/elections/{election}/nominations-close",
		form: url.Values{"nominations_close_at": {"2099-06-01T12:00"}}, want: callers(401, 404, 403, 303, 403, 404)},
}

func init() { maps.Copy(accessTable, electionRoutes) }

// makeElections makes the meeting and the elections the access table's
// paths name, once the callers exist, and returns the replacer that puts
// their ids in paths.
func makeElections(t *testing.T, inst *osktest.Instance) *strings.Replacer {
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
	chair := principal(callerNames[member] + "@example.org")
	acting, err := inst.Server.Members.ActingFor(ctx, chair.AccountID)
	if err != nil || len(acting) == 0 {
		t.Fatalf("the member caller acts for no member: %v", err)
	}
	start := inst.Clock.Now().Add(45 * 24 * time.Hour).Truncate(time.Minute)
	m, err := inst.Server.Meetings.Create(ctx, boardMember, meetings.Draft{Kind: meetings.KindAnnual, Title: "AGM with elections",
		StartsAt: start.Format(time.RFC3339), EndsAt: start.Add(2 * time.Hour).Format(time.RFC3339), Location: "Helsinki",
		Agenda: []meetings.ItemInput{{Title: "Elections"}}, Officers: &meetings.Officers{ChairAccountID: &chair.AccountID}})
	if err != nil {
		t.Fatal(err)
	}
	if m, err = inst.Server.Meetings.Convene(ctx, boardMember, m.ID); err != nil {
		t.Fatal(err)
	}
	svc := inst.Server.Elections
	create := func(title string) elections.Election {
		e, err := svc.Create(ctx, boardMember, m.ID, elections.NewElection{Title: title, Seats: 1})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	open := create("Chair of the board")
	ofConsent := create("Board")
	nominee, err := svc.Nominate(ctx, boardMember, ofConsent.ID, elections.Nomination{MemberID: &acting[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	ofConsentPage := create("Deputies")
	nomineePage, err := svc.Nominate(ctx, boardMember, ofConsentPage.ID, elections.Nomination{MemberID: &acting[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	withCandidate := create("Auditor")
	if _, err := svc.Nominate(ctx, boardMember, withCandidate.ID, elections.Nomination{Name: "Tarkastajat Oy"}); err != nil {
		t.Fatal(err)
	}
	ofWithdrawal := create("Auditors")
	named := func(name string) string {
		c, err := svc.Nominate(ctx, boardMember, ofWithdrawal.ID, elections.Nomination{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		return id(c.ID)
	}
	return strings.NewReplacer(
		"{electionMeeting}", id(m.ID),
		"{electionOfWithdrawal}", id(ofWithdrawal.ID),
		"{electionWithdrawnPage}", named("Revisorer Ab"),
		"{electionWithdrawn}", named("Tilintarkastajat Oy"),
		"{electionOfConsent}", id(ofConsent.ID),
		"{electionConsent}", id(nominee.ID),
		"{electionOfConsentPage}", id(ofConsentPage.ID),
		"{electionConsentPage}", id(nomineePage.ID),
		"{electionBallot}", id(withCandidate.ID),
		"{election}", id(open.ID),
	)
}
