package motions

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// motionSelect reads motions with the text of their current version.
const motionSelect = `SELECT m.id, m.meeting_id, m.agenda_item_id, m.amends_motion_id, m.based_on_version,
	m.title, m.version, v.body, m.by_board, m.proposer_member_id, m.proposer_account_id,
	m.seconder_member_id, m.seconder_account_id, m.majority, m.status, m.ballot_id,
	m.submitted_at, m.seconded_at, m.withdrawn_at, m.withdrawn_by, m.voting_at, m.decided_at
	FROM motions m JOIN motion_versions v ON v.motion_id = m.id AND v.version = m.version`

// lockMode says how a query locks the motion rows it reads: every change
// to a motion takes its row FOR UPDATE, and a change that depends on a
// main motion's amendments takes the main motion's row first.
type lockMode string

const (
	noLock        lockMode = ""
	lockForUpdate lockMode = " FOR UPDATE OF m"
)

func selectMotions(ctx context.Context, q sqlx.QueryerContext, where string, args ...any) ([]Motion, error) {
	out := []Motion{}
	if err := sqlx.SelectContext(ctx, q, &out, motionSelect+` WHERE `+where, args...); err != nil {
		return nil, fmt.Errorf("motions: select: %w", err)
	}
	for i := range out {
		out[i].normalise()
	}
	return out, nil
}

func getMotion(ctx context.Context, q sqlx.QueryerContext, id int64, lock lockMode) (Motion, error) {
	var m Motion
	err := sqlx.GetContext(ctx, q, &m, motionSelect+` WHERE m.id = $1`+string(lock), id)
	if errors.Is(err, sql.ErrNoRows) {
		return Motion{}, ErrNotFound
	}
	if err != nil {
		return Motion{}, fmt.Errorf("motions: get %d: %w", id, err)
	}
	m.normalise()
	return m, nil
}

func (m *Motion) normalise() {
	m.SubmittedAt = m.SubmittedAt.UTC()
	for _, t := range []**time.Time{&m.SecondedAt, &m.WithdrawnAt, &m.VotingAt, &m.DecidedAt} {
		if *t != nil {
			u := (*t).UTC()
			*t = &u
		}
	}
}

// meetingMotions lists a meeting's motions and amendments in the order
// they were proposed, after the id after, at most limit of them.
func meetingMotions(ctx context.Context, q sqlx.QueryerContext, meetingID, after int64, limit int) ([]Motion, error) {
	return selectMotions(ctx, q, `m.meeting_id = $1 AND m.id > $2 ORDER BY m.id LIMIT $3`, meetingID, after, limit)
}

// amendmentsOf lists the amendments of a main motion, oldest first.
func amendmentsOf(ctx context.Context, q sqlx.QueryerContext, mainID int64, lock lockMode) ([]Motion, error) {
	return selectMotions(ctx, q, `m.amends_motion_id = $1 ORDER BY m.id`+string(lock), mainID)
}

func versionsOf(ctx context.Context, q sqlx.QueryerContext, id int64) ([]Version, error) {
	out := []Version{}
	if err := sqlx.SelectContext(ctx, q, &out, `
		SELECT version, body, created_at, amendment_id FROM motion_versions
		WHERE motion_id = $1 ORDER BY version`, id); err != nil {
		return nil, fmt.Errorf("motions: versions of %d: %w", id, err)
	}
	for i := range out {
		out[i].CreatedAt = out[i].CreatedAt.UTC()
	}
	return out, nil
}

// insertMotion records a new motion with its first version.
func insertMotion(ctx context.Context, tx *sqlx.Tx, m Motion) (int64, error) {
	var id int64
	err := tx.GetContext(ctx, &id, `
		INSERT INTO motions (meeting_id, agenda_item_id, amends_motion_id, based_on_version, title, by_board,
			proposer_member_id, proposer_account_id, majority, status, submitted_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		m.MeetingID, m.AgendaItemID, m.AmendsMotionID, m.BasedOnVersion, m.Title, m.ByBoard,
		m.ProposerMemberID, m.ProposerAccountID, m.Majority, m.Status, m.SubmittedAt)
	if err != nil {
		return 0, fmt.Errorf("motions: insert: %w", err)
	}
	if err := insertVersion(ctx, tx, id, 1, m.Body, m.SubmittedAt, nil); err != nil {
		return 0, err
	}
	return id, nil
}

func insertVersion(ctx context.Context, tx *sqlx.Tx, id int64, version int, body string, at time.Time, amendmentID *int64) error {
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO motion_versions (motion_id, version, body, created_at, amendment_id)
		VALUES ($1, $2, $3, $4, $5)`, id, version, body, at, amendmentID); err != nil {
		return fmt.Errorf("motions: version %d of %d: %w", version, id, err)
	}
	return nil
}

func setSeconded(ctx context.Context, tx *sqlx.Tx, id, memberID, accountID int64, at time.Time) error {
	if _, err := tx.ExecContext(ctx, `
		UPDATE motions SET status = 'seconded', seconder_member_id = $2, seconder_account_id = $3, seconded_at = $4
		WHERE id = $1`, id, memberID, accountID, at); err != nil {
		return fmt.Errorf("motions: second %d: %w", id, err)
	}
	return nil
}

func setWithdrawn(ctx context.Context, tx *sqlx.Tx, id, by int64, at time.Time) error {
	if _, err := tx.ExecContext(ctx, `
		UPDATE motions SET status = 'withdrawn', withdrawn_at = $2, withdrawn_by = $3 WHERE id = $1`, id, at, by); err != nil {
		return fmt.Errorf("motions: withdraw %d: %w", id, err)
	}
	return nil
}

func setMajority(ctx context.Context, tx *sqlx.Tx, id int64, majority string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE motions SET majority = $2 WHERE id = $1`, id, majority); err != nil {
		return fmt.Errorf("motions: set the majority of %d: %w", id, err)
	}
	return nil
}

func setVoting(ctx context.Context, tx *sqlx.Tx, id, ballotID int64, majority string, at time.Time) error {
	if _, err := tx.ExecContext(ctx, `
		UPDATE motions SET status = 'voting', ballot_id = $2, majority = $3, voting_at = $4 WHERE id = $1`,
		id, ballotID, majority, at); err != nil {
		return fmt.Errorf("motions: put %d to a vote: %w", id, err)
	}
	return nil
}

func setDecided(ctx context.Context, tx *sqlx.Tx, id int64, status string, at time.Time) error {
	if _, err := tx.ExecContext(ctx, `
		UPDATE motions SET status = $2, decided_at = $3 WHERE id = $1`, id, status, at); err != nil {
		return fmt.Errorf("motions: decide %d: %w", id, err)
	}
	return nil
}

// amendText makes the amendment's text the main motion's next version.
func amendText(ctx context.Context, tx *sqlx.Tx, main, amendment Motion, at time.Time) (int, error) {
	next := main.Version + 1
	if err := insertVersion(ctx, tx, main.ID, next, amendment.Body, at, &amendment.ID); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE motions SET version = $2 WHERE id = $1`, main.ID, next); err != nil {
		return 0, fmt.Errorf("motions: amend %d: %w", main.ID, err)
	}
	return next, nil
}
