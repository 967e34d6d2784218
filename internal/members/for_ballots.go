package members

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Elector is a member who may be on a voting list: active at a record
// date and still active, with the account that acts for them.
type Elector struct {
	ID        int64  `db:"id"`
	MemberNo  int    `db:"member_no"`
	Kind      string `db:"kind"`
	AccountID int64  `db:"account_id"`
}

// ElectorsAt returns, inside q (the transaction that freezes a voting
// list), the members who were active at t by the status history and are
// active now, in order of member number, without any access check. It is
// for internal/ballots.
func (s *Service) ElectorsAt(ctx context.Context, q sqlx.QueryerContext, t time.Time) ([]Elector, error) {
	out := []Elector{}
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT m.id, m.member_no, m.kind, m.account_id
		FROM (
			SELECT DISTINCT ON (member_id) member_id, status
			FROM member_status_history
			WHERE effective_at <= $1
			ORDER BY member_id, effective_at DESC, id DESC
		) latest
		JOIN members m ON m.id = latest.member_id
		WHERE latest.status = 'active' AND m.status = 'active' AND m.account_id IS NOT NULL
		ORDER BY m.member_no`, t)
	if err != nil {
		return nil, fmt.Errorf("members: electors at %s: %w", t, err)
	}
	return out, nil
}
