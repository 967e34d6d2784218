package ballots

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/meetings"
)

// RefuseUndecided refuses to end a meeting's session while one of its
// ballots is still open or waits for the chair's casting vote: the result
// of every question put to the meeting is decided inside its session.
// internal/meetings runs it in the transaction that closes the session.
func RefuseUndecided(ctx context.Context, tx *sqlx.Tx, meetingID int64) error {
	var open, awaiting int
	err := tx.QueryRowxContext(ctx, `SELECT
			count(*) FILTER (WHERE status = 'open'),
			count(*) FILTER (WHERE status = 'closed' AND decided_at IS NULL)
		FROM ballots WHERE meeting_id = $1`, meetingID).Scan(&open, &awaiting)
	if err != nil {
		return fmt.Errorf("ballots: undecided in meeting %d: %w", meetingID, err)
	}
	// The meeting's page lists these ballots (MeetingSection): the
	// refusal points there.
	switch {
	case open > 0:
		return meetings.ExplainedIn(SectionID, errs.Wrap(errs.Conflict, "Close the open ballots first (%d still open): the session cannot end while members are voting.", open))
	case awaiting > 0:
		return meetings.ExplainedIn(SectionID, errs.Wrap(errs.Conflict, "Give the casting vote on the tied ballots first (%d waiting): the session cannot end with a question undecided.", awaiting))
	}
	return nil
}
