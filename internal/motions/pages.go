package motions

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/web"
)

// doneNotices are the confirmations shown after a change, by the name in
// ?done=.
var doneNotices = map[string]string{
	"proposed":  "Your motion is recorded. Another member must second it before it can be put to a vote.",
	"board":     "The board's motion is recorded. It needs no seconder and can be put to a vote.",
	"amended":   "Your amendment is recorded. Another member must second it before it can be put to a vote.",
	"board_amd": "The board's amendment is recorded. It is voted on before the motion it amends.",
	"seconded":  "You seconded the motion. It can now be put to a vote.",
	"withdrawn": "The motion was withdrawn.",
	"ballot":    "The ballot is open. Members on the voting list can vote now.",
	"majority":  "The majority the motion needs is set.",
}

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

func motionPath(id int64) string  { return fmt.Sprintf("/motions/%d", id) }
func ballotPath(id *int64) string { return fmt.Sprintf("/ballots/%d", *id) }

// formID reads an optional id from a form; what is not an id is an error
// for that field.
func formID(c *fiber.Ctx, name string, v *errs.Validation, message string) *int64 {
	raw := formValue(c, name)
	if raw == "" {
		return nil
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		v.Add(name, "%s", message)
		return nil
	}
	return &id
}

func (h *Handlers) mountPages(r fiber.Router) {
	r.Get("/meetings/:id/motions", h.indexPage)
	r.Post("/meetings/:id/motions", h.propose)
	r.Get("/motions/:id", h.showPage)
	r.Post("/motions/:id/amendments", h.amend)
	r.Post("/motions/:id/second", h.second)
	r.Post("/motions/:id/withdraw", h.withdraw)
	r.Post("/motions/:id/ballots", h.openBallot)
	r.Post("/motions/:id/majority", h.setMajority)
}

// motionView is a motion with what pages show of it.
type motionView struct {
	Motion
	Path         string
	StatusText   string
	MajorityText string
	Proposer     string
	Seconder     string
	// Item names the agenda item.
	Item string
	// Stale marks an amendment, still open, written against an earlier
	// text of the main motion than the current one.
	Stale bool
	Times motionTimes
}

// motionTimes are a motion's moments as its pages show them, like the
// meeting's own: in the meeting's zone with its name, in UTC, and (with
// public/js/osk.js) in the viewer's zone. A moment that has not come
// is nil.
type motionTimes struct {
	Submitted                            meetings.TimeView
	Seconded, Withdrawn, Voting, Decided *meetings.TimeView
}

// pageContext is what every motions page needs: who is asking, the
// meeting, and the names of the members on its motions.
type pageContext struct {
	c       members.Caller
	meeting meetings.Meeting
	names   map[int64]members.Summary
}

func (h *Handlers) pageContext(ctx context.Context, p auth.Principal, meetingID int64, ms ...Motion) (pageContext, error) {
	c, err := h.svc.members.CallerOf(ctx, p)
	if err != nil {
		return pageContext{}, err
	}
	m, err := h.svc.meetings.GetAs(ctx, p, meetingID)
	if err != nil {
		return pageContext{}, err
	}
	var ids []int64
	for _, mo := range ms {
		for _, id := range []*int64{mo.ProposerMemberID, mo.SeconderMemberID} {
			if id != nil {
				ids = append(ids, *id)
			}
		}
	}
	names, err := h.svc.members.SummariesOf(ctx, ids)
	if err != nil {
		return pageContext{}, err
	}
	return pageContext{c: c, meeting: m, names: names}, nil
}

func (pc pageContext) view(mo Motion, main *Motion) motionView {
	v := motionView{Motion: mo, Path: motionPath(mo.ID), StatusText: StatusLabel(mo.Status), MajorityText: MajorityLabel(mo.Majority)}
	loc := pc.meeting.Zone()
	v.Times = motionTimes{Submitted: meetings.TimeIn(mo.SubmittedAt, loc), Seconded: meetings.TimeAt(mo.SecondedAt, loc),
		Withdrawn: meetings.TimeAt(mo.WithdrawnAt, loc), Voting: meetings.TimeAt(mo.VotingAt, loc), Decided: meetings.TimeAt(mo.DecidedAt, loc)}
	if mo.ByBoard {
		v.Proposer = "The board"
	} else {
		v.Proposer = pc.names[*mo.ProposerMemberID].Label()
	}
	if mo.SeconderMemberID != nil {
		v.Seconder = pc.names[*mo.SeconderMemberID].Label()
	}
	if it := agendaItem(pc.meeting, mo.AgendaItemID); it != nil {
		v.Item = fmt.Sprintf("%d. %s", it.Position, it.Title)
	}
	if main != nil && mo.Open() && mo.StaleAgainst(main.Version) {
		v.Stale = true
	}
	if main != nil && mo.Open() && !main.Open() {
		switch {
		case mo.Status == StatusSubmitted:
			v.StatusText = "Fell: nobody seconded it before the motion was put to the vote"
		case v.Stale:
			v.StatusText = "Fell: written against an earlier text, it was not proposed again before the motion was put to the vote"
		}
	}
	return v
}

// proposer is one choice of whom to propose or second as: "board" for
// the board, or the id of an active member the caller acts for.
type proposer struct {
	Value string
	Label string
}

// proposers lists whom the caller may propose a motion (or, with
// amendment, an amendment) as now; inTime says whether members' main
// motions are still in time.
func (pc pageContext) proposers(amendment bool, inTime func() bool) []proposer {
	var out []proposer
	m := pc.meeting
	if m.Finished() {
		return nil
	}
	if pc.c.Board() {
		out = append(out, proposer{Value: "board", Label: "The board"})
	}
	if m.Status == meetings.StatusConvened || m.Status == meetings.StatusInSession {
		if amendment || inTime() {
			for _, mem := range pc.c.Acting() {
				label := "Yourself, as a member"
				if mem.Kind == members.KindOrganisation {
					label = mem.Name + ", the organisation you represent"
				}
				out = append(out, proposer{Value: strconv.FormatInt(mem.ID, 10), Label: label})
			}
		}
	}
	return out
}

// proposerOf reads the proposer chosen on a form: nil for the board (or
// the caller's own membership when they are not on it), else a member.
func proposerOf(c *fiber.Ctx, v *errs.Validation) *int64 {
	if formValue(c, "proposer") == "board" {
		return nil
	}
	return formID(c, "proposer", v, "Choose whom you propose the motion as.")
}

// indexPage lists a meeting's motions, with the form to propose one.
func (h *Handlers) indexPage(c *fiber.Ctx) error {
	id, err := web.PathID(c, "id", meetings.ErrNotFound)
	if err != nil {
		return err
	}
	return h.renderIndex(c, id, nil)
}

func (h *Handlers) renderIndex(c *fiber.Ctx, id int64, formErr error) error {
	ctx := c.UserContext()
	p := auth.PrincipalOf(c)
	all, err := h.svc.All(ctx, p, id)
	if err != nil {
		return err
	}
	pc, err := h.pageContext(ctx, p, id, all...)
	if err != nil {
		return err
	}
	type group struct {
		motionView
		Amendments []motionView
	}
	var groups []group
	byID := map[int64]int{}
	for _, mo := range all {
		if !mo.IsAmendment() {
			byID[mo.ID] = len(groups)
			groups = append(groups, group{motionView: pc.view(mo, nil)})
		}
	}
	for _, mo := range all {
		if mo.IsAmendment() {
			g := &groups[byID[*mo.AmendsMotionID]]
			g.Amendments = append(g.Amendments, pc.view(mo, &g.Motion))
		}
	}
	m := pc.meeting
	beforeDeadline := !h.svc.clock.Now().After(m.MemberMotionDeadline)
	proposers := pc.proposers(false, func() bool { return beforeDeadline })
	selected := formValue(c, "proposer")
	if selected == "" && len(proposers) > 0 {
		selected = proposers[0].Value
	}
	data := formData(c, "Motions: "+m.Title, formErr, fiber.Map{
		"Meeting": m, "Groups": groups, "Proposers": proposers, "Board": pc.c.Board(),
		"Starts":         meetings.TimeIn(m.StartsAt, m.Zone()),
		"Deadline":       meetings.TimeIn(m.MemberMotionDeadline, m.Zone()),
		"BeforeDeadline": beforeDeadline,
		"Member":         pc.c.IsMember(),
		"Majorities":     majorityOptions(nil),
		"Done":           doneNotices[c.Query("done")],
		"Values": fiber.Map{"title": formValue(c, "title"), "body": c.FormValue("body"),
			"agenda_item_id": formValue(c, "agenda_item_id"), "majority": formValue(c, "majority"), "proposer": selected},
	})
	return web.Render(c, "motions/index", data)
}

type option struct {
	Value string
	Label string
}

// majorityOptions lists the majorities a motion on item may need: on an
// item that changes the rules, none below two thirds.
func majorityOptions(item *meetings.AgendaItem) []option {
	var out []option
	for _, m := range Majorities {
		if item == nil || !item.RuleChange || strength(m) >= strength(RuleChangeMajority) {
			out = append(out, option{Value: m, Label: MajorityLabel(m)})
		}
	}
	return out
}

func (h *Handlers) propose(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	id, err := web.PathID(c, "id", meetings.ErrNotFound)
	if err != nil {
		return err
	}
	var v errs.Validation
	in := Proposal{Title: formValue(c, "title"), Body: c.FormValue("body"), MemberID: proposerOf(c, &v),
		AgendaItemID: formID(c, "agenda_item_id", &v, "Choose an item of the agenda.")}
	if raw := formValue(c, "majority"); raw != "" {
		in.Majority = &raw
	}
	err = v.Err()
	var d Detail
	if err == nil {
		d, err = h.svc.Propose(c.UserContext(), p, id, in)
	}
	if err != nil {
		if formFailure(err) {
			return h.renderIndex(c, id, err)
		}
		return err
	}
	if d.ByBoard {
		return redirectTo(c, motionPath(d.ID), "board")
	}
	return redirectTo(c, motionPath(d.ID), "proposed")
}

// versionView is one text of a motion, rendered.
type versionView struct {
	Number int
	// Created is when the text was made, as pages show a time.
	Created     meetings.TimeView
	AmendmentID *int64
	HTML        template.HTML
	Latest      bool
}

func (h *Handlers) showPage(c *fiber.Ctx) error {
	id, err := web.PathID(c, "id", ErrNotFound)
	if err != nil {
		return err
	}
	return h.renderShow(c, id, nil, "")
}

// renderShow renders a motion's page; after a failed form on it, formErr
// and the form's name say what to show where.
func (h *Handlers) renderShow(c *fiber.Ctx, id int64, formErr error, form string) error {
	ctx := c.UserContext()
	p := auth.PrincipalOf(c)
	d, err := h.svc.GetAs(ctx, p, id)
	if err != nil {
		return err
	}
	var main *Detail
	if d.IsAmendment() {
		md, err := h.svc.Get(ctx, *d.AmendsMotionID)
		if err != nil {
			return err
		}
		main = &md
	}
	named := append([]Motion{d.Motion}, d.Amendments...)
	pc, err := h.pageContext(ctx, p, d.MeetingID, named...)
	if err != nil {
		return err
	}
	m := pc.meeting
	var mainView *motionView
	var self motionView
	if main != nil {
		mv := pc.view(main.Motion, nil)
		mainView = &mv
		self = pc.view(d.Motion, &main.Motion)
	} else {
		self = pc.view(d.Motion, nil)
	}
	amendments := make([]motionView, len(d.Amendments))
	var pending, unseconded, outdated []motionView
	for i, a := range d.Amendments {
		amendments[i] = pc.view(a, &d.Motion)
		switch {
		case a.HoldsBack(d.Version):
			pending = append(pending, amendments[i])
		case a.Status == StatusSubmitted && d.Open():
			unseconded = append(unseconded, amendments[i])
		case a.Status == StatusSeconded && d.Open():
			outdated = append(outdated, amendments[i])
		}
	}
	versions := make([]versionView, len(d.Versions))
	var text template.HTML
	for i, ver := range d.Versions {
		html, err := h.md.render(ver.Body)
		if err != nil {
			return err
		}
		versions[i] = versionView{Number: ver.Version, Created: meetings.TimeIn(ver.CreatedAt, m.Zone()), AmendmentID: ver.AmendmentID, HTML: html, Latest: ver.Version == d.Version}
		if versions[i].Latest {
			text = html
		}
	}
	var mainHTML template.HTML
	if main != nil {
		if mainHTML, err = h.md.render(main.Body); err != nil {
			return err
		}
	}

	// What the viewer may do; the service decides again when they do it.
	finished := m.Finished()
	var secondAs []proposer
	if !finished && !d.ByBoard && d.Status == StatusSubmitted && d.ProposerAccountID != p.AccountID {
		for _, mem := range pc.c.Acting() {
			if mem.ID != *d.ProposerMemberID {
				secondAs = append(secondAs, proposer{Value: strconv.FormatInt(mem.ID, 10), Label: mem.Name})
			}
		}
	}
	canWithdraw := false
	if !finished && d.Open() {
		if d.ByBoard {
			canWithdraw = pc.c.Board()
		} else {
			_, canWithdraw = pc.c.ActsFor(*d.ProposerMemberID)
		}
	}
	var amendAs []proposer
	if !d.IsAmendment() && d.Open() {
		amendAs = pc.proposers(true, func() bool { return true })
	}
	chair := m.IsChair(p.AccountID)
	mayBallot := !finished && (mayOpen(p, pc.c, m, ballots.ElectorateRepresented) == nil ||
		mayOpen(p, pc.c, m, ballots.ElectorateAllMembers) == nil)
	// Why an amendment ready for a vote still cannot have one; one whose
	// motion went to the vote without it fell, as its status says.
	fell := main != nil && !main.Open()
	var blocked string
	if main != nil && !fell && d.ReadyForBallot() {
		if err := amendmentReady(d.Motion, *main); err != nil {
			blocked = errs.Message(err)
		}
	}
	canBallot := mayBallot && !fell && d.ReadyForBallot() && len(pending) == 0 && blocked == ""
	item := agendaItem(m, d.AgendaItemID)
	var majorities []option
	if !finished && pc.c.Board() && d.Open() && (main == nil || main.Open()) {
		majorities = majorityOptions(item)
	}
	majority := d.Majority

	title := d.Title
	if d.IsAmendment() {
		title = "Amendment: " + d.Title
	}
	amendValues := fiber.Map{"title": "", "body": d.Body, "proposer": ""}
	ballotValues := fiber.Map{"secret": "no", "closes_at": "", "electorate": ballots.ElectorateRepresented}
	switch form {
	case "amend":
		amendValues = fiber.Map{"title": formValue(c, "title"), "body": c.FormValue("body"), "proposer": formValue(c, "proposer")}
	case "ballot":
		ballotValues = fiber.Map{"secret": formValue(c, "secret"), "closes_at": formValue(c, "closes_at"), "electorate": formValue(c, "electorate")}
	case "majority":
		majority = formValue(c, "majority")
	}
	if amendValues["proposer"] == "" && len(amendAs) > 0 {
		amendValues["proposer"] = amendAs[0].Value
	}
	data := formData(c, title, formErr, fiber.Map{
		"Meeting": m, "Motion": self, "Main": mainView, "MainHTML": mainHTML, "TextHTML": text,
		"Versions": versions, "Amendments": amendments, "Pending": pending, "Unseconded": unseconded, "Outdated": outdated,
		"SecondAs": secondAs, "CanWithdraw": canWithdraw, "AmendAs": amendAs,
		"CanBallot": canBallot, "MayBallot": mayBallot, "Blocked": blocked, "Chair": chair,
		"Majorities": majorities, "MajorityValue": majority, "RuleChange": item != nil && item.RuleChange,
		"InSession": m.Status == meetings.StatusInSession,
		"Ballot":    ballotLink(d.BallotID),
		"Form":      form, "Done": doneNotices[c.Query("done")],
		"AmendValues": amendValues, "BallotValues": ballotValues,
	})
	return web.Render(c, "motions/show", data)
}

func ballotLink(id *int64) string {
	if id == nil {
		return ""
	}
	return ballotPath(id)
}

// motionForm runs a form on a motion's page: on a wrong value or state,
// the page comes back with the message by the form.
func (h *Handlers) motionForm(c *fiber.Ctx, form string, do func(ctx context.Context, p auth.Principal, id int64) (string, error)) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	id, err := web.PathID(c, "id", ErrNotFound)
	if err != nil {
		return err
	}
	to, err := do(c.UserContext(), p, id)
	if err != nil {
		if formFailure(err) {
			return h.renderShow(c, id, err, form)
		}
		return err
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}

func (h *Handlers) amend(c *fiber.Ctx) error {
	return h.motionForm(c, "amend", func(ctx context.Context, p auth.Principal, id int64) (string, error) {
		d, err := h.svc.GetAs(ctx, p, id)
		if err != nil {
			return "", err
		}
		var v errs.Validation
		in := Proposal{Title: formValue(c, "title"), Body: c.FormValue("body"), AmendsMotionID: &id, MemberID: proposerOf(c, &v)}
		if err := v.Err(); err != nil {
			return "", err
		}
		a, err := h.svc.Propose(ctx, p, d.MeetingID, in)
		if err != nil {
			return "", err
		}
		done := "amended"
		if a.ByBoard {
			done = "board_amd"
		}
		return motionPath(a.ID) + "?done=" + done, nil
	})
}

func (h *Handlers) second(c *fiber.Ctx) error {
	return h.motionForm(c, "second", func(ctx context.Context, p auth.Principal, id int64) (string, error) {
		var v errs.Validation
		member := formID(c, "member_id", &v, "Choose whom you second the motion as.")
		if err := v.Err(); err != nil {
			return "", err
		}
		if _, err := h.svc.Second(ctx, p, id, member); err != nil {
			return "", err
		}
		return motionPath(id) + "?done=seconded", nil
	})
}

func (h *Handlers) withdraw(c *fiber.Ctx) error {
	return h.motionForm(c, "withdraw", func(ctx context.Context, p auth.Principal, id int64) (string, error) {
		if _, err := h.svc.Withdraw(ctx, p, id); err != nil {
			return "", err
		}
		return motionPath(id) + "?done=withdrawn", nil
	})
}

func (h *Handlers) openBallot(c *fiber.Ctx) error {
	return h.motionForm(c, "ballot", func(ctx context.Context, p auth.Principal, id int64) (string, error) {
		var v errs.Validation
		req := BallotRequest{ClosesAt: formValue(c, "closes_at"), Electorate: formValue(c, "electorate")}
		switch formValue(c, "secret") {
		case "yes":
			req.Secret = true
		case "no":
		default:
			v.Add("secret", "Choose whether the ballot is secret.")
		}
		if err := v.Err(); err != nil {
			return "", err
		}
		if _, err := h.svc.OpenBallot(ctx, p, id, req); err != nil {
			return "", err
		}
		return motionPath(id) + "?done=ballot", nil
	})
}

func (h *Handlers) setMajority(c *fiber.Ctx) error {
	return h.motionForm(c, "majority", func(ctx context.Context, p auth.Principal, id int64) (string, error) {
		if _, err := h.svc.SetMajority(ctx, p, id, formValue(c, "majority")); err != nil {
			return "", err
		}
		return motionPath(id) + "?done=majority", nil
	})
}
