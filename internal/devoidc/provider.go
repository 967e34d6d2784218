// Package devoidc is the OpenID Connect provider that Osk serves to itself
// in development and tests, so that signing in goes through the real
// authorization-code flow (discovery, PKCE, code exchange, signed ID token,
// userinfo) without any outside identity provider.
//
// Anyone can sign in as any email address, so it must never be mounted
// outside APP_ENV=development. All its state (the signing key, clients,
// authorization codes and access tokens) lives in the memory of one process:
// a restart forgets it, and two instances do not share it. Subjects are
// derived from the email address alone, so they survive restarts.
package devoidc

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/citizen-network/osk/internal/clock"
)

const (
	// codeLifetime follows the advice of RFC 6749 section 4.1.2 that an
	// authorization code lives at most ten minutes; a browser round trip
	// needs seconds.
	codeLifetime = 60 * time.Second
	// tokenLifetime is how long access and ID tokens are valid.
	tokenLifetime = time.Hour
	// maxBodyBytes bounds the forms posted to /authorize and /token.
	maxBodyBytes = 64 << 10
	// signingAlg is RS256 because OpenID Connect Discovery 1.0 section 3
	// requires every provider to offer it, so any client can verify.
	signingAlg = jose.RS256
)

//go:embed pages.html
var pagesFS embed.FS

// Provider is a development OpenID Connect provider. It is safe for
// concurrent use.
type Provider struct {
	issuer   string
	basePath string // the issuer's URL path, where the handler is mounted
	clk      clock.Clock
	signer   jose.Signer
	keys     jose.JSONWebKeySet
	pages    *template.Template

	mu      sync.Mutex
	clients map[string]client
	codes   map[string]*grant
	tokens  map[string]accessToken
}

type client struct {
	secret       string
	redirectURIs []string
}

// identity is the person signed in on the sign-in page.
type identity struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
}

// grant is what an authorization code stands for until it is exchanged.
type grant struct {
	clientID      string
	redirectURI   string
	codeChallenge string
	nonce         string
	user          identity
	expires       time.Time
	used          bool
	// accessToken is the token issued for this code, revoked if the code
	// is presented again (RFC 6749 section 4.1.2).
	accessToken string
}

type accessToken struct {
	user    identity
	expires time.Time
}

// New returns a provider for issuer, an absolute http or https URL such as
// "http://127.0.0.1:8080/dev/oidc", with a freshly generated signing key.
// Codes and access tokens expire by clk. ID tokens carry wall-clock times,
// because clients check them against their own clock, which clk may have
// been moved away from.
func New(issuer string, clk clock.Clock) (*Provider, error) {
	if clk == nil {
		return nil, errors.New("devoidc: new: no clock")
	}
	u, err := url.Parse(issuer)
	if err != nil {
		return nil, fmt.Errorf("devoidc: new: issuer: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("devoidc: new: issuer %q must be an http or https URL without query or fragment", issuer)
	}
	issuer = strings.TrimSuffix(issuer, "/")
	u.Path = strings.TrimSuffix(u.Path, "/")

	pages, err := template.ParseFS(pagesFS, "pages.html")
	if err != nil {
		return nil, fmt.Errorf("devoidc: new: templates: %w", err)
	}

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("devoidc: new: signing key: %w", err)
	}
	public := jose.JSONWebKey{Key: &key.PublicKey, Algorithm: string(signingAlg), Use: "sig"}
	thumbprint, err := public.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("devoidc: new: key id: %w", err)
	}
	public.KeyID = base64.RawURLEncoding.EncodeToString(thumbprint)
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: signingAlg, Key: jose.JSONWebKey{Key: key, KeyID: public.KeyID}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		return nil, fmt.Errorf("devoidc: new: signer: %w", err)
	}

	return &Provider{
		issuer:   issuer,
		basePath: u.EscapedPath(),
		clk:      clk,
		signer:   signer,
		keys:     jose.JSONWebKeySet{Keys: []jose.JSONWebKey{public}},
		pages:    pages,
		clients:  make(map[string]client),
		codes:    make(map[string]*grant),
		tokens:   make(map[string]accessToken),
	}, nil
}

// Issuer returns the issuer identifier, without a trailing slash.
func (p *Provider) Issuer() string { return p.issuer }

// DiscoveryURL returns the address of the discovery document, the one
// address a client needs.
func (p *Provider) DiscoveryURL() string { return p.issuer + "/.well-known/openid-configuration" }

// RegisterClient lets a client with this id and secret sign people in and
// be sent back to one of redirectURIs, which are compared exactly. It
// replaces an earlier registration of the same id.
func (p *Provider) RegisterClient(id, secret string, redirectURIs ...string) error {
	if id == "" || secret == "" {
		return errors.New("devoidc: register client: id and secret are required")
	}
	if len(redirectURIs) == 0 {
		return fmt.Errorf("devoidc: register client %q: no redirect URI", id)
	}
	for _, ru := range redirectURIs {
		u, err := url.Parse(ru)
		if err != nil {
			return fmt.Errorf("devoidc: register client %q: redirect URI: %w", id, err)
		}
		// RFC 6749 section 3.1.2: absolute, and without a fragment.
		if !u.IsAbs() || u.Host == "" || u.Fragment != "" {
			return fmt.Errorf("devoidc: register client %q: redirect URI %q must be absolute and without a fragment", id, ru)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clients[id] = client{secret: secret, redirectURIs: append([]string(nil), redirectURIs...)}
	return nil
}

// Handler serves the provider at paths relative to the issuer's path:
// /.well-known/openid-configuration, /keys, /authorize, /token and
// /userinfo. Mount it under the issuer's path with that prefix stripped,
// e.g. http.StripPrefix("/dev/oidc", p.Handler()).
func (p *Provider) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /keys", p.jwks)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	// OpenID Connect Core 1.0 section 5.3.1: userinfo answers GET and POST.
	mux.HandleFunc("GET /userinfo", p.userinfo)
	mux.HandleFunc("POST /userinfo", p.userinfo)
	return mux
}

type discoveryDocument struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	ClaimsSupported                   []string `json:"claims_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
}

func (p *Provider) discovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, discoveryDocument{
		Issuer:                           p.issuer,
		AuthorizationEndpoint:            p.issuer + "/authorize",
		TokenEndpoint:                    p.issuer + "/token",
		UserinfoEndpoint:                 p.issuer + "/userinfo",
		JWKSURI:                          p.issuer + "/keys",
		ResponseTypesSupported:           []string{"code"},
		ResponseModesSupported:           []string{"query"},
		GrantTypesSupported:              []string{"authorization_code"},
		SubjectTypesSupported:            []string{"public"},
		IDTokenSigningAlgValuesSupported: []string{string(signingAlg)},
		CodeChallengeMethodsSupported:    []string{"S256"},
		ScopesSupported:                  []string{"openid", "email", "profile"},
		ClaimsSupported:                  []string{"iss", "sub", "aud", "exp", "iat", "nonce", "email", "email_verified", "name"},
		// golang.org/x/oauth2, which goth uses, tries HTTP Basic first and
		// falls back to the form body; both are accepted.
		TokenEndpointAuthMethodsSupported: []string{"client_secret_basic", "client_secret_post"},
	})
}

func (p *Provider) jwks(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, p.keys)
}

// subject derives the subject from the email address alone, so the same
// person keeps the same subject across sign-ins and restarts.
func subject(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(email)))
	return hex.EncodeToString(sum[:16])
}

// sweepLocked forgets expired codes and tokens. A used code is kept until
// it expires so that presenting it again is recognised as reuse.
func (p *Provider) sweepLocked(now time.Time) {
	for code, g := range p.codes {
		if now.After(g.expires) {
			delete(p.codes, code)
		}
	}
	for token, t := range p.tokens {
		if now.After(t.expires) {
			delete(p.tokens, token)
		}
	}
}

// redirectURIRegistered reports whether clientID is registered with
// redirectURI.
func (p *Provider) redirectURIRegistered(clientID, redirectURI string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.clients[clientID]
	if !ok {
		return false
	}
	for _, ru := range c.redirectURIs {
		if ru == redirectURI {
			return true
		}
	}
	return false
}
