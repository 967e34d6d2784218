package elections

import (
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/web"
)

// newFields are the fields of the form that adds an election, in the
// order the form asks for them, which its error summary follows.
var newFields = []string{"title", "seats", "agenda_item_id", "nominations_close_at"}

func itemLabel(it meetings.AgendaItem) string { return fmt.Sprintf("%d. %s", it.Position, it.Title) }

// agendaOption is one choice of agenda item on the form.
type agendaOption struct {
	Value string
	Label string
}

// meetingForNew is the meeting of the path that the signed-in caller adds
// an election to, as the service allows it.
func (h *Handlers) meetingForNew(c *fiber.Ctx) (auth.Principal, meetings.Meeting, error) {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return p, meetings.Meeting{}, err
	}
	id, err := web.PathID(c, "id", meetings.ErrNotFound)
	if err != nil {
		return p, meetings.Meeting{}, err
	}
	m, err := h.svc.MeetingForNewElection(c.UserContext(), p, id)
	return p, m, err
}

// newPage is the board's form to add an election to a meeting.
func (h *Handlers) newPage(c *fiber.Ctx) error {
	_, m, err := h.meetingForNew(c)
	if err != nil {
		return err
	}
	return h.renderNew(c, m, nil)
}

func (h *Handlers) renderNew(c *fiber.Ctx, m meetings.Meeting, formErr error) error {
	title := "Add an election: " + m.Title
	items := make([]agendaOption, len(m.Agenda))
	for i, it := range m.Agenda {
		items[i] = agendaOption{Value: strconv.FormatInt(it.ID, 10), Label: itemLabel(it)}
	}
	values := fiber.Map{"title": "", "seats": "1", "agenda_item_id": "", "nominations_close_at": ""}
	if formErr != nil {
		for _, f := range newFields {
			values[f] = formValue(c, f)
		}
	}
	data := fiber.Map{"Title": title, "Heading": title, "Meeting": m, "Items": items, "Values": values}
	if formErr != nil {
		data["Title"] = "Error: " + title
		web.AddFormErrors(data, formErr)
		c.Status(web.StatusOf(formErr))
	}
	return web.Render(c, "elections/new", data)
}

// create adds the election from the board's form. What the form cannot
// read is reported with whatever the service finds wrong with the rest,
// so that one sending shows every problem.
func (h *Handlers) create(c *fiber.Ctx) error {
	p, m, err := h.meetingForNew(c)
	if err != nil {
		return err
	}
	var v errs.Validation
	// What is not a whole number is no number of seats, which the
	// service refuses in its own words.
	seats, _ := strconv.Atoi(formValue(c, "seats"))
	in := NewElection{Title: c.FormValue("title"), Seats: seats}
	if raw := formValue(c, "agenda_item_id"); raw != "" {
		item, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || item <= 0 {
			v.Add("agenda_item_id", "Choose an item on this meeting's agenda.")
		} else {
			in.AgendaItemID = &item
		}
	}
	if raw := formValue(c, "nominations_close_at"); raw != "" {
		if t, problem := meetings.ParseTime(raw, m.Zone()); problem == "" {
			in.NominationsCloseAt = &t
		} else {
			v.Add("nominations_close_at", "%s", problem)
		}
	}
	if len(v.Fields) > 0 {
		checkNew(&v, m, in, h.svc.clock.Now())
		return h.renderNew(c, m, web.InFormOrder(v.Err(), newFields...))
	}
	e, err := h.svc.Create(c.UserContext(), p, m.ID, in)
	if err != nil {
		if formFailure(err) {
			return h.renderNew(c, m, err)
		}
		return err
	}
	return c.Redirect(electionPath(e.ID)+"?done=created", fiber.StatusSeeOther)
}
