package motions

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/web"
)

// Handlers serves the motions' pages and their JSON API (API.md,
// "Motions", POST /api/v1/motions/{id}/ballots and
// PUT /api/v1/motions/{id}/majority); both call the same service methods,
// which decide access.
type Handlers struct {
	svc *Service
	md  *markdown
}

// NewHandlers returns the motions' handlers.
func NewHandlers(svc *Service) *Handlers { return &Handlers{svc: svc, md: newMarkdown()} }

// Mount registers the pages and the API.
func (h *Handlers) Mount(r fiber.Router) {
	r.Post("/api/v1/meetings/:id/motions", h.apiPropose)
	r.Get("/api/v1/meetings/:id/motions", h.apiList)
	r.Get("/api/v1/motions/:id", h.apiGet)
	r.Post("/api/v1/motions/:id/second", h.apiSecond)
	r.Post("/api/v1/motions/:id/withdraw", h.apiWithdraw)
	r.Post("/api/v1/motions/:id/ballots", h.apiOpenBallot)
	r.Put("/api/v1/motions/:id/majority", h.apiSetMajority)

	h.mountPages(r)
}

type proposeBody struct {
	Title          string  `json:"title"`
	Body           string  `json:"body"`
	AgendaItemID   *int64  `json:"agenda_item_id"`
	AmendsMotionID *int64  `json:"amends_motion_id"`
	Majority       *string `json:"majority"`
	MemberID       *int64  `json:"member_id"`
}

func (h *Handlers) apiPropose(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	id, err := web.PathID(c, "id", meetings.ErrNotFound)
	if err != nil {
		return err
	}
	var b proposeBody
	if err := web.DecodeOptionalJSON(c, &b); err != nil {
		return err
	}
	d, err := h.svc.Propose(c.UserContext(), p, id, Proposal{Title: b.Title, Body: b.Body, AgendaItemID: b.AgendaItemID,
		AmendsMotionID: b.AmendsMotionID, Majority: b.Majority, MemberID: b.MemberID})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(d)
}

func (h *Handlers) apiList(c *fiber.Ctx) error {
	id, err := web.PathID(c, "id", meetings.ErrNotFound)
	if err != nil {
		return err
	}
	f := ListFilter{Cursor: c.Query("cursor")}
	if raw := c.Query("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 {
			// The service names the field, after its access check.
			n = -1
		}
		f.Limit = n
	}
	page, err := h.svc.List(c.UserContext(), auth.PrincipalOf(c), id, f)
	if err != nil {
		return err
	}
	return c.JSON(page)
}

func (h *Handlers) apiGet(c *fiber.Ctx) error {
	id, err := web.PathID(c, "id", ErrNotFound)
	if err != nil {
		return err
	}
	d, err := h.svc.GetAs(c.UserContext(), auth.PrincipalOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

type secondBody struct {
	// MemberID seconds as an organisation the caller represents.
	MemberID *int64 `json:"member_id"`
}

func (h *Handlers) apiSecond(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	id, err := web.PathID(c, "id", ErrNotFound)
	if err != nil {
		return err
	}
	var b secondBody
	if err := web.DecodeOptionalJSON(c, &b); err != nil {
		return err
	}
	d, err := h.svc.Second(c.UserContext(), p, id, b.MemberID)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (h *Handlers) apiWithdraw(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	id, err := web.PathID(c, "id", ErrNotFound)
	if err != nil {
		return err
	}
	var none struct{}
	if err := web.DecodeOptionalJSON(c, &none); err != nil {
		return err
	}
	d, err := h.svc.Withdraw(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

type majorityBody struct {
	Majority string `json:"majority"`
}

func (h *Handlers) apiSetMajority(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	id, err := web.PathID(c, "id", ErrNotFound)
	if err != nil {
		return err
	}
	var b majorityBody
	if err := web.DecodeJSON(c, &b); err != nil {
		return err
	}
	d, err := h.svc.SetMajority(c.UserContext(), p, id, b.Majority)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

type ballotBody struct {
	Secret     *bool   `json:"secret"`
	ClosesAt   *string `json:"closes_at"`
	Electorate *string `json:"electorate"`
}

func (h *Handlers) apiOpenBallot(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	id, err := web.PathID(c, "id", ErrNotFound)
	if err != nil {
		return err
	}
	var b ballotBody
	if err := web.DecodeOptionalJSON(c, &b); err != nil {
		return err
	}
	var req BallotRequest
	if b.Secret != nil {
		req.Secret = *b.Secret
	}
	if b.Electorate != nil {
		req.Electorate = *b.Electorate
	}
	if b.ClosesAt != nil {
		req.ClosesAt = *b.ClosesAt
	}
	ballot, err := h.svc.OpenBallot(c.UserContext(), p, id, req)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(ballot)
}
