package server_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/dbtest"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/osktest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// The callers every route is tried with.
const (
	anonymous = iota
	outsider  // signed in, not a member
	member
	board
	auditor
	admin
	callerCount
)

var callerNames = [callerCount]string{"anonymous", "outsider", "member", "board", "auditor", "admin"}

// expect is what one route answers each caller, for the request the test
// sends: path with its parameters filled in, and form (nil: no body) or,
// for the JSON API, body. A path may name a member made for the test, as
// {name}: see memberTargets.
type expect struct {
	path string
	form url.Values
	body any
	want [callerCount]int
	// stream marks a route that answers with a stream: only its status
	// is checked.
	stream bool
}

// callers lists the answer of each caller in the order of callerNames.
func callers(anon, outsider, member, board, auditor, admin int) [callerCount]int {
	return [callerCount]int{anon, outsider, member, board, auditor, admin}
}

func all(status int) [callerCount]int {
	var w [callerCount]int
	for i := range w {
		w[i] = status
	}
	return w
}

// signedIn gives anonymous one answer and everyone signed in another.
func signedIn(anon, others int) [callerCount]int {
	w := all(others)
	w[anonymous] = anon
	return w
}

// only gives the listed callers ok, anonymous 401 (or a redirect to sign
// in, for pages), and everyone else 403.
func only(anon, ok int, allowed ...int) [callerCount]int {
	w := all(http.StatusForbidden)
	w[anonymous] = anon
	for _, a := range allowed {
		w[a] = ok
	}
	return w
}

const toSignIn = http.StatusSeeOther

// accessTable holds a decision for every route Osk registers. A route
// missing here fails TestAccessTable: no route ships without one.
var accessTable = map[string]expect{
	"GET /":                           {path: "/", want: all(200)},
	"GET /healthz":                    {path: "/healthz", want: all(200)},
	"GET /static/*":                   {path: "/static/css/osk.css", want: all(200)},
	"GET /signin":                     {path: "/signin", want: all(200)},
	"GET /auth/:provider":             {path: "/auth/dev", want: all(303)},
	"GET /auth/:provider/callback":    {path: "/auth/dev/callback?state=x&code=y", want: all(400)},
	"GET /account":                    {path: "/account", want: signedIn(toSignIn, 200)},
	"GET /account/tokens":             {path: "/account/tokens", want: signedIn(toSignIn, 200)},
	"POST /account/tokens":            {path: "/account/tokens", form: url.Values{"name": {"t"}}, want: signedIn(401, 303)},
	"POST /account/tokens/:id/revoke": {path: "/account/tokens/999999/revoke", form: url.Values{}, want: signedIn(401, 404)},
	"GET /admin/roles":                {path: "/admin/roles", want: only(toSignIn, 200, admin)},
	"POST /admin/roles/grant":         {path: "/admin/roles/grant", form: url.Values{}, want: only(401, 422, admin)},
	"POST /admin/roles/revoke":        {path: "/admin/roles/revoke", form: url.Values{}, want: only(401, 404, admin)},
	"GET /api/v1/openapi.json":        {path: "/api/v1/openapi.json", want: all(200)},
	"GET /api/v1/me":                  {path: "/api/v1/me", want: signedIn(401, 200)},
	"GET /dev/oidc/*":                 {path: "/dev/oidc/.well-known/openid-configuration", want: all(200)},
	"POST /dev/oidc/*":                {path: "/dev/oidc/token", form: url.Values{}, want: all(401)},
	"GET /dev/clock":                  {path: "/dev/clock", want: all(200)},
	"POST /dev/clock":                 {path: "/dev/clock", form: url.Values{}, want: all(400)},
	"GET /dev/mail":                   {path: "/dev/mail", want: all(200)},
	"POST /auth/signout":              {path: "/auth/signout", form: url.Values{}, want: all(303)},

	// The auditors' tools.
	"GET /audit":               {path: "/audit", want: only(toSignIn, 200, auditor)},
	"GET /audit/verify":        {path: "/audit/verify", want: only(toSignIn, 200, auditor)},
	"GET /api/v1/audit/events": {path: "/api/v1/audit/events", want: only(401, 200, auditor)},
	"GET /api/v1/audit/verify": {path: "/api/v1/audit/verify", want: only(401, 200, auditor)},

	// The co-op's rules: read by anyone signed in, changed by admins.
	"GET /rules":        {path: "/rules", want: signedIn(toSignIn, 200)},
	"POST /rules":       {path: "/rules", form: url.Values{}, want: only(401, 422, admin)},
	"GET /api/v1/rules": {path: "/api/v1/rules", want: signedIn(401, 200)},
	"PUT /api/v1/rules": {path: "/api/v1/rules", body: map[string]any{"notice_min_days": 7}, want: only(401, 422, admin)},

	// The member register. {self} is the member caller's own membership;
	// each board decision has a member of its own in the right status, so
	// that the board's request succeeds.
	"POST /api/v1/applications": {path: "/api/v1/applications", body: map[string]any{
		"kind": "individual", "name": "Applicant", "email": "applicant@example.org", "country": "FI", "accept_rules": true,
	}, want: callers(401, 201, 409, 201, 409, 201)},
	"GET /api/v1/members":                     {path: "/api/v1/members", want: only(401, 200, board, auditor)},
	"GET /api/v1/members/register.csv":        {path: "/api/v1/members/register.csv", want: only(401, 200, board, auditor)},
	"GET /api/v1/members/:id":                 {path: "/api/v1/members/{self}", want: callers(401, 404, 200, 200, 200, 404)},
	"PATCH /api/v1/members/:id":               {path: "/api/v1/members/{self}", body: map[string]any{"address": "Kauppakatu 1, Tampere"}, want: callers(401, 404, 200, 200, 403, 404)},
	"GET /api/v1/members/:id/history":         {path: "/api/v1/members/{self}/history", want: callers(401, 404, 200, 200, 200, 404)},
	"POST /api/v1/members/:id/admit":          {path: "/api/v1/members/{apiAdmit}/admit", body: map[string]any{}, want: only(401, 200, board)},
	"POST /api/v1/members/:id/reject":         {path: "/api/v1/members/{apiReject}/reject", body: map[string]any{"reason": "Not eligible."}, want: only(401, 200, board)},
	"POST /api/v1/members/:id/suspend":        {path: "/api/v1/members/{apiSuspend}/suspend", body: map[string]any{"reason": "Inquiry."}, want: only(401, 200, board)},
	"POST /api/v1/members/:id/reinstate":      {path: "/api/v1/members/{apiReinstate}/reinstate", body: map[string]any{"reason": "Cleared."}, want: only(401, 200, board)},
	"POST /api/v1/members/:id/expel":          {path: "/api/v1/members/{apiExpel}/expel", body: map[string]any{"reason": "Harmed the co-op."}, want: only(401, 200, board)},
	"POST /api/v1/members/:id/resign":         {path: "/api/v1/members/{apiResign}/resign", body: map[string]any{}, want: callers(401, 404, 404, 200, 403, 404)},
	"POST /api/v1/members/:id/share-payments": {path: "/api/v1/members/{self}/share-payments", body: map[string]any{"amount": "10.00", "paid_on": "2024-01-15"}, want: only(401, 201, board)},
	"PUT /api/v1/members/:id/share-due":       {path: "/api/v1/members/{self}/share-due", body: map[string]any{"amount": "10.00"}, want: only(401, 200, board)},
	"PUT /api/v1/members/:id/representative":  {path: "/api/v1/members/{apiOrg}/representative", body: map[string]any{"email": "representative@example.org"}, want: only(401, 200, board)},
	"POST /api/v1/members/:id/erase":          {path: "/api/v1/members/{apiErase}/erase", body: map[string]any{}, want: only(401, 200, board)},
	"GET /apply":                              {path: "/apply", want: signedIn(toSignIn, 200)},
	"POST /apply":                             {path: "/apply", form: url.Values{}, want: callers(401, 422, 422, 422, 409, 422)},
	"GET /membership":                         {path: "/membership", want: signedIn(toSignIn, 200)},
	"GET /members":                            {path: "/members", want: only(toSignIn, 200, board, auditor)},
	"GET /members/:id":                        {path: "/members/{self}", want: callers(toSignIn, 404, 200, 200, 200, 404)},
	"GET /members/:id/admit":                  {path: "/members/{pageAdmit}/admit", want: only(toSignIn, 200, board)},
	"POST /members/:id/admit":                 {path: "/members/{pageAdmit}/admit", form: url.Values{}, want: only(401, 303, board)},
	"GET /members/:id/reject":                 {path: "/members/{pageReject}/reject", want: only(toSignIn, 200, board)},
	"POST /members/:id/reject":                {path: "/members/{pageReject}/reject", form: url.Values{"reason": {"Not eligible."}}, want: only(401, 303, board)},
	"GET /members/:id/suspend":                {path: "/members/{pageSuspend}/suspend", want: only(toSignIn, 200, board)},
	"POST /members/:id/suspend":               {path: "/members/{pageSuspend}/suspend", form: url.Values{"reason": {"Inquiry."}}, want: only(401, 303, board)},
	"GET /members/:id/reinstate":              {path: "/members/{pageReinstate}/reinstate", want: only(toSignIn, 200, board)},
	"POST /members/:id/reinstate":             {path: "/members/{pageReinstate}/reinstate", form: url.Values{"reason": {"Cleared."}}, want: only(401, 303, board)},
	"GET /members/:id/expel":                  {path: "/members/{pageExpel}/expel", want: only(toSignIn, 200, board)},
	"POST /members/:id/expel":                 {path: "/members/{pageExpel}/expel", form: url.Values{"reason": {"Harmed the co-op."}}, want: only(401, 303, board)},
	"GET /members/:id/resign":                 {path: "/members/{pageResign}/resign", want: callers(toSignIn, 404, 404, 200, 403, 404)},
	"POST /members/:id/resign":                {path: "/members/{pageResign}/resign", form: url.Values{}, want: callers(401, 404, 404, 303, 403, 404)},
	"GET /members/:id/erase":                  {path: "/members/{pageErase}/erase", want: only(toSignIn, 200, board)},
	"POST /members/:id/erase":                 {path: "/members/{pageErase}/erase", form: url.Values{}, want: only(401, 303, board)},
	"GET /members/:id/contact":                {path: "/members/{self}/contact", want: callers(toSignIn, 404, 200, 200, 403, 404)},
	"POST /members/:id/contact":               {path: "/members/{self}/contact", form: url.Values{"name": {"member"}, "email": {"member@example.org"}, "country": {"FI"}}, want: callers(401, 404, 303, 303, 403, 404)},
	"GET /members/:id/share":                  {path: "/members/{self}/share", want: only(toSignIn, 200, board)},
	"POST /members/:id/share":                 {path: "/members/{self}/share", form: url.Values{"amount": {"5"}, "paid_on": {"2024-02-01"}}, want: only(401, 303, board)},
	"GET /members/:id/share-due":              {path: "/members/{self}/share-due", want: only(toSignIn, 200, board)},
	"POST /members/:id/share-due":             {path: "/members/{self}/share-due", form: url.Values{"amount": {"15"}}, want: only(401, 303, board)},
	"GET /members/:id/representative":         {path: "/members/{pageOrg}/representative", want: only(toSignIn, 200, board)},
	"POST /members/:id/representative":        {path: "/members/{pageOrg}/representative", form: url.Values{"email": {"representative@example.org"}}, want: only(401, 303, board)},
}

// memberTargets are the members the register's routes act on, by their
// name in the access table's paths, with the status each is made in.
var memberTargets = map[string]string{
	"apiAdmit": members.StatusApplicant, "apiReject": members.StatusApplicant,
	"apiSuspend": members.StatusActive, "apiReinstate": members.StatusSuspended, "apiExpel": members.StatusActive,
	"apiResign": members.StatusActive, "apiErase": members.StatusResigned, "apiOrg": members.KindOrganisation,
	"pageAdmit": members.StatusApplicant, "pageReject": members.StatusApplicant,
	"pageSuspend": members.StatusActive, "pageReinstate": members.StatusSuspended, "pageExpel": members.StatusActive,
	"pageResign": members.StatusActive, "pageErase": members.StatusResigned, "pageOrg": members.KindOrganisation,
}

// makeMembers makes the member caller an active member and every member
// of memberTargets, and returns the replacer that puts their ids in paths.
func makeMembers(t *testing.T, inst *osktest.Instance) *strings.Replacer {
	t.Helper()
	ctx := context.Background()
	svc := inst.Server.Members
	principal := func(email, name string) auth.Principal {
		acc, err := inst.Server.Auth.AccountByEmail(ctx, email)
		if errors.Is(err, errs.NotFound) {
			acc, err = inst.Server.Auth.CreateAccount(ctx, auth.Operator, email, name)
		}
		if err != nil {
			t.Fatal(err)
		}
		p, err := inst.Server.Auth.Principal(ctx, acc.ID)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	boardMember := principal(callerNames[board]+"@example.org", callerNames[board])
	principal("representative@example.org", "Representative")
	apply := func(p auth.Principal, kind string) members.Member {
		m, err := svc.Apply(ctx, p, members.Application{Kind: kind, Name: p.Name, Email: p.Email, Country: "FI", AcceptRules: true})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	admit := func(m members.Member) members.Member {
		m, err := svc.Admit(ctx, boardMember, m.ID, members.Admission{})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	self := admit(apply(principal(callerNames[member]+"@example.org", callerNames[member]), members.KindIndividual))
	pairs := []string{"{self}", strconv.FormatInt(self.ID, 10)}
	for name, status := range memberTargets {
		p := principal(name+"@example.org", name)
		var m members.Member
		var err error
		switch status {
		case members.StatusApplicant:
			m = apply(p, members.KindIndividual)
		case members.KindOrganisation:
			m = admit(apply(p, members.KindOrganisation))
		case members.StatusActive:
			m = admit(apply(p, members.KindIndividual))
		case members.StatusSuspended:
			m, err = svc.Suspend(ctx, boardMember, admit(apply(p, members.KindIndividual)).ID, "Inquiry.")
		case members.StatusResigned:
			m, err = svc.Resign(ctx, p, admit(apply(p, members.KindIndividual)).ID, members.Resignation{})
		}
		if err != nil {
			t.Fatal(err)
		}
		pairs = append(pairs, "{"+name+"}", strconv.FormatInt(m.ID, 10))
	}
	return strings.NewReplacer(pairs...)
}

// lastRoutes run after the others because they change the caller.
var lastRoutes = map[string]bool{"POST /auth/signout": true}

func TestAccessTable(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	ctx := context.Background()

	var routes []string
	seen := map[string]bool{}
	for _, r := range inst.Server.App.GetRoutes(true) {
		if r.Method == http.MethodHead {
			continue
		}
		key := r.Method + " " + r.Path
		if seen[key] {
			continue
		}
		seen[key] = true
		if _, ok := accessTable[key]; !ok {
			t.Errorf("route %s has no entry in the access table", key)
			continue
		}
		routes = append(routes, key)
	}
	for key := range accessTable {
		if !seen[key] {
			t.Errorf("the access table names %s, which is not registered", key)
		}
	}
	sort.Slice(routes, func(i, j int) bool {
		if lastRoutes[routes[i]] != lastRoutes[routes[j]] {
			return !lastRoutes[routes[i]]
		}
		return routes[i] < routes[j]
	})

	var clients [callerCount]*osktest.Client
	clients[anonymous] = inst.Client(t)
	roles := map[int]string{board: auth.RoleBoard, auditor: auth.RoleAuditor, admin: auth.RoleAdmin}
	for who := outsider; who < callerCount; who++ {
		email := callerNames[who] + "@example.org"
		if role, ok := roles[who]; ok {
			acc, err := inst.Server.Auth.CreateAccount(ctx, auth.Operator, email, callerNames[who])
			if err != nil {
				t.Fatal(err)
			}
			if err := inst.Server.Auth.Grant(ctx, auth.Operator, acc.ID, role); err != nil {
				t.Fatal(err)
			}
		}
		c := inst.Client(t)
		c.SignIn(email, callerNames[who])
		c.Get("/account")
		clients[who] = c
	}
	targets := makeMembers(t, inst)
	meetingTargets := makeMeetings(t, inst)
	motionTargets := makeMotions(t, inst)
	ballotTargets := makeBallots(t, inst)
	minutesTargets := makeMinutes(t, inst)
	electionTargets := makeElections(t, inst)

	for _, key := range routes {
		e := accessTable[key]
		method := strings.SplitN(key, " ", 2)[0]
		for who, c := range clients {
			var body any
			if e.form != nil {
				body = e.form
			} else if e.body != nil {
				body = e.body
			}
			path := minutesTargets.Replace(ballotTargets.Replace(motionTargets.Replace(meetingTargets.Replace(targets.Replace(e.path)))))
			path = electionTargets.Replace(path)
			status := 0
			if e.stream {
				status = openStream(t, c, inst.URL, path)
			} else {
				status = c.Do(method, path, body).StatusCode
			}
			if status != e.want[who] {
				t.Errorf("%s as %s: %d, want %d", key, callerNames[who], status, e.want[who])
			}
		}
	}
}

func TestProductionMountsNoDevelopmentRoutes(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{Env: map[string]string{
		"APP_ENV":  "production",
		"BASE_URL": "https://osk.example.org",
	}})
	for _, r := range inst.Server.App.GetRoutes(true) {
		if strings.HasPrefix(r.Path, "/dev/") || r.Path == "/dev" {
			t.Errorf("production registers %s %s", r.Method, r.Path)
		}
	}
	c := inst.Client(t)
	for _, path := range []string{"/dev/oidc/.well-known/openid-configuration", "/dev/clock", "/dev/mail", "/auth/dev"} {
		if resp := c.Get(path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("production GET %s: %d, want 404", path, resp.StatusCode)
		}
	}
	if resp := c.Do(http.MethodPost, "/dev/clock", `{"advance":"24h"}`); resp.StatusCode != http.StatusNotFound {
		t.Errorf("production POST /dev/clock: %d, want 404", resp.StatusCode)
	}
}
