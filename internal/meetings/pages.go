package meetings

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/live"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/rules"
	"github.com/citizen-network/osk/internal/web"
)

// doneNotices are the confirmations shown after a change, by the name in
// ?done=.
var doneNotices = map[string]string{
	"created":    "The meeting was saved as a draft. Check the agenda and the officers, then convene it.",
	"saved":      "The meeting was saved.",
	"convened":   "The meeting is convened: the notice is on this page and is being emailed to every active member.",
	"cancelled":  "The meeting was cancelled.",
	"opened":     "The session is open.",
	"closed":     "The session is closed.",
	"officers":   "The officers were saved.",
	"agenda":     "The agenda was saved.",
	"attended":   "You are registered as present.",
	"left":       "You are registered as having left the meeting.",
	"proxy":      "Your proxy is authorised. The member you chose has been told by email.",
	"withdrawn":  "Your proxy was withdrawn.",
	"requested":  "Your request went to the board. You will be told by email what they decide.",
	"decided":    "The decision was recorded and the member told by email.",
	"registered": "The member is registered as present.",
}

func doneNotice(c *fiber.Ctx) string { return doneNotices[c.Query("done")] }

func formValue(c *fiber.Ctx, name string) string { return strings.TrimSpace(c.FormValue(name)) }

// formFailure reports whether err is one a form shows to the person who
// filled it in, rather than an error page.
func formFailure(err error) bool {
	return errors.Is(err, errs.Invalid) || errors.Is(err, errs.Conflict)
}

func formData(c *fiber.Ctx, title string, formErr error, data fiber.Map) fiber.Map {
	data["Title"], data["Heading"] = title, title
	if formErr != nil {
		data["Title"] = "Error: " + title
		web.AddFormErrors(data, formErr)
		c.Status(web.StatusOf(formErr))
	}
	return data
}

func redirectTo(c *fiber.Ctx, path, done string) error {
	return c.Redirect(path+"?done="+url.QueryEscape(done), fiber.StatusSeeOther)
}

func meetingPath(id int64) string { return fmt.Sprintf("/meetings/%d", id) }

// Section is a part of a meeting's page that a domain depending on
// meetings writes (elections, minutes): this package cannot import them,
// so they hand it a SectionFunc instead. It is a heading with links to
// that domain's pages about the meeting, each with its state in words.
type Section struct {
	// ID is the heading's fragment id.
	ID      string
	Heading string
	Links   []Link
	// Empty is said when there are no links; when it is empty too, the
	// section is left out.
	Empty string
	// Now marks a section about what members are to do at this moment,
	// such as the ballots open for voting: the page shows it first, above
	// the meeting's details, where nobody has to look for it.
	Now bool
}

// Link is one link of a Section.
type Link struct {
	Text   string
	URL    string
	Status string
}

// SectionFunc writes a section of the page of meeting m, which the
// principal may see, with the principal's rights.
type SectionFunc func(ctx context.Context, p auth.Principal, m Meeting) (Section, error)

// ExplainedIn marks a refusal that the section of the meeting's page with
// this id explains, such as the open ballots that keep a session from
// closing: when the page shows the refusal, its error summary links to
// the section. The refusal keeps its kind and its words.
func ExplainedIn(sectionID string, err error) error {
	return &explained{section: sectionID, err: err}
}

type explained struct {
	section string
	err     error
}

func (e *explained) Error() string { return e.err.Error() }
func (e *explained) Unwrap() error { return e.err }

// WithSections adds sections to the meeting's page, after its motions (or
// first, for those marked Now), in the order given.
func (h *Handlers) WithSections(fns ...SectionFunc) *Handlers {
	h.sections = append(h.sections, fns...)
	return h
}

func (h *Handlers) mountPages(r fiber.Router) {
	r.Get("/meetings", h.indexPage)
	r.Get("/meetings/new", h.newPage)
	r.Post("/meetings", h.create)
	r.Post("/meetings/calendar-address", h.calendarAddress)
	r.Get("/meetings/calendar/:token", h.calendarFeed)
	r.Get("/meetings/:id", h.showPage)
	r.Get("/meetings/:id/calendar.ics", h.calendarFile)
	r.Get("/meetings/:id/edit", h.editPage)
	r.Post("/meetings/:id/edit", h.save)
	r.Get("/meetings/:id/agenda", h.agendaPage)
	r.Post("/meetings/:id/agenda", h.addItem)
	r.Post("/meetings/:id/agenda/:item/move", h.moveItem)
	r.Post("/meetings/:id/agenda/:item/remove", h.removeItem)
	r.Post("/meetings/:id/agenda/statutory", h.restoreStatutory)
	r.Get("/meetings/:id/officers", h.officersPage)
	r.Post("/meetings/:id/officers", h.saveOfficers)
	r.Get("/meetings/:id/convene", h.convenePage)
	r.Post("/meetings/:id/convene", h.convene)
	r.Get("/meetings/:id/cancel", h.cancelPage)
	r.Post("/meetings/:id/cancel", h.cancel)
	r.Post("/meetings/:id/open", h.chairStep(h.svc.Open, "opened"))
	r.Get("/meetings/:id/close", h.closePage)
	r.Post("/meetings/:id/close", h.chairStep(h.svc.Close, "closed"))
	r.Post("/meetings/:id/attend", h.attend)
	r.Post("/meetings/:id/leave", h.leave)
	r.Post("/meetings/:id/proxy", h.grantProxy)
	r.Post("/meetings/:id/proxy/withdraw", h.withdrawProxy)
	r.Post("/meetings/:id/requests", h.requestItem)
	r.Get("/meetings/:id/requests", h.requestsPage)
	r.Post("/meetings/:id/requests/:request/accept", h.acceptRequest)
	r.Post("/meetings/:id/requests/:request/decline", h.declineRequest)
	r.Get("/meetings/:id/attendance", h.attendancePage)
	r.Get("/requests", h.askPage)
	r.Post("/requests", h.askBoard)
	r.Post("/meetings/:id/attendance", h.registerPresent)
	r.Post("/meetings/:id/attendance/:member/leave", h.registerLeft)
}

// TimeView is a moment as pages show it: in the meeting's zone and in UTC
// without JavaScript; public/js/osk.js adds the viewer's own time.
// Every page about a meeting (its ballots, motions and minutes too) shows
// its times so, through views/meetings/_time.html: an abbreviation alone
// is ambiguous (IST is India, Ireland and Israel).
type TimeView struct {
	// ISO is the moment in UTC, for <time datetime> and the script.
	ISO string
	// Local is the moment in the zone, with the zone's abbreviation.
	Local string
	// UTC is the moment in UTC, with its date when that is not the local
	// date, so that a reader without the script is not a day off.
	UTC string
	// Zone is the zone's IANA name.
	Zone string
}

// TimeIn is the moment t as pages show it in the zone loc, for a meeting
// the meeting's Zone().
func TimeIn(t time.Time, loc *time.Location) TimeView {
	if loc == nil {
		loc = time.UTC
	}
	local, utc := t.In(loc), t.UTC()
	v := TimeView{
		ISO:   utc.Format(time.RFC3339),
		Local: local.Format("Monday 2 January 2006, 15:04 MST"),
		UTC:   utc.Format("15:04") + " UTC",
		Zone:  loc.String(),
	}
	if utc.Format(time.DateOnly) != local.Format(time.DateOnly) {
		v.UTC = utc.Format("Monday 2 January 2006, 15:04") + " UTC"
	}
	return v
}

// TimeAt is TimeIn for a moment that may not have come, nil for none.
func TimeAt(t *time.Time, loc *time.Location) *TimeView {
	if t == nil {
		return nil
	}
	v := TimeIn(*t, loc)
	return &v
}

func timeView(t time.Time, m Meeting) TimeView { return TimeIn(t, m.Zone()) }

// View is a meeting with what its pages show.
type View struct {
	Meeting
	Starts, Ends, Deadline, Opens TimeView
	Record, Convened              *TimeView
	KindText, StatusText          string
}

func view(m Meeting) View {
	v := View{Meeting: m, Starts: timeView(m.StartsAt, m), Ends: timeView(m.EndsAt, m),
		Deadline: timeView(m.MemberMotionDeadline, m), Opens: timeView(m.AttendanceOpensAt(), m),
		KindText: KindLabel(m.Kind), StatusText: StatusLabel(m.Status)}
	if m.RecordDate != nil {
		t := timeView(*m.RecordDate, m)
		v.Record = &t
	}
	if m.ConvenedAt != nil {
		t := timeView(*m.ConvenedAt, m)
		v.Convened = &t
	}
	return v
}

// The list.

func (h *Handlers) indexPage(c *fiber.Ctx) error {
	return h.renderIndex(c, "")
}

func (h *Handlers) renderIndex(c *fiber.Ctx, address string) error {
	p := auth.PrincipalOf(c)
	page, err := h.svc.List(c.UserContext(), p, ListFilter{Cursor: c.Query("cursor")})
	if err != nil {
		return err
	}
	cl, err := h.svc.members.CallerOf(c.UserContext(), p)
	if err != nil {
		return err
	}
	member := cl.IsMember()
	upcoming, past := Timeline(page.Items, h.svc.Now())
	views := func(ms []Meeting) []View {
		out := make([]View, len(ms))
		for i, m := range ms {
			out[i] = view(m)
		}
		return out
	}
	data := fiber.Map{
		"Title": "General meetings", "Upcoming": views(upcoming), "Past": views(past),
		"NextCursor": page.NextCursor, "Board": p.Has(auth.RoleBoard), "Address": address,
		"Member": member, "AskBoard": member || p.HasAny(auth.RoleBoard, auth.RoleAuditor),
		"Done": doneNotice(c),
	}
	if member {
		// The page of meetings may hold none of those to come: where a
		// request goes depends on every meeting announced.
		visible, err := h.svc.visibleMeetings(c.UserContext(), p)
		if err != nil {
			return err
		}
		data["Asking"], data["Passed"] = askingOf(visible, h.svc.Now())
	}
	return web.Render(c, "meetings/index", data)
}

// askingOf says where a member's request for an agenda item goes now,
// among the meetings ms: to each announced meeting still taking requests,
// on its own page; else, once the deadline of the last one announced has
// passed (passed), to the board, which decides on it for a later meeting.
func askingOf(ms []Meeting, now time.Time) (asking []View, passed *View) {
	var last *Meeting
	for i, m := range ms {
		switch {
		case m.Status == StatusConvened && !now.After(m.MemberMotionDeadline):
			asking = append(asking, view(m))
		case m.Status == StatusConvened || m.Status == StatusInSession:
			if last == nil || m.StartsAt.After(last.StartsAt) {
				last = &ms[i]
			}
		}
	}
	if last != nil && len(asking) == 0 {
		v := view(*last)
		passed = &v
	}
	return asking, passed
}

func (h *Handlers) calendarAddress(c *fiber.Ctx) error {
	token, err := h.svc.NewFeedToken(c.UserContext(), auth.PrincipalOf(c))
	if err != nil {
		return err
	}
	return h.renderIndex(c, h.svc.cfg.BaseURL+"/meetings/calendar/"+token)
}

// calendarFile is a meeting's calendar file, at API.md's address for
// programs and at the page's for people, which the notice and the page
// link: a person who opens it signed out, from an email, is sent to sign
// in and brought back to it, where a program is answered with a problem.
func (h *Handlers) calendarFile(c *fiber.Ctx) error {
	id, err := meetingID(c.Params("id"))
	if err != nil {
		return err
	}
	body, err := h.svc.Calendar(c.UserContext(), auth.PrincipalOf(c), id)
	if err != nil {
		return err
	}
	return sendCalendar(c, "osk-meeting-"+strconv.FormatInt(id, 10)+".ics", body)
}

func (h *Handlers) calendarFeed(c *fiber.Ctx) error {
	body, err := h.svc.FeedByToken(c.UserContext(), strings.TrimSuffix(c.Params("token"), ".ics"))
	if err != nil {
		return err
	}
	return sendCalendar(c, "osk-meetings.ics", body)
}

// The board's form for the details.

// detailsForm holds the form's values as typed.
type detailsForm struct {
	Kind, Title, StartsAt, EndsAt, TimeZone, Location, OnlineURL, RecordDate string
	RemoteAllowed                                                            bool
	QuorumMinMembers, QuorumMinPercent                                       string
}

func readDetails(c *fiber.Ctx) detailsForm {
	return detailsForm{
		Kind: formValue(c, "kind"), Title: formValue(c, "title"), StartsAt: formValue(c, "starts_at"),
		EndsAt: formValue(c, "ends_at"), TimeZone: formValue(c, "time_zone"), Location: formValue(c, "location"),
		OnlineURL: formValue(c, "online_url"), RecordDate: formValue(c, "record_date"),
		RemoteAllowed: c.FormValue("remote_allowed") == "yes", QuorumMinMembers: formValue(c, "quorum_min_members"),
		QuorumMinPercent: formValue(c, "quorum_min_percent"),
	}
}

func formOf(m Meeting) detailsForm {
	loc := m.Zone()
	f := detailsForm{Kind: m.Kind, Title: m.Title, StartsAt: m.StartsAt.In(loc).Format("2006-01-02T15:04"),
		EndsAt: m.EndsAt.In(loc).Format("2006-01-02T15:04"), TimeZone: m.TimeZone, Location: m.Location,
		OnlineURL: m.OnlineURL, RemoteAllowed: m.RemoteAllowed,
		QuorumMinMembers: strconv.Itoa(m.Quorum.MinMembers), QuorumMinPercent: strconv.Itoa(m.Quorum.MinPercent)}
	if m.RecordDate != nil {
		f.RecordDate = m.RecordDate.In(loc).Format(time.DateOnly)
	}
	return f
}

// quorum reads the quorum fields, naming them as the service does.
func (f detailsForm) quorum(v *errs.Validation) *QuorumRule {
	num := func(field, raw string) int {
		n, err := strconv.Atoi(raw)
		if err != nil {
			v.Add(field, "Enter a whole number.")
		}
		return n
	}
	return &QuorumRule{MinMembers: num("quorum.min_members", f.QuorumMinMembers), MinPercent: num("quorum.min_percent", f.QuorumMinPercent)}
}

// pageFields maps the service's field names to the form's ids.
func pageFields(err error) error {
	var v *errs.Validation
	if errors.As(err, &v) {
		for i, f := range v.Fields {
			v.Fields[i].Field = strings.NewReplacer(".", "_", "[", "_", "]", "").Replace(f.Field)
		}
	}
	return err
}

func (h *Handlers) renderForm(c *fiber.Ctx, m *Meeting, f detailsForm, formErr error) error {
	title := "Draft a general meeting"
	action := "/meetings"
	if m != nil {
		title = "Change the details of " + m.Title
		action = fmt.Sprintf("/meetings/%d/edit", m.ID)
	}
	formErr = web.InFormOrder(pageFields(formErr), "kind", "title", "time_zone", "starts_at", "ends_at", "location",
		"remote_allowed", "online_url", "record_date", "quorum_min_members", "quorum_min_percent")
	data := formData(c, title, formErr, fiber.Map{"Form": f, "Action": action})
	if m != nil {
		data["Meeting"] = view(*m)
		data["Locked"] = m.Status != StatusDraft
		// Remote participation the notice offered stays (Update).
		data["RemoteOffered"] = m.Status != StatusDraft && m.RemoteAllowed
	}
	return web.Render(c, "meetings/form", data)
}

func (h *Handlers) newPage(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireAny(auth.RoleBoard); err != nil {
		return err
	}
	r, err := h.svc.rules.Current(c.UserContext())
	if err != nil {
		return err
	}
	return h.renderForm(c, nil, detailsForm{Kind: KindAnnual, TimeZone: DefaultTimeZone,
		QuorumMinMembers: strconv.Itoa(r.QuorumMinMembers), QuorumMinPercent: strconv.Itoa(r.QuorumMinPercent)}, nil)
}

func (h *Handlers) create(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireAny(auth.RoleBoard); err != nil {
		return err
	}
	f := readDetails(c)
	var v errs.Validation
	q := f.quorum(&v)
	m, err := h.svc.Create(c.UserContext(), p, Draft{Kind: f.Kind, Title: f.Title, StartsAt: f.StartsAt, EndsAt: f.EndsAt,
		TimeZone: f.TimeZone, Location: f.Location, OnlineURL: f.OnlineURL, RemoteAllowed: f.RemoteAllowed,
		RecordDate: f.RecordDate, Quorum: q, Unreadable: v.Fields})
	if err != nil {
		if formFailure(err) {
			return h.renderForm(c, nil, f, err)
		}
		return err
	}
	return redirectTo(c, meetingPath(m.ID), "created")
}

// boardPage loads a meeting for one of the board's forms.
func (h *Handlers) boardPage(c *fiber.Ctx) (Meeting, error) {
	p := auth.PrincipalOf(c)
	if err := p.RequireAny(auth.RoleBoard); err != nil {
		return Meeting{}, err
	}
	id, err := meetingID(c.Params("id"))
	if err != nil {
		return Meeting{}, err
	}
	return h.svc.GetAs(c.UserContext(), p, id)
}

func (h *Handlers) editPage(c *fiber.Ctx) error {
	m, err := h.boardPage(c)
	if err != nil {
		return err
	}
	return h.renderForm(c, &m, formOf(m), nil)
}

func (h *Handlers) save(c *fiber.Ctx) error {
	m, err := h.boardPage(c)
	if err != nil {
		return err
	}
	f := readDetails(c)
	var ch Change
	if m.Status == StatusDraft {
		var v errs.Validation
		q := f.quorum(&v)
		ch = Change{Kind: &f.Kind, Title: &f.Title, StartsAt: &f.StartsAt, EndsAt: &f.EndsAt, TimeZone: &f.TimeZone,
			RecordDate: &f.RecordDate, Quorum: q, Unreadable: v.Fields}
	}
	ch.Location, ch.OnlineURL, ch.RemoteAllowed = &f.Location, &f.OnlineURL, &f.RemoteAllowed
	if _, err := h.svc.Update(c.UserContext(), auth.PrincipalOf(c), m.ID, ch); err != nil {
		if formFailure(err) {
			return h.renderForm(c, &m, f, err)
		}
		return err
	}
	return redirectTo(c, meetingPath(m.ID), "saved")
}

// The meeting's page.

func (h *Handlers) showPage(c *fiber.Ctx) error {
	id, err := meetingID(c.Params("id"))
	if err != nil {
		return err
	}
	return h.renderShow(c, id, nil, "")
}

// renderShow renders the meeting's page; after a failed form on it,
// formErr and the form's name say what to show where.
func (h *Handlers) renderShow(c *fiber.Ctx, id int64, formErr error, form string) error {
	ctx := c.UserContext()
	p := auth.PrincipalOf(c)
	m, err := h.svc.GetAs(ctx, p, id)
	if err != nil {
		return err
	}
	cl, err := h.svc.members.CallerOf(ctx, p)
	if err != nil {
		return err
	}
	q, err := quorumOf(ctx, h.svc.db, m)
	if err != nil {
		return err
	}
	presence, err := h.svc.Presence(ctx, p, id)
	if err != nil {
		return err
	}
	current, err := h.svc.rules.Current(ctx)
	if err != nil {
		return err
	}
	r := m.Terms(current)
	seq, err := live.Latest(ctx, h.svc.db, Topic(id))
	if err != nil {
		return err
	}
	proxies, err := h.svc.Proxies(ctx, p, id)
	if err != nil {
		return err
	}
	requests, err := h.svc.ItemRequests(ctx, p, id)
	if err != nil {
		return err
	}
	officers, err := h.officerNames(c, m)
	if err != nil {
		return err
	}
	now := h.svc.Now()
	// Members take part while the meeting is announced or sits; the
	// record date, set by then, says whose vote counts.
	takingPart := m.Status == StatusConvened || m.Status == StatusInSession
	var acting []actingView
	if takingPart {
		if acting, err = h.actingViews(ctx, cl, m, presence, proxies); err != nil {
			return err
		}
	}
	holders := map[int64]string{}
	for _, av := range acting {
		if av.Proxy != nil {
			sums, err := h.svc.members.SummariesOf(ctx, []int64{av.Proxy.HolderMemberID})
			if err != nil {
				return err
			}
			s := sums[av.Proxy.HolderMemberID]
			holders[av.Proxy.HolderMemberID] = s.Label()
		}
	}
	var first, sections []Section
	for _, fn := range h.sections {
		sec, err := fn(ctx, p, m)
		if err != nil {
			return err
		}
		switch {
		case len(sec.Links) == 0 && sec.Empty == "":
		case sec.Now:
			first = append(first, sec)
		default:
			sections = append(sections, sec)
		}
	}
	title := m.Title
	data := fiber.Map{
		"Meeting": view(m), "Quorum": q, "QuorumSummary": q.Summary(), "AskAs": cl.Acting(), "Holders": holders,
		"Officers": officers, "Requests": requests, "Rules": r, "LastEventID": seq,
		"Board":     p.Has(auth.RoleBoard),
		"Chair":     m.IsChair(p.AccountID),
		"Runs":      m.runBy(cl) || p.HasAny(auth.RoleBoard, auth.RoleAuditor),
		"CanAttend": attendanceOpen(m, now) == nil,
		"CanProxy":  r.ProxiesAllowed && takingPart,
		"CanAsk":    m.Status == StatusConvened && !now.After(m.MemberMotionDeadline),
		"CanOpen":   m.Status == StatusConvened && !now.Before(m.AttendanceOpensAt()) && !now.After(m.EndsAt),
		"Missed":    m.Status == StatusConvened && now.After(m.EndsAt),
		"First":     first,
		"Sections":  sections,
		"Auditor":   p.Has(auth.RoleAuditor),
		"Done":      doneNotice(c), "Form": form,
		"Values": fiber.Map{"title": formValue(c, "title"), "description": formValue(c, "description"), "member_id": formValue(c, "member_id")},
	}
	if m.Status == StatusClosed {
		session, err := sessionOf(ctx, h.svc.db, m)
		if err != nil {
			return err
		}
		data["Session"] = &session
	}
	data = formData(c, title, formErr, data)
	var ex *explained
	if errors.As(formErr, &ex) {
		data["Errors"] = []errs.FieldError{{Field: ex.section, Message: errs.Message(formErr)}}
	}
	if form == "attend" || form == "proxy" {
		// Each member acted for has forms of its own, with the same
		// fields: the problems show by the form that was sent alone, and
		// the summary links to its fields.
		fieldErrors, _ := data["FieldErrors"].(map[string]string)
		delete(data, "FieldErrors")
		links := map[string]string{"holder_member_no": "#taking-part", "mode": "#taking-part", "member_id": "#taking-part"}
		if sent := optionalMember(c); sent != nil {
			for i := range acting {
				if id := acting[i].Member.ID; id == *sent {
					acting[i].Errors, acting[i].Holder = fieldErrors, formValue(c, "holder_member_no")
					links["holder_member_no"] = fmt.Sprintf("#holder_member_no-%d", id)
					links["member_id"] = fmt.Sprintf("#taking-part-%d", id)
					links["mode"] = links["member_id"]
					if m.RemoteAllowed {
						links["mode"] = fmt.Sprintf("#mode-%d-in_person", id)
					}
				}
			}
		}
		data["ErrorLinks"] = links
	}
	data["Acting"] = acting
	return web.Render(c, "meetings/show", data)
}

// actingView is one member the viewer takes part for, with their forms.
type actingView struct {
	Member    members.Member
	Present   *Attendee
	Proxy     *Proxy
	ModeLabel string
	Labels    partLabels
	// Votes is false for a member who may take part but cannot vote:
	// they were not active on the record date.
	Votes bool
	// ProxyHint is the proxy form's hint, which says whether the proxy
	// carries a vote.
	ProxyHint string
	// Held are the proxies the member holds.
	Held []heldProxy
	// Errors and Holder are the problems and the number typed of this
	// member's form, when it was the one sent and refused.
	Errors map[string]string
	Holder string
}

// heldProxy is a proxy someone holds, with whether it carries a vote.
type heldProxy struct {
	Grantor string
	Votes   bool
}

// actingViews are the members the caller takes part for at the meeting m,
// announced or in session, each with their presence and proxies, and with
// whose vote counts: a member not active on the record date is on no
// voting list, and is told so before a ballot page refuses them.
func (h *Handlers) actingViews(ctx context.Context, cl members.Caller, m Meeting, presence map[int64]Attendee, proxies []Proxy) ([]actingView, error) {
	several := len(cl.Acting()) > 1
	var grantors []int64
	for _, px := range proxies {
		grantors = append(grantors, px.MemberID)
	}
	names, err := h.svc.members.SummariesOf(ctx, grantors)
	if err != nil {
		return nil, err
	}
	var out []actingView
	for _, mem := range cl.Acting() {
		av := actingView{Member: mem, Labels: labelsOf(mem, several)}
		if av.Votes, err = h.svc.votesAt(ctx, m, mem.ID); err != nil {
			return nil, err
		}
		av.ProxyHint = proxyHint(mem, av.Votes)
		if a, ok := presence[mem.ID]; ok {
			av.Present = &a
			av.ModeLabel = ModeLabel(a.Mode)
		}
		for i := range proxies {
			px := proxies[i]
			if px.WithdrawnAt != nil {
				continue
			}
			if px.MemberID == mem.ID {
				av.Proxy = &px
			}
			if px.HolderMemberID == mem.ID {
				votes, err := h.svc.votesAt(ctx, m, px.MemberID)
				if err != nil {
					return nil, err
				}
				av.Held = append(av.Held, heldProxy{Grantor: names[px.MemberID].Label(), Votes: votes})
			}
		}
		out = append(out, av)
	}
	return out, nil
}

// proxyHint tells a member authorising a proxy who to name and whether
// the proxy will carry their vote.
func proxyHint(mem members.Member, votes bool) string {
	const ask = "Ask them for the number on their membership page. They must be present for the proxy to count."
	your, you := "your vote", "you were"
	if mem.Kind == members.KindOrganisation {
		your, you = "the vote of "+mem.DisplayName(), mem.DisplayName()+" was"
	}
	if votes {
		return ask + " The proxy carries " + your + ": they cast it in the ballots."
	}
	return ask + " The proxy lets them take part, but carries no vote: " + you + " not an active member on the record date."
}

// partLabels are the words of the forms by which a member takes part: one
// who acts for several members (themself and an organisation they
// represent) sees a set of forms for each, and each form says whose it
// is, as the ballot's vote forms do.
type partLabels struct {
	Legend, Attend, Leave, Holder, Authorise, Withdraw string
}

func labelsOf(mem members.Member, several bool) partLabels {
	if !several {
		return partLabels{
			Legend: "How are you taking part?", Attend: "Register as present", Leave: "Leave the meeting",
			Holder:    "Authorise a proxy: the member number of the member who will act for you",
			Authorise: "Authorise this member", Withdraw: "Withdraw the proxy",
		}
	}
	no := 0
	if mem.MemberNo != nil {
		no = *mem.MemberNo
	}
	if mem.Kind == members.KindIndividual {
		return partLabels{
			Legend:    fmt.Sprintf("How are you taking part yourself (member %d)?", no),
			Attend:    fmt.Sprintf("Register yourself as present (member %d)", no),
			Leave:     fmt.Sprintf("Leave the meeting yourself (member %d)", no),
			Holder:    fmt.Sprintf("Authorise a proxy: the member number of the member who will act for you (member %d)", no),
			Authorise: fmt.Sprintf("Authorise this member to act for you (member %d)", no),
			Withdraw:  fmt.Sprintf("Withdraw your own proxy (member %d)", no),
		}
	}
	whose := fmt.Sprintf("%s (member %d)", mem.DisplayName(), no)
	return partLabels{
		Legend:    "How are you taking part for " + whose + "?",
		Attend:    "Register " + whose + " as present",
		Leave:     "Leave the meeting for " + whose,
		Holder:    "Authorise a proxy: the member number of the member who will act for " + whose,
		Authorise: "Authorise this member to act for " + whose,
		Withdraw:  "Withdraw the proxy of " + whose,
	}
}

// officerNames names the meeting's officers for its page.
func (h *Handlers) officerNames(c *fiber.Ctx, m Meeting) (fiber.Map, error) {
	name := func(id *int64) (string, error) {
		if id == nil {
			return "", nil
		}
		acc, err := h.svc.accounts.Account(c.UserContext(), *id)
		if err != nil {
			return "", err
		}
		return acc.Name, nil
	}
	chair, err := name(m.ChairAccountID)
	if err != nil {
		return nil, err
	}
	secretary, err := name(m.SecretaryAccountID)
	if err != nil {
		return nil, err
	}
	var checkers []string
	for _, id := range m.Officers.CheckerAccountIDs {
		n, err := name(&id)
		if err != nil {
			return nil, err
		}
		checkers = append(checkers, n)
	}
	return fiber.Map{"Chair": chair, "Secretary": secretary, "Checkers": checkers}, nil
}

// optionalMember reads the member_id of a form: the organisation a
// representative acts for.
func optionalMember(c *fiber.Ctx) *int64 {
	id, err := strconv.ParseInt(formValue(c, "member_id"), 10, 64)
	if err != nil || id <= 0 {
		return nil
	}
	return &id
}

// memberAction runs a member's form on the meeting's page: on a wrong
// value or state, the page comes back with the message by the form.
func (h *Handlers) memberAction(c *fiber.Ctx, form, done string, do func(id int64) error) error {
	id, err := meetingID(c.Params("id"))
	if err != nil {
		return err
	}
	if err := do(id); err != nil {
		if formFailure(err) || errors.Is(err, errs.NotFound) && form == "proxy" {
			return h.renderShow(c, id, pageFields(err), form)
		}
		return err
	}
	return redirectTo(c, meetingPath(id), done)
}

func (h *Handlers) attend(c *fiber.Ctx) error {
	return h.memberAction(c, "attend", "attended", func(id int64) error {
		_, _, err := h.svc.Attend(c.UserContext(), auth.PrincipalOf(c), id, AttendInput{Mode: formValue(c, "mode"), MemberID: optionalMember(c)})
		return err
	})
}

func (h *Handlers) leave(c *fiber.Ctx) error {
	return h.memberAction(c, "attend", "left", func(id int64) error {
		return h.svc.Leave(c.UserContext(), auth.PrincipalOf(c), id, optionalMember(c))
	})
}

func (h *Handlers) grantProxy(c *fiber.Ctx) error {
	return h.memberAction(c, "proxy", "proxy", func(id int64) error {
		var v errs.Validation
		no, err := strconv.Atoi(formValue(c, "holder_member_no"))
		if err != nil || no <= 0 {
			v.Add("holder_member_no", "Enter the member number of the member you authorise.")
			return v.Err()
		}
		// An unknown number goes on as no member, so that the service
		// decides access before it judges the value.
		var holderID int64
		holder, err := h.svc.members.ByNumber(c.UserContext(), no)
		switch {
		case err == nil:
			holderID = holder.ID
		case !errors.Is(err, members.ErrNotFound):
			return err
		}
		_, err = h.svc.GrantProxy(c.UserContext(), auth.PrincipalOf(c), id, ProxyInput{HolderMemberID: holderID, MemberID: optionalMember(c)})
		return renameField(err, "holder_member_id", "holder_member_no", holderID == 0, fmt.Sprintf("There is no member with the number %d.", no))
	})
}

// renameField gives a service's field the form's name, and, when
// unknown, the form's message.
func renameField(err error, from, to string, unknown bool, message string) error {
	var val *errs.Validation
	if errors.As(err, &val) {
		for i := range val.Fields {
			if val.Fields[i].Field == from {
				val.Fields[i].Field = to
				if unknown {
					val.Fields[i].Message = message
				}
			}
		}
	}
	return err
}

func (h *Handlers) withdrawProxy(c *fiber.Ctx) error {
	return h.memberAction(c, "proxy", "withdrawn", func(id int64) error {
		_, err := h.svc.WithdrawProxy(c.UserContext(), auth.PrincipalOf(c), id, optionalMember(c))
		return err
	})
}

func (h *Handlers) requestItem(c *fiber.Ctx) error {
	return h.memberAction(c, "request", "requested", func(id int64) error {
		_, err := h.svc.RequestItem(c.UserContext(), auth.PrincipalOf(c), id, ItemRequestInput{
			Title: formValue(c, "title"), Description: formValue(c, "description"), MemberID: optionalMember(c)})
		return err
	})
}

func (h *Handlers) chairStep(do func(ctx context.Context, p auth.Principal, id int64) (Meeting, error), done string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		return h.memberAction(c, "chair", done, func(id int64) error {
			_, err := do(c.UserContext(), auth.PrincipalOf(c), id)
			return err
		})
	}
}

// closePage asks the chair to confirm the close of the session, which
// cannot be undone: one click on the meeting's page must not end it.
func (h *Handlers) closePage(c *fiber.Ctx) error {
	id, err := meetingID(c.Params("id"))
	if err != nil {
		return err
	}
	m, err := h.svc.ChairAs(c.UserContext(), auth.PrincipalOf(c), id)
	if err != nil {
		return err
	}
	q, err := quorumOf(c.UserContext(), h.svc.db, m)
	if err != nil {
		return err
	}
	return web.Render(c, "meetings/close", formData(c, "Close the session of "+m.Title, nil,
		fiber.Map{"Meeting": view(m), "Quorum": q, "Unminuted": unminuted(m)}))
}

// The agenda, for the board.

func (h *Handlers) agendaPage(c *fiber.Ctx) error {
	m, err := h.boardPage(c)
	if err != nil {
		return err
	}
	return h.renderAgenda(c, m, nil)
}

// itemWindow says until when the board can add an item to a convened
// meeting's agenda, so that its pages offer the form only while an item
// would be taken, and say until when.
type itemWindow struct {
	// Until is the last moment for any item, Weighty for one that changes
	// the rules or is weighty; Open and WeightyOpen say whether each has
	// not passed.
	Until, Weighty    TimeView
	Open, WeightyOpen bool
	// AlreadyWeighty is set when the agenda has a rule change or a
	// weighty item, so that the longer period applies to any item.
	AlreadyWeighty    bool
	Days, WeightyDays int
}

func windowOf(m Meeting, r rules.Rules, now time.Time) itemWindow {
	until, weighty := itemDeadline(m, r, false), itemDeadline(m, r, true)
	return itemWindow{
		Until: timeView(until, m), Weighty: timeView(weighty, m), Open: !now.After(until), WeightyOpen: !now.After(weighty),
		AlreadyWeighty: m.HasWeightyItem(), Days: r.NoticeMinDays, WeightyDays: r.NoticeWeightyMinDays,
	}
}

func (h *Handlers) renderAgenda(c *fiber.Ctx, m Meeting, formErr error) error {
	r, err := h.svc.rules.Current(c.UserContext())
	if err != nil {
		return err
	}
	data := formData(c, "Agenda of "+m.Title, pageFields(formErr), fiber.Map{
		"Meeting": view(m), "Done": doneNotice(c), "MaxPosition": len(m.Agenda) + 1, "Missing": missingStatutory(m),
		"Window": windowOf(m, r, h.svc.Now()),
		"Values": fiber.Map{"title": formValue(c, "title"), "description": formValue(c, "description"), "position": formValue(c, "position"),
			"rule_change": c.FormValue("rule_change") == "yes", "weighty": c.FormValue("weighty") == "yes"},
	})
	return web.Render(c, "meetings/agenda", data)
}

func (h *Handlers) agendaPath(id int64) string { return fmt.Sprintf("/meetings/%d/agenda", id) }

func (h *Handlers) addItem(c *fiber.Ctx) error {
	m, err := h.boardPage(c)
	if err != nil {
		return err
	}
	in := ItemInput{Title: formValue(c, "title"), Description: formValue(c, "description"),
		RuleChange: c.FormValue("rule_change") == "yes", Weighty: c.FormValue("weighty") == "yes"}
	if raw := formValue(c, "position"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil {
			var v errs.Validation
			v.Add("position", "Enter a whole number, or leave it empty.")
			return h.renderAgenda(c, m, v.Err())
		}
		in.Position = &n
	}
	if _, err := h.svc.AddItem(c.UserContext(), auth.PrincipalOf(c), m.ID, in); err != nil {
		if formFailure(err) {
			return h.renderAgenda(c, m, err)
		}
		return err
	}
	return redirectTo(c, h.agendaPath(m.ID), "agenda")
}

func (h *Handlers) moveItem(c *fiber.Ctx) error {
	m, err := h.boardPage(c)
	if err != nil {
		return err
	}
	item, err := itemID(c.Params("item"), ErrNoItem)
	if err != nil {
		return err
	}
	to := 0
	for _, it := range m.Agenda {
		if it.ID == item {
			to = it.Position - 1
			if c.FormValue("direction") == "down" {
				to = it.Position + 1
			}
		}
	}
	if to < 1 || to > len(m.Agenda) {
		return redirectTo(c, h.agendaPath(m.ID), "agenda")
	}
	if _, err := h.svc.UpdateItem(c.UserContext(), auth.PrincipalOf(c), m.ID, item, ItemChange{Position: &to}); err != nil {
		if formFailure(err) {
			return h.renderAgenda(c, m, err)
		}
		return err
	}
	return redirectTo(c, h.agendaPath(m.ID), "agenda")
}

func (h *Handlers) removeItem(c *fiber.Ctx) error {
	m, err := h.boardPage(c)
	if err != nil {
		return err
	}
	item, err := itemID(c.Params("item"), ErrNoItem)
	if err != nil {
		return err
	}
	if err := h.svc.RemoveItem(c.UserContext(), auth.PrincipalOf(c), m.ID, item); err != nil {
		if formFailure(err) {
			return h.renderAgenda(c, m, err)
		}
		return err
	}
	return redirectTo(c, h.agendaPath(m.ID), "agenda")
}

func (h *Handlers) restoreStatutory(c *fiber.Ctx) error {
	m, err := h.boardPage(c)
	if err != nil {
		return err
	}
	if _, err := h.svc.RestoreStatutory(c.UserContext(), auth.PrincipalOf(c), m.ID); err != nil {
		if formFailure(err) {
			return h.renderAgenda(c, m, err)
		}
		return err
	}
	return redirectTo(c, h.agendaPath(m.ID), "agenda")
}

// The officers, for the board: named by the email address of their
// account.

func (h *Handlers) officersPage(c *fiber.Ctx) error {
	m, err := h.boardPage(c)
	if err != nil {
		return err
	}
	values := fiber.Map{}
	email := func(id *int64) string {
		if id == nil {
			return ""
		}
		acc, err := h.svc.accounts.Account(c.UserContext(), *id)
		if err != nil {
			return ""
		}
		return acc.Email
	}
	values["chair"] = email(m.ChairAccountID)
	values["secretary"] = email(m.SecretaryAccountID)
	var checkers []string
	for _, id := range m.Officers.CheckerAccountIDs {
		checkers = append(checkers, email(&id))
	}
	values["checkers"] = strings.Join(checkers, "\n")
	return h.renderOfficers(c, m, values, nil)
}

func (h *Handlers) renderOfficers(c *fiber.Ctx, m Meeting, values fiber.Map, formErr error) error {
	data := formData(c, "Officers of "+m.Title, formErr, fiber.Map{"Meeting": view(m), "Values": values})
	return web.Render(c, "meetings/officers", data)
}

func (h *Handlers) saveOfficers(c *fiber.Ctx) error {
	m, err := h.boardPage(c)
	if err != nil {
		return err
	}
	values := fiber.Map{"chair": formValue(c, "chair"), "secretary": formValue(c, "secretary"), "checkers": formValue(c, "checkers")}
	var v errs.Validation
	var failure error
	account := func(field, email string) *int64 {
		if email == "" {
			return nil
		}
		acc, err := h.svc.accounts.AccountToEntrust(c.UserContext(), email)
		switch {
		case errors.Is(err, errs.NotFound):
			v.Add(field, "No one has signed in to Osk with %s: they must sign in once before they can be appointed.", email)
			return nil
		case errors.Is(err, errs.Invalid), errors.Is(err, errs.Conflict):
			v.Add(field, "%s", errs.Message(err))
			return nil
		case err != nil:
			failure = err
			return nil
		}
		return &acc.ID
	}
	o := Officers{ChairAccountID: account("chair", formValue(c, "chair")), SecretaryAccountID: account("secretary", formValue(c, "secretary")),
		CheckerAccountIDs: []int64{}}
	for _, line := range strings.Split(formValue(c, "checkers"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			if id := account("checkers", line); id != nil {
				o.CheckerAccountIDs = append(o.CheckerAccountIDs, *id)
			}
		}
	}
	if failure != nil {
		return failure
	}
	if err := v.Err(); err != nil {
		return h.renderOfficers(c, m, values, err)
	}
	if _, err := h.svc.SetOfficers(c.UserContext(), auth.PrincipalOf(c), m.ID, o); err != nil {
		var val *errs.Validation
		if errors.As(err, &val) {
			for i, f := range val.Fields {
				val.Fields[i].Field = map[string]string{"chair_account_id": "chair", "secretary_account_id": "secretary", "checker_account_ids": "checkers"}[f.Field]
			}
		}
		if formFailure(err) {
			return h.renderOfficers(c, m, values, err)
		}
		return err
	}
	return redirectTo(c, meetingPath(m.ID), "officers")
}

// Convening and cancelling, for the board.

func (h *Handlers) convenePage(c *fiber.Ctx) error {
	m, err := h.boardPage(c)
	if err != nil {
		return err
	}
	return h.renderConvene(c, m, nil)
}

func (h *Handlers) renderConvene(c *fiber.Ctx, m Meeting, formErr error) error {
	r, err := h.svc.rules.Current(c.UserContext())
	if err != nil {
		return err
	}
	earliest, latest := noticeWindow(m, r)
	recipients, err := h.svc.members.ActiveCount(c.UserContext())
	if err != nil {
		return err
	}
	preview := m
	if preview.RecordDate == nil {
		now := h.svc.Now()
		day := endOfDay(now, m.Zone())
		preview.RecordDate = &day
	}
	// What stops the notice is mended on the edit and agenda pages, so the
	// problems link there.
	edit := meetingPath(m.ID) + "/edit#"
	data := formData(c, "Convene "+m.Title, formErr, fiber.Map{
		"Meeting": view(m), "Earliest": timeView(earliest, m), "Latest": timeView(latest, m),
		"Notice": h.svc.noticeText(preview, r), "Recipients": recipients, "Weighty": m.HasWeightyItem(),
		"Window": windowOf(m, r, h.svc.Now()),
		"ErrorLinks": map[string]string{
			"agenda": meetingPath(m.ID) + "/agenda", "starts_at": edit + "starts_at", "ends_at": edit + "ends_at",
			"location": edit + "location", "online_url": edit + "online_url", "record_date": edit + "record_date",
		},
	})
	return web.Render(c, "meetings/convene", data)
}

func (h *Handlers) convene(c *fiber.Ctx) error {
	m, err := h.boardPage(c)
	if err != nil {
		return err
	}
	if _, err := h.svc.Convene(c.UserContext(), auth.PrincipalOf(c), m.ID); err != nil {
		if formFailure(err) {
			return h.renderConvene(c, m, err)
		}
		return err
	}
	return redirectTo(c, meetingPath(m.ID), "convened")
}

func (h *Handlers) cancelPage(c *fiber.Ctx) error {
	m, err := h.boardPage(c)
	if err != nil {
		return err
	}
	return h.renderCancel(c, m, "", nil)
}

func (h *Handlers) renderCancel(c *fiber.Ctx, m Meeting, reason string, formErr error) error {
	data := formData(c, "Cancel "+m.Title, formErr, fiber.Map{"Meeting": view(m), "Reason": reason})
	return web.Render(c, "meetings/cancel", data)
}

func (h *Handlers) cancel(c *fiber.Ctx) error {
	m, err := h.boardPage(c)
	if err != nil {
		return err
	}
	reason := formValue(c, "reason")
	if _, err := h.svc.Cancel(c.UserContext(), auth.PrincipalOf(c), m.ID, reason); err != nil {
		if formFailure(err) {
			return h.renderCancel(c, m, reason, err)
		}
		return err
	}
	return redirectTo(c, meetingPath(m.ID), "cancelled")
}

// Members' requests for agenda items, for the board.

func (h *Handlers) requestsPage(c *fiber.Ctx) error {
	m, err := h.boardPage(c)
	if err != nil {
		return err
	}
	return h.renderRequests(c, m, 0, nil)
}

// renderRequests shows the requests; a decision on request failed that was
// refused shows its problem next to that request's form, with what was
// typed there.
func (h *Handlers) renderRequests(c *fiber.Ctx, m Meeting, failed int64, formErr error) error {
	reqs, err := h.svc.ItemRequests(c.UserContext(), auth.PrincipalOf(c), m.ID)
	if err != nil {
		return err
	}
	ids := make([]int64, len(reqs))
	for i, r := range reqs {
		ids[i] = r.MemberID
	}
	names, err := h.svc.members.SummariesOf(c.UserContext(), ids)
	if err != nil {
		return err
	}
	data := formData(c, "Members' requests for agenda items at "+m.Title, formErr, fiber.Map{
		"Meeting": view(m), "Requests": reqs, "Names": names, "Done": doneNotice(c),
		"Failed": failed, "Reason": formValue(c, "reason"), "Description": formValue(c, "description"),
		"RuleChange": formValue(c, "rule_change") == "yes", "Weighty": formValue(c, "weighty") == "yes",
		"ErrorLinks": map[string]string{"reason": fmt.Sprintf("#reason-%d", failed), "description": fmt.Sprintf("#description-%d", failed)},
	})
	return web.Render(c, "meetings/requests", data)
}

func (h *Handlers) decision(c *fiber.Ctx, do func(m Meeting, rid int64) error) error {
	m, err := h.boardPage(c)
	if err != nil {
		return err
	}
	rid, err := itemID(c.Params("request"), ErrNoRequest)
	if err != nil {
		return err
	}
	if err := do(m, rid); err != nil {
		if formFailure(err) {
			return h.renderRequests(c, m, rid, pageFields(err))
		}
		return err
	}
	return redirectTo(c, fmt.Sprintf("/meetings/%d/requests", m.ID), "decided")
}

func (h *Handlers) acceptRequest(c *fiber.Ctx) error {
	return h.decision(c, func(m Meeting, rid int64) error {
		_, err := h.svc.AcceptRequest(c.UserContext(), auth.PrincipalOf(c), m.ID, rid,
			Acceptance{RuleChange: formValue(c, "rule_change") == "yes", Weighty: formValue(c, "weighty") == "yes", Description: formValue(c, "description")})
		return err
	})
}

func (h *Handlers) declineRequest(c *fiber.Ctx) error {
	return h.decision(c, func(m Meeting, rid int64) error {
		_, err := h.svc.DeclineRequest(c.UserContext(), auth.PrincipalOf(c), m.ID, rid, formValue(c, "reason"))
		return err
	})
}

// Requests to the board for the next general meeting, made before any
// notice is out.

func (h *Handlers) askPage(c *fiber.Ctx) error {
	return h.renderAsk(c, nil)
}

// renderAsk shows a member the form and every request they made, and the
// board and auditors the requests waiting for a meeting, with the meetings
// the board can decide on them from.
func (h *Handlers) renderAsk(c *fiber.Ctx, formErr error) error {
	ctx := c.UserContext()
	p := auth.PrincipalOf(c)
	cl, err := h.svc.members.CallerOf(ctx, p)
	if err != nil {
		return err
	}
	reqs, err := h.svc.requestsOf(ctx, cl)
	if err != nil {
		return err
	}
	reader := p.HasAny(auth.RoleBoard, auth.RoleAuditor)
	ids := make([]int64, len(reqs))
	for i, r := range reqs {
		ids[i] = r.MemberID
	}
	names, err := h.svc.members.SummariesOf(ctx, ids)
	if err != nil {
		return err
	}
	visible, err := h.svc.visibleMeetings(ctx, p)
	if err != nil {
		return err
	}
	now := h.svc.Now()
	var decidable []View
	for _, m := range visible {
		if takesRequests(m) {
			decidable = append(decidable, view(m))
		}
	}
	asking, passed := askingOf(visible, now)
	data := formData(c, "Ask the board for an agenda item", formErr, fiber.Map{
		"Requests": reqs, "Names": names, "Acting": cl.Acting(), "Reader": reader, "Board": p.Has(auth.RoleBoard),
		"Meetings": decidable, "Asking": asking, "Passed": passed, "Done": doneNotice(c),
		"Values": fiber.Map{"title": formValue(c, "title"), "description": formValue(c, "description"), "member_id": formValue(c, "member_id")},
	})
	return web.Render(c, "meetings/ask", data)
}

func (h *Handlers) askBoard(c *fiber.Ctx) error {
	_, err := h.svc.AskBoard(c.UserContext(), auth.PrincipalOf(c), ItemRequestInput{
		Title: formValue(c, "title"), Description: formValue(c, "description"), MemberID: optionalMember(c)})
	if err != nil {
		if formFailure(err) {
			return h.renderAsk(c, pageFields(err))
		}
		return err
	}
	return redirectTo(c, "/requests", "requested")
}

// The room: attendance for the chair and the secretary (and the board and
// auditors, who read it).

func (h *Handlers) attendancePage(c *fiber.Ctx) error {
	id, err := meetingID(c.Params("id"))
	if err != nil {
		return err
	}
	return h.renderAttendance(c, id, nil)
}

func (h *Handlers) renderAttendance(c *fiber.Ctx, id int64, formErr error) error {
	ctx := c.UserContext()
	p := auth.PrincipalOf(c)
	list, err := h.svc.Attendance(ctx, p, id)
	if err != nil {
		return err
	}
	m, err := h.svc.GetAs(ctx, p, id)
	if err != nil {
		return err
	}
	cl, err := h.svc.members.CallerOf(ctx, p)
	if err != nil {
		return err
	}
	q, err := quorumOf(ctx, h.svc.db, m)
	if err != nil {
		return err
	}
	seq, err := live.Latest(ctx, h.svc.db, Topic(id))
	if err != nil {
		return err
	}
	// Whom each attendee holds proxies for, by name and number, as the
	// chair calls them.
	var grantors []int64
	for _, a := range list {
		grantors = append(grantors, a.ProxyFor...)
	}
	names, err := h.svc.members.SummariesOf(ctx, grantors)
	if err != nil {
		return err
	}
	type row struct {
		Attendee
		Arrived   TimeView
		Left      *TimeView
		ModeLabel string
		ProxiesOf []string
		// AtClose marks a member who stayed until the session closed,
		// which recorded them as leaving.
		AtClose bool
	}
	rows := make([]row, len(list))
	for i, a := range list {
		rows[i] = row{Attendee: a, Arrived: timeView(a.ArrivedAt, m), ModeLabel: ModeLabel(a.Mode)}
		for _, g := range a.ProxyFor {
			rows[i].ProxiesOf = append(rows[i].ProxiesOf, names[g].Label())
		}
		if a.LeftAt != nil {
			t := timeView(*a.LeftAt, m)
			rows[i].Left = &t
			rows[i].AtClose = m.ClosedAt != nil && a.LeftAt.Equal(*m.ClosedAt)
		}
	}
	var session *Session
	if m.Status == StatusClosed {
		s, err := sessionOf(ctx, h.svc.db, m)
		if err != nil {
			return err
		}
		session = &s
	}
	data := formData(c, "Attendance at "+m.Title, formErr, fiber.Map{
		"Meeting": view(m), "Rows": rows, "Quorum": q, "QuorumSummary": q.Summary(), "Session": session, "LastEventID": seq,
		"Runs": m.runBy(cl) && attendanceOpen(m, h.svc.Now()) == nil, "Done": doneNotice(c),
		"Values": fiber.Map{"member_no": formValue(c, "member_no"), "mode": formValue(c, "mode")},
	})
	return web.Render(c, "meetings/attendance", data)
}

func (h *Handlers) registerPresent(c *fiber.Ctx) error {
	id, err := meetingID(c.Params("id"))
	if err != nil {
		return err
	}
	var v errs.Validation
	no, err := strconv.Atoi(formValue(c, "member_no"))
	if err != nil || no <= 0 {
		v.Add("member_no", "Enter the member number.")
		return h.renderAttendance(c, id, v.Err())
	}
	// An unknown number goes on as no member, so that the service decides
	// access before it judges the value.
	var memberID int64
	mem, err := h.svc.members.ByNumber(c.UserContext(), no)
	switch {
	case err == nil:
		memberID = mem.ID
	case !errors.Is(err, members.ErrNotFound):
		return err
	}
	mode := formValue(c, "mode")
	if mode == "" {
		mode = ModeInPerson
	}
	_, _, err = h.svc.Attend(c.UserContext(), auth.PrincipalOf(c), id, AttendInput{Mode: mode, MemberID: &memberID})
	if err = renameField(err, "member_id", "member_no", memberID == 0, fmt.Sprintf("There is no member with the number %d.", no)); err != nil {
		if formFailure(err) {
			return h.renderAttendance(c, id, err)
		}
		return err
	}
	return redirectTo(c, fmt.Sprintf("/meetings/%d/attendance", id), "registered")
}

func (h *Handlers) registerLeft(c *fiber.Ctx) error {
	id, err := meetingID(c.Params("id"))
	if err != nil {
		return err
	}
	member, err := itemID(c.Params("member"), members.ErrNotFound)
	if err != nil {
		return err
	}
	if err := h.svc.Leave(c.UserContext(), auth.PrincipalOf(c), id, &member); err != nil {
		if formFailure(err) {
			return h.renderAttendance(c, id, err)
		}
		return err
	}
	return redirectTo(c, fmt.Sprintf("/meetings/%d/attendance", id), "left")
}
