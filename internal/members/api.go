package members

import (
	"bytes"
	"context"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/web"
)

// Handlers serves the register's pages and its JSON API (API.md,
// "Members"); both call the same service methods, which decide access.
type Handlers struct {
	svc *Service
	// applyLimit rate-limits applications; nil for none.
	applyLimit fiber.Handler
}

// NewHandlers returns the register's handlers. applyLimit, when not nil,
// guards the application routes (SPEC.md: rate limits protect
// applications).
func NewHandlers(svc *Service, applyLimit fiber.Handler) *Handlers {
	return &Handlers{svc: svc, applyLimit: applyLimit}
}

// Mount registers the pages and the API.
func (h *Handlers) Mount(r fiber.Router) {
	limited := func(handler fiber.Handler) []fiber.Handler {
		if h.applyLimit == nil {
			return []fiber.Handler{handler}
		}
		return []fiber.Handler{h.applyLimit, handler}
	}
	r.Post("/api/v1/applications", limited(h.apiApply)...)
	r.Get("/api/v1/members", h.apiList)
	// Before /api/v1/members/:id, which would otherwise take it.
	r.Get("/api/v1/members/register.csv", h.apiExport)
	r.Get("/api/v1/members/:id", h.apiGet)
	r.Patch("/api/v1/members/:id", h.apiUpdateContact)
	r.Get("/api/v1/members/:id/history", h.apiHistory)
	r.Post("/api/v1/members/:id/admit", h.apiAdmit)
	r.Post("/api/v1/members/:id/reject", h.apiDecide(h.svc.Reject))
	r.Post("/api/v1/members/:id/suspend", h.apiDecide(h.svc.Suspend))
	r.Post("/api/v1/members/:id/reinstate", h.apiDecide(h.svc.Reinstate))
	r.Post("/api/v1/members/:id/expel", h.apiDecide(h.svc.Expel))
	r.Post("/api/v1/members/:id/resign", h.apiResign)
	r.Post("/api/v1/members/:id/share-payments", h.apiRecordShare)
	r.Put("/api/v1/members/:id/share-due", h.apiShareDue)
	r.Put("/api/v1/members/:id/representative", h.apiRepresentative)
	r.Post("/api/v1/members/:id/erase", h.apiErase)

	h.mountPages(r, limited)
}

// MemberOf is the hook of GET /api/v1/me: the caller's individual
// membership, or nil.
func (h *Handlers) MemberOf(c *fiber.Ctx, p auth.Principal) (any, error) {
	m, err := h.svc.IndividualOf(c.UserContext(), p.AccountID)
	if err != nil || m == nil {
		return nil, err
	}
	return m, nil
}

// Represents returns the organisations the caller represents, for
// /api/v1/me: an API client acting for one needs its id.
func (h *Handlers) Represents(c *fiber.Ctx, p auth.Principal) (any, error) {
	ms, err := h.svc.ActingFor(c.UserContext(), p.AccountID)
	if err != nil {
		return nil, err
	}
	orgs := []Member{}
	for _, m := range ms {
		if m.Kind == KindOrganisation {
			orgs = append(orgs, m)
		}
	}
	return orgs, nil
}

// memberID reads the :id of the path; anything but a positive integer
// names no member.
func memberID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, ErrNotFound
	}
	return id, nil
}

type applicationBody struct {
	Kind               string `json:"kind"`
	Name               string `json:"name"`
	Email              string `json:"email"`
	Country            string `json:"country"`
	Address            string `json:"address"`
	OrganisationNumber string `json:"organisation_number"`
	Statement          string `json:"statement"`
	AcceptRules        bool   `json:"accept_rules"`
}

func (h *Handlers) apiApply(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	var b applicationBody
	if err := web.DecodeOptionalJSON(c, &b); err != nil {
		return err
	}
	m, err := h.svc.Apply(c.UserContext(), p, Application(b))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(m)
}

func (h *Handlers) apiList(c *fiber.Ctx) error {
	f := ListFilter{Status: c.Query("status"), Kind: c.Query("kind"), Q: c.Query("q"), Cursor: c.Query("cursor")}
	if raw := c.Query("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 {
			// The service names the field, after its access check.
			n = -1
		}
		f.Limit = n
	}
	page, err := h.svc.List(c.UserContext(), auth.PrincipalOf(c), f)
	if err != nil {
		return err
	}
	return c.JSON(page)
}

func (h *Handlers) apiExport(c *fiber.Ctx) error {
	// Buffered, so that a failure half-way answers with an error rather
	// than a register that silently stops.
	var buf bytes.Buffer
	if err := h.svc.Export(c.UserContext(), auth.PrincipalOf(c), &buf); err != nil {
		return err
	}
	name := "osk-member-register-" + h.svc.clock.Now().In(h.svc.Zone()).Format(time.DateOnly) + ".csv"
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(buf.Bytes())
}

func (h *Handlers) apiGet(c *fiber.Ctx) error {
	id, err := memberID(c)
	if err != nil {
		return err
	}
	m, err := h.svc.GetAs(c.UserContext(), auth.PrincipalOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(m)
}

type contactBody struct {
	Name    *string `json:"name"`
	Email   *string `json:"email"`
	Address *string `json:"address"`
	Country *string `json:"country"`
}

func (h *Handlers) apiUpdateContact(c *fiber.Ctx) error {
	id, err := memberID(c)
	if err != nil {
		return err
	}
	var b contactBody
	if err := web.DecodeOptionalJSON(c, &b); err != nil {
		return err
	}
	m, err := h.svc.UpdateContact(c.UserContext(), auth.PrincipalOf(c), id, ContactChange(b))
	if err != nil {
		return err
	}
	return c.JSON(m)
}

func (h *Handlers) apiHistory(c *fiber.Ctx) error {
	id, err := memberID(c)
	if err != nil {
		return err
	}
	hist, err := h.svc.History(c.UserContext(), auth.PrincipalOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(hist)
}

type admitBody struct {
	Decision string `json:"decision"`
	ShareDue string `json:"share_due"`
}

func (h *Handlers) apiAdmit(c *fiber.Ctx) error {
	id, err := memberID(c)
	if err != nil {
		return err
	}
	var b admitBody
	if err := web.DecodeOptionalJSON(c, &b); err != nil {
		return err
	}
	m, err := h.svc.Admit(c.UserContext(), auth.PrincipalOf(c), id, Admission(b))
	if err != nil {
		return err
	}
	return c.JSON(m)
}

type reasonBody struct {
	Reason string `json:"reason"`
}

type decision func(ctx context.Context, p auth.Principal, id int64, reason string) (Member, error)

func (h *Handlers) apiDecide(decide decision) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := memberID(c)
		if err != nil {
			return err
		}
		var b reasonBody
		if err := web.DecodeOptionalJSON(c, &b); err != nil {
			return err
		}
		m, err := decide(c.UserContext(), auth.PrincipalOf(c), id, b.Reason)
		if err != nil {
			return err
		}
		return c.JSON(m)
	}
}

type resignBody struct {
	EffectiveOn string `json:"effective_on"`
}

func (h *Handlers) apiResign(c *fiber.Ctx) error {
	id, err := memberID(c)
	if err != nil {
		return err
	}
	var b resignBody
	if err := web.DecodeOptionalJSON(c, &b); err != nil {
		return err
	}
	m, err := h.svc.Resign(c.UserContext(), auth.PrincipalOf(c), id, Resignation(b))
	if err != nil {
		return err
	}
	return c.JSON(m)
}

type shareBody struct {
	Kind   string `json:"kind"`
	Amount string `json:"amount"`
	PaidOn string `json:"paid_on"`
	Note   string `json:"note"`
}

func (h *Handlers) apiRecordShare(c *fiber.Ctx) error {
	id, err := memberID(c)
	if err != nil {
		return err
	}
	var b shareBody
	if err := web.DecodeOptionalJSON(c, &b); err != nil {
		return err
	}
	pay, err := h.svc.RecordShare(c.UserContext(), auth.PrincipalOf(c), id, ShareEntry(b))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(pay)
}

type shareDueBody struct {
	Amount string `json:"amount"`
}

func (h *Handlers) apiShareDue(c *fiber.Ctx) error {
	id, err := memberID(c)
	if err != nil {
		return err
	}
	var b shareDueBody
	if err := web.DecodeOptionalJSON(c, &b); err != nil {
		return err
	}
	m, err := h.svc.SetShareDue(c.UserContext(), auth.PrincipalOf(c), id, b.Amount)
	if err != nil {
		return err
	}
	return c.JSON(m)
}

type representativeBody struct {
	AccountID int64  `json:"account_id"`
	Email     string `json:"email"`
}

func (h *Handlers) apiRepresentative(c *fiber.Ctx) error {
	id, err := memberID(c)
	if err != nil {
		return err
	}
	var b representativeBody
	if err := web.DecodeOptionalJSON(c, &b); err != nil {
		return err
	}
	m, err := h.svc.ChangeRepresentative(c.UserContext(), auth.PrincipalOf(c), id, Representative(b))
	if err != nil {
		return err
	}
	return c.JSON(m)
}

func (h *Handlers) apiErase(c *fiber.Ctx) error {
	id, err := memberID(c)
	if err != nil {
		return err
	}
	m, err := h.svc.Erase(c.UserContext(), auth.PrincipalOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(m)
}
