package demo_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/clock"
	"github.com/citizen-network/osk/internal/dbtest"
	"github.com/citizen-network/osk/internal/demo"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/osktest"
	"github.com/citizen-network/osk/internal/rules"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestSeed_FillsAnEmptyDatabaseWithABelievableCoop(t *testing.T) {
	ctx := context.Background()
	conn := dbtest.New(t)
	now := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	logins, err := demo.Seed(ctx, conn.DB, demo.Options{BaseURL: "http://localhost:8080", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if logins.Member == "" || logins.Board == "" || logins.Auditor == "" {
		t.Fatalf("logins %+v", logins)
	}

	if _, err := demo.Seed(ctx, conn.DB, demo.Options{Now: now}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("a second seed: %v", err)
	}

	report, err := audit.Verify(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	if !report.OK {
		t.Errorf("the demo's audit chain does not verify: %+v", report.Problems)
	}

	log := audit.New(clock.Real{})
	accounts := auth.NewService(conn.DB, log, clock.Real{})
	svc := members.NewService(conn.DB, log, clock.Real{}, accounts, members.Config{})
	boardAcc, err := accounts.AccountByEmail(ctx, logins.Board)
	if err != nil {
		t.Fatal(err)
	}
	board, err := accounts.Principal(ctx, boardAcc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !board.Has(auth.RoleBoard) {
		t.Errorf("the board login has roles %v", board.Roles)
	}
	counts, err := svc.Counts(ctx, board)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	if total < 55 || total > 70 || counts["applicant"] < 3 || counts["resigned"] != 1 || counts["suspended"] != 1 {
		t.Errorf("register: %v", counts)
	}
	orgs, err := svc.List(ctx, board, members.ListFilter{Kind: members.KindOrganisation, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	countries := map[string]bool{}
	all, err := svc.List(ctx, board, members.ListFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range all.Items {
		countries[m.Country] = true
		if m.MemberNo != nil && *m.MemberNo != i+1 {
			t.Errorf("member %d has number %d: numbers must run without gaps", i+1, *m.MemberNo)
		}
		if m.AppliedAt.After(now) || (m.AdmittedAt != nil && !m.AdmittedAt.After(m.AppliedAt)) {
			t.Errorf("%s applied %s, admitted %v", m.Name, m.AppliedAt, m.AdmittedAt)
		}
	}
	if len(orgs.Items) < 10 || len(countries) < 15 {
		t.Errorf("%d organisations from %d countries", len(orgs.Items), len(countries))
	}
	first := all.Items[0]
	if first.AdmittedAt.Year() != 2020 {
		t.Errorf("the first member joined in %d", first.AdmittedAt.Year())
	}

	mine, err := svc.ActingFor(ctx, mustAccount(t, accounts, logins.Member))
	if err != nil || len(mine) != 1 || mine[0].Status != members.StatusActive || mine[0].SharePaid != demo.ShareDue {
		t.Errorf("the member login acts for %+v %v", mine, err)
	}
	auditorAcc, err := accounts.AccountByEmail(ctx, logins.Auditor)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := accounts.Principal(ctx, auditorAcc.ID); !p.Has(auth.RoleAuditor) {
		t.Errorf("the auditor login has roles %v", p.Roles)
	}
	// The rules set the share the register records.
	current, err := rules.NewService(conn.DB, log, clock.Real{}).Current(ctx)
	if err != nil || current.ShareContribution != (rules.Money{Amount: demo.ShareDue, Currency: "EUR"}) {
		t.Errorf("the rules' share: %+v %v", current.ShareContribution, err)
	}
}

func mustAccount(t *testing.T, accounts *auth.Service, email string) int64 {
	t.Helper()
	acc, err := accounts.AccountByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return acc.ID
}

// TestSeed_PeopleSignInByEmail signs in as the demo's member, board member
// and auditor through the development provider, as the README tells people
// to.
func TestSeed_PeopleSignInByEmail(t *testing.T) {
	conn := dbtest.New(t)
	logins, err := demo.Seed(context.Background(), conn.DB, demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	inst := osktest.Start(t, osktest.Options{DB: conn})
	for _, tc := range []struct {
		email, path, text string
	}{
		{logins.Member, "/membership", "Active member"},
		{logins.Board, "/members?status=applicant", "Chronic Illness Inclusion"},
		{logins.Auditor, "/members?status=suspended", "Matteo Rossi"},
	} {
		c := inst.Client(t)
		c.SignIn(tc.email, "Demo person")
		resp := c.Get(tc.path)
		if resp.StatusCode != http.StatusOK || !bytes.Contains(resp.Body, []byte(tc.text)) {
			t.Errorf("%s at %s: %d, without %q", tc.email, tc.path, resp.StatusCode, tc.text)
		}
	}
}
