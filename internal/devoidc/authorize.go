package devoidc

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strings"
)

// authRequest holds the parameters of an authorization request. The sign-in
// form carries them in hidden fields so the POST can be checked again.
type authRequest struct {
	ClientID            string
	RedirectURI         string
	ResponseType        string
	Scope               string
	State               string
	Nonce               string
	CodeChallenge       string
	CodeChallengeMethod string
	// repeated names the parameters given more than once, which RFC 6749
	// section 3.1 forbids.
	repeated []string
}

func readAuthRequest(v url.Values) authRequest {
	var r authRequest
	get := func(name string) string {
		vs := v[name]
		if len(vs) > 1 {
			r.repeated = append(r.repeated, name)
		}
		if len(vs) == 0 {
			return ""
		}
		return vs[0]
	}
	r.ClientID = get("client_id")
	r.RedirectURI = get("redirect_uri")
	r.ResponseType = get("response_type")
	r.Scope = get("scope")
	r.State = get("state")
	r.Nonce = get("nonce")
	r.CodeChallenge = get("code_challenge")
	r.CodeChallengeMethod = get("code_challenge_method")
	return r
}

// hiddenFields returns the parameters to carry through the sign-in form.
func (r authRequest) hiddenFields() []hiddenField {
	all := []hiddenField{
		{"client_id", r.ClientID},
		{"redirect_uri", r.RedirectURI},
		{"response_type", r.ResponseType},
		{"scope", r.Scope},
		{"state", r.State},
		{"nonce", r.Nonce},
		{"code_challenge", r.CodeChallenge},
		{"code_challenge_method", r.CodeChallengeMethod},
	}
	return slices.DeleteFunc(all, func(f hiddenField) bool { return f.Value == "" })
}

// oauthError is an error the client is told about (RFC 6749 sections
// 4.1.2.1 and 5.2).
type oauthError struct {
	code        string
	description string
}

// check validates everything that is not about trusting the redirect URI;
// its errors are sent back to the client.
func (r authRequest) check() *oauthError {
	switch {
	case len(r.repeated) > 0:
		return &oauthError{"invalid_request", "parameter given more than once: " + strings.Join(r.repeated, ", ")}
	case r.ResponseType == "":
		return &oauthError{"invalid_request", "response_type is required"}
	case r.ResponseType != "code":
		return &oauthError{"unsupported_response_type", "only response_type=code is supported"}
	case !slices.Contains(strings.Fields(r.Scope), "openid"):
		return &oauthError{"invalid_scope", "scope must include openid"}
	// RFC 7636 section 4.4.1: a server that requires PKCE answers a
	// request without it, or with a method it does not support, with
	// invalid_request. Only S256 is accepted because plain protects nothing
	// once the request has been seen.
	case r.CodeChallenge == "":
		return &oauthError{"invalid_request", "code_challenge is required"}
	case r.CodeChallengeMethod != "S256":
		return &oauthError{"invalid_request", "code_challenge_method must be S256"}
	case !validS256Challenge(r.CodeChallenge):
		return &oauthError{"invalid_request", "code_challenge must be the base64url encoding of a SHA-256 hash"}
	}
	return nil
}

func validS256Challenge(c string) bool {
	b, err := base64.RawURLEncoding.DecodeString(c)
	return err == nil && len(b) == 32
}

type hiddenField struct {
	Name  string
	Value string
}

type fieldError struct {
	Field   string
	Message string
}

type signInPage struct {
	Action        string
	Hidden        []hiddenField
	Email         string
	Name          string
	EmailVerified bool
	Errors        []fieldError
}

// Title starts with "Error:" when the form failed, so screen reader users
// hear it first.
func (pg signInPage) Title() string {
	if len(pg.Errors) > 0 {
		return "Error: Sign in (development) – Osk"
	}
	return "Sign in (development) – Osk"
}

// ErrorFor returns the error message for field, or "".
func (pg signInPage) ErrorFor(field string) string {
	for _, e := range pg.Errors {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

type errorPage struct {
	Message string
}

// authorize shows the sign-in form (GET) and signs the person in (POST).
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	params := r.URL.Query()
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		if err := r.ParseForm(); err != nil {
			p.renderError(w, http.StatusBadRequest, "The sign-in form could not be read.")
			return
		}
		params = r.PostForm
	}
	req := readAuthRequest(params)

	// RFC 6749 section 4.1.2.1: when the client or its redirect URI cannot
	// be trusted, the person is told so and never sent anywhere, or the
	// provider would be an open redirector.
	if req.ClientID == "" || slices.Contains(req.repeated, "client_id") || !p.clientExists(req.ClientID) {
		p.renderError(w, http.StatusBadRequest, "The application that sent you here is not registered with the development sign-in.")
		return
	}
	if req.RedirectURI == "" || slices.Contains(req.repeated, "redirect_uri") || !p.redirectURIRegistered(req.ClientID, req.RedirectURI) {
		p.renderError(w, http.StatusBadRequest, "The address the application asked to return to is not one registered for it.")
		return
	}
	if oerr := req.check(); oerr != nil {
		redirectWith(w, r, req.RedirectURI, url.Values{
			"error":             {oerr.code},
			"error_description": {oerr.description},
		}, req.State)
		return
	}

	page := signInPage{
		Action:        p.basePath + "/authorize",
		Hidden:        req.hiddenFields(),
		EmailVerified: true,
	}
	if r.Method == http.MethodGet {
		p.render(w, http.StatusOK, "signin", page)
		return
	}

	page.Email = strings.TrimSpace(params.Get("email"))
	page.Name = strings.TrimSpace(params.Get("name"))
	switch params.Get("email_verified") {
	case "", "true":
	case "false":
		page.EmailVerified = false
	default:
		page.Errors = append(page.Errors, fieldError{"email_verified", "Choose whether the email address is verified"})
	}
	if msg := checkEmail(page.Email); msg != "" {
		page.Errors = append(page.Errors, fieldError{"email", msg})
	}
	if page.Name == "" {
		page.Errors = append(page.Errors, fieldError{"name", "Enter your name"})
	}
	// The summary lists errors in the order the fields appear on the page.
	slices.SortStableFunc(page.Errors, func(a, b fieldError) int {
		return fieldOrder(a.Field) - fieldOrder(b.Field)
	})
	if len(page.Errors) > 0 {
		p.render(w, http.StatusUnprocessableEntity, "signin", page)
		return
	}

	code := p.issueCode(req, identity{
		Subject:       subject(page.Email),
		Email:         page.Email,
		EmailVerified: page.EmailVerified,
		Name:          page.Name,
	})
	redirectWith(w, r, req.RedirectURI, url.Values{"code": {code}}, req.State)
}

func fieldOrder(field string) int {
	return slices.Index([]string{"email", "name", "email_verified"}, field)
}

// checkEmail returns a message for an unusable email address, or "".
func checkEmail(email string) string {
	if email == "" {
		return "Enter your email address"
	}
	addr, err := mail.ParseAddress(email)
	// ParseAddress also accepts "Name <address>"; only a bare address is
	// what a person's email is.
	if err != nil || addr.Name != "" || addr.Address != email || len(email) > 254 {
		return "Enter an email address in the correct format, like name@example.com"
	}
	return ""
}

func (p *Provider) clientExists(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.clients[id]
	return ok
}

// issueCode stores a single-use authorization code for user.
func (p *Provider) issueCode(req authRequest, user identity) string {
	code := rand.Text()
	now := p.clk.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sweepLocked(now)
	p.codes[code] = &grant{
		clientID:      req.ClientID,
		redirectURI:   req.RedirectURI,
		codeChallenge: req.CodeChallenge,
		nonce:         req.Nonce,
		user:          user,
		expires:       now.Add(codeLifetime),
	}
	return code
}

// redirectWith sends the browser to redirectURI with params and state
// added to its query, keeping any query it already has (RFC 6749 section
// 3.1.2).
func redirectWith(w http.ResponseWriter, r *http.Request, redirectURI string, params url.Values, state string) {
	u, err := url.Parse(redirectURI)
	if err != nil {
		// Registered redirect URIs were parsed at registration.
		http.Error(w, "invalid redirect URI", http.StatusInternalServerError)
		return
	}
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	if state != "" {
		q.Set("state", state)
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func (p *Provider) renderError(w http.ResponseWriter, status int, message string) {
	p.render(w, status, "error", errorPage{Message: message})
}

// render executes the page before writing anything, so a template error
// becomes a clean 500 rather than half a page.
func (p *Provider) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := p.pages.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "devoidc: the page could not be shown", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
