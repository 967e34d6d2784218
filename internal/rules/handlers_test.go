package rules_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/dbtest"
	"github.com/citizen-network/osk/internal/osktest"
	"github.com/citizen-network/osk/internal/rules"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func adminClient(t *testing.T, inst *osktest.Instance) *osktest.Client {
	t.Helper()
	ctx := context.Background()
	acc, err := inst.Server.Auth.CreateAccount(ctx, auth.Operator, "rules.admin@example.org", "Rules Admin")
	if err != nil {
		t.Fatal(err)
	}
	if err := inst.Server.Auth.Grant(ctx, auth.Operator, acc.ID, auth.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	c := inst.Client(t)
	c.SignIn("rules.admin@example.org", "Rules Admin")
	c.Get("/rules")
	return c
}

func rulesJSON(t *testing.T, r rules.Rules) map[string]any {
	t.Helper()
	b, _ := json.Marshal(r)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

func TestAPI_PutRulesValidatesEverythingAndAudits(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	admin := adminClient(t, inst)

	var got rules.Rules
	admin.Get("/api/v1/rules").JSON(t, &got)
	if got != rules.Defaults() {
		t.Fatalf("initial rules = %+v", got)
	}

	bad := []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"malformed", `{"notice_min_days": `, 400, ""},
		{"not an object", `[1,2]`, 400, ""},
		{"missing field", func() any { m := rulesJSON(t, rules.Defaults()); delete(m, "advance_voting"); return m }(), 422, "advance_voting"},
		{"unknown field", func() any { m := rulesJSON(t, rules.Defaults()); m["king"] = "yes"; return m }(), 422, "king"},
		{"wrong type", func() any { m := rulesJSON(t, rules.Defaults()); m["notice_min_days"] = "seven"; return m }(), 422, "notice_min_days"},
		{"impossible", func() any { m := rulesJSON(t, rules.Defaults()); m["quorum_min_percent"] = 150; return m }(), 422, "quorum_min_percent"},
	}
	for _, tc := range bad {
		resp := admin.Do(http.MethodPut, "/api/v1/rules", tc.body)
		if resp.StatusCode != tc.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s: %d %s", tc.name, resp.StatusCode, resp.Body)
			continue
		}
		if tc.field != "" && !strings.Contains(string(resp.Body), `"field":"`+tc.field+`"`) {
			t.Errorf("%s: the problem does not name %s: %s", tc.name, tc.field, resp.Body)
		}
	}
	var n int
	if err := inst.DB.Get(&n, `SELECT count(*) FROM coop_rules`); err != nil || n != 0 {
		t.Fatalf("refused updates stored rules (%d, %v)", n, err)
	}

	next := rules.Defaults()
	next.QuorumMinPercent = 10
	next.ProxiesAllowed = false
	next.ShareContribution.Amount = "50.00"
	resp := admin.Do(http.MethodPut, "/api/v1/rules", next)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("put: %d %s", resp.StatusCode, resp.Body)
	}
	admin.Get("/api/v1/rules").JSON(t, &got)
	if got != next {
		t.Fatalf("rules after put = %+v", got)
	}
	events, err := audit.List(context.Background(), inst.DB, audit.Filter{Action: "rules.changed", Limit: 10})
	if err != nil || len(events) != 1 {
		t.Fatalf("audit: %d events, %v", len(events), err)
	}
	for _, field := range []string{"quorum_min_percent", "proxies_allowed", "share_contribution"} {
		if !strings.Contains(string(events[0].Payload), field) {
			t.Errorf("the audit event does not name %s: %s", field, events[0].Payload)
		}
	}
}

func TestPage_AdminEditsRulesAndSeesErrorsByField(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	admin := adminClient(t, inst)
	form := url.Values{}
	for k, v := range rulesJSON(t, rules.Defaults()) {
		if n, ok := v.(float64); ok {
			form.Set(k, strconv.Itoa(int(n)))
		}
	}
	form.Set("proxies_allowed", "true")
	form.Set("advance_voting", "true")
	form.Set("financial_year_end", "06-30")
	form.Set("share_amount", "25.00")
	form.Set("share_currency", "eur")
	form.Set("notice_min_days", "many")
	resp := admin.Do(http.MethodPost, "/rules", form)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(resp.Body), `href="#notice_min_days"`) ||
		!strings.Contains(string(resp.Body), `aria-invalid="true"`) {
		t.Fatalf("bad form: %d", resp.StatusCode)
	}
	// Problems found by the form and by the rules themselves are listed
	// together in the form's order.
	form.Set("share_amount", "-1")
	body := string(admin.Do(http.MethodPost, "/rules", form).Body)
	if first, last := strings.Index(body, `href="#notice_min_days"`), strings.Index(body, `href="#share_amount"`); first < 0 || last < first {
		t.Errorf("the summary is not in the form's order: notice_min_days at %d, share_amount at %d", first, last)
	}
	form.Set("share_amount", "25.00")
	form.Set("notice_min_days", "14")
	resp = admin.Do(http.MethodPost, "/rules", form)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(resp.Body), "The rules were saved.") {
		t.Fatalf("good form: %d", resp.StatusCode)
	}
	got, err := inst.Server.Rules.Current(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got.NoticeMinDays != 14 || !got.AdvanceVoting || got.FinancialYearEnd != "06-30" || got.ShareContribution != (rules.Money{Amount: "25.00", Currency: "EUR"}) {
		t.Fatalf("saved rules = %+v", got)
	}

	member := inst.Client(t)
	member.SignIn("reader@example.org", "Reader")
	page := member.Get("/rules")
	if page.StatusCode != http.StatusOK || strings.Contains(string(page.Body), `<form method="post" action="/rules"`) {
		t.Fatalf("a non-admin sees the edit form (%d)", page.StatusCode)
	}
	if resp := member.Do(http.MethodPost, "/rules", form); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a non-admin saving rules: %d", resp.StatusCode)
	}
}
