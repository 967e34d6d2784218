package meetings

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/mail"
	"github.com/citizen-network/osk/internal/members"
)

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
		out, err = s.insertRequest(ctx, tx, p, &m.ID, mem.ID, item, now)
		return err
	})
	return out, err
}

// maxWaiting is how many requests one member may have waiting for a
// meeting at once: more than any real need, and a bound on what one
// account can pile on the board.
const maxWaiting = 5

// AskBoard records a member's request for an item at the next general
// meeting, for a member to use before any notice is out (SPEC.md: a member
// may ask by writing to the board before the notice is sent), when no
// meeting is visible to them yet; a meeting already announced takes
// requests on its own (RequestItem) until its deadline. It names no
// meeting: the board decides on it from a meeting still open to new items,
// as on a meeting's own requests.
func (s *Service) AskBoard(ctx context.Context, p auth.Principal, in ItemRequestInput) (ItemRequest, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return ItemRequest{}, err
	}
	mem, err := c.ActingAs(in.MemberID, "ask for an agenda item")
	if err != nil {
		return ItemRequest{}, err
	}
	item := ItemInput{Title: in.Title, Description: in.Description}.normalised()
	var v errs.Validation
	checkItem(&v, "", item)
	if err := v.Err(); err != nil {
		return ItemRequest{}, err
	}
	var out ItemRequest
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		// The member's row is the lock under which their waiting requests
		// are counted, so that requests sent at once cannot pass the
		// bound together. The count is a statement of its own, after the
		// lock: its snapshot then holds the requests of whoever held the
		// lock before.
		if _, err := tx.ExecContext(ctx, `SELECT 1 FROM members WHERE id = $1 FOR NO KEY UPDATE`, mem.ID); err != nil {
			return fmt.Errorf("meetings: requests of member %d: %w", mem.ID, err)
		}
		var waiting int
		if err := tx.GetContext(ctx, &waiting, `
			SELECT count(*) FROM meeting_item_requests WHERE member_id = $1 AND meeting_id IS NULL`, mem.ID); err != nil {
			return fmt.Errorf("meetings: requests of member %d: %w", mem.ID, err)
		}
		if waiting >= maxWaiting {
			return errs.Wrap(errs.Conflict, "You already have %d requests waiting for the board's decision; you can ask for more once it has decided on them.", waiting)
		}
		out, err = s.insertRequest(ctx, tx, p, nil, mem.ID, item, s.clock.Now())
		return err
	})
	return out, err
}

// insertRequest writes a member's request, for the meeting or, with
// meetingID nil, for the next general meeting, with its audit event.
func (s *Service) insertRequest(ctx context.Context, tx *sqlx.Tx, p auth.Principal, meetingID *int64, memberID int64, item ItemInput, now time.Time) (ItemRequest, error) {
	var rid int64
	if err := tx.GetContext(ctx, &rid, `
		INSERT INTO meeting_item_requests (meeting_id, member_id, account_id, title, description, requested_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, meetingID, memberID, p.AccountID, item.Title, item.Description, now); err != nil {
		return ItemRequest{}, fmt.Errorf("meetings: request an item: %w", err)
	}
	rs, err := selectRequests(ctx, tx, `id = $1`, rid)
	if err != nil {
		return ItemRequest{}, err
	}
	about := "item_request:" + strconv.FormatInt(rid, 10)
	if meetingID != nil {
		about = subject(*meetingID)
	}
	_, err = s.audit.Append(ctx, tx, audit.Event{
		ActorAccountID: p.Actor(), Action: "meeting.item_requested", Subject: about,
		Payload: map[string]any{"request_id": rid, "member_id": memberID, "title": item.Title},
	})
	return rs[0], err
}

// Requests lists the requests that wait for a meeting (made before any
// notice, not yet decided on) to the board and auditors, and to a member
// every request they made.
func (s *Service) Requests(ctx context.Context, p auth.Principal) ([]ItemRequest, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return nil, err
	}
	return s.requestsOf(ctx, c)
}

// requestsOf is Requests for a caller already looked up.
func (s *Service) requestsOf(ctx context.Context, c members.Caller) ([]ItemRequest, error) {
	if c.Principal().HasAny(auth.RoleBoard, auth.RoleAuditor) {
		return selectRequests(ctx, s.db, `meeting_id IS NULL ORDER BY id`)
	}
	if !c.IsMember() {
		return nil, errs.Wrap(errs.Forbidden, "Only active members ask the board for agenda items.")
	}
	return selectRequests(ctx, s.db, `member_id = ANY($1) ORDER BY id`, pq.Array(actingIDs(c)))
}

// actingIDs are the members whose requests the caller reads: by the
// member, not the account, so that an organisation's requests go with it
// to its next representative.
func actingIDs(c members.Caller) []int64 {
	ids := []int64{}
	for _, m := range c.Acting() {
		ids = append(ids, m.ID)
	}
	return ids
}

// takesRequests says whether the board can still decide on a waiting
// request from the meeting: its agenda may still grow.
func takesRequests(m Meeting) bool {
	return m.Status == StatusDraft || m.Status == StatusConvened
}

// ItemRequests lists the requests for agenda items at the meeting: all of
// them to the board and auditors, a member's own to the member. While the
// meeting's agenda may still grow, the board also finds there the requests
// waiting for a meeting, to decide on them for this one.
func (s *Service) ItemRequests(ctx context.Context, p auth.Principal, id int64) ([]ItemRequest, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return nil, err
	}
	m, err := s.visible(ctx, s.db, c, id, noLock)
	if err != nil {
		return nil, err
	}
	switch {
	case p.Has(auth.RoleBoard) && takesRequests(m):
		return selectRequests(ctx, s.db, `meeting_id = $1 OR meeting_id IS NULL ORDER BY id`, id)
	case p.HasAny(auth.RoleBoard, auth.RoleAuditor):
		return selectRequests(ctx, s.db, `meeting_id = $1 ORDER BY id`, id)
	}
	return selectRequests(ctx, s.db, `meeting_id = $1 AND member_id = ANY($2) ORDER BY id`, id, pq.Array(actingIDs(c)))
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
	// Locked by id alone: a waiting request decided meanwhile from another
	// meeting is then found decided, not missing.
	rs, err := selectRequests(ctx, tx, `id = $1 FOR UPDATE`, requestID)
	if err != nil {
		return Meeting{}, ItemRequest{}, err
	}
	switch {
	case len(rs) == 0,
		rs[0].MeetingID == nil && !takesRequests(m),
		rs[0].MeetingID != nil && *rs[0].MeetingID != id && rs[0].Status == RequestPending:
		return Meeting{}, ItemRequest{}, ErrNoRequest
	}
	if rs[0].Status != RequestPending {
		return Meeting{}, ItemRequest{}, errs.Wrap(errs.Conflict, "The board has already decided on this request: it was %s.", rs[0].Status)
	}
	return m, rs[0], nil
}

// Acceptance is how the board puts a member's requested item on the
// agenda: at Position, or in the default place, and flagged as the board
// judges it. A requested rule change is a rule change, with the longer
// notice that asks for (SPEC.md): a member's request is no way around it.
type Acceptance struct {
	Position            *int
	RuleChange, Weighty bool
	// Description, when given, is the item's text on the agenda in place
	// of the member's: a rule change must say which rules change and how,
	// which the member may not have written.
	Description string
}

// AcceptRequest puts a member's requested item on the agenda as a says,
// and tells the member.
func (s *Service) AcceptRequest(ctx context.Context, p auth.Principal, id, requestID int64, a Acceptance) (ItemRequest, error) {
	if err := p.RequireAny(auth.RoleBoard); err != nil {
		return ItemRequest{}, err
	}
	a.Description = strings.TrimSpace(a.Description)
	var v errs.Validation
	checkText(&v, "description", a.Description, maxDescription, true)
	if err := v.Err(); err != nil {
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
		description := req.Description
		if a.Description != "" {
			description = a.Description
		}
		item, err := s.addItem(ctx, tx, p, m, ItemInput{Title: req.Title, Description: description, Position: a.Position,
			RuleChange: a.RuleChange, Weighty: a.Weighty},
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
		UPDATE meeting_item_requests SET meeting_id = $7, status = $2, decided_at = $3, decided_by = $4, reason = $5, agenda_item_id = $6
		WHERE id = $1`, req.ID, status, now, p.Actor(), reason, itemID, m.ID); err != nil {
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
