package minutes

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/web"
)

// Handlers serves the minutes' pages and their JSON API (API.md,
// "Minutes"); both call the same service methods, which decide access.
type Handlers struct {
	svc *Service
}

// NewHandlers returns the minutes' handlers.
func NewHandlers(svc *Service) *Handlers { return &Handlers{svc: svc} }

// The two places of a document: the minutes themselves, and an addendum.
const (
	apiMinutes  = "/api/v1/meetings/:id/minutes"
	apiAddendum = "/api/v1/meetings/:id/minutes/addenda/:n"
)

// Mount registers the pages and the API.
func (h *Handlers) Mount(r fiber.Router) {
	r.Get("/api/v1/minutes", h.apiArchive)
	r.Get("/api/v1/minutes/overdue", h.apiDeadlines)
	r.Post("/api/v1/meetings/:id/minutes/addenda", h.apiStartAddendum)
	for _, base := range []string{apiMinutes, apiAddendum} {
		r.Get(base, h.apiGet)
		r.Put(base, h.apiSave)
		r.Post(base+"/submit", h.apiSubmit)
		r.Post(base+"/sign", h.apiSign)
		r.Post(base+"/return", h.apiReturn)
		r.Get(base+"/versions", h.apiVersions)
		r.Get(base+"/versions/:version", h.apiVersion)
	}
	h.mountPages(r)
}

// docOf reads the document a path names.
func docOf(c *fiber.Ctx) (Doc, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return Doc{}, meetings.ErrNotFound
	}
	doc := Main(id)
	if raw := c.Params("n"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > maxAddendumNo {
			return Doc{}, ErrNotFound
		}
		doc.Addendum = n
	}
	return doc, nil
}

// optionalVersion checks the version a signer says they read.
func optionalVersion(v *int) error {
	if v != nil && *v < 1 {
		var val errs.Validation
		val.Add("version", "Must be a version number, 1 or more.")
		return val.Err()
	}
	return nil
}

func (h *Handlers) apiGet(c *fiber.Ctx) error {
	doc, err := docOf(c)
	if err != nil {
		return err
	}
	m, err := h.svc.Get(c.UserContext(), auth.PrincipalOf(c), doc)
	if err != nil {
		return err
	}
	return c.JSON(m)
}

type saveBody struct {
	Body string `json:"body"`
}

func (h *Handlers) apiSave(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	doc, err := docOf(c)
	if err != nil {
		return err
	}
	var b saveBody
	if err := web.DecodeOptionalJSON(c, &b); err != nil {
		return err
	}
	m, err := h.svc.Save(c.UserContext(), p, doc, b.Body)
	if err != nil {
		return err
	}
	return c.JSON(m)
}

func (h *Handlers) apiStartAddendum(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	doc, err := docOf(c)
	if err != nil {
		return err
	}
	var b saveBody
	if err := web.DecodeOptionalJSON(c, &b); err != nil {
		return err
	}
	m, err := h.svc.StartAddendum(c.UserContext(), p, doc.MeetingID, b.Body)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(m)
}

func (h *Handlers) apiSubmit(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	doc, err := docOf(c)
	if err != nil {
		return err
	}
	var none struct{}
	if err := web.DecodeOptionalJSON(c, &none); err != nil {
		return err
	}
	m, err := h.svc.Submit(c.UserContext(), p, doc)
	if err != nil {
		return err
	}
	return c.JSON(m)
}

type signBody struct {
	Version *int `json:"version"`
}

func (h *Handlers) apiSign(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	doc, err := docOf(c)
	if err != nil {
		return err
	}
	var b signBody
	if err := web.DecodeOptionalJSON(c, &b); err != nil {
		return err
	}
	if err := optionalVersion(b.Version); err != nil {
		return err
	}
	m, err := h.svc.Sign(c.UserContext(), p, doc, b.Version)
	if err != nil {
		return err
	}
	return c.JSON(m)
}

type returnBody struct {
	Version *int   `json:"version"`
	Comment string `json:"comment"`
}

func (h *Handlers) apiReturn(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	doc, err := docOf(c)
	if err != nil {
		return err
	}
	var b returnBody
	if err := web.DecodeOptionalJSON(c, &b); err != nil {
		return err
	}
	if err := optionalVersion(b.Version); err != nil {
		return err
	}
	m, err := h.svc.Return(c.UserContext(), p, doc, b.Version, b.Comment)
	if err != nil {
		return err
	}
	return c.JSON(m)
}

type list[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

func (h *Handlers) apiVersions(c *fiber.Ctx) error {
	doc, err := docOf(c)
	if err != nil {
		return err
	}
	items, err := h.svc.Versions(c.UserContext(), auth.PrincipalOf(c), doc)
	if err != nil {
		return err
	}
	return c.JSON(list[VersionInfo]{Items: items})
}

func (h *Handlers) apiVersion(c *fiber.Ctx) error {
	doc, err := docOf(c)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(c.Params("version"))
	if err != nil || n < 1 {
		return ErrNotFound
	}
	v, err := h.svc.Version(c.UserContext(), auth.PrincipalOf(c), doc, n)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (h *Handlers) apiArchive(c *fiber.Ctx) error {
	f := ArchiveFilter{Query: c.Query("q"), Cursor: c.Query("cursor")}
	if raw := c.Query("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 {
			// The service names the field, after its access check.
			n = -1
		}
		f.Limit = n
	}
	page, err := h.svc.Archive(c.UserContext(), auth.PrincipalOf(c), f)
	if err != nil {
		return err
	}
	return c.JSON(page)
}

func (h *Handlers) apiDeadlines(c *fiber.Ctx) error {
	items, err := h.svc.Deadlines(c.UserContext(), auth.PrincipalOf(c))
	if err != nil {
		return err
	}
	return c.JSON(list[Deadline]{Items: items})
}
