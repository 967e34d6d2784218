package meetings

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/citizen-network/osk/internal/members"
)

const meetingColumns = `id, kind, title, starts_at, ends_at, time_zone, location, online_url,
	remote_allowed, record_date, quorum_min_members, quorum_min_percent, status,
	chair_account_id, secretary_account_id, created_at, created_by, convened_at, opened_at,
	closed_at, cancelled_at, cancel_reason, notice, revision, member_motion_deadline, proxies_allowed,
	proxy_max_per_holder`

// lockMode says how getMeeting locks the row: changes to a meeting and to
// its attendance and proxies take it FOR UPDATE, which serialises them per
// meeting (the proxy limits count under it); ballots take it FOR SHARE.
type lockMode string

const (
	noLock        lockMode = ""
	lockForUpdate lockMode = " FOR UPDATE"
	lockForShare  lockMode = " FOR SHARE"
)

func getMeeting(ctx context.Context, q sqlx.QueryerContext, id int64, lock lockMode) (Meeting, error) {
	var m Meeting
	err := sqlx.GetContext(ctx, q, &m, `SELECT `+meetingColumns+` FROM meetings WHERE id = $1`+string(lock), id)
	if errors.Is(err, sql.ErrNoRows) {
		return Meeting{}, ErrNotFound
	}
	if err != nil {
		return Meeting{}, fmt.Errorf("meetings: get %d: %w", id, err)
	}
	if err := complete(ctx, q, &m); err != nil {
		return Meeting{}, err
	}
	return m, nil
}

// complete loads the agenda and checkers and fills the derived fields.
func complete(ctx context.Context, q sqlx.QueryerContext, m *Meeting) error {
	m.normalise()
	items, err := agendaOf(ctx, q, m.ID)
	if err != nil {
		return err
	}
	m.Agenda = items
	checkers := []int64{}
	if err := sqlx.SelectContext(ctx, q, &checkers, `
		SELECT account_id FROM meeting_checkers WHERE meeting_id = $1 ORDER BY position`, m.ID); err != nil {
		return fmt.Errorf("meetings: checkers of %d: %w", m.ID, err)
	}
	m.Officers = Officers{ChairAccountID: m.ChairAccountID, SecretaryAccountID: m.SecretaryAccountID, CheckerAccountIDs: checkers}
	return nil
}

func (m *Meeting) normalise() {
	m.StartsAt, m.EndsAt, m.CreatedAt = m.StartsAt.UTC(), m.EndsAt.UTC(), m.CreatedAt.UTC()
	for _, t := range []**time.Time{&m.ConvenedAt, &m.RecordDate, &m.OpenedAt, &m.ClosedAt, &m.CancelledAt} {
		if *t != nil {
			u := (*t).UTC()
			*t = &u
		}
	}
	m.Quorum = QuorumRule{MinMembers: m.QuorumMinMembers, MinPercent: m.QuorumMinPercent}
	if loc, err := time.LoadLocation(m.TimeZone); err == nil {
		m.zone = loc
	} else {
		m.zone = time.UTC
	}
	m.Warnings = []string{}
}

func agendaOf(ctx context.Context, q sqlx.QueryerContext, meetingID int64) ([]AgendaItem, error) {
	items := []AgendaItem{}
	err := sqlx.SelectContext(ctx, q, &items, `
		SELECT id, meeting_id, position, title, description, rule_change, weighty, statutory
		FROM meeting_agenda_items WHERE meeting_id = $1 ORDER BY position`, meetingID)
	if err != nil {
		return nil, fmt.Errorf("meetings: agenda of %d: %w", meetingID, err)
	}
	return items, nil
}

func insertMeeting(ctx context.Context, tx *sqlx.Tx, m Meeting) (int64, error) {
	var id int64
	err := tx.GetContext(ctx, &id, `
		INSERT INTO meetings (kind, title, starts_at, ends_at, time_zone, location, online_url,
			remote_allowed, record_date, quorum_min_members, quorum_min_percent, created_at, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		RETURNING id`,
		m.Kind, m.Title, m.StartsAt, m.EndsAt, m.TimeZone, m.Location, m.OnlineURL,
		m.RemoteAllowed, m.RecordDate, m.Quorum.MinMembers, m.Quorum.MinPercent, m.CreatedAt, m.CreatedBy)
	if err != nil {
		return 0, fmt.Errorf("meetings: insert: %w", err)
	}
	return id, nil
}

func updateDetails(ctx context.Context, tx *sqlx.Tx, m Meeting) error {
	_, err := tx.ExecContext(ctx, `
		UPDATE meetings SET kind = $2, title = $3, starts_at = $4, ends_at = $5, time_zone = $6,
			location = $7, online_url = $8, remote_allowed = $9, record_date = $10,
			quorum_min_members = $11, quorum_min_percent = $12, revision = $13
		WHERE id = $1`,
		m.ID, m.Kind, m.Title, m.StartsAt, m.EndsAt, m.TimeZone, m.Location, m.OnlineURL,
		m.RemoteAllowed, m.RecordDate, m.Quorum.MinMembers, m.Quorum.MinPercent, m.Revision)
	if err != nil {
		return fmt.Errorf("meetings: update %d: %w", m.ID, err)
	}
	return nil
}

func insertItem(ctx context.Context, tx *sqlx.Tx, meetingID int64, position int, it ItemInput) (int64, error) {
	// Make room: the unique order is checked at commit.
	if _, err := tx.ExecContext(ctx, `
		UPDATE meeting_agenda_items SET position = position + 1
		WHERE meeting_id = $1 AND position >= $2`, meetingID, position); err != nil {
		return 0, fmt.Errorf("meetings: agenda of %d: make room: %w", meetingID, err)
	}
	var id int64
	err := tx.GetContext(ctx, &id, `
		INSERT INTO meeting_agenda_items (meeting_id, position, title, description, rule_change, weighty, statutory)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		meetingID, position, it.Title, it.Description, it.RuleChange, it.Weighty, it.statutory)
	if err != nil {
		return 0, fmt.Errorf("meetings: agenda of %d: insert: %w", meetingID, err)
	}
	return id, nil
}

func updateItem(ctx context.Context, tx *sqlx.Tx, it AgendaItem) error {
	_, err := tx.ExecContext(ctx, `
		UPDATE meeting_agenda_items SET title = $2, description = $3, rule_change = $4, weighty = $5
		WHERE id = $1`, it.ID, it.Title, it.Description, it.RuleChange, it.Weighty)
	if err != nil {
		return fmt.Errorf("meetings: agenda item %d: %w", it.ID, err)
	}
	return nil
}

// moveItem puts an item at a new position, shifting those between.
func moveItem(ctx context.Context, tx *sqlx.Tx, it AgendaItem, to int) error {
	from := it.Position
	var err error
	switch {
	case to < from:
		_, err = tx.ExecContext(ctx, `UPDATE meeting_agenda_items SET position = position + 1
			WHERE meeting_id = $1 AND position >= $2 AND position < $3`, it.MeetingID, to, from)
	case to > from:
		_, err = tx.ExecContext(ctx, `UPDATE meeting_agenda_items SET position = position - 1
			WHERE meeting_id = $1 AND position > $2 AND position <= $3`, it.MeetingID, from, to)
	default:
		return nil
	}
	if err == nil {
		_, err = tx.ExecContext(ctx, `UPDATE meeting_agenda_items SET position = $2 WHERE id = $1`, it.ID, to)
	}
	if err != nil {
		return fmt.Errorf("meetings: move agenda item %d: %w", it.ID, err)
	}
	return nil
}

func deleteItem(ctx context.Context, tx *sqlx.Tx, it AgendaItem) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM meeting_agenda_items WHERE id = $1`, it.ID); err != nil {
		return fmt.Errorf("meetings: remove agenda item %d: %w", it.ID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE meeting_agenda_items SET position = position - 1
		WHERE meeting_id = $1 AND position > $2`, it.MeetingID, it.Position); err != nil {
		return fmt.Errorf("meetings: remove agenda item %d: renumber: %w", it.ID, err)
	}
	return nil
}

func setOfficers(ctx context.Context, tx *sqlx.Tx, id int64, o Officers) error {
	if _, err := tx.ExecContext(ctx, `UPDATE meetings SET chair_account_id = $2, secretary_account_id = $3 WHERE id = $1`,
		id, o.ChairAccountID, o.SecretaryAccountID); err != nil {
		return fmt.Errorf("meetings: officers of %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM meeting_checkers WHERE meeting_id = $1`, id); err != nil {
		return fmt.Errorf("meetings: checkers of %d: %w", id, err)
	}
	if len(o.CheckerAccountIDs) > 0 {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO meeting_checkers (meeting_id, account_id, position)
			SELECT $1, a.id, a.n FROM unnest($2::bigint[]) WITH ORDINALITY AS a(id, n)`,
			id, pq.Array(o.CheckerAccountIDs)); err != nil {
			return fmt.Errorf("meetings: checkers of %d: %w", id, err)
		}
	}
	return nil
}

func listMeetings(ctx context.Context, q sqlx.QueryerContext, withUnnoticed bool, after *keyset, limit int) ([]Meeting, error) {
	query := `SELECT ` + meetingColumns + ` FROM meetings WHERE (convened_at IS NOT NULL OR $1)`
	args := []any{withUnnoticed}
	if after != nil {
		args = append(args, after.At, after.ID)
		query += ` AND (starts_at, id) < ($2, $3)`
	}
	args = append(args, limit)
	query += fmt.Sprintf(` ORDER BY starts_at DESC, id DESC LIMIT $%d`, len(args))
	out := []Meeting{}
	if err := sqlx.SelectContext(ctx, q, &out, query, args...); err != nil {
		return nil, fmt.Errorf("meetings: list: %w", err)
	}
	for i := range out {
		if err := complete(ctx, q, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// quorumCounts counts, in one statement and so at one moment, the active
// members present, those represented by a present proxy holder and not
// present themselves, and all active members. Each member counts once: a
// member has at most one open attendance row and one live proxy, and a
// member present in person is never also counted by proxy.
func quorumCounts(ctx context.Context, q sqlx.QueryerContext, meetingID int64) (Quorum, error) {
	var out Quorum
	err := sqlx.GetContext(ctx, q, &out, `
		WITH active AS NOT MATERIALIZED (`+members.ActiveIDsSQL+`),
		present AS (
			SELECT DISTINCT a.member_id FROM meeting_attendance a
			JOIN active ON active.id = a.member_id
			WHERE a.meeting_id = $1 AND a.left_at IS NULL
		),
		proxied AS (
			SELECT DISTINCT p.grantor_member_id AS member_id FROM meeting_proxies p
			JOIN present holder ON holder.member_id = p.holder_member_id
			JOIN active grantor ON grantor.id = p.grantor_member_id
			WHERE p.meeting_id = $1 AND p.withdrawn_at IS NULL
			AND p.grantor_member_id NOT IN (SELECT member_id FROM present)
		)
		SELECT (SELECT count(*) FROM present) AS present,
		       (SELECT count(*) FROM proxied) AS by_proxy,
		       (SELECT count(*) FROM present) + (SELECT count(*) FROM proxied) AS represented,
		       (`+members.ActiveCountSQL+`) AS eligible`, meetingID)
	if err != nil {
		return Quorum{}, fmt.Errorf("meetings: quorum of %d: %w", meetingID, err)
	}
	return out, nil
}

// representations lists how each active member is represented now: those
// present, then those represented by a present holder.
func representations(ctx context.Context, q sqlx.QueryerContext, meetingID int64) ([]Representation, error) {
	out := []Representation{}
	err := sqlx.SelectContext(ctx, q, &out, `
		WITH active AS NOT MATERIALIZED (`+members.ActiveIDsSQL+`),
		present AS (
			SELECT a.member_id, a.mode FROM meeting_attendance a
			JOIN active ON active.id = a.member_id
			WHERE a.meeting_id = $1 AND a.left_at IS NULL
		)
		SELECT member_id, 'present' AS via, mode, NULL::bigint AS holder_member_id, NULL::bigint AS proxy_id,
		       0::bigint AS voter_account_id
		FROM present
		UNION ALL
		SELECT p.grantor_member_id, 'proxy', holder.mode, p.holder_member_id, p.id, 0
		FROM meeting_proxies p
		JOIN present holder ON holder.member_id = p.holder_member_id
		JOIN active grantor ON grantor.id = p.grantor_member_id
		WHERE p.meeting_id = $1 AND p.withdrawn_at IS NULL
		AND p.grantor_member_id NOT IN (SELECT member_id FROM present)
		ORDER BY 1`, meetingID)
	if err != nil {
		return nil, fmt.Errorf("meetings: representation at %d: %w", meetingID, err)
	}
	return out, nil
}

// openAttendance returns the member's open attendance row, if any.
func openAttendance(ctx context.Context, q sqlx.QueryerContext, meetingID, memberID int64) (*Attendee, error) {
	var a Attendee
	err := sqlx.GetContext(ctx, q, &a, `
		SELECT member_id, mode, arrived_at, left_at, registered_by FROM meeting_attendance
		WHERE meeting_id = $1 AND member_id = $2 AND left_at IS NULL`, meetingID, memberID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("meetings: attendance of %d at %d: %w", memberID, meetingID, err)
	}
	a.ArrivedAt = a.ArrivedAt.UTC()
	a.Present = true
	return &a, nil
}

// latestAttendance lists, per member who ever registered, their latest
// stay, in order of arrival.
func latestAttendance(ctx context.Context, q sqlx.QueryerContext, meetingID int64) ([]Attendee, error) {
	out := []Attendee{}
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT member_id, mode, arrived_at, left_at, registered_by FROM (
			SELECT DISTINCT ON (member_id) member_id, mode, arrived_at, left_at, registered_by, id
			FROM meeting_attendance WHERE meeting_id = $1
			ORDER BY member_id, id DESC
		) latest ORDER BY arrived_at, member_id`, meetingID)
	if err != nil {
		return nil, fmt.Errorf("meetings: attendance at %d: %w", meetingID, err)
	}
	for i := range out {
		out[i].ArrivedAt = out[i].ArrivedAt.UTC()
		if out[i].LeftAt != nil {
			u := out[i].LeftAt.UTC()
			out[i].LeftAt = &u
		}
		out[i].Present = out[i].LeftAt == nil
	}
	return out, nil
}

const proxyColumns = `id, meeting_id, grantor_member_id, holder_member_id, granted_at, granted_by,
	withdrawn_at, used_at, used_in_ballot`

func selectProxies(ctx context.Context, q sqlx.QueryerContext, query string, args ...any) ([]Proxy, error) {
	out := []Proxy{}
	if err := sqlx.SelectContext(ctx, q, &out, `SELECT `+proxyColumns+` FROM meeting_proxies WHERE `+query, args...); err != nil {
		return nil, fmt.Errorf("meetings: proxies: %w", err)
	}
	for i := range out {
		out[i].normalise()
	}
	return out, nil
}

func (p *Proxy) normalise() {
	p.GrantedAt = p.GrantedAt.UTC()
	for _, t := range []**time.Time{&p.WithdrawnAt, &p.UsedAt} {
		if *t != nil {
			u := (*t).UTC()
			*t = &u
		}
	}
}

// liveProxy returns the member's proxy at the meeting that has not been
// withdrawn, if any.
func liveProxy(ctx context.Context, q sqlx.QueryerContext, meetingID, grantorID int64) (*Proxy, error) {
	ps, err := selectProxies(ctx, q, `meeting_id = $1 AND grantor_member_id = $2 AND withdrawn_at IS NULL`, meetingID, grantorID)
	if err != nil || len(ps) == 0 {
		return nil, err
	}
	return &ps[0], nil
}

func countHeld(ctx context.Context, q sqlx.QueryerContext, meetingID, holderID int64) (int, error) {
	var n int
	err := sqlx.GetContext(ctx, q, &n, `SELECT count(*) FROM meeting_proxies
		WHERE meeting_id = $1 AND holder_member_id = $2 AND withdrawn_at IS NULL`, meetingID, holderID)
	if err != nil {
		return 0, fmt.Errorf("meetings: proxies held by %d: %w", holderID, err)
	}
	return n, nil
}

// countHeldByPerson counts the live proxies at a meeting held by the
// person who acts for holder: through holder, and through every other
// membership of theirs, their own and the organisations they represent.
// The rules' limit is on a person's voting power; an organisation does
// not multiply it.
func countHeldByPerson(ctx context.Context, q sqlx.QueryerContext, meetingID, holderID int64) (int, error) {
	var n int
	err := sqlx.GetContext(ctx, q, &n, `SELECT count(*) FROM meeting_proxies p
		JOIN members h ON h.id = p.holder_member_id
		WHERE p.meeting_id = $1 AND p.withdrawn_at IS NULL
		AND (h.id = $2 OR h.account_id = (SELECT account_id FROM members WHERE id = $2))`, meetingID, holderID)
	if err != nil {
		return 0, fmt.Errorf("meetings: proxies held through %d: %w", holderID, err)
	}
	return n, nil
}

const requestColumns = `id, meeting_id, member_id, account_id, title, description, requested_at, status,
	decided_at, reason, agenda_item_id`

func selectRequests(ctx context.Context, q sqlx.QueryerContext, query string, args ...any) ([]ItemRequest, error) {
	out := []ItemRequest{}
	if err := sqlx.SelectContext(ctx, q, &out, `SELECT `+requestColumns+` FROM meeting_item_requests WHERE `+query, args...); err != nil {
		return nil, fmt.Errorf("meetings: item requests: %w", err)
	}
	for i := range out {
		out[i].RequestedAt = out[i].RequestedAt.UTC()
		if out[i].DecidedAt != nil {
			u := out[i].DecidedAt.UTC()
			out[i].DecidedAt = &u
		}
	}
	return out, nil
}
