package auth_test

import (
	"bytes"
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/osktest"
)

// createToken makes a token named name on the tokens page, as a person
// does, and returns it as the page shows it.
func createToken(t *testing.T, c *osktest.Client, name string) string {
	t.Helper()
	c.Get("/account/tokens")
	resp := c.Do(http.MethodPost, "/account/tokens", url.Values{"name": {name}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account/tokens" {
		t.Fatalf("create token: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	page := c.Get("/account/tokens")
	token := tokenInPage(page.Body)
	if page.StatusCode != http.StatusOK || !strings.HasPrefix(token, "osk_") {
		t.Fatalf("the page after creating a token: %d, token %q", page.StatusCode, token)
	}
	return token
}

// The form that makes a token is answered with a redirect, and the page
// it leads to shows the new token once: reloading it neither shows the
// token again nor makes another. Until it is shown, the token waits on
// the server for that browser's session alone, and the database holds no
// usable copy of it.
func TestTokens_CreatedThenShownOnceByTheNextPage(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	c := inst.Client(t)
	c.SignIn("script.writer@example.org", "Script Writer")
	elsewhere := inst.Client(t)
	elsewhere.SignIn("script.writer@example.org", "Script Writer")

	c.Get("/account/tokens")
	resp := c.Do(http.MethodPost, "/account/tokens", url.Values{"name": {"export"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account/tokens" || tokenInPage(resp.Body) != "" {
		t.Fatalf("create token: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var waiting [][]byte
	if err := inst.DB.Select(&waiting, `SELECT data FROM sessions`); err != nil {
		t.Fatal(err)
	}
	if token := tokenInPage(elsewhere.Get("/account/tokens").Body); token != "" {
		t.Fatal("another session of the same person is shown the new token")
	}

	page := c.Get("/account/tokens")
	token := tokenInPage(page.Body)
	if page.StatusCode != http.StatusOK || !strings.HasPrefix(token, "osk_") {
		t.Fatalf("the page after creating a token: %d, token %q", page.StatusCode, token)
	}
	for _, data := range waiting {
		if bytes.Contains(data, []byte(token[len("osk_"):])) {
			t.Fatal("the sessions table held the new token in the clear")
		}
	}
	again := c.Get("/account/tokens")
	if again.StatusCode != http.StatusOK || tokenInPage(again.Body) != "" || !bytes.Contains(again.Body, []byte("export")) {
		t.Fatalf("the page reloaded: %d, token %q", again.StatusCode, tokenInPage(again.Body))
	}
	if n := countRows(t, inst, "api_tokens"); n != 1 {
		t.Fatalf("%d tokens, want 1", n)
	}

	// A token cannot make another: one that could would outlive its own
	// revocation.
	script := inst.Client(t)
	script.Token = token
	resp = script.Do(http.MethodPost, "/account/tokens", url.Values{"name": {"made by a script"}})
	if resp.StatusCode != http.StatusForbidden || tokenInPage(resp.Body) != "" {
		t.Fatalf("create a token with a bearer token: %d, token %q", resp.StatusCode, tokenInPage(resp.Body))
	}

	// An account holds a bounded number of tokens in use.
	for i := 1; i < auth.MaxTokens; i++ {
		if r := c.Do(http.MethodPost, "/account/tokens", url.Values{"name": {"script " + strconv.Itoa(i)}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("token %d: %d", i+1, r.StatusCode)
		}
	}
	over := c.Do(http.MethodPost, "/account/tokens", url.Values{"name": {"one too many"}})
	if over.StatusCode != http.StatusConflict || !bytes.Contains(over.Body, []byte("revoke one")) {
		t.Fatalf("token %d: %d", auth.MaxTokens+1, over.StatusCode)
	}
	if n := countRows(t, inst, "api_tokens"); n != auth.MaxTokens {
		t.Fatalf("%d tokens, want %d", n, auth.MaxTokens)
	}
}

// Revoking a token is confirmed by name. A second revocation of the same
// token, from a second press or a page left open, is answered on the
// tokens page with what happened to it, as is one of someone else's.
func TestTokens_RevokeIsConfirmedAndASecondRevokeExplained(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	ctx := context.Background()
	c := inst.Client(t)
	c.SignIn("script.writer@example.org", "Script Writer")
	c.Get("/account/tokens")
	acc, err := inst.Server.Auth.AccountByEmail(ctx, "script.writer@example.org")
	if err != nil {
		t.Fatal(err)
	}
	_, export, err := inst.Server.Auth.CreateToken(ctx, auth.Operator, acc.ID, "export", 0)
	if err != nil {
		t.Fatal(err)
	}
	other, err := inst.Server.Auth.CreateAccount(ctx, auth.Operator, "someone.else@example.org", "Someone Else")
	if err != nil {
		t.Fatal(err)
	}
	_, theirs, err := inst.Server.Auth.CreateToken(ctx, auth.Operator, other.ID, "theirs", 0)
	if err != nil {
		t.Fatal(err)
	}
	revoke := func(id int64) *osktest.Response {
		return c.Do(http.MethodPost, "/account/tokens/"+itoa(id)+"/revoke", url.Values{})
	}

	resp := revoke(export.ID)
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/account/tokens?revoked="+itoa(export.ID) {
		t.Fatalf("revoke: %d to %q", resp.StatusCode, loc)
	}
	wantPage(t, c.Get(resp.Header.Get("Location")), http.StatusOK, "Personal access tokens · Osk",
		"The token “export” is revoked: Osk refuses it from now on.")

	wantPage(t, revoke(export.ID), http.StatusConflict, "Error: Personal access tokens · Osk",
		"There is a problem", "The token “export” was already revoked: it no longer works.")
	for _, id := range []int64{theirs.ID, 999999} {
		resp := wantPage(t, revoke(id), http.StatusNotFound, "Error: Personal access tokens · Osk",
			"You have no active token with that id.")
		if bytes.Contains(resp.Body, []byte("theirs")) {
			t.Fatal("the page names someone else's token")
		}
	}
	var revoked int
	if err := inst.DB.Get(&revoked, `SELECT count(*) FROM audit_events WHERE action = 'token.revoked'`); err != nil || revoked != 1 {
		t.Fatalf("%d token.revoked events (%v), want 1", revoked, err)
	}
}

// A name too long is refused next to its field, with what was typed kept
// in it, as an expiry out of range is.
func TestTokens_AFormErrorIsShownAtItsField(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	c := inst.Client(t)
	c.SignIn("script.writer@example.org", "Script Writer")
	c.Get("/account/tokens")
	long := strings.Repeat("é", 101)

	resp := c.Do(http.MethodPost, "/account/tokens", url.Values{"name": {long}})
	wantPage(t, resp, http.StatusUnprocessableEntity, "Error: Personal access tokens · Osk",
		`<a href="#name">Use at most 100 characters.</a>`, `<span class="field-error" id="name-error">Error: Use at most 100 characters.</span>`,
		`value="`+long+`"`, `aria-describedby="name-hint name-error" aria-invalid="true"`)
	resp = c.Do(http.MethodPost, "/account/tokens", url.Values{"name": {"export"}, "expires_in_days": {"0"}})
	wantPage(t, resp, http.StatusUnprocessableEntity, "Error: Personal access tokens · Osk",
		`<a href="#expires_in_days">`, `id="expires-error"`, `value="export"`, `value="0"`,
		`aria-describedby="expires-hint expires-error" aria-invalid="true"`)
	if n := countRows(t, inst, "api_tokens"); n != 0 {
		t.Fatalf("%d tokens made by refused forms", n)
	}
}

// Tokens made without a name share the name "token": each one's Revoke
// button, and the list, tell them apart by the token's number. The form
// marks its fields that may be left empty.
func TestTokens_UnnamedTokensAreToldApart(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	c := inst.Client(t)
	c.SignIn("script.writer@example.org", "Script Writer")
	createToken(t, c, "")
	createToken(t, c, "")
	createToken(t, c, "export")
	var ids []int64
	if err := inst.DB.Select(&ids, `SELECT id FROM api_tokens WHERE name = 'token' ORDER BY id`); err != nil || len(ids) != 2 {
		t.Fatalf("unnamed tokens: %v %v", ids, err)
	}
	resp := c.Get("/account/tokens")
	buttons := regexp.MustCompile(`Revoke<span class="visually-hidden">[^<]*</span>`).FindAll(resp.Body, -1)
	seen := map[string]bool{}
	for _, b := range buttons {
		if seen[string(b)] {
			t.Errorf("two tokens have the button %s", b)
		}
		seen[string(b)] = true
	}
	if len(buttons) != 3 {
		t.Errorf("%d Revoke buttons, want 3", len(buttons))
	}
	wantPage(t, resp, http.StatusOK, "Personal access tokens · Osk",
		`<td>token (no. `+itoa(ids[0])+`)</td>`, `<td>token (no. `+itoa(ids[1])+`)</td>`, `<td>export</td>`,
		`Revoke<span class="visually-hidden"> token export</span>`,
		`<label for="name">Name of the token (optional)</label>`,
		`<label for="expires_in_days">Days until it expires (optional)</label>`)

	resp = c.Do(http.MethodPost, "/account/tokens/"+itoa(ids[1])+"/revoke", url.Values{})
	wantPage(t, c.Get(resp.Header.Get("Location")), http.StatusOK, "Personal access tokens · Osk",
		"The token “token (no. "+itoa(ids[1])+")” is revoked")
}

// wantPage fails unless resp has status, title and every fragment (its
// text as the page writes it).
func wantPage(t *testing.T, resp *osktest.Response, status int, title string, fragments ...string) *osktest.Response {
	t.Helper()
	body := html.UnescapeString(string(resp.Body))
	if resp.StatusCode != status {
		t.Fatalf("%s: %d, want %d\n%s", resp.Request.URL, resp.StatusCode, status, body)
	}
	for _, want := range append([]string{"<title>" + title + "</title>"}, fragments...) {
		if !strings.Contains(body, want) {
			t.Fatalf("%s lacks %q:\n%s", resp.Request.URL, want, body)
		}
	}
	return resp
}
