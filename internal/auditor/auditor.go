// Package auditor holds the auditors' tools: browsing the audit log,
// verifying the record from a page, the API and `osk verify`, and the
// export bundle of a meeting, which `osk verify --bundle` verifies offline
// (bundle.go). It changes nothing but the audit log, which records each
// export. Verification is a list of checks: the audit chain first, and each
// domain that keeps records of its own adds a check that recounts or
// rehashes them (ballots, minutes) or compares its rows with the events
// that recorded them (motions, elections).
//
// The bundle is a copy of rows as PostgreSQL stores them, so that the very
// checks that verify the live database verify it: it is the one place
// outside the domains that reads their tables, and it only reads them.
package auditor

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/web"
)

// Check verifies one kind of record and adds what it finds to the report.
type Check struct {
	// Name says what the check verifies, for progress: "ballots".
	Name string
	Run  func(ctx context.Context, q sqlx.QueryerContext, r *audit.Report) error
}

// Options change what Verify covers and whom it tells how far it is.
type Options struct {
	// After, when set, is the event before the part of the audit log that
	// the database holds: a bundle's segment (audit.VerifyOptions.After).
	After *audit.Anchor
	// MeetingID, when set, says that the database holds the records of
	// this meeting alone, as an export bundle does (audit.Report.MeetingID).
	MeetingID int64
	// Progress, when set, is told how far the verification is: during the
	// walk of the chain every ProgressEvery events, and as each check
	// begins.
	Progress func(Progress)
	// ProgressEvery is audit.DefaultProgressEvery when 0.
	ProgressEvery int64
}

// Progress is how far a verification is.
type Progress struct {
	// Check names the check that begins; "" during the walk of the chain.
	Check string
	// Events is the number of events walked so far and Seq the last one.
	Events, Seq int64
}

// Verify runs the audit chain check and then every other check, and
// returns one report.
func Verify(ctx context.Context, q sqlx.QueryerContext, checks ...Check) (audit.Report, error) {
	return VerifyWith(ctx, q, Options{}, checks...)
}

// VerifyLive is VerifyWith over a database in use, in one snapshot (a
// REPEATABLE READ, read-only transaction): the chain and every record it
// anchors are read as of one moment, so that a ballot closed or minutes
// sealed while a long verification runs are not reported as altered.
func VerifyLive(ctx context.Context, conn *sqlx.DB, opts Options, checks ...Check) (audit.Report, error) {
	tx, err := conn.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return audit.Report{}, fmt.Errorf("auditor: verify: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	return VerifyWith(ctx, tx, opts, checks...)
}

// VerifyWith is Verify with options.
func VerifyWith(ctx context.Context, q sqlx.QueryerContext, opts Options, checks ...Check) (audit.Report, error) {
	chain := audit.VerifyOptions{After: opts.After, ProgressEvery: opts.ProgressEvery}
	if opts.Progress != nil {
		chain.Progress = func(events, seq int64) { opts.Progress(Progress{Events: events, Seq: seq}) }
	}
	report, err := audit.VerifyWith(ctx, q, chain)
	if err != nil {
		return audit.Report{}, err
	}
	report.MeetingID = opts.MeetingID
	for _, check := range checks {
		if opts.Progress != nil {
			opts.Progress(Progress{Check: check.Name, Events: report.Events})
		}
		if err := check.Run(ctx, q, &report); err != nil {
			return audit.Report{}, err
		}
	}
	return report, nil
}

// Handlers serves the audit log, verification and export bundles to
// auditors.
type Handlers struct {
	db     *sqlx.DB
	log    *audit.Log
	checks []Check
}

// NewHandlers returns the auditor handlers. The log records each export.
func NewHandlers(conn *sqlx.DB, log *audit.Log, checks ...Check) *Handlers {
	return &Handlers{db: conn, log: log, checks: checks}
}

// Mount registers the routes.
func (h *Handlers) Mount(r fiber.Router) {
	r.Get("/audit", h.eventsPage)
	r.Get("/audit/verify", h.verifyPage)
	r.Get("/api/v1/audit/events", h.apiEvents)
	r.Get("/api/v1/audit/verify", h.apiVerify)
	r.Get("/api/v1/audit/meetings/:id/bundle", h.apiBundle)
}

func requireAuditor(c *fiber.Ctx) error {
	return auth.PrincipalOf(c).RequireAny(auth.RoleAuditor)
}

// maxFilterText is the longest action or subject a filter takes.
const maxFilterText = 200

// filter reads the query string of both doors into an audit filter. The
// page also takes ?seq=, for one event (oneEvent): the one whose number
// minutes and ballot records print with its hash.
func filter(c *fiber.Ctx, oneEvent bool) (audit.Filter, error) {
	var f audit.Filter
	var v errs.Validation
	// ?cursor= is the next_cursor of a page, which is the sequence number
	// ?after_seq= takes; an error names the parameter given.
	field := "after_seq"
	raw := c.Query(field)
	if raw == "" {
		field, raw = "cursor", c.Query("cursor")
	}
	if raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < 0 {
			v.Add(field, "Use a sequence number, 0 or more.")
		}
		f.AfterSeq = n
	}
	if raw := c.Query("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > audit.MaxListLimit {
			v.Add("limit", "Use a number from 1 to %d.", audit.MaxListLimit)
		}
		f.Limit = n
	}
	if raw := strings.TrimSpace(c.Query("seq")); oneEvent && raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < 1 {
			v.Add("seq", "Use an event number, 1 or more, as printed on the minutes or the ballot record.")
		}
		f.AfterSeq, f.Limit = n-1, 1
	}
	f.Action = strings.TrimSpace(c.Query("action"))
	f.Subject = strings.TrimSpace(c.Query("subject"))
	for name, val := range map[string]string{"action": f.Action, "subject": f.Subject} {
		// Actions and subjects are short ASCII names such as
		// "ballot.closed" and "ballot:7"; anything else matches nothing,
		// and some of it the database refuses to compare.
		if len(val) > maxFilterText || strings.ContainsFunc(val, func(r rune) bool { return r < ' ' || r > '~' }) {
			v.Add(name, "Use at most %d printable characters, such as ballot.closed or ballot:7.", maxFilterText)
		}
	}
	if raw := strings.TrimSpace(c.Query("actor")); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < 1 {
			v.Add("actor", "Use an account id.")
		}
		f.ActorAccountID = &n
	}
	for name, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		raw := strings.TrimSpace(c.Query(name))
		if raw == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, raw)
		if err != nil {
			if d, derr := time.Parse("2006-01-02", raw); derr == nil {
				t, err = d, nil
			}
		}
		if err != nil || t.Year() < 1 {
			v.Add(name, "Use a date (2027-03-01) or an RFC 3339 time.")
		}
		*dst = t
	}
	return f, v.Err()
}

func (h *Handlers) apiEvents(c *fiber.Ctx) error {
	if err := requireAuditor(c); err != nil {
		return err
	}
	f, err := filter(c, false)
	if err != nil {
		return err
	}
	items, err := audit.List(c.UserContext(), h.db, f)
	if err != nil {
		return err
	}
	// null on the last page, as every list of the API gives it.
	var next *string
	if len(items) > 0 && len(items) == effectiveLimit(f.Limit) {
		seq := strconv.FormatInt(items[len(items)-1].Seq, 10)
		next = &seq
	}
	if items == nil {
		items = []audit.Entry{}
	}
	return c.JSON(fiber.Map{"items": items, "next_cursor": next})
}

func effectiveLimit(n int) int {
	if n == 0 {
		return audit.DefaultListLimit
	}
	return n
}

func (h *Handlers) apiVerify(c *fiber.Ctx) error {
	if err := requireAuditor(c); err != nil {
		return err
	}
	report, err := VerifyLive(c.UserContext(), h.db, Options{}, h.checks...)
	if err != nil {
		return err
	}
	if report.Problems == nil {
		report.Problems = []audit.Problem{}
	}
	return c.JSON(report)
}

func (h *Handlers) eventsPage(c *fiber.Ctx) error {
	if err := requireAuditor(c); err != nil {
		return err
	}
	f, ferr := filter(c, true)
	data := fiber.Map{"Title": "Audit log", "Query": c.Queries()}
	if ferr != nil {
		web.AddFormErrors(data, ferr)
		c.Status(fiber.StatusUnprocessableEntity)
		return web.Render(c, "auditor/events", data)
	}
	items, err := audit.List(c.UserContext(), h.db, f)
	if err != nil {
		return err
	}
	data["Events"] = items
	if len(items) == effectiveLimit(f.Limit) {
		q := c.Queries()
		// The events after one asked for by number are the next page.
		delete(q, "seq")
		q["after_seq"] = strconv.FormatInt(items[len(items)-1].Seq, 10)
		// A whole path rather than a query after a literal "?" in the
		// template, which would escape the query's own "=" and "&".
		data["Next"] = "/audit?" + encodeQuery(q)
	}
	return web.Render(c, "auditor/events", data)
}

func (h *Handlers) verifyPage(c *fiber.Ctx) error {
	if err := requireAuditor(c); err != nil {
		return err
	}
	started := time.Now()
	report, err := VerifyLive(c.UserContext(), h.db, Options{}, h.checks...)
	if err != nil {
		return err
	}
	took := time.Since(started).Round(time.Millisecond).String()
	meetings, err := recentMeetings(c.UserContext(), h.db)
	if err != nil {
		return err
	}
	var checked []string
	for _, check := range h.checks {
		words, ok := checkWords[check.Name]
		if !ok {
			words = check.Name + " (%d)."
		}
		checked = append(checked, fmt.Sprintf(words, report.Checked[check.Name]))
	}
	return web.Render(c, "auditor/verify", fiber.Map{
		"Title": "Verification of the record", "Report": report, "Took": took, "Meetings": meetings, "Checked": checked,
	})
}

// checkWords say what each check of the record verifies, and how many
// records it read, for the page that reports a verification.
var checkWords = map[string]string{
	"ballots":   "Closed ballots (%d): their votes recounted, their results and record hashes recomputed, and no member counted twice.",
	"minutes":   "Minutes and addenda (%d): every version and signature compared with the audit log, and every sealed document's seal recomputed.",
	"motions":   "Motions (%d): their audit events replayed and compared with what the database holds.",
	"elections": "Elections (%d), with their candidates: their audit events replayed and compared with what the database holds.",
}

// apiBundle answers the export bundle of a meeting as a download.
func (h *Handlers) apiBundle(c *fiber.Ctx) error {
	if err := requireAuditor(c); err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return errNoMeeting
	}
	// Buffered, so that a failure half-way answers with an error rather
	// than a bundle that silently stops.
	var buf bytes.Buffer
	if err := ExportBundle(c.UserContext(), h.db, h.log, auth.PrincipalOf(c), id, &buf); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+BundleFilename(id)+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(buf.Bytes())
}

func encodeQuery(q map[string]string) string {
	v := url.Values{}
	for k, val := range q {
		v.Set(k, val)
	}
	return v.Encode()
}
