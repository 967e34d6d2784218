package auth_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/dbtest"
	"github.com/citizen-network/osk/internal/osktest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type me struct {
	Account struct {
		ID    int64  `json:"id"`
		Email string `json:"email"`
		Name  string `json:"name"`
	} `json:"account"`
	Member any      `json:"member"`
	Roles  []string `json:"roles"`
}

func signedIn(t *testing.T, c *osktest.Client) bool {
	t.Helper()
	resp := c.Get("/api/v1/me")
	switch resp.StatusCode {
	case http.StatusOK:
		return true
	case http.StatusUnauthorized:
		return false
	}
	t.Fatalf("GET /api/v1/me: %d %s", resp.StatusCode, resp.Body)
	return false
}

func countRows(t *testing.T, inst *osktest.Instance, table string) int {
	t.Helper()
	var n int
	if err := inst.DB.Get(&n, "SELECT count(*) FROM "+table); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSignIn_RoundTripThroughDevelopmentProvider(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	c := inst.Client(t)
	if signedIn(t, c) {
		t.Fatal("a new client is signed in")
	}
	c.SignIn("Aino.Virtanen@example.fi", "Aino Virtanen")
	var got me
	c.Get("/api/v1/me").JSON(t, &got)
	if got.Account.Email != "aino.virtanen@example.fi" || got.Account.Name != "Aino Virtanen" || got.Member != nil || len(got.Roles) != 0 {
		t.Fatalf("me = %+v", got)
	}
	page := c.Get("/")
	if !bytes.Contains(page.Body, []byte("Aino Virtanen")) || !bytes.Contains(page.Body, []byte("Sign out")) {
		t.Fatal("the home page does not show the signed-in name and a sign-out button")
	}

	// The same person again, in another browser, gets the same account.
	c2 := inst.Client(t)
	c2.SignIn("aino.virtanen@example.fi", "Aino")
	var again me
	c2.Get("/api/v1/me").JSON(t, &again)
	if again.Account.ID != got.Account.ID {
		t.Fatalf("second sign-in made account %d, want %d", again.Account.ID, got.Account.ID)
	}
	if n := countRows(t, inst, "identities"); n != 1 {
		t.Fatalf("%d identities, want 1", n)
	}
}

func TestSignIn_CallerSuppliedStateIsIgnored(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	c := inst.Client(t)
	resp := c.Get("/auth/dev?state=attacker-chosen")
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("begin: %d %v", resp.StatusCode, err)
	}
	q := loc.Query()
	if s := q.Get("state"); s == "" || s == "attacker-chosen" {
		t.Fatalf("state = %q", s)
	}
	if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 {
		t.Fatalf("no PKCE S256 challenge in %s", loc)
	}
}

func TestSignIn_BadStateIsRefusedAndSignsNobodyIn(t *testing.T) {
	cases := map[string]func(q url.Values){
		"forged":  func(q url.Values) { q.Set("state", "forged-state-value") },
		"missing": func(q url.Values) { q.Del("state") },
		"empty":   func(q url.Values) { q.Set("state", "") },
	}
	inst := osktest.Start(t, osktest.Options{})
	for name, tamper := range cases {
		t.Run(name, func(t *testing.T) {
			c := inst.Client(t)
			before := countRows(t, inst, "accounts")
			cb, err := url.Parse(c.Callback("mallory@example.org", "Mallory"))
			if err != nil {
				t.Fatal(err)
			}
			q := cb.Query()
			tamper(q)
			cb.RawQuery = q.Encode()
			resp := c.Get(cb.String())
			if resp.StatusCode != http.StatusBadRequest || !bytes.Contains(resp.Body, []byte("Back to sign in")) {
				t.Fatalf("tampered callback: %d %s", resp.StatusCode, resp.Body)
			}
			if signedIn(t, c) || countRows(t, inst, "accounts") != before {
				t.Fatal("a refused callback signed someone in or made an account")
			}
		})
	}
}

func TestSignIn_ReplayedCallbackIsRefused(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	victim := inst.Client(t)
	cb := victim.Callback("replay@example.org", "Replay")
	if resp := victim.Get(cb); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("first use: %d", resp.StatusCode)
	}
	// The same callback in another browser (a leaked URL) and again in the
	// same browser: the state was used up.
	attacker := inst.Client(t)
	if resp := attacker.Get(cb); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("replay in another browser: %d", resp.StatusCode)
	}
	if signedIn(t, attacker) {
		t.Fatal("replaying a callback signed the attacker in")
	}
	if resp := victim.Get(cb); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("replay in the same browser: %d", resp.StatusCode)
	}
}

func TestSignIn_WrongPKCEVerifierIsRefused(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	c := inst.Client(t)
	// A code issued for one sign-in attempt is presented with the state
	// (and so the verifier) of a later attempt in the same browser: the
	// provider refuses the verifier.
	first, _ := url.Parse(c.Callback("pkce@example.org", "Pkce"))
	second, _ := url.Parse(c.Callback("pkce@example.org", "Pkce"))
	q := second.Query()
	q.Set("code", first.Query().Get("code"))
	second.RawQuery = q.Encode()
	resp := c.Get(second.String())
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("callback with a code of another attempt: %d %s", resp.StatusCode, resp.Body)
	}
	if signedIn(t, c) || countRows(t, inst, "accounts") != 0 {
		t.Fatal("a wrong verifier signed someone in")
	}
}

func TestSignIn_UnknownProviderIs404(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	for _, path := range []string{"/auth/myspace", "/auth/myspace/callback?state=x&code=y"} {
		if resp := inst.Client(t).Get(path); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
	}
}

func TestSignIn_ProviderErrorShowsAFriendlyPage(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	c := inst.Client(t)
	cb, _ := url.Parse(c.Callback("err@example.org", "Err"))
	q := cb.Query()
	q.Del("code")
	q.Set("error", "access_denied")
	cb.RawQuery = q.Encode()
	resp := c.Get(cb.String())
	if resp.StatusCode >= 500 || !bytes.Contains(resp.Body, []byte(`href="/signin"`)) {
		t.Fatalf("provider error: %d %s", resp.StatusCode, resp.Body)
	}
}

func TestSignOut_OldCookieNoLongerWorks(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	c := inst.Client(t)
	c.SignIn("leaver@example.org", "Leaver")
	u, _ := url.Parse(inst.URL)
	cookies := c.HTTP.Jar.Cookies(u)
	if len(cookies) == 0 {
		t.Fatal("no session cookie")
	}
	c.Get("/account")
	if resp := c.Do(http.MethodPost, "/auth/signout", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d %s", resp.StatusCode, resp.Body)
	}
	if signedIn(t, c) {
		t.Fatal("still signed in after signing out")
	}
	replay := inst.Client(t)
	replay.HTTP.Jar.SetCookies(u, cookies)
	if signedIn(t, replay) {
		t.Fatal("the cookie of a signed-out session still works")
	}
}

func TestSignIn_PlantedSessionIDIsNotKept(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	u, _ := url.Parse(inst.URL)
	attacker := inst.Client(t)
	attacker.Get("/auth/dev")
	planted := attacker.HTTP.Jar.Cookies(u)
	if len(planted) == 0 {
		t.Fatal("beginning a sign-in set no cookie")
	}
	victim := inst.Client(t)
	victim.HTTP.Jar.SetCookies(u, planted)
	victim.SignIn("victim@example.org", "Victim")
	for _, ck := range victim.HTTP.Jar.Cookies(u) {
		if ck.Name == planted[0].Name && ck.Value == planted[0].Value {
			t.Fatal("the planted session id survived sign-in")
		}
	}
	if signedIn(t, attacker) {
		t.Fatal("the attacker's planted session is signed in as the victim")
	}
}

func TestCSRF_StateChangesNeedTheSessionsToken(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	alice := inst.Client(t)
	alice.SignIn("alice@example.org", "Alice")
	alice.Get("/account/tokens")
	good := alice.CSRF()
	bob := inst.Client(t)
	bob.SignIn("bob@example.org", "Bob")
	bob.Get("/account/tokens")

	cases := map[string]string{"missing": "", "wrong": "not-the-token", "another session's": bob.CSRF()}
	for name, token := range cases {
		t.Run(name, func(t *testing.T) {
			before := countRows(t, inst, "api_tokens")
			alice.SetCSRF(token)
			resp := alice.Do(http.MethodPost, "/account/tokens", url.Values{"name": {"sneaky"}})
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("POST without a good token: %d", resp.StatusCode)
			}
			if countRows(t, inst, "api_tokens") != before {
				t.Fatal("a refused request made a token")
			}
		})
	}
	alice.SetCSRF(good)
	if resp := alice.Do(http.MethodPost, "/account/tokens", url.Values{"name": {"fine"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST with the token: %d", resp.StatusCode)
	}
}

var tokenInPage = func(b []byte) string {
	i := bytes.Index(b, []byte(`<code id="new-token">`))
	if i < 0 {
		return ""
	}
	rest := b[i+len(`<code id="new-token">`):]
	return string(rest[:bytes.IndexByte(rest, '<')])
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestTokens_CreatedUsedRevokedAndNeverLogged(t *testing.T) {
	var logs syncBuffer
	inst := osktest.Start(t, osktest.Options{Log: &logs})
	c := inst.Client(t)
	c.SignIn("script.writer@example.org", "Script Writer")
	c.Get("/account/tokens")
	token := createToken(t, c, "export")

	api := inst.Client(t)
	api.Token = token
	var got me
	r := api.Get("/api/v1/me")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("me with token: %d %s", r.StatusCode, r.Body)
	}
	r.JSON(t, &got)
	if got.Account.Email != "script.writer@example.org" {
		t.Fatalf("token acts as %q", got.Account.Email)
	}
	// A bearer request needs no CSRF token.
	if r := api.Do(http.MethodPost, "/account/tokens/999999/revoke", nil); r.StatusCode != http.StatusNotFound {
		t.Fatalf("revoke an unknown token with a bearer token: %d", r.StatusCode)
	}

	var id int64
	if err := inst.DB.Get(&id, `SELECT id FROM api_tokens WHERE name = 'export'`); err != nil {
		t.Fatal(err)
	}
	if r := c.Do(http.MethodPost, "/account/tokens/"+itoa(id)+"/revoke", url.Values{}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d %s", r.StatusCode, r.Body)
	}
	r = api.Get("/api/v1/me")
	if r.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("revoked token: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	if strings.Contains(logs.String(), token) || strings.Contains(logs.String(), token[4:]) {
		t.Fatal("the token appears in the log")
	}
	var hashes int
	if err := inst.DB.Get(&hashes, `SELECT count(*) FROM api_tokens WHERE encode(token_hash, 'escape') LIKE '%' || $1 || '%'`, token[4:]); err != nil || hashes != 0 {
		t.Fatalf("the token is stored in the clear (%d, %v)", hashes, err)
	}
}

func TestTokens_MalformedExpiredAndUnknownAre401(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	ctx := context.Background()
	acc, err := inst.Server.Auth.CreateAccount(ctx, auth.Operator, "expiring@example.org", "Expiring")
	if err != nil {
		t.Fatal(err)
	}
	expiring, _, err := inst.Server.Auth.CreateToken(ctx, auth.Operator, acc.ID, "short", 3600*1e9)
	if err != nil {
		t.Fatal(err)
	}
	inst.Clock.Advance(2 * 3600 * 1e9)
	for name, header := range map[string]string{
		"malformed": "Bearer not-a-token",
		"unknown":   "Bearer osk_" + strings.Repeat("A", 43),
		"expired":   "Bearer " + expiring,
		"scheme":    "Basic dXNlcjpwYXNz",
	} {
		req, _ := http.NewRequest(http.MethodGet, inst.URL+"/api/v1/me", nil)
		req.Header.Set("Authorization", header)
		resp := inst.Client(t).Send(req)
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s token: %d %s", name, resp.StatusCode, resp.Body)
		}
	}
}

func TestSignIn_VerifiedEmailClaimsAnAccountMadeInAdvance(t *testing.T) {
	// The development provider's subject follows the email, so each case
	// needs its own database.
	for _, verified := range []bool{false, true} {
		t.Run(fmt.Sprintf("verified=%v", verified), func(t *testing.T) {
			inst := osktest.Start(t, osktest.Options{})
			ctx := context.Background()
			made, err := inst.Server.Auth.CreateAccount(ctx, auth.Operator, "first.admin@example.org", "First Admin")
			if err != nil {
				t.Fatal(err)
			}
			if err := inst.Server.Auth.Grant(ctx, auth.Operator, made.ID, auth.RoleAdmin); err != nil {
				t.Fatal(err)
			}
			c := inst.Client(t)
			if err := c.TrySignIn("first.admin@example.org", "Whoever", verified); err != nil {
				t.Fatal(err)
			}
			var got me
			c.Get("/api/v1/me").JSON(t, &got)
			claimed := got.Account.ID == made.ID && len(got.Roles) == 1 && got.Roles[0] == auth.RoleAdmin
			if claimed != verified {
				t.Fatalf("verified=%v: claimed=%v (%+v)", verified, claimed, got)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// A personal access token acts for its account in the API, but never
// begins or finishes a sign-in: a token that could link a way of signing
// in would let whoever holds it sign in as the account long after the
// token was revoked.
func TestSignIn_ATokenCannotLinkASignIn(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	owner := inst.Client(t)
	owner.SignIn("owner@example.org", "Owner")
	token := createToken(t, owner, "script")

	thief := inst.Client(t)
	thief.Token = token
	if resp := thief.Get("/auth/dev?link=1"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a token began linking a sign-in: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	// A sign-in begun in the thief's own browser cannot be finished with
	// the token either.
	thief.Token = ""
	callback := thief.Callback("attacker@example.net", "Attacker")
	thief.Token = token
	if resp := thief.Get(callback); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a token finished a sign-in: %d", resp.StatusCode)
	}
	if n := countRows(t, inst, "identities"); n != 1 {
		t.Fatalf("%d identities, want the owner's alone", n)
	}
}

// Using a session, beginning another sign-in in it included, never moves
// its end later: a stolen cookie stops working on the day it was given.
func TestSignIn_ASessionsEndNeverMovesLater(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	c := inst.Client(t)
	c.SignIn("keeper@example.org", "Keeper")
	if _, err := inst.DB.Exec(`UPDATE sessions SET expires_at = now() + interval '2 minutes'`); err != nil {
		t.Fatal(err)
	}
	if resp := c.Get("/auth/dev?link=1"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("begin linking: %d", resp.StatusCode)
	}
	c.Get("/account")
	var longest float64
	if err := inst.DB.Get(&longest, `SELECT coalesce(max(extract(epoch FROM expires_at - now())), 0) FROM sessions`); err != nil {
		t.Fatal(err)
	}
	if longest > 120 {
		t.Fatalf("a session now lasts %.0f s more, beyond the 120 s it had", longest)
	}
	if !signedIn(t, c) {
		t.Fatal("the session ended early")
	}
}

// The CSRF token is taken from the form's body or the header, never from
// the address, which travels in logs and Referer headers.
func TestCSRF_TheTokenIsNotTakenFromTheAddress(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	c := inst.Client(t)
	c.SignIn("careful@example.org", "Careful")
	c.Get("/account/tokens")
	token := c.CSRF()
	c.SetCSRF("")
	resp := c.Do(http.MethodPost, "/account/tokens?"+url.Values{"_csrf": {token}}.Encode(), url.Values{"name": {"sneaky"}})
	if resp.StatusCode != http.StatusForbidden || countRows(t, inst, "api_tokens") != 0 {
		t.Fatalf("a token in the address was taken: %d", resp.StatusCode)
	}
}
