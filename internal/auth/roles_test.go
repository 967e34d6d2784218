package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/osktest"
)

func TestRoles_AdminGrantsAndRevokesThroughThePage(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	ctx := context.Background()
	admin := adminClient(t, inst)
	member := inst.Client(t)
	member.SignIn("board.to.be@example.org", "Board To Be")

	admin.Get("/admin/roles")
	resp := admin.Do(http.MethodPost, "/admin/roles/grant", url.Values{"email": {"board.to.be@example.org"}, "role": {"board"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("grant: %d %s", resp.StatusCode, resp.Body)
	}
	var got me
	member.Get("/api/v1/me").JSON(t, &got)
	if len(got.Roles) != 1 || got.Roles[0] != auth.RoleBoard {
		t.Fatalf("roles after grant = %v", got.Roles)
	}

	// The member may not use the admin page.
	if r := member.Get("/admin/roles"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("board member on the admin page: %d", r.StatusCode)
	}
	member.Get("/account")
	if r := member.Do(http.MethodPost, "/admin/roles/grant", url.Values{"email": {"board.to.be@example.org"}, "role": {"admin"}}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("board member granting admin: %d", r.StatusCode)
	}

	// A bad role or an unknown email is shown next to its field.
	for _, form := range []url.Values{
		{"email": {"board.to.be@example.org"}, "role": {"emperor"}},
		{"email": {"nobody@example.org"}, "role": {"board"}},
		{"email": {"board.to.be@example.org"}, "role": {"board"}},
	} {
		if r := admin.Do(http.MethodPost, "/admin/roles/grant", form); r.StatusCode < 400 || r.StatusCode >= 500 {
			t.Fatalf("grant %v: %d", form, r.StatusCode)
		}
	}

	resp = admin.Do(http.MethodPost, "/admin/roles/revoke", url.Values{"account_id": {itoa(got.Account.ID)}, "role": {"board"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %d %s", resp.StatusCode, resp.Body)
	}
	member.Get("/api/v1/me").JSON(t, &got)
	if len(got.Roles) != 0 {
		t.Fatalf("roles after revoke = %v", got.Roles)
	}

	events, err := audit.List(ctx, inst.DB, audit.Filter{Subject: "account:" + itoa(got.Account.ID), Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var granted, revoked int
	for _, e := range events {
		switch e.Action {
		case "role.granted":
			granted++
		case "role.revoked":
			revoked++
		}
	}
	if granted != 1 || revoked != 1 {
		t.Fatalf("audit has %d grants and %d revocations, want 1 and 1", granted, revoked)
	}

	// The audit log is kept for ever, so it holds no personal data: an
	// account's creation, at sign-in or in advance, names no one.
	created, err := audit.List(ctx, inst.DB, audit.Filter{Action: "account.created", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(created) != 2 {
		t.Fatalf("%d account.created events, want 2", len(created))
	}
	for _, e := range created {
		if p := string(e.Payload); strings.Contains(p, "@") || strings.Contains(p, "Admin") || strings.Contains(p, "Board To Be") {
			t.Errorf("%s carries personal data: %s", e.Subject, p)
		}
	}
}

func TestRoles_AuditorStaysIndependent(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	ctx := context.Background()
	svc := inst.Server.Auth
	a, _ := svc.CreateAccount(ctx, auth.Operator, "auditor@example.org", "Auditor")
	b, _ := svc.CreateAccount(ctx, auth.Operator, "board@example.org", "Board")
	if err := svc.Grant(ctx, auth.Operator, a.ID, auth.RoleAuditor); err != nil {
		t.Fatal(err)
	}
	if err := svc.Grant(ctx, auth.Operator, b.ID, auth.RoleBoard); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		account int64
		role    string
	}{{a.ID, auth.RoleBoard}, {a.ID, auth.RoleAdmin}, {b.ID, auth.RoleAuditor}} {
		if err := svc.Grant(ctx, auth.Operator, tc.account, tc.role); !errors.Is(err, errs.Conflict) {
			t.Errorf("grant %s to account %d: %v, want a conflict", tc.role, tc.account, err)
		}
	}
	p, err := svc.Principal(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Roles) != 1 || p.Roles[0] != auth.RoleAuditor {
		t.Fatalf("auditor's roles = %v", p.Roles)
	}
	if err := svc.Grant(ctx, p, b.ID, auth.RoleAdmin); !errors.Is(err, errs.Forbidden) {
		t.Fatalf("an auditor granting a role: %v", err)
	}
}

// The form to give a role never chooses one by itself: a form that comes
// back with a problem keeps the role the admin chose, and after a grant
// the form is empty, so that pressing the button again cannot give the
// first role of the list (admin).
// adminClient signs in an admin made by the operator.
func adminClient(t *testing.T, inst *osktest.Instance) *osktest.Client {
	t.Helper()
	ctx := context.Background()
	acc, err := inst.Server.Auth.CreateAccount(ctx, auth.Operator, "admin@example.org", "Admin")
	if err != nil {
		t.Fatal(err)
	}
	if err := inst.Server.Auth.Grant(ctx, auth.Operator, acc.ID, auth.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	admin := inst.Client(t)
	admin.SignIn("admin@example.org", "Admin")
	return admin
}

func TestRoles_TheFormKeepsTheRoleChosenAndChoosesNone(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	ctx := context.Background()
	svc := inst.Server.Auth
	adminAcc, _ := svc.CreateAccount(ctx, auth.Operator, "admin@example.org", "Admin")
	if err := svc.Grant(ctx, auth.Operator, adminAcc.ID, auth.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateAccount(ctx, auth.Operator, "board.to.be@example.org", "Board To Be"); err != nil {
		t.Fatal(err)
	}
	admin := inst.Client(t)
	admin.SignIn("admin@example.org", "Admin")
	const none = `<option value="">Choose a role</option>`
	if page := string(admin.Get("/admin/roles").Body); !strings.Contains(page, none) || strings.Contains(page, " selected>") {
		t.Fatalf("the empty form chooses a role:\n%s", page)
	}
	mistyped := admin.Do(http.MethodPost, "/admin/roles/grant", url.Values{"email": {"board.to.be@exmple.org"}, "role": {"board"}})
	if mistyped.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(mistyped.Body), `<option value="board" selected>board</option>`) ||
		strings.Contains(string(mistyped.Body), `<option value="admin" selected>`) {
		t.Fatalf("a mistyped email: %d\n%s", mistyped.StatusCode, mistyped.Body)
	}
	if r := admin.Do(http.MethodPost, "/admin/roles/grant", url.Values{"email": {"board.to.be@example.org"}, "role": {""}}); r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(string(r.Body), "Choose the role to give") {
		t.Fatalf("no role chosen: %d\n%s", r.StatusCode, r.Body)
	}
	done := admin.Do(http.MethodPost, "/admin/roles/grant", url.Values{"email": {"board.to.be@example.org"}, "role": {"board"}})
	if body := string(done.Body); done.StatusCode != http.StatusOK || !strings.Contains(body, "Board To Be now has the role board.") ||
		strings.Contains(body, " selected>") || strings.Contains(body, `value="board.to.be@example.org"`) {
		t.Fatalf("after the grant: %d\n%s", done.StatusCode, body)
	}
}

// Anyone may sign in with any address through a provider that does not
// confirm it. A role given by email goes only to an account whose email
// was confirmed, or to one made in advance that nobody has signed in to:
// not to whoever signed in first as the newly elected board member.
func TestRoles_NeverGivenByAnEmailNobodyConfirmed(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	ctx := context.Background()
	svc := inst.Server.Auth
	admin := adminClient(t, inst)
	mallory := inst.Client(t)
	if err := mallory.TrySignIn("new.treasurer@example.org", "Mallory", false); err != nil {
		t.Fatal(err)
	}
	r := admin.Do(http.MethodPost, "/admin/roles/grant", url.Values{"email": {"new.treasurer@example.org"}, "role": {"board"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "Nobody confirmed that Mallory, who signed in as new.treasurer@example.org, holds that address") {
		t.Fatalf("grant to an unconfirmed email: %d\n%s", r.StatusCode, r.Body)
	}
	var got me
	mallory.Get("/api/v1/me").JSON(t, &got)
	if len(got.Roles) != 0 {
		t.Fatalf("the unconfirmed account holds %v", got.Roles)
	}
	// One made in advance, and one whose provider confirmed the address,
	// are given roles by email.
	if _, err := svc.CreateAccount(ctx, auth.Operator, "in.advance@example.org", "In Advance"); err != nil {
		t.Fatal(err)
	}
	confirmed := inst.Client(t)
	confirmed.SignIn("confirmed@example.org", "Confirmed")
	// Someone else's unconfirmed sign-in with the same address does not
	// keep the role from the one it is meant for.
	squatter, err := svc.SignIn(ctx, auth.Identity{Provider: "oidc", Issuer: "https://anyone.example.org", Subject: "squatter",
		Email: "confirmed@example.org", Name: "Squatter"})
	if err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"in.advance@example.org", "confirmed@example.org"} {
		if r := admin.Do(http.MethodPost, "/admin/roles/grant", url.Values{"email": {email}, "role": {"board"}}); r.StatusCode != http.StatusOK {
			t.Fatalf("grant to %s: %d\n%s", email, r.StatusCode, r.Body)
		}
	}
	confirmed.Get("/api/v1/me").JSON(t, &got)
	if len(got.Roles) != 1 {
		t.Fatalf("the confirmed account holds %v", got.Roles)
	}
	if p, err := svc.Principal(ctx, squatter.ID); err != nil || len(p.Roles) != 0 {
		t.Fatalf("the squatter holds %v %v", p.Roles, err)
	}
}

// Text PostgreSQL refuses (NUL, invalid UTF-8) is cleaned where a provider
// sent it and refused where a person typed it: never a failure.
func TestText_NULAndInvalidUTF8NeverFail(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	nul := inst.Client(t)
	if err := nul.TrySignIn("nul@example.org", "Nul\x00 Person", true); err != nil {
		t.Fatalf("a name with NUL from the provider: %v", err)
	}
	var got me
	nul.Get("/api/v1/me").JSON(t, &got)
	if got.Account.Name != "Nul Person" {
		t.Fatalf("the name kept: %q", got.Account.Name)
	}
	nul.Get("/account/tokens")
	for _, name := range []string{"a\x00b", "a\xffb"} {
		if r := nul.Do(http.MethodPost, "/account/tokens", url.Values{"name": {name}}); r.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("token name %q: %d", name, r.StatusCode)
		}
	}
	admin := adminClient(t, inst)
	for _, q := range []string{"%00", "%ff"} {
		r := admin.Get("/admin/roles?q=" + q)
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `<span class="field-error" id="q-error">Error: Search with letters`) ||
			!strings.Contains(string(r.Body), "<h2>Give a role</h2>") {
			t.Errorf("search %s: %d\n%s", q, r.StatusCode, r.Body)
		}
	}
}

// An email a provider sent with NUL in it is not the address it
// confirmed: cleaned, it claims no account made in advance and counts as
// unconfirmed. An identity whose key holds NUL says nobody.
func TestSignIn_AnEmailThatNeededCleaningIsUnconfirmed(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	ctx := context.Background()
	svc := inst.Server.Auth
	made, err := svc.CreateAccount(ctx, auth.Operator, "treasurer@example.org", "Treasurer")
	if err != nil {
		t.Fatal(err)
	}
	acc, err := svc.SignIn(ctx, auth.Identity{Provider: "oidc", Issuer: "https://id.example.org", Subject: "s-1",
		Email: "treasurer@example.org\x00", EmailVerified: true, Name: "Someone"})
	if err != nil {
		t.Fatal(err)
	}
	if acc.ID == made.ID || acc.EmailVerified || acc.Email != "treasurer@example.org" {
		t.Fatalf("the cleaned email: account %d (made in advance: %d), confirmed %v, %q", acc.ID, made.ID, acc.EmailVerified, acc.Email)
	}
	for _, id := range []auth.Identity{
		{Provider: "oidc", Issuer: "https://id.example.org\x00", Subject: "s-2", Email: "a@example.org", EmailVerified: true},
		{Provider: "oidc", Issuer: "https://id.example.org", Subject: "s-\xff", Email: "b@example.org", EmailVerified: true},
	} {
		if _, err := svc.SignIn(ctx, id); !errors.Is(err, errs.Invalid) {
			t.Errorf("identity %q %q: %v", id.Issuer, id.Subject, err)
		}
	}
}

// Invisible characters, which would print a name reversed or blank, are
// dropped where a provider sent them and refused where a person typed
// them.
func TestText_InvisibleCharactersLeaveNames(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	c := inst.Client(t)
	if err := c.TrySignIn("evil@example.org", "Evil \u202eCorp\u200b", true); err != nil {
		t.Fatalf("a name with a direction override from the provider: %v", err)
	}
	var got me
	c.Get("/api/v1/me").JSON(t, &got)
	if got.Account.Name != "Evil Corp" {
		t.Fatalf("the name kept: %q", got.Account.Name)
	}
	_, err := inst.Server.Auth.CreateAccount(context.Background(), auth.Operator, "ana@example.org", "Ana\u200bLima")
	if !errors.Is(err, errs.Invalid) {
		t.Errorf("an account made in advance with a zero-width space in its name: %v", err)
	}
	c.Get("/account/tokens")
	if r := c.Do(http.MethodPost, "/account/tokens", url.Values{"name": {"laptop\u202e"}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a token name with a direction override: %d", r.StatusCode)
	}
	// A Persian name keeps its zero-width non-joiner.
	if _, err := inst.Server.Auth.CreateAccount(context.Background(), auth.Operator, "reza@example.org", "محمد\u200cرضا"); err != nil {
		t.Errorf("a Persian name: %v", err)
	}
}
