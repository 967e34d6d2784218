package meetings

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/live"
)

// The live events of a meeting's topic (Topic): "meeting" when its state
// or notice changes, "quorum" when who is represented changes. Ballots add
// "ballot" events on the same topic.

// StateEvent is the data of a "meeting" event.
type StateEvent struct {
	MeetingID   int64  `json:"meeting_id"`
	Status      string `json:"status"`
	StatusLabel string `json:"status_label"`
	Revision    int    `json:"revision"`
}

// QuorumEvent is the data of a "quorum" event.
type QuorumEvent struct {
	MeetingID int64 `json:"meeting_id"`
	Quorum
	// Summary says the same in words, for the page to announce.
	Summary string `json:"summary"`
}

func (s *Service) publishState(ctx context.Context, tx *sqlx.Tx, m Meeting, now time.Time) error {
	_, err := live.Publish(ctx, tx, now, Topic(m.ID), "meeting", StateEvent{
		MeetingID: m.ID, Status: m.Status, StatusLabel: StatusLabel(m.Status), Revision: m.Revision,
	})
	return err
}

// publishQuorum counts the quorum inside tx, with the change about to be
// committed, and publishes it.
func (s *Service) publishQuorum(ctx context.Context, tx *sqlx.Tx, m Meeting, now time.Time) (Quorum, error) {
	q, err := quorumOf(ctx, tx, m)
	if err != nil {
		return Quorum{}, err
	}
	_, err = live.Publish(ctx, tx, now, Topic(m.ID), "quorum", QuorumEvent{MeetingID: m.ID, Quorum: q, Summary: q.Summary()})
	return q, err
}

func (s *Service) publishAll(ctx context.Context, tx *sqlx.Tx, m Meeting, now time.Time) error {
	if err := s.publishState(ctx, tx, m, now); err != nil {
		return err
	}
	_, err := s.publishQuorum(ctx, tx, m, now)
	return err
}
