package browsertest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/browsertest"
	"github.com/citizen-network/osk/internal/dbtest"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/osktest"
)

// Each journey runs against an Osk of its own, on a database of its own,
// in a tab with its own cookies, so journeys run in parallel.

func TestMain(m *testing.M) { dbtest.Main(m) }

// A visitor signs in, manages a personal access token on their account
// page, and signs out.
func TestJourney_SignInTokensSignOut(t *testing.T) {
	t.Parallel()
	inst := osktest.Start(t, osktest.Options{})
	p := browsertest.Open(t, inst.URL)

	p.Visit("/")
	p.ClickLink("Sign in")
	p.ClickLink("Sign in with the development sign-in")
	p.Type("Email address", "ada@example.org")
	p.Type("Full name", "Ada Lovelace")
	p.Submit("Sign in")
	if header := p.TextOf(".site-header"); !strings.Contains(header, "Ada Lovelace") {
		t.Fatalf("the header after signing in reads %q, without the name", header)
	}

	p.ClickLink("Ada Lovelace")
	p.See("ada@example.org")
	p.ClickLink("Manage your personal access tokens")
	p.Type("Name of the token (optional)", "minutes export")
	p.Submit("Create token")
	token := p.TextOf("#new-token")
	if !strings.HasPrefix(token, "osk_") {
		t.Fatalf("the new token reads %q", token)
	}
	// Shown once: the page does not show it again.
	p.Visit("/account/tokens")
	p.NotSee(token)
	p.See("minutes export")

	p.Submit("Revoke token minutes export")
	p.See("revoked")
	if p.Has(browsertest.Button("Revoke token minutes export")) {
		t.Fatal("a revoked token can still be revoked")
	}

	p.Submit("Sign out")
	if p.Path() != "/" || !p.Has(browsertest.Link("Sign in")) {
		t.Fatalf("after signing out the page is %s, without a link to sign in", p.Path())
	}
}

// The same sign-in by keyboard alone: Tab to each link, field and button,
// Enter to follow or press it, typing to fill in, Space to sign out.
func TestJourney_SignInByKeyboard(t *testing.T) {
	t.Parallel()
	inst := osktest.Start(t, osktest.Options{})
	p := browsertest.Open(t, inst.URL, browsertest.KeyboardOnly())

	p.Visit("/")
	p.TabTo(browsertest.Link("Sign in"))
	p.PressAndWait(browsertest.Enter)
	p.TabTo(browsertest.Link("Sign in with the development sign-in"))
	p.PressAndWait(browsertest.Enter)
	p.TabTo(browsertest.Field("Email address"))
	p.TypeKeys("kai@example.org")
	p.TabTo(browsertest.Field("Full name"))
	p.TypeKeys("Kai Keys")
	p.TabTo(browsertest.Button("Sign in"))
	p.PressAndWait(browsertest.Enter)
	if header := p.TextOf(".site-header"); !strings.Contains(header, "Kai Keys") {
		t.Fatalf("the header after signing in reads %q, without the name", header)
	}

	p.TabTo(browsertest.Link("Kai Keys"))
	p.PressAndWait(browsertest.Enter)
	p.See("kai@example.org")
	p.TabTo(browsertest.Button("Sign out"))
	p.PressAndWait(browsertest.Space)
	if !p.Has(browsertest.Link("Sign in")) {
		t.Fatal("not signed out")
	}
}

// The same sign-in in a browser that runs no JavaScript.
func TestJourney_SignInWithoutJavaScript(t *testing.T) {
	t.Parallel()
	inst := osktest.Start(t, osktest.Options{})
	p := browsertest.Open(t, inst.URL, browsertest.WithoutJavaScript())

	p.SignIn("noor@example.org", "Noor Script")
	if header := p.TextOf(".site-header"); !strings.Contains(header, "Noor Script") {
		t.Fatalf("the header after signing in reads %q, without the name", header)
	}
	p.ClickLink("Noor Script")
	p.See("noor@example.org")
	p.Submit("Sign out")
	if !p.Has(browsertest.Link("Sign in")) {
		t.Fatal("not signed out")
	}
}

// An admin changes the co-op's rules: a wrong value is refused with an
// error summary that leads to the field, and the corrected value is saved.
func TestJourney_AdminEditsRules(t *testing.T) {
	t.Parallel()
	inst := osktest.Start(t, osktest.Options{})
	newAccount(t, inst, "grace@example.org", "Grace Hopper", auth.RoleAdmin)
	p := browsertest.Open(t, inst.URL)

	p.SignIn("grace@example.org", "Grace Hopper")
	p.ClickLink("Grace Hopper")
	p.ClickLink("Settings from the co-op's rules")

	const field = "Latest notice (days before the meeting)"
	p.Type(field, "400")
	p.Submit("Save the rules")
	if p.Status() != 422 {
		t.Errorf("a wrong value answered %d, want 422", p.Status())
	}
	p.See("There is a problem")
	p.ClickLink("Must be a whole number from 1 to 365.")
	if got := p.TextOf("#notice_min_days-error"); got != "Error: Must be a whole number from 1 to 365." {
		t.Errorf("the field's own error reads %q", got)
	}
	p.Type(field, "14")
	p.Submit("Save the rules")
	p.See("The rules were saved.")

	p.Visit("/rules")
	if got := p.Value(field); got != "14" {
		t.Fatalf("after saving, %q holds %q, want 14", field, got)
	}
}

// A visitor applies to become a member, the board admits them, and they
// see their member number.
func TestJourney_ApplyAndAdmit(t *testing.T) {
	t.Parallel()
	inst := osktest.Start(t, osktest.Options{})
	newAccount(t, inst, "bea@example.org", "Bea Board", auth.RoleBoard)
	applicant := browsertest.Open(t, inst.URL, browsertest.As("applicant"))
	board := browsertest.Open(t, inst.URL, browsertest.As("board member"))

	applicant.SignIn("ada@example.org", "Ada Lovelace")
	applicant.ClickLink("Apply to become a member-owner of the co-op")
	applicant.Check("I am applying for myself, as an individual")
	if got := applicant.Value("Name"); got != "Ada Lovelace" {
		t.Errorf("the form offers the name %q, want the account's", got)
	}
	applicant.Select("Country", "Finland")
	applicant.Type("Postal address (optional)", "Mannerheimintie 1, 00100 Helsinki")
	applicant.Submit("Send my application")
	// Forgetting the rules: the error summary leads to the box to tick.
	if applicant.Status() != 422 {
		t.Errorf("an application without accepting the rules answered %d, want 422", applicant.Status())
	}
	applicant.ClickLink("You must accept the co-op's rules to apply.")
	applicant.Check("I accept the co-op's rules")
	applicant.Submit("Send my application")
	applicant.See("your application has gone to the board")
	applicant.See("Applied: waiting for the board's decision")

	board.SignIn("bea@example.org", "Bea Board")
	board.ClickLink("Members")
	board.ClickLink("Applications (1)")
	board.ClickLink("Ada Lovelace")
	board.ClickLink("Admit as a member")
	board.Type("Board decision (optional)", "Board meeting 2026/1, item 3")
	board.Submit("Admit as a member")
	board.See("The applicant is now a member")

	applicant.ClickLink("Membership")
	applicant.See("Active member")
	applicant.See("Member number 1")
}

// newAccount makes an account in advance with site roles, as an operator
// does from the shell; the person claims it at their first sign-in.
func newAccount(t *testing.T, inst *osktest.Instance, email, name string, roles ...string) auth.Principal {
	t.Helper()
	ctx := context.Background()
	acc, err := inst.Server.Auth.CreateAccount(ctx, auth.Operator, email, name)
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range roles {
		if err := inst.Server.Auth.Grant(ctx, auth.Operator, acc.ID, role); err != nil {
			t.Fatal(err)
		}
	}
	p, err := inst.Server.Auth.Principal(ctx, acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// newMember makes an account and an active member of it, applied for and
// admitted by board through the services: a member a journey starts with.
func newMember(t *testing.T, inst *osktest.Instance, board auth.Principal, email, name string) auth.Principal {
	t.Helper()
	ctx := context.Background()
	p := newAccount(t, inst, email, name)
	m, err := inst.Server.Members.Apply(ctx, p, members.Application{Kind: members.KindIndividual, Name: name, Email: email, Country: "FI", AcceptRules: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inst.Server.Members.Admit(ctx, board, m.ID, members.Admission{}); err != nil {
		t.Fatal(err)
	}
	return p
}
