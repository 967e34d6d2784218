package meetings

import (
	"context"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/live"
	"github.com/citizen-network/osk/internal/web"
)

// Handlers serves the meetings' pages and their JSON API (API.md,
// "Meetings"); both call the same service methods, which decide access.
type Handlers struct {
	svc *Service
	hub *live.Hub
	// sections are the parts of a meeting's page that other domains write.
	sections []SectionFunc
}

// NewHandlers returns the meetings' handlers; hub serves their live
// updates.
func NewHandlers(svc *Service, hub *live.Hub) *Handlers {
	return &Handlers{svc: svc, hub: hub}
}

// Mount registers the pages and the API.
func (h *Handlers) Mount(r fiber.Router) {
	r.Post("/api/v1/meetings", h.apiCreate)
	r.Get("/api/v1/meetings", h.apiList)
	// Before /api/v1/meetings/:id, which would otherwise take it.
	r.Get("/api/v1/meetings/calendar.ics", h.apiFeed)
	r.Get("/api/v1/meetings/:id", h.apiGet)
	r.Patch("/api/v1/meetings/:id", h.apiUpdate)
	r.Post("/api/v1/meetings/:id/agenda", h.apiAddItem)
	r.Patch("/api/v1/meetings/:id/agenda/:item", h.apiUpdateItem)
	r.Delete("/api/v1/meetings/:id/agenda/:item", h.apiRemoveItem)
	r.Post("/api/v1/meetings/:id/agenda/statutory", h.apiRestoreStatutory)
	r.Post("/api/v1/meetings/:id/officers", h.apiOfficers)
	r.Post("/api/v1/meetings/:id/convene", h.apiTransition(h.svc.Convene))
	r.Post("/api/v1/meetings/:id/cancel", h.apiCancel)
	r.Post("/api/v1/meetings/:id/open", h.apiTransition(h.svc.Open))
	r.Post("/api/v1/meetings/:id/close", h.apiTransition(h.svc.Close))
	r.Post("/api/v1/meetings/:id/attendance", h.apiAttend)
	r.Delete("/api/v1/meetings/:id/attendance", h.apiLeave)
	r.Get("/api/v1/meetings/:id/attendance", h.apiAttendance)
	r.Post("/api/v1/meetings/:id/proxies", h.apiGrantProxy)
	r.Delete("/api/v1/meetings/:id/proxies/mine", h.apiWithdrawProxy)
	r.Get("/api/v1/meetings/:id/proxies", h.apiProxies)
	r.Get("/api/v1/meetings/:id/quorum", h.apiQuorum)
	r.Get("/api/v1/meetings/:id/calendar.ics", h.calendarFile)
	r.Get("/api/v1/meetings/:id/events", h.apiEvents)
	r.Post("/api/v1/meetings/:id/item-requests", h.apiRequestItem)
	r.Get("/api/v1/meetings/:id/item-requests", h.apiItemRequests)
	r.Post("/api/v1/meetings/:id/item-requests/:request/accept", h.apiAcceptRequest)
	r.Post("/api/v1/meetings/:id/item-requests/:request/decline", h.apiDeclineRequest)
	r.Post("/api/v1/item-requests", h.apiAskBoard)
	r.Get("/api/v1/item-requests", h.apiRequests)

	h.mountPages(r)
}

// queryMember reads the optional ?member_id= of an attendance or proxy
// change.
func queryMember(c *fiber.Ctx) (*int64, error) {
	raw := c.Query("member_id")
	if raw == "" {
		return nil, nil
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		var v errs.Validation
		v.Add("member_id", "Must be a member id.")
		return nil, v.Err()
	}
	return &id, nil
}

type itemBody struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	Position    *int   `json:"position"`
	RuleChange  bool   `json:"rule_change"`
	Weighty     bool   `json:"weighty"`
}

func (b itemBody) input() ItemInput {
	return ItemInput{Title: b.Title, Description: b.Description, Position: b.Position, RuleChange: b.RuleChange, Weighty: b.Weighty}
}

type createBody struct {
	Kind          string      `json:"kind"`
	Title         string      `json:"title"`
	StartsAt      string      `json:"starts_at"`
	EndsAt        string      `json:"ends_at"`
	Location      string      `json:"location"`
	OnlineURL     string      `json:"online_url"`
	RemoteAllowed bool        `json:"remote_allowed"`
	TimeZone      string      `json:"time_zone"`
	RecordDate    *string     `json:"record_date"`
	Quorum        *QuorumRule `json:"quorum"`
	Agenda        []itemBody  `json:"agenda"`
	Officers      *Officers   `json:"officers"`
}

func (h *Handlers) apiCreate(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireAny(auth.RoleBoard); err != nil {
		return err
	}
	var b createBody
	if err := web.DecodeOptionalJSON(c, &b); err != nil {
		return err
	}
	d := Draft{Kind: b.Kind, Title: b.Title, StartsAt: b.StartsAt, EndsAt: b.EndsAt, Location: b.Location,
		OnlineURL: b.OnlineURL, RemoteAllowed: b.RemoteAllowed, TimeZone: b.TimeZone, Quorum: b.Quorum, Officers: b.Officers}
	if b.RecordDate != nil {
		d.RecordDate = *b.RecordDate
	}
	if b.Agenda != nil {
		d.Agenda = make([]ItemInput, len(b.Agenda))
		for i, it := range b.Agenda {
			d.Agenda[i] = it.input()
		}
	}
	m, err := h.svc.Create(c.UserContext(), p, d)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(m)
}

// listFilter reads ?cursor= and ?limit=; a limit that is no number is
// refused by name after the access check, with those out of range.
func listFilter(c *fiber.Ctx) ListFilter {
	f := ListFilter{Cursor: c.Query("cursor")}
	if raw := c.Query("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 {
			n = -1
		}
		f.Limit = n
	}
	return f
}

func (h *Handlers) apiList(c *fiber.Ctx) error {
	page, err := h.svc.List(c.UserContext(), auth.PrincipalOf(c), listFilter(c))
	if err != nil {
		return err
	}
	return c.JSON(page)
}

func (h *Handlers) apiGet(c *fiber.Ctx) error {
	id, err := meetingID(c.Params("id"))
	if err != nil {
		return err
	}
	m, err := h.svc.GetAs(c.UserContext(), auth.PrincipalOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(m)
}

type updateBody struct {
	Kind          *string     `json:"kind"`
	Title         *string     `json:"title"`
	StartsAt      *string     `json:"starts_at"`
	EndsAt        *string     `json:"ends_at"`
	TimeZone      *string     `json:"time_zone"`
	Location      *string     `json:"location"`
	OnlineURL     *string     `json:"online_url"`
	RemoteAllowed *bool       `json:"remote_allowed"`
	RecordDate    *string     `json:"record_date"`
	Quorum        *QuorumRule `json:"quorum"`
}

func (h *Handlers) apiUpdate(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireAny(auth.RoleBoard); err != nil {
		return err
	}
	id, err := meetingID(c.Params("id"))
	if err != nil {
		return err
	}
	var b updateBody
	if err := web.DecodeOptionalJSON(c, &b); err != nil {
		return err
	}
	m, err := h.svc.Update(c.UserContext(), p, id, Change{Kind: b.Kind, Title: b.Title, StartsAt: b.StartsAt, EndsAt: b.EndsAt,
		TimeZone: b.TimeZone, Location: b.Location, OnlineURL: b.OnlineURL, RemoteAllowed: b.RemoteAllowed, RecordDate: b.RecordDate, Quorum: b.Quorum})
	if err != nil {
		return err
	}
	return c.JSON(m)
}

func (h *Handlers) apiAddItem(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireAny(auth.RoleBoard); err != nil {
		return err
	}
	id, err := meetingID(c.Params("id"))
	if err != nil {
		return err
	}
	var b itemBody
	if err := web.DecodeOptionalJSON(c, &b); err != nil {
		return err
	}
	it, err := h.svc.AddItem(c.UserContext(), p, id, b.input())
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(it)
}

type itemChangeBody struct {
	Title       *string `json:"title"`
	Description *string `json:"description"`
	Position    *int    `json:"position"`
	RuleChange  *bool   `json:"rule_change"`
	Weighty     *bool   `json:"weighty"`
}

func (h *Handlers) itemPath(c *fiber.Ctx) (int64, int64, error) {
	id, err := meetingID(c.Params("id"))
	if err != nil {
		return 0, 0, err
	}
	item, err := itemID(c.Params("item"), ErrNoItem)
	return id, item, err
}

func (h *Handlers) apiUpdateItem(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireAny(auth.RoleBoard); err != nil {
		return err
	}
	id, item, err := h.itemPath(c)
	if err != nil {
		return err
	}
	var b itemChangeBody
	if err := web.DecodeOptionalJSON(c, &b); err != nil {
		return err
	}
	it, err := h.svc.UpdateItem(c.UserContext(), p, id, item, ItemChange(b))
	if err != nil {
		return err
	}
	return c.JSON(it)
}

func (h *Handlers) apiRemoveItem(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireAny(auth.RoleBoard); err != nil {
		return err
	}
	id, item, err := h.itemPath(c)
	if err != nil {
		return err
	}
	if err := h.svc.RemoveItem(c.UserContext(), p, id, item); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handlers) apiRestoreStatutory(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireAny(auth.RoleBoard); err != nil {
		return err
	}
	id, err := meetingID(c.Params("id"))
	if err != nil {
		return err
	}
	m, err := h.svc.RestoreStatutory(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	return c.JSON(m)
}

type officersBody struct {
	ChairAccountID     *int64  `json:"chair_account_id"`
	SecretaryAccountID *int64  `json:"secretary_account_id"`
	CheckerAccountIDs  []int64 `json:"checker_account_ids"`
}

func (h *Handlers) apiOfficers(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireAny(auth.RoleBoard); err != nil {
		return err
	}
	id, err := meetingID(c.Params("id"))
	if err != nil {
		return err
	}
	var b officersBody
	if err := web.DecodeOptionalJSON(c, &b); err != nil {
		return err
	}
	m, err := h.svc.SetOfficers(c.UserContext(), p, id, Officers(b))
	if err != nil {
		return err
	}
	return c.JSON(m)
}

// apiTransition serves a change of state that takes no body.
func (h *Handlers) apiTransition(do func(ctx context.Context, p auth.Principal, id int64) (Meeting, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := auth.PrincipalOf(c)
		if err := p.RequireSignedIn(); err != nil {
			return err
		}
		id, err := meetingID(c.Params("id"))
		if err != nil {
			return err
		}
		var none struct{}
		if err := web.DecodeOptionalJSON(c, &none); err != nil {
			return err
		}
		m, err := do(c.UserContext(), p, id)
		if err != nil {
			return err
		}
		return c.JSON(m)
	}
}

type reasonBody struct {
	Reason string `json:"reason"`
}

func (h *Handlers) apiCancel(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireAny(auth.RoleBoard); err != nil {
		return err
	}
	id, err := meetingID(c.Params("id"))
	if err != nil {
		return err
	}
	var b reasonBody
	if err := web.DecodeOptionalJSON(c, &b); err != nil {
		return err
	}
	m, err := h.svc.Cancel(c.UserContext(), p, id, b.Reason)
	if err != nil {
		return err
	}
	return c.JSON(m)
}

type attendBody struct {
	Mode     string `json:"mode"`
	MemberID *int64 `json:"member_id"`
}

func (h *Handlers) apiAttend(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	id, err := meetingID(c.Params("id"))
	if err != nil {
		return err
	}
	var b attendBody
	if err := web.DecodeOptionalJSON(c, &b); err != nil {
		return err
	}
	a, created, err := h.svc.Attend(c.UserContext(), p, id, AttendInput(b))
	if err != nil {
		return err
	}
	if created {
		c.Status(fiber.StatusCreated)
	}
	return c.JSON(a)
}

func (h *Handlers) apiLeave(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	id, err := meetingID(c.Params("id"))
	if err != nil {
		return err
	}
	member, err := queryMember(c)
	if err != nil {
		return err
	}
	if err := h.svc.Leave(c.UserContext(), p, id, member); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// list is a complete list in the API's list form.
func (h *Handlers) apiAttendance(c *fiber.Ctx) error {
	id, err := meetingID(c.Params("id"))
	if err != nil {
		return err
	}
	items, err := h.svc.Attendance(c.UserContext(), auth.PrincipalOf(c), id)
	if err != nil {
		return err
	}
	page, err := pageOf(items, listFilter(c), func(a Attendee) keyset { return keyset{At: a.ArrivedAt, ID: a.MemberID} })
	if err != nil {
		return err
	}
	return c.JSON(page)
}

type proxyBody struct {
	HolderMemberID int64  `json:"holder_member_id"`
	MemberID       *int64 `json:"member_id"`
}

func (h *Handlers) apiGrantProxy(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	id, err := meetingID(c.Params("id"))
	if err != nil {
		return err
	}
	var b proxyBody
	if err := web.DecodeOptionalJSON(c, &b); err != nil {
		return err
	}
	px, err := h.svc.GrantProxy(c.UserContext(), p, id, ProxyInput(b))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(px)
}

func (h *Handlers) apiWithdrawProxy(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	id, err := meetingID(c.Params("id"))
	if err != nil {
		return err
	}
	member, err := queryMember(c)
	if err != nil {
		return err
	}
	px, err := h.svc.WithdrawProxy(c.UserContext(), p, id, member)
	if err != nil {
		return err
	}
	return c.JSON(px)
}

func (h *Handlers) apiProxies(c *fiber.Ctx) error {
	id, err := meetingID(c.Params("id"))
	if err != nil {
		return err
	}
	items, err := h.svc.Proxies(c.UserContext(), auth.PrincipalOf(c), id)
	if err != nil {
		return err
	}
	page, err := pageOf(items, listFilter(c), func(px Proxy) keyset { return keyset{ID: px.ID} })
	if err != nil {
		return err
	}
	return c.JSON(page)
}

func (h *Handlers) apiQuorum(c *fiber.Ctx) error {
	id, err := meetingID(c.Params("id"))
	if err != nil {
		return err
	}
	q, err := h.svc.QuorumAs(c.UserContext(), auth.PrincipalOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(q)
}

func sendCalendar(c *fiber.Ctx, name string, body []byte) error {
	c.Set(fiber.HeaderContentType, "text/calendar; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(body)
}

func (h *Handlers) apiFeed(c *fiber.Ctx) error {
	body, err := h.svc.Feed(c.UserContext(), auth.PrincipalOf(c))
	if err != nil {
		return err
	}
	return sendCalendar(c, "osk-meetings.ics", body)
}

func (h *Handlers) apiEvents(c *fiber.Ctx) error {
	id, err := meetingID(c.Params("id"))
	if err != nil {
		return err
	}
	p := auth.PrincipalOf(c)
	if _, err := h.svc.GetAs(c.UserContext(), p, id); err != nil {
		return err
	}
	return h.hub.Stream(c, Topic(id), "account:"+strconv.FormatInt(p.AccountID, 10))
}

type requestBody struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	MemberID    *int64 `json:"member_id"`
}

func (h *Handlers) apiRequestItem(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	id, err := meetingID(c.Params("id"))
	if err != nil {
		return err
	}
	var b requestBody
	if err := web.DecodeOptionalJSON(c, &b); err != nil {
		return err
	}
	req, err := h.svc.RequestItem(c.UserContext(), p, id, ItemRequestInput(b))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(req)
}

func (h *Handlers) apiItemRequests(c *fiber.Ctx) error {
	id, err := meetingID(c.Params("id"))
	if err != nil {
		return err
	}
	items, err := h.svc.ItemRequests(c.UserContext(), auth.PrincipalOf(c), id)
	if err != nil {
		return err
	}
	page, err := pageOf(items, listFilter(c), func(r ItemRequest) keyset { return keyset{ID: r.ID} })
	if err != nil {
		return err
	}
	return c.JSON(page)
}

func (h *Handlers) apiAskBoard(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	var b requestBody
	if err := web.DecodeOptionalJSON(c, &b); err != nil {
		return err
	}
	req, err := h.svc.AskBoard(c.UserContext(), p, ItemRequestInput(b))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(req)
}

func (h *Handlers) apiRequests(c *fiber.Ctx) error {
	items, err := h.svc.Requests(c.UserContext(), auth.PrincipalOf(c))
	if err != nil {
		return err
	}
	page, err := pageOf(items, listFilter(c), func(r ItemRequest) keyset { return keyset{ID: r.ID} })
	if err != nil {
		return err
	}
	return c.JSON(page)
}

func (h *Handlers) requestPath(c *fiber.Ctx) (int64, int64, error) {
	id, err := meetingID(c.Params("id"))
	if err != nil {
		return 0, 0, err
	}
	rid, err := itemID(c.Params("request"), ErrNoRequest)
	return id, rid, err
}

type acceptBody struct {
	Position    *int   `json:"position"`
	RuleChange  bool   `json:"rule_change"`
	Weighty     bool   `json:"weighty"`
	Description string `json:"description"`
}

func (h *Handlers) apiAcceptRequest(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireAny(auth.RoleBoard); err != nil {
		return err
	}
	id, rid, err := h.requestPath(c)
	if err != nil {
		return err
	}
	var b acceptBody
	if err := web.DecodeOptionalJSON(c, &b); err != nil {
		return err
	}
	req, err := h.svc.AcceptRequest(c.UserContext(), p, id, rid, Acceptance{Position: b.Position, RuleChange: b.RuleChange, Weighty: b.Weighty, Description: b.Description})
	if err != nil {
		return err
	}
	return c.JSON(req)
}

func (h *Handlers) apiDeclineRequest(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireAny(auth.RoleBoard); err != nil {
		return err
	}
	id, rid, err := h.requestPath(c)
	if err != nil {
		return err
	}
	var b reasonBody
	if err := web.DecodeOptionalJSON(c, &b); err != nil {
		return err
	}
	req, err := h.svc.DeclineRequest(c.UserContext(), p, id, rid, b.Reason)
	if err != nil {
		return err
	}
	return c.JSON(req)
}
