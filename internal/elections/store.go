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
	e := Election{
		ID: r.ID, MeetingID: r.MeetingID, AgendaItemID: r.AgendaItemID, Title: r.Title, Seats: r.Seats,
		Method: r.Method, NominationsCloseAt: utc(r.NominationsCloseAt), Status: r.Status, BallotID: r.BallotID,
		CreatedAt: r.CreatedAt.UTC(), DecidedAt: utc(r.DecidedAt),
	}
	if e.Candidates, err = candidatesOf(ctx, q, id); err != nil {
		return Election{}, err
	}
	return e, nil
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

func setVoting(ctx context.Context, tx *sqlx.Tx, id, ballotID int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE elections SET status = 'voting', ballot_id = $2 WHERE id = $1`, id, ballotID); err != nil {
		return fmt.Errorf("elections: put %d to the vote: %w", id, err)
	}
	return nil
}

func setDecided(ctx context.Context, tx *sqlx.Tx, id int64, elected []int64, at time.Time) error {
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
	var ids []int64
	if err := sqlx.SelectContext(ctx, q, &ids, `SELECT id FROM elections WHERE meeting_id = $1 ORDER BY id`, meetingID); err != nil {
		return nil, fmt.Errorf("elections: of meeting %d: %w", meetingID, err)
	}
	out := make([]Election, 0, len(ids))
	for _, id := range ids {
		e, err := getElection(ctx, q, id, noLock)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}
