package meetings

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// AttendInput registers a member as present.
type AttendInput struct {
	Mode string
	// MemberID names the member: an organisation the caller represents,
	// or, for the chair and the secretary, any active member present in
	// the room. Nil means the caller's own membership.
	MemberID *int64
}

// whose works out which member an attendance change is for, and whether
// the caller makes it as one of the meeting's officers for someone else.
func (s *Service) whose(ctx context.Context, c members.Caller, m Meeting, memberID *int64, what string) (members.Member, bool, error) {
	if memberID != nil {
		if mem, ok := c.ActsFor(*memberID); ok {
			return mem, false, nil
		}
		if m.runBy(c) {
			mem, err := s.members.Get(ctx, *memberID)
			if errors.Is(err, members.ErrNotFound) {
				var v errs.Validation
				v.Add("member_id", "There is no member with this id.")
				return members.Member{}, false, v.Err()
			}
			return mem, true, err
		}
	}
	mem, err := c.ActingAs(memberID, what)
	return mem, false, err
}

// attendanceOpen refuses attendance changes outside the session's time.
func attendanceOpen(m Meeting, now time.Time) error {
	if err := refuseFinished(m); err != nil {
		return err
	}
	switch {
	case m.Status == StatusDraft:
		return errs.Wrap(errs.Conflict, "The meeting has not been convened.")
	case m.Status == StatusConvened && now.Before(m.AttendanceOpensAt()):
		return errs.Wrap(errs.Conflict, "Attendance opens at %s, one hour before the meeting starts.", formatIn(m.AttendanceOpensAt(), m.Zone()))
	case m.Status == StatusConvened && now.After(m.EndsAt):
		return errs.Wrap(errs.Conflict, "The meeting was to end at %s and its session was never opened: attendance is closed.", formatIn(m.EndsAt, m.Zone()))
	}
	return nil
}

// Attend registers a member as present. Registering again in the same way
// changes nothing and reports false; in another way (remote instead of in
// person), it records the change.
func (s *Service) Attend(ctx context.Context, p auth.Principal, id int64, in AttendInput) (Attendee, bool, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return Attendee{}, false, err
	}
	var (
		out     Attendee
		created bool
	)
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, err := s.visible(ctx, tx, c, id, lockForUpdate)
		if err != nil {
			return err
		}
		mem, byOfficer, err := s.whose(ctx, c, m, in.MemberID, "register attendance")
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if err := attendanceOpen(m, now); err != nil {
			return err
		}
		var v errs.Validation
		switch {
		case in.Mode != ModeInPerson && in.Mode != ModeRemote:
			v.Add("mode", "Choose how you take part: in person (in_person) or remotely (remote).")
		case in.Mode == ModeRemote && !m.RemoteAllowed:
			v.Add("mode", "This meeting does not offer remote participation.")
		case mem.Status != members.StatusActive:
			v.Add("member_id", "Only active members take part; this membership is %s.", mem.Status)
		}
		if err := v.Err(); err != nil {
			return err
		}
		current, err := openAttendance(ctx, tx, id, mem.ID)
		if err != nil {
			return err
		}
		if current != nil && current.Mode == in.Mode {
			out = *current
			return nil
		}
		if current != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE meeting_attendance SET left_at = $3, left_by = $4
				WHERE meeting_id = $1 AND member_id = $2 AND left_at IS NULL`, id, mem.ID, now, p.Actor()); err != nil {
				return fmt.Errorf("meetings: attendance of %d at %d: %w", mem.ID, id, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO meeting_attendance (meeting_id, member_id, mode, arrived_at, registered_by)
			VALUES ($1, $2, $3, $4, $5)`, id, mem.ID, in.Mode, now, p.Actor()); err != nil {
			return fmt.Errorf("meetings: attendance of %d at %d: %w", mem.ID, id, err)
		}
		created = current == nil
		a, err := openAttendance(ctx, tx, id, mem.ID)
		if err != nil {
			return err
		}
		out = *a
		if _, err := s.publishQuorum(ctx, tx, m, now); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: "meeting.attended", Subject: subject(id),
			Payload: map[string]any{"member_id": mem.ID, "mode": in.Mode, "by_officer": byOfficer},
		})
		return err
	})
	if err != nil {
		return Attendee{}, false, err
	}
	list, err := s.describe(ctx, []Attendee{out}, id)
	if err != nil {
		return Attendee{}, false, err
	}
	return list[0], created, nil
}

// Leave records that a member has left the meeting. Leaving when not
// present changes nothing.
func (s *Service) Leave(ctx context.Context, p auth.Principal, id int64, memberID *int64) error {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return err
	}
	return db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, err := s.visible(ctx, tx, c, id, lockForUpdate)
		if err != nil {
			return err
		}
		mem, byOfficer, err := s.whose(ctx, c, m, memberID, "leave the meeting")
		if err != nil {
			return err
		}
		if err := refuseFinished(m); err != nil {
			return err
		}
		now := s.clock.Now()
		res, err := tx.ExecContext(ctx, `UPDATE meeting_attendance SET left_at = $3, left_by = $4
			WHERE meeting_id = $1 AND member_id = $2 AND left_at IS NULL`, id, mem.ID, now, p.Actor())
		if err != nil {
			return fmt.Errorf("meetings: leave %d: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		if _, err := s.publishQuorum(ctx, tx, m, now); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: "meeting.left", Subject: subject(id),
			Payload: map[string]any{"member_id": mem.ID, "by_officer": byOfficer},
		})
		return err
	})
}

// Presence returns the caller's open attendance for each member they act
// for, by member id, for the meeting's page.
func (s *Service) Presence(ctx context.Context, p auth.Principal, id int64) (map[int64]Attendee, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return nil, err
	}
	out := map[int64]Attendee{}
	for _, mem := range c.Acting() {
		a, err := openAttendance(ctx, s.db, id, mem.ID)
		if err != nil {
			return nil, err
		}
		if a != nil {
			out[mem.ID] = *a
		}
	}
	return out, nil
}

// Attendance lists everyone who registered at the meeting, with their
// latest stay: for the chair, the secretary, the board and auditors.
func (s *Service) Attendance(ctx context.Context, p auth.Principal, id int64) ([]Attendee, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return nil, err
	}
	m, err := s.visible(ctx, s.db, c, id, noLock)
	if err != nil {
		return nil, err
	}
	if !m.runBy(c) && !p.HasAny(auth.RoleBoard, auth.RoleAuditor) {
		return nil, errs.Wrap(errs.Forbidden, "Only the chair, the secretary, the board and auditors see the list of attendance.")
	}
	list, err := latestAttendance(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	return s.describe(ctx, list, id)
}

// describe adds names, numbers and the proxies each attendee holds.
func (s *Service) describe(ctx context.Context, list []Attendee, meetingID int64) ([]Attendee, error) {
	ids := make([]int64, len(list))
	for i, a := range list {
		ids[i] = a.MemberID
	}
	names, err := s.members.SummariesOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	proxies, err := selectProxies(ctx, s.db, `meeting_id = $1 AND withdrawn_at IS NULL ORDER BY id`, meetingID)
	if err != nil {
		return nil, err
	}
	for i := range list {
		a := &list[i]
		sum := names[a.MemberID]
		a.MemberNo, a.Name, a.Kind = sum.MemberNo, sum.Name, sum.Kind
		a.ProxyFor = []int64{}
		for _, px := range proxies {
			if px.HolderMemberID == a.MemberID {
				a.ProxyFor = append(a.ProxyFor, px.MemberID)
			}
		}
	}
	return list, nil
}

// ProxyInput authorises a proxy.
type ProxyInput struct {
	HolderMemberID int64
	// MemberID names an organisation the caller represents as the grantor;
	// nil means the caller's own membership.
	MemberID *int64
}

// KeepProxyLimits refuses, inside the transaction that changes an
// organisation's representative (members.OnRepresentativeChanged), a
// change that would take the new representative beyond the proxies the
// rules let one person hold at a meeting not yet over: the limit is a
// person's (GrantProxy), and the new representative takes on the
// proxies the organisation holds.
func (s *Service) KeepProxyLimits(ctx context.Context, tx *sqlx.Tx, member, _, _ int64) error {
	r, err := s.rules.Current(ctx)
	if err != nil {
		return err
	}
	var ids []int64
	err = tx.SelectContext(ctx, &ids, `SELECT DISTINCT p.meeting_id FROM meeting_proxies p
		JOIN meetings m ON m.id = p.meeting_id
		WHERE p.holder_member_id = $1 AND p.withdrawn_at IS NULL AND m.status IN ('convened', 'in_session')
		ORDER BY p.meeting_id`, member)
	if err != nil {
		return fmt.Errorf("meetings: proxies held by %d: %w", member, err)
	}
	for _, id := range ids {
		// Locked as a grant locks it, so that no grant slips in meanwhile.
		m, err := getMeeting(ctx, tx, id, lockForUpdate)
		if err != nil {
			return err
		}
		limit := m.Terms(r).ProxyMaxPerHolder
		held, err := countHeldByPerson(ctx, tx, id, member)
		if err != nil {
			return err
		}
		if held > limit {
			return errs.Wrap(errs.Conflict, "The new representative would hold %d proxies at %s, counting their own and those of every organisation they act for; the rules allow one person at most %d. Members can withdraw proxies first, or choose another representative.",
				held, m.Title, limit)
		}
	}
	return nil
}

// GrantProxy records that a member authorises another member to act for
// them at the meeting, within the limits of the rules.
func (s *Service) GrantProxy(ctx context.Context, p auth.Principal, id int64, in ProxyInput) (Proxy, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return Proxy{}, err
	}
	r, err := s.rules.Current(ctx)
	if err != nil {
		return Proxy{}, err
	}
	var out Proxy
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, err := s.visible(ctx, tx, c, id, lockForUpdate)
		if err != nil {
			return err
		}
		grantor, err := c.ActingAs(in.MemberID, "authorise a proxy")
		if err != nil {
			return err
		}
		r := m.Terms(r)
		if err := refuseFinished(m); err != nil {
			return err
		}
		if m.Status == StatusDraft {
			return errs.Wrap(errs.Conflict, "The meeting has not been convened.")
		}
		if !r.ProxiesAllowed {
			return errs.Wrap(errs.Conflict, "Proxies are not allowed at this meeting: the co-op's rules did not allow them when it was convened.")
		}
		var v errs.Validation
		holder, err := s.members.Get(ctx, in.HolderMemberID)
		switch {
		case in.HolderMemberID == grantor.ID:
			v.Add("holder_member_id", "You cannot authorise yourself: choose another member.")
		case errors.Is(err, members.ErrNotFound):
			v.Add("holder_member_id", "There is no member with this id.")
		case err != nil:
			return err
		case holder.Status != members.StatusActive:
			v.Add("holder_member_id", "Only an active member can hold a proxy: choose an active member.")
		}
		if err := v.Err(); err != nil {
			return err
		}
		existing, err := liveProxy(ctx, tx, id, grantor.ID)
		if err != nil {
			return err
		}
		if existing != nil {
			current, err := s.members.Get(ctx, existing.HolderMemberID)
			if err != nil {
				return err
			}
			return errs.Wrap(errs.Conflict, "Your proxy for this meeting is already with %s. Withdraw it first to choose someone else.", current.DisplayName())
		}
		// No chains: a proxy holder attends in person, and acts for
		// members who chose them, not for members chosen by someone else.
		if given, err := liveProxy(ctx, tx, id, holder.ID); err != nil {
			return err
		} else if given != nil {
			return errs.Wrap(errs.Conflict, "%s has authorised a proxy for this meeting, so cannot hold proxies.", holder.DisplayName())
		}
		held, err := countHeld(ctx, tx, id, grantor.ID)
		if err != nil {
			return err
		}
		if held > 0 {
			return errs.Wrap(errs.Conflict, "You hold proxies for other members at this meeting, so you cannot give your own vote to someone else.")
		}
		held, err = countHeldByPerson(ctx, tx, id, holder.ID)
		if err != nil {
			return err
		}
		if held >= r.ProxyMaxPerHolder {
			return errs.Wrap(errs.Conflict, "%s already holds %d proxies for this meeting, counting those held through every membership the same person acts for; the rules allow one person at most %d.",
				holder.DisplayName(), held, r.ProxyMaxPerHolder)
		}
		now := s.clock.Now()
		var pid int64
		if err := tx.GetContext(ctx, &pid, `
			INSERT INTO meeting_proxies (meeting_id, grantor_member_id, holder_member_id, granted_at, granted_by)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, id, grantor.ID, holder.ID, now, p.AccountID); err != nil {
			if db.IsUniqueViolation(err) {
				return errs.Wrap(errs.Conflict, "A proxy for this meeting is already authorised.")
			}
			return fmt.Errorf("meetings: grant proxy at %d: %w", id, err)
		}
		ps, err := selectProxies(ctx, tx, `id = $1`, pid)
		if err != nil {
			return err
		}
		out = ps[0]
		if err := mail.Enqueue(ctx, tx, now, s.proxyMessage(m, grantor, holder)); err != nil {
			return fmt.Errorf("meetings: grant proxy at %d: %w", id, err)
		}
		if _, err := s.publishQuorum(ctx, tx, m, now); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: "meeting.proxy_granted", Subject: subject(id),
			Payload: map[string]any{"proxy_id": pid, "member_id": grantor.ID, "holder_member_id": holder.ID},
		})
		return err
	})
	return out, err
}

// WithdrawProxy withdraws the member's proxy for the meeting, unless a
// ballot has used it.
func (s *Service) WithdrawProxy(ctx context.Context, p auth.Principal, id int64, memberID *int64) (Proxy, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return Proxy{}, err
	}
	var out Proxy
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, err := s.visible(ctx, tx, c, id, lockForUpdate)
		if err != nil {
			return err
		}
		grantor, err := c.ActingAs(memberID, "withdraw a proxy")
		if err != nil {
			return err
		}
		if err := refuseFinished(m); err != nil {
			return err
		}
		px, err := liveProxy(ctx, tx, id, grantor.ID)
		if err != nil {
			return err
		}
		if px == nil {
			return errs.Wrap(errs.NotFound, "No proxy is authorised for this meeting.")
		}
		used := errs.Wrap(errs.Conflict, "The proxy was used in a ballot, so it stands for the rest of the meeting.")
		if px.UsedAt != nil {
			return used
		}
		// A vote marks the proxy used without the meeting's lock, so the
		// check is repeated on the row itself: a vote that committed
		// meanwhile wins.
		now := s.clock.Now()
		res, err := tx.ExecContext(ctx, `UPDATE meeting_proxies SET withdrawn_at = $2, withdrawn_by = $3 WHERE id = $1 AND used_at IS NULL`,
			px.ID, now, p.AccountID)
		if err != nil {
			return fmt.Errorf("meetings: withdraw proxy %d: %w", px.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("meetings: withdraw proxy %d: %w", px.ID, err)
		} else if n == 0 {
			return used
		}
		ps, err := selectProxies(ctx, tx, `id = $1`, px.ID)
		if err != nil {
			return err
		}
		out = ps[0]
		if _, err := s.publishQuorum(ctx, tx, m, now); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: "meeting.proxy_withdrawn", Subject: subject(id),
			Payload: map[string]any{"proxy_id": px.ID, "member_id": grantor.ID, "holder_member_id": px.HolderMemberID},
		})
		return err
	})
	return out, err
}

// Proxies lists the meeting's proxies, withdrawn ones too: all of them to
// the board, auditors, the chair and the secretary; to a member, those
// they gave or hold.
func (s *Service) Proxies(ctx context.Context, p auth.Principal, id int64) ([]Proxy, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return nil, err
	}
	m, err := s.visible(ctx, s.db, c, id, noLock)
	if err != nil {
		return nil, err
	}
	if m.runBy(c) || p.HasAny(auth.RoleBoard, auth.RoleAuditor) {
		return selectProxies(ctx, s.db, `meeting_id = $1 ORDER BY id`, id)
	}
	acting := c.Acting()
	ids := make([]int64, len(acting))
	for i, mem := range acting {
		ids[i] = mem.ID
	}
	return selectProxies(ctx, s.db, `meeting_id = $1 AND (grantor_member_id = ANY($2) OR holder_member_id = ANY($2)) ORDER BY id`,
		id, pq.Array(ids))
}

// ErrProxyWithdrawn is returned by MarkProxyUsed for a withdrawn proxy.
var ErrProxyWithdrawn = fmt.Errorf("meetings: %w", errs.Wrap(errs.Conflict, "The proxy was withdrawn."))

// MarkProxyUsed records, inside the ballot's transaction tx, that a ballot
// used the proxy: from then on it cannot be withdrawn. The first use is
// kept; marking again changes nothing. It is for internal/ballots.
func (s *Service) MarkProxyUsed(ctx context.Context, tx *sqlx.Tx, proxyID, ballotID int64, at time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE meeting_proxies SET used_at = $3, used_in_ballot = $2
		WHERE id = $1 AND withdrawn_at IS NULL AND used_at IS NULL`, proxyID, ballotID, at.UTC())
	if err != nil {
		return fmt.Errorf("meetings: use proxy %d: %w", proxyID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var withdrawn bool
	err = tx.GetContext(ctx, &withdrawn, `SELECT withdrawn_at IS NOT NULL FROM meeting_proxies WHERE id = $1`, proxyID)
	if err != nil {
		return fmt.Errorf("meetings: use proxy %d: %w", proxyID, err)
	}
	if withdrawn {
		return ErrProxyWithdrawn
	}
	return nil
}

// Quorum counts the meeting's quorum now, inside q (a transaction of the
// caller's, or the pool), without any access check.
func (s *Service) Quorum(ctx context.Context, q sqlx.QueryerContext, id int64) (Quorum, error) {
	m, err := getMeeting(ctx, q, id, noLock)
	if err != nil {
		return Quorum{}, err
	}
	return quorumOf(ctx, q, m)
}

func quorumOf(ctx context.Context, q sqlx.QueryerContext, m Meeting) (Quorum, error) {
	out, err := quorumCounts(ctx, q, m.ID)
	if err != nil {
		return Quorum{}, err
	}
	out.Required = m.Quorum.Required(out.Eligible)
	out.Met = out.Represented >= out.Required
	return out, nil
}

// sessionOf counts who was represented at the session of the closed
// meeting m. The quorum counts those present now, and the close records
// everyone as leaving, so after it the quorum says nobody. This counts the
// session as the minutes' draft does (internal/minutes): each member once,
// present if they stayed at the meeting at any time while it sat, by proxy
// if they never did and their proxy was used in a ballot or its holder
// stayed. The active members are those the close counted.
func sessionOf(ctx context.Context, q sqlx.QueryerContext, m Meeting) (Session, error) {
	var out Session
	err := sqlx.GetContext(ctx, q, &out, `
		WITH present AS (
			SELECT DISTINCT a.member_id FROM meeting_attendance a
			JOIN meetings m ON m.id = a.meeting_id
			WHERE a.meeting_id = $1 AND (a.left_at IS NULL OR a.left_at > m.opened_at)
		),
		proxied AS (
			SELECT DISTINCT p.grantor_member_id FROM meeting_proxies p
			WHERE p.meeting_id = $1 AND p.withdrawn_at IS NULL
			AND p.grantor_member_id NOT IN (SELECT member_id FROM present)
			AND (p.used_at IS NOT NULL OR p.holder_member_id IN (SELECT member_id FROM present))
		)
		SELECT (SELECT count(*) FROM present) AS present, (SELECT count(*) FROM proxied) AS by_proxy`, m.ID)
	if err != nil {
		return Session{}, fmt.Errorf("meetings: session of %d: %w", m.ID, err)
	}
	closes, err := audit.List(ctx, q, audit.Filter{Action: "meeting.closed", Subject: subject(m.ID), Limit: 1})
	if err != nil {
		return Session{}, err
	}
	if len(closes) > 0 {
		var counted struct {
			Eligible int `json:"eligible"`
		}
		if err := json.Unmarshal(closes[0].Payload, &counted); err != nil {
			return Session{}, fmt.Errorf("meetings: close of %d: %w", m.ID, err)
		}
		out.Eligible = counted.Eligible
	}
	return out, nil
}

// votesAt reports whether the member's vote counts at the meeting: they
// are active and were active on its record date, as the voting lists of
// internal/ballots take them (members.ElectorsQuery). Others may take
// part, and hold proxies, but vote in none of its ballots.
func (s *Service) votesAt(ctx context.Context, m Meeting, memberID int64) (bool, error) {
	if m.RecordDate == nil {
		return false, nil
	}
	mem, err := s.members.Get(ctx, memberID)
	if err != nil || mem.Status != members.StatusActive {
		return false, err
	}
	return s.members.ActiveAt(ctx, memberID, *m.RecordDate)
}

// QuorumAs returns the quorum of a meeting the principal may see.
func (s *Service) QuorumAs(ctx context.Context, p auth.Principal, id int64) (Quorum, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return Quorum{}, err
	}
	m, err := s.visible(ctx, s.db, c, id, noLock)
	if err != nil {
		return Quorum{}, err
	}
	return quorumOf(ctx, s.db, m)
}

// Represented lists, inside q, how each active member is represented at
// the meeting now, with the account that casts their vote: the input of a
// voting list (internal/ballots adds the record date).
func (s *Service) Represented(ctx context.Context, q sqlx.QueryerContext, id int64) ([]Representation, error) {
	reps, err := representations(ctx, q, id)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(reps))
	for _, r := range reps {
		ids = append(ids, r.MemberID)
		if r.HolderMemberID != nil {
			ids = append(ids, *r.HolderMemberID)
		}
	}
	sums, err := s.members.SummariesOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range reps {
		voter := reps[i].MemberID
		if reps[i].HolderMemberID != nil {
			voter = *reps[i].HolderMemberID
		}
		reps[i].VoterAccountID = sums[voter].AccountID
	}
	return reps, nil
}
