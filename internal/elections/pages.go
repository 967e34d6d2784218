package elections

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/web"
)

// doneNotices are the notices the page shows after a form succeeded.
var doneNotices = map[string]string{
	"created":   "The election is added to the meeting. Members can now stand or nominate candidates.",
	"nominated": "The nomination is recorded.",
	"pending":   "The nomination is recorded. The nominee appears on the ballot once they consent.",
	"consented": "Your consent is recorded: you are on the ballot when the election is put to the vote.",
	"withdrawn": "The candidacy is withdrawn: the candidate is no longer in this election.",
	"closing":   "The closing time of nominations is saved.",
	"ballot":    "The ballot is open. Members on the voting list can vote now.",
}

func (h *Handlers) mountPages(r fiber.Router) {
	r.Get("/meetings/:id/elections/new", h.newPage)
	r.Post("/meetings/:id/elections", h.create)
	r.Get("/elections/:id", h.showPage)
	r.Post("/elections/:id/candidates", h.nominate)
	r.Post("/elections/:id/candidates/:cid/consent", h.consent)
	r.Post("/elections/:id/candidates/:cid/withdraw", h.withdraw)
	r.Post("/elections/:id/nominations-close", h.setClose)
	r.Post("/elections/:id/ballots", h.openBallot)
}

func formValue(c *fiber.Ctx, name string) string { return strings.TrimSpace(c.FormValue(name)) }

// formFailure reports whether err is one the page shows next to its
// forms rather than as an error page.
func formFailure(err error) bool {
	return errors.Is(err, errs.Invalid) || errors.Is(err, errs.Conflict)
}

// The forms of an election's page, by the name render is given after one
// of them failed.
const (
	formNominate = "nominate"
	formBallot   = "ballot"
	formClose    = "close"
)

// localTime is how a datetime-local field writes a time.
const localTime = "2006-01-02T15:04"

func (h *Handlers) render(c *fiber.Ctx, id int64, formErr error, form string) error {
	p := auth.PrincipalOf(c)
	v, err := h.svc.ViewAs(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	title := "Election: " + v.Election.Title
	nominee := fiber.Map{"member_no": "", "name": "", "statement": ""}
	ballot := fiber.Map{"secret": "yes", "closes_at": "", "electorate": ballots.ElectorateRepresented}
	closing := fiber.Map{"nominations_close_at": ""}
	// Before the session, advance voting is the only ballot anyone opens.
	if v.Advance() {
		ballot["electorate"] = ballots.ElectorateAllMembers
	}
	if at := v.Election.NominationsCloseAt; at != nil {
		closing["nominations_close_at"] = at.In(v.Meeting.Zone()).Format(localTime)
	}
	switch form {
	case formNominate:
		nominee = fiber.Map{"member_no": formValue(c, "member_no"), "name": formValue(c, "name"), "statement": c.FormValue("statement")}
	case formBallot:
		ballot = fiber.Map{"secret": formValue(c, "secret"), "closes_at": formValue(c, "closes_at"), "electorate": formValue(c, "electorate")}
	case formClose:
		closing = fiber.Map{"nominations_close_at": formValue(c, "nominations_close_at")}
	}
	data := fiber.Map{
		"Title": title, "View": v, "Done": doneNotices[c.Query("done")],
		"NomineeValues": nominee, "BallotValues": ballot, "CloseValues": closing,
		"CanBallot": v.CanBallot(), "Advance": v.Advance(), "AdvanceWaits": v.AdvanceWaits(),
		"InSession": v.Meeting.Status == meetings.StatusInSession,
		// Outcomes says, by candidate on its ballot, whether a decided
		// election elected them: none before the count.
		"Outcomes": map[int64]string{},
	}
	for _, item := range v.Meeting.Agenda {
		if v.Election.AgendaItemID != nil && item.ID == *v.Election.AgendaItemID {
			data["Item"] = itemLabel(item)
		}
	}
	if v.Election.BallotID != nil {
		data["BallotURL"] = "/ballots/" + strconv.FormatInt(*v.Election.BallotID, 10)
		if v.Election.Status == StatusDecided {
			if err := h.addResult(c, *v.Election.BallotID, data); err != nil {
				return err
			}
		}
	}
	if data["WrittenBy"], err = h.writtenBy(c, v.Election); err != nil {
		return err
	}
	if formErr != nil {
		data["Title"] = "Error: " + title
		web.AddFormErrors(data, formErr)
		c.Status(web.StatusOf(formErr))
	}
	return web.Render(c, "elections/show", data)
}

// addResult puts a decided election's count on its page: who was elected
// and the votes of each candidate, as the ballot's result has them.
func (h *Handlers) addResult(c *fiber.Ctx, ballotID int64, data fiber.Map) error {
	b, err := h.svc.ballots.Get(c.UserContext(), ballotID)
	if err != nil {
		return err
	}
	if b.Result == nil || b.Result.Election == nil {
		return nil
	}
	r := b.Result.Election
	var elected []string
	outcomes := map[int64]string{}
	for _, cand := range r.Candidates {
		outcomes[cand.ID] = "Not elected"
		if cand.Elected {
			elected = append(elected, cand.Name)
			outcomes[cand.ID] = "Elected"
		}
	}
	data["Result"], data["Elected"], data["Outcomes"] = r, elected, outcomes
	return nil
}

// writtenBy names, by candidate, whoever wrote a statement the candidate
// did not write themself: the member, or the board member, who nominated
// them. Members read a statement as the candidate's own unless told.
func (h *Handlers) writtenBy(c *fiber.Ctx, e Election) (map[int64]string, error) {
	ctx := c.UserContext()
	out := map[int64]string{}
	for _, cand := range e.Candidates {
		if cand.Statement == "" || cand.NominatedBy == nil {
			continue
		}
		if cand.MemberID != nil {
			m, err := h.svc.members.Get(ctx, *cand.MemberID)
			if err != nil {
				return nil, err
			}
			if m.ActsFor(*cand.NominatedBy) {
				continue
			}
		}
		name, err := h.svc.members.AccountName(ctx, *cand.NominatedBy)
		if err != nil {
			return nil, err
		}
		out[cand.ID] = name
	}
	return out, nil
}

func (h *Handlers) showPage(c *fiber.Ctx) error {
	id, err := web.PathID(c, "id", ErrNotFound)
	if err != nil {
		return err
	}
	return h.render(c, id, nil, "")
}

// electionForm runs a form on an election's page: on a wrong value or
// state, the page comes back with the message by the form and what was
// typed in it.
func (h *Handlers) electionForm(c *fiber.Ctx, form string, do func(p auth.Principal, id int64) (string, error)) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	id, err := web.PathID(c, "id", ErrNotFound)
	if err != nil {
		return err
	}
	done, err := do(p, id)
	if err != nil {
		if formFailure(err) {
			return h.render(c, id, err, form)
		}
		return err
	}
	return c.Redirect(electionPath(id)+"?done="+url.QueryEscape(done), fiber.StatusSeeOther)
}

// nominate takes the nominee's member number, which members know from
// their membership page, rather than the register's internal id.
func (h *Handlers) nominate(c *fiber.Ctx) error {
	return h.electionForm(c, formNominate, func(p auth.Principal, id int64) (string, error) {
		ctx := c.UserContext()
		in := Nomination{Name: c.FormValue("name"), Statement: c.FormValue("statement")}
		raw := formValue(c, "member_no")
		no := 0
		known := true
		if raw != "" {
			var err error
			no, err = strconv.Atoi(raw)
			if err != nil || no <= 0 {
				var v errs.Validation
				v.Add("member_no", "Enter the member number in digits, such as 42, or leave it empty to stand yourself.")
				return "", v.Err()
			}
			// An unknown number goes on as no member, so that the service
			// decides access before it judges the value.
			var member int64
			m, err := h.svc.members.ByNumber(ctx, no)
			switch {
			case err == nil:
				member = m.ID
			case errors.Is(err, members.ErrNotFound):
				known = false
			default:
				return "", err
			}
			in.MemberID = &member
		}
		cand, err := h.svc.Nominate(ctx, p, id, in)
		if err != nil {
			return "", numberField(err, no, known)
		}
		if !cand.Consented {
			return "pending", nil
		}
		return "nominated", nil
	})
}

// numberField moves the service's complaints about the nominee to the
// form's member number, saying so when no member has the number given.
func numberField(err error, no int, known bool) error {
	var v *errs.Validation
	if errors.As(err, &v) {
		for i := range v.Fields {
			if v.Fields[i].Field == "member_id" {
				v.Fields[i].Field = "member_no"
				if !known {
					v.Fields[i].Message = fmt.Sprintf("There is no member with the number %d.", no)
				}
			}
		}
	}
	return err
}

func (h *Handlers) consent(c *fiber.Ctx) error {
	return h.electionForm(c, "", func(p auth.Principal, id int64) (string, error) {
		cid, err := web.PathID(c, "cid", ErrCandidateNotFound)
		if err != nil {
			return "", err
		}
		if _, err := h.svc.Consent(c.UserContext(), p, id, cid); err != nil {
			return "", err
		}
		return "consented", nil
	})
}

// withdraw ends a candidacy from the button by the candidate's name.
func (h *Handlers) withdraw(c *fiber.Ctx) error {
	return h.electionForm(c, "", func(p auth.Principal, id int64) (string, error) {
		cid, err := web.PathID(c, "cid", ErrCandidateNotFound)
		if err != nil {
			return "", err
		}
		if _, err := h.svc.Withdraw(c.UserContext(), p, id, cid); err != nil {
			return "", err
		}
		return "withdrawn", nil
	})
}

// setClose takes the closing time in the meeting's zone, as the form
// that adds an election does; an empty field is no set time.
func (h *Handlers) setClose(c *fiber.Ctx) error {
	return h.electionForm(c, formClose, func(p auth.Principal, id int64) (string, error) {
		ctx := c.UserContext()
		v, err := h.svc.ViewForClose(ctx, p, id)
		if err != nil {
			return "", err
		}
		var at *time.Time
		if raw := formValue(c, "nominations_close_at"); raw != "" {
			t, problem := meetings.ParseTime(raw, v.Meeting.Zone())
			if problem != "" {
				var bad errs.Validation
				bad.Add("nominations_close_at", "%s", problem)
				return "", bad.Err()
			}
			at = &t
		}
		if _, err := h.svc.SetNominationsClose(ctx, p, id, at); err != nil {
			return "", err
		}
		return "closing", nil
	})
}

func (h *Handlers) openBallot(c *fiber.Ctx) error {
	return h.electionForm(c, formBallot, func(p auth.Principal, id int64) (string, error) {
		req := BallotRequest{ClosesAt: formValue(c, "closes_at"), Electorate: formValue(c, "electorate")}
		secret := true
		switch formValue(c, "secret") {
		case "yes":
		case "no":
			secret = false
		default:
			var v errs.Validation
			v.Add("secret", "Choose whether the ballot is secret.")
			return "", v.Err()
		}
		req.Secret = &secret
		if _, err := h.svc.OpenBallot(c.UserContext(), p, id, req); err != nil {
			return "", err
		}
		return "ballot", nil
	})
}
