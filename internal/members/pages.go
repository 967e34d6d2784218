package members

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/web"
)

// StatusLabel says the status in words for pages.
func (m Member) StatusLabel() string {
	switch m.Status {
	case StatusApplicant:
		return "Applied: waiting for the board's decision"
	case StatusActive:
		return "Active member"
	case StatusSuspended:
		return "Suspended"
	case StatusResigned:
		return "Resigned"
	case StatusExpelled:
		return "Expelled"
	case StatusRejected:
		return "Application not accepted"
	}
	return m.Status
}

// KindLabel says the kind in words for pages.
func (m Member) KindLabel() string {
	if m.Kind == KindOrganisation {
		return "Organisation"
	}
	return "Individual"
}

// doneNotices are the confirmations shown after a change, by the name in
// ?done=.
var doneNotices = map[string]string{
	"applied":        "Thank you: your application has gone to the board. We have emailed you a copy, and we will email you when the board has decided.",
	"admit":          "The applicant is now a member, and has been told by email.",
	"reject":         "The application was not accepted, and the applicant has been told why by email.",
	"suspend":        "The membership is suspended, and the member has been told why by email.",
	"reinstate":      "The membership is active again, and the member has been told by email.",
	"expel":          "The member was expelled, and has been told why by email.",
	"resign":         "The resignation is recorded, and a confirmation has been sent by email.",
	"erase":          "The personal data was erased. The member number and the history remain.",
	"contact":        "The contact details were saved.",
	"share":          "The share contribution entry was recorded.",
	"share-due":      "The amount due was changed.",
	"representative": "The representative was changed.",
}

func doneNotice(c *fiber.Ctx) string { return doneNotices[c.Query("done")] }

func formValue(c *fiber.Ctx, name string) string { return strings.TrimSpace(c.FormValue(name)) }

// formFailure reports whether err is one a form shows to the person who
// filled it in (a wrong value, or a state that forbids the change), rather
// than an error page.
func formFailure(err error) bool {
	return errors.Is(err, errs.Invalid) || errors.Is(err, errs.Conflict)
}

// formData completes the data of a form's page: its title and heading,
// and after a failed submission the errors, the status and a title that
// says so first.
func formData(c *fiber.Ctx, title string, formErr error, data fiber.Map) fiber.Map {
	data["Title"], data["Heading"] = title, title
	if formErr != nil {
		data["Title"] = "Error: " + title
		web.AddFormErrors(data, countryFromTheList(formErr))
		c.Status(web.StatusOf(formErr))
	}
	return data
}

// countryFromTheList words a refused country for a form: the register's
// message also tells API clients that a two-letter code will do, which
// means nothing to someone choosing from the form's list.
func countryFromTheList(err error) error {
	var v *errs.Validation
	if errors.As(err, &v) {
		for i := range v.Fields {
			if v.Fields[i].Field == "country" {
				v.Fields[i].Message = "Choose a country from the list."
			}
		}
	}
	return err
}

// standingOf says how an account stands with the co-op from the members
// it acts for, for the menu and for what a refused page tells them.
func standingOf(mine []Member) string {
	has := func(status string) bool {
		return slices.ContainsFunc(mine, func(m Member) bool { return m.Status == status })
	}
	switch {
	case has(StatusActive):
		return web.StandingMember
	case has(StatusApplicant):
		return web.StandingApplicant
	case has(StatusSuspended):
		return web.StandingSuspended
	}
	return web.StandingNone
}

// Standing tells every page after it how the signed-in viewer stands with
// the co-op, for the menu and for what a refused page tells them; the
// server uses it ahead of every page. The API renders no page, so its
// requests skip the read.
func (h *Handlers) Standing(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if !p.SignedIn() || p.ViaToken || web.IsAPI(c) {
		return c.Next()
	}
	mine, err := h.svc.ActingFor(c.UserContext(), p.AccountID)
	if err != nil {
		return err
	}
	v := web.ViewerOf(c)
	v.Standing = standingOf(mine)
	web.SetViewer(c, v)
	return c.Next()
}

// statusWords name the statuses in the register's tabs, in its Status
// filter and in a member's status history, so that all three read alike;
// the history says "Applied" where the tabs list "Applications".
var statusWords = map[string]string{
	StatusApplicant: "Applications",
	StatusActive:    "Active",
	StatusSuspended: "Suspended",
	StatusResigned:  "Resigned",
	StatusExpelled:  "Expelled",
	StatusRejected:  "Not accepted",
}

func redirectTo(c *fiber.Ctx, path, done string) error {
	return c.Redirect(path+"?done="+url.QueryEscape(done), fiber.StatusSeeOther)
}

func memberPath(id int64) string { return fmt.Sprintf("/members/%d", id) }

func (h *Handlers) mountPages(r fiber.Router, limited func(fiber.Handler) []fiber.Handler) {
	r.Get("/apply", h.applyPage)
	r.Post("/apply", limited(h.apply)...)
	r.Get("/membership", h.membershipPage)
	r.Get("/members", h.registerPage)
	r.Get("/members/:id", h.showPage)
	for _, a := range h.actions() {
		r.Get("/members/:id/"+a.name, h.actionPage(a))
		r.Post("/members/:id/"+a.name, h.doAction(a))
	}
	r.Get("/members/:id/contact", h.contactPage)
	r.Post("/members/:id/contact", h.saveContact)
	r.Get("/members/:id/share", h.sharePage)
	r.Post("/members/:id/share", h.recordShare)
	r.Get("/members/:id/share-due", h.shareDuePage)
	r.Post("/members/:id/share-due", h.saveShareDue)
	r.Get("/members/:id/representative", h.representativePage)
	r.Post("/members/:id/representative", h.saveRepresentative)
}

// The application form.

func (h *Handlers) applyPage(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	return h.renderApply(c, p, Application{Kind: KindIndividual, Name: p.Name, Email: p.Email}, nil)
}

func (h *Handlers) renderApply(c *fiber.Ctx, p auth.Principal, a Application, formErr error) error {
	mine, err := h.svc.Mine(c.UserContext(), p)
	if err != nil {
		return err
	}
	var current *Member
	for i := range mine {
		if mine[i].Kind == KindIndividual && !mine[i].Former() {
			current = &mine[i]
		}
	}
	if current != nil && formErr == nil {
		// Someone who has a membership can only apply for an organisation.
		a.Kind, a.Name = KindOrganisation, ""
	}
	data := formData(c, "Apply to become a member", formErr, fiber.Map{
		"Form":      a,
		"Countries": Countries,
		"Current":   current,
	})
	return web.Render(c, "members/apply", data)
}

func (h *Handlers) apply(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	a := Application{
		Kind:               formValue(c, "kind"),
		Name:               formValue(c, "name"),
		Email:              formValue(c, "email"),
		Country:            formValue(c, "country"),
		Address:            formValue(c, "address"),
		OrganisationNumber: formValue(c, "organisation_number"),
		Statement:          formValue(c, "statement"),
		AcceptRules:        c.FormValue("accept_rules") == "yes",
	}
	if _, err := h.svc.Apply(c.UserContext(), p, a); err != nil {
		if formFailure(err) {
			return h.renderApply(c, p, a, err)
		}
		return err
	}
	return redirectTo(c, "/membership", "applied")
}

// The member's own page.

func (h *Handlers) membershipPage(c *fiber.Ctx) error {
	mine, err := h.svc.Mine(c.UserContext(), auth.PrincipalOf(c))
	if err != nil {
		return err
	}
	reps := map[int64]string{}
	for _, m := range mine {
		if m.RepresentativeAccountID != nil {
			if reps[m.ID], err = h.svc.AccountName(c.UserContext(), *m.RepresentativeAccountID); err != nil {
				return err
			}
		}
	}
	return web.Render(c, "members/membership", fiber.Map{
		"Title":           "Your membership",
		"Members":         mine,
		"Representatives": reps,
		"Done":            doneNotice(c),
		"Zone":            HomeZone,
	})
}

// The register, for the board and auditors.

func (h *Handlers) registerPage(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	f := ListFilter{Status: c.Query("status"), Kind: c.Query("kind"), Q: c.Query("q"), Cursor: c.Query("cursor")}
	counts, err := h.svc.Counts(c.UserContext(), p)
	if err != nil {
		return err
	}
	title := "Member register"
	if f.Status == StatusApplicant {
		title = "Applications waiting for the board"
	}
	page, err := h.svc.List(c.UserContext(), p, f)
	if err != nil && !formFailure(err) {
		return err
	}
	filters := url.Values{}
	for k, v := range map[string]string{"status": f.Status, "kind": f.Kind, "q": f.Q} {
		if v != "" {
			filters.Set(k, v)
		}
	}
	data := formData(c, title, err, fiber.Map{
		"Filter":      f,
		"Counts":      counts,
		"Statuses":    Statuses,
		"StatusWords": statusWords,
		"Items":       page.Items,
		"First":       "/members?" + filters.Encode(),
		"Zone":        HomeZone,
	})
	if page.NextCursor != nil {
		filters.Set("cursor", *page.NextCursor)
		data["Next"] = "/members?" + filters.Encode()
	}
	return web.Render(c, "members/index", data)
}

// One member's entry and history.

func (h *Handlers) showPage(c *fiber.Ctx) error {
	id, err := memberID(c)
	if err != nil {
		return err
	}
	p := auth.PrincipalOf(c)
	hist, err := h.svc.History(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	m := hist.Member
	representative := ""
	if m.RepresentativeAccountID != nil {
		if representative, err = h.svc.AccountName(c.UserContext(), *m.RepresentativeAccountID); err != nil {
			return err
		}
	}
	board := p.Has(auth.RoleBoard) && !m.ActsFor(p.AccountID)
	return web.Render(c, "members/show", fiber.Map{
		"Title":          m.DisplayName(),
		"Member":         m,
		"History":        hist,
		"Representative": representative,
		"Board":          board,
		"Own":            m.ActsFor(p.AccountID),
		"Done":           doneNotice(c),
		"Zone":           HomeZone,
		"EventWords":     eventWords,
		"StatusWords":    statusWords,
	})
}

// eventWords says the audit actions of the register in words.
var eventWords = map[string]string{
	"member.applied":                "Applied",
	"member.admitted":               "Admitted",
	"member.rejected":               "Application not accepted",
	"member.suspended":              "Suspended",
	"member.reinstated":             "Reinstated",
	"member.expelled":               "Expelled",
	"member.resigned":               "Resigned",
	"member.contact_changed":        "Contact details changed",
	"member.representative_changed": "Representative changed",
	"member.share_paid":             "Share contribution paid",
	"member.share_refunded":         "Share contribution returned",
	"member.share_due_changed":      "Share contribution due changed",
	"member.erased":                 "Personal data erased",
}

// The forms of the life cycle: one page each.

type action struct {
	name   string
	title  string // with the member's name for %s
	intro  string
	button string
	// boardTitle and boardButton replace title and button when the board
	// records what the member did (a resignation).
	boardTitle  string
	boardButton string
	// warning marks a decision that ends or restricts a membership.
	warning bool
	// board actions are the board's alone; the others are also the
	// member's own (resigning).
	board bool
	// fields are the inputs the form shows.
	fields []string
	// allowed refuses the form when the member's status does not allow it.
	allowed func(m Member) error
	run     func(ctx context.Context, svc *Service, p auth.Principal, id int64, c *fiber.Ctx) (Member, error)
}

func moveAllowed(mv move) func(Member) error {
	return func(m Member) error {
		if !m.Can(mv.name) {
			return refuse(mv, m)
		}
		return nil
	}
}

func withReason(decide func(context.Context, auth.Principal, int64, string) (Member, error)) func(context.Context, *Service, auth.Principal, int64, *fiber.Ctx) (Member, error) {
	return func(ctx context.Context, _ *Service, p auth.Principal, id int64, c *fiber.Ctx) (Member, error) {
		return decide(ctx, p, id, formValue(c, "reason"))
	}
}

func (h *Handlers) actions() []action {
	return []action{
		{
			name: "admit", title: "Admit %s", button: "Admit as a member", board: true,
			intro:   "The applicant becomes an active member with the next member number, and is told by email.",
			fields:  []string{"decision", "share_due"},
			allowed: moveAllowed(admitMove),
			run: func(ctx context.Context, svc *Service, p auth.Principal, id int64, c *fiber.Ctx) (Member, error) {
				return svc.Admit(ctx, p, id, Admission{Decision: formValue(c, "decision"), ShareDue: formValue(c, "share_due")})
			},
		},
		{
			name: "reject", title: "Do not accept the application of %s", button: "Do not accept", warning: true, board: true,
			intro:   "The applicant is told by email, with the reason you give.",
			fields:  []string{"reason"},
			allowed: moveAllowed(rejectMove),
			run:     withReason(h.svc.Reject),
		},
		{
			name: "suspend", title: "Suspend %s", button: "Suspend the membership", warning: true, board: true,
			intro:   "A suspended member cannot vote or take part in general meetings until the board reinstates them. The member is told by email, with the reason you give.",
			fields:  []string{"reason"},
			allowed: moveAllowed(suspendMove),
			run:     withReason(h.svc.Suspend),
		},
		{
			name: "reinstate", title: "Reinstate %s", button: "Reinstate", board: true,
			intro:   "The membership becomes active again. The member is told by email, with the reason you give.",
			fields:  []string{"reason"},
			allowed: moveAllowed(reinstateMove),
			run:     withReason(h.svc.Reinstate),
		},
		{
			name: "expel", title: "Expel %s", button: "Expel the member", warning: true, board: true,
			intro:   "The membership ends today. The member is told by email, with the reason you give, and may ask for a general meeting to review the decision.",
			fields:  []string{"reason"},
			allowed: moveAllowed(expelMove),
			run:     withReason(h.svc.Expel),
		},
		{
			name: "resign", title: "Resign the membership of %s", button: "Resign", warning: true,
			boardTitle: "Record the resignation of %s", boardButton: "Record the resignation",
			intro:   "The membership ends. The register keeps the entry until any share contribution has been returned.",
			fields:  []string{"effective_on"},
			allowed: moveAllowed(resignMove),
			run: func(ctx context.Context, svc *Service, p auth.Principal, id int64, c *fiber.Ctx) (Member, error) {
				return svc.Resign(ctx, p, id, Resignation{EffectiveOn: formValue(c, "effective_on")})
			},
		},
		{
			name: "erase", title: "Erase the personal data of %s", button: "Erase the personal data", warning: true, board: true,
			intro: "Do this only when the former member asks for it and no legal record needs the data. The name, contact details and link to an account are removed from the register for good. The member number, the status history and the share record remain. The person's sign-in account, with the name and email they sign in with, is separate and stays.",
			allowed: func(m Member) error {
				switch {
				case m.Erased():
					return errs.Wrap(errs.Conflict, "This former member's personal data has already been erased.")
				case !m.Former():
					return errs.Wrap(errs.Conflict, "Only a former member's or a rejected applicant's personal data can be erased; this member is %s.", statusInSentence(m.Status))
				}
				return nil
			},
			run: func(ctx context.Context, svc *Service, p auth.Principal, id int64, _ *fiber.Ctx) (Member, error) {
				return svc.Erase(ctx, p, id)
			},
		},
	}
}

func (h *Handlers) actionMember(c *fiber.Ctx, a action) (Member, auth.Principal, error) {
	p := auth.PrincipalOf(c)
	id, err := memberID(c)
	if err != nil {
		return Member{}, p, err
	}
	var m Member
	if a.board {
		m, err = h.svc.GetForBoard(c.UserContext(), p, id)
	} else {
		m, err = h.svc.GetOwnOrBoard(c.UserContext(), p, id)
	}
	return m, p, err
}

func (h *Handlers) actionPage(a action) fiber.Handler {
	return func(c *fiber.Ctx) error {
		m, p, err := h.actionMember(c, a)
		if err != nil {
			return err
		}
		if err := a.allowed(m); err != nil {
			return err
		}
		return h.renderAction(c, a, m, p, nil)
	}
}

func (h *Handlers) renderAction(c *fiber.Ctx, a action, m Member, p auth.Principal, formErr error) error {
	fields := map[string]bool{}
	for _, f := range a.fields {
		fields[f] = true
	}
	title, button := a.title, a.button
	if a.boardTitle != "" && !m.ActsFor(p.AccountID) {
		title, button = a.boardTitle, a.boardButton
	}
	shareDue, currency, err := h.svc.shareDefault(c.UserContext())
	if err != nil {
		return err
	}
	data := formData(c, fmt.Sprintf(title, m.DisplayName()), formErr, fiber.Map{
		"Action":  a.name,
		"Intro":   a.intro,
		"Button":  button,
		"Warning": a.warning,
		"Fields":  fields,
		"Member":  m,
		"Board":   p.Has(auth.RoleBoard),
		"Own":     m.ActsFor(p.AccountID),
		"Values": fiber.Map{
			"decision":     formValue(c, "decision"),
			"share_due":    formValue(c, "share_due"),
			"reason":       formValue(c, "reason"),
			"effective_on": formValue(c, "effective_on"),
		},
		"Today":      dayOf(h.svc.clock.Now(), h.svc.zone).Format("2006-01-02"),
		"ShareDue":   shareDue,
		"Currency":   currency,
		"BackToSelf": m.ActsFor(p.AccountID) && !p.Has(auth.RoleBoard),
	})
	return web.Render(c, "members/action", data)
}

func (h *Handlers) doAction(a action) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := auth.PrincipalOf(c)
		id, err := memberID(c)
		if err != nil {
			return err
		}
		m, err := a.run(c.UserContext(), h.svc, p, id, c)
		if err != nil {
			if !formFailure(err) {
				return err
			}
			current, getErr := h.svc.GetAs(c.UserContext(), p, id)
			if getErr != nil {
				return getErr
			}
			return h.renderAction(c, a, current, p, err)
		}
		if m.ActsFor(p.AccountID) && !p.Has(auth.RoleBoard) {
			return redirectTo(c, "/membership", a.name)
		}
		return redirectTo(c, memberPath(id), a.name)
	}
}

// Contact details.

func (h *Handlers) contactPage(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	id, err := memberID(c)
	if err != nil {
		return err
	}
	m, err := h.svc.GetOwnOrBoard(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	if m.Erased() {
		return errs.Wrap(errs.Conflict, "This former member's personal data has been erased.")
	}
	return h.renderContact(c, p, m, m, nil)
}

func (h *Handlers) renderContact(c *fiber.Ctx, p auth.Principal, m, form Member, formErr error) error {
	data := formData(c, "Contact details of "+m.DisplayName(), formErr, fiber.Map{
		"Member":    m,
		"Form":      form,
		"Countries": Countries,
		"Own":       m.ActsFor(p.AccountID),
	})
	return web.Render(c, "members/contact", data)
}

func (h *Handlers) saveContact(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	id, err := memberID(c)
	if err != nil {
		return err
	}
	name, email, address, country := formValue(c, "name"), formValue(c, "email"), formValue(c, "address"), formValue(c, "country")
	m, err := h.svc.UpdateContact(c.UserContext(), p, id, ContactChange{Name: &name, Email: &email, Address: &address, Country: &country})
	if err != nil {
		if !formFailure(err) {
			return err
		}
		current, getErr := h.svc.GetOwnOrBoard(c.UserContext(), p, id)
		if getErr != nil {
			return getErr
		}
		form := current
		form.Name, form.Email, form.Address, form.Country = name, email, address, country
		return h.renderContact(c, p, current, form, err)
	}
	if m.ActsFor(p.AccountID) && !p.Has(auth.RoleBoard) {
		return redirectTo(c, "/membership", "contact")
	}
	return redirectTo(c, memberPath(id), "contact")
}

// Share contributions.

func (h *Handlers) sharePage(c *fiber.Ctx) error {
	return h.renderShare(c, nil)
}

func (h *Handlers) renderShare(c *fiber.Ctx, formErr error) error {
	p := auth.PrincipalOf(c)
	id, err := memberID(c)
	if err != nil {
		return err
	}
	if _, err := h.svc.GetForBoard(c.UserContext(), p, id); err != nil {
		return err
	}
	hist, err := h.svc.History(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	kind := formValue(c, "kind")
	if kind == "" {
		kind = ShareKindPayment
	}
	data := formData(c, "Share contribution of "+hist.Member.DisplayName(), formErr, fiber.Map{
		"Member":  hist.Member,
		"History": hist,
		"Today":   dayOf(h.svc.clock.Now(), h.svc.zone).Format("2006-01-02"),
		"Values": fiber.Map{
			"kind": kind, "amount": formValue(c, "amount"), "paid_on": formValue(c, "paid_on"), "note": formValue(c, "note"),
		},
	})
	return web.Render(c, "members/share", data)
}

func (h *Handlers) recordShare(c *fiber.Ctx) error {
	id, err := memberID(c)
	if err != nil {
		return err
	}
	_, err = h.svc.RecordShare(c.UserContext(), auth.PrincipalOf(c), id, ShareEntry{
		Kind: formValue(c, "kind"), Amount: formValue(c, "amount"), PaidOn: formValue(c, "paid_on"), Note: formValue(c, "note"),
	})
	if err != nil {
		if formFailure(err) {
			return h.renderShare(c, err)
		}
		return err
	}
	return redirectTo(c, memberPath(id), "share")
}

func (h *Handlers) shareDuePage(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	id, err := memberID(c)
	if err != nil {
		return err
	}
	m, err := h.svc.GetForBoard(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	return h.renderShareDue(c, m, m.ShareDue, nil)
}

func (h *Handlers) renderShareDue(c *fiber.Ctx, m Member, amount string, formErr error) error {
	data := formData(c, "Share contribution due from "+m.DisplayName(), formErr, fiber.Map{
		"Member": m,
		"Amount": amount,
	})
	return web.Render(c, "members/share_due", data)
}

func (h *Handlers) saveShareDue(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	id, err := memberID(c)
	if err != nil {
		return err
	}
	amount := formValue(c, "amount")
	if _, err := h.svc.SetShareDue(c.UserContext(), p, id, amount); err != nil {
		if !formFailure(err) {
			return err
		}
		m, getErr := h.svc.GetForBoard(c.UserContext(), p, id)
		if getErr != nil {
			return getErr
		}
		return h.renderShareDue(c, m, amount, err)
	}
	return redirectTo(c, memberPath(id), "share-due")
}

// The representative of an organisation.

func (h *Handlers) representativePage(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	id, err := memberID(c)
	if err != nil {
		return err
	}
	m, err := h.svc.GetForBoard(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	if m.Kind != KindOrganisation {
		return errs.Wrap(errs.Conflict, "Only an organisation has a representative; an individual member acts for themself.")
	}
	return h.renderRepresentative(c, m, "", nil)
}

func (h *Handlers) renderRepresentative(c *fiber.Ctx, m Member, email string, formErr error) error {
	current := ""
	if m.RepresentativeAccountID != nil {
		name, err := h.svc.AccountName(c.UserContext(), *m.RepresentativeAccountID)
		if err != nil {
			return err
		}
		current = name
	}
	data := formData(c, "Change the representative of "+m.DisplayName(), formErr, fiber.Map{
		"Member":  m,
		"Current": current,
		"Email":   email,
	})
	return web.Render(c, "members/representative", data)
}

func (h *Handlers) saveRepresentative(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	id, err := memberID(c)
	if err != nil {
		return err
	}
	email := formValue(c, "email")
	if _, err := h.svc.ChangeRepresentative(c.UserContext(), p, id, Representative{Email: email}); err != nil {
		if !formFailure(err) {
			return err
		}
		m, getErr := h.svc.GetForBoard(c.UserContext(), p, id)
		if getErr != nil {
			return getErr
		}
		return h.renderRepresentative(c, m, email, err)
	}
	return redirectTo(c, memberPath(id), "representative")
}
