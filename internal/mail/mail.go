// Package mail owns Osk's email outbox: the messages the other packages
// enqueue inside the transaction of the change they report, the worker that
// sends them through SMTP, and the record of every attempt.
//
// Writing a message in the same transaction as its change means that a
// committed change always has its mail, and a rolled-back one never does.
// Delivery is at least once: a message is marked sent only after the SMTP
// server has accepted it, so a worker that stops between the server's
// acceptance and that mark leaves the message to be sent again once its
// lease runs out. A reader may, rarely, get a message twice; a member never
// misses one.
package mail

import (
	"context"
	"fmt"
	netmail "net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/citizen-network/osk/internal/errs"
)

// Channel is the PostgreSQL notification channel on which Enqueue wakes the
// workers when its transaction commits.
const Channel = "mail_outbox"

// The statuses of a message in the outbox.
const (
	StatusPending = "pending"
	StatusSent    = "sent"
	StatusFailed  = "failed"
)

// ErrInvalid is the kind of error Enqueue returns for a message it refuses.
var ErrInvalid = errs.Wrap(errs.Invalid, "The email could not be prepared: its address or subject is not valid.")

// Message is one plain-text email to one recipient.
type Message struct {
	// To is an address as net/mail parses it: "ada@example.org" or
	// "Ada Lovelace <ada@example.org>".
	To      string
	Subject string
	Body    string
	// MemberID is the member the message is written to as a member, or 0:
	// ForgetMember finds their messages by it.
	MemberID int64
}

// validate refuses what SMTP or the headers cannot carry safely. A CR or LF
// in a header value would end the header and let the value write others
// (header injection), so none is allowed in the address or the subject.
func (m Message) validate() error {
	for _, f := range []struct{ name, value string }{{"to", m.To}, {"subject", m.Subject}} {
		if !utf8.ValidString(f.value) {
			return fmt.Errorf("%s is not valid UTF-8: %w", f.name, ErrInvalid)
		}
		if strings.IndexFunc(f.value, func(r rune) bool { return r != '\t' && unicode.IsControl(r) }) >= 0 {
			return fmt.Errorf("%s contains a line break or another control character: %w", f.name, ErrInvalid)
		}
		if strings.TrimSpace(f.value) == "" {
			return fmt.Errorf("%s is empty: %w", f.name, ErrInvalid)
		}
	}
	if _, err := netmail.ParseAddress(m.To); err != nil {
		return fmt.Errorf("to %q is not an email address (%v): %w", m.To, err, ErrInvalid)
	}
	if !utf8.ValidString(m.Body) || strings.ContainsRune(m.Body, 0) {
		return fmt.Errorf("body is not valid UTF-8 text: %w", ErrInvalid)
	}
	return nil
}

// Enqueue adds msgs to the outbox inside the caller's transaction tx, to be
// sent once tx commits; now is the time of the change they report. It
// refuses the whole batch, adding nothing, when any message is invalid.
//
// All messages go in one statement, so that a meeting notice to every
// member costs one round trip, and the workers are notified on commit.
func Enqueue(ctx context.Context, tx *sqlx.Tx, now time.Time, msgs ...Message) error {
	if len(msgs) == 0 {
		return nil
	}
	to := make([]string, len(msgs))
	subjects := make([]string, len(msgs))
	bodies := make([]string, len(msgs))
	memberIDs := make([]int64, len(msgs))
	for i, m := range msgs {
		if err := m.validate(); err != nil {
			return fmt.Errorf("mail: enqueue: message %d: %w", i+1, err)
		}
		to[i] = strings.TrimSpace(m.To)
		subjects[i] = m.Subject
		bodies[i] = m.Body
		memberIDs[i] = m.MemberID
	}
	// WITH ORDINALITY keeps the ids in the order of msgs.
	_, err := tx.ExecContext(ctx, `
		INSERT INTO mail_outbox (to_address, subject, body, member_id, created_at, next_attempt_at)
		SELECT m.to_address, m.subject, m.body, nullif(m.member_id, 0), $4, $4
		FROM unnest($1::text[], $2::text[], $3::text[], $5::bigint[]) WITH ORDINALITY AS m(to_address, subject, body, member_id, n)
		ORDER BY m.n`,
		pq.Array(to), pq.Array(subjects), pq.Array(bodies), now, pq.Array(memberIDs))
	if err != nil {
		return fmt.Errorf("mail: enqueue: %w", err)
	}
	// PostgreSQL delivers the notification only if tx commits.
	if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, '')`, Channel); err != nil {
		return fmt.Errorf("mail: enqueue: notify: %w", err)
	}
	return nil
}

// ForgetMember erases what the outbox keeps of the messages written to a
// member as a member, inside the caller's transaction tx: the address, the
// subject and the body, which name the person and what the co-op told
// them. It is for the erasure of a former member's personal data, so a
// message not yet sent is given up; a worker sending one at that moment
// may still record it as sent.
func ForgetMember(ctx context.Context, tx *sqlx.Tx, memberID int64) error {
	_, err := tx.ExecContext(ctx, `
		UPDATE mail_outbox SET to_address = 'erased', subject = 'Erased', body = '',
			status = CASE status WHEN 'pending' THEN 'failed' ELSE status END,
			last_error = CASE status WHEN 'pending' THEN 'Not sent: the member''s personal data was erased.' ELSE last_error END,
			locked_until = NULL
		WHERE member_id = $1`, memberID)
	if err != nil {
		return fmt.Errorf("mail: forget member %d: %w", memberID, err)
	}
	return nil
}

// Sent is a message of the outbox as GET /dev/mail lists it, whatever its
// status.
type Sent struct {
	ID int64  `db:"id" json:"id"`
	To string `db:"to_address" json:"to"`
	// Recipient repeats To under the word API.md uses for it.
	Recipient string     `db:"recipient" json:"recipient"`
	Subject   string     `db:"subject" json:"subject"`
	Body      string     `db:"body" json:"body"`
	Status    string     `db:"status" json:"status"`
	CreatedAt time.Time  `db:"created_at" json:"created_at"`
	SentAt    *time.Time `db:"sent_at" json:"sent_at"`
	Attempts  int        `db:"attempts" json:"attempts"`
}

// The bounds of List's limit, as for every list of the API.
const (
	defaultListLimit = 50
	maxListLimit     = 500
)

// List returns the newest messages of the outbox first, at most limit of
// them (50 when limit is not positive, and never more than 500).
func List(ctx context.Context, q sqlx.QueryerContext, limit int) ([]Sent, error) {
	if limit <= 0 {
		limit = defaultListLimit
	}
	limit = min(limit, maxListLimit)
	items := []Sent{}
	err := sqlx.SelectContext(ctx, q, &items, `
		SELECT id, to_address, to_address AS recipient, subject, body, status, created_at, sent_at, attempts
		FROM mail_outbox
		ORDER BY id DESC
		LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("mail: list: %w", err)
	}
	for i := range items {
		items[i].CreatedAt = items[i].CreatedAt.UTC()
		if items[i].SentAt != nil {
			t := items[i].SentAt.UTC()
			items[i].SentAt = &t
		}
	}
	return items, nil
}
