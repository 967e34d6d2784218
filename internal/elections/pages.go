package elections

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/web"
)

// doneNotices are the notices the page shows after a form succeeded.
var doneNotices = map[string]string{
	"nominated": "The nomination is recorded.",
	"pending":   "The nomination is recorded. The nominee appears on the ballot once they consent.",
	"consented": "Your consent is recorded: you are on the ballot when the election is put to the vote.",
}

func (h *Handlers) mountPages(r fiber.Router) {
	r.Get("/elections/:id", h.showPage)
	r.Post("/elections/:id/candidates", h.nominate)
	r.Post("/elections/:id/candidates/:cid/consent", h.consent)
}

// formFailure reports whether err is one the page shows next to its
// forms rather than as an error page.
func formFailure(err error) bool {
	return errors.Is(err, errs.Invalid) || errors.Is(err, errs.Conflict)
}

func (h *Handlers) render(c *fiber.Ctx, id int64, formErr error) error {
	p := auth.PrincipalOf(c)
	v, err := h.svc.ViewAs(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	title := "Election: " + v.Election.Title
	data := fiber.Map{"Title": title, "View": v, "Done": doneNotices[c.Query("done")]}
	if v.Election.BallotID != nil {
		data["BallotURL"] = "/ballots/" + strconv.FormatInt(*v.Election.BallotID, 10)
	}
	if formErr != nil {
		data["Title"] = "Error: " + title
		web.AddFormErrors(data, formErr)
		c.Status(web.StatusOf(formErr))
	}
	return web.Render(c, "elections/show", data)
}

func (h *Handlers) showPage(c *fiber.Ctx) error {
	id, err := web.PathID(c, "id", ErrNotFound)
	if err != nil {
		return err
	}
	return h.render(c, id, nil)
}

func (h *Handlers) nominate(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	id, err := web.PathID(c, "id", ErrNotFound)
	if err != nil {
		return err
	}
	in := Nomination{Name: c.FormValue("name"), Statement: c.FormValue("statement")}
	if raw := strings.TrimSpace(c.FormValue("member_id")); raw != "" {
		member, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || member <= 0 {
			var v errs.Validation
			v.Add("member_id", "Give the member's id as a number.")
			return h.render(c, id, v.Err())
		}
		in.MemberID = &member
	}
	cand, err := h.svc.Nominate(c.UserContext(), p, id, in)
	if err != nil {
		if formFailure(err) {
			return h.render(c, id, err)
		}
		return err
	}
	done := "nominated"
	if !cand.Consented {
		done = "pending"
	}
	return c.Redirect(electionPath(id)+"?done="+url.QueryEscape(done), fiber.StatusSeeOther)
}

func (h *Handlers) consent(c *fiber.Ctx) error {
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
	if _, err := h.svc.Consent(c.UserContext(), p, id, cid); err != nil {
		if formFailure(err) {
			return h.render(c, id, err)
		}
		return err
	}
	return c.Redirect(electionPath(id)+"?done=consented", fiber.StatusSeeOther)
}
