package ballots

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/live"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/web"
)

// doneNotices are the confirmations shown after a change, by the name in
// ?done=.
var doneNotices = map[string]string{
	"closed":  "The ballot is closed and counted.",
	"decided": "Your casting vote is recorded and the ballot is decided.",
}

func (h *Handlers) mountPages(r fiber.Router) {
	r.Get("/ballots/:id", h.showPage)
	r.Post("/ballots/:id/vote", h.limit, h.vote)
	r.Post("/ballots/:id/close", h.close)
	r.Post("/ballots/:id/casting-vote", h.castingVote)
	r.Get("/ballots/:id/record", h.recordPage)
	r.Get("/receipts", h.receiptsPage)
	r.Post("/receipts", h.checkReceipt)
}

func ballotPath(id int64) string { return fmt.Sprintf("/ballots/%d", id) }

// ballotTimes are a ballot's moments as its pages show them, like the
// meeting's own: in the meeting's zone with its name, in UTC, and (with
// public/js/osk.js) in the viewer's zone.
type ballotTimes struct {
	Opened meetings.TimeView
	// Closes and Closed are nil while the ballot has no closing time, or
	// is not closed.
	Closes, Closed *meetings.TimeView
}

func timesOf(b Ballot, m meetings.Meeting) ballotTimes {
	loc := m.Zone()
	return ballotTimes{Opened: meetings.TimeIn(b.OpenedAt, loc), Closes: meetings.TimeAt(b.ClosesAt, loc), Closed: meetings.TimeAt(b.ClosedAt, loc)}
}

// MajorityLabel says a required majority in words.
func MajorityLabel(majority string) string {
	switch majority {
	case MajoritySimple:
		return "Simple majority: more than half of the votes cast"
	case MajorityTwoThirds:
		return "At least two thirds of the votes cast"
	case MajorityThreeQuarters:
		return "At least three quarters of the votes cast"
	case MajorityUnanimous:
		return "Unanimous: every vote cast is for"
	}
	return majority
}

// ChoiceLabel says a choice in words.
func ChoiceLabel(choice string) string {
	switch choice {
	case ChoiceFor:
		return "For"
	case ChoiceAgainst:
		return "Against"
	case ChoiceAbstain:
		return "Abstain"
	}
	return choice
}

func electorateLabel(electorate string) string {
	if electorate == ElectorateAllMembers {
		return "Every member active on the record date, present or not (advance voting)"
	}
	return "The members represented at the meeting when the ballot opened, in person, remotely or by proxy"
}

// formKey is a fresh Idempotency-Key for one vote form, so that sending
// the form again (a reload, a double click) never casts a second vote.
func formKey() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("ballots: no randomness: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// voteForm is one member's vote form on the ballot page.
type voteForm struct {
	MyVoter
	Key string
	// Legend says whose vote the form casts. Cast and Blank are its
	// buttons' words, which say it too unless the form is the viewer's
	// only vote and their own.
	Legend string
	Cast   string
	Blank  string
	// Options are an election's candidates, marked as the form last sent
	// them.
	Options []candidateOption
}

func legendOf(v MyVoter, several bool) string {
	switch v.CastBy {
	case CastByProxy:
		return fmt.Sprintf("Your vote for %s (member %d), as the holder of their proxy", v.Name, v.MemberNo)
	case CastByRepresentative:
		return fmt.Sprintf("The vote of %s (member %d), as its representative", v.Name, v.MemberNo)
	}
	if several {
		return fmt.Sprintf("Your own vote (member %d)", v.MemberNo)
	}
	return "Your vote"
}

// buttonsOf names the buttons of a member's vote form: a proxy holder or
// a representative sees several forms, and each button says whose vote it
// casts.
func buttonsOf(v MyVoter, several bool) (cast, blank string) {
	switch {
	case v.CastBy != CastBySelf:
		whose := fmt.Sprintf("%s (member %d)", v.Name, v.MemberNo)
		return "Cast the vote of " + whose, "Vote blank for " + whose
	case several:
		return fmt.Sprintf("Cast your own vote (member %d)", v.MemberNo), fmt.Sprintf("Vote blank with your own vote (member %d)", v.MemberNo)
	}
	return "Cast this vote", "Vote blank"
}

// sentVote is what a vote form sent: whose vote, the candidates it marked
// and whether it asked for a blank vote. A refused form comes back with
// it.
type sentVote struct {
	Member int64
	Marked []int64
	Blank  bool
}

// renderShow renders the ballot's page, with the errors of a refused form.
func (h *Handlers) renderShow(c *fiber.Ctx, id int64, formErr error, sent sentVote) error {
	p := auth.PrincipalOf(c)
	v, err := h.svc.ViewAs(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	lastEvent, err := live.Latest(c.UserContext(), h.svc.db, meetings.Topic(v.Meeting.ID))
	if err != nil {
		return err
	}
	var candidates []candidateOption
	if v.Ballot.Kind == KindElection {
		if candidates, err = h.candidatesOf(c.UserContext(), v.Ballot); err != nil {
			return err
		}
	}
	several := len(v.Mine) > 1
	var forms []voteForm
	voted := 0
	for _, mv := range v.Mine {
		if mv.Voted {
			voted++
			continue
		}
		f := voteForm{MyVoter: mv, Key: formKey(), Legend: legendOf(mv, several)}
		f.Cast, f.Blank = buttonsOf(mv, several)
		for _, cand := range candidates {
			cand.Checked = mv.MemberID == sent.Member && slices.Contains(sent.Marked, cand.ID)
			f.Options = append(f.Options, cand)
		}
		forms = append(forms, f)
	}
	data := fiber.Map{
		"Title": "Ballot: " + v.Subject.Title, "View": v, "Times": timesOf(v.Ballot, v.Meeting), "Forms": forms, "Voted": voted,
		"CanVote": v.Ballot.Open() && !v.ClosingPassed, "Done": doneNotices[c.Query("done")],
		"MajorityText": MajorityLabel(v.Ballot.Majority), "ElectorateText": electorateLabel(v.Ballot.Electorate),
		"OutcomeText": "", "LastEventID": lastEvent, "FailedMember": sent.Member,
		"Choices": []string{ChoiceFor, ChoiceAgainst, ChoiceAbstain},
	}
	if r := v.Ballot.Result; r != nil {
		data["OutcomeText"] = OutcomeLabel(string(r.Outcome))
		if e := r.Election; e != nil && e.Lot != nil {
			data["LotText"] = markedText(e.Lot.Drawn, resultNames(e), false)
		}
	}
	if formErr != nil {
		data["Title"] = "Error: " + data["Title"].(string)
		web.AddFormErrors(data, pageFields(formErr, sent, v.Ballot))
		c.Status(web.StatusOf(formErr))
	}
	return web.Render(c, "ballots/show", data)
}

// pageFields names a vote form's fields as the page does: each member's
// form has its own. An election's form asks for a blank vote with a
// button of its own, which the service knows nothing of, so what the
// form got wrong in its marks is said in the form's words.
func pageFields(err error, sent sentVote, b Ballot) error {
	var v *errs.Validation
	if !errors.As(err, &v) {
		return err
	}
	var marks string
	switch n := len(sent.Marked); {
	case b.Kind != KindElection:
	case sent.Blank && n > 0:
		marks = "You marked candidates and chose to vote blank. Clear the marks to vote blank, or cast your vote for the candidates you marked."
	case !sent.Blank && n == 0:
		marks = "Mark the candidates you vote for. To vote for nobody, choose to vote blank."
	case n > b.Seats:
		marks = fmt.Sprintf("Mark at most %d %s.", b.Seats, plural(b.Seats, "candidate", "candidates"))
	}
	out := &errs.Validation{}
	for _, f := range v.Fields {
		switch f.Field {
		case "choice":
			f.Field = fmt.Sprintf("choice-%d-for", sent.Member)
		case "candidates":
			f.Field = fmt.Sprintf("candidates-%d", sent.Member)
			if marks != "" {
				if out.Has(f.Field) {
					continue
				}
				f.Message = marks
			}
		}
		out.Fields = append(out.Fields, f)
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// formFailure reports whether err is one the page shows next to its
// forms rather than as an error page.
func formFailure(err error) bool {
	return errors.Is(err, errs.Invalid) || errors.Is(err, errs.Conflict) || errors.Is(err, errs.Forbidden)
}

func (h *Handlers) showPage(c *fiber.Ctx) error {
	id, err := ballotID(c.Params("id"))
	if err != nil {
		return err
	}
	return h.renderShow(c, id, nil, sentVote{})
}

func (h *Handlers) vote(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	id, err := ballotID(c.Params("id"))
	if err != nil {
		return err
	}
	in := VoteInput{Choice: strings.TrimSpace(c.FormValue("choice")), IdempotencyKey: c.FormValue("key")}
	var sent sentVote
	if raw := c.FormValue("member_id"); raw != "" {
		member, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || member <= 0 {
			var v errs.Validation
			v.Add("member_id", "Choose whose vote this is.")
			return h.renderShow(c, id, v.Err(), sent)
		}
		in.OnBehalfOf = &member
		sent.Member = member
	}
	if c.FormValue("kind") == KindElection {
		sent.Blank = c.FormValue("cast") == "blank"
		for _, raw := range c.Request().PostArgs().PeekMulti("candidates") {
			cid, err := strconv.ParseInt(string(raw), 10, 64)
			if err != nil || cid <= 0 {
				var v errs.Validation
				v.Add("candidates", "Mark candidates from the list.")
				return h.renderShow(c, id, v.Err(), sent)
			}
			sent.Marked = append(sent.Marked, cid)
		}
		// A blank vote is cast only by its own button with nothing
		// marked: marks sent with it, or nothing marked with the other
		// button, are no vote, which the service refuses after deciding
		// whether the caller may vote at all.
		if sent.Blank == (len(sent.Marked) == 0) {
			in.Candidates = append([]int64{}, sent.Marked...)
		}
	}
	cast, err := h.svc.Vote(c.UserContext(), p, id, in)
	if err != nil {
		if formFailure(err) {
			return h.renderShow(c, id, err, sent)
		}
		return err
	}
	v, err := h.svc.ViewAs(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	title := "Your vote is recorded"
	if cast.Replayed {
		title = "Your vote was already recorded"
	} else {
		c.Status(fiber.StatusCreated)
	}
	var votedFor string
	for _, mv := range v.Mine {
		if mv.MemberID == cast.MemberID {
			votedFor = legendOf(mv, len(v.Mine) > 1)
		}
	}
	return web.Render(c, "ballots/receipt", fiber.Map{
		"Title": title, "View": v, "Cast": cast, "For": votedFor, "Remaining": unvoted(v.Mine),
	})
}

func unvoted(mine []MyVoter) int {
	n := 0
	for _, mv := range mine {
		if !mv.Voted {
			n++
		}
	}
	return n
}

func (h *Handlers) close(c *fiber.Ctx) error {
	id, err := ballotID(c.Params("id"))
	if err != nil {
		return err
	}
	if _, err := h.svc.Close(c.UserContext(), auth.PrincipalOf(c), id); err != nil {
		if errors.Is(err, errs.Conflict) {
			return h.renderShow(c, id, err, sentVote{})
		}
		return err
	}
	return c.Redirect(ballotPath(id)+"?done=closed", fiber.StatusSeeOther)
}

func (h *Handlers) castingVote(c *fiber.Ctx) error {
	id, err := ballotID(c.Params("id"))
	if err != nil {
		return err
	}
	if _, err := h.svc.CastingVote(c.UserContext(), auth.PrincipalOf(c), id, c.FormValue("choice")); err != nil {
		if errors.Is(err, errs.Invalid) || errors.Is(err, errs.Conflict) {
			return h.renderShow(c, id, renameField(err, "choice", "casting-for"), sentVote{})
		}
		return err
	}
	return c.Redirect(ballotPath(id)+"?done=decided", fiber.StatusSeeOther)
}

func renameField(err error, from, to string) error {
	var v *errs.Validation
	if errors.As(err, &v) {
		for i := range v.Fields {
			if v.Fields[i].Field == from {
				v.Fields[i].Field = to
			}
		}
	}
	return err
}

// recordVote is a line of the record's table.
type recordVote struct {
	RecordVote
	ChoiceText string
}

func (h *Handlers) recordPage(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	id, err := ballotID(c.Params("id"))
	if err != nil {
		return err
	}
	rec, err := h.svc.RecordAs(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	v, err := h.svc.ViewAs(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	names := map[int64]string{}
	lot := ""
	if e := rec.Result.Election; e != nil {
		names = resultNames(e)
		if e.Lot != nil {
			// The record is for redrawing the lot too, which orders the
			// tied candidates by their ids.
			lot = markedText(e.Lot.Drawn, names, true)
		}
	}
	votes := make([]recordVote, len(rec.Votes))
	for i, rv := range rec.Votes {
		votes[i] = recordVote{RecordVote: rv, ChoiceText: ChoiceLabel(rv.Choice)}
		if rv.Election {
			votes[i].ChoiceText = markedText(rv.Candidates, names, false)
		}
	}
	return web.Render(c, "ballots/record", fiber.Map{
		"Title": "Ballot record: " + v.Subject.Title, "View": v, "Times": timesOf(v.Ballot, v.Meeting), "Record": rec, "Votes": votes, "LotText": lot,
		"MajorityText": MajorityLabel(rec.Result.Majority), "OutcomeText": OutcomeLabel(string(rec.Result.Outcome)),
		"Auditor": p.Has(auth.RoleAuditor),
	})
}

// resultNames names the candidates of an election's result, by id.
func resultNames(e *ElectionResult) map[int64]string {
	names := make(map[int64]string, len(e.Candidates))
	for _, cand := range e.Candidates {
		names[cand.ID] = cand.Name
	}
	return names
}

func (h *Handlers) receiptsPage(c *fiber.Ctx) error {
	return web.Render(c, "ballots/receipts", fiber.Map{"Title": "Check your vote", "Values": url.Values{}})
}

func (h *Handlers) checkReceipt(c *fiber.Ctx) error {
	raw := strings.TrimSpace(c.FormValue("receipt"))
	data := fiber.Map{"Title": "Check your vote", "Values": url.Values{}}
	var fail error
	if raw == "" {
		var v errs.Validation
		v.Add("receipt", "Enter the receipt you were shown when you voted.")
		fail = v.Err()
	} else {
		check, err := h.svc.CheckReceipt(c.UserContext(), raw)
		switch {
		case errors.Is(err, ErrNoReceipt):
			var v errs.Validation
			v.Add("receipt", "%s", errs.Message(err))
			fail = v.Err()
			c.Status(fiber.StatusNotFound)
		case err != nil:
			return err
		default:
			if err := h.describeCheck(c.UserContext(), check, data); err != nil {
				return err
			}
		}
	}
	if fail != nil {
		data["Title"] = "Error: Check your vote"
		web.AddFormErrors(data, fail)
		if c.Response().StatusCode() == fiber.StatusOK {
			c.Status(fiber.StatusUnprocessableEntity)
		}
	}
	return web.Render(c, "ballots/receipts", data)
}

// describeCheck says on the receipts page what the receipt's vote was
// on and what it chose, in words rather than ids.
func (h *Handlers) describeCheck(ctx context.Context, check ReceiptCheck, data fiber.Map) error {
	b, err := h.svc.Get(ctx, check.BallotID)
	if err != nil {
		return err
	}
	subj, err := h.svc.Describe(ctx, b)
	if err != nil {
		return err
	}
	data["Check"], data["Subject"] = check, subj
	switch {
	case b.Kind != KindElection:
		data["ChoiceText"] = ChoiceLabel(check.Choice)
	case len(check.Candidates) == 0:
		data["ChoiceText"] = "A blank vote"
	default:
		candidates, err := h.candidatesOf(ctx, b)
		if err != nil {
			return err
		}
		names := make(map[int64]string, len(candidates))
		for _, cand := range candidates {
			names[cand.ID] = cand.Name
		}
		data["ChoiceText"] = "For " + markedText(check.Candidates, names, false)
	}
	return nil
}

// candidateOption is a candidate on an election's ballot page.
type candidateOption struct {
	ID      int64
	Name    string
	Checked bool
}

// candidatesOf names the candidates of an election's ballot, in the
// ballot's order.
func (h *Handlers) candidatesOf(ctx context.Context, b Ballot) ([]candidateOption, error) {
	names := map[int64]string{}
	if fn := h.svc.namesHook(); fn != nil {
		var err error
		if names, err = fn(ctx, h.svc.db, b.SubjectID, b.CandidateIDs); err != nil {
			return nil, err
		}
	}
	out := make([]candidateOption, len(b.CandidateIDs))
	for i, id := range b.CandidateIDs {
		out[i] = candidateOption{ID: id, Name: names[id]}
		if out[i].Name == "" {
			out[i].Name = fmt.Sprintf("Candidate %d", id)
		}
	}
	return out, nil
}

// markedText says whom an election's vote marks, or whom a lot drew;
// withIDs adds each candidate's id.
func markedText(candidates []int64, names map[int64]string, withIDs bool) string {
	if len(candidates) == 0 {
		return "Blank"
	}
	out := make([]string, len(candidates))
	for i, id := range candidates {
		switch name := names[id]; {
		case name == "":
			out[i] = fmt.Sprintf("Candidate %d", id)
		case withIDs:
			out[i] = fmt.Sprintf("%s (candidate %d)", name, id)
		default:
			out[i] = name
		}
	}
	return strings.Join(out, ", ")
}
