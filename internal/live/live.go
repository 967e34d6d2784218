// Package live carries live updates from a change in the database to the
// pages that show it (SPEC.md, "Live meetings"), on every app instance.
//
// A domain publishes an event on a topic (for example "meeting:42") inside
// the transaction of its change: Publish stores the event with the next
// number of its topic and calls pg_notify, which PostgreSQL delivers only if
// that transaction commits. Each instance runs one Hub, which LISTENs on one
// connection and wakes the subscribers of the topic; Stream serves a topic
// as Server-Sent Events, reading what is new from live_events. Because
// events are kept with gapless numbers per topic, a client that reconnects
// with Last-Event-ID receives exactly what it missed, whichever instance it
// reaches, and a notification lost while the listening connection was down
// costs nothing but a little delay.
package live

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"github.com/jmoiron/sqlx"
)

// Channel is the PostgreSQL notification channel of live events.
const Channel = "osk_live"

// Event is one update on a topic.
type Event struct {
	Topic string          `db:"topic" json:"topic"`
	Seq   int64           `db:"seq" json:"seq"`
	Name  string          `db:"name" json:"name"`
	Data  json.RawMessage `db:"data" json:"data"`
	At    time.Time       `db:"at" json:"at"`
}

var (
	topicPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*:[0-9A-Za-z_-]+$`)
	namePattern  = regexp.MustCompile(`^[a-z][a-z_]{0,39}$`)
)

// maxTopic is the longest topic name live_topics accepts.
const maxTopic = 100

// ValidTopic reports whether topic is a well-formed topic name: a kind and
// an id, such as "meeting:42".
func ValidTopic(topic string) bool {
	return len(topic) <= maxTopic && topicPattern.MatchString(topic)
}

// Lock takes inside tx the lock that Publish takes on topic, for a
// transaction that must lock the audit chain's head before it publishes.
// Every other transaction publishes first and appends to the audit log
// after; taking the two locks in the other order would deadlock with
// them. A topic never published on has no lock to take.
func Lock(ctx context.Context, tx *sqlx.Tx, topic string) error {
	if _, err := tx.ExecContext(ctx, `SELECT 1 FROM live_topics WHERE topic = $1 FOR UPDATE`, topic); err != nil {
		return fmt.Errorf("live: lock %s: %w", topic, err)
	}
	return nil
}

// Publish records an event on topic inside tx and notifies every instance
// when tx commits; at is the time of the change. It returns the event's
// number. Publishers of one topic are serialised from here until they
// commit, which is what keeps the numbers in commit order.
func Publish(ctx context.Context, tx *sqlx.Tx, at time.Time, topic, name string, data any) (int64, error) {
	if !ValidTopic(topic) {
		return 0, fmt.Errorf("live: publish: topic %q is not of the form kind:id", topic)
	}
	if !namePattern.MatchString(name) {
		return 0, fmt.Errorf("live: publish: event name %q is not lower-case letters and '_'", name)
	}
	payload, err := json.Marshal(data)
	if err != nil {
		return 0, fmt.Errorf("live: publish %s on %s: %w", name, topic, err)
	}
	var seq int64
	err = tx.GetContext(ctx, &seq, `
		INSERT INTO live_topics (topic, last_seq) VALUES ($1, 1)
		ON CONFLICT (topic) DO UPDATE SET last_seq = live_topics.last_seq + 1
		RETURNING last_seq`, topic)
	if err != nil {
		return 0, fmt.Errorf("live: publish %s on %s: number: %w", name, topic, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO live_events (topic, seq, name, data, at) VALUES ($1, $2, $3, $4, $5)`,
		topic, seq, name, payload, at.UTC()); err != nil {
		return 0, fmt.Errorf("live: publish %s on %s: %w", name, topic, err)
	}
	// The payload names the topic only: the listeners read the events
	// themselves, so nothing depends on NOTIFY's size limit.
	if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, Channel, topic); err != nil {
		return 0, fmt.Errorf("live: publish %s on %s: notify: %w", name, topic, err)
	}
	return seq, nil
}

// Since returns the events of topic after the number after, oldest first,
// at most limit of them.
func Since(ctx context.Context, q sqlx.QueryerContext, topic string, after int64, limit int) ([]Event, error) {
	out := []Event{}
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT topic, seq, name, data, at FROM live_events
		WHERE topic = $1 AND seq > $2 ORDER BY seq LIMIT $3`, topic, after, limit)
	if err != nil {
		return nil, fmt.Errorf("live: events of %s after %d: %w", topic, after, err)
	}
	for i := range out {
		out[i].At = out[i].At.UTC()
	}
	return out, nil
}

// Latest returns the number of the last event committed on topic, 0 when
// there is none. A page rendered from the database passes it on, so that
// its live updates start exactly after what it shows.
func Latest(ctx context.Context, q sqlx.QueryerContext, topic string) (int64, error) {
	var seq int64
	err := sqlx.GetContext(ctx, q, &seq, `SELECT coalesce(max(seq), 0) FROM live_events WHERE topic = $1`, topic)
	if err != nil {
		return 0, fmt.Errorf("live: latest of %s: %w", topic, err)
	}
	return seq, nil
}
