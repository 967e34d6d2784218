package ballots

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/db"
)

// TurnoutEvery is how often live turnout is published at most, per
// ballot, whatever the number of instances.
const TurnoutEvery = time.Second

// RunTurnout publishes the live turnout of open ballots until ctx ends
// (SPEC.md, "Live meetings"). It runs on every instance; the instances
// take turns through each ballot's ballot_turnout row, locked with SKIP
// LOCKED, so that a ballot gets at most one "turnout" event per second in
// all, and only when its turnout has changed. Votes themselves publish
// nothing: the vote transaction stays free of the meeting topic's lock.
func (s *Service) RunTurnout(ctx context.Context) {
	tick := time.NewTicker(TurnoutEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if err := s.PublishTurnout(ctx); err != nil && ctx.Err() == nil {
			s.logger.Error("ballots: live turnout", "error", err)
		}
	}
}

// PublishTurnout publishes the turnout of every open ballot whose turnout
// changed and was last published at least TurnoutEvery ago.
func (s *Service) PublishTurnout(ctx context.Context) error {
	var ids []int64
	if err := s.db.SelectContext(ctx, &ids, `SELECT id FROM ballots WHERE status = 'open' ORDER BY id`); err != nil {
		return fmt.Errorf("ballots: open ballots: %w", err)
	}
	for _, id := range ids {
		if err := db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error { return s.publishTurnout(ctx, tx, id) }); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) publishTurnout(ctx context.Context, tx *sqlx.Tx, id int64) error {
	var last struct {
		Voted       int       `db:"voted"`
		PublishedAt time.Time `db:"published_at"`
	}
	err := tx.GetContext(ctx, &last, `SELECT voted, published_at FROM ballot_turnout WHERE ballot_id = $1 FOR UPDATE SKIP LOCKED`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("ballots: turnout of %d: %w", id, err)
	}
	now := s.clock.Now()
	// A clock moved back (in development) must not silence the ballot.
	if now.Sub(last.PublishedAt) < TurnoutEvery && !last.PublishedAt.After(now) {
		return nil
	}
	if err := enterGate(ctx, tx, id, false); err != nil {
		return err
	}
	b, err := getBallot(ctx, tx, id, lockForShare)
	if err != nil {
		return err
	}
	if !b.Open() || b.Voted == last.Voted {
		return nil
	}
	if err := s.publish(ctx, tx, b, "turnout", now); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE ballot_turnout SET voted = $2, published_at = $3 WHERE ballot_id = $1`, id, b.Voted, now); err != nil {
		return fmt.Errorf("ballots: turnout of %d: %w", id, err)
	}
	return nil
}
