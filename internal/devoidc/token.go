package devoidc

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
)

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	IDToken     string `json:"id_token"`
}

type errorResponse struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}

type userinfoResponse struct {
	Subject       string `json:"sub"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
	Name          string `json:"name"`
}

type idTokenClaims struct {
	jwt.Claims
	Nonce         string `json:"nonce,omitempty"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
	Name          string `json:"name"`
}

// token exchanges an authorization code for an access token and an ID
// token (RFC 6749 section 4.1.3, RFC 7636 section 4.6).
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		writeTokenError(w, http.StatusBadRequest, &oauthError{"invalid_request", "the request body could not be read"})
		return
	}
	// Only the body counts: parameters in the URL would end up in logs.
	form := r.PostForm
	for name, vs := range form {
		if len(vs) > 1 {
			writeTokenError(w, http.StatusBadRequest, &oauthError{"invalid_request", "parameter given more than once: " + name})
			return
		}
	}

	clientID, usedBasic, oerr := p.authenticateClient(r, form)
	if oerr != nil {
		status := http.StatusBadRequest
		if oerr.code == "invalid_client" {
			status = http.StatusUnauthorized
			if usedBasic {
				w.Header().Set("WWW-Authenticate", `Basic realm="devoidc"`)
			}
		}
		writeTokenError(w, status, oerr)
		return
	}
	if gt := form.Get("grant_type"); gt != "authorization_code" {
		writeTokenError(w, http.StatusBadRequest, &oauthError{"unsupported_grant_type", "only grant_type=authorization_code is supported"})
		return
	}

	user, nonce, access, oerr := p.redeemCode(clientID, form.Get("code"), form.Get("redirect_uri"), form.Get("code_verifier"))
	if oerr != nil {
		writeTokenError(w, http.StatusBadRequest, oerr)
		return
	}
	idToken, err := p.idToken(clientID, nonce, user)
	if err != nil {
		writeTokenError(w, http.StatusInternalServerError, &oauthError{"server_error", "the ID token could not be signed"})
		return
	}
	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken: access,
		TokenType:   "Bearer",
		ExpiresIn:   int(tokenLifetime / time.Second),
		IDToken:     idToken,
	})
}

// authenticateClient checks the client's id and secret, sent either with
// HTTP Basic (client_secret_basic) or in the form (client_secret_post).
// usedBasic tells whether a failure must be answered with WWW-Authenticate.
func (p *Provider) authenticateClient(r *http.Request, form url.Values) (clientID string, usedBasic bool, oerr *oauthError) {
	var secret string
	basicID, basicSecret, usedBasic := r.BasicAuth()
	_, postSecret := form["client_secret"]
	switch {
	case usedBasic && postSecret:
		// RFC 6749 section 2.3: a client uses one method per request.
		return "", true, &oauthError{"invalid_request", "client credentials given both in the Authorization header and in the body"}
	case usedBasic:
		// RFC 6749 section 2.3.1: Basic credentials are form-encoded first,
		// which golang.org/x/oauth2 does.
		var errID, errSecret error
		clientID, errID = url.QueryUnescape(basicID)
		secret, errSecret = url.QueryUnescape(basicSecret)
		if errID != nil || errSecret != nil {
			return "", true, &oauthError{"invalid_client", "client credentials are not correctly encoded"}
		}
		if formID := form.Get("client_id"); formID != "" && formID != clientID {
			return "", true, &oauthError{"invalid_request", "client_id does not match the authenticated client"}
		}
	case postSecret:
		clientID, secret = form.Get("client_id"), form.Get("client_secret")
	default:
		return "", false, &oauthError{"invalid_client", "client authentication is required"}
	}

	p.mu.Lock()
	c, ok := p.clients[clientID]
	p.mu.Unlock()
	if !ok || subtle.ConstantTimeCompare([]byte(secret), []byte(c.secret)) != 1 {
		return "", usedBasic, &oauthError{"invalid_client", "unknown client or wrong secret"}
	}
	return clientID, usedBasic, nil
}

// redeemCode checks an authorization code and, if it is good, marks it used
// and issues an access token. A failed attempt leaves the code as it was:
// golang.org/x/oauth2 retries a failed exchange with the other way of
// authenticating, and that retry should hear the same reason, not "used".
// Guessing a 256-bit code verifier within the code's 60 seconds is not a
// risk that consuming the code would need to answer.
func (p *Provider) redeemCode(clientID, code, redirectURI, verifier string) (user identity, nonce, access string, oerr *oauthError) {
	if code == "" {
		return identity{}, "", "", &oauthError{"invalid_request", "code is required"}
	}
	if verifier == "" {
		return identity{}, "", "", &oauthError{"invalid_request", "code_verifier is required"}
	}
	now := p.clk.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	g, ok := p.codes[code]
	switch {
	case !ok || now.After(g.expires):
		return identity{}, "", "", &oauthError{"invalid_grant", "unknown or expired authorization code"}
	case g.clientID != clientID:
		return identity{}, "", "", &oauthError{"invalid_grant", "the authorization code was issued to another client"}
	case g.used:
		// RFC 6749 section 4.1.2: a code used twice may have been stolen,
		// so the token issued for it is revoked too.
		delete(p.tokens, g.accessToken)
		return identity{}, "", "", &oauthError{"invalid_grant", "the authorization code has already been used"}
	case g.redirectURI != redirectURI:
		return identity{}, "", "", &oauthError{"invalid_grant", "redirect_uri does not match the authorization request"}
	case !verifierMatches(verifier, g.codeChallenge):
		return identity{}, "", "", &oauthError{"invalid_grant", "code_verifier does not match the code_challenge"}
	}

	p.sweepLocked(now)
	access = rand.Text()
	p.tokens[access] = accessToken{user: g.user, expires: now.Add(tokenLifetime)}
	g.used = true
	g.accessToken = access
	return g.user, g.nonce, access, nil
}

// verifierMatches applies the S256 transformation of RFC 7636 section 4.6.
func verifierMatches(verifier, challenge string) bool {
	// Section 4.1: 43 to 128 characters of [A-Za-z0-9-._~].
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	for _, c := range verifier {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune("-._~", c)) {
			return false
		}
	}
	sum := sha256.Sum256([]byte(verifier))
	computed := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(computed), []byte(challenge)) == 1
}

// idToken signs the ID token for user.
//
// Its iat and exp come from the wall clock, not from the provider's clock:
// goth's openidConnect checks exp against time.Now(), and the development
// clock may have been moved days ahead to test a deadline, which would make
// every ID token look issued in the future and expire in the past for the
// client. Codes and access tokens, which only this provider checks, expire
// by the provider's clock, so tests can move it to see them expire.
func (p *Provider) idToken(clientID, nonce string, user identity) (string, error) {
	now := time.Now()
	claims := idTokenClaims{
		Claims: jwt.Claims{
			Issuer:   p.issuer,
			Subject:  user.Subject,
			Audience: jwt.Audience{clientID},
			IssuedAt: jwt.NewNumericDate(now),
			Expiry:   jwt.NewNumericDate(now.Add(tokenLifetime)),
		},
		Nonce:         nonce,
		Email:         user.Email,
		EmailVerified: user.EmailVerified,
		Name:          user.Name,
	}
	token, err := jwt.Signed(p.signer).Claims(claims).Serialize()
	if err != nil {
		return "", fmt.Errorf("devoidc: sign id token: %w", err)
	}
	return token, nil
}

// userinfo returns the claims of the person an access token was issued
// for (OpenID Connect Core 1.0 section 5.3, RFC 6750 section 2.1).
func (p *Provider) userinfo(w http.ResponseWriter, r *http.Request) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="devoidc"`)
		writeJSON(w, http.StatusUnauthorized, errorResponse{Error: "invalid_request", ErrorDescription: "a bearer access token is required"})
		return
	}
	now := p.clk.Now()
	p.mu.Lock()
	t, ok := p.tokens[token]
	p.mu.Unlock()
	if !ok || now.After(t.expires) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="devoidc", error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, errorResponse{Error: "invalid_token", ErrorDescription: "unknown, expired or revoked access token"})
		return
	}
	writeJSON(w, http.StatusOK, userinfoResponse{
		Subject:       t.user.Subject,
		Email:         t.user.Email,
		EmailVerified: t.user.EmailVerified,
		Name:          t.user.Name,
	})
}

func writeTokenError(w http.ResponseWriter, status int, oerr *oauthError) {
	writeJSON(w, status, errorResponse{Error: oerr.code, ErrorDescription: oerr.description})
}

// writeJSON writes v with the headers RFC 6749 section 5.1 asks of token
// responses; they do no harm on the others.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "devoidc: the response could not be encoded", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
