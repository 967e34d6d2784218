package elections

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

type lockMode string

const (
	noLock        lockMode = ""
	lockForUpdate lockMode = " FOR UPDATE"
)

type electionRow struct {
	ID                 int64      `db:"id"`
	MeetingID          int64      `db:"meeting_id"`
	AgendaItemID       *int64     `db:"agenda_item_id"`
	Title              string     `db:"title"`
	Seats              int        `db:"seats"`
	Method             string     `db:"method"`
	NominationsCloseAt *time.Time `db:"nominations_close_at"`
	Status             string     `db:"status"`
	BallotID           *int64     `db:"ballot_id"`
	CreatedAt          time.Time  `db:"created_at"`
	DecidedAt          *time.Time `db:"decided_at"`
}

const electionColumns = `id, meeting_id, agenda_item_id, title, seats, method, nominations_close_at, status, ballot_id,
	created_at, decided_at`

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func getElection(ctx context.Context, q sqlx.QueryerContext, id int64, lock lockMode) (Election, error) {
	var r electionRow
	err := sqlx.GetContext(ctx, q, &r, `SELECT `+electionColumns+` FROM elections WHERE id = $1`+string(lock), id)
	if errors.Is(err, sql.ErrNoRows) {
		return Election{}, ErrNotFound
	}
	if err != nil {
		return Election{}, fmt.Errorf("elections: get %d: %w", id, err)
	}
	e := r.election()
	if e.Candidates, err = candidatesOf(ctx, q, id); err != nil {
		return Election{}, err
	}
	return e, nil
}

func (r electionRow) election() Election {
	return Election{
		ID: r.ID, MeetingID: r.MeetingID, AgendaItemID: r.AgendaItemID, Title: r.Title, Seats: r.Seats,
		Method: r.Method, NominationsCloseAt: utc(r.NominationsCloseAt), Status: r.Status, BallotID: r.BallotID,
		CreatedAt: r.CreatedAt.UTC(), DecidedAt: utc(r.DecidedAt), Candidates: []Candidate{},
	}
}

type candidateRow struct {
	ID          int64      `db:"id"`
	ElectionID  int64      `db:"election_id"`
	MemberID    *int64     `db:"member_id"`
	Name        string     `db:"name"`
	Statement   string     `db:"statement"`
	NominatedBy *int64     `db:"nominated_by"`
	ConsentedAt *time.Time `db:"consented_at"`
	Elected     *bool      `db:"elected"`
}

func (r candidateRow) candidate() Candidate {
	return Candidate{
		ID: r.ID, ElectionID: r.ElectionID, MemberID: r.MemberID, Name: r.Name, Statement: r.Statement,
		NominatedBy: r.NominatedBy, Consented: r.ConsentedAt != nil, Elected: r.Elected,
	}
}

const candidateColumns = `id, election_id, member_id, name, statement, nominated_by, consented_at, elected`

func candidatesOf(ctx context.Context, q sqlx.QueryerContext, electionID int64) ([]Candidate, error) {
	var rows []candidateRow
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT `+candidateColumns+`
		FROM election_candidates WHERE election_id = $1 ORDER BY id`, electionID); err != nil {
		return nil, fmt.Errorf("elections: candidates of %d: %w", electionID, err)
	}
	out := make([]Candidate, len(rows))
	for i, r := range rows {
		out[i] = r.candidate()
	}
	return out, nil
}

func getCandidate(ctx context.Context, q sqlx.QueryerContext, electionID, id int64, lock lockMode) (Candidate, error) {
	var r candidateRow
	err := sqlx.GetContext(ctx, q, &r, `SELECT `+candidateColumns+`
		FROM election_candidates WHERE election_id = $1 AND id = $2`+string(lock), electionID, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Candidate{}, ErrCandidateNotFound
	}
	if err != nil {
		return Candidate{}, fmt.Errorf("elections: candidate %d: %w", id, err)
	}
	return r.candidate(), nil
}

func insertElection(ctx context.Context, tx *sqlx.Tx, e Election, by *int64) (int64, error) {
	var id int64
	err := tx.GetContext(ctx, &id, `
		INSERT INTO elections (meeting_id, agenda_item_id, title, seats, method, nominations_close_at, status,
			created_at, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		e.MeetingID, e.AgendaItemID, e.Title, e.Seats, e.Method, e.NominationsCloseAt, e.Status, e.CreatedAt, by)
	if err != nil {
		return 0, fmt.Errorf("elections: create: %w", err)
	}
	return id, nil
}

func insertCandidate(ctx context.Context, tx *sqlx.Tx, c Candidate, at time.Time, consented bool) (int64, error) {
	var consentedAt *time.Time
	if consented {
		consentedAt = &at
	}
	var id int64
	err := tx.GetContext(ctx, &id, `
		INSERT INTO election_candidates (election_id, member_id, name, statement, nominated_by, nominated_at, consented_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		c.ElectionID, c.MemberID, c.Name, c.Statement, c.NominatedBy, at, consentedAt)
	if err != nil {
		return 0, fmt.Errorf("elections: nominate: %w", err)
	}
	return id, nil
}

func setConsented(ctx context.Context, tx *sqlx.Tx, id int64, at time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE election_candidates SET consented_at = $2 WHERE id = $1`, id, at); err != nil {
		return fmt.Errorf("elections: consent %d: %w", id, err)
	}
	return nil
}

// deleteCandidate removes a withdrawn candidacy: one never put to a
// vote leaves nothing to keep but the events of its nomination and its
// withdrawal.
func deleteCandidate(ctx context.Context, tx *sqlx.Tx, id int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM election_candidates WHERE id = $1`, id); err != nil {
		return fmt.Errorf("elections: withdraw candidate %d: %w", id, err)
	}
	return nil
}

func setNominationsClose(ctx context.Context, tx *sqlx.Tx, id int64, at *time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE elections SET nominations_close_at = $2 WHERE id = $1`, id, at); err != nil {
		return fmt.Errorf("elections: close nominations of %d: %w", id, err)
	}
	return nil
}

func setVoting(ctx context.Context, tx *sqlx.Tx, id, ballotID int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE elections SET status = 'voting', ballot_id = $2 WHERE id = $1`, id, ballotID); err != nil {
		return fmt.Errorf("elections: put %d to the vote: %w", id, err)
	}
	return nil
}

func setDecided(ctx context.Context, tx *sqlx.Tx, id int64, elected []int64, at time.Time) error {
	// Nobody elected is an empty array, never NULL: id = ANY(NULL) is
	// NULL, and every candidate of a decided election was elected or not.
	if elected == nil {
		elected = []int64{}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE elections SET status = 'decided', decided_at = $2 WHERE id = $1`, id, at); err != nil {
		return fmt.Errorf("elections: decide %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `
		UPDATE election_candidates SET elected = (id = ANY($2::bigint[]))
		WHERE election_id = $1 AND consented_at IS NOT NULL`, id, pq.Array(elected)); err != nil {
		return fmt.Errorf("elections: decide %d: %w", id, err)
	}
	return nil
}

func candidateNames(ctx context.Context, q sqlx.QueryerContext, electionID int64, ids []int64) (map[int64]string, error) {
	var rows []struct {
		ID   int64  `db:"id"`
		Name string `db:"name"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT id, name FROM election_candidates WHERE election_id = $1 AND id = ANY($2::bigint[])`,
		electionID, pq.Array(ids)); err != nil {
		return nil, fmt.Errorf("elections: names of %d: %w", electionID, err)
	}
	out := make(map[int64]string, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}

// electionsOf loads a meeting's elections, with their candidates, in the
// order they were added.
func electionsOf(ctx context.Context, q sqlx.QueryerContext, meetingID int64) ([]Election, error) {
	return meetingElections(ctx, q, meetingID, 0, 0)
}

// meetingElections loads, with their candidates and in the order they
// were added, a meeting's elections after the election after: at most
// limit of them, or all when limit is 0.
func meetingElections(ctx context.Context, q sqlx.QueryerContext, meetingID, after int64, limit int) ([]Election, error) {
	// LIMIT NULL is no limit.
	var most *int
	if limit > 0 {
		most = &limit
	}
	var rows []electionRow
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT `+electionColumns+` FROM elections
		WHERE meeting_id = $1 AND id > $2 ORDER BY id LIMIT $3`, meetingID, after, most); err != nil {
		return nil, fmt.Errorf("elections: of meeting %d: %w", meetingID, err)
	}
	if len(rows) == 0 {
		return []Election{}, nil
	}
	out := make([]Election, len(rows))
	at := make(map[int64]int, len(rows))
	ids := make([]int64, len(rows))
	for i, r := range rows {
		out[i], at[r.ID], ids[i] = r.election(), i, r.ID
	}
	var candidates []candidateRow
	if err := sqlx.SelectContext(ctx, q, &candidates, `SELECT `+candidateColumns+`
		FROM election_candidates WHERE election_id = ANY($1::bigint[]) ORDER BY id`, pq.Array(ids)); err != nil {
		return nil, fmt.Errorf("elections: candidates of meeting %d: %w", meetingID, err)
	}
	for _, c := range candidates {
		e := &out[at[c.ElectionID]]
		e.Candidates = append(e.Candidates, c.candidate())
	}
	return out, nil
}
