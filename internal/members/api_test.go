package members_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/mail"
	"github.com/citizen-network/osk/internal/osktest"
)

// site is a running Osk with signed-in clients.
type site struct {
	t    *testing.T
	inst *osktest.Instance
}

func startSite(t *testing.T) *site {
	return &site{t: t, inst: osktest.Start(t, osktest.Options{})}
}

// client signs a new person in, with the given site roles.
func (s *site) client(email, name string, roles ...string) *osktest.Client {
	s.t.Helper()
	ctx := context.Background()
	if len(roles) > 0 {
		acc, err := s.inst.Server.Auth.CreateAccount(ctx, auth.Operator, email, name)
		if err != nil {
			s.t.Fatal(err)
		}
		for _, r := range roles {
			if err := s.inst.Server.Auth.Grant(ctx, auth.Operator, acc.ID, r); err != nil {
				s.t.Fatal(err)
			}
		}
	}
	c := s.inst.Client(s.t)
	c.SignIn(email, name)
	c.Get("/account")
	return c
}

func (s *site) mailTo(address string) []mail.Sent {
	s.t.Helper()
	all, err := mail.List(context.Background(), s.inst.DB, 500)
	if err != nil {
		s.t.Fatal(err)
	}
	var out []mail.Sent
	for _, m := range all {
		if m.To == address {
			out = append(out, m)
		}
	}
	return out
}

// apiMember is MEMBER as a script reads it.
type apiMember struct {
	ID                      int64   `json:"id"`
	MemberNo                *int    `json:"member_no"`
	Kind                    string  `json:"kind"`
	Name                    string  `json:"name"`
	Email                   string  `json:"email"`
	Country                 string  `json:"country"`
	Status                  string  `json:"status"`
	AppliedAt               string  `json:"applied_at"`
	AdmittedAt              *string `json:"admitted_at"`
	LeftAt                  *string `json:"left_at"`
	RepresentativeAccountID *int64  `json:"representative_account_id"`
}

type problem struct {
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

func wantStatus(t *testing.T, resp *osktest.Response, status int) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("%s %s: %d, want %d\n%s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, status, resp.Body)
	}
}

func wantProblemFields(t *testing.T, resp *osktest.Response, fields ...string) {
	t.Helper()
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("content type %q", ct)
	}
	var p problem
	resp.JSON(t, &p)
	var got []string
	for _, e := range p.Errors {
		if e.Message == "" {
			t.Errorf("no message for %s", e.Field)
		}
		got = append(got, e.Field)
	}
	slices.Sort(got)
	want := slices.Clone(fields)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("fields %v, want %v", got, want)
	}
}

var utcTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$`)

func TestAPI_ApplyAdmitAndRead(t *testing.T) {
	s := startSite(t)
	board := s.client("board@example.org", "Board Member", auth.RoleBoard)
	amina := s.client("amina@example.org", "Amina Yusuf")

	resp := amina.Do(http.MethodPost, "/api/v1/applications", map[string]any{
		"kind": "individual", "name": "Amina Yusuf", "email": "amina@example.org", "country": "KE",
		"accept_rules": true, "statement": "Peer support in Nairobi.",
	})
	wantStatus(t, resp, http.StatusCreated)
	var raw map[string]json.RawMessage
	resp.JSON(t, &raw)
	for _, key := range []string{"id", "member_no", "kind", "name", "email", "country", "status", "applied_at", "admitted_at", "left_at", "representative_account_id"} {
		if _, ok := raw[key]; !ok {
			t.Errorf("MEMBER lacks %q", key)
		}
	}
	var m apiMember
	resp.JSON(t, &m)
	if m.Status != "applicant" || m.MemberNo != nil || m.Kind != "individual" || m.Country != "KE" || m.AdmittedAt != nil || m.RepresentativeAccountID != nil {
		t.Errorf("applicant %+v", m)
	}
	if !utcTime.MatchString(m.AppliedAt) {
		t.Errorf("applied_at %q is not RFC 3339 in UTC", m.AppliedAt)
	}

	var me struct {
		Member *apiMember `json:"member"`
	}
	amina.Get("/api/v1/me").JSON(t, &me)
	if me.Member == nil || me.Member.ID != m.ID {
		t.Errorf("/api/v1/me member %+v", me.Member)
	}
	var nobody struct {
		Member *apiMember `json:"member"`
	}
	board.Get("/api/v1/me").JSON(t, &nobody)
	if nobody.Member != nil {
		t.Errorf("/api/v1/me of a non-member: %+v", nobody.Member)
	}

	wantStatus(t, amina.Do(http.MethodPost, "/api/v1/applications", map[string]any{
		"kind": "individual", "name": "Amina Yusuf", "email": "amina@example.org", "country": "KE", "accept_rules": true,
	}), http.StatusConflict)

	resp = board.Do(http.MethodPost, fmt.Sprintf("/api/v1/members/%d/admit", m.ID), map[string]any{"decision": "Board 2026/1 §3"})
	wantStatus(t, resp, http.StatusOK)
	resp.JSON(t, &m)
	if m.Status != "active" || m.MemberNo == nil || *m.MemberNo != 1 || m.AdmittedAt == nil || !utcTime.MatchString(*m.AdmittedAt) {
		t.Errorf("admitted %+v", m)
	}
	if got := s.mailTo("amina@example.org"); len(got) != 2 || !strings.Contains(got[0].Subject, "member number 1") {
		t.Errorf("mail %+v", got)
	}
	wantStatus(t, board.Do(http.MethodPost, fmt.Sprintf("/api/v1/members/%d/admit", m.ID), nil), http.StatusConflict)

	wantStatus(t, amina.Get(fmt.Sprintf("/api/v1/members/%d", m.ID)), http.StatusOK)
	other := s.client("other@example.org", "Other Person")
	wantStatus(t, other.Get(fmt.Sprintf("/api/v1/members/%d", m.ID)), http.StatusNotFound)
	wantStatus(t, other.Get("/api/v1/members/999999"), http.StatusNotFound)
	wantStatus(t, other.Get("/api/v1/members/abc"), http.StatusNotFound)
	wantStatus(t, amina.Get("/api/v1/members"), http.StatusForbidden)
}

func TestAPI_ApplicationsRefuseInvalidFieldsNamingEachField(t *testing.T) {
	s := startSite(t)
	c := s.client("lin@example.org", "Lin Mei")
	valid := func() map[string]any {
		return map[string]any{"kind": "individual", "name": "Lin Mei", "email": "lin@example.org", "country": "TW", "accept_rules": true}
	}
	for _, tc := range []struct {
		name   string
		change func(b map[string]any)
		fields []string
	}{
		{"empty name", func(b map[string]any) { b["name"] = "" }, []string{"name"}},
		{"500-character name", func(b map[string]any) { b["name"] = strings.Repeat("L", 500) }, []string{"name"}},
		{"bad country code", func(b map[string]any) { b["country"] = "XX" }, []string{"country"}},
		{"country name", func(b map[string]any) { b["country"] = "Taiwan" }, []string{"country"}},
		{"malformed email", func(b map[string]any) { b["email"] = "lin@@example.org" }, []string{"email"}},
		{"rules not accepted", func(b map[string]any) { b["accept_rules"] = false }, []string{"accept_rules"}},
		{"rules missing", func(b map[string]any) { delete(b, "accept_rules") }, []string{"accept_rules"}},
		{"unknown field", func(b map[string]any) { b["vote_weight"] = 10 }, []string{"vote_weight"}},
		{"wrong type", func(b map[string]any) { b["accept_rules"] = "yes" }, []string{"accept_rules"}},
		{"all at once", func(b map[string]any) {
			b["name"], b["country"], b["email"], b["accept_rules"] = strings.Repeat("L", 500), "XX", "nope", false
		}, []string{"name", "country", "email", "accept_rules"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := valid()
			tc.change(b)
			wantProblemFields(t, c.Do(http.MethodPost, "/api/v1/applications", b), tc.fields...)
		})
	}
	wantStatus(t, c.Do(http.MethodPost, "/api/v1/applications", `{"kind": "individual",`), http.StatusBadRequest)
	wantStatus(t, s.inst.Client(t).Do(http.MethodPost, "/api/v1/applications", valid()), http.StatusUnauthorized)
	var me struct {
		Member *apiMember `json:"member"`
	}
	c.Get("/api/v1/me").JSON(t, &me)
	if me.Member != nil {
		t.Errorf("a refused application left %+v", me.Member)
	}
}

func TestAPI_TheLifeCycle(t *testing.T) {
	s := startSite(t)
	board := s.client("board@example.org", "Board Member", auth.RoleBoard)
	auditor := s.client("auditor@example.org", "Auditor", auth.RoleAuditor)
	member := s.client("ravi@example.org", "Ravi Kumar")
	// Through a personal access token, as a script would.
	member.Token = createToken(t, member)

	var m apiMember
	resp := member.Do(http.MethodPost, "/api/v1/applications", map[string]any{
		"kind": "organisation", "name": "Manavodaya", "email": "office@manavodaya.example.org", "country": "IN",
		"accept_rules": true, "organisation_number": "UP-1993-42",
	})
	wantStatus(t, resp, http.StatusCreated)
	resp.JSON(t, &m)
	if m.RepresentativeAccountID == nil {
		t.Fatal("an organisation without a representative")
	}
	path := fmt.Sprintf("/api/v1/members/%d", m.ID)

	wantProblemFields(t, board.Do(http.MethodPost, path+"/reject", map[string]any{}), "reason")
	wantProblemFields(t, board.Do(http.MethodPost, path+"/reject", nil), "reason")
	// Who may decide, and on whom, are answered before the reason is asked.
	wantStatus(t, board.Do(http.MethodPost, "/api/v1/members/999999/reject", map[string]any{}), http.StatusNotFound)
	wantStatus(t, member.Do(http.MethodPost, path+"/suspend", map[string]any{}), http.StatusForbidden)
	wantStatus(t, board.Do(http.MethodPost, path+"/reinstate", map[string]any{}), http.StatusConflict)
	wantStatus(t, auditor.Do(http.MethodPost, path+"/admit", nil), http.StatusForbidden)
	wantStatus(t, member.Do(http.MethodPost, path+"/admit", nil), http.StatusForbidden)
	wantStatus(t, board.Do(http.MethodPost, path+"/admit", map[string]any{"share_due": "100.00"}), http.StatusOK)

	step := func(who *osktest.Client, action string, body any, status string) {
		t.Helper()
		resp := who.Do(http.MethodPost, path+"/"+action, body)
		wantStatus(t, resp, http.StatusOK)
		var got apiMember
		resp.JSON(t, &got)
		if got.Status != status {
			t.Errorf("%s: status %s, want %s", action, got.Status, status)
		}
	}
	wantStatus(t, board.Do(http.MethodPost, path+"/reinstate", map[string]any{"reason": "x"}), http.StatusConflict)
	step(board, "suspend", map[string]any{"reason": "Accounts overdue."}, "suspended")
	step(board, "reinstate", map[string]any{"reason": "Accounts received."}, "active")
	wantProblemFields(t, member.Do(http.MethodPost, path+"/resign", map[string]any{"effective_on": "1 May"}), "effective_on")
	wantProblemFields(t, member.Do(http.MethodPost, path+"/resign", map[string]any{"when": "now"}), "when")
	step(member, "resign", map[string]any{}, "resigned")
	wantStatus(t, board.Do(http.MethodPost, path+"/expel", map[string]any{"reason": "x"}), http.StatusConflict)

	var hist struct {
		Statuses []struct {
			Status string `json:"status"`
			Reason string `json:"reason"`
		} `json:"status_history"`
		Events []struct {
			Action string `json:"action"`
		} `json:"events"`
	}
	resp = auditor.Get(path + "/history")
	wantStatus(t, resp, http.StatusOK)
	resp.JSON(t, &hist)
	var statuses []string
	for _, s := range hist.Statuses {
		statuses = append(statuses, s.Status)
	}
	if !slices.Equal(statuses, []string{"applicant", "active", "suspended", "active", "resigned"}) {
		t.Errorf("status history %v", statuses)
	}
	if len(hist.Events) != 5 {
		t.Errorf("%d events", len(hist.Events))
	}

	// Share paid in and returned, then the personal data erased.
	resp = board.Do(http.MethodPost, path+"/share-payments", map[string]any{"amount": "100.00", "paid_on": "2020-01-15"})
	wantStatus(t, resp, http.StatusCreated)
	wantStatus(t, board.Do(http.MethodPost, path+"/erase", nil), http.StatusConflict)
	wantStatus(t, board.Do(http.MethodPost, path+"/share-payments", map[string]any{"kind": "refund", "amount": "100", "paid_on": "2020-02-01"}), http.StatusCreated)
	resp = board.Do(http.MethodPost, path+"/erase", nil)
	wantStatus(t, resp, http.StatusOK)
	resp.JSON(t, &m)
	if m.Name != "" || m.Email != "" || m.MemberNo == nil || *m.MemberNo != 1 || m.RepresentativeAccountID != nil {
		t.Errorf("tombstone %+v", m)
	}
	wantStatus(t, member.Get(path), http.StatusNotFound)
}

func TestAPI_ListPagesAndExport(t *testing.T) {
	s := startSite(t)
	board := s.client("board@example.org", "Board Member", auth.RoleBoard)
	auditor := s.client("auditor@example.org", "Auditor", auth.RoleAuditor)
	for i, name := range []string{"Aleksi Virtanen", "Bea Santos", "Carmen López", "Dev Patel", "=Eve Formula"} {
		c := s.client(fmt.Sprintf("p%d@example.org", i), name)
		var m apiMember
		resp := c.Do(http.MethodPost, "/api/v1/applications", map[string]any{
			"kind": "individual", "name": name, "email": fmt.Sprintf("p%d@example.org", i), "country": "FI", "accept_rules": true,
		})
		wantStatus(t, resp, http.StatusCreated)
		resp.JSON(t, &m)
		if i < 4 {
			wantStatus(t, board.Do(http.MethodPost, fmt.Sprintf("/api/v1/members/%d/admit", m.ID), nil), http.StatusOK)
		}
	}
	type page struct {
		Items      []apiMember `json:"items"`
		NextCursor *string     `json:"next_cursor"`
	}
	var names []string
	next := "/api/v1/members?limit=2"
	for next != "" {
		var p page
		resp := auditor.Get(next)
		wantStatus(t, resp, http.StatusOK)
		resp.JSON(t, &p)
		for _, m := range p.Items {
			names = append(names, m.Name)
		}
		next = ""
		if p.NextCursor != nil {
			next = "/api/v1/members?limit=2&cursor=" + *p.NextCursor
		}
	}
	if !slices.Equal(names, []string{"Aleksi Virtanen", "Bea Santos", "Carmen López", "Dev Patel", "=Eve Formula"}) {
		t.Errorf("pages gave %v", names)
	}
	var p page
	board.Get("/api/v1/members?q=l%C3%B3pez").JSON(t, &p)
	if len(p.Items) != 1 || p.Items[0].Name != "Carmen López" {
		t.Errorf("search: %+v", p.Items)
	}
	board.Get("/api/v1/members?status=applicant").JSON(t, &p)
	if len(p.Items) != 1 || p.Items[0].Name != "=Eve Formula" || p.NextCursor != nil {
		t.Errorf("applicants: %+v", p.Items)
	}
	wantProblemFields(t, board.Get("/api/v1/members?status=gone&limit=x"), "status", "limit")

	resp := auditor.Get("/api/v1/members/register.csv")
	wantStatus(t, resp, http.StatusOK)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("content type %q", ct)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="osk-member-register-`) {
		t.Errorf("content disposition %q", cd)
	}
	rows, err := csv.NewReader(strings.NewReader(string(resp.Body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 || rows[0][0] != "id" || rows[5][4] != "'=Eve Formula" {
		t.Errorf("register %q", rows)
	}
}

var tokenShown = regexp.MustCompile(`<code id="new-token">(osk_[A-Za-z0-9_-]+)</code>`)

func createToken(t *testing.T, c *osktest.Client) string {
	t.Helper()
	c.Get("/account/tokens")
	if resp := c.Do(http.MethodPost, "/account/tokens", url.Values{"name": {"script"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("creating a token: %d %s", resp.StatusCode, resp.Body)
	}
	resp := c.Get("/account/tokens")
	m := tokenShown.FindSubmatch(resp.Body)
	if m == nil {
		t.Fatalf("no token shown: %d %s", resp.StatusCode, resp.Body)
	}
	return string(m[1])
}

// Someone who acts for an organisation finds it, and its id, on
// /api/v1/me, though they have no membership of their own.
func TestAPI_MeNamesTheOrganisationsRepresented(t *testing.T) {
	s := startSite(t)
	rep := s.client("rep@example.org", "Rita Representative")
	r := rep.Do(http.MethodPost, "/api/v1/applications", map[string]any{"kind": "organisation", "name": "Osuuskauppa Example",
		"email": "info@example.org", "country": "FI", "organisation_number": "1234567-8", "accept_rules": true})
	wantStatus(t, r, http.StatusCreated)
	var org apiMember
	r.JSON(t, &org)
	var me struct {
		Member     *apiMember  `json:"member"`
		Represents []apiMember `json:"represents"`
	}
	rep.Get("/api/v1/me").JSON(t, &me)
	if me.Member != nil || len(me.Represents) != 1 || me.Represents[0].ID != org.ID || me.Represents[0].Kind != "organisation" {
		t.Fatalf("/api/v1/me of a representative: %+v", me)
	}
	other := s.client("other@example.org", "Someone Else")
	var none map[string]json.RawMessage
	other.Get("/api/v1/me").JSON(t, &none)
	if string(none["represents"]) != "[]" {
		t.Fatalf("/api/v1/me of someone who represents nobody: %s", none["represents"])
	}
}
