package devoidc_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/markbates/goth/providers/openidConnect"
	"golang.org/x/net/html"
	"golang.org/x/oauth2"

	"github.com/citizen-network/osk/internal/clock"
	"github.com/citizen-network/osk/internal/devoidc"
)

const (
	clientID = "osk"
	// The secret has characters that RFC 6749 section 2.3.1 makes clients
	// form-encode in the Basic header, so decoding is exercised.
	clientSecret = "dev secret/with+symbols&="
)

// fixture serves the provider the way Osk does: under /dev/oidc on a real
// HTTP server, with the prefix stripped.
type fixture struct {
	srv      *httptest.Server
	op       *devoidc.Provider
	clk      *clock.Adjustable
	issuer   string
	callback string
	// browser does not follow redirects, so a test can stop at the
	// redirect to the callback and read the code.
	browser *http.Client
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	clk := &clock.Adjustable{}
	issuer := srv.URL + "/dev/oidc"
	op, err := devoidc.New(issuer, clk)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	mux.Handle("/dev/oidc/", http.StripPrefix("/dev/oidc", op.Handler()))
	callback := srv.URL + "/auth/dev/callback"
	if err := op.RegisterClient(clientID, clientSecret, callback); err != nil {
		t.Fatalf("RegisterClient: %v", err)
	}
	return &fixture{
		srv:      srv,
		op:       op,
		clk:      clk,
		issuer:   issuer,
		callback: callback,
		browser: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
	}
}

func (f *fixture) goth(t *testing.T) *openidConnect.Provider {
	t.Helper()
	gp, err := openidConnect.New(clientID, clientSecret, f.callback, f.issuer+"/.well-known/openid-configuration", "email", "profile")
	if err != nil {
		t.Fatalf("openidConnect.New: %v", err)
	}
	return gp
}

// attempt is one sign-in as Osk runs it: state, nonce and PKCE verifier
// kept by the client, the authorization URL sent to the browser.
type attempt struct {
	gp       *openidConnect.Provider
	sess     *openidConnect.Session
	state    string
	nonce    string
	verifier string
	authURL  string
}

func (f *fixture) begin(t *testing.T) *attempt {
	t.Helper()
	gp := f.goth(t)
	a := &attempt{gp: gp, state: oauth2.GenerateVerifier(), nonce: oauth2.GenerateVerifier(), verifier: oauth2.GenerateVerifier()}
	s, err := gp.BeginAuth(a.state)
	if err != nil {
		t.Fatalf("BeginAuth: %v", err)
	}
	a.sess = s.(*openidConnect.Session)
	a.authURL = a.sess.AuthURL + "&" + url.Values{
		"code_challenge":        {oauth2.S256ChallengeFromVerifier(a.verifier)},
		"code_challenge_method": {"S256"},
		"nonce":                 {a.nonce},
	}.Encode()
	return a
}

// signIn opens the sign-in page at authURL, fills it in and submits it,
// returning the provider's answer to the POST.
func (f *fixture) signIn(t *testing.T, authURL, email, name, emailVerified string) *http.Response {
	t.Helper()
	resp, doc := f.get(t, authURL)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET sign-in page: status %d", resp.StatusCode)
	}
	action, fields := readForm(t, doc)
	fields.Set("email", email)
	fields.Set("name", name)
	if emailVerified != "" {
		fields.Set("email_verified", emailVerified)
	}
	post, err := f.browser.PostForm(f.srv.URL+action, fields)
	if err != nil {
		t.Fatalf("POST sign-in: %v", err)
	}
	t.Cleanup(func() { _ = post.Body.Close() })
	return post
}

// callbackQuery checks that resp redirects to the callback and returns the
// query it carries.
func (f *fixture) callbackQuery(t *testing.T, resp *http.Response) url.Values {
	t.Helper()
	if resp.StatusCode != http.StatusFound {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d, want 302; body:\n%s", resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatalf("Location: %v", err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != f.callback {
		t.Fatalf("redirected to %s, want %s", got, f.callback)
	}
	return loc.Query()
}

// signInAndCode runs the browser part of the flow and returns the code.
func (f *fixture) signInAndCode(t *testing.T, a *attempt, email, name, emailVerified string) string {
	t.Helper()
	q := f.callbackQuery(t, f.signIn(t, a.authURL, email, name, emailVerified))
	if q.Get("state") != a.state {
		t.Fatalf("state %q, want %q", q.Get("state"), a.state)
	}
	if q.Get("code") == "" {
		t.Fatalf("no code in callback query %v", q)
	}
	return q.Get("code")
}

func (f *fixture) get(t *testing.T, u string) (*http.Response, *html.Node) {
	t.Helper()
	resp, err := f.browser.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	doc, err := html.Parse(resp.Body)
	if err != nil {
		t.Fatalf("parse HTML: %v", err)
	}
	return resp, doc
}

func exchange(a *attempt, code, verifier string) error {
	_, err := a.sess.Authorize(a.gp, url.Values{"code": {code}, "code_verifier": {verifier}})
	return err
}

func wantInvalidGrant(t *testing.T, err error) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("exchange error %v, want invalid_grant", err)
	}
}

func subjectOf(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(email)))
	return hex.EncodeToString(sum[:16])
}

func TestDiscovery_AdvertisesEndpointsAndCapabilities(t *testing.T) {
	f := newFixture(t)
	resp, err := http.Get(f.op.DiscoveryURL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"issuer":                                f.issuer,
		"authorization_endpoint":                f.issuer + "/authorize",
		"token_endpoint":                        f.issuer + "/token",
		"userinfo_endpoint":                     f.issuer + "/userinfo",
		"jwks_uri":                              f.issuer + "/keys",
		"response_types_supported":              []any{"code"},
		"subject_types_supported":               []any{"public"},
		"id_token_signing_alg_values_supported": []any{"RS256"},
		"code_challenge_methods_supported":      []any{"S256"},
		"scopes_supported":                      []any{"openid", "email", "profile"},
		"token_endpoint_auth_methods_supported": []any{"client_secret_basic", "client_secret_post"},
	}
	for k, v := range want {
		got, _ := json.Marshal(doc[k])
		exp, _ := json.Marshal(v)
		if string(got) != string(exp) {
			t.Errorf("%s = %s, want %s", k, got, exp)
		}
	}
}

func TestCodeFlow_GothSignsInWithVerifiedIDToken(t *testing.T) {
	f := newFixture(t)
	a := f.begin(t)
	code := f.signInAndCode(t, a, "Aino.Virtanen@Example.fi", "Aino Virtanen", "")

	if err := exchange(a, code, a.verifier); err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	user, err := a.gp.FetchUser(a.sess)
	if err != nil {
		t.Fatalf("FetchUser: %v", err)
	}
	if user.Email != "Aino.Virtanen@Example.fi" || user.Name != "Aino Virtanen" {
		t.Errorf("user %q <%s>", user.Name, user.Email)
	}
	if user.UserID != subjectOf("aino.virtanen@example.fi") {
		t.Errorf("UserID %q, want the subject derived from the lower-cased email", user.UserID)
	}
	if user.RawData["email_verified"] != true {
		t.Errorf("email_verified %v, want true", user.RawData["email_verified"])
	}

	// goth reads the ID token without checking its signature; check it
	// against the published keys as a careful client would.
	claims := verifiedClaims(t, f, user.IDToken)
	if claims["iss"] != f.issuer || claims["aud"] != clientID || claims["sub"] != user.UserID || claims["nonce"] != a.nonce {
		t.Errorf("claims %v", claims)
	}
	if claims["email"] != user.Email || claims["name"] != user.Name || claims["email_verified"] != true {
		t.Errorf("identity claims %v", claims)
	}

	// The same person signing in again, spelling the address differently,
	// keeps the subject.
	b := f.begin(t)
	code = f.signInAndCode(t, b, "aino.virtanen@example.FI", "Aino", "true")
	if err := exchange(b, code, b.verifier); err != nil {
		t.Fatalf("second Authorize: %v", err)
	}
	again, err := b.gp.FetchUser(b.sess)
	if err != nil {
		t.Fatalf("second FetchUser: %v", err)
	}
	if again.UserID != user.UserID {
		t.Errorf("second UserID %q, want %q", again.UserID, user.UserID)
	}
}

// verifiedClaims checks token's signature with the key published at
// jwks_uri and returns its claims.
func verifiedClaims(t *testing.T, f *fixture, token string) map[string]any {
	t.Helper()
	resp, err := http.Get(f.issuer + "/keys")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatalf("decode JWKS: %v", err)
	}
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("parse ID token: %v", err)
	}
	keys := set.Key(parsed.Headers[0].KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q matches %d published keys", parsed.Headers[0].KeyID, len(keys))
	}
	var std jwt.Claims
	var all map[string]any
	if err := parsed.Claims(keys[0].Public(), &std, &all); err != nil {
		t.Fatalf("verify ID token: %v", err)
	}
	if err := std.Validate(jwt.Expected{Issuer: f.issuer, AnyAudience: jwt.Audience{clientID}}); err != nil {
		t.Fatalf("validate ID token: %v", err)
	}
	return all
}

func TestCodeFlow_UnverifiedEmailReachesIDToken(t *testing.T) {
	f := newFixture(t)
	a := f.begin(t)
	code := f.signInAndCode(t, a, "new.member@example.fi", "New Member", "false")
	if err := exchange(a, code, a.verifier); err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	user, err := a.gp.FetchUser(a.sess)
	if err != nil {
		t.Fatalf("FetchUser: %v", err)
	}
	if user.RawData["email_verified"] != false {
		t.Errorf("email_verified %v, want false", user.RawData["email_verified"])
	}
	if claims := verifiedClaims(t, f, user.IDToken); claims["email_verified"] != false {
		t.Errorf("ID token email_verified %v, want false", claims["email_verified"])
	}
}

// The development clock may be days ahead of the wall clock when a test
// walks through a notice period; signing in must still work.
func TestCodeFlow_ClockMovedDaysAhead(t *testing.T) {
	f := newFixture(t)
	f.clk.Advance(9 * 24 * time.Hour)
	a := f.begin(t)
	code := f.signInAndCode(t, a, "aino@example.fi", "Aino", "")
	if err := exchange(a, code, a.verifier); err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	if _, err := a.gp.FetchUser(a.sess); err != nil {
		t.Fatalf("FetchUser: %v", err)
	}
}

func TestToken_WrongVerifierRefused(t *testing.T) {
	f := newFixture(t)
	a := f.begin(t)
	code := f.signInAndCode(t, a, "aino@example.fi", "Aino", "")
	wantInvalidGrant(t, exchange(a, code, oauth2.GenerateVerifier()))
	// A failed attempt leaves the code to its rightful holder.
	if err := exchange(a, code, a.verifier); err != nil {
		t.Fatalf("Authorize with the right verifier: %v", err)
	}
}

func TestToken_ReusedCodeRefusedAndItsTokenRevoked(t *testing.T) {
	f := newFixture(t)
	a := f.begin(t)
	code := f.signInAndCode(t, a, "aino@example.fi", "Aino", "")
	if err := exchange(a, code, a.verifier); err != nil {
		t.Fatalf("first Authorize: %v", err)
	}
	first := a.sess.AccessToken
	if status := userinfoStatus(t, f, first); status != http.StatusOK {
		t.Fatalf("userinfo before reuse: status %d", status)
	}

	wantInvalidGrant(t, exchange(a, code, a.verifier))
	if status := userinfoStatus(t, f, first); status != http.StatusUnauthorized {
		t.Errorf("userinfo after reuse: status %d, want 401", status)
	}
}

func TestToken_CodeExpiresAfterSixtySecondsByTheClock(t *testing.T) {
	f := newFixture(t)
	a := f.begin(t)
	code := f.signInAndCode(t, a, "aino@example.fi", "Aino", "")
	f.clk.Advance(61 * time.Second)
	wantInvalidGrant(t, exchange(a, code, a.verifier))
}

func TestToken_ClientAuthentication(t *testing.T) {
	f := newFixture(t)
	newCode := func(t *testing.T) (*attempt, string) {
		a := f.begin(t)
		return a, f.signInAndCode(t, a, "aino@example.fi", "Aino", "")
	}
	form := func(a *attempt, code string, extra ...string) url.Values {
		v := url.Values{
			"grant_type":    {"authorization_code"},
			"code":          {code},
			"redirect_uri":  {f.callback},
			"code_verifier": {a.verifier},
		}
		for i := 0; i+1 < len(extra); i += 2 {
			v.Set(extra[i], extra[i+1])
		}
		return v
	}
	tests := []struct {
		name      string
		body      func(a *attempt, code string) url.Values
		basic     bool
		secret    string
		status    int
		errorCode string
	}{
		{"client_secret_post", func(a *attempt, c string) url.Values {
			return form(a, c, "client_id", clientID, "client_secret", clientSecret)
		}, false, "", http.StatusOK, ""},
		{"client_secret_basic", func(a *attempt, c string) url.Values { return form(a, c) }, true, clientSecret, http.StatusOK, ""},
		{"wrong secret in body", func(a *attempt, c string) url.Values {
			return form(a, c, "client_id", clientID, "client_secret", "wrong")
		}, false, "", http.StatusUnauthorized, "invalid_client"},
		{"wrong secret in header", func(a *attempt, c string) url.Values { return form(a, c) }, true, "wrong", http.StatusUnauthorized, "invalid_client"},
		{"no credentials", func(a *attempt, c string) url.Values { return form(a, c, "client_id", clientID) }, false, "", http.StatusUnauthorized, "invalid_client"},
		{"both methods", func(a *attempt, c string) url.Values {
			return form(a, c, "client_secret", clientSecret)
		}, true, clientSecret, http.StatusBadRequest, "invalid_request"},
		{"wrong grant type", func(a *attempt, c string) url.Values {
			return form(a, c, "client_id", clientID, "client_secret", clientSecret, "grant_type", "password")
		}, false, "", http.StatusBadRequest, "unsupported_grant_type"},
		{"other redirect_uri", func(a *attempt, c string) url.Values {
			return form(a, c, "client_id", clientID, "client_secret", clientSecret, "redirect_uri", f.srv.URL+"/elsewhere")
		}, false, "", http.StatusBadRequest, "invalid_grant"},
		{"no code_verifier", func(a *attempt, c string) url.Values {
			return form(a, c, "client_id", clientID, "client_secret", clientSecret, "code_verifier", "")
		}, false, "", http.StatusBadRequest, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, code := newCode(t)
			req, err := http.NewRequest(http.MethodPost, f.issuer+"/token", strings.NewReader(tt.body(a, code).Encode()))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.basic {
				req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(tt.secret))
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if resp.StatusCode != tt.status || resp.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("status %d, Cache-Control %q, body %v", resp.StatusCode, resp.Header.Get("Cache-Control"), body)
			}
			if tt.errorCode == "" {
				if body["token_type"] != "Bearer" || body["access_token"] == "" || body["id_token"] == "" || body["expires_in"] != 3600.0 {
					t.Errorf("token response %v", body)
				}
				return
			}
			if body["error"] != tt.errorCode {
				t.Errorf("error %v, want %s", body["error"], tt.errorCode)
			}
			if tt.basic && tt.status == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("no WWW-Authenticate on a failed Basic authentication")
			}
		})
	}
}

func userinfoStatus(t *testing.T, f *fixture, token string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.issuer+"/userinfo", nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("401 without a Bearer challenge")
	}
	return resp.StatusCode
}

func TestUserinfo_RequiresAValidBearerToken(t *testing.T) {
	f := newFixture(t)
	if status := userinfoStatus(t, f, ""); status != http.StatusUnauthorized {
		t.Errorf("no token: status %d", status)
	}
	if status := userinfoStatus(t, f, "not-a-token"); status != http.StatusUnauthorized {
		t.Errorf("unknown token: status %d", status)
	}

	a := f.begin(t)
	code := f.signInAndCode(t, a, "aino@example.fi", "Aino", "")
	if err := exchange(a, code, a.verifier); err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(time.Hour + time.Second)
	if status := userinfoStatus(t, f, a.sess.AccessToken); status != http.StatusUnauthorized {
		t.Errorf("expired token: status %d", status)
	}
}

// An untrusted client or redirect URI gets an error page: redirecting
// would turn the provider into an open redirector.
func TestAuthorize_UntrustedClientOrRedirectShowsErrorPage(t *testing.T) {
	f := newFixture(t)
	a := f.begin(t)
	base, err := url.Parse(a.authURL)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(url.Values)
	}{
		{"unknown client", func(q url.Values) { q.Set("client_id", "stranger") }},
		{"no client", func(q url.Values) { q.Del("client_id") }},
		{"other redirect_uri", func(q url.Values) { q.Set("redirect_uri", "https://evil.example/callback") }},
		{"redirect_uri with extra path", func(q url.Values) { q.Set("redirect_uri", f.callback+"/more") }},
		{"no redirect_uri", func(q url.Values) { q.Del("redirect_uri") }},
		{"repeated redirect_uri", func(q url.Values) { q.Add("redirect_uri", "https://evil.example/callback") }},
	}
	for _, tt := range tests {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			t.Run(tt.name+" "+method, func(t *testing.T) {
				q := base.Query()
				tt.edit(q)
				var resp *http.Response
				var err error
				if method == http.MethodGet {
					u := *base
					u.RawQuery = q.Encode()
					resp, err = f.browser.Get(u.String())
				} else {
					q.Set("email", "aino@example.fi")
					q.Set("name", "Aino")
					resp, err = f.browser.PostForm(f.issuer+"/authorize", q)
				}
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
					t.Fatalf("status %d, Location %q; want 400 and no redirect", resp.StatusCode, resp.Header.Get("Location"))
				}
				doc, err := html.Parse(resp.Body)
				if err != nil {
					t.Fatal(err)
				}
				if len(findAll(doc, "h1")) != 1 || len(findAll(doc, "main")) != 1 {
					t.Error("error page lacks its main heading")
				}
			})
		}
	}
}

func TestAuthorize_BadRequestsRedirectWithOAuthError(t *testing.T) {
	f := newFixture(t)
	a := f.begin(t)
	base, err := url.Parse(a.authURL)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		edit      func(url.Values)
		errorCode string
	}{
		{"no code_challenge", func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }, "invalid_request"},
		{"plain method", func(q url.Values) { q.Set("code_challenge_method", "plain") }, "invalid_request"},
		{"no method", func(q url.Values) { q.Del("code_challenge_method") }, "invalid_request"},
		{"challenge not a SHA-256", func(q url.Values) { q.Set("code_challenge", "short") }, "invalid_request"},
		{"no openid scope", func(q url.Values) { q.Set("scope", "email profile") }, "invalid_scope"},
		{"implicit flow", func(q url.Values) { q.Set("response_type", "token") }, "unsupported_response_type"},
		{"repeated state", func(q url.Values) { q.Add("state", "other") }, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := base.Query()
			tt.edit(q)
			u := *base
			u.RawQuery = q.Encode()
			resp, err := f.browser.Get(u.String())
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got := f.callbackQuery(t, resp)
			if got.Get("error") != tt.errorCode || got.Get("code") != "" {
				t.Errorf("callback query %v, want error=%s and no code", got, tt.errorCode)
			}
			if got.Get("state") != q.Get("state") {
				t.Errorf("state %q, want %q", got.Get("state"), q.Get("state"))
			}
		})
	}
}

func TestSignInPage_IsAccessibleAndScriptFree(t *testing.T) {
	f := newFixture(t)
	a := f.begin(t)
	resp, doc := f.get(t, a.authURL)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if htmlEl := findAll(doc, "html"); len(htmlEl) != 1 || attr(htmlEl[0], "lang") != "en" {
		t.Error(`want <html lang="en">`)
	}
	if len(findAll(doc, "main")) != 1 || len(findAll(doc, "h1")) != 1 {
		t.Error("want one <main> and one <h1>")
	}
	if len(findAll(doc, "script")) != 0 || len(findAll(doc, "style")) != 0 || len(withAttr(doc, "style")) != 0 {
		t.Error("the page has inline script or style, which the CSP forbids")
	}
	links := findAll(doc, "link")
	if len(links) != 1 || attr(links[0], "rel") != "stylesheet" || attr(links[0], "href") != "/static/css/osk.css" {
		t.Error("want the site stylesheet /static/css/osk.css")
	}
	if !strings.Contains(textOf(doc), "any email address works") {
		t.Error("the page does not explain that any email works")
	}

	forms := findAll(doc, "form")
	if len(forms) != 1 || attr(forms[0], "method") != "post" || attr(forms[0], "action") != "/dev/oidc/authorize" {
		t.Fatal("want one form posting to /dev/oidc/authorize")
	}
	labelled := map[string]bool{}
	for _, l := range findAll(doc, "label") {
		labelled[attr(l, "for")] = true
	}
	email, name, verified := byID(doc, "email"), byID(doc, "name"), byID(doc, "email_verified")
	if email == nil || attr(email, "name") != "email" || attr(email, "type") != "email" || !hasAttr(email, "required") {
		t.Error("want a required email input named email")
	}
	if name == nil || attr(name, "name") != "name" || !hasAttr(name, "required") {
		t.Error("want a required input named name")
	}
	if verified == nil || verified.Data != "select" || attr(verified, "name") != "email_verified" || hasAttr(verified, "required") {
		t.Error("want an optional select named email_verified")
	}
	for _, id := range []string{"email", "name", "email_verified"} {
		if !labelled[id] {
			t.Errorf("field %s has no label", id)
		}
	}
	options := findAll(verified, "option")
	if len(options) != 2 || attr(options[0], "value") != "true" || !hasAttr(options[0], "selected") || attr(options[1], "value") != "false" {
		t.Error(`want options "true" (selected) and "false"`)
	}
	if len(findAll(forms[0], "button")) != 1 {
		t.Error("want a submit button")
	}
}

func TestSignIn_InvalidEmailAndNameReRenderWithErrorSummary(t *testing.T) {
	f := newFixture(t)
	a := f.begin(t)
	resp := f.signIn(t, a.authURL, "Aino <aino@example.fi>", "  ", "")
	if resp.StatusCode != http.StatusUnprocessableEntity || resp.Header.Get("Location") != "" {
		t.Fatalf("status %d, Location %q; want 422 and no redirect", resp.StatusCode, resp.Header.Get("Location"))
	}
	doc, err := html.Parse(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var hrefs []string
	for _, s := range withAttr(doc, "role") {
		if attr(s, "role") == "alert" {
			for _, l := range findAll(s, "a") {
				hrefs = append(hrefs, attr(l, "href"))
			}
		}
	}
	if strings.Join(hrefs, " ") != "#email #name" {
		t.Errorf("error summary links %v, want #email #name", hrefs)
	}
	email, name := byID(doc, "email"), byID(doc, "name")
	if attr(email, "aria-invalid") != "true" || attr(name, "aria-invalid") != "true" {
		t.Error("fields in error lack aria-invalid")
	}
	if byID(doc, attr(email, "aria-describedby")) == nil {
		t.Error("the email field does not point at its error message")
	}
	if attr(email, "value") != "Aino <aino@example.fi>" {
		t.Errorf("email value %q not kept", attr(email, "value"))
	}
	titles := findAll(doc, "title")
	if len(titles) != 1 || !strings.HasPrefix(textOf(titles[0]), "Error: ") {
		t.Error(`want the title to start with "Error: "`)
	}

	// The re-rendered form still carries the request, so fixing the email
	// completes the sign-in.
	action, fields := readForm(t, doc)
	fields.Set("email", "aino@example.fi")
	fields.Set("name", "Aino")
	again, err := f.browser.PostForm(f.srv.URL+action, fields)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Body.Close()
	if q := f.callbackQuery(t, again); q.Get("code") == "" || q.Get("state") != a.state {
		t.Errorf("callback query %v", q)
	}
}

// readForm returns the action of the page's form and its hidden fields.
func readForm(t *testing.T, doc *html.Node) (string, url.Values) {
	t.Helper()
	forms := findAll(doc, "form")
	if len(forms) != 1 {
		t.Fatalf("%d forms on the page", len(forms))
	}
	fields := url.Values{}
	for _, in := range findAll(forms[0], "input") {
		if attr(in, "type") == "hidden" {
			fields.Add(attr(in, "name"), attr(in, "value"))
		}
	}
	return attr(forms[0], "action"), fields
}

func walk(n *html.Node, visit func(*html.Node)) {
	visit(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, visit)
	}
}

func findAll(n *html.Node, tag string) []*html.Node {
	var found []*html.Node
	walk(n, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == tag {
			found = append(found, n)
		}
	})
	return found
}

func withAttr(n *html.Node, key string) []*html.Node {
	var found []*html.Node
	walk(n, func(n *html.Node) {
		if n.Type == html.ElementNode && hasAttr(n, key) {
			found = append(found, n)
		}
	})
	return found
}

func byID(n *html.Node, id string) *html.Node {
	var found *html.Node
	walk(n, func(n *html.Node) {
		if found == nil && n.Type == html.ElementNode && attr(n, "id") == id {
			found = n
		}
	})
	return found
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

func attr(n *html.Node, key string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func textOf(n *html.Node) string {
	var b strings.Builder
	walk(n, func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
	})
	return strings.Join(strings.Fields(b.String()), " ")
}
