package meetings

import (
	"context"
	"fmt"

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
		next := m
		next.Agenda = append(append([]AgendaItem{}, m.Agenda...), AgendaItem{RuleChange: in.RuleChange, Weighty: in.Weighty})
		if _, latest := noticeWindow(next, r); now.After(latest) {
			days := r.NoticeMinDays
			if in.RuleChange || in.Weighty {
				days = r.NoticeWeightyMinDays
			}
			return AgendaItem{}, errs.Wrap(errs.Conflict, "It is too late to add this item: members must have its notice at least %d days before the meeting, by %s.",
				days, formatIn(latest, m.Zone()))
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

// ItemRequestInput is a member's request for an agenda item.
type ItemRequestInput struct {
	Title       string
	Description string
	// MemberID names an organisation the caller represents; nil means the
	// caller's own membership.
	MemberID *int64
}

// RequestItem records a member's request for an agenda item, before the
// member motion deadline of a convened meeting.
func (s *Service) RequestItem(ctx context.Context, p auth.Principal, id int64, in ItemRequestInput) (ItemRequest, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return ItemRequest{}, err
	}
	item := ItemInput{Title: in.Title, Description: in.Description}.normalised()
	var out ItemRequest
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, err := s.visible(ctx, tx, c, id, lockForUpdate)
		if err != nil {
			return err
		}
		mem, err := c.ActingAs(in.MemberID, "ask for an agenda item")
		if err != nil {
			return err
		}
		if err := refuseFinished(m); err != nil {
			return err
		}
		if err := s.decorate(ctx, &m); err != nil {
			return err
		}
		now := s.clock.Now()
		switch m.Status {
		case StatusDraft:
			return errs.Wrap(errs.Conflict, "The meeting has not been convened yet.")
		case StatusInSession:
			return errs.Wrap(errs.Conflict, "The meeting is in session: its agenda was fixed by the notice.")
		}
		if now.After(m.MemberMotionDeadline) {
			return errs.Wrap(errs.Conflict, "The deadline for asking for agenda items was %s.", formatIn(m.MemberMotionDeadline, m.Zone()))
		}
		var v errs.Validation
		checkItem(&v, "", item)
		if err := v.Err(); err != nil {
			return err
		}
		var rid int64
		if err := tx.GetContext(ctx, &rid, `
			INSERT INTO meeting_item_requests (meeting_id, member_id, account_id, title, description, requested_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, id, mem.ID, p.AccountID, item.Title, item.Description, now); err != nil {
			return fmt.Errorf("meetings: request an item at %d: %w", id, err)
		}
		rs, err := selectRequests(ctx, tx, `id = $1`, rid)
		if err != nil {
			return err
		}
		out = rs[0]
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: "meeting.item_requested", Subject: subject(id),
			Payload: map[string]any{"request_id": rid, "member_id": mem.ID, "title": item.Title},
		})
		return err
	})
	return out, err
}

// ItemRequests lists the requests for agenda items: all of them to the
// board and auditors, a member's own to the member.
func (s *Service) ItemRequests(ctx context.Context, p auth.Principal, id int64) ([]ItemRequest, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return nil, err
	}
	if _, err := s.visible(ctx, s.db, c, id, noLock); err != nil {
		return nil, err
	}
	if p.HasAny(auth.RoleBoard, auth.RoleAuditor) {
		return selectRequests(ctx, s.db, `meeting_id = $1 ORDER BY id`, id)
	}
	return selectRequests(ctx, s.db, `meeting_id = $1 AND account_id = $2 ORDER BY id`, id, p.AccountID)
}

// ErrNoRequest is returned for a request the meeting does not have.
var ErrNoRequest = fmt.Errorf("meetings: %w", errs.Wrap(errs.NotFound, "The meeting has no such request."))

// pendingRequest loads and locks a meeting and one of its pending
// requests for the board's decision.
func (s *Service) pendingRequest(ctx context.Context, tx *sqlx.Tx, p auth.Principal, id, requestID int64) (Meeting, ItemRequest, error) {
	m, err := s.boardMeeting(ctx, tx, p, id)
	if err != nil {
		return Meeting{}, ItemRequest{}, err
	}
	rs, err := selectRequests(ctx, tx, `id = $1 AND meeting_id = $2 FOR UPDATE`, requestID, id)
	if err != nil {
		return Meeting{}, ItemRequest{}, err
	}
	if len(rs) == 0 {
		return Meeting{}, ItemRequest{}, ErrNoRequest
	}
	if rs[0].Status != RequestPending {
		return Meeting{}, ItemRequest{}, errs.Wrap(errs.Conflict, "The board has already decided on this request: it was %s.", rs[0].Status)
	}
	return m, rs[0], nil
}

// AcceptRequest puts a member's requested item on the agenda, at position
// or in the default place, and tells the member.
func (s *Service) AcceptRequest(ctx context.Context, p auth.Principal, id, requestID int64, position *int) (ItemRequest, error) {
	if err := p.RequireAny(auth.RoleBoard); err != nil {
		return ItemRequest{}, err
	}
	r, err := s.rules.Current(ctx)
	if err != nil {
		return ItemRequest{}, err
	}
	recipients, err := s.members.ActiveMembers(ctx)
	if err != nil {
		return ItemRequest{}, err
	}
	var out ItemRequest
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, req, err := s.pendingRequest(ctx, tx, p, id, requestID)
		if err != nil {
			return err
		}
		item, err := s.addItem(ctx, tx, p, m, ItemInput{Title: req.Title, Description: req.Description, Position: position},
			r, recipients, fmt.Sprintf("request:%d", req.ID))
		if err != nil {
			return err
		}
		return s.decide(ctx, tx, p, m, req, RequestAccepted, "", &item.ID, &out)
	})
	return out, err
}

// DeclineRequest refuses a member's requested item with a reason the
// member is told.
func (s *Service) DeclineRequest(ctx context.Context, p auth.Principal, id, requestID int64, reason string) (ItemRequest, error) {
	if err := p.RequireAny(auth.RoleBoard); err != nil {
		return ItemRequest{}, err
	}
	var v errs.Validation
	reason = ItemInput{Description: reason}.normalised().Description
	if reason == "" {
		v.Add("reason", "Give the reason: the member is told it.")
	} else {
		checkText(&v, "reason", reason, maxReason, true)
	}
	if err := v.Err(); err != nil {
		return ItemRequest{}, err
	}
	var out ItemRequest
	err := db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, req, err := s.pendingRequest(ctx, tx, p, id, requestID)
		if err != nil {
			return err
		}
		if err := refuseFinished(m); err != nil {
			return err
		}
		return s.decide(ctx, tx, p, m, req, RequestDeclined, reason, nil, &out)
	})
	return out, err
}

func (s *Service) decide(ctx context.Context, tx *sqlx.Tx, p auth.Principal, m Meeting, req ItemRequest, status, reason string, itemID *int64, out *ItemRequest) error {
	now := s.clock.Now()
	if _, err := tx.ExecContext(ctx, `
		UPDATE meeting_item_requests SET status = $2, decided_at = $3, decided_by = $4, reason = $5, agenda_item_id = $6
		WHERE id = $1`, req.ID, status, now, p.Actor(), reason, itemID); err != nil {
		return fmt.Errorf("meetings: decide request %d: %w", req.ID, err)
	}
	rs, err := selectRequests(ctx, tx, `id = $1`, req.ID)
	if err != nil {
		return err
	}
	*out = rs[0]
	mem, err := s.members.Get(ctx, req.MemberID)
	if err != nil {
		return err
	}
	if mem.Email != "" {
		if err := mail.Enqueue(ctx, tx, now, s.decisionMessage(m, *out, mem)); err != nil {
			return fmt.Errorf("meetings: decide request %d: %w", req.ID, err)
		}
	}
	payload := map[string]any{"request_id": req.ID, "member_id": req.MemberID, "status": status}
	if reason != "" {
		payload["reason"] = reason
	}
	_, err = s.audit.Append(ctx, tx, audit.Event{
		ActorAccountID: p.Actor(), Action: "meeting.item_request_" + status, Subject: subject(m.ID), Payload: payload,
	})
	return err
}
