package meetings

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/mail"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/rules"
)

// ErrNoItem is returned for an agenda item the meeting does not have.
var ErrNoItem = fmt.Errorf("meetings: %w", errs.Wrap(errs.NotFound, "The meeting has no such agenda item."))

// defaultPosition is where a new item goes when the board names no
// position: last, but before the closing of the meeting.
func defaultPosition(agenda []AgendaItem) int {
	if n := len(agenda); n > 0 && agenda[n-1].Statutory == "closing" {
		return n
	}
	return len(agenda) + 1
}

// AddItem adds an item to a meeting's agenda. Once the notice is out, an
// item can still be added while a notice sent now would be in time for it
// (SPEC.md's notice window, counting a rule change or a weighty item); the
// members then receive a supplementary notice.
func (s *Service) AddItem(ctx context.Context, p auth.Principal, id int64, in ItemInput) (AgendaItem, error) {
	if err := p.RequireAny(auth.RoleBoard); err != nil {
		return AgendaItem{}, err
	}
	in = in.normalised()
	in.statutory = ""
	var v errs.Validation
	checkItem(&v, "", in)
	if err := v.Err(); err != nil {
		return AgendaItem{}, err
	}
	r, err := s.rules.Current(ctx)
	if err != nil {
		return AgendaItem{}, err
	}
	recipients, err := s.members.ActiveMembers(ctx)
	if err != nil {
		return AgendaItem{}, err
	}
	var out AgendaItem
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, err := s.boardMeeting(ctx, tx, p, id)
		if err != nil {
			return err
		}
		out, err = s.addItem(ctx, tx, p, m, in, r, recipients, "")
		return err
	})
	return out, err
}

// itemDeadline is the last moment an item can be added to the agenda of
// the convened meeting m: a supplementary notice sent then is still in
// time for it, counted as the notice is (noticeWindow), with the longer
// period for a weighty item or a rule change, or once the agenda has one.
func itemDeadline(m Meeting, r rules.Rules, weighty bool) time.Time {
	next := m
	next.Agenda = append(slices.Clone(m.Agenda), AgendaItem{Weighty: weighty})
	_, latest := noticeWindow(next, r)
	return latest
}

// addItem adds the item inside tx, for the board directly or by accepting
// a member's request (source names the request in the audit event).
func (s *Service) addItem(ctx context.Context, tx *sqlx.Tx, p auth.Principal, m Meeting, in ItemInput, r rules.Rules, recipients []members.Summary, source string) (AgendaItem, error) {
	if err := refuseFinished(m); err != nil {
		return AgendaItem{}, err
	}
	if m.Status == StatusInSession {
		return AgendaItem{}, errs.Wrap(errs.Conflict, "The meeting is in session: its agenda was fixed by the notice.")
	}
	if len(m.Agenda) >= maxAgenda {
		return AgendaItem{}, errs.Wrap(errs.Conflict, "The agenda already has %d items, the most it can have.", maxAgenda)
	}
	pos := defaultPosition(m.Agenda)
	if in.Position != nil {
		pos = *in.Position
		if pos < 1 || pos > len(m.Agenda)+1 {
			var v errs.Validation
			v.Add("position", "Choose a position from 1 to %d.", len(m.Agenda)+1)
			return AgendaItem{}, v.Err()
		}
	}
	now := s.clock.Now()
	if m.Status == StatusConvened {
		weighty := in.RuleChange || in.Weighty
		if latest := itemDeadline(m, r, weighty); now.After(latest) {
			switch {
			case weighty:
				return AgendaItem{}, errs.Wrap(errs.Conflict, "It is too late to add this item: it changes the rules or is weighty, so members must have its notice at least %d days before the meeting, by %s. It can go on the agenda of a later meeting.",
					r.NoticeWeightyMinDays, formatIn(latest, m.Zone()))
			case m.HasWeightyItem():
				return AgendaItem{}, errs.Wrap(errs.Conflict, "It is too late to add an item: the agenda has a rule change or a weighty item, so members must have the notice of any new item at least %d days before the meeting, by %s.",
					r.NoticeWeightyMinDays, formatIn(latest, m.Zone()))
			}
			return AgendaItem{}, errs.Wrap(errs.Conflict, "It is too late to add this item: members must have its notice at least %d days before the meeting, by %s.",
				r.NoticeMinDays, formatIn(latest, m.Zone()))
		}
		if in.RuleChange && in.Description == "" {
			var v errs.Validation
			v.Add("description", "This item changes the rules: describe the rules being changed and how, for the notice.")
			return AgendaItem{}, v.Err()
		}
	}
	itemID, err := insertItem(ctx, tx, m.ID, pos, in)
	if err != nil {
		return AgendaItem{}, err
	}
	item := AgendaItem{ID: itemID, MeetingID: m.ID, Position: pos, Title: in.Title, Description: in.Description,
		RuleChange: in.RuleChange, Weighty: in.Weighty}
	if m.Status == StatusConvened {
		supplement := s.supplementText(m, item, now)
		if _, err := tx.ExecContext(ctx, `UPDATE meetings SET notice = notice || $2, revision = revision + 1 WHERE id = $1`,
			m.ID, "\n\n"+supplement); err != nil {
			return AgendaItem{}, fmt.Errorf("meetings: supplementary notice of %d: %w", m.ID, err)
		}
		updated, err := getMeeting(ctx, tx, m.ID, noLock)
		if err != nil {
			return AgendaItem{}, err
		}
		if err := mail.Enqueue(ctx, tx, now, s.supplements(updated, supplement, recipients)...); err != nil {
			return AgendaItem{}, fmt.Errorf("meetings: supplementary notice of %d: %w", m.ID, err)
		}
		if err := s.publishState(ctx, tx, updated, now); err != nil {
			return AgendaItem{}, err
		}
	}
	payload := map[string]any{"item_id": itemID, "position": pos, "title": in.Title,
		"rule_change": in.RuleChange, "weighty": in.Weighty, "status": m.Status}
	if source != "" {
		payload["request"] = source
	}
	_, err = s.audit.Append(ctx, tx, audit.Event{
		ActorAccountID: p.Actor(), Action: "meeting.agenda_item_added", Subject: subject(m.ID), Payload: payload,
	})
	return item, err
}

// ItemChange edits an agenda item; nil fields stay as they are.
type ItemChange struct {
	Title       *string
	Description *string
	Position    *int
	RuleChange  *bool
	Weighty     *bool
}

// draftItem loads and locks a draft meeting and one of its items, for an
// edit by the board. Once the notice is out, the agenda it lists stays.
func (s *Service) draftItem(ctx context.Context, tx *sqlx.Tx, p auth.Principal, id, itemID int64) (Meeting, AgendaItem, error) {
	m, err := s.boardMeeting(ctx, tx, p, id)
	if err != nil {
		return Meeting{}, AgendaItem{}, err
	}
	for _, it := range m.Agenda {
		if it.ID == itemID {
			if err := refuseFinished(m); err != nil {
				return Meeting{}, AgendaItem{}, err
			}
			if m.Status != StatusDraft {
				return Meeting{}, AgendaItem{}, errs.Wrap(errs.Conflict, "The notice has gone out: the items it lists stay as they are.")
			}
			return m, it, nil
		}
	}
	return Meeting{}, AgendaItem{}, ErrNoItem
}

// UpdateItem edits an item of a draft meeting's agenda, or moves it.
func (s *Service) UpdateItem(ctx context.Context, p auth.Principal, id, itemID int64, ch ItemChange) (AgendaItem, error) {
	if err := p.RequireAny(auth.RoleBoard); err != nil {
		return AgendaItem{}, err
	}
	var out AgendaItem
	err := db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, it, err := s.draftItem(ctx, tx, p, id, itemID)
		if err != nil {
			return err
		}
		next := it
		if ch.Title != nil {
			next.Title = *ch.Title
		}
		if ch.Description != nil {
			next.Description = *ch.Description
		}
		if ch.RuleChange != nil {
			next.RuleChange = *ch.RuleChange
		}
		if ch.Weighty != nil {
			next.Weighty = *ch.Weighty
		}
		in := ItemInput{Title: next.Title, Description: next.Description}.normalised()
		next.Title, next.Description = in.Title, in.Description
		var v errs.Validation
		checkItem(&v, "", in)
		if ch.Position != nil && (*ch.Position < 1 || *ch.Position > len(m.Agenda)) {
			v.Add("position", "Choose a position from 1 to %d.", len(m.Agenda))
		}
		if err := v.Err(); err != nil {
			return err
		}
		if err := updateItem(ctx, tx, next); err != nil {
			return err
		}
		if ch.Position != nil {
			if err := moveItem(ctx, tx, it, *ch.Position); err != nil {
				return err
			}
			next.Position = *ch.Position
		}
		out = next
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: "meeting.agenda_item_changed", Subject: subject(id),
			Payload: map[string]any{"item_id": itemID, "position": next.Position, "title": next.Title,
				"rule_change": next.RuleChange, "weighty": next.Weighty},
		})
		return err
	})
	return out, err
}

// RemoveItem takes an item off a draft meeting's agenda. An item a member
// asked for and the board accepted stays: the board decided on it.
func (s *Service) RemoveItem(ctx context.Context, p auth.Principal, id, itemID int64) error {
	if err := p.RequireAny(auth.RoleBoard); err != nil {
		return err
	}
	return db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		_, it, err := s.draftItem(ctx, tx, p, id, itemID)
		if err != nil {
			return err
		}
		var requested bool
		if err := tx.GetContext(ctx, &requested, `SELECT EXISTS (SELECT 1 FROM meeting_item_requests WHERE agenda_item_id = $1)`, itemID); err != nil {
			return fmt.Errorf("meetings: remove agenda item %d: %w", itemID, err)
		}
		if requested {
			return errs.Wrap(errs.Conflict, "A member asked for this item and the board accepted it, so it stays on the agenda.")
		}
		if err := deleteItem(ctx, tx, it); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: "meeting.agenda_item_removed", Subject: subject(id),
			Payload: map[string]any{"item_id": itemID, "position": it.Position, "title": it.Title},
		})
		return err
	})
}

// requiredStatutory are the statutory items that the notice of an annual
// meeting lists (SPEC.md, "General meetings"); the others StatutoryAgenda
// fills in are customary.
var requiredStatutory = map[string]bool{
	"financial_statements": true, "surplus": true, "discharge": true, "board_election": true, "auditor_election": true,
}

// missingStatutory returns the required statutory items an annual
// meeting's agenda lacks, in their usual order. An item is there when it
// is the one Osk filled in, or has its title: an agenda written whole
// through the API carries no marks.
func missingStatutory(m Meeting) []ItemInput {
	if m.Kind != KindAnnual {
		return nil
	}
	marks, titles := map[string]bool{}, map[string]bool{}
	for _, it := range m.Agenda {
		marks[it.Statutory] = true
		titles[strings.ToLower(it.Title)] = true
	}
	var out []ItemInput
	for _, it := range StatutoryAgenda() {
		if requiredStatutory[it.statutory] && !marks[it.statutory] && !titles[strings.ToLower(it.Title)] {
			out = append(out, it)
		}
	}
	return out
}

// statutoryPlace is where a statutory item goes back on an agenda: after
// the last statutory item (by mark or title, as missingStatutory) that
// comes before it in the usual order, else before the first that comes
// after it, else in the default place.
func statutoryPlace(agenda []AgendaItem, key string) int {
	byMark, byTitle := map[string]int{}, map[string]int{}
	for i, it := range StatutoryAgenda() {
		byMark[it.statutory] = i + 1
		byTitle[strings.ToLower(it.Title)] = i + 1
	}
	order := byMark[key]
	after, before := 0, 0
	for _, it := range agenda {
		o := byMark[it.Statutory]
		if o == 0 {
			o = byTitle[strings.ToLower(it.Title)]
		}
		switch {
		case o == 0:
		case o < order:
			after = max(after, it.Position)
		case before == 0 || it.Position < before:
			before = it.Position
		}
	}
	switch {
	case after > 0:
		return after + 1
	case before > 0:
		return before
	}
	return defaultPosition(agenda)
}

// RestoreStatutory puts back on a draft annual meeting's agenda the
// required statutory items it lacks, each in its usual place.
func (s *Service) RestoreStatutory(ctx context.Context, p auth.Principal, id int64) (Meeting, error) {
	if err := p.RequireAny(auth.RoleBoard); err != nil {
		return Meeting{}, err
	}
	err := db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, err := s.boardMeeting(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := refuseFinished(m); err != nil {
			return err
		}
		switch missing := missingStatutory(m); {
		case m.Kind != KindAnnual:
			return errs.Wrap(errs.Conflict, "Only an annual general meeting has statutory items.")
		case m.Status != StatusDraft:
			return errs.Wrap(errs.Conflict, "The notice has gone out: the items it lists stay as they are.")
		case len(missing) == 0:
			return errs.Wrap(errs.Conflict, "The agenda already has every statutory item.")
		case len(m.Agenda)+len(missing) > maxAgenda:
			return errs.Wrap(errs.Conflict, "The agenda cannot have more than %d items: remove some first.", maxAgenda)
		default:
			for _, in := range missing {
				pos := statutoryPlace(m.Agenda, in.statutory)
				itemID, err := insertItem(ctx, tx, m.ID, pos, in)
				if err != nil {
					return err
				}
				if _, err := s.audit.Append(ctx, tx, audit.Event{
					ActorAccountID: p.Actor(), Action: "meeting.agenda_item_added", Subject: subject(id),
					Payload: map[string]any{"item_id": itemID, "position": pos, "title": in.Title, "statutory": in.statutory,
						"rule_change": false, "weighty": false, "status": m.Status},
				}); err != nil {
					return err
				}
				if m, err = getMeeting(ctx, tx, id, noLock); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return Meeting{}, err
	}
	return s.Get(ctx, id)
}
