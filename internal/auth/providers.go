package auth

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/markbates/goth"
	"github.com/markbates/goth/providers/github"
	"github.com/markbates/goth/providers/google"
	"github.com/markbates/goth/providers/microsoftonline"
	"github.com/markbates/goth/providers/openidConnect"
	"golang.org/x/oauth2"

	"github.com/citizen-network/osk/internal/config"
)

// provider is one way to sign in. goth knows how to build each provider's
// authorisation URL and how to read the person from its API; Osk itself
// makes the state, the PKCE verifier and the code exchange, since goth's
// own handlers keep state in memory and send no PKCE to most providers.
type provider struct {
	name  string // in URLs: /auth/{name}
	label string // on the sign-in page
	// issuer keys identities: the OpenID Connect issuer, or a fixed name
	// for plain OAuth providers.
	issuer string
	// verifiedEmail reads whether the provider vouches for the email.
	verifiedEmail func(goth.User) bool
	// load returns the goth provider, building it on first use when that
	// needs the network (OpenID Connect discovery), so that Osk starts even
	// while a provider is down.
	load func() (goth.Provider, error)
	// exchange trades the code, with the PKCE verifier, for a goth session
	// from which the provider's user can be fetched.
	exchange func(ctx context.Context, gp goth.Provider, code, verifier string) (goth.Session, error)
}

// httpClient bounds every call to a provider.
var httpClient = &http.Client{Timeout: 15 * time.Second}

func callbackURL(base *url.URL, name string) string {
	return base.String() + "/auth/" + name + "/callback"
}

// buildProviders returns the providers that cfg enables, in the order the
// sign-in page lists them. devIssuer is the built-in development provider's
// issuer URL, or "" outside development.
func buildProviders(cfg config.Config, devIssuer, devClientID, devSecret string) []*provider {
	var out []*provider
	p := cfg.Providers
	if p.Google.Enabled() {
		gp := google.New(p.Google.ClientID, p.Google.ClientSecret, callbackURL(cfg.BaseURL, "google"), "openid", "email", "profile")
		gp.HTTPClient = httpClient
		out = append(out, &provider{
			name: "google", label: "Google", issuer: "https://accounts.google.com",
			verifiedEmail: func(u goth.User) bool { return u.RawData["verified_email"] == true },
			load:          func() (goth.Provider, error) { return gp, nil },
			exchange: oauthExchange(oauthConfig(p.Google, google.Endpoint, callbackURL(cfg.BaseURL, "google")),
				func(t *oauth2.Token) goth.Session {
					s := &google.Session{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, ExpiresAt: t.Expiry}
					if id, ok := t.Extra("id_token").(string); ok {
						s.IDToken = id
					}
					return s
				}),
		})
	}
	if p.GitHub.Enabled() {
		gp := github.New(p.GitHub.ClientID, p.GitHub.ClientSecret, callbackURL(cfg.BaseURL, "github"), "read:user", "user:email")
		gp.HTTPClient = httpClient
		out = append(out, &provider{
			name: "github", label: "GitHub", issuer: "https://github.com",
			// GitHub shows only a verified address as the public email, and
			// goth falls back to the verified primary one.
			verifiedEmail: func(u goth.User) bool { return u.Email != "" },
			load:          func() (goth.Provider, error) { return gp, nil },
			exchange: oauthExchange(oauthConfig(p.GitHub, oauth2.Endpoint{AuthURL: github.AuthURL, TokenURL: github.TokenURL}, callbackURL(cfg.BaseURL, "github")),
				func(t *oauth2.Token) goth.Session { return &github.Session{AccessToken: t.AccessToken} }),
		})
	}
	if p.Microsoft.Enabled() {
		gp := microsoftonline.New(p.Microsoft.ClientID, p.Microsoft.ClientSecret, callbackURL(cfg.BaseURL, "microsoft"), "openid", "email", "profile", "User.Read")
		gp.HTTPClient = httpClient
		tenant := url.PathEscape(p.MicrosoftTenant)
		endpoint := oauth2.Endpoint{
			AuthURL:  "https://login.microsoftonline.com/" + tenant + "/oauth2/v2.0/authorize",
			TokenURL: "https://login.microsoftonline.com/" + tenant + "/oauth2/v2.0/token",
		}
		out = append(out, &provider{
			name: "microsoft", label: "Microsoft", issuer: "https://login.microsoftonline.com/" + tenant,
			// Microsoft accounts may carry an address nobody verified, so
			// it never claims an account made in advance.
			verifiedEmail: func(goth.User) bool { return false },
			load:          func() (goth.Provider, error) { return gp, nil },
			exchange: oauthExchange(oauthConfig(p.Microsoft, endpoint, callbackURL(cfg.BaseURL, "microsoft")),
				func(t *oauth2.Token) goth.Session {
					return &microsoftonline.Session{AccessToken: t.AccessToken, ExpiresAt: t.Expiry}
				}),
		})
	}
	if p.OIDC.Enabled() {
		out = append(out, oidcProvider("oidc", p.OIDCName, p.OIDCIssuer, p.OIDC, callbackURL(cfg.BaseURL, "oidc"), true))
	}
	if devIssuer != "" {
		out = append(out, oidcProvider("dev", "the development sign-in", devIssuer,
			config.OAuthClient{ClientID: devClientID, ClientSecret: devSecret}, callbackURL(cfg.BaseURL, "dev"), false))
	}
	return out
}

func oauthConfig(c config.OAuthClient, endpoint oauth2.Endpoint, callback string) *oauth2.Config {
	return &oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, Endpoint: endpoint, RedirectURL: callback}
}

func oauthExchange(cfg *oauth2.Config, session func(*oauth2.Token) goth.Session) func(context.Context, goth.Provider, string, string) (goth.Session, error) {
	return func(ctx context.Context, _ goth.Provider, code, verifier string) (goth.Session, error) {
		ctx = context.WithValue(ctx, oauth2.HTTPClient, httpClient)
		tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
		if err != nil {
			return nil, err
		}
		return session(tok), nil
	}
}

// oidcProvider builds an OpenID Connect provider. With discover, its
// endpoints come from the issuer's discovery document, fetched on first
// use; without (the built-in development provider, served by this very
// process, which is not listening yet at start), they follow the issuer URL.
func oidcProvider(name, label, issuer string, c config.OAuthClient, callback string, discover bool) *provider {
	var (
		mu     sync.Mutex
		loaded goth.Provider
	)
	load := func() (goth.Provider, error) {
		mu.Lock()
		defer mu.Unlock()
		if loaded != nil {
			return loaded, nil
		}
		var (
			gp  *openidConnect.Provider
			err error
		)
		if discover {
			gp, err = openidConnect.NewNamed(name, c.ClientID, c.ClientSecret, callback,
				issuer+"/.well-known/openid-configuration", "email", "profile")
		} else {
			gp, err = openidConnect.NewCustomisedURL(c.ClientID, c.ClientSecret, callback,
				issuer+"/authorize", issuer+"/token", issuer, issuer+"/userinfo", "", "email", "profile")
			if gp != nil {
				gp.SetName(name)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("auth: provider %s: %w", name, err)
		}
		gp.HTTPClient = httpClient
		loaded = gp
		return gp, nil
	}
	return &provider{
		name: name, label: label, issuer: issuer,
		verifiedEmail: func(u goth.User) bool { return u.RawData["email_verified"] == true },
		load:          load,
		exchange: func(_ context.Context, gp goth.Provider, code, verifier string) (goth.Session, error) {
			// goth's OpenID Connect session sends the verifier itself, and
			// checks the ID token's issuer, audience and expiry.
			sess := &openidConnect.Session{}
			if _, err := sess.Authorize(gp, url.Values{"code": {code}, "code_verifier": {verifier}}); err != nil {
				return nil, err
			}
			return sess, nil
		},
	}
}
