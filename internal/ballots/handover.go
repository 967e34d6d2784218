package ballots

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// HandOver gives an organisation's new representative, to, the lines of
// open ballots that its former one, from, would have cast: the
// organisation's own line and those of the members whose proxy it holds.
// The voting list froze who may vote and in what capacity ("their
// organisation's representative"), not the person; without the hand-over
// nobody could cast those votes until the ballot closed. Lines already
// voted keep the account that cast them. internal/members runs it in the
// transaction that changes the representative, whose audit event records
// both accounts; migration 00018 lets a line change hands only so.
func HandOver(ctx context.Context, tx *sqlx.Tx, member, from, to int64) error {
	// The open ballots are held FOR SHARE, as a vote holds its ballot, so
	// that none closes under the hand-over: a close that came first has
	// committed, and its ballot is no longer open.
	var open []int64
	if err := tx.SelectContext(ctx, &open, `SELECT id FROM ballots WHERE status = 'open' ORDER BY id FOR SHARE`); err != nil {
		return fmt.Errorf("ballots: hand member %d's votes over: %w", member, err)
	}
	if len(open) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `
		UPDATE ballot_voters v SET voter_account_id = $3
		WHERE v.ballot_id = ANY($4) AND v.voter_account_id = $2 AND NOT v.voted
			AND (v.cast_by = 'representative' AND v.member_id = $1
				OR v.cast_by = 'proxy' AND v.proxy_id IN (SELECT id FROM meeting_proxies WHERE holder_member_id = $1))`,
		member, from, to, pq.Array(open))
	if err != nil {
		return fmt.Errorf("ballots: hand member %d's votes from account %d to %d: %w", member, from, to, err)
	}
	return nil
}
