package elections

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/web"
)

// Handlers serves the elections' pages and JSON API (API.md, "Elections"); the
// service methods decide access.
type Handlers struct {
	svc *Service
}

// NewHandlers returns the elections' handlers.
func NewHandlers(svc *Service) *Handlers { return &Handlers{svc: svc} }

// Mount registers the pages and the API.
func (h *Handlers) Mount(r fiber.Router) {
	r.Post("/api/v1/meetings/:id/elections", h.apiCreate)
	r.Get("/api/v1/meetings/:id/elections", h.apiList)
	r.Get("/api/v1/elections/:id", h.apiGet)
	r.Put("/api/v1/elections/:id/nominations-close", h.apiSetClose)
	r.Post("/api/v1/elections/:id/candidates", h.apiNominate)
	r.Post("/api/v1/elections/:id/candidates/:cid/consent", h.apiConsent)
	r.Post("/api/v1/elections/:id/candidates/:cid/withdraw", h.apiWithdraw)
	r.Post("/api/v1/elections/:id/ballots", h.apiOpenBallot)

	h.mountPages(r)
}

type createBody struct {
	Title              string  `json:"title"`
	Seats              int     `json:"seats"`
	AgendaItemID       *int64  `json:"agenda_item_id"`
	NominationsCloseAt *string `json:"nominations_close_at"`
}

func (h *Handlers) apiCreate(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	id, err := web.PathID(c, "id", meetings.ErrNotFound)
	if err != nil {
		return err
	}
	var b createBody
	if err := web.DecodeJSON(c, &b); err != nil {
		return err
	}
	in := NewElection{Title: b.Title, Seats: b.Seats, AgendaItemID: b.AgendaItemID}
	if b.NominationsCloseAt != nil {
		if in.NominationsCloseAt, err = parseCloseAt(*b.NominationsCloseAt); err != nil {
			return err
		}
	}
	e, err := h.svc.Create(c.UserContext(), p, id, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(e)
}

func parseCloseAt(raw string) (*time.Time, error) {
	t, err := time.Parse(time.RFC3339, raw)
	if err != nil {
		var v errs.Validation
		v.Add("nominations_close_at", "Give the time in RFC 3339, such as 2026-06-01T15:30:00Z.")
		return nil, v.Err()
	}
	return &t, nil
}

func (h *Handlers) apiList(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
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
	page, err := h.svc.List(c.UserContext(), p, id, f)
	if err != nil {
		return err
	}
	return c.JSON(page)
}

func (h *Handlers) apiGet(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	id, err := web.PathID(c, "id", ErrNotFound)
	if err != nil {
		return err
	}
	e, err := h.svc.GetAs(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	return c.JSON(e)
}

type nominateBody struct {
	MemberID  *int64 `json:"member_id"`
	Name      string `json:"name"`
	Statement string `json:"statement"`
}

func (h *Handlers) apiNominate(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	id, err := web.PathID(c, "id", ErrNotFound)
	if err != nil {
		return err
	}
	var b nominateBody
	if err := web.DecodeOptionalJSON(c, &b); err != nil {
		return err
	}
	cand, err := h.svc.Nominate(c.UserContext(), p, id, Nomination{MemberID: b.MemberID, Name: b.Name, Statement: b.Statement})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(cand)
}

func (h *Handlers) apiConsent(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	id, err := web.PathID(c, "id", ErrNotFound)
	if err != nil {
		return err
	}
	cid, err := web.PathID(c, "cid", ErrCandidateNotFound)
	if err != nil {
		return err
	}
	cand, err := h.svc.Consent(c.UserContext(), p, id, cid)
	if err != nil {
		return err
	}
	return c.JSON(cand)
}

// closeBody is the time nominations close: null for no set time. The
// field must be given, so that a body that forgot it removes nothing.
type closeBody struct {
	NominationsCloseAt json.RawMessage `json:"nominations_close_at"`
}

func (h *Handlers) apiSetClose(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	id, err := web.PathID(c, "id", ErrNotFound)
	if err != nil {
		return err
	}
	var b closeBody
	if err := web.DecodeJSON(c, &b); err != nil {
		return err
	}
	var at *time.Time
	switch raw := string(b.NominationsCloseAt); raw {
	case "":
		var v errs.Validation
		v.Add("nominations_close_at", "Give the time nominations close, in RFC 3339, or null for no set time.")
		return v.Err()
	case "null":
	default:
		var text string
		if err := json.Unmarshal(b.NominationsCloseAt, &text); err != nil {
			var v errs.Validation
			v.Add("nominations_close_at", "Must be a string or null.")
			return v.Err()
		}
		if at, err = parseCloseAt(text); err != nil {
			return err
		}
	}
	e, err := h.svc.SetNominationsClose(c.UserContext(), p, id, at)
	if err != nil {
		return err
	}
	return c.JSON(e)
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
	cid, err := web.PathID(c, "cid", ErrCandidateNotFound)
	if err != nil {
		return err
	}
	e, err := h.svc.Withdraw(c.UserContext(), p, id, cid)
	if err != nil {
		return err
	}
	return c.JSON(e)
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
	req := BallotRequest{Secret: b.Secret}
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
