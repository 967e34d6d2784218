package minutes

import (
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/web"
)

// doneNotices are the confirmations shown after a change, by the name in
// ?done=.
var doneNotices = map[string]string{
	"saved":     "A new version is saved. Every earlier version is kept.",
	"submitted": "The text went to the chair and the minute checkers to sign. They have been told by email.",
	"signed":    "Your signature is recorded. The others who sign have yet to sign.",
	"sealed":    "Your signature was the last one: the text is sealed and published to members.",
	"returned":  "The text went back to the secretary with your comment.",
	"addendum":  "The addendum is saved as a draft. Submit it for signing when it is ready.",
}

func (h *Handlers) mountPages(r fiber.Router) {
	r.Get("/minutes", h.archivePage)
	r.Get("/minutes/overdue", h.deadlinesPage)
	r.Get("/meetings/:id/minutes/addenda", h.newAddendumPage)
	r.Post("/meetings/:id/minutes/addenda", h.startAddendum)
	for _, base := range []string{"/meetings/:id/minutes", "/meetings/:id/minutes/addenda/:n"} {
		r.Get(base, h.showPage)
		r.Get(base+"/edit", h.editPage)
		r.Post(base+"/edit", h.save)
		r.Post(base+"/submit", h.submit)
		r.Post(base+"/sign", h.sign)
		r.Post(base+"/return", h.sendBack)
		r.Get(base+"/versions", h.versionsPage)
		r.Get(base+"/versions/:version", h.versionPage)
		r.Get(base+"/diff", h.diffPage)
	}
}

// formFailure reports whether err is one a form shows to the person who
// filled it in, rather than an error page.
func formFailure(err error) bool {
	return errors.Is(err, errs.Invalid) || errors.Is(err, errs.Conflict)
}

func redirectTo(c *fiber.Ctx, path, done string) error {
	return c.Redirect(path+"?done="+url.QueryEscape(done), fiber.StatusSeeOther)
}

// pageData starts a page's data; after a failed form, the page says so
// in its title and status.
func pageData(c *fiber.Ctx, title string, formErr error) fiber.Map {
	data := fiber.Map{"Title": title, "Heading": title, "Done": doneNotices[c.Query("done")]}
	if formErr != nil {
		data["Title"] = "Error: " + title
		web.AddFormErrors(data, formErr)
		c.Status(web.StatusOf(formErr))
	}
	return data
}

// meetingView is the meeting as the minutes' pages name it.
type meetingView struct {
	ID       int64
	Title    string
	Kind     string
	When     meetings.TimeView
	TimeZone string
	zone     *time.Location
}

func viewMeeting(m meetings.Meeting) meetingView {
	return meetingView{ID: m.ID, Title: m.Title, Kind: meetings.KindLabel(m.Kind), TimeZone: m.TimeZone, zone: m.Zone(),
		When: meetings.TimeIn(m.StartsAt, m.Zone())}
}

// time is a moment of the meeting's minutes as the meeting's pages show
// times: in its zone with the zone's name, in UTC, and (with
// public/js/osk.js) in the viewer's zone.
func (mv meetingView) time(t time.Time) meetings.TimeView { return meetings.TimeIn(t, mv.zone) }

// zoneOf is the zone of a meeting named in a row of a list, or UTC when
// the name is not one.
func zoneOf(name string) *time.Location {
	if loc, err := time.LoadLocation(name); err == nil {
		return loc
	}
	return time.UTC
}

// docView is a document as its pages show it.
type docView struct {
	Minutes
	Name       string
	Path       string
	HTML       template.HTML
	StatusText string
	// SealedTime is nil until the document is sealed.
	SealedTime *meetings.TimeView
	Signatures []signatureView
	Signers    []signerView
	Returned   bool
	// SealText and the chain head are the seal as printed.
	SealText  string
	ChainSeq  int64
	ChainHash string
}

type signatureView struct {
	Name, Role string
	At         meetings.TimeView
}

type signerView struct {
	Name, Role string
	Signed     bool
}

func (h *Handlers) viewDoc(m Minutes, mv meetingView) (docView, error) {
	html, err := h.svc.render.Render(m.Body)
	if err != nil {
		return docView{}, err
	}
	v := docView{Minutes: m, Name: m.Doc().Name(), Path: docPath(m.Doc()), HTML: html, StatusText: StatusLabel(m.Status)}
	if m.Version == 0 {
		v.StatusText = StatusLabel("")
	}
	if m.SealedAt != nil {
		t := mv.time(*m.SealedAt)
		v.SealedTime = &t
	}
	if m.SealedHash != nil {
		v.SealText = *m.SealedHash
	}
	if m.ChainHead != nil {
		v.ChainSeq, v.ChainHash = m.ChainHead.Seq, m.ChainHead.Hash
	}
	for _, s := range m.Signatures {
		v.Signatures = append(v.Signatures, signatureView{Name: s.Name, Role: RoleLabel(s.Role), At: mv.time(s.SignedAt)})
	}
	for _, s := range m.Signers {
		v.Signers = append(v.Signers, signerView{Name: s.Name, Role: RoleLabel(s.Role), Signed: s.Signed})
	}
	v.Returned = slices.ContainsFunc(m.Returns, func(r Return) bool { return r.Version == m.Version })
	return v, nil
}

func docTitle(doc Doc, meetingTitle string) string {
	if doc.Addendum == 0 {
		return "Minutes: " + meetingTitle
	}
	return fmt.Sprintf("Addendum %d to the minutes: %s", doc.Addendum, meetingTitle)
}

// The document's page.

func (h *Handlers) showPage(c *fiber.Ctx) error { return h.renderShow(c, nil) }

// renderShow renders a document's page; after a failed form on it,
// formErr says what went wrong.
func (h *Handlers) renderShow(c *fiber.Ctx, formErr error) error {
	ctx := c.UserContext()
	p := auth.PrincipalOf(c)
	doc, err := docOf(c)
	if err != nil {
		return err
	}
	m, err := h.svc.Get(ctx, p, doc)
	if err != nil {
		return err
	}
	mt, err := h.svc.meetings.GetAs(ctx, p, doc.MeetingID)
	if err != nil {
		return err
	}
	mv := viewMeeting(mt)
	dv, err := h.viewDoc(m, mv)
	if err != nil {
		return err
	}
	secretary := mt.IsSecretary(p.AccountID)
	_, signer := signerRole(mt, p.AccountID)
	signedByMe := slices.ContainsFunc(m.Signatures, func(s Signature) bool { return s.AccountID == p.AccountID })
	data := pageData(c, docTitle(doc, m.Title), formErr)
	data["Meeting"], data["Doc"] = mv, dv
	data["Secretary"] = secretary
	data["CanEdit"] = secretary && m.Status == StatusDraft
	data["CanSubmit"] = secretary && m.Status == StatusDraft && m.Version > 0 && mt.Status == meetings.StatusClosed && !dv.Returned
	data["WaitsForClose"] = secretary && m.Status == StatusDraft && m.Version > 0 && mt.Status != meetings.StatusClosed
	data["CanSign"] = signer && m.Status == StatusInReview && !signedByMe
	data["SignedByMe"] = signedByMe && m.Status == StatusInReview
	data["SeesDrafts"] = mt.IsOfficer(p.AccountID) || p.HasAny(auth.RoleBoard, auth.RoleAuditor)
	data["Comment"] = c.FormValue("comment")

	var sealedAddenda []docView
	var openAddenda []Summary
	allSealed := true
	for _, a := range m.Addenda {
		if a.Status != StatusSigned {
			allSealed = false
			openAddenda = append(openAddenda, a)
			continue
		}
		am, err := h.svc.Get(ctx, p, Doc{MeetingID: doc.MeetingID, Addendum: a.Addendum})
		if err != nil {
			return err
		}
		av, err := h.viewDoc(am, mv)
		if err != nil {
			return err
		}
		sealedAddenda = append(sealedAddenda, av)
	}
	data["Addenda"], data["OpenAddenda"] = sealedAddenda, openAddenda
	data["CanStartAddendum"] = secretary && doc.Addendum == 0 && m.Sealed() && allSealed
	return web.Render(c, "minutes/show", data)
}

func (h *Handlers) submit(c *fiber.Ctx) error {
	doc, err := docOf(c)
	if err != nil {
		return err
	}
	if _, err := h.svc.Submit(c.UserContext(), auth.PrincipalOf(c), doc); err != nil {
		if formFailure(err) {
			return h.renderShow(c, err)
		}
		return err
	}
	return redirectTo(c, docPath(doc), "submitted")
}

// formVersion reads the version a signer's form says they read.
func formVersion(c *fiber.Ctx) (*int, error) {
	raw := strings.TrimSpace(c.FormValue("version"))
	if raw == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		n = -1
	}
	return &n, optionalVersion(&n)
}

func (h *Handlers) sign(c *fiber.Ctx) error {
	doc, err := docOf(c)
	if err != nil {
		return err
	}
	version, err := formVersion(c)
	if err == nil {
		var m Minutes
		m, err = h.svc.Sign(c.UserContext(), auth.PrincipalOf(c), doc, version)
		if err == nil {
			done := "signed"
			if m.Sealed() {
				done = "sealed"
			}
			return redirectTo(c, docPath(doc), done)
		}
	}
	if formFailure(err) {
		return h.renderShow(c, err)
	}
	return err
}

func (h *Handlers) sendBack(c *fiber.Ctx) error {
	doc, err := docOf(c)
	if err != nil {
		return err
	}
	version, err := formVersion(c)
	if err == nil {
		_, err = h.svc.Return(c.UserContext(), auth.PrincipalOf(c), doc, version, c.FormValue("comment"))
		if err == nil {
			return redirectTo(c, docPath(doc), "returned")
		}
	}
	if formFailure(err) {
		return h.renderShow(c, err)
	}
	return err
}

// The editor.

// editable loads a document for its secretary's editor: the pre-filled
// first draft when nothing is saved yet.
func (h *Handlers) editable(c *fiber.Ctx, doc Doc) (Minutes, meetingView, error) {
	ctx := c.UserContext()
	p := auth.PrincipalOf(c)
	m, err := h.svc.Get(ctx, p, doc)
	if err != nil {
		return Minutes{}, meetingView{}, err
	}
	mt, err := h.svc.meetings.GetAs(ctx, p, doc.MeetingID)
	if err != nil {
		return Minutes{}, meetingView{}, err
	}
	if !mt.IsSecretary(p.AccountID) {
		return Minutes{}, meetingView{}, errs.Wrap(errs.Forbidden, notSecretary)
	}
	if m.Version > 0 {
		if err := refuseChange(docRow{MeetingID: m.MeetingID, Addendum: m.Addendum, Status: m.Status}); err != nil {
			return Minutes{}, meetingView{}, err
		}
	}
	return m, viewMeeting(mt), nil
}

func (h *Handlers) editPage(c *fiber.Ctx) error {
	doc, err := docOf(c)
	if err != nil {
		return err
	}
	m, mv, err := h.editable(c, doc)
	if err != nil {
		return err
	}
	return h.renderEdit(c, m, mv, m.Body, false, false, nil)
}

// renderEdit renders the editor of m with body in it, and its preview
// when asked for; with addendum set, the editor of a new addendum.
func (h *Handlers) renderEdit(c *fiber.Ctx, m Minutes, mv meetingView, body string, addendum, preview bool, formErr error) error {
	doc := m.Doc()
	title := "Write the minutes"
	action, back := docPath(doc)+"/edit", docPath(doc)
	switch {
	case addendum:
		title = "Write an addendum to the minutes"
		action, back = fmt.Sprintf("/meetings/%d/minutes/addenda", mv.ID), docPath(Main(mv.ID))
	case m.Version > 0 || doc.Addendum > 0:
		title = "Edit " + doc.lowerName()
	}
	data := pageData(c, title, formErr)
	data["Meeting"], data["Body"], data["Version"], data["Returns"] = mv, body, m.Version, m.Returns
	data["Action"], data["Back"], data["Addendum"] = action, back, addendum
	data["Prefilled"] = m.Version == 0 && !addendum
	if preview {
		html, err := h.svc.render.Render(body)
		if err != nil {
			return err
		}
		data["Preview"] = html
	}
	return web.Render(c, "minutes/edit", data)
}

func (h *Handlers) save(c *fiber.Ctx) error {
	doc, err := docOf(c)
	if err != nil {
		return err
	}
	m, mv, err := h.editable(c, doc)
	if err != nil {
		return err
	}
	body := c.FormValue("body")
	if c.FormValue("action") == "preview" {
		return h.renderEdit(c, m, mv, body, false, true, nil)
	}
	if _, err := h.svc.Save(c.UserContext(), auth.PrincipalOf(c), doc, body); err != nil {
		if formFailure(err) {
			return h.renderEdit(c, m, mv, body, false, false, err)
		}
		return err
	}
	return redirectTo(c, docPath(doc), "saved")
}

// newAddendum loads the sealed minutes an addendum would correct, for
// their secretary.
func (h *Handlers) newAddendum(c *fiber.Ctx) (meetingView, error) {
	ctx := c.UserContext()
	p := auth.PrincipalOf(c)
	doc, err := docOf(c)
	if err != nil {
		return meetingView{}, err
	}
	main, err := h.svc.Get(ctx, p, doc)
	if err != nil {
		return meetingView{}, err
	}
	mt, err := h.svc.meetings.GetAs(ctx, p, doc.MeetingID)
	if err != nil {
		return meetingView{}, err
	}
	if !mt.IsSecretary(p.AccountID) {
		return meetingView{}, errs.Wrap(errs.Forbidden, notSecretary)
	}
	if !main.Sealed() {
		return meetingView{}, errs.Wrap(errs.Conflict, "An addendum corrects sealed minutes: the minutes of this meeting are not sealed yet.")
	}
	return viewMeeting(mt), nil
}

func (h *Handlers) newAddendumPage(c *fiber.Ctx) error {
	mv, err := h.newAddendum(c)
	if err != nil {
		return err
	}
	return h.renderEdit(c, Minutes{MeetingID: mv.ID}, mv, "", true, false, nil)
}

func (h *Handlers) startAddendum(c *fiber.Ctx) error {
	mv, err := h.newAddendum(c)
	if err != nil {
		return err
	}
	body := c.FormValue("body")
	if c.FormValue("action") == "preview" {
		return h.renderEdit(c, Minutes{MeetingID: mv.ID}, mv, body, true, true, nil)
	}
	m, err := h.svc.StartAddendum(c.UserContext(), auth.PrincipalOf(c), mv.ID, body)
	if err != nil {
		if formFailure(err) {
			return h.renderEdit(c, Minutes{MeetingID: mv.ID}, mv, body, true, false, err)
		}
		return err
	}
	return redirectTo(c, docPath(m.Doc()), "addendum")
}

// Versions and their comparison.

func (h *Handlers) versionsPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p := auth.PrincipalOf(c)
	doc, err := docOf(c)
	if err != nil {
		return err
	}
	versions, err := h.svc.Versions(ctx, p, doc)
	if err != nil {
		return err
	}
	mt, err := h.svc.meetings.GetAs(ctx, p, doc.MeetingID)
	if err != nil {
		return err
	}
	mv := viewMeeting(mt)
	type row struct {
		VersionInfo
		At meetings.TimeView
	}
	rows := make([]row, len(versions))
	for i, v := range versions {
		rows[i] = row{VersionInfo: v, At: mv.time(v.CreatedAt)}
	}
	slices.Reverse(rows)
	data := pageData(c, "Versions of "+docTitle(doc, mt.Title), nil)
	data["Meeting"], data["Versions"], data["Path"], data["Name"] = mv, rows, docPath(doc), doc.lowerName()
	if n := len(versions); n > 0 {
		data["To"], data["From"] = versions[n-1].Version, max(1, versions[n-1].Version-1)
	}
	return web.Render(c, "minutes/versions", data)
}

func (h *Handlers) versionPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p := auth.PrincipalOf(c)
	doc, err := docOf(c)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(c.Params("version"))
	if err != nil || n < 1 {
		return ErrNotFound
	}
	v, err := h.svc.Version(ctx, p, doc, n)
	if err != nil {
		return err
	}
	mt, err := h.svc.meetings.GetAs(ctx, p, doc.MeetingID)
	if err != nil {
		return err
	}
	html, err := h.svc.render.Render(v.Body)
	if err != nil {
		return err
	}
	mv := viewMeeting(mt)
	data := pageData(c, fmt.Sprintf("Version %d of %s", n, docTitle(doc, mt.Title)), nil)
	data["Meeting"], data["Version"], data["HTML"], data["Path"], data["At"] = mv, v, html, docPath(doc), mv.time(v.CreatedAt)
	return web.Render(c, "minutes/version", data)
}

func (h *Handlers) diffPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p := auth.PrincipalOf(c)
	doc, err := docOf(c)
	if err != nil {
		return err
	}
	versions, err := h.svc.Versions(ctx, p, doc)
	if err != nil {
		return err
	}
	mt, err := h.svc.meetings.GetAs(ctx, p, doc.MeetingID)
	if err != nil {
		return err
	}
	var v errs.Validation
	pick := func(field string, fallback int) int {
		raw := c.Query(field)
		if raw == "" {
			return fallback
		}
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > len(versions) {
			v.Add(field, "Choose one of the versions, 1 to %d.", len(versions))
			return fallback
		}
		return n
	}
	latest := len(versions)
	to := pick("to", latest)
	from := pick("from", max(1, to-1))
	data := pageData(c, "Compare versions of "+docTitle(doc, mt.Title), v.Err())
	data["Meeting"], data["Path"], data["Name"], data["From"], data["To"] = viewMeeting(mt), docPath(doc), doc.lowerName(), from, to
	numbers := make([]int, latest)
	for i := range numbers {
		numbers[i] = i + 1
	}
	data["Numbers"] = numbers
	if v.Err() == nil {
		older, err := h.svc.Version(ctx, p, doc, from)
		if err != nil {
			return err
		}
		newer, err := h.svc.Version(ctx, p, doc, to)
		if err != nil {
			return err
		}
		lines := Diff(older.Body, newer.Body)
		// The comparison goes line by line, so it cannot show a final line
		// break or a line ending that one version has and the other has
		// not; only the fingerprints tell such texts apart.
		data["Lines"], data["Changed"] = foldDiff(lines, diffContext), Changed(lines)
		data["SameText"] = older.BodyHash == newer.BodyHash
	}
	return web.Render(c, "minutes/diff", data)
}

// diffContext is how many unchanged lines the comparison shows around
// each change.
const diffContext = 3

// diffRow is a line of the comparison page, or, when Folded is above 0,
// that many unchanged lines left out.
type diffRow struct {
	DiffLine
	Folded int
}

// foldDiff leaves out the unchanged lines further than context from any
// change, so that a change in long minutes is found without scrolling
// through them all.
func foldDiff(lines []DiffLine, context int) []diffRow {
	near := make([]bool, len(lines))
	for i, l := range lines {
		if l.Kind == LineSame {
			continue
		}
		for j := max(0, i-context); j <= min(len(lines)-1, i+context); j++ {
			near[j] = true
		}
	}
	var out []diffRow
	for i := 0; i < len(lines); {
		if near[i] {
			out = append(out, diffRow{DiffLine: lines[i]})
			i++
			continue
		}
		j := i
		for j < len(lines) && !near[j] {
			j++
		}
		out = append(out, diffRow{Folded: j - i})
		i = j
	}
	return out
}

// The archive and the board's deadlines.

// archiveView is an item of the archive as its page shows it.
type archiveView struct {
	ArchiveItem
	Heading string
	Path    string
	Held    meetings.TimeView
}

func (h *Handlers) archivePage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p := auth.PrincipalOf(c)
	query := strings.TrimSpace(c.Query("q"))
	page, err := h.svc.Archive(ctx, p, ArchiveFilter{Query: query, Cursor: c.Query("cursor")})
	var formErr error
	if err != nil {
		if !errors.Is(err, errs.Invalid) {
			return err
		}
		formErr = err
	}
	title := "Minutes of general meetings"
	if query != "" {
		title = "Minutes matching " + strconv.Quote(query)
	}
	data := pageData(c, title, formErr)
	data["Query"] = query
	var items []archiveView
	for _, it := range page.Items {
		items = append(items, archiveView{ArchiveItem: it, Heading: docTitle(it.Doc(), it.Title), Path: docPath(it.Doc()),
			Held: meetings.TimeIn(it.MeetingStartsAt, zoneOf(it.TimeZone))})
	}
	data["Items"] = items
	if page.NextCursor != nil {
		next := url.Values{"cursor": {*page.NextCursor}}
		if query != "" {
			next.Set("q", query)
		}
		data["Next"] = "/minutes?" + next.Encode()
	}
	tasks, err := h.svc.Tasks(ctx, p)
	if err != nil {
		return err
	}
	type taskView struct {
		Task
		Path, Heading, Doing string
	}
	var tv []taskView
	for _, t := range tasks {
		doing := "Sign the text, or send it back with a comment"
		switch {
		case t.Status == StatusNotStarted:
			doing = "Write the minutes: the first draft is pre-filled from the meeting's record"
		case t.Role == RoleSecretary:
			doing = fmt.Sprintf("Finish the draft (version %d) and submit it for signing", t.Version)
		}
		tv = append(tv, taskView{Task: t, Path: docPath(t.Doc), Heading: docTitle(t.Doc, t.Title), Doing: doing})
	}
	data["Tasks"] = tv
	if p.HasAny(auth.RoleBoard, auth.RoleAuditor) {
		deadlines, err := h.svc.Deadlines(ctx, p)
		if err != nil {
			return err
		}
		late, soon := 0, 0
		for _, d := range deadlines {
			switch d.State {
			case DeadlinePassed:
				late++
			case DeadlineDueSoon:
				soon++
			}
		}
		data["Board"], data["Late"], data["Soon"] = true, late, soon
	}
	return web.Render(c, "minutes/index", data)
}

func (h *Handlers) deadlinesPage(c *fiber.Ctx) error {
	deadlines, err := h.svc.Deadlines(c.UserContext(), auth.PrincipalOf(c))
	if err != nil {
		return err
	}
	type deadlineView struct {
		Deadline
		Held, Due  meetings.TimeView
		Closed     *meetings.TimeView
		StatusText string
		Unsigned   []signerView
	}
	var late, soon, inTime []deadlineView
	for _, d := range deadlines {
		loc := zoneOf(d.TimeZone)
		v := deadlineView{Deadline: d, Held: meetings.TimeIn(d.HeldUntil, loc), Due: meetings.TimeIn(d.Deadline, loc),
			StatusText: StatusLabel(d.Status)}
		v.Closed = meetings.TimeAt(d.ClosedAt, loc)
		if d.Status == StatusNotStarted {
			v.StatusText = "Not started by the secretary"
		}
		for _, s := range d.Unsigned {
			v.Unsigned = append(v.Unsigned, signerView{Name: s.Name, Role: RoleLabel(s.Role)})
		}
		switch d.State {
		case DeadlinePassed:
			late = append(late, v)
		case DeadlineDueSoon:
			soon = append(soon, v)
		default:
			inTime = append(inTime, v)
		}
	}
	data := pageData(c, "Minutes waiting for signatures", nil)
	data["Late"], data["Soon"], data["InTime"] = late, soon, inTime
	return web.Render(c, "minutes/overdue", data)
}
