package minutes

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// errNoDoc is returned by getDoc for a document nobody has begun.
var errNoDoc = errors.New("minutes: no such document")

// docRow is one document as stored.
type docRow struct {
	ID            int64      `db:"id"`
	MeetingID     int64      `db:"meeting_id"`
	Addendum      int        `db:"addendum"`
	Status        string     `db:"status"`
	Version       int        `db:"version"`
	ReviewVersion *int       `db:"review_version"`
	SubmittedAt   *time.Time `db:"submitted_at"`
	SealedAt      *time.Time `db:"sealed_at"`
	SealedHash    []byte     `db:"sealed_hash"`
	ChainHeadSeq  *int64     `db:"chain_head_seq"`
	ChainHeadHash []byte     `db:"chain_head_hash"`
	Title         string     `db:"title"`
	CreatedAt     time.Time  `db:"created_at"`
	CreatedBy     *int64     `db:"created_by"`
}

func (d docRow) doc() Doc { return Doc{MeetingID: d.MeetingID, Addendum: d.Addendum} }

const docColumns = `id, meeting_id, addendum, status, version, review_version, submitted_at, sealed_at,
	sealed_hash, chain_head_seq, chain_head_hash, title, created_at, created_by`

func (d *docRow) normalise() {
	d.CreatedAt = d.CreatedAt.UTC()
	for _, t := range []**time.Time{&d.SubmittedAt, &d.SealedAt} {
		if *t != nil {
			u := (*t).UTC()
			*t = &u
		}
	}
}

// getDoc loads a document, FOR UPDATE inside a transaction that changes
// it, so that saves, signatures and the seal of one document follow one
// another.
func getDoc(ctx context.Context, q sqlx.QueryerContext, doc Doc, forUpdate bool) (docRow, error) {
	query := `SELECT ` + docColumns + ` FROM minutes WHERE meeting_id = $1 AND addendum = $2`
	if forUpdate {
		query += ` FOR UPDATE`
	}
	var d docRow
	err := sqlx.GetContext(ctx, q, &d, query, doc.MeetingID, doc.Addendum)
	if errors.Is(err, sql.ErrNoRows) {
		return docRow{}, errNoDoc
	}
	if err != nil {
		return docRow{}, fmt.Errorf("minutes: get %d/%d: %w", doc.MeetingID, doc.Addendum, err)
	}
	d.normalise()
	return d, nil
}

// docsOf returns every document of a meeting, the minutes first.
func docsOf(ctx context.Context, q sqlx.QueryerContext, meetingID int64) ([]docRow, error) {
	var out []docRow
	err := sqlx.SelectContext(ctx, q, &out, `SELECT `+docColumns+` FROM minutes WHERE meeting_id = $1 ORDER BY addendum`, meetingID)
	if err != nil {
		return nil, fmt.Errorf("minutes: documents of %d: %w", meetingID, err)
	}
	for i := range out {
		out[i].normalise()
	}
	return out, nil
}

// mainDocsOf returns the minutes themselves of these meetings, by meeting.
func mainDocsOf(ctx context.Context, q sqlx.QueryerContext, meetingIDs []int64) (map[int64]docRow, error) {
	var rows []docRow
	err := sqlx.SelectContext(ctx, q, &rows, `SELECT `+docColumns+` FROM minutes WHERE meeting_id = ANY($1) AND addendum = 0`,
		pq.Array(meetingIDs))
	if err != nil {
		return nil, fmt.Errorf("minutes: documents of meetings: %w", err)
	}
	out := make(map[int64]docRow, len(rows))
	for _, d := range rows {
		d.normalise()
		out[d.MeetingID] = d
	}
	return out, nil
}

// insertDoc begins a document at version 1 and returns its id. Of two
// first saves at once, the second finds the row the first made.
func insertDoc(ctx context.Context, tx *sqlx.Tx, doc Doc, now time.Time, by *int64) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO minutes (meeting_id, addendum, version, created_at, created_by)
		VALUES ($1, $2, 1, $3, $4)
		ON CONFLICT (meeting_id, addendum) DO NOTHING`, doc.MeetingID, doc.Addendum, now, by)
	if err != nil {
		return fmt.Errorf("minutes: begin %d/%d: %w", doc.MeetingID, doc.Addendum, err)
	}
	return nil
}

// versionRow is one saved version.
type versionRow struct {
	MinutesID int64     `db:"minutes_id"`
	Version   int       `db:"version"`
	Body      string    `db:"body"`
	BodyHash  []byte    `db:"body_hash"`
	CreatedAt time.Time `db:"created_at"`
	CreatedBy *int64    `db:"created_by"`
}

func insertVersion(ctx context.Context, tx *sqlx.Tx, v versionRow) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO minutes_versions (minutes_id, version, body, body_hash, created_at, created_by)
		VALUES ($1, $2, $3, $4, $5, $6)`, v.MinutesID, v.Version, v.Body, v.BodyHash, v.CreatedAt, v.CreatedBy)
	if err != nil {
		return fmt.Errorf("minutes: save version %d of %d: %w", v.Version, v.MinutesID, err)
	}
	return nil
}

func getVersion(ctx context.Context, q sqlx.QueryerContext, minutesID int64, version int) (versionRow, error) {
	var v versionRow
	err := sqlx.GetContext(ctx, q, &v, `
		SELECT minutes_id, version, body, body_hash, created_at, created_by
		FROM minutes_versions WHERE minutes_id = $1 AND version = $2`, minutesID, version)
	if errors.Is(err, sql.ErrNoRows) {
		return versionRow{}, ErrNotFound
	}
	if err != nil {
		return versionRow{}, fmt.Errorf("minutes: version %d of %d: %w", version, minutesID, err)
	}
	v.CreatedAt = v.CreatedAt.UTC()
	return v, nil
}

// versionsOf lists a document's versions without their texts, oldest
// first, with whether each was sent back.
func versionsOf(ctx context.Context, q sqlx.QueryerContext, minutesID int64) ([]VersionInfo, error) {
	var rows []struct {
		versionRow
		Returned bool `db:"returned"`
	}
	err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT v.minutes_id, v.version, '' AS body, v.body_hash, v.created_at, v.created_by,
			EXISTS (SELECT 1 FROM minutes_returns r WHERE r.minutes_id = v.minutes_id AND r.version = v.version) AS returned
		FROM minutes_versions v WHERE v.minutes_id = $1 ORDER BY v.version`, minutesID)
	if err != nil {
		return nil, fmt.Errorf("minutes: versions of %d: %w", minutesID, err)
	}
	out := make([]VersionInfo, len(rows))
	for i, r := range rows {
		out[i] = VersionInfo{Version: r.Version, BodyHash: fmt.Sprintf("%x", r.BodyHash), CreatedAt: r.CreatedAt.UTC(),
			CreatedBy: r.CreatedBy, Returned: r.Returned}
	}
	return out, nil
}

func wasReturned(ctx context.Context, q sqlx.QueryerContext, minutesID int64, version int) (bool, error) {
	var returned bool
	err := sqlx.GetContext(ctx, q, &returned, `
		SELECT EXISTS (SELECT 1 FROM minutes_returns WHERE minutes_id = $1 AND version = $2)`, minutesID, version)
	if err != nil {
		return false, fmt.Errorf("minutes: returns of %d: %w", minutesID, err)
	}
	return returned, nil
}

// returnedText returns the latest version that was sent back with the
// same text as the version given (itself included), or 0: saving a sent-back
// text again does not make it one the signers have not refused.
func returnedText(ctx context.Context, q sqlx.QueryerContext, minutesID int64, version int) (int, error) {
	var returned int
	err := sqlx.GetContext(ctx, q, &returned, `
		SELECT coalesce(max(r.version), 0)
		FROM minutes_returns r
		JOIN minutes_versions rv ON rv.minutes_id = r.minutes_id AND rv.version = r.version
		JOIN minutes_versions v ON v.minutes_id = r.minutes_id AND v.version = $2
		WHERE r.minutes_id = $1 AND rv.body_hash = v.body_hash`, minutesID, version)
	if err != nil {
		return 0, fmt.Errorf("minutes: returns of %d: %w", minutesID, err)
	}
	return returned, nil
}

func setVersion(ctx context.Context, tx *sqlx.Tx, id int64, version int) error {
	if _, err := tx.ExecContext(ctx, `UPDATE minutes SET version = $2 WHERE id = $1`, id, version); err != nil {
		return fmt.Errorf("minutes: set version of %d: %w", id, err)
	}
	return nil
}

func setSubmitted(ctx context.Context, tx *sqlx.Tx, id int64, version int, now time.Time) error {
	_, err := tx.ExecContext(ctx, `
		UPDATE minutes SET status = 'in_review', review_version = $2, submitted_at = $3 WHERE id = $1`, id, version, now)
	if err != nil {
		return fmt.Errorf("minutes: submit %d: %w", id, err)
	}
	return nil
}

func setDraft(ctx context.Context, tx *sqlx.Tx, id int64) error {
	_, err := tx.ExecContext(ctx, `
		UPDATE minutes SET status = 'draft', review_version = NULL, submitted_at = NULL WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("minutes: send back %d: %w", id, err)
	}
	return nil
}

// setSealed seals the document with the plain text of its sealed version
// for the archive's search.
func setSealed(ctx context.Context, tx *sqlx.Tx, d docRow, searchText string) error {
	_, err := tx.ExecContext(ctx, `
		UPDATE minutes SET status = 'signed', sealed_at = $2, sealed_hash = $3, chain_head_seq = $4,
			chain_head_hash = $5, title = $6, search_text = $7
		WHERE id = $1`, d.ID, d.SealedAt, d.SealedHash, d.ChainHeadSeq, d.ChainHeadHash, d.Title, searchText)
	if err != nil {
		return fmt.Errorf("minutes: seal %d: %w", d.ID, err)
	}
	return nil
}

const signatureColumns = `id, minutes_id, version, body_hash, account_id, role, signed_at`

func insertSignature(ctx context.Context, tx *sqlx.Tx, s signatureRow) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO minutes_signatures (minutes_id, version, body_hash, account_id, role, signed_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, s.MinutesID, s.Version, s.BodyHash, s.AccountID, s.Role, s.SignedAt)
	if err != nil {
		return fmt.Errorf("minutes: sign %d: %w", s.MinutesID, err)
	}
	return nil
}

// signaturesOf lists the signatures on one version, oldest first.
func signaturesOf(ctx context.Context, q sqlx.QueryerContext, minutesID int64, version int) ([]signatureRow, error) {
	var out []signatureRow
	err := sqlx.SelectContext(ctx, q, &out, `SELECT `+signatureColumns+` FROM minutes_signatures
		WHERE minutes_id = $1 AND version = $2 ORDER BY signed_at, id`, minutesID, version)
	if err != nil {
		return nil, fmt.Errorf("minutes: signatures of %d: %w", minutesID, err)
	}
	for i := range out {
		out[i].SignedAt = out[i].SignedAt.UTC()
	}
	return out, nil
}

// returnRow is a version sent back.
type returnRow struct {
	ID         int64     `db:"id"`
	MinutesID  int64     `db:"minutes_id"`
	Version    int       `db:"version"`
	AccountID  int64     `db:"account_id"`
	Role       string    `db:"role"`
	Comment    string    `db:"comment"`
	ReturnedAt time.Time `db:"returned_at"`
}

func insertReturn(ctx context.Context, tx *sqlx.Tx, r returnRow) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO minutes_returns (minutes_id, version, account_id, role, comment, returned_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, r.MinutesID, r.Version, r.AccountID, r.Role, r.Comment, r.ReturnedAt)
	if err != nil {
		return fmt.Errorf("minutes: send back %d: %w", r.MinutesID, err)
	}
	return nil
}

func returnsOf(ctx context.Context, q sqlx.QueryerContext, minutesID int64) ([]returnRow, error) {
	var out []returnRow
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT id, minutes_id, version, account_id, role, comment, returned_at
		FROM minutes_returns WHERE minutes_id = $1 ORDER BY id`, minutesID)
	if err != nil {
		return nil, fmt.Errorf("minutes: returns of %d: %w", minutesID, err)
	}
	for i := range out {
		out[i].ReturnedAt = out[i].ReturnedAt.UTC()
	}
	return out, nil
}
