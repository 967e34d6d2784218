package members

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// ActiveIDsSQL is a subquery giving the ids of the members active now. A
// meeting's quorum is counted in one statement over attendance, proxies
// and the register, so that it never mixes two moments; the register's
// part of that statement stays written here, next to the table it reads.
const ActiveIDsSQL = `SELECT id FROM members WHERE status = 'active'`

// ActiveCountSQL is a subquery giving the number of members active now.
// Numbers are given at admission only, without gaps (the counter's
// comment in the migration), and a numbered member is active, suspended,
// resigned or expelled: so the active are the numbers given less the rare
// other three, which the status index counts. A quorum recounted at every
// arrival then costs the same at a million members as at a hundred.
const ActiveCountSQL = `SELECT c.last_no - (SELECT count(*) FROM members WHERE status IN ('suspended', 'resigned', 'expelled'))
	FROM member_number_counter c`

// ByNumber returns the member with this member number, without any access
// check: forms let people name a member by the number on their membership
// page.
func (s *Service) ByNumber(ctx context.Context, no int) (Member, error) {
	// Numbers are positive integers of the register's column; any other
	// number, however it was typed, names nobody.
	if no <= 0 || no > math.MaxInt32 {
		return Member{}, ErrNotFound
	}
	var id int64
	err := s.db.GetContext(ctx, &id, `SELECT id FROM members WHERE member_no = $1`, no)
	if errors.Is(err, sql.ErrNoRows) {
		return Member{}, ErrNotFound
	}
	if err != nil {
		return Member{}, fmt.Errorf("members: number %d: %w", no, err)
	}
	return s.Get(ctx, id)
}

// SummariesOf returns what lists of people at a meeting show of these
// members, whatever their status, by id. A tombstone has no name; its
// number stays.
func (s *Service) SummariesOf(ctx context.Context, ids []int64) (map[int64]Summary, error) {
	out := make(map[int64]Summary, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []Summary
	err := sqlx.SelectContext(ctx, s.db, &rows, `
		SELECT id, coalesce(member_no, 0) AS member_no, kind, name, email, coalesce(account_id, 0) AS account_id
		FROM members WHERE id = ANY($1)`, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("members: summaries: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = r
	}
	return out, nil
}
