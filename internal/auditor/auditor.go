// Package auditor holds the auditors' tools: browsing the audit log and
// verifying the record, from a page, the API and `osk verify`. It reads
// everything and changes nothing. Verification is a list of checks: the
// audit chain first, and each domain that keeps records of its own (ballots,
// minutes) adds a check that recounts or rehashes them.
package auditor

import (
	"context"
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
type Check func(ctx context.Context, q sqlx.QueryerContext, r *audit.Report) error

// Verify runs the audit chain check and then every other check, and
// returns one report.
func Verify(ctx context.Context, q sqlx.QueryerContext, checks ...Check) (audit.Report, error) {
	report, err := audit.Verify(ctx, q)
	if err != nil {
		return audit.Report{}, err
	}
	for _, check := range checks {
		if err := check(ctx, q, &report); err != nil {
			return audit.Report{}, err
		}
	}
	return report, nil
}

// Handlers serves the audit log and verification to auditors.
type Handlers struct {
	db     *sqlx.DB
	checks []Check
}

// NewHandlers returns the auditor handlers.
func NewHandlers(conn *sqlx.DB, checks ...Check) *Handlers {
	return &Handlers{db: conn, checks: checks}
}

// Mount registers the routes.
func (h *Handlers) Mount(r fiber.Router) {
	r.Get("/audit", h.eventsPage)
	r.Get("/audit/verify", h.verifyPage)
	r.Get("/api/v1/audit/events", h.apiEvents)
	r.Get("/api/v1/audit/verify", h.apiVerify)
}

func requireAuditor(c *fiber.Ctx) error {
	return auth.PrincipalOf(c).RequireAny(auth.RoleAuditor)
}

// filter reads the query string of both doors into an audit filter.
func filter(c *fiber.Ctx) (audit.Filter, error) {
	var f audit.Filter
	var v errs.Validation
	if raw := c.Query("after_seq", c.Query("cursor")); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < 0 {
			v.Add("after_seq", "Use a sequence number, 0 or more.")
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
	f.Action = strings.TrimSpace(c.Query("action"))
	f.Subject = strings.TrimSpace(c.Query("subject"))
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
		if err != nil {
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
	f, err := filter(c)
	if err != nil {
		return err
	}
	items, err := audit.List(c.UserContext(), h.db, f)
	if err != nil {
		return err
	}
	next := ""
	if len(items) > 0 && len(items) == effectiveLimit(f.Limit) {
		next = strconv.FormatInt(items[len(items)-1].Seq, 10)
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
	report, err := Verify(c.UserContext(), h.db, h.checks...)
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
	f, ferr := filter(c)
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
		q["after_seq"] = strconv.FormatInt(items[len(items)-1].Seq, 10)
		data["Next"] = encodeQuery(q)
	}
	return web.Render(c, "auditor/events", data)
}

func (h *Handlers) verifyPage(c *fiber.Ctx) error {
	if err := requireAuditor(c); err != nil {
		return err
	}
	started := time.Now()
	report, err := Verify(c.UserContext(), h.db, h.checks...)
	if err != nil {
		return err
	}
	return web.Render(c, "auditor/verify", fiber.Map{
		"Title": "Verification of the record", "Report": report,
		"Took": time.Since(started).Round(time.Millisecond).String(),
	})
}

func encodeQuery(q map[string]string) string {
	v := url.Values{}
	for k, val := range q {
		v.Set(k, val)
	}
	return v.Encode()
}
