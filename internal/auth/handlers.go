package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/session"
	"github.com/jmoiron/sqlx"
	"golang.org/x/oauth2"

	"github.com/citizen-network/osk/internal/config"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/web"
)

// Session keys.
const (
	keyAccount  = "account_id"
	keyState    = "oauth_state"
	keyVerifier = "oauth_verifier"
	keyProvider = "oauth_provider"
	keyLink     = "oauth_link"
	keyReturn   = "oauth_return"
)

// How long sessions last. A signed-in session is not extended by use, so a
// stolen cookie stops working on a known date.
const (
	signedInSession = 14 * 24 * time.Hour
	preLoginSession = 15 * time.Minute
)

// CSRFField is the form field (and X-CSRF-Token the header) that carries the
// CSRF token.
const CSRFField = "_csrf"

// Handlers serves sign-in, sign-out, the account pages and /api/v1/me, and
// provides the middleware that tells every other handler who is asking.
type Handlers struct {
	svc         *Service
	sessions    *session.Store
	sessionData *Storage
	providers   []*provider
	secret      []byte
	cfg         config.Config
	logger      *slog.Logger
	limits      rateCounts
	// MemberOf returns the caller's member record for /api/v1/me, or nil,
	// and Represents the organisations the caller represents (a list,
	// empty for none); internal/members provides them.
	MemberOf   func(c *fiber.Ctx, p Principal) (any, error)
	Represents func(c *fiber.Ctx, p Principal) (any, error)
}

// DevClient names the built-in development provider's client.
type DevClient struct {
	Issuer, ClientID, Secret string
}

// NewHandlers builds the sign-in handlers. dev is the development provider
// (zero outside development).
func NewHandlers(svc *Service, conn *sqlx.DB, cfg config.Config, logger *slog.Logger, dev DevClient) *Handlers {
	cookie := "osk_session"
	if cfg.HTTPS() {
		// __Host- cookies are only accepted when Secure, host-only and for
		// the whole site, which no subdomain can override.
		cookie = "__Host-osk_session"
	}
	data := NewStorage(conn)
	store := session.New(session.Config{
		Storage:        data,
		Expiration:     signedInSession,
		KeyLookup:      "cookie:" + cookie,
		CookiePath:     "/",
		CookieSecure:   cfg.HTTPS(),
		CookieHTTPOnly: true,
		CookieSameSite: "Lax",
		KeyGenerator:   randomToken,
	})
	return &Handlers{
		svc:         svc,
		sessions:    store,
		sessionData: data,
		providers:   buildProviders(cfg, dev.Issuer, dev.ClientID, dev.Secret),
		secret:      []byte(cfg.SessionSecret),
		cfg:         cfg,
		logger:      logger,
		limits:      rateCounts{db: conn},
	}
}

// RunReads gathers the session reads of concurrent requests into shared
// queries until ctx ends.
func (h *Handlers) RunReads(ctx context.Context) { h.sessionData.RunReads(ctx) }

// Sessions is the session storage, for the purge loop.
func (h *Handlers) Sessions() *session.Store { return h.sessions }

func randomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("auth: no randomness: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// csrfToken binds a CSRF token to a session id: a token from one session is
// worthless in another.
func (h *Handlers) csrfToken(sessionID string) string {
	mac := hmac.New(sha256.New, h.secret)
	mac.Write([]byte("csrf\x00" + sessionID))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

const localSessionID = "osk.session_id"

// Authenticate works out who is asking, from a bearer token or the session
// cookie, and records it for handlers, templates and the access log. A bad
// bearer token is refused at once with 401.
func (h *Handlers) Authenticate() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if authz := c.Get(fiber.HeaderAuthorization); authz != "" {
			scheme, raw, ok := strings.Cut(authz, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") {
				return errs.Wrap(errs.Unauthenticated, "Use Authorization: Bearer TOKEN with a personal access token.")
			}
			p, err := h.svc.Authenticate(c.UserContext(), strings.TrimSpace(raw))
			if err != nil {
				return err
			}
			h.setPrincipal(c, p, "")
			return c.Next()
		}
		var p Principal
		var csrf string
		if c.Cookies(h.cookieName()) != "" {
			sess, err := h.sessions.Get(c)
			if err != nil {
				return fmt.Errorf("auth: session: %w", err)
			}
			if !sess.Fresh() {
				c.Locals(localSessionID, sess.ID())
				csrf = h.csrfToken(sess.ID())
				if id, ok := sess.Get(keyAccount).(int64); ok {
					p, err = h.svc.Principal(c.UserContext(), id)
					if errors.Is(err, ErrNoAccount) {
						p = Principal{}
					} else if err != nil {
						return err
					}
				}
			}
		}
		h.setPrincipal(c, p, csrf)
		return c.Next()
	}
}

func (h *Handlers) cookieName() string {
	if h.cfg.HTTPS() {
		return "__Host-osk_session"
	}
	return "osk_session"
}

func (h *Handlers) setPrincipal(c *fiber.Ctx, p Principal, csrf string) {
	c.Locals(localPrincipal, p)
	if p.SignedIn() {
		web.SetAccountID(c, p.AccountID)
	}
	web.SetViewer(c, web.Viewer{
		SignedIn: p.SignedIn(), Name: p.Name, Roles: p.Roles, CSRF: csrf, Dev: h.cfg.IsDevelopment(),
	})
}

// CSRF refuses a state-changing request that rides on a session cookie
// without that session's token (form field _csrf or header X-CSRF-Token).
// Requests with a bearer token carry no ambient authority and need none;
// requests with no session carry no authority at all, and the handler
// refuses them if it needs someone.
func (h *Handlers) CSRF() fiber.Handler {
	return func(c *fiber.Ctx) error {
		switch c.Method() {
		case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
			return c.Next()
		}
		if PrincipalOf(c).ViaToken {
			return c.Next()
		}
		sid, _ := c.Locals(localSessionID).(string)
		if sid == "" {
			// No live session: nothing to ride on.
			return c.Next()
		}
		sent := c.Get("X-CSRF-Token")
		if sent == "" {
			// From the form's body only, never the address: an address
			// travels in logs, histories and Referer headers.
			sent = string(c.Request().PostArgs().Peek(CSRFField))
		}
		want := h.csrfToken(sid)
		if sent == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(want)) != 1 {
			return errs.Wrap(errs.Forbidden, "This form has expired or did not come from Osk. Go back, reload the page and try again.")
		}
		return c.Next()
	}
}

func (h *Handlers) provider(name string) (*provider, bool) {
	for _, p := range h.providers {
		if p.name == name {
			return p, true
		}
	}
	return nil, false
}

// begin starts the sign-in with a provider: the state and the PKCE verifier
// are made here and kept in a fresh server-side session; a state sent by
// the caller is ignored.
func (h *Handlers) begin(c *fiber.Ctx) error {
	prov, ok := h.provider(c.Params("provider"))
	if !ok {
		return errs.Wrap(errs.NotFound, "There is no sign-in provider of that name.")
	}
	if PrincipalOf(c).ViaToken {
		return errTokenSignIn
	}
	gp, err := prov.load()
	if err != nil {
		h.logger.Warn("sign-in provider unavailable", "provider", prov.name, "error", err)
		return h.failed(c, fiber.StatusBadGateway, "We could not reach "+prov.label+". Please try again later or choose another way to sign in.")
	}
	state := randomToken()
	verifier := oauth2.GenerateVerifier()
	gs, err := gp.BeginAuth(state)
	if err != nil {
		return fmt.Errorf("auth: begin %s: %w", prov.name, err)
	}
	authURL, err := gs.GetAuthURL()
	if err != nil {
		return fmt.Errorf("auth: begin %s: %w", prov.name, err)
	}
	u, err := url.Parse(authURL)
	if err != nil {
		return fmt.Errorf("auth: begin %s: %w", prov.name, err)
	}
	q := u.Query()
	q.Set("state", state)
	q.Set("code_challenge", oauth2.S256ChallengeFromVerifier(verifier))
	q.Set("code_challenge_method", "S256")
	u.RawQuery = q.Encode()

	sess, err := h.sessions.Get(c)
	if err != nil {
		return fmt.Errorf("auth: session: %w", err)
	}
	p := PrincipalOf(c)
	if !p.SignedIn() {
		// Never reuse an id the visitor came with: it may have been
		// planted.
		if err := sess.Regenerate(); err != nil {
			return fmt.Errorf("auth: session: %w", err)
		}
		sess.SetExpiry(preLoginSession)
	}
	sess.Set(keyState, state)
	sess.Set(keyVerifier, verifier)
	sess.Set(keyProvider, prov.name)
	// Linking names the account that asked, so that the callback links to
	// it alone.
	sess.Delete(keyLink)
	if p.SignedIn() && c.Query("link") == "1" {
		sess.Set(keyLink, p.AccountID)
	}
	sess.Set(keyReturn, safeReturn(c.Query("return")))
	if err := sess.Save(); err != nil {
		return fmt.Errorf("auth: session: %w", err)
	}
	return c.Redirect(u.String(), fiber.StatusSeeOther)
}

// safeReturn keeps only local paths, so sign-in cannot be used to send
// people to another site.
func safeReturn(raw string) string {
	if raw == "" || !strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "//") || strings.Contains(raw, `\`) {
		return "/"
	}
	if u, err := url.Parse(raw); err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return raw
}

// callback finishes the sign-in. The state must be the one this session
// began with, and is used up whatever happens next.
func (h *Handlers) callback(c *fiber.Ctx) error {
	prov, ok := h.provider(c.Params("provider"))
	if !ok {
		return errs.Wrap(errs.NotFound, "There is no sign-in provider of that name.")
	}
	if PrincipalOf(c).ViaToken {
		return errTokenSignIn
	}
	if c.Cookies(h.cookieName()) == "" {
		return h.failed(c, fiber.StatusBadRequest, "Your sign-in could not be matched to this browser. Cookies may be blocked, or the sign-in took too long.")
	}
	sess, err := h.sessions.Get(c)
	if err != nil {
		return fmt.Errorf("auth: session: %w", err)
	}
	wantState, _ := sess.Get(keyState).(string)
	verifier, _ := sess.Get(keyVerifier).(string)
	provName, _ := sess.Get(keyProvider).(string)
	linkTo, _ := sess.Get(keyLink).(int64)
	returnTo, _ := sess.Get(keyReturn).(string)
	gotState := c.Query("state")
	if wantState == "" || verifier == "" || provName != prov.name ||
		subtle.ConstantTimeCompare([]byte(gotState), []byte(wantState)) != 1 {
		if !sess.Fresh() && sess.Get(keyAccount) == nil {
			_ = sess.Destroy()
		}
		return h.failed(c, fiber.StatusBadRequest, "This sign-in link is not valid or has already been used. Please start again.")
	}
	for _, k := range []string{keyState, keyVerifier, keyProvider, keyLink, keyReturn} {
		sess.Delete(k)
	}
	if err := sess.Save(); err != nil {
		return fmt.Errorf("auth: session: %w", err)
	}
	if e := c.Query("error"); e != "" {
		h.logger.Info("sign-in refused by provider", "provider", prov.name, "error", e)
		return h.failed(c, fiber.StatusBadRequest, prov.label+" did not sign you in. You can try again or choose another way.")
	}
	code := c.Query("code")
	if code == "" {
		return h.failed(c, fiber.StatusBadRequest, "The sign-in provider sent no code. Please start again.")
	}
	gp, err := prov.load()
	if err != nil {
		return h.failed(c, fiber.StatusBadGateway, "We could not reach "+prov.label+". Please try again later.")
	}
	gs, err := prov.exchange(c.UserContext(), gp, code, verifier)
	if err != nil {
		h.logger.Warn("sign-in code exchange failed", "provider", prov.name, "error", err)
		return h.failed(c, fiber.StatusBadRequest, prov.label+" did not confirm the sign-in. Please start again.")
	}
	user, err := gp.FetchUser(gs)
	if err != nil {
		h.logger.Warn("sign-in user fetch failed", "provider", prov.name, "error", err)
		return h.failed(c, fiber.StatusBadGateway, "We could not read your details from "+prov.label+". Please try again.")
	}
	id := Identity{
		Provider: prov.name, Issuer: prov.issuer, Subject: user.UserID,
		Email: user.Email, EmailVerified: prov.verifiedEmail(user), Name: user.Name,
	}
	if linkTo != 0 {
		p := PrincipalOf(c)
		if p.AccountID != linkTo {
			return h.failed(c, fiber.StatusBadRequest, "You are no longer signed in as the account that asked to link this sign-in. Please start again.")
		}
		if err := h.svc.LinkIdentity(c.UserContext(), p, id); err != nil {
			if errors.Is(err, errs.Conflict) {
				return h.failed(c, fiber.StatusConflict, "That sign-in is already linked to an account.")
			}
			return err
		}
		return c.Redirect("/account", fiber.StatusSeeOther)
	}
	acc, err := h.svc.SignIn(c.UserContext(), id)
	if err != nil {
		if errors.Is(err, errs.Invalid) {
			return h.failed(c, fiber.StatusBadRequest, errs.Message(err))
		}
		return err
	}
	// A signed-in session always gets a new id.
	sess, err = h.sessions.Get(c)
	if err != nil {
		return fmt.Errorf("auth: session: %w", err)
	}
	if err := sess.Regenerate(); err != nil {
		return fmt.Errorf("auth: session: %w", err)
	}
	sess.Set(keyAccount, acc.ID)
	sess.SetExpiry(signedInSession)
	if err := sess.Save(); err != nil {
		return fmt.Errorf("auth: session: %w", err)
	}
	return c.Redirect(safeReturn(returnTo), fiber.StatusSeeOther)
}

// errTokenSignIn refuses a personal access token on the sign-in routes.
// Signing in, and linking another way to sign in, happen in a browser
// session: a token that could link an identity would let whoever holds it
// sign in as its account long after the token was revoked.
var errTokenSignIn = errs.Wrap(errs.Forbidden, "Sign in in a browser: a personal access token cannot sign in or link a way of signing in.")

func (h *Handlers) failed(c *fiber.Ctx, status int, message string) error {
	c.Status(status)
	return web.Render(c, "auth/failed", fiber.Map{"Title": "Sign-in did not work", "Message": message})
}

// signOut deletes the session on the server and the cookie in the browser.
func (h *Handlers) signOut(c *fiber.Ctx) error {
	sess, err := h.sessions.Get(c)
	if err != nil {
		return fmt.Errorf("auth: session: %w", err)
	}
	if err := sess.Destroy(); err != nil {
		return fmt.Errorf("auth: sign out: %w", err)
	}
	return c.Redirect("/", fiber.StatusSeeOther)
}
