package auditor_test

import (
	"context"
	"html"
	"maps"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auditor"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/dbtest"
	"github.com/citizen-network/osk/internal/osktest"
	"github.com/citizen-network/osk/internal/server"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func auditorClient(t *testing.T, inst *osktest.Instance) *osktest.Client {
	t.Helper()
	ctx := context.Background()
	acc, err := inst.Server.Auth.CreateAccount(ctx, auth.Operator, "auditor@example.org", "Auditor")
	if err != nil {
		t.Fatal(err)
	}
	if err := inst.Server.Auth.Grant(ctx, auth.Operator, acc.ID, auth.RoleAuditor); err != nil {
		t.Fatal(err)
	}
	c := inst.Client(t)
	c.SignIn("auditor@example.org", "Auditor")
	return c
}

type eventsPage struct {
	Items []struct {
		Seq     int64  `json:"seq"`
		Action  string `json:"action"`
		Subject string `json:"subject"`
		Hash    string `json:"hash"`
	} `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

func TestEvents_PagesThroughTheWholeChainWithFilters(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	ctx := context.Background()
	for i := range 7 {
		if _, err := inst.Server.Auth.CreateAccount(ctx, auth.Operator, "p"+strconv.Itoa(i)+"@example.org", "P"); err != nil {
			t.Fatal(err)
		}
	}
	c := auditorClient(t, inst)

	var seen []int64
	cursor := ""
	for range 20 {
		var page eventsPage
		resp := c.Get("/api/v1/audit/events?limit=3&after_seq=" + cursor)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("events: %d %s", resp.StatusCode, resp.Body)
		}
		resp.JSON(t, &page)
		for _, e := range page.Items {
			seen = append(seen, e.Seq)
		}
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	var total int64
	if err := inst.DB.Get(&total, `SELECT count(*) FROM audit_events`); err != nil {
		t.Fatal(err)
	}
	if int64(len(seen)) != total {
		t.Fatalf("paged through %d events, the log has %d", len(seen), total)
	}
	for i, s := range seen {
		if s != int64(i+1) {
			t.Fatalf("event %d has seq %d", i, s)
		}
	}

	var created eventsPage
	c.Get("/api/v1/audit/events?action=account.created&limit=500").JSON(t, &created)
	if len(created.Items) != 8 {
		t.Fatalf("%d account.created events, want 8", len(created.Items))
	}
	for _, bad := range []string{"limit=0", "limit=501", "after_seq=-1", "cursor=x", "actor=x", "from=yesterday",
		"subject=%00", "action=ballot%00closed", "subject=" + strings.Repeat("x", 201), "from=0000-01-01"} {
		resp := c.Get("/api/v1/audit/events?" + bad)
		field := strings.SplitN(bad, "=", 2)[0]
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(resp.Body), `"field":"`+field+`"`) {
			t.Errorf("events?%s: %d %s, want 422 on %s", bad, resp.StatusCode, resp.Body, field)
		}
	}
	var last struct {
		NextCursor *string `json:"next_cursor"`
	}
	if c.Get("/api/v1/audit/events?after_seq=100000").JSON(t, &last); last.NextCursor != nil {
		t.Errorf("past the end, next_cursor is %q, want null", *last.NextCursor)
	}
	if page := c.Get("/audit?action=account.created"); page.StatusCode != http.StatusOK || !strings.Contains(string(page.Body), "account.created") {
		t.Fatalf("audit page: %d", page.StatusCode)
	}

	// The page's own "Later events" link, followed as a browser would,
	// leads on through the whole log and keeps the filter.
	path, pages := "/audit?limit=3", 0
	var pagedSeqs []string
	for path != "" {
		page := c.Get(html.UnescapeString(path))
		if page.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, page.StatusCode)
		}
		pagedSeqs = append(pagedSeqs, eventRowSeqs.FindAllString(string(page.Body), -1)...)
		path = ""
		if m := laterLink.FindStringSubmatch(string(page.Body)); m != nil {
			path = m[1]
		}
		if pages++; pages > 20 {
			t.Fatalf("still paging after %d pages, at %s", pages, path)
		}
	}
	if int64(len(pagedSeqs)) != total {
		t.Fatalf("the page's links led through %d events, the log has %d", len(pagedSeqs), total)
	}
	var filtered []string
	for path = "/audit?action=account.created&limit=3"; path != ""; {
		body := string(c.Get(html.UnescapeString(path)).Body)
		filtered = append(filtered, eventRowSeqs.FindAllString(body, -1)...)
		path = ""
		if m := laterLink.FindStringSubmatch(body); m != nil {
			path = m[1]
		}
		if len(filtered) > 8 {
			t.Fatalf("the filtered pages led past the 8 account.created events: %v", filtered)
		}
	}
	if len(filtered) != 8 {
		t.Fatalf("the filtered pages led through %d events, want 8", len(filtered))
	}
}

var (
	laterLink    = regexp.MustCompile(`<a href="([^"]*)">Later events</a>`)
	eventRowSeqs = regexp.MustCompile(`<tr>\s*<td>\d+</td>`)
)

func TestVerify_ReportsTamperingThroughEveryDoor(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	c := auditorClient(t, inst)
	var report struct {
		OK       bool           `json:"ok"`
		Events   int64          `json:"events"`
		Checked  map[string]int `json:"checked"`
		Problems []struct {
			Seq    int64  `json:"seq"`
			Table  string `json:"table"`
			Reason string `json:"reason"`
		} `json:"problems"`
	}
	c.Get("/api/v1/audit/verify").JSON(t, &report)
	if !report.OK || report.Events == 0 || len(report.Problems) != 0 {
		t.Fatalf("fresh record: %+v", report)
	}
	if want := map[string]int{"ballots": 0, "minutes": 0, "motions": 0, "elections": 0}; !maps.Equal(report.Checked, want) {
		t.Fatalf("a record with nothing but accounts: checked %v, want %v", report.Checked, want)
	}

	// Someone with the database rewrites an event behind the trigger.
	if _, err := inst.DB.Exec(`ALTER TABLE audit_events DISABLE TRIGGER USER`); err != nil {
		t.Fatal(err)
	}
	if _, err := inst.DB.Exec(`UPDATE audit_events SET payload = '{"email":"someone.else@example.org"}' WHERE seq = 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := inst.DB.Exec(`ALTER TABLE audit_events ENABLE TRIGGER USER`); err != nil {
		t.Fatal(err)
	}
	c.Get("/api/v1/audit/verify").JSON(t, &report)
	if report.OK || len(report.Problems) == 0 || report.Problems[0].Seq != 1 || report.Problems[0].Table != "audit_events" {
		t.Fatalf("tampered record: %+v", report)
	}
	page := c.Get("/audit/verify")
	if !strings.Contains(string(page.Body), "The record has problems") {
		t.Fatal("the verification page does not say the record has problems")
	}
}

func TestVerifyWith_TellsProgressAndEachCheck(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	ctx := context.Background()
	for i := range 5 {
		if _, err := inst.Server.Auth.CreateAccount(ctx, auth.Operator, "p"+strconv.Itoa(i)+"@example.org", "P"); err != nil {
			t.Fatal(err)
		}
	}
	var steps []string
	report, err := auditor.VerifyWith(ctx, inst.DB, auditor.Options{ProgressEvery: 2, Progress: func(p auditor.Progress) {
		if p.Check != "" {
			steps = append(steps, p.Check)
		} else {
			steps = append(steps, strconv.FormatInt(p.Seq, 10))
		}
	}}, server.Checks()...)
	if err != nil || !report.OK || report.Events != 5 {
		t.Fatalf("verify: %v %+v", err, report)
	}
	if got := strings.Join(steps, " "); got != "2 4 ballots minutes motions elections" {
		t.Fatalf("progress %q", got)
	}
}

// A verification of a database in use reads it as of one moment: an event
// appended while it runs is not half seen, by the walk of the chain but
// not by a later check, or the other way round.
func TestVerifyLive_ReadsOneSnapshot(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	ctx := context.Background()
	meanwhile := auditor.Check{Name: "meanwhile", Run: func(ctx context.Context, q sqlx.QueryerContext, r *audit.Report) error {
		_, err := inst.Server.Auth.CreateAccount(ctx, auth.Operator, "meanwhile@example.org", "Meanwhile")
		return err
	}}
	var seen int64
	count := auditor.Check{Name: "count", Run: func(ctx context.Context, q sqlx.QueryerContext, r *audit.Report) error {
		return sqlx.GetContext(ctx, q, &seen, `SELECT count(*) FROM audit_events`)
	}}
	report, err := auditor.VerifyLive(ctx, inst.DB.DB, auditor.Options{}, meanwhile, count)
	if err != nil {
		t.Fatal(err)
	}
	if !report.OK || seen != report.Events {
		t.Fatalf("the chain walked %d events, a later check saw %d (report ok %v)", report.Events, seen, report.OK)
	}
}

// The verification page says what it checked, and how to check printed
// minutes and ballot records: by the event they print, which the audit
// log shows alone by its number, not by the head, which moves on.
func TestVerifyPage_SaysWhatWasCheckedAndWhatToCompare(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	ctx := context.Background()
	for i := range 3 {
		if _, err := inst.Server.Auth.CreateAccount(ctx, auth.Operator, "p"+strconv.Itoa(i)+"@example.org", "P"); err != nil {
			t.Fatal(err)
		}
	}
	c := auditorClient(t, inst)

	page := string(c.Get("/audit/verify").Body)
	for _, want := range []string{
		"<h2>What was checked</h2>", "each one's hash recomputed and chained to the one before",
		"Closed ballots (0): their votes recounted", "Minutes and addenda (0):", "and every sealed document",
		"Motions (0): their audit events replayed", "Elections (0), with their candidates: their audit events replayed",
		"in the audit log, the event with the printed number must have the printed hash",
		`<form method="get" action="/audit" novalidate>`, `<input type="number" id="seq" name="seq"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the verification page lacks %q", want)
		}
	}
	if strings.Contains(page, "Compare the head of the chain") {
		t.Error("the verification page has the auditor compare the head of the chain with printed papers")
	}

	var events eventsPage
	c.Get("/api/v1/audit/events?after_seq=1&limit=1").JSON(t, &events)
	if len(events.Items) != 1 || events.Items[0].Seq != 2 {
		t.Fatalf("event 2: %+v", events)
	}
	one := c.Get("/audit?seq=2")
	body := string(one.Body)
	if one.StatusCode != http.StatusOK || len(eventRowSeqs.FindAllString(body, -1)) != 1 ||
		!strings.Contains(body, "<td>2</td>") || !strings.Contains(body, "<code>"+events.Items[0].Hash+"</code>") {
		t.Fatalf("event 2 by its number: %d\n%s", one.StatusCode, body)
	}
	if m := laterLink.FindStringSubmatch(body); m == nil || html.UnescapeString(m[1]) != "/audit?after_seq=2" {
		t.Errorf("the events after event 2 are not the next page: %v", m)
	}
	if bad := c.Get("/audit?seq=none"); bad.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(bad.Body), `href="#seq"`) {
		t.Errorf("a bad event number: %d", bad.StatusCode)
	}
}
