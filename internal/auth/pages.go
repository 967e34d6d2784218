package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/web"
)

// Mount registers sign-in, the account pages, the admin roles page and
// /api/v1/me.
func (h *Handlers) Mount(r fiber.Router) {
	signInLimit := h.RateLimit("signin", 30, time.Minute)
	r.Get("/signin", h.signInPage)
	r.Post("/auth/signout", h.signOut)
	r.Get("/auth/:provider", signInLimit, h.begin)
	r.Get("/auth/:provider/callback", signInLimit, h.callback)

	r.Get("/account", h.accountPage)
	r.Get("/account/tokens", h.tokensPage)
	r.Post("/account/tokens", h.createToken)
	r.Post("/account/tokens/:id/revoke", h.revokeToken)

	r.Get("/admin/roles", h.rolesPage)
	r.Post("/admin/roles/grant", h.grantRole)
	r.Post("/admin/roles/revoke", h.revokeRole)

	r.Get("/api/v1/me", h.apiMe)
}

type providerLink struct{ Name, Label string }

func (h *Handlers) signInPage(c *fiber.Ctx) error {
	links := make([]providerLink, 0, len(h.providers))
	for _, p := range h.providers {
		links = append(links, providerLink{Name: p.name, Label: p.label})
	}
	return web.Render(c, "auth/signin", fiber.Map{
		"Title":     "Sign in",
		"Providers": links,
		"Return":    safeReturn(c.Query("return")),
	})
}

func (h *Handlers) accountPage(c *fiber.Ctx) error {
	p := PrincipalOf(c)
	ids, err := h.svc.Identities(c.UserContext(), p)
	if err != nil {
		return err
	}
	links := make([]providerLink, 0, len(h.providers))
	for _, pr := range h.providers {
		links = append(links, providerLink{Name: pr.name, Label: pr.label})
	}
	return web.Render(c, "auth/account", fiber.Map{
		"Title":      "Your account",
		"Principal":  p,
		"Identities": ids,
		"Providers":  links,
	})
}

// A new token is shown once, on the page the browser is sent to after the
// form that made it, so that reloading that page makes no other token.
// Until then it waits on the server, under the session's id, for
// newTokenWait at most, sealed with a key made from that id and the
// server's secret: the database keeps only a hash of the id, so it never
// holds a usable token.
const newTokenWait = 10 * time.Minute

func newTokenKey(sessionID string) string { return "new-token:" + sessionID }

func (h *Handlers) newTokenSeal(sessionID string) (cipher.AEAD, error) {
	mac := hmac.New(sha256.New, h.secret)
	mac.Write([]byte("new-token\x00" + sessionID))
	block, err := aes.NewCipher(mac.Sum(nil))
	if err != nil {
		return nil, fmt.Errorf("auth: new token: %w", err)
	}
	return cipher.NewGCM(block)
}

func (h *Handlers) keepNewToken(sessionID, raw string) error {
	seal, err := h.newTokenSeal(sessionID)
	if err != nil {
		return err
	}
	nonce := make([]byte, seal.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return fmt.Errorf("auth: new token: %w", err)
	}
	return h.sessionData.Set(newTokenKey(sessionID), seal.Seal(nonce, nonce, []byte(raw), nil), newTokenWait)
}

// takeNewToken returns the token waiting for the session, if any, and
// forgets it.
func (h *Handlers) takeNewToken(sessionID string) (string, error) {
	if sessionID == "" {
		return "", nil
	}
	sealed, err := h.sessionData.Get(newTokenKey(sessionID))
	if err != nil || sealed == nil {
		return "", err
	}
	if err := h.sessionData.Delete(newTokenKey(sessionID)); err != nil {
		return "", err
	}
	seal, err := h.newTokenSeal(sessionID)
	if err != nil {
		return "", err
	}
	if len(sealed) < seal.NonceSize() {
		return "", errors.New("auth: new token: sealed value too short")
	}
	raw, err := seal.Open(nil, sealed[:seal.NonceSize()], sealed[seal.NonceSize():], nil)
	if err != nil {
		return "", fmt.Errorf("auth: new token: %w", err)
	}
	return string(raw), nil
}

func (h *Handlers) tokensPage(c *fiber.Ctx) error {
	sessionID, _ := c.Locals(localSessionID).(string)
	created, err := h.takeNewToken(sessionID)
	if err != nil {
		return err
	}
	revoked, _ := strconv.ParseInt(c.Query("revoked"), 10, 64)
	return h.renderTokens(c, created, revoked, nil)
}

// renderTokens renders the tokens page, with created, a new token, shown
// this once; the name of the token of id revoked, when it was just
// revoked; and what went wrong with a form.
func (h *Handlers) renderTokens(c *fiber.Ctx, created string, revoked int64, formErr error) error {
	p := PrincipalOf(c)
	tokens, err := h.svc.Tokens(c.UserContext(), p)
	if err != nil {
		return err
	}
	rows := tokenRows(tokens)
	data := fiber.Map{
		"Title":   "Personal access tokens",
		"Tokens":  rows,
		"Created": created,
		"Now":     h.svc.clock.Now(),
	}
	for _, t := range rows {
		if t.ID == revoked && t.RevokedAt != nil {
			data["Revoked"] = t.Label
		}
	}
	if formErr != nil {
		data["Title"] = "Error: Personal access tokens"
		data["Name"], data["ExpiresInDays"] = c.FormValue("name"), c.FormValue("expires_in_days")
		web.AddFormErrors(data, formErr)
		c.Status(web.StatusOf(formErr))
	}
	return web.Render(c, "auth/tokens", data)
}

func (h *Handlers) createToken(c *fiber.Ctx) error {
	p := PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	sessionID, _ := c.Locals(localSessionID).(string)
	if sessionID == "" {
		// A token that could make tokens would outlive its own
		// revocation through the ones it made.
		return errs.Wrap(errs.Forbidden, "Tokens are made by a person signed in to Osk in the browser: a token cannot make another.")
	}
	var ttl time.Duration
	if days := strings.TrimSpace(c.FormValue("expires_in_days")); days != "" {
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 || n > 366 {
			v := errs.Validation{}
			v.Add("expires_in_days", "Enter a number of days from 1 to 366, or leave it empty for no expiry.")
			return h.renderTokens(c, "", 0, v.Err())
		}
		ttl = time.Duration(n) * 24 * time.Hour
	}
	raw, _, err := h.svc.CreateToken(c.UserContext(), p, p.AccountID, c.FormValue("name"), ttl)
	if errors.Is(err, errs.Invalid) || errors.Is(err, errs.Conflict) {
		return h.renderTokens(c, "", 0, err)
	}
	if err != nil {
		return err
	}
	if err := h.keepNewToken(sessionID, raw); err != nil {
		return err
	}
	return c.Redirect("/account/tokens", fiber.StatusSeeOther)
}

func (h *Handlers) revokeToken(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return errs.Wrap(errs.NotFound, "There is no such token.")
	}
	p := PrincipalOf(c)
	err = h.svc.RevokeToken(c.UserContext(), p, id)
	if errors.Is(err, errs.NotFound) {
		return h.refusedRevoke(c, p, id, err)
	}
	if err != nil {
		return err
	}
	return c.Redirect("/account/tokens?revoked="+strconv.FormatInt(id, 10), fiber.StatusSeeOther)
}

// refusedRevoke answers a revocation of the principal's token id that the
// service refused with notFound, with the tokens page saying why: a
// second press of Revoke, or a page left open, finds the token revoked
// already.
func (h *Handlers) refusedRevoke(c *fiber.Ctx, p Principal, id int64, notFound error) error {
	tokens, err := h.svc.Tokens(c.UserContext(), p)
	if err != nil {
		return err
	}
	why := notFound
	for _, t := range tokenRows(tokens) {
		if t.ID == id && t.RevokedAt != nil {
			why = errs.Wrap(errs.Conflict, "The token “%s” was already revoked: it no longer works.", t.Label)
		}
	}
	return h.renderTokens(c, "", 0, why)
}

// tokenRow is a token as the tokens page lists it.
type tokenRow struct {
	Token
	// Label names the token on the page: its name, and its number when
	// another token has the same name, as every token made without a name
	// does, so that each Revoke button says which token it revokes.
	Label string
}

func tokenRows(tokens []Token) []tokenRow {
	named := map[string]int{}
	for _, t := range tokens {
		named[t.Name]++
	}
	rows := make([]tokenRow, len(tokens))
	for i, t := range tokens {
		rows[i] = tokenRow{Token: t, Label: t.Name}
		if named[t.Name] > 1 {
			rows[i].Label = fmt.Sprintf("%s (no. %d)", t.Name, t.ID)
		}
	}
	return rows
}

func (h *Handlers) rolesPage(c *fiber.Ctx) error {
	return h.renderRoles(c, nil, "")
}

// renderRoles shows the roles page. A form that comes back with a problem
// keeps the email and the role chosen; once a role is given, the form is
// empty again, so that a second grant chooses its role afresh.
func (h *Handlers) renderRoles(c *fiber.Ctx, formErr error, done string) error {
	p := PrincipalOf(c)
	q := c.Query("q")
	holders, err := h.svc.RoleHolders(c.UserContext(), p, q)
	var searchErr *errs.Validation
	switch {
	case errors.As(err, &searchErr) && formErr == nil:
		// A search that cannot be run comes back beside its box.
		formErr = err
	case err != nil:
		return err
	}
	data := fiber.Map{
		"Title":   "Site roles",
		"Holders": holders,
		"Query":   q,
		"Roles":   Roles,
		"Done":    done,
		"Email":   "",
		"Role":    "",
	}
	web.AddFormErrors(data, formErr)
	if formErr != nil {
		data["Email"], data["Role"] = c.FormValue("email"), c.FormValue("role")
		c.Status(web.StatusOf(formErr))
	}
	return web.Render(c, "auth/roles", data)
}

func (h *Handlers) grantRole(c *fiber.Ctx) error {
	p := PrincipalOf(c)
	if err := p.RequireAny(RoleAdmin); err != nil {
		return err
	}
	role := c.FormValue("role")
	if !ValidRole(role) {
		v := errs.Validation{}
		v.Add("role", "Choose the role to give: %s.", strings.Join(Roles, ", "))
		return h.renderRoles(c, v.Err(), "")
	}
	acc, err := h.svc.AccountToEntrust(c.UserContext(), c.FormValue("email"))
	if err != nil {
		return h.renderRoles(c, asField("email", err), "")
	}
	if err := h.svc.Grant(c.UserContext(), p, acc.ID, role); err != nil {
		if errors.Is(err, errs.Invalid) || errors.Is(err, errs.Conflict) {
			return h.renderRoles(c, asField("role", err), "")
		}
		return err
	}
	return h.renderRoles(c, nil, acc.Name+" now has the role "+role+".")
}

func (h *Handlers) revokeRole(c *fiber.Ctx) error {
	p := PrincipalOf(c)
	if err := p.RequireAny(RoleAdmin); err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.FormValue("account_id"), 10, 64)
	if err != nil {
		return errs.Wrap(errs.NotFound, "There is no such account.")
	}
	role := c.FormValue("role")
	if err := h.svc.Revoke(c.UserContext(), p, id, role); err != nil {
		return err
	}
	return h.renderRoles(c, nil, "The role "+role+" was revoked.")
}

// asField turns a failure into a validation error on one form field, so
// the page can show it next to that field.
func asField(field string, err error) error {
	var v *errs.Validation
	if errors.As(err, &v) {
		return err
	}
	if errors.Is(err, errs.NotFound) || errors.Is(err, errs.Conflict) || errors.Is(err, errs.Invalid) {
		fv := errs.Validation{}
		fv.Add(field, "%s", errs.Message(err))
		return fv.Err()
	}
	return err
}

type meAccount struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

func (h *Handlers) apiMe(c *fiber.Ctx) error {
	p := PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	var member any
	var represents any = []any{}
	if h.MemberOf != nil {
		m, err := h.MemberOf(c, p)
		if err != nil {
			return err
		}
		member = m
	}
	if h.Represents != nil {
		orgs, err := h.Represents(c, p)
		if err != nil {
			return err
		}
		represents = orgs
	}
	roles := p.Roles
	if roles == nil {
		roles = []string{}
	}
	return c.JSON(fiber.Map{
		"account":    meAccount{ID: p.AccountID, Email: p.Email, Name: p.Name},
		"member":     member,
		"represents": represents,
		"roles":      roles,
	})
}
