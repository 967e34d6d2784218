package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/osktest"
)

// tableChecksums fingerprints every table Osk keeps domain state in. The
// session and rate-limit tables are left out: visiting a page may refresh
// them, and they hold no record of the co-op.
func tableChecksums(t *testing.T, db *sqlx.DB) map[string]string {
	t.Helper()
	// The mail worker delivers what the set-up queued in its own time:
	// wait for it, so that a delivery is not taken for a change.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		var pending int
		if err := db.Get(&pending, `SELECT count(*) FROM mail_outbox WHERE status = 'pending'`); err != nil {
			t.Fatal(err)
		}
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages still wait in the outbox", pending)
		}
	}
	var tables []string
	err := db.Select(&tables, `SELECT tablename FROM pg_tables WHERE schemaname = 'public'
		AND tablename NOT IN ('sessions', 'rate_limits', 'goose_db_version') ORDER BY tablename`)
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]string{}
	for _, table := range tables {
		var sum string
		q := fmt.Sprintf(`SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM %q t`, table)
		if err := db.Get(&sum, q); err != nil {
			t.Fatalf("checksum of %s: %v", table, err)
		}
		sums[table] = sum
	}
	return sums
}

type hostile struct {
	name   string
	who    string // "anonymous", "outsider", "member", "board", "admin", or "token:expired" etc.
	method string
	path   string
	body   any
	header map[string]string
	status int
}

func gzipped(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

// TestBadInput sends hostile and malformed requests and checks that each
// gets its clear refusal, with an RFC 9457 body under /api/, and that the
// database is exactly as it was.
func TestBadInput(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	ctx := context.Background()
	svc := inst.Server.Auth

	account := func(email, role string) auth.Principal {
		acc, err := svc.CreateAccount(ctx, auth.Operator, email, strings.Split(email, "@")[0])
		if err != nil {
			t.Fatal(err)
		}
		if role != "" {
			if err := svc.Grant(ctx, auth.Operator, acc.ID, role); err != nil {
				t.Fatal(err)
			}
		}
		p, err := svc.Principal(ctx, acc.ID)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	boardP := account("board@example.org", auth.RoleBoard)
	account("admin@example.org", auth.RoleAdmin)
	memberP := account("member@example.org", "")
	otherP := account("other@example.org", "")
	apply := func(p auth.Principal) members.Member {
		m, err := inst.Server.Members.Apply(ctx, p, members.Application{Kind: members.KindIndividual, Name: p.Name, Email: p.Email, Country: "FI", AcceptRules: true})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	self, err := inst.Server.Members.Admit(ctx, boardP, apply(memberP).ID, members.Admission{})
	if err != nil {
		t.Fatal(err)
	}
	other, err := inst.Server.Members.Admit(ctx, boardP, apply(otherP).ID, members.Admission{})
	if err != nil {
		t.Fatal(err)
	}
	revoked, revokedTok, err := svc.CreateToken(ctx, auth.Operator, memberP.AccountID, "soon revoked", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.RevokeToken(ctx, memberP, revokedTok.ID); err != nil {
		t.Fatal(err)
	}
	expired, _, err := svc.CreateToken(ctx, auth.Operator, memberP.AccountID, "short", 1e9)
	if err != nil {
		t.Fatal(err)
	}
	inst.Clock.Advance(2e9)

	clients := map[string]*osktest.Client{"anonymous": inst.Client(t)}
	for _, who := range []string{"outsider", "member", "board", "admin"} {
		c := inst.Client(t)
		c.SignIn(who+"@example.org", who)
		c.Get("/account")
		clients[who] = c
	}
	forged := inst.Client(t)
	forged.SignIn("member@example.org", "member")
	forged.SetCSRF("forged-token")
	clients["forged-csrf"] = forged
	for name, tok := range map[string]string{"revoked": revoked, "expired": expired, "malformed": "osk_short"} {
		c := inst.Client(t)
		c.Token = tok
		clients["token:"+name] = c
	}

	selfID := strconv.FormatInt(self.ID, 10)
	otherID := strconv.FormatInt(other.ID, 10)
	injection := `Robert'); DROP TABLE members; --`
	script := `<script>alert(document.cookie)</script>`
	validApplication := map[string]any{"kind": "individual", "name": "Valid Name", "email": "valid@example.org", "country": "FI", "accept_rules": true}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for key, val := range validApplication {
			m[key] = val
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}

	cases := []hostile{
		{"malformed JSON", "outsider", "POST", "/api/v1/applications", `{"kind": "individual",`, nil, 400},
		{"JSON array instead of object", "outsider", "POST", "/api/v1/applications", `[1, 2, 3]`, nil, 400},
		{"JSON null", "outsider", "POST", "/api/v1/applications", `null`, nil, 422},
		{"two JSON values", "outsider", "POST", "/api/v1/applications", `{} {}`, nil, 400},
		{"wrong type for name", "outsider", "POST", "/api/v1/applications", with("name", 12345), nil, 422},
		{"wrong type for accept_rules", "outsider", "POST", "/api/v1/applications", with("accept_rules", "yes"), nil, 422},
		{"unknown field", "outsider", "POST", "/api/v1/applications", with("is_admin", true), nil, 422},
		{"rules not accepted", "outsider", "POST", "/api/v1/applications", with("accept_rules", false), nil, 422},
		{"empty name", "outsider", "POST", "/api/v1/applications", with("name", ""), nil, 422},
		{"500-character name", "outsider", "POST", "/api/v1/applications", with("name", strings.Repeat("n", 500)), nil, 422},
		{"bad country", "outsider", "POST", "/api/v1/applications", with("country", "XX"), nil, 422},
		{"malformed email", "outsider", "POST", "/api/v1/applications", with("email", "not-an-email"), nil, 422},
		{"email header injection", "outsider", "POST", "/api/v1/applications", with("email", "a@example.org\r\nBcc: all@example.org"), nil, 422},
		{"duplicate application", "member", "POST", "/api/v1/applications", validApplication, nil, 409},
		{"not signed in", "anonymous", "POST", "/api/v1/applications", validApplication, nil, 401},
		{"gzip bomb", "outsider", "POST", "/api/v1/applications", gzipped(strings.Repeat("{", 1<<20)), map[string]string{"Content-Encoding": "gzip"}, 415},
		{"text/plain body", "outsider", "POST", "/api/v1/applications", `{"kind":"individual"}`, map[string]string{"Content-Type": "text/plain"}, 415},
		{"negative id", "board", "GET", "/api/v1/members/-1", nil, nil, 404},
		{"huge id", "board", "GET", "/api/v1/members/99999999999999999999999", nil, nil, 404},
		{"id that is not a number", "board", "GET", "/api/v1/members/1%20OR%201=1", nil, nil, 404},
		{"another member's record", "member", "GET", "/api/v1/members/" + otherID, nil, nil, 404},
		{"another member's contact details", "member", "PATCH", "/api/v1/members/" + otherID, map[string]any{"address": "Elsewhere"}, nil, 404},
		{"admitting a member twice", "board", "POST", "/api/v1/members/" + selfID + "/admit", map[string]any{}, nil, 409},
		{"rejecting an active member without a reason", "board", "POST", "/api/v1/members/" + selfID + "/reject", map[string]any{}, nil, 409},
		{"rejecting an active member", "board", "POST", "/api/v1/members/" + selfID + "/reject", map[string]any{"reason": script}, nil, 409},
		{"suspending without a reason", "board", "POST", "/api/v1/members/" + selfID + "/suspend", map[string]any{"reason": ""}, nil, 422},
		{"member acting as board", "member", "POST", "/api/v1/members/" + otherID + "/expel", map[string]any{"reason": injection}, nil, 403},
		{"list limit too large", "board", "GET", "/api/v1/members?limit=100000", nil, nil, 422},
		{"garbage cursor", "board", "GET", "/api/v1/members?cursor=%27%3B--", nil, nil, 422},
		{"impossible rules", "admin", "PUT", "/api/v1/rules", map[string]any{"notice_min_days": -7}, nil, 422},
		{"rules by a non-admin", "board", "PUT", "/api/v1/rules", map[string]any{"notice_min_days": 7}, nil, 403},
		{"forged CSRF on the API", "forged-csrf", "PATCH", "/api/v1/members/" + selfID, map[string]any{"address": script}, nil, 403},
		{"forged CSRF on a page", "forged-csrf", "POST", "/account/tokens", url.Values{"name": {script}}, nil, 403},
		{"revoked token", "token:revoked", "GET", "/api/v1/me", nil, nil, 401},
		{"expired token", "token:expired", "PATCH", "/api/v1/members/" + selfID, map[string]any{"address": injection}, nil, 401},
		{"malformed token", "token:malformed", "GET", "/api/v1/me", nil, nil, 401},
		{"forged OAuth state", "anonymous", "GET", "/auth/dev/callback?state=forged&code=stolen", nil, nil, 400},
		{"path traversal in static files", "anonymous", "GET", "/static/../../go.mod", nil, nil, 404},
		{"encoded path traversal", "anonymous", "GET", "/static/%2e%2e/%2e%2e/etc/passwd", nil, nil, 404},
		{"unknown API route", "member", "DELETE", "/api/v1/me", nil, nil, 404},
	}

	before := tableChecksums(t, inst.DB.DB)
	for _, tc := range cases {
		c := clients[tc.who]
		var resp *osktest.Response
		if tc.header != nil {
			var body []byte
			switch b := tc.body.(type) {
			case string:
				body = []byte(b)
			case []byte:
				body = b
			}
			req, _ := http.NewRequest(tc.method, inst.URL+tc.path, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			req.Header.Set("X-CSRF-Token", c.CSRF())
			resp = c.Send(req)
		} else {
			resp = c.Do(tc.method, tc.path, tc.body)
		}
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %s %s as %s: %d, want %d\n%.300s", tc.name, tc.method, tc.path, tc.who, resp.StatusCode, tc.status, resp.Body)
			continue
		}
		if strings.HasPrefix(tc.path, "/api/") {
			var p struct {
				Type   string `json:"type"`
				Title  string `json:"title"`
				Status int    `json:"status"`
				Detail string `json:"detail"`
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("%s: content type %q", tc.name, ct)
			} else if err := json.Unmarshal(resp.Body, &p); err != nil || p.Status != tc.status || p.Title == "" || p.Detail == "" || p.Type == "" {
				t.Errorf("%s: problem body %s (%v)", tc.name, resp.Body, err)
			}
		}
	}
	if resp := osktest.Oversized(t, inst.URL, http.MethodPost, "/api/v1/applications", 2<<20); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d, want 413", resp.StatusCode)
	} else if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("oversized body: content type %q", ct)
	}
	if len(cases)+1 < 30 {
		t.Fatalf("only %d hostile requests", len(cases))
	}
	after := tableChecksums(t, inst.DB.DB)
	for table, sum := range before {
		if after[table] != sum {
			t.Errorf("table %s changed under refused requests", table)
		}
	}
}

// TestBadInput_HostileTextIsStoredAndShownHarmlessly stores SQL and script
// in text fields, and checks that they come back as plain text in the API,
// escaped in the pages and defused in the CSV export.
func TestBadInput_HostileTextIsStoredAndShownHarmlessly(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	ctx := context.Background()
	boardAcc, _ := inst.Server.Auth.CreateAccount(ctx, auth.Operator, "board@example.org", "Board")
	if err := inst.Server.Auth.Grant(ctx, auth.Operator, boardAcc.ID, auth.RoleBoard); err != nil {
		t.Fatal(err)
	}
	name := `=HYPERLINK("http://evil.example","x") <script>alert(1)</script> '); DROP TABLE members; --`
	applicant := inst.Client(t)
	applicant.SignIn("applicant@example.org", "Applicant")
	resp := applicant.Do(http.MethodPost, "/api/v1/applications", map[string]any{
		"kind": "individual", "name": name, "email": "applicant@example.org", "country": "FI", "accept_rules": true,
		"statement": `<img src=x onerror=alert(1)>`,
	})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("apply: %d %s", resp.StatusCode, resp.Body)
	}
	var m struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	}
	resp.JSON(t, &m)
	if m.Name != name {
		t.Fatalf("name came back as %q", m.Name)
	}
	board := inst.Client(t)
	board.SignIn("board@example.org", "Board")
	page := board.Get("/members/" + strconv.FormatInt(m.ID, 10))
	if page.StatusCode != http.StatusOK || bytes.Contains(page.Body, []byte("<script>alert(1)</script>")) ||
		bytes.Contains(page.Body, []byte("<img src=x")) || !bytes.Contains(page.Body, []byte("&lt;script&gt;")) {
		t.Fatalf("the member page does not escape the name (%d)", page.StatusCode)
	}
	csv := board.Get("/api/v1/members/register.csv")
	if csv.StatusCode != http.StatusOK || bytes.Contains(csv.Body, []byte(",=HYPERLINK")) || !bytes.Contains(csv.Body, []byte(`'=HYPERLINK`)) {
		t.Fatalf("the CSV export does not defuse the formula:\n%s", csv.Body)
	}
	var tables int
	if err := inst.DB.Get(&tables, `SELECT count(*) FROM pg_tables WHERE tablename = 'members'`); err != nil || tables != 1 {
		t.Fatalf("the members table is gone (%d, %v)", tables, err)
	}
}

// TestBadInput_SpoofedForwardedForIsIgnored: without TRUSTED_PROXIES no
// peer is believed about the client's address, so a changing
// X-Forwarded-For cannot get round the sign-in rate limit.
func TestBadInput_SpoofedForwardedForIsIgnored(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	c := inst.Client(t)
	limited := false
	for i := range 40 {
		req, _ := http.NewRequest(http.MethodGet, inst.URL+"/auth/dev", nil)
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i+1))
		resp := c.Send(req)
		if resp.StatusCode == http.StatusTooManyRequests {
			limited = i >= 30
			break
		}
	}
	if !limited {
		t.Fatal("40 sign-in attempts with spoofed X-Forwarded-For headers were not limited after 30")
	}
}

// TestBadInput_ForwardedForFromATrustedProxy: behind a trusted proxy the
// client is the address that proxy saw, the last of X-Forwarded-For;
// whatever the client put before it counts for nothing.
func TestBadInput_ForwardedForFromATrustedProxy(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{Env: map[string]string{"TRUSTED_PROXIES": "127.0.0.1/32,::1/128"}})
	c := inst.Client(t)
	signIn := func(forwarded string) int {
		req, _ := http.NewRequest(http.MethodGet, inst.URL+"/auth/dev", nil)
		req.Header.Set("X-Forwarded-For", forwarded)
		return c.Send(req).StatusCode
	}
	limited := false
	for i := range 40 {
		if signIn(fmt.Sprintf("10.0.0.%d, 203.0.113.9", i+1)) == http.StatusTooManyRequests {
			limited = i >= 30
			break
		}
	}
	if !limited {
		t.Fatal("40 sign-in attempts from one client behind the proxy, each claiming another address first, were not limited after 30")
	}
	for i := range 5 {
		if got := signIn(fmt.Sprintf("198.51.100.%d", i+1)); got == http.StatusTooManyRequests {
			t.Fatalf("another client behind the proxy (198.51.100.%d) was limited with the first", i+1)
		}
	}
}
