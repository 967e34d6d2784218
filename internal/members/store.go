package members

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Statuses of a member (SPEC.md, "Members").
const (
	StatusApplicant = "applicant"
	StatusActive    = "active"
	StatusSuspended = "suspended"
	StatusResigned  = "resigned"
	StatusExpelled  = "expelled"
	StatusRejected  = "rejected"
)

// Statuses lists every status in the order of the life cycle.
var Statuses = []string{StatusApplicant, StatusActive, StatusSuspended, StatusResigned, StatusExpelled, StatusRejected}

// Kinds of member.
const (
	KindIndividual   = "individual"
	KindOrganisation = "organisation"
)

// Kinds lists the kinds of member.
var Kinds = []string{KindIndividual, KindOrganisation}

// Member is one entry of the register; its JSON form is API.md's MEMBER.
type Member struct {
	ID       int64  `db:"id" json:"id"`
	MemberNo *int   `db:"member_no" json:"member_no"`
	Kind     string `db:"kind" json:"kind"`
	Name     string `db:"name" json:"name"`
	Email    string `db:"email" json:"email"`
	Country  string `db:"country" json:"country"`
	Status   string `db:"status" json:"status"`
	// AccountID is the account acting for the member: the person, or an
	// organisation's representative. Nil on a tombstone.
	AccountID  *int64     `db:"account_id" json:"account_id"`
	AppliedAt  time.Time  `db:"applied_at" json:"applied_at"`
	AdmittedAt *time.Time `db:"admitted_at" json:"admitted_at"`
	LeftAt     *time.Time `db:"left_at" json:"left_at"`
	// RepresentativeAccountID is AccountID for an organisation, nil for an
	// individual.
	RepresentativeAccountID *int64    `db:"-" json:"representative_account_id"`
	Address                 string    `db:"address" json:"address"`
	OrganisationNumber      string    `db:"organisation_number" json:"organisation_number"`
	Statement               string    `db:"statement" json:"statement"`
	RulesAcceptedAt         time.Time `db:"rules_accepted_at" json:"rules_accepted_at"`
	// Share contribution: decimal strings such as "50.00".
	ShareDue      string  `db:"share_due" json:"share_due"`
	SharePaid     string  `db:"share_paid" json:"share_paid"`
	SharePaidOn   *string `db:"share_paid_on" json:"share_paid_on"`
	ShareCurrency string  `db:"share_currency" json:"share_currency"`
	// ErasedAt is set on the tombstone of a former member whose personal
	// data was erased on request.
	ErasedAt *time.Time `db:"erased_at" json:"erased_at"`
}

// Former reports whether the member has left or was never admitted.
func (m Member) Former() bool {
	return m.Status == StatusResigned || m.Status == StatusExpelled || m.Status == StatusRejected
}

// Erased reports whether the entry is a tombstone.
func (m Member) Erased() bool { return m.ErasedAt != nil }

// ActsFor reports whether the account acts for this member.
func (m Member) ActsFor(accountID int64) bool {
	return accountID != 0 && m.AccountID != nil && *m.AccountID == accountID
}

// CountryName is the member's country in words.
func (m Member) CountryName() string { return CountryName(m.Country) }

// DisplayName is the name to show, which a tombstone no longer has.
func (m Member) DisplayName() string {
	if m.Erased() {
		if m.MemberNo != nil {
			return fmt.Sprintf("Former member %d (personal data erased)", *m.MemberNo)
		}
		return "Former applicant (personal data erased)"
	}
	return m.Name
}

func (m *Member) normalise() {
	m.AppliedAt = m.AppliedAt.UTC()
	m.RulesAcceptedAt = m.RulesAcceptedAt.UTC()
	for _, t := range []**time.Time{&m.AdmittedAt, &m.LeftAt, &m.ErasedAt} {
		if *t != nil {
			u := (*t).UTC()
			*t = &u
		}
	}
	m.RepresentativeAccountID = nil
	if m.Kind == KindOrganisation && m.AccountID != nil {
		id := *m.AccountID
		m.RepresentativeAccountID = &id
	}
}

const memberColumns = `m.id, m.member_no, m.kind, m.status, m.account_id, m.name, m.email,
	m.address, m.country, m.organisation_number, m.statement, m.rules_accepted_at,
	m.applied_at, m.admitted_at, m.left_at, m.share_due::text AS share_due,
	m.share_paid::text AS share_paid, to_char(m.share_paid_on, 'YYYY-MM-DD') AS share_paid_on,
	m.share_currency, m.erased_at`

// liveStatuses are those of a current member or a pending application.
const liveStatuses = `('applicant', 'active', 'suspended')`

// getMember reads a member, locked against other changes of the member
// when lock is set. The lock lets others point at the member meanwhile (a
// proxy, an attendance, a vote: FOR KEY SHARE), since a member's id
// never changes and members are never deleted: a change that also locks a
// meeting, as a change of representative does, would otherwise deadlock
// with a grant that holds the meeting and points at the member.
func getMember(ctx context.Context, q sqlx.QueryerContext, id int64, lock bool) (Member, error) {
	query := `SELECT ` + memberColumns + ` FROM members m WHERE m.id = $1`
	if lock {
		query += ` FOR NO KEY UPDATE`
	}
	var m Member
	err := sqlx.GetContext(ctx, q, &m, query, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Member{}, ErrNotFound
	}
	if err != nil {
		return Member{}, fmt.Errorf("members: get %d: %w", id, err)
	}
	m.normalise()
	return m, nil
}

func selectMembers(ctx context.Context, q sqlx.QueryerContext, query string, args ...any) ([]Member, error) {
	out := []Member{}
	if err := sqlx.SelectContext(ctx, q, &out, query, args...); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].normalise()
	}
	return out, nil
}

// liveIndividual returns the account's current individual membership or
// application, if any.
func liveIndividual(ctx context.Context, q sqlx.QueryerContext, accountID int64) (Member, bool, error) {
	ms, err := selectMembers(ctx, q, `SELECT `+memberColumns+` FROM members m
		WHERE m.account_id = $1 AND m.kind = 'individual' AND m.status IN `+liveStatuses, accountID)
	if err != nil {
		return Member{}, false, fmt.Errorf("members: individual of account %d: %w", accountID, err)
	}
	if len(ms) == 0 {
		return Member{}, false, nil
	}
	return ms[0], true, nil
}

// liveOrganisation returns the current membership or application of the
// organisation of this name in this country, if any.
func liveOrganisation(ctx context.Context, q sqlx.QueryerContext, country, name string) (Member, bool, error) {
	ms, err := selectMembers(ctx, q, `SELECT `+memberColumns+` FROM members m
		WHERE m.kind = 'organisation' AND m.country = $1 AND lower(m.name) = lower($2) AND m.status IN `+liveStatuses,
		country, name)
	if err != nil {
		return Member{}, false, fmt.Errorf("members: organisation %q: %w", name, err)
	}
	if len(ms) == 0 {
		return Member{}, false, nil
	}
	return ms[0], true, nil
}

func insertApplicant(ctx context.Context, tx *sqlx.Tx, accountID int64, a Application, now time.Time) (int64, error) {
	var id int64
	err := tx.GetContext(ctx, &id, `
		INSERT INTO members (kind, status, account_id, name, email, address, country,
			organisation_number, statement, rules_accepted_at, applied_at)
		VALUES ($1, 'applicant', $2, $3, $4, $5, $6, $7, $8, $9, $9)
		RETURNING id`,
		a.Kind, accountID, a.Name, a.Email, a.Address, a.Country, a.OrganisationNumber, a.Statement, now)
	if err != nil {
		return 0, fmt.Errorf("members: insert applicant: %w", err)
	}
	return id, nil
}

// nextMemberNo takes the next member number. The row lock it takes lasts
// until the transaction ends, so concurrent admissions take numbers one
// after another, and a rollback returns the number.
func nextMemberNo(ctx context.Context, tx *sqlx.Tx) (int, error) {
	var no int
	err := tx.GetContext(ctx, &no,
		`UPDATE member_number_counter SET last_no = last_no + 1 WHERE singleton RETURNING last_no`)
	if err != nil {
		return 0, fmt.Errorf("members: next member number: %w", err)
	}
	return no, nil
}

func setAdmitted(ctx context.Context, tx *sqlx.Tx, id int64, no int, at time.Time, shareDue, currency string) error {
	_, err := tx.ExecContext(ctx, `
		UPDATE members SET status = 'active', member_no = $2, admitted_at = $3,
			share_due = $4::numeric, share_currency = $5
		WHERE id = $1`, id, no, at, shareDue, currency)
	if err != nil {
		return fmt.Errorf("members: admit %d: %w", id, err)
	}
	return nil
}

func setStatus(ctx context.Context, tx *sqlx.Tx, id int64, status string, leftAt *time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE members SET status = $2, left_at = $3 WHERE id = $1`, id, status, leftAt)
	if err != nil {
		return fmt.Errorf("members: set status of %d: %w", id, err)
	}
	return nil
}

func insertStatusChange(ctx context.Context, tx *sqlx.Tx, id int64, status string, effective, recorded time.Time, actor *int64, reason string) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO member_status_history (member_id, status, effective_at, recorded_at, actor_account_id, reason)
		VALUES ($1, $2, $3, $4, $5, $6)`, id, status, effective, recorded, actor, reason)
	if err != nil {
		return fmt.Errorf("members: record status of %d: %w", id, err)
	}
	return nil
}

func lastStatusChange(ctx context.Context, q sqlx.QueryerContext, id int64) (time.Time, error) {
	var at time.Time
	err := sqlx.GetContext(ctx, q, &at,
		`SELECT max(effective_at) FROM member_status_history WHERE member_id = $1`, id)
	if err != nil {
		return time.Time{}, fmt.Errorf("members: last status change of %d: %w", id, err)
	}
	return at, nil
}

func updateContact(ctx context.Context, tx *sqlx.Tx, m Member) error {
	_, err := tx.ExecContext(ctx, `UPDATE members SET name = $2, email = $3, address = $4, country = $5 WHERE id = $1`,
		m.ID, m.Name, m.Email, m.Address, m.Country)
	if err != nil {
		return fmt.Errorf("members: update contact of %d: %w", m.ID, err)
	}
	return nil
}

func setAccount(ctx context.Context, tx *sqlx.Tx, id, accountID int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE members SET account_id = $2 WHERE id = $1`, id, accountID); err != nil {
		return fmt.Errorf("members: set representative of %d: %w", id, err)
	}
	return nil
}

func setShareDue(ctx context.Context, tx *sqlx.Tx, id int64, amount string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE members SET share_due = $2::numeric WHERE id = $1`, id, amount); err != nil {
		return fmt.Errorf("members: set share due of %d: %w", id, err)
	}
	return nil
}

// SharePayment is a share contribution paid in or returned.
type SharePayment struct {
	ID             int64     `db:"id" json:"id"`
	MemberID       int64     `db:"member_id" json:"member_id"`
	Kind           string    `db:"kind" json:"kind"`
	Amount         string    `db:"amount" json:"amount"`
	PaidOn         string    `db:"paid_on" json:"paid_on"`
	RecordedAt     time.Time `db:"recorded_at" json:"recorded_at"`
	ActorAccountID *int64    `db:"actor_account_id" json:"actor_account_id"`
	Note           string    `db:"note" json:"note"`
}

const paymentColumns = `id, member_id, kind, amount::text AS amount, to_char(paid_on, 'YYYY-MM-DD') AS paid_on,
	recorded_at, actor_account_id, note`

// insertPayment records a payment or refund and moves the member's total,
// returning the new entry.
func insertPayment(ctx context.Context, tx *sqlx.Tx, id int64, e ShareEntry, now time.Time, actor *int64) (SharePayment, error) {
	var p SharePayment
	err := tx.GetContext(ctx, &p, `
		INSERT INTO member_share_payments (member_id, kind, amount, paid_on, recorded_at, actor_account_id, note)
		VALUES ($1, $2, $3::numeric, $4::date, $5, $6, $7)
		RETURNING `+paymentColumns, id, e.Kind, e.Amount, e.PaidOn, now, actor, e.Note)
	if err != nil {
		return SharePayment{}, fmt.Errorf("members: record share payment of %d: %w", id, err)
	}
	p.RecordedAt = p.RecordedAt.UTC()
	if e.Kind == ShareKindPayment {
		_, err = tx.ExecContext(ctx, `UPDATE members SET share_paid = share_paid + $2::numeric,
			share_paid_on = greatest(share_paid_on, $3::date) WHERE id = $1`, id, e.Amount, e.PaidOn)
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE members SET share_paid = share_paid - $2::numeric WHERE id = $1`, id, e.Amount)
	}
	if err != nil {
		return SharePayment{}, fmt.Errorf("members: total share of %d: %w", id, err)
	}
	return p, nil
}

func eraseMember(ctx context.Context, tx *sqlx.Tx, id int64, at time.Time) error {
	_, err := tx.ExecContext(ctx, `
		UPDATE members SET erased_at = $2, account_id = NULL, name = '', email = '', address = '',
			organisation_number = '', statement = ''
		WHERE id = $1`, id, at)
	if err != nil {
		return fmt.Errorf("members: erase %d: %w", id, err)
	}
	return nil
}

// StatusChange is one row of a member's status history.
type StatusChange struct {
	ID             int64     `db:"id" json:"id"`
	Status         string    `db:"status" json:"status"`
	EffectiveAt    time.Time `db:"effective_at" json:"effective_at"`
	RecordedAt     time.Time `db:"recorded_at" json:"recorded_at"`
	ActorAccountID *int64    `db:"actor_account_id" json:"actor_account_id"`
	Reason         string    `db:"reason" json:"reason"`
}

func statusHistory(ctx context.Context, q sqlx.QueryerContext, id int64) ([]StatusChange, error) {
	out := []StatusChange{}
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT id, status, effective_at, recorded_at, actor_account_id, reason
		FROM member_status_history WHERE member_id = $1 ORDER BY effective_at, id`, id)
	if err != nil {
		return nil, fmt.Errorf("members: status history of %d: %w", id, err)
	}
	for i := range out {
		out[i].EffectiveAt = out[i].EffectiveAt.UTC()
		out[i].RecordedAt = out[i].RecordedAt.UTC()
	}
	return out, nil
}

func sharePayments(ctx context.Context, q sqlx.QueryerContext, id int64) ([]SharePayment, error) {
	out := []SharePayment{}
	err := sqlx.SelectContext(ctx, q, &out,
		`SELECT `+paymentColumns+` FROM member_share_payments WHERE member_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("members: share payments of %d: %w", id, err)
	}
	for i := range out {
		out[i].RecordedAt = out[i].RecordedAt.UTC()
	}
	return out, nil
}

// statusAt returns the member's status in force at t: that of the last
// change effective by then, or "" before the application.
func statusAt(ctx context.Context, q sqlx.QueryerContext, id int64, t time.Time) (string, error) {
	var status string
	err := sqlx.GetContext(ctx, q, &status, `
		SELECT status FROM member_status_history
		WHERE member_id = $1 AND effective_at <= $2
		ORDER BY effective_at DESC, id DESC LIMIT 1`, id, t)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("members: status of %d at %s: %w", id, t, err)
	}
	return status, nil
}

func activeIDsAt(ctx context.Context, q sqlx.QueryerContext, t time.Time) ([]int64, error) {
	ids := []int64{}
	err := sqlx.SelectContext(ctx, q, &ids, `
		SELECT member_id FROM (
			SELECT DISTINCT ON (member_id) member_id, status
			FROM member_status_history
			WHERE effective_at <= $1
			ORDER BY member_id, effective_at DESC, id DESC
		) latest
		WHERE status = 'active'
		ORDER BY member_id`, t)
	if err != nil {
		return nil, fmt.Errorf("members: active at %s: %w", t, err)
	}
	return ids, nil
}

// Summary is what a notice or a voting list needs of an active member.
type Summary struct {
	ID        int64  `db:"id" json:"id"`
	MemberNo  int    `db:"member_no" json:"member_no"`
	Kind      string `db:"kind" json:"kind"`
	Name      string `db:"name" json:"name"`
	Email     string `db:"email" json:"email"`
	AccountID int64  `db:"account_id" json:"account_id"`
}

// Label names a member as lists of people at a meeting do: by name and
// number, or by number alone once the name is erased.
func (s Summary) Label() string {
	if s.Name == "" {
		return fmt.Sprintf("Member %d", s.MemberNo)
	}
	return fmt.Sprintf("%s (member %d)", s.Name, s.MemberNo)
}

func activeSummaries(ctx context.Context, q sqlx.QueryerContext) ([]Summary, error) {
	out := []Summary{}
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT id, member_no, kind, name, email, account_id
		FROM members WHERE status = 'active' ORDER BY member_no`)
	if err != nil {
		return nil, fmt.Errorf("members: active members: %w", err)
	}
	return out, nil
}

// registerKey orders the register: member numbers first, then applicants
// and rejected applicants in order of application. It must match the
// expression of the indexes members_register_order_idx and
// members_status_order_idx.
const registerKey = `coalesce(m.member_no, 2147483647)`

// cursor is the keyset position after which a page of the register starts.
type cursor struct {
	key int64
	id  int64
}

func (c cursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.key, 10) + "." + strconv.FormatInt(c.id, 10)))
}

func parseCursor(s string) (cursor, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, false
	}
	k, i, ok := strings.Cut(string(b), ".")
	if !ok {
		return cursor{}, false
	}
	// The key is an integer column of PostgreSQL, or the largest one.
	key, err1 := strconv.ParseInt(k, 10, 32)
	id, err2 := strconv.ParseInt(i, 10, 64)
	if err1 != nil || err2 != nil || key < 0 || id < 0 {
		return cursor{}, false
	}
	return cursor{key: key, id: id}, true
}

func keyOf(m Member) cursor {
	if m.MemberNo != nil {
		return cursor{key: int64(*m.MemberNo), id: m.ID}
	}
	return cursor{key: math.MaxInt32, id: m.ID}
}

// listQuery builds the query of one page of the register; f is valid.
func listQuery(f listFilter) (string, []any) {
	var (
		conds []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Status != "" {
		conds = append(conds, "m.status = "+arg(f.Status))
	}
	if f.Kind != "" {
		conds = append(conds, "m.kind = "+arg(f.Kind))
	}
	if f.Q != "" {
		pattern := arg("%" + escapeLike(f.Q) + "%")
		match := "m.name ILIKE " + pattern + " OR m.email ILIKE " + pattern
		if no, err := strconv.ParseInt(strings.TrimPrefix(f.Q, "#"), 10, 32); err == nil && no > 0 {
			match = "m.member_no = " + arg(no) + " OR " + match
		}
		conds = append(conds, "("+match+")")
	}
	if f.After != nil {
		conds = append(conds, "("+registerKey+", m.id) > ("+arg(f.After.key)+", "+arg(f.After.id)+")")
	}
	where := ""
	if len(conds) > 0 {
		where = "WHERE " + strings.Join(conds, " AND ")
	}
	query := `SELECT ` + memberColumns + ` FROM members m ` + where +
		` ORDER BY ` + registerKey + `, m.id LIMIT ` + arg(f.Limit+1)
	return query, args
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// statusCounts counts the register by status without reading it whole,
// which the register page would otherwise do on every view. The statuses
// other than active are a small part of a register and are counted from
// the status index. The active members are the numbered members less the
// numbered members who are not active, and the numbered members are as
// many as the last number given (migrations/00004_members.sql): numbers
// are given one at a time from 1 without gaps, never change, and their
// rows are never deleted; only applicants and rejected applicants have
// none.
func statusCounts(ctx context.Context, q sqlx.QueryerContext) (map[string]int, error) {
	var rows []struct {
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, statusCountsQuery); err != nil {
		return nil, fmt.Errorf("members: count by status: %w", err)
	}
	out := make(map[string]int, len(Statuses))
	for _, r := range rows {
		out[r.Status] = r.N
	}
	out[StatusActive] -= out[StatusSuspended] + out[StatusResigned] + out[StatusExpelled]
	return out, nil
}

// statusCountsQuery counts each status but active, each with the status
// as a constant so that the planner reads the status index for the rare
// ones, and gives the number of numbered members for active.
const statusCountsQuery = `
	SELECT 'active' AS status, last_no AS n FROM member_number_counter
	UNION ALL SELECT 'applicant', count(*) FROM members WHERE status = 'applicant'
	UNION ALL SELECT 'suspended', count(*) FROM members WHERE status = 'suspended'
	UNION ALL SELECT 'resigned', count(*) FROM members WHERE status = 'resigned'
	UNION ALL SELECT 'expelled', count(*) FROM members WHERE status = 'expelled'
	UNION ALL SELECT 'rejected', count(*) FROM members WHERE status = 'rejected'`
