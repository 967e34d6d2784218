package meetings

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	// Meetings are held in named zones whatever zone files the host has.
	_ "time/tzdata"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/clock"
	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/mail"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/rules"
)

// Limits on what people type.
const (
	maxTitle       = 200
	maxLocation    = 500
	maxURL         = 2000
	maxDescription = 5000
	maxReason      = 2000
	maxCheckers    = 5
	maxAgenda      = 100
	// maxLength bounds a meeting's length: long enough for one held
	// online over weeks, short enough to catch a mistyped year.
	maxLength    = 31 * 24 * time.Hour
	maxQuorum    = 10_000_000
	defaultLimit = 50
	maxListLimit = 500
)

// Config holds what the service needs from outside the database.
type Config struct {
	// BaseURL is where Osk is served, for the links in notices and
	// calendar files.
	BaseURL string
	// Organizer is the address that sends the notices, the organizer of
	// the calendar's events ("Name <address>", as MAIL_FROM).
	Organizer string
}

// Service holds the rules of general meetings.
type Service struct {
	db       *sqlx.DB
	audit    *audit.Log
	clock    clock.Clock
	rules    *rules.Service
	members  *members.Service
	accounts *auth.Service
	cfg      Config
	// beforeClose are the checks of domains with business in a meeting
	// (ballots), run inside the close's transaction.
	beforeClose []func(ctx context.Context, tx *sqlx.Tx, meetingID int64) error
}

// BeforeClose registers a check that the session's close runs in its own
// transaction; an error refuses the close. Ballots use it so that a session
// cannot end while members are still voting: meetings cannot import the
// ballots package, which depends on it.
func (s *Service) BeforeClose(check func(ctx context.Context, tx *sqlx.Tx, meetingID int64) error) {
	s.beforeClose = append(s.beforeClose, check)
}

// NewService returns the general meetings service.
func NewService(conn *sqlx.DB, log *audit.Log, clk clock.Clock, rulesSvc *rules.Service, membersSvc *members.Service, accounts *auth.Service, cfg Config) *Service {
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &Service{db: conn, audit: log, clock: clk, rules: rulesSvc, members: membersSvc, accounts: accounts, cfg: cfg}
}

// Now is the time of every rule of meetings.
func (s *Service) Now() time.Time { return s.clock.Now() }

// visible loads a meeting the caller may see.
func (s *Service) visible(ctx context.Context, q sqlx.QueryerContext, c members.Caller, id int64, lock lockMode) (Meeting, error) {
	m, err := getMeeting(ctx, q, id, lock)
	if err != nil {
		return Meeting{}, err
	}
	if !m.VisibleTo(c) {
		return Meeting{}, ErrNotFound
	}
	return m, nil
}

// Get returns a meeting without any access check, for other domains.
func (s *Service) Get(ctx context.Context, id int64) (Meeting, error) {
	m, err := getMeeting(ctx, s.db, id, noLock)
	if err != nil {
		return Meeting{}, err
	}
	return m, s.decorate(ctx, &m)
}

// Lock returns the meeting inside tx, locked FOR SHARE until tx ends, for
// internal/ballots: the session can then not be closed under a ballot
// being opened.
func (s *Service) Lock(ctx context.Context, tx *sqlx.Tx, id int64) (Meeting, error) {
	return getMeeting(ctx, tx, id, lockForShare)
}

// GetAs returns a meeting the principal may see.
func (s *Service) GetAs(ctx context.Context, p auth.Principal, id int64) (Meeting, error) {
	_, m, err := s.visibleTo(ctx, p, id)
	if err != nil {
		return Meeting{}, err
	}
	return m, s.decorate(ctx, &m)
}

// visibleTo reads, unlocked, a meeting the principal may see, with the
// principal as a caller of the register.
func (s *Service) visibleTo(ctx context.Context, p auth.Principal, id int64) (members.Caller, Meeting, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return members.Caller{}, Meeting{}, err
	}
	m, err := s.visible(ctx, s.db, c, id, noLock)
	return c, m, err
}

// decorate fills what depends on the rules: the member motion deadline
// and the warnings for the board.
func (s *Service) decorate(ctx context.Context, m *Meeting) error {
	r, err := s.rules.Current(ctx)
	if err != nil {
		return err
	}
	decorate(m, r, s.clock.Now())
	return nil
}

func decorate(m *Meeting, r rules.Rules, now time.Time) {
	start := m.StartsAt.In(m.Zone())
	m.MemberMotionDeadline = start.AddDate(0, 0, -r.MemberMotionDeadlineDays).UTC()
	if m.NoticedDeadline != nil {
		m.MemberMotionDeadline = m.NoticedDeadline.UTC()
	}
	m.Warnings = []string{}
	if m.Kind == KindAnnual && !m.Finished() {
		day := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC)
		if deadline, err := r.AGMDeadline(day); err == nil && day.After(deadline) {
			m.Warnings = append(m.Warnings, fmt.Sprintf(
				"The rules say the annual meeting must be held within %d months of the end of the financial year (%s), that is by %s; this meeting is on %s.",
				r.AGMWithinMonths, r.FinancialYearEnd, deadline.Format("2 January 2006"), day.Format("2 January 2006")))
		}
	}
	if missing := missingStatutory(*m); len(missing) > 0 && m.Status == StatusDraft {
		titles := make([]string, len(missing))
		for i, it := range missing {
			titles[i] = it.Title
		}
		m.Warnings = append(m.Warnings, fmt.Sprintf(
			"The notice of an annual meeting lists the statutory items, and this agenda lacks: %s. Unless the co-op's rules leave them out this year, add them back from the agenda page.",
			strings.Join(titles, "; ")))
	}
	if m.Status == StatusDraft {
		earliest, latest := noticeWindow(*m, r)
		if now.After(latest) {
			m.Warnings = append(m.Warnings, fmt.Sprintf(
				"It is too late to convene this meeting: the notice had to go out by %s. Move the meeting to a later date.",
				formatIn(latest, m.Zone())))
		} else if now.Before(earliest) {
			m.Warnings = append(m.Warnings, fmt.Sprintf("The notice can go out from %s, not before.", formatIn(earliest, m.Zone())))
		}
	}
}

// noticeWindow returns the first and last moments at which the notice of
// the meeting may go out (SPEC.md: no earlier than NoticeMaxMonths and no
// later than NoticeMinDays before the meeting, NoticeWeightyMinDays when an
// item changes the rules or is weighty). The months and days are counted
// in the meeting's own calendar, so that "one week before 18:00" is 18:00
// on the same weekday across a change of summer time.
func noticeWindow(m Meeting, r rules.Rules) (earliest, latest time.Time) {
	start := m.StartsAt.In(m.Zone())
	days := r.NoticeMinDays
	if m.HasWeightyItem() {
		days = r.NoticeWeightyMinDays
	}
	return monthsBefore(start, r.NoticeMaxMonths).UTC(), start.AddDate(0, 0, -days).UTC()
}

// monthsBefore is the same day and time n months before t, in t's zone,
// or the last day of that month when it is shorter: two months before
// 30 April is 28 February, where AddDate would say 2 March.
func monthsBefore(t time.Time, n int) time.Time {
	y, mo, d := t.Date()
	first := time.Date(y, mo-time.Month(n), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	last := time.Date(first.Year(), first.Month()+1, 0, 0, 0, 0, 0, t.Location()).Day()
	return first.AddDate(0, 0, min(d, last)-1)
}

func formatIn(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Monday 2 January 2006, 15:04 MST")
}

// ItemInput is an agenda item as the board writes it.
type ItemInput struct {
	Title       string
	Description string
	// Position is where the item goes, from 1; nil puts it last, before
	// the closing of the meeting if the agenda has one.
	Position   *int
	RuleChange bool
	Weighty    bool
	statutory  string
}

// Draft is a new meeting as the board writes it. Times are RFC 3339, or a
// local date and time ("2026-06-01T18:00") in the meeting's time zone.
type Draft struct {
	Kind          string
	Title         string
	StartsAt      string
	EndsAt        string
	TimeZone      string
	Location      string
	OnlineURL     string
	RemoteAllowed bool
	// RecordDate is a day ("2026-05-01", meaning its end in the meeting's
	// zone) or an RFC 3339 time; empty means the day of convening.
	RecordDate string
	// Quorum nil takes the defaults of the rules.
	Quorum *QuorumRule
	// Agenda nil pre-fills the statutory items of an annual meeting.
	Agenda   []ItemInput
	Officers *Officers
	// Unreadable are fields the caller could not read (a number typed in
	// a form as words), reported with the service's own findings so that
	// people see every problem at once; nothing is saved while there are
	// any.
	Unreadable []errs.FieldError
}

// Create records a new meeting in draft.
func (s *Service) Create(ctx context.Context, p auth.Principal, d Draft) (Meeting, error) {
	if err := p.RequireAny(auth.RoleBoard); err != nil {
		return Meeting{}, err
	}
	r, err := s.rules.Current(ctx)
	if err != nil {
		return Meeting{}, err
	}
	now := s.clock.Now()
	m := Meeting{
		Kind: strings.TrimSpace(d.Kind), Title: strings.TrimSpace(d.Title),
		TimeZone: strings.TrimSpace(d.TimeZone), Location: strings.TrimSpace(d.Location),
		OnlineURL: strings.TrimSpace(d.OnlineURL), RemoteAllowed: d.RemoteAllowed,
		Status: StatusDraft, CreatedAt: now, CreatedBy: p.Actor(),
		Quorum: QuorumRule{MinMembers: r.QuorumMinMembers, MinPercent: r.QuorumMinPercent},
	}
	if m.TimeZone == "" {
		m.TimeZone = DefaultTimeZone
	}
	if d.Quorum != nil {
		m.Quorum = *d.Quorum
	}
	v := errs.Validation{Fields: append([]errs.FieldError(nil), d.Unreadable...)}
	fields := fieldSet{"kind": true, "title": true, "starts_at": true, "ends_at": true, "time_zone": true,
		"location": true, "online_url": true, "record_date": true, "quorum": true}
	m.StartsAt, m.EndsAt, m.RecordDate = parseTimes(&v, &m, d.StartsAt, d.EndsAt, &d.RecordDate)
	checkDetails(&v, m, now, fields)

	agenda := d.Agenda
	if agenda == nil && m.Kind == KindAnnual {
		agenda = StatutoryAgenda()
	}
	agenda = checkAgenda(&v, agenda)
	var officers Officers
	if d.Officers != nil {
		officers = *d.Officers
		if err := s.checkOfficers(ctx, &v, &officers); err != nil {
			return Meeting{}, err
		}
	}
	if err := v.Err(); err != nil {
		return Meeting{}, err
	}
	var out Meeting
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		id, err := insertMeeting(ctx, tx, m)
		if err != nil {
			return err
		}
		for i, it := range agenda {
			if _, err := insertItem(ctx, tx, id, i+1, it); err != nil {
				return err
			}
		}
		if d.Officers != nil {
			if err := setOfficers(ctx, tx, id, officers); err != nil {
				return err
			}
		}
		if out, err = getMeeting(ctx, tx, id, noLock); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: "meeting.drafted", Subject: subject(id),
			Payload: map[string]any{"kind": m.Kind, "starts_at": audit.FormatTime(m.StartsAt),
				"ends_at": audit.FormatTime(m.EndsAt), "time_zone": m.TimeZone, "agenda_items": len(agenda)},
		})
		if err != nil || d.Officers == nil {
			return err
		}
		// Officers named with the draft are appointed as SetOfficers
		// appoints them, and recorded so: the minutes' signatures are
		// checked against this event.
		_, err = s.audit.Append(ctx, tx, officersEvent(p, id, officers))
		return err
	})
	if err != nil {
		return Meeting{}, err
	}
	decorate(&out, r, now)
	return out, nil
}

// fieldSet names the fields a check looks at.
type fieldSet map[string]bool

// parseTimes reads the start, end and record date in the meeting's zone,
// reporting what it cannot read. A nil record pointer keeps m's.
func parseTimes(v *errs.Validation, m *Meeting, startsAt, endsAt string, record *string) (time.Time, time.Time, *time.Time) {
	loc, err := loadZone(m.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	start, end, rec := m.StartsAt, m.EndsAt, m.RecordDate
	read := func(field, raw string, required bool) (time.Time, bool) {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			if required {
				v.Add(field, "Enter the date and time, for example 2026-06-01T18:00.")
			}
			return time.Time{}, false
		}
		t, problem := ParseTime(raw, loc)
		if problem != "" {
			v.Add(field, "%s", problem)
		}
		return t, problem == ""
	}
	if t, ok := read("starts_at", startsAt, true); ok {
		start = t
	}
	if t, ok := read("ends_at", endsAt, true); ok {
		end = t
	}
	if record != nil {
		raw := strings.TrimSpace(*record)
		switch {
		case raw == "":
			rec = nil
		default:
			if day, err := time.ParseInLocation(time.DateOnly, raw, loc); err == nil && clock.Representable(day) {
				t := endOfDay(day, loc)
				rec = &t
			} else if t, err := time.Parse(time.RFC3339, raw); err == nil && clock.Representable(t) {
				t = t.UTC()
				rec = &t
			} else {
				v.Add("record_date", "Enter the record date as a day such as 2026-05-01.")
			}
		}
	}
	return start, end, rec
}

// endOfDay is the last moment of t's day in loc, in UTC: a record date is
// a day, and whoever is active on it counts, to its end.
func endOfDay(t time.Time, loc *time.Location) time.Time {
	y, mo, d := t.In(loc).Date()
	return time.Date(y, mo, d+1, 0, 0, 0, 0, loc).Add(-time.Microsecond).UTC()
}

// ParseTime reads an RFC 3339 time, or a local time in loc as forms send
// it (a meeting's times, and those of its ballots and elections), in UTC,
// and says what is wrong otherwise. A local time the clocks skip when
// summer time begins does not exist: rather than move it silently by an
// hour, it is refused.
func ParseTime(raw string, loc *time.Location) (time.Time, string) {
	t, problem := parseAny(strings.TrimSpace(raw), loc)
	if problem == "" && !clock.Representable(t) {
		return time.Time{}, "Choose a time between the years 1900 and 9998."
	}
	return t, problem
}

// ClosingTime reads the closing time of a ballot of the meeting, which
// must be in the future, into v's field closes_at; nil when none is given
// or it is wrong.
func ClosingTime(v *errs.Validation, raw string, m Meeting, now time.Time) *time.Time {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil
	}
	t, problem := ParseTime(raw, m.Zone())
	switch {
	case problem != "":
		v.Add("closes_at", "%s", problem)
	case !t.After(now):
		v.Add("closes_at", "Choose a closing time in the future.")
	default:
		return &t
	}
	return nil
}

func parseAny(raw string, loc *time.Location) (time.Time, string) {
	if t, err := time.Parse(time.RFC3339, raw); err == nil {
		return t.UTC().Truncate(time.Second), ""
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, raw, loc); err == nil {
			if t.In(loc).Format(layout) != raw {
				return time.Time{}, fmt.Sprintf("%s does not exist in %s: the clocks go forward then. Choose another time.", raw, loc)
			}
			return t.UTC(), ""
		}
	}
	return time.Time{}, "Enter a date and time such as 2026-06-01T18:00, or an RFC 3339 time such as 2026-06-01T15:00:00Z."
}

func loadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" || strings.ContainsAny(name, " \\") {
		return nil, fmt.Errorf("meetings: time zone %q", name)
	}
	return time.LoadLocation(name)
}

// checkDetails checks the fields of a meeting named in fields.
func checkDetails(v *errs.Validation, m Meeting, now time.Time, fields fieldSet) {
	if fields["kind"] && m.Kind != KindAnnual && m.Kind != KindExtraordinary {
		v.Add("kind", "Choose annual or extraordinary.")
	}
	if fields["title"] {
		checkLine(v, "title", m.Title, maxTitle, "Enter a title for the meeting.")
	}
	if fields["time_zone"] {
		if _, err := loadZone(m.TimeZone); err != nil {
			v.Add("time_zone", "Use a time zone name such as Europe/Helsinki.")
		}
	}
	if fields["starts_at"] && !v.Has("starts_at") && !m.StartsAt.After(now) {
		v.Add("starts_at", "The meeting cannot start in the past.")
	}
	if (fields["starts_at"] || fields["ends_at"]) && !v.Has("starts_at") && !v.Has("ends_at") && !m.EndsAt.After(m.StartsAt) {
		v.Add("ends_at", "The meeting must end after it starts.")
	} else if (fields["starts_at"] || fields["ends_at"]) && !v.Has("starts_at") && !v.Has("ends_at") && m.EndsAt.Sub(m.StartsAt) > maxLength {
		v.Add("ends_at", "A general meeting lasts at most %d days: check the end.", maxLength/(24*time.Hour))
	}
	if fields["location"] {
		checkText(v, "location", m.Location, maxLocation, true)
	}
	if fields["online_url"] && m.OnlineURL != "" {
		u, err := url.Parse(m.OnlineURL)
		switch {
		case utf8.RuneCountInString(m.OnlineURL) > maxURL:
			v.Add("online_url", "Use at most %d characters.", maxURL)
		case err != nil || u.Scheme != "https" || u.Host == "" || errs.HasControl(m.OnlineURL, false):
			// The link goes to every member by email: one without
			// encryption would show the meeting's way in to anyone between.
			v.Add("online_url", "Enter the full address of the online meeting, starting with https://.")
		}
	}
	if fields["record_date"] && m.RecordDate != nil && !v.Has("starts_at") && !v.Has("record_date") && m.RecordDate.After(m.StartsAt) {
		v.Add("record_date", "The record date must be before the meeting starts.")
	}
	if fields["quorum"] {
		if m.Quorum.MinMembers < 0 || m.Quorum.MinMembers > maxQuorum {
			v.Add("quorum.min_members", "Must be a whole number from 0 to %d.", maxQuorum)
		}
		if m.Quorum.MinPercent < 0 || m.Quorum.MinPercent > 100 {
			v.Add("quorum.min_percent", "Must be a whole number from 0 to 100.")
		}
	}
}

func checkLine(v *errs.Validation, field, s string, max int, missing string) {
	switch {
	case s == "":
		v.Add(field, "%s", missing)
	case utf8.RuneCountInString(s) > max:
		v.Add(field, "Use at most %d characters.", max)
	case !utf8.ValidString(s) || errs.HasControl(s, false):
		v.Add(field, "Write it on one line, without special characters.")
	}
}

func checkText(v *errs.Validation, field, s string, max int, lines bool) {
	switch {
	case utf8.RuneCountInString(s) > max:
		v.Add(field, "Use at most %d characters.", max)
	case !utf8.ValidString(s) || errs.HasControl(s, lines):
		v.Add(field, "Remove the special characters from this text.")
	}
}

// checkAgenda checks the items of a new meeting and puts them in order.
func checkAgenda(v *errs.Validation, items []ItemInput) []ItemInput {
	if len(items) > maxAgenda {
		v.Add("agenda", "An agenda has at most %d items.", maxAgenda)
		return nil
	}
	out := make([]ItemInput, len(items))
	placed := make([]bool, len(items))
	for i, it := range items {
		field := fmt.Sprintf("agenda[%d]", i)
		it = it.normalised()
		checkItem(v, field+".", it)
		pos := i + 1
		if it.Position != nil {
			pos = *it.Position
			if pos < 1 || pos > len(items) || placed[pos-1] {
				v.Add(field+".position", "Number the items from 1 to %d, each once.", len(items))
				continue
			}
		}
		if placed[pos-1] {
			v.Add(field+".position", "Number the items from 1 to %d, each once.", len(items))
			continue
		}
		placed[pos-1] = true
		out[pos-1] = it
	}
	return out
}

func (it ItemInput) normalised() ItemInput {
	it.Title = strings.TrimSpace(it.Title)
	it.Description = strings.TrimSpace(it.Description)
	return it
}

func checkItem(v *errs.Validation, prefix string, it ItemInput) {
	checkLine(v, prefix+"title", it.Title, maxTitle, "Enter the item's title.")
	checkText(v, prefix+"description", it.Description, maxDescription, true)
}

// StatutoryAgenda is the agenda an annual meeting starts with: the items
// the Co-operatives Act and common practice put before every AGM (SPEC.md:
// adopting the financial statements, use of the surplus, discharge from
// liability, and the elections of the board and auditors), in their usual
// order.
func StatutoryAgenda() []ItemInput {
	items := []struct{ key, title, description string }{
		{"opening", "Opening of the meeting", ""},
		{"officers", "Election of the chair, the secretary and the minute checkers", "The meeting elects a chair, who appoints a secretary, and two members to check the minutes."},
		{"legality", "Legality and quorum of the meeting", "The meeting confirms that it was convened as the rules require and records who is present or represented."},
		{"agenda", "Adopting the agenda", ""},
		{"financial_presentation", "Presentation of the financial statements, the report of the board and the auditor's report", ""},
		{"financial_statements", "Adopting the financial statements", ""},
		{"surplus", "Use of the surplus shown on the balance sheet", "The board's proposal on the use of the surplus."},
		{"discharge", "Discharge from liability of the board and the managing director", ""},
		{"fees", "Fees of the board members and the auditors", "Optional: only where the meeting decides on fees."},
		{"board_election", "Election of the board members", ""},
		{"auditor_election", "Election of the auditors", ""},
		{"closing", "Closing of the meeting", ""},
	}
	out := make([]ItemInput, len(items))
	for i, it := range items {
		out[i] = ItemInput{Title: it.title, Description: it.description, statutory: it.key}
	}
	return out
}

// boardMeeting loads and locks a meeting for a change by the board.
func (s *Service) boardMeeting(ctx context.Context, tx *sqlx.Tx, p auth.Principal, id int64) (Meeting, error) {
	if err := p.RequireAny(auth.RoleBoard); err != nil {
		return Meeting{}, err
	}
	return getMeeting(ctx, tx, id, lockForUpdate)
}

// refuseFinished refuses any change to a closed or cancelled meeting.
func refuseFinished(m Meeting) error {
	switch m.Status {
	case StatusClosed:
		return errs.Wrap(errs.Conflict, "The meeting is closed: nothing about it can change any more.")
	case StatusCancelled:
		return errs.Wrap(errs.Conflict, "The meeting was cancelled: nothing about it can change any more.")
	}
	return nil
}

// Change is an edit of a meeting's details; nil fields stay as they are.
type Change struct {
	Kind          *string
	Title         *string
	StartsAt      *string
	EndsAt        *string
	TimeZone      *string
	Location      *string
	OnlineURL     *string
	RemoteAllowed *bool
	// RecordDate "" clears it (the day of convening).
	RecordDate *string
	Quorum     *QuorumRule
	// Unreadable is as in Draft.
	Unreadable []errs.FieldError
}

// Update changes a meeting's details: anything while it is a draft; once
// its notice is out, only the place, the online link and whether remote
// participation is allowed, and members are told by email. Any other
// change after the notice would make the notice wrong: the board cancels
// the meeting and convenes a new one.
func (s *Service) Update(ctx context.Context, p auth.Principal, id int64, ch Change) (Meeting, error) {
	r, err := s.rules.Current(ctx)
	if err != nil {
		return Meeting{}, err
	}
	notify, err := s.members.ActiveMembers(ctx)
	if err != nil {
		return Meeting{}, err
	}
	var out Meeting
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, err := s.boardMeeting(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := refuseFinished(m); err != nil {
			return err
		}
		next, changed, err := applyChange(m, ch, s.clock.Now())
		if err != nil {
			return err
		}
		if len(changed) == 0 {
			out = m
			return nil
		}
		if m.Status != StatusDraft {
			for _, f := range changed {
				if f != "location" && f != "online_url" && f != "remote_allowed" {
					return errs.Wrap(errs.Conflict, "The notice of this meeting has gone out, so only the place and the way of taking part remotely can change. To change %s, cancel the meeting and convene a new one.", strings.ReplaceAll(f, "_", " "))
				}
			}
			// The notice promised a way to take part; a change may alter it
			// but not take it away. Members far away, or who cannot travel,
			// counted on taking part remotely when the notice offered it.
			var v errs.Validation
			if m.RemoteAllowed && !next.RemoteAllowed {
				v.Add("remote_allowed", "The notice offered remote participation, and members may have counted on it: it can no longer be withdrawn. Change the link if you need to.")
			}
			if next.RemoteAllowed && next.OnlineURL == "" {
				v.Add("online_url", "Give the link members use to take part remotely.")
			}
			if next.Location == "" && !next.RemoteAllowed {
				v.Add("location", "Say where the meeting is held, or allow remote participation with a link: members must have a way to take part.")
			}
			if err := v.Err(); err != nil {
				return err
			}
			next.Revision++
		}
		if err := updateDetails(ctx, tx, next); err != nil {
			return err
		}
		if out, err = getMeeting(ctx, tx, id, noLock); err != nil {
			return err
		}
		now := s.clock.Now()
		if m.Status != StatusDraft {
			if err := mail.Enqueue(ctx, tx, now, s.changeNotices(out, notify)...); err != nil {
				return fmt.Errorf("meetings: update %d: %w", id, err)
			}
			if err := s.publishState(ctx, tx, out, now); err != nil {
				return err
			}
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: "meeting.updated", Subject: subject(id),
			Payload: map[string]any{"fields": changed, "status": m.Status},
		})
		return err
	})
	if err != nil {
		return Meeting{}, err
	}
	decorate(&out, r, s.clock.Now())
	return out, nil
}

// applyChange returns the meeting with the change applied and the names of
// the fields whose values changed, or the validation of the new values.
func applyChange(m Meeting, ch Change, now time.Time) (Meeting, []string, error) {
	next := m
	fields := fieldSet{}
	set := func(field string, dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
			fields[field] = true
		}
	}
	set("kind", &next.Kind, ch.Kind)
	set("title", &next.Title, ch.Title)
	set("time_zone", &next.TimeZone, ch.TimeZone)
	set("location", &next.Location, ch.Location)
	set("online_url", &next.OnlineURL, ch.OnlineURL)
	if ch.RemoteAllowed != nil {
		next.RemoteAllowed = *ch.RemoteAllowed
	}
	if ch.Quorum != nil {
		next.Quorum = *ch.Quorum
		fields["quorum"] = true
	}
	v := errs.Validation{Fields: append([]errs.FieldError(nil), ch.Unreadable...)}
	if ch.TimeZone != nil {
		checkDetails(&v, next, now, fieldSet{"time_zone": true})
		if v.Err() != nil {
			return Meeting{}, nil, v.Err()
		}
		if loc, err := loadZone(next.TimeZone); err == nil {
			next.zone = loc
		}
	}
	startsAt, endsAt := "", ""
	if ch.StartsAt != nil {
		startsAt, fields["starts_at"] = *ch.StartsAt, true
	} else {
		startsAt = m.StartsAt.Format(time.RFC3339)
	}
	if ch.EndsAt != nil {
		endsAt, fields["ends_at"] = *ch.EndsAt, true
	} else {
		endsAt = m.EndsAt.Format(time.RFC3339)
	}
	if ch.RecordDate != nil {
		fields["record_date"] = true
	}
	next.StartsAt, next.EndsAt, next.RecordDate = parseTimes(&v, &next, startsAt, endsAt, ch.RecordDate)
	// Times not sent stay exactly as stored, whatever their precision.
	if ch.StartsAt == nil {
		next.StartsAt = m.StartsAt
	}
	if ch.EndsAt == nil {
		next.EndsAt = m.EndsAt
	}
	checkDetails(&v, next, now, fields)
	if err := v.Err(); err != nil {
		return Meeting{}, nil, err
	}
	var changed []string
	add := func(name string, differs bool) {
		if differs {
			changed = append(changed, name)
		}
	}
	add("kind", next.Kind != m.Kind)
	add("title", next.Title != m.Title)
	add("starts_at", !next.StartsAt.Equal(m.StartsAt))
	add("ends_at", !next.EndsAt.Equal(m.EndsAt))
	add("time_zone", next.TimeZone != m.TimeZone)
	add("location", next.Location != m.Location)
	add("online_url", next.OnlineURL != m.OnlineURL)
	add("remote_allowed", next.RemoteAllowed != m.RemoteAllowed)
	add("record_date", !sameTime(next.RecordDate, m.RecordDate))
	add("quorum", next.Quorum != m.Quorum)
	return next, changed, nil
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// Convene publishes the notice: it checks that the meeting can be held as
// notified and that the notice window of the rules is met now, then emails
// the notice to every active member and shows it on the meeting's page.
func (s *Service) Convene(ctx context.Context, p auth.Principal, id int64) (Meeting, error) {
	r, err := s.rules.Current(ctx)
	if err != nil {
		return Meeting{}, err
	}
	recipients, err := s.members.ActiveMembers(ctx)
	if err != nil {
		return Meeting{}, err
	}
	now := s.clock.Now()
	var out Meeting
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, err := s.boardMeeting(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := refuseFinished(m); err != nil {
			return err
		}
		if m.Status != StatusDraft {
			return errs.Wrap(errs.Conflict, "This meeting has already been convened.")
		}
		if err := readyToConvene(m, r, now); err != nil {
			return err
		}
		if m.RecordDate == nil {
			day := endOfDay(now, m.Zone())
			m.RecordDate = &day
		}
		decorate(&m, r, now)
		notice := s.noticeText(m, r)
		if _, err := tx.ExecContext(ctx, `
			UPDATE meetings SET status = 'convened', convened_at = $2, record_date = $3, notice = $4,
				member_motion_deadline = $5, proxies_allowed = $6, proxy_max_per_holder = $7
			WHERE id = $1`, id, now, m.RecordDate, notice, m.MemberMotionDeadline, r.ProxiesAllowed, r.ProxyMaxPerHolder); err != nil {
			return fmt.Errorf("meetings: convene %d: %w", id, err)
		}
		if out, err = getMeeting(ctx, tx, id, noLock); err != nil {
			return err
		}
		if err := mail.Enqueue(ctx, tx, now, s.notices(out, notice, recipients)...); err != nil {
			return fmt.Errorf("meetings: convene %d: %w", id, err)
		}
		if err := s.publishState(ctx, tx, out, now); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: "meeting.convened", Subject: subject(id),
			Payload: map[string]any{"starts_at": audit.FormatTime(out.StartsAt), "record_date": audit.FormatTime(*out.RecordDate),
				"recipients": len(recipients), "weighty": out.HasWeightyItem(), "agenda_items": len(out.Agenda),
				"member_motion_deadline": audit.FormatTime(m.MemberMotionDeadline), "proxies_allowed": r.ProxiesAllowed,
				"proxy_max_per_holder": r.ProxyMaxPerHolder},
		})
		return err
	})
	if err != nil {
		return Meeting{}, err
	}
	decorate(&out, r, now)
	return out, nil
}

// readyToConvene checks that the meeting can be notified as it stands.
func readyToConvene(m Meeting, r rules.Rules, now time.Time) error {
	var v errs.Validation
	if len(m.Agenda) == 0 {
		v.Add("agenda", "Add the agenda: the notice must list every item.")
	}
	for _, it := range m.Agenda {
		if it.RuleChange && it.Description == "" {
			v.Add("agenda", "Item %d changes the rules: describe the rules being changed and how, for the notice.", it.Position)
		}
	}
	if m.RemoteAllowed && m.OnlineURL == "" {
		v.Add("online_url", "Give the link members use to take part remotely.")
	}
	if m.Location == "" && !m.RemoteAllowed {
		v.Add("location", "Say where the meeting is held, or allow remote participation with a link.")
	}
	if m.RecordDate != nil && m.RecordDate.After(m.StartsAt) {
		v.Add("record_date", "The record date must be before the meeting starts.")
	}
	earliest, latest := noticeWindow(m, r)
	switch {
	case !m.StartsAt.After(now):
		v.Add("starts_at", "The meeting's start has passed: move it to a later date first.")
	case now.Before(earliest):
		v.Add("starts_at", "It is too early to send the notice: the rules allow it at most %d months before the meeting, so from %s.",
			r.NoticeMaxMonths, formatIn(earliest, m.Zone()))
	case now.After(latest) && m.HasWeightyItem():
		v.Add("starts_at", "It is too late to send the notice: an agenda item changes the rules or is weighty, so the notice must go out at least %d days before the meeting, by %s.",
			r.NoticeWeightyMinDays, formatIn(latest, m.Zone()))
	case now.After(latest):
		v.Add("starts_at", "It is too late to send the notice: the rules require it at least %d days before the meeting, by %s.",
			r.NoticeMinDays, formatIn(latest, m.Zone()))
	}
	return v.Err()
}

// Cancel cancels a draft or convened meeting; if its notice was out,
// every active member is told why.
func (s *Service) Cancel(ctx context.Context, p auth.Principal, id int64, reason string) (Meeting, error) {
	if err := p.RequireAny(auth.RoleBoard); err != nil {
		return Meeting{}, err
	}
	reason = strings.TrimSpace(reason)
	var v errs.Validation
	if reason == "" {
		v.Add("reason", "Give the reason: members are told it.")
	} else {
		checkText(&v, "reason", reason, maxReason, true)
	}
	if err := v.Err(); err != nil {
		return Meeting{}, err
	}
	recipients, err := s.members.ActiveMembers(ctx)
	if err != nil {
		return Meeting{}, err
	}
	now := s.clock.Now()
	var out Meeting
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, err := s.boardMeeting(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := refuseFinished(m); err != nil {
			return err
		}
		if m.Status == StatusInSession {
			return errs.Wrap(errs.Conflict, "The meeting is in session: the chair closes it instead.")
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE meetings SET status = 'cancelled', cancelled_at = $2, cancel_reason = $3,
				revision = revision + CASE WHEN convened_at IS NULL THEN 0 ELSE 1 END
			WHERE id = $1`, id, now, reason); err != nil {
			return fmt.Errorf("meetings: cancel %d: %w", id, err)
		}
		if out, err = getMeeting(ctx, tx, id, noLock); err != nil {
			return err
		}
		told := 0
		if m.Status == StatusConvened {
			msgs := s.cancellations(out, recipients)
			told = len(msgs)
			if err := mail.Enqueue(ctx, tx, now, msgs...); err != nil {
				return fmt.Errorf("meetings: cancel %d: %w", id, err)
			}
			if err := s.publishState(ctx, tx, out, now); err != nil {
				return err
			}
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: "meeting.cancelled", Subject: subject(id),
			Payload: map[string]any{"reason": reason, "was": m.Status, "recipients": told},
		})
		return err
	})
	if err != nil {
		return Meeting{}, err
	}
	return out, s.decorate(ctx, &out)
}

// chairMeeting loads and locks a meeting for its chair.
func (s *Service) chairMeeting(ctx context.Context, tx *sqlx.Tx, c members.Caller, id int64) (Meeting, error) {
	m, err := s.visible(ctx, tx, c, id, lockForUpdate)
	if err != nil {
		return Meeting{}, err
	}
	return m, mayChair(c, m)
}

// mayChair refuses whoever does not chair the meeting.
func mayChair(c members.Caller, m Meeting) error {
	if !m.IsChair(c.Principal().AccountID) {
		return errs.Wrap(errs.Forbidden, "Only the meeting's chair can do this.")
	}
	if c.Principal().Has(auth.RoleAuditor) {
		return errs.Wrap(errs.Forbidden, "An auditor reads everything and changes nothing, so does not chair a meeting, even one they were made chair of before.")
	}
	return nil
}

// ChairAs returns a meeting for the chair's own pages, refusing anyone
// else as the chair's changes refuse them.
func (s *Service) ChairAs(ctx context.Context, p auth.Principal, id int64) (Meeting, error) {
	c, m, err := s.visibleTo(ctx, p, id)
	if err != nil {
		return Meeting{}, err
	}
	if err := mayChair(c, m); err != nil {
		return Meeting{}, err
	}
	return m, s.decorate(ctx, &m)
}

// Open starts the session, at the earliest OpensBefore the notified start.
func (s *Service) Open(ctx context.Context, p auth.Principal, id int64) (Meeting, error) {
	return s.chairAction(ctx, p, id, "meeting.opened", func(tx *sqlx.Tx, m Meeting, now time.Time) error {
		if err := refuseFinished(m); err != nil {
			return err
		}
		switch {
		case m.Status == StatusDraft:
			return errs.Wrap(errs.Conflict, "The meeting has not been convened: it cannot be opened.")
		case m.Status == StatusInSession:
			return errs.Wrap(errs.Conflict, "The meeting is already in session.")
		case now.Before(m.AttendanceOpensAt()):
			return errs.Wrap(errs.Conflict, "The session can be opened from %s, one hour before the notified start.",
				formatIn(m.AttendanceOpensAt(), m.Zone()))
		case now.After(m.EndsAt):
			// Members were told when the meeting sits: one held later
			// decides at a time nobody was given notice of.
			return errs.Wrap(errs.Conflict, "The meeting was to end at %s: its session can no longer be opened. The board can cancel it and convene a new meeting, with a new notice.",
				formatIn(m.EndsAt, m.Zone()))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE meetings SET status = 'in_session', opened_at = $2 WHERE id = $1`, m.ID, now); err != nil {
			return fmt.Errorf("meetings: open %d: %w", m.ID, err)
		}
		return nil
	})
}

// Close ends the session; everyone still present is recorded as leaving at
// the close.
func (s *Service) Close(ctx context.Context, p auth.Principal, id int64) (Meeting, error) {
	return s.chairAction(ctx, p, id, "meeting.closed", func(tx *sqlx.Tx, m Meeting, now time.Time) error {
		if err := refuseFinished(m); err != nil {
			return err
		}
		if m.Status != StatusInSession {
			return errs.Wrap(errs.Conflict, "Only a meeting in session can be closed.")
		}
		for _, check := range s.beforeClose {
			if err := check(ctx, tx, m.ID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE meeting_attendance SET left_at = $2
			WHERE meeting_id = $1 AND left_at IS NULL`, m.ID, now); err != nil {
			return fmt.Errorf("meetings: close %d: attendance: %w", m.ID, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE meetings SET status = 'closed', closed_at = $2 WHERE id = $1`, m.ID, now); err != nil {
			return fmt.Errorf("meetings: close %d: %w", m.ID, err)
		}
		return nil
	})
}

// unminuted says, before the chair closes the session, what its minutes
// will lack: someone to write them, and someone the meeting chose to check
// them, as the Co-operatives Act (5:19) wants. Officers never change after
// the close. The close itself is not refused: the API's contract (API.md)
// has the chair end the session, and minutes without a checker are
// signed by the chair alone.
func unminuted(m Meeting) string {
	switch {
	case m.Officers.SecretaryAccountID == nil && len(m.Officers.CheckerAccountIDs) == 0:
		return "The meeting has no secretary and no minute checker: nobody could write its minutes, and the Co-operatives Act wants them checked and signed by at least one checker the meeting chose. The board appoints them before the session closes; officers cannot change after it."
	case m.Officers.SecretaryAccountID == nil:
		return "The meeting has no secretary to write its minutes. The board appoints the one the meeting chose before the session closes; officers cannot change after it."
	case len(m.Officers.CheckerAccountIDs) == 0:
		return "The meeting has no minute checker: the Co-operatives Act wants the minutes checked and signed by at least one checker the meeting chose. The board appoints them before the session closes; officers cannot change after it."
	}
	return ""
}

func (s *Service) chairAction(ctx context.Context, p auth.Principal, id int64, action string, change func(tx *sqlx.Tx, m Meeting, now time.Time) error) (Meeting, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return Meeting{}, err
	}
	now := s.clock.Now()
	var out Meeting
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, err := s.chairMeeting(ctx, tx, c, id)
		if err != nil {
			return err
		}
		// The record keeps who was represented when the chair acted: a
		// close then records everyone still present as leaving.
		q, err := quorumOf(ctx, tx, m)
		if err != nil {
			return err
		}
		if err := change(tx, m, now); err != nil {
			return err
		}
		if out, err = getMeeting(ctx, tx, id, noLock); err != nil {
			return err
		}
		if err := s.publishAll(ctx, tx, out, now); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: action, Subject: subject(id),
			Payload: map[string]any{"present": q.Present, "by_proxy": q.ByProxy, "eligible": q.Eligible,
				"required": q.Required, "met": q.Met},
		})
		return err
	})
	if err != nil {
		return Meeting{}, err
	}
	return out, s.decorate(ctx, &out)
}

// SetOfficers appoints the chair, the secretary and the minute checkers:
// accounts of active members, or of the co-op's staff (board members and
// admins). An auditor never runs a meeting: that would give them powers to
// change things.
func (s *Service) SetOfficers(ctx context.Context, p auth.Principal, id int64, o Officers) (Meeting, error) {
	if err := p.RequireAny(auth.RoleBoard); err != nil {
		return Meeting{}, err
	}
	var v errs.Validation
	if err := s.checkOfficers(ctx, &v, &o); err != nil {
		return Meeting{}, err
	}
	if err := v.Err(); err != nil {
		return Meeting{}, err
	}
	now := s.clock.Now()
	var out Meeting
	err := db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, err := s.boardMeeting(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := refuseFinished(m); err != nil {
			return err
		}
		if err := setOfficers(ctx, tx, id, o); err != nil {
			return err
		}
		if out, err = getMeeting(ctx, tx, id, noLock); err != nil {
			return err
		}
		if m.Status != StatusDraft {
			if err := s.publishState(ctx, tx, out, now); err != nil {
				return err
			}
		}
		_, err = s.audit.Append(ctx, tx, officersEvent(p, id, o))
		return err
	})
	if err != nil {
		return Meeting{}, err
	}
	return out, s.decorate(ctx, &out)
}

func officersEvent(p auth.Principal, id int64, o Officers) audit.Event {
	return audit.Event{
		ActorAccountID: p.Actor(), Action: "meeting.officers_set", Subject: subject(id),
		Payload: map[string]any{"chair_account_id": o.ChairAccountID, "secretary_account_id": o.SecretaryAccountID,
			"checker_account_ids": o.CheckerAccountIDs},
	}
}

// checkOfficers reports officers who may not hold the role.
func (s *Service) checkOfficers(ctx context.Context, v *errs.Validation, o *Officers) error {
	if o.CheckerAccountIDs == nil {
		o.CheckerAccountIDs = []int64{}
	}
	check := func(field string, id int64) error {
		refusal, err := s.officerRefusal(ctx, id)
		if err != nil {
			return err
		}
		if refusal != "" {
			v.Add(field, "%s", refusal)
		}
		return nil
	}
	if o.ChairAccountID != nil {
		if err := check("chair_account_id", *o.ChairAccountID); err != nil {
			return err
		}
	}
	if o.SecretaryAccountID != nil {
		if err := check("secretary_account_id", *o.SecretaryAccountID); err != nil {
			return err
		}
	}
	if len(o.CheckerAccountIDs) > maxCheckers {
		v.Add("checker_account_ids", "Appoint at most %d minute checkers.", maxCheckers)
		return nil
	}
	seen := map[int64]bool{}
	for _, id := range o.CheckerAccountIDs {
		switch {
		case seen[id]:
			v.Add("checker_account_ids", "Name each minute checker once.")
		case (o.ChairAccountID != nil && *o.ChairAccountID == id) || (o.SecretaryAccountID != nil && *o.SecretaryAccountID == id):
			v.Add("checker_account_ids", "A minute checker checks the minutes of the chair and the secretary, so cannot be either.")
		default:
			if err := check("checker_account_ids", id); err != nil {
				return err
			}
		}
		seen[id] = true
	}
	return nil
}

// officerRefusal says why an account may not be a meeting's officer, or
// nothing when it may: it acts for an active member or belongs to the
// board or the admins, and is no auditor, who reads everything and
// changes nothing.
func (s *Service) officerRefusal(ctx context.Context, accountID int64) (string, error) {
	const nobody = "Choose the account of an active member or of a board member: there is no such account."
	if accountID <= 0 {
		return nobody, nil
	}
	p, err := s.accounts.Principal(ctx, accountID)
	if errors.Is(err, errs.NotFound) {
		return nobody, nil
	}
	if err != nil {
		return "", err
	}
	if p.Has(auth.RoleAuditor) {
		return p.Name + " is an auditor, and an auditor holds no office in a meeting: auditors read everything and change nothing.", nil
	}
	if p.HasAny(auth.RoleBoard, auth.RoleAdmin) {
		return "", nil
	}
	acting, err := s.members.ActiveActingFor(ctx, accountID)
	if err != nil {
		return "", err
	}
	if len(acting) == 0 {
		return p.Name + " acts for no active member and is not on the board, so cannot hold this office.", nil
	}
	return "", nil
}
