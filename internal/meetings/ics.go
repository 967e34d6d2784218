package meetings

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/errs"
)

// Calendar returns the iCalendar file (RFC 5545) of one meeting the
// principal may see.
func (s *Service) Calendar(ctx context.Context, p auth.Principal, id int64) ([]byte, error) {
	m, err := s.GetAs(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if !m.Noticed() {
		return nil, errs.Wrap(errs.Conflict, "This meeting was never convened, so it has no calendar entry.")
	}
	return s.ics([]Meeting{m}), nil
}

// Feed returns the iCalendar feed of the meetings the principal may see,
// those never convened left out.
func (s *Service) Feed(ctx context.Context, p auth.Principal) ([]byte, error) {
	all, err := s.visibleMeetings(ctx, p)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, m := range all {
		if m.Noticed() {
			out = append(out, m)
		}
	}
	return s.ics(out), nil
}

// feedTokenPrefix marks Osk's calendar addresses, so that one found in a
// log is recognised.
const feedTokenPrefix = "oskcal_"

func hashFeedToken(raw string) []byte {
	sum := sha256.Sum256([]byte(raw))
	return sum[:]
}

// NewFeedToken makes a new secret address for the principal's calendar
// subscription, replacing any earlier one, and returns its token once;
// only its hash is kept.
func (s *Service) NewFeedToken(ctx context.Context, p auth.Principal) (string, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return "", err
	}
	if !c.IsMember() && !p.HasAny(auth.RoleBoard, auth.RoleAuditor) {
		return "", errs.Wrap(errs.Forbidden, "Only members of the co-op see its general meetings.")
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("meetings: calendar token: %w", err)
	}
	token := feedTokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO meeting_calendar_tokens (account_id, token_hash, created_at) VALUES ($1, $2, $3)
			ON CONFLICT (account_id) DO UPDATE SET token_hash = EXCLUDED.token_hash, created_at = EXCLUDED.created_at`,
			p.AccountID, hashFeedToken(token), s.clock.Now()); err != nil {
			return fmt.Errorf("meetings: calendar token: %w", err)
		}
		_, err := s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: "meeting.calendar_address_created",
			Subject: fmt.Sprintf("account:%d", p.AccountID),
		})
		return err
	})
	return token, err
}

// FeedByToken returns the feed of the account whose calendar address this
// is, as that account sees the meetings now: an address outlives nobody's
// rights.
func (s *Service) FeedByToken(ctx context.Context, token string) ([]byte, error) {
	if !strings.HasPrefix(token, feedTokenPrefix) || len(token) > 100 {
		return nil, ErrNotFound
	}
	var accountID int64
	err := s.db.GetContext(ctx, &accountID, `SELECT account_id FROM meeting_calendar_tokens WHERE token_hash = $1`, hashFeedToken(token))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("meetings: calendar address: %w", err)
	}
	p, err := s.accounts.Principal(ctx, accountID)
	if err != nil {
		return nil, err
	}
	feed, err := s.Feed(ctx, p)
	if errors.Is(err, errs.Forbidden) {
		return nil, ErrNotFound
	}
	return feed, err
}

// ics writes meetings as one calendar. Times are in UTC, which every
// calendar program shows in its user's own zone; the meeting's zone is
// named in the description.
func (s *Service) ics(ms []Meeting) []byte {
	host := "osk"
	if u, err := url.Parse(s.cfg.BaseURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	now := s.clock.Now().UTC()
	var b bytes.Buffer
	line := func(name, value string) { writeFolded(&b, name+":"+value) }
	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", "-//Citizen Network Osk//Osk//EN")
	line("CALSCALE", "GREGORIAN")
	line("METHOD", "PUBLISH")
	line("X-WR-CALNAME", "Citizen Network Osk: general meetings")
	for _, m := range ms {
		line("BEGIN", "VEVENT")
		line("UID", fmt.Sprintf("meeting-%d@%s", m.ID, host))
		line("DTSTAMP", icsTime(now))
		line("DTSTART", icsTime(m.StartsAt))
		line("DTEND", icsTime(m.EndsAt))
		line("SEQUENCE", fmt.Sprint(m.Revision))
		if org := icsOrganizer(s.cfg.Organizer); org != "" {
			writeFolded(&b, org)
		}
		line("SUMMARY", icsText(m.Title))
		if m.Location != "" {
			line("LOCATION", icsText(m.Location))
		} else if m.RemoteAllowed {
			line("LOCATION", icsText(m.OnlineURL))
		}
		line("DESCRIPTION", icsText(s.eventDescription(m)))
		line("URL", s.meetingURL(m.ID))
		if m.Status == StatusCancelled {
			line("STATUS", "CANCELLED")
		} else {
			line("STATUS", "CONFIRMED")
		}
		line("END", "VEVENT")
	}
	line("END", "VCALENDAR")
	return b.Bytes()
}

func (s *Service) eventDescription(m Meeting) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s of Citizen Network Osk.\n", KindLabel(m.Kind))
	fmt.Fprintf(&b, "Time zone of the meeting: %s.\n", m.TimeZone)
	if m.Status == StatusCancelled {
		fmt.Fprintf(&b, "Cancelled: %s\n", m.CancelReason)
	}
	if m.RemoteAllowed {
		fmt.Fprintf(&b, "Take part remotely: %s\n", m.OnlineURL)
	}
	b.WriteString("Agenda:\n")
	for _, it := range m.Agenda {
		fmt.Fprintf(&b, "%d. %s\n", it.Position, it.Title)
	}
	fmt.Fprintf(&b, "Notice and registration: %s", s.meetingURL(m.ID))
	return b.String()
}

func icsTime(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// icsOrganizer is the ORGANIZER line, with its name, for an address such
// as MAIL_FROM ("Osk <osk@example.org>"): RFC 5546 wants one in each event
// a calendar publishes. Empty when from is no address.
func icsOrganizer(from string) string {
	a, err := mail.ParseAddress(from)
	if err != nil {
		return ""
	}
	// A quoted parameter value holds no quote and no control character.
	name := strings.Map(func(r rune) rune {
		if r == '"' || r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, a.Name)
	if name == "" {
		return "ORGANIZER:mailto:" + a.Address
	}
	return fmt.Sprintf(`ORGANIZER;CN="%s":mailto:%s`, name, a.Address)
}

// icsText escapes a TEXT value (RFC 5545, 3.3.11).
func icsText(s string) string {
	r := strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`)
	return r.Replace(s)
}

// writeFolded writes a content line, folded at 75 octets without splitting
// a UTF-8 sequence (RFC 5545, 3.1), and ends it with CRLF.
func writeFolded(b *bytes.Buffer, s string) {
	limit := 75
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		// Continuation lines start with a space, which counts.
		limit = 74
	}
	b.WriteString(s)
	b.WriteString("\r\n")
}
