package minutes

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/meetings"
)

// ArchiveFilter selects a page of the archive.
type ArchiveFilter struct {
	// Query is a search in the words people type (PostgreSQL's
	// websearch_to_tsquery: "quoted phrases", or, -excluded); empty lists
	// every sealed document, the latest sealed first.
	Query  string
	Cursor string
	// Limit is the page size: 50 when 0, at most 500; negative is refused.
	Limit int
}

// ArchiveItem is one sealed document of the archive. A search adds its
// rank and a snippet: HTML in which everything is escaped but the <mark>
// elements around the words that matched.
type ArchiveItem struct {
	MeetingID       int64         `json:"meeting_id"`
	Addendum        int           `json:"addendum"`
	Title           string        `json:"title"`
	MeetingStartsAt time.Time     `json:"meeting_starts_at"`
	TimeZone        string        `json:"time_zone"`
	SealedAt        time.Time     `json:"sealed_at"`
	SealedHash      string        `json:"sealed_hash"`
	Rank            *float32      `json:"rank,omitempty"`
	Snippet         template.HTML `json:"snippet,omitempty"`
}

// Doc names the document.
func (a ArchiveItem) Doc() Doc { return Doc{MeetingID: a.MeetingID, Addendum: a.Addendum} }

// ArchivePage is one page of the archive; NextCursor is nil on the last.
type ArchivePage struct {
	Items      []ArchiveItem `json:"items"`
	NextCursor *string       `json:"next_cursor"`
}

// requireReader lets the archive be read by members, the board and
// auditors.
func (s *Service) requireReader(ctx context.Context, p auth.Principal) error {
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	if p.HasAny(auth.RoleBoard, auth.RoleAuditor) {
		return nil
	}
	acting, err := s.members.ActiveActingFor(ctx, p.AccountID)
	if err != nil {
		return err
	}
	if len(acting) > 0 {
		return nil
	}
	return errs.Wrap(errs.Forbidden, "The archive of minutes is for the co-op's members.")
}

// archiveRow is a sealed document as the archive's queries read it.
type archiveRow struct {
	ID         int64     `db:"id"`
	MeetingID  int64     `db:"meeting_id"`
	Addendum   int       `db:"addendum"`
	Title      string    `db:"title"`
	SealedAt   time.Time `db:"sealed_at"`
	SealedHash []byte    `db:"sealed_hash"`
	Rank       *float32  `db:"rank"`
	Snippet    *string   `db:"snippet"`
}

// archiveCursor is the keyset of a page: the last item's sealing time, or
// its rank in a search, and its id.
type archiveCursor struct {
	search   bool
	sealedAt time.Time
	rank     float32
	id       int64
}

func (c archiveCursor) String() string {
	raw := "s." + strconv.FormatInt(c.sealedAt.UnixMicro(), 10)
	if c.search {
		raw = "r." + strconv.FormatFloat(float64(c.rank), 'g', -1, 32)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(raw + "." + strconv.FormatInt(c.id, 10)))
}

// The times a cursor may carry: every sealing time is within them, and
// PostgreSQL refuses a timestamp far enough outside them rather than
// comparing it.
var (
	minCursorTime = time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC)
	maxCursorTime = time.Date(9999, time.December, 31, 23, 59, 59, 999999000, time.UTC)
)

func parseArchiveCursor(s string, search bool) (archiveCursor, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return archiveCursor{}, false
	}
	parts := strings.Split(string(raw), ".")
	if len(parts) < 3 {
		return archiveCursor{}, false
	}
	id, err := strconv.ParseInt(parts[len(parts)-1], 10, 64)
	if err != nil || id <= 0 {
		return archiveCursor{}, false
	}
	key := strings.Join(parts[1:len(parts)-1], ".")
	c := archiveCursor{search: search, id: id}
	switch {
	case parts[0] == "r" && search:
		r, err := strconv.ParseFloat(key, 32)
		if err != nil {
			return archiveCursor{}, false
		}
		c.rank = float32(r)
	case parts[0] == "s" && !search:
		us, err := strconv.ParseInt(key, 10, 64)
		if err != nil {
			return archiveCursor{}, false
		}
		c.sealedAt = time.UnixMicro(us).UTC()
		if c.sealedAt.Before(minCursorTime) || c.sealedAt.After(maxCursorTime) {
			return archiveCursor{}, false
		}
	default:
		return archiveCursor{}, false
	}
	return c, true
}

// The marks ts_headline puts around matching words. They are control
// characters, which no sealed text holds (normaliseBody refuses them and
// PlainText drops them), so that every other character of a snippet can
// be escaped and only these become <mark> elements.
//
// ts_headline leaves out whatever its parser takes for an XML tag, such as
// the <draft> of a title that says "Budget <draft>", so the search reads
// the text with each < as lessThan, another control character, which
// snippetHTML writes back as &lt;.
const (
	markStart = "\x02"
	markStop  = "\x03"
	lessThan  = "\x01"
)

var headlineOptions = fmt.Sprintf(`StartSel="%s", StopSel="%s", MaxFragments=2, MaxWords=30, MinWords=12, FragmentDelimiter=" … "`, markStart, markStop)

// Archive returns a page of sealed documents to members, the board and
// auditors: the latest sealed first, or with a query, the best match
// first, ranked by PostgreSQL's ts_rank (the meeting's title weighs more
// than the text), each with a snippet of the passages that matched.
func (s *Service) Archive(ctx context.Context, p auth.Principal, f ArchiveFilter) (ArchivePage, error) {
	if err := s.requireReader(ctx, p); err != nil {
		return ArchivePage{}, err
	}
	query := strings.TrimSpace(f.Query)
	search := query != ""
	var v errs.Validation
	limit := f.Limit
	switch {
	case limit == 0:
		limit = defaultLimit
	case limit < 1 || limit > maxListLimit:
		v.Add("limit", "Must be a whole number from 1 to %d.", maxListLimit)
	}
	if !utf8.ValidString(query) || hasControl(query) || utf8.RuneCountInString(query) > maxQuery {
		v.Add("q", "Search with at most %d letters, digits and punctuation.", maxQuery)
	}
	var after *archiveCursor
	if f.Cursor != "" {
		c, ok := parseArchiveCursor(f.Cursor, search)
		if !ok {
			v.Add("cursor", "This cursor is not one Osk gave out for this search.")
		}
		after = &c
	}
	if err := v.Err(); err != nil {
		return ArchivePage{}, err
	}
	var rows []archiveRow
	var err error
	if search {
		rows, err = searchSealed(ctx, s.db, query, after, limit+1)
	} else {
		rows, err = listSealed(ctx, s.db, after, limit+1)
	}
	if err != nil {
		return ArchivePage{}, err
	}
	page := ArchivePage{Items: []ArchiveItem{}}
	held := map[int64]meetings.Meeting{}
	for i, r := range rows {
		if i == limit {
			last := rows[limit-1]
			c := archiveCursor{search: search, sealedAt: last.SealedAt, id: last.ID}
			if last.Rank != nil {
				c.rank = *last.Rank
			}
			next := c.String()
			page.NextCursor = &next
			break
		}
		m, ok := held[r.MeetingID]
		if !ok {
			if m, err = s.meetings.Get(ctx, r.MeetingID); err != nil {
				return ArchivePage{}, err
			}
			held[r.MeetingID] = m
		}
		item := ArchiveItem{MeetingID: r.MeetingID, Addendum: r.Addendum, Title: r.Title, MeetingStartsAt: m.StartsAt,
			TimeZone: m.TimeZone, SealedAt: r.SealedAt.UTC(), SealedHash: hex.EncodeToString(r.SealedHash), Rank: r.Rank}
		if r.Snippet != nil {
			item.Snippet = snippetHTML(*r.Snippet)
		}
		page.Items = append(page.Items, item)
	}
	return page, nil
}

func listSealed(ctx context.Context, q sqlx.QueryerContext, after *archiveCursor, limit int) ([]archiveRow, error) {
	query := `SELECT id, meeting_id, addendum, title, sealed_at, sealed_hash FROM minutes WHERE status = 'signed'`
	args := []any{}
	if after != nil {
		args = append(args, after.sealedAt, after.id)
		query += ` AND (sealed_at, id) < ($1, $2)`
	}
	args = append(args, limit)
	query += fmt.Sprintf(` ORDER BY sealed_at DESC, id DESC LIMIT $%d`, len(args))
	var out []archiveRow
	if err := sqlx.SelectContext(ctx, q, &out, query, args...); err != nil {
		return nil, fmt.Errorf("minutes: archive: %w", err)
	}
	return out, nil
}

// searchSealed ranks the sealed documents that match, then writes the
// snippets of the page's rows only: ts_headline reads the whole text.
func searchSealed(ctx context.Context, q sqlx.QueryerContext, text string, after *archiveCursor, limit int) ([]archiveRow, error) {
	var rank any
	var id int64
	if after != nil {
		rank = strconv.FormatFloat(float64(after.rank), 'g', -1, 32)
		id = after.id
	}
	var out []archiveRow
	err := sqlx.SelectContext(ctx, q, &out, `
		WITH query AS (SELECT websearch_to_tsquery('english', $1) AS tsq),
		ranked AS (
			SELECT m.id, ts_rank(m.search, query.tsq) AS rank
			FROM minutes m, query
			WHERE m.status = 'signed' AND m.search @@ query.tsq
		),
		page AS (
			SELECT id, rank FROM ranked
			WHERE $2::real IS NULL OR (rank, id) < ($2::real, $3)
			ORDER BY rank DESC, id DESC
			LIMIT $4
		)
		SELECT m.id, m.meeting_id, m.addendum, m.title, m.sealed_at, m.sealed_hash, page.rank,
			ts_headline('english', replace(m.search_text, '<', $6), query.tsq, $5) AS snippet
		FROM page JOIN minutes m ON m.id = page.id, query
		ORDER BY page.rank DESC, m.id DESC`, text, rank, id, limit, headlineOptions, lessThan)
	if err != nil {
		return nil, fmt.Errorf("minutes: search: %w", err)
	}
	return out, nil
}

// snippetHTML escapes a headline and turns its marks into <mark>
// elements, always balanced, and its lessThan back into <.
func snippetHTML(headline string) template.HTML {
	headline = strings.ReplaceAll(headline, lessThan, "<")
	var b strings.Builder
	open := false
	for len(headline) > 0 {
		i := strings.IndexAny(headline, markStart+markStop)
		if i < 0 {
			b.WriteString(html.EscapeString(headline))
			break
		}
		b.WriteString(html.EscapeString(headline[:i]))
		switch {
		case headline[i] == markStart[0] && !open:
			b.WriteString("<mark>")
			open = true
		case headline[i] == markStop[0] && open:
			b.WriteString("</mark>")
			open = false
		}
		headline = headline[i+1:]
	}
	if open {
		b.WriteString("</mark>")
	}
	return template.HTML(b.String())
}

// Deadline states of minutes not yet sealed.
const (
	DeadlineInTime  = "in_time"
	DeadlineDueSoon = "due_soon"
	DeadlinePassed  = "overdue"
)

// warnBefore is how long before the deadline the board is warned.
const warnBefore = 3 * 24 * time.Hour

// Deadline is a meeting held whose minutes are not sealed yet, as the
// board's dashboard shows it: the deadline of the rules
// (MinutesDeadlineDays after the meeting), whether it has passed or comes
// within three days, and who has not signed.
type Deadline struct {
	MeetingID int64  `json:"meeting_id"`
	Title     string `json:"title"`
	TimeZone  string `json:"time_zone"`
	// HeldUntil is when the meeting ended, which the deadline counts
	// from: its session's close, or its notified end if that came first
	// or the chair never closed the session.
	HeldUntil time.Time `json:"held_until"`
	// ClosedAt is nil for a session the chair never closed.
	ClosedAt *time.Time `json:"closed_at"`
	Deadline time.Time  `json:"deadline"`
	State    string     `json:"state"`
	// Status is the minutes' status, or "not_started" when the secretary
	// has saved nothing.
	Status    string   `json:"status"`
	Secretary string   `json:"secretary"`
	Unsigned  []Signer `json:"unsigned"`
	// startable is whether the viewer is the secretary, the only one who
	// may open minutes not started yet (Service.Get).
	startable bool
}

// Opens reports whether the viewer may open the minutes: once started,
// or, before that, as their secretary, who starts them.
func (d Deadline) Opens() bool { return d.Status != StatusNotStarted || d.startable }

// StatusNotStarted is a Deadline's Status for minutes nobody has begun.
const StatusNotStarted = "not_started"

// Deadlines lists, for the board and auditors, every meeting held whose
// minutes are not sealed (closed, or still in session after its notified
// end), those past their deadline first, then by deadline. The clock
// decides what has passed.
func (s *Service) Deadlines(ctx context.Context, p auth.Principal) ([]Deadline, error) {
	if err := p.RequireAny(auth.RoleBoard, auth.RoleAuditor); err != nil {
		return nil, err
	}
	r, err := s.rules.Current(ctx)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	held, err := s.heldMeetings(ctx, p, now)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(held))
	for i, m := range held {
		ids[i] = m.ID
	}
	docs, err := mainDocsOf(ctx, s.db, ids)
	if err != nil {
		return nil, err
	}
	out := []Deadline{}
	for _, m := range held {
		d, found := docs[m.ID]
		if found && d.Status == StatusSigned {
			continue
		}
		until := m.EndsAt
		if m.ClosedAt != nil && m.ClosedAt.Before(until) {
			until = *m.ClosedAt
		}
		due := until.In(m.Zone()).AddDate(0, 0, r.MinutesDeadlineDays).UTC()
		warn := min(warnBefore, due.Sub(until))
		item := Deadline{MeetingID: m.ID, Title: m.Title, TimeZone: m.TimeZone, HeldUntil: until, ClosedAt: m.ClosedAt, Deadline: due,
			State: DeadlineInTime, Status: StatusNotStarted, startable: m.IsSecretary(p.AccountID)}
		switch {
		case !now.Before(due):
			item.State = DeadlinePassed
		case !now.Before(due.Add(-warn)):
			item.State = DeadlineDueSoon
		}
		var sigs []signatureRow
		if found {
			item.Status = d.Status
			if d.ReviewVersion != nil {
				if sigs, err = signaturesOf(ctx, s.db, d.ID, *d.ReviewVersion); err != nil {
					return nil, err
				}
			}
		}
		signers, err := s.signers(ctx, m, sigs)
		if err != nil {
			return nil, err
		}
		item.Unsigned = []Signer{}
		for _, sg := range signers {
			if !sg.Signed {
				item.Unsigned = append(item.Unsigned, sg)
			}
		}
		if m.Officers.SecretaryAccountID != nil {
			if item.Secretary, err = s.accountName(ctx, *m.Officers.SecretaryAccountID); err != nil {
				return nil, err
			}
		}
		out = append(out, item)
	}
	slices.SortStableFunc(out, func(a, b Deadline) int {
		if (a.State == DeadlinePassed) != (b.State == DeadlinePassed) {
			if a.State == DeadlinePassed {
				return -1
			}
			return 1
		}
		return a.Deadline.Compare(b.Deadline)
	})
	return out, nil
}

// heldMeetings returns every meeting the principal may see that has been
// held: closed, or still in session after its notified end.
func (s *Service) heldMeetings(ctx context.Context, p auth.Principal, now time.Time) ([]meetings.Meeting, error) {
	var out []meetings.Meeting
	f := meetings.ListFilter{Limit: maxListLimit}
	for {
		page, err := s.meetings.List(ctx, p, f)
		if err != nil {
			return nil, err
		}
		for _, m := range page.Items {
			if m.Status == meetings.StatusClosed && m.ClosedAt != nil || m.Status == meetings.StatusInSession && m.EndsAt.Before(now) {
				out = append(out, m)
			}
		}
		if page.NextCursor == nil {
			return out, nil
		}
		f.Cursor = *page.NextCursor
	}
}

// Task is a document waiting for one of its officers: a draft or minutes
// nobody has begun, for the secretary; a version in review, for the chair
// or a checker who has not signed it.
type Task struct {
	Doc     Doc
	Title   string
	Role    string
	Status  string
	Version int
}

// Tasks lists what waits for the principal as an officer of a meeting
// whose session has begun. Someone who may not list meetings has none.
func (s *Service) Tasks(ctx context.Context, p auth.Principal) ([]Task, error) {
	if err := p.RequireSignedIn(); err != nil {
		return nil, err
	}
	var mine []meetings.Meeting
	f := meetings.ListFilter{Limit: maxListLimit}
	for {
		page, err := s.meetings.List(ctx, p, f)
		if errors.Is(err, errs.Forbidden) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		for _, m := range page.Items {
			if m.IsOfficer(p.AccountID) && (m.Status == meetings.StatusInSession || m.Status == meetings.StatusClosed) {
				mine = append(mine, m)
			}
		}
		if page.NextCursor == nil {
			break
		}
		f.Cursor = *page.NextCursor
	}
	var out []Task
	for _, m := range mine {
		docs, err := docsOf(ctx, s.db, m.ID)
		if err != nil {
			return nil, err
		}
		if len(docs) == 0 {
			if m.IsSecretary(p.AccountID) {
				out = append(out, Task{Doc: Main(m.ID), Title: m.Title, Role: RoleSecretary, Status: StatusNotStarted})
			}
			continue
		}
		d := docs[len(docs)-1]
		switch {
		case d.Status == StatusDraft && m.IsSecretary(p.AccountID):
			out = append(out, Task{Doc: d.doc(), Title: m.Title, Role: RoleSecretary, Status: d.Status, Version: d.Version})
		case d.Status == StatusInReview:
			role, ok := signerRole(m, p.AccountID)
			if !ok {
				continue
			}
			sigs, err := signaturesOf(ctx, s.db, d.ID, *d.ReviewVersion)
			if err != nil {
				return nil, err
			}
			if !slices.ContainsFunc(sigs, func(sg signatureRow) bool { return sg.AccountID == p.AccountID }) {
				out = append(out, Task{Doc: d.doc(), Title: m.Title, Role: role, Status: d.Status, Version: *d.ReviewVersion})
			}
		}
	}
	return out, nil
}
