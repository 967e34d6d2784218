package auth

import (
	"errors"
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

func (h *Handlers) tokensPage(c *fiber.Ctx) error {
	return h.renderTokens(c, "", nil)
}

func (h *Handlers) renderTokens(c *fiber.Ctx, created string, formErr error) error {
	p := PrincipalOf(c)
	tokens, err := h.svc.Tokens(c.UserContext(), p)
	if err != nil {
		return err
	}
	data := fiber.Map{
		"Title":   "Personal access tokens",
		"Tokens":  tokens,
		"Created": created,
		"Now":     h.svc.clock.Now(),
	}
	web.AddFormErrors(data, formErr)
	if formErr != nil {
		c.Status(fiber.StatusUnprocessableEntity)
	}
	return web.Render(c, "auth/tokens", data)
}

func (h *Handlers) createToken(c *fiber.Ctx) error {
	p := PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	var ttl time.Duration
	if days := strings.TrimSpace(c.FormValue("expires_in_days")); days != "" {
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 || n > 366 {
			v := errs.Validation{}
			v.Add("expires_in_days", "Enter a number of days from 1 to 366, or leave it empty for no expiry.")
			return h.renderTokens(c, "", v.Err())
		}
		ttl = time.Duration(n) * 24 * time.Hour
	}
	raw, _, err := h.svc.CreateToken(c.UserContext(), p, p.AccountID, c.FormValue("name"), ttl)
	if errors.Is(err, errs.Invalid) {
		return h.renderTokens(c, "", err)
	}
	if err != nil {
		return err
	}
	c.Status(fiber.StatusCreated)
	return h.renderTokens(c, raw, nil)
}

func (h *Handlers) revokeToken(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return errs.Wrap(errs.NotFound, "There is no such token.")
	}
	if err := h.svc.RevokeToken(c.UserContext(), PrincipalOf(c), id); err != nil {
		return err
	}
	return c.Redirect("/account/tokens", fiber.StatusSeeOther)
}

func (h *Handlers) rolesPage(c *fiber.Ctx) error {
	return h.renderRoles(c, nil, "")
}

func (h *Handlers) renderRoles(c *fiber.Ctx, formErr error, done string) error {
	p := PrincipalOf(c)
	q := c.Query("q")
	holders, err := h.svc.RoleHolders(c.UserContext(), p, q)
	if err != nil {
		return err
	}
	data := fiber.Map{
		"Title":   "Site roles",
		"Holders": holders,
		"Query":   q,
		"Roles":   Roles,
		"Done":    done,
		"Email":   c.FormValue("email"),
	}
	web.AddFormErrors(data, formErr)
	if formErr != nil {
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
	acc, err := h.svc.AccountByEmail(c.UserContext(), c.FormValue("email"))
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
	if h.MemberOf != nil {
		m, err := h.MemberOf(c, p)
		if err != nil {
			return err
		}
		member = m
	}
	roles := p.Roles
	if roles == nil {
		roles = []string{}
	}
	return c.JSON(fiber.Map{
		"account": meAccount{ID: p.AccountID, Email: p.Email, Name: p.Name},
		"member":  member,
		"roles":   roles,
	})
}
