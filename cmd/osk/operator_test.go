package main

import (
	"bytes"
	"context"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/clock"
	"github.com/citizen-network/osk/internal/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// osk runs one command against the test database, as an operator would on
// the server.
func osk(t *testing.T, dbURL string, args ...string) (string, string, int) {
	t.Helper()
	env := map[string]string{"APP_ENV": "development", "DATABASE_URL": dbURL}
	var out, errOut bytes.Buffer
	code := run(args, func(k string) string { return env[k] }, &out, &errOut)
	return out.String(), errOut.String(), code
}

func TestOperatorCommands_MakeTheFirstAdminAndATokenForScripts(t *testing.T) {
	db := dbtest.New(t)
	ctx := context.Background()

	if out, errOut, code := osk(t, db.URL, "grant", "--email", "chair@example.org", "--role", "admin"); code == 0 {
		t.Fatalf("grant to a missing account succeeded: %s", out)
	} else if !strings.Contains(errOut, "osk account create") {
		t.Fatalf("grant to a missing account does not say what to do: %s", errOut)
	}
	if _, errOut, code := osk(t, db.URL, "account", "create", "--email", "Chair@Example.org", "--name", "Chair Person"); code != 0 {
		t.Fatalf("account create: %s", errOut)
	}
	if _, errOut, code := osk(t, db.URL, "grant", "--email", "chair@example.org", "--role", "admin"); code != 0 {
		t.Fatalf("grant: %s", errOut)
	}
	if _, errOut, code := osk(t, db.URL, "grant", "--email", "chair@example.org", "--role", "emperor"); code == 0 || !strings.Contains(errOut, "role") {
		t.Fatalf("granting an unknown role: %d %s", code, errOut)
	}
	out, errOut, code := osk(t, db.URL, "token", "create", "--email", "chair@example.org", "--name", "export script")
	if code != 0 {
		t.Fatalf("token create: %s", errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	token := lines[len(lines)-1]
	svc := auth.NewService(db.DB, audit.New(clock.Real{}), clock.Real{})
	p, err := svc.Authenticate(ctx, token)
	if err != nil || !p.Has(auth.RoleAdmin) || p.Email != "chair@example.org" {
		t.Fatalf("the printed token %q: %+v, %v", token, p, err)
	}
	if _, errOut, code := osk(t, db.URL, "revoke", "--email", "chair@example.org", "--role", "admin"); code != 0 {
		t.Fatalf("revoke: %s", errOut)
	}
	if p, _ := svc.Authenticate(ctx, token); p.Has(auth.RoleAdmin) {
		t.Fatal("the token still carries a revoked role")
	}
	events, err := audit.List(ctx, db, audit.Filter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range events {
		if e.ActorAccountID != nil {
			t.Errorf("operator event %s has an actor account", e.Action)
		}
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, " "); got != "account.created role.granted token.created role.revoked" {
		t.Fatalf("audit events: %s", got)
	}
	if out, _, code := osk(t, db.URL, "verify"); code != 0 || !strings.Contains(out, "OK") {
		t.Fatalf("verify after operator commands: %d %s", code, out)
	}

	// An account whose email nobody confirmed is named by its number.
	acc, err := svc.AccountByEmail(ctx, "chair@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := osk(t, db.URL, "grant", "--account-id", strconv.FormatInt(acc.ID, 10), "--role", "board"); code != 0 ||
		!strings.Contains(out, "Chair Person <chair@example.org> now has the role board.") {
		t.Fatalf("grant by number: %d %s %s", code, out, errOut)
	}
	for _, args := range [][]string{
		{"grant", "--email", "chair@example.org", "--account-id", "1", "--role", "board"},
		{"grant", "--role", "board"},
	} {
		if _, errOut, code := osk(t, db.URL, args...); code != 2 || !strings.Contains(errOut, "--account-id") {
			t.Errorf("%v: exit %d %s", args, code, errOut)
		}
	}
	if _, errOut, code := osk(t, db.URL, "grant", "--account-id", "999999", "--role", "board"); code == 0 || !strings.Contains(errOut, "no such account") && !strings.Contains(errOut, "There is no") {
		t.Errorf("grant to a missing number: %d %s", code, errOut)
	}
}

func TestVerifyCommand_ExitsNonZeroOnTampering(t *testing.T) {
	db := dbtest.New(t)
	if _, errOut, code := osk(t, db.URL, "account", "create", "--email", "a@example.org", "--name", "A"); code != 0 {
		t.Fatal(errOut)
	}
	for _, q := range []string{
		`ALTER TABLE audit_events DISABLE TRIGGER USER`,
		`UPDATE audit_events SET subject = 'account:999' WHERE seq = 1`,
		`ALTER TABLE audit_events ENABLE TRIGGER USER`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	out, _, code := osk(t, db.URL, "verify")
	if code == 0 || !strings.Contains(out, "PROBLEM event 1, audit_events") {
		t.Fatalf("verify of a tampered log: exit %d\n%s", code, out)
	}
}

// The flag package stops at the first word that is not a flag; what follows
// must not be dropped without a word.
func TestCommands_RefuseLeftoverArguments(t *testing.T) {
	db := dbtest.New(t)
	taken, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, args := range [][]string{
		{"account", "create", "--email", "jane@example.org", "--name", "Jane", "Doe"},
		{"grant", "--email", "jane@example.org", "--role", "admin", "now"},
		{"revoke", "--email", "jane@example.org", "--role", "admin", "now"},
		{"token", "create", "--email", "jane@example.org", "--name", "export", "script"},
		{"migrate", "now"},
		{"seed", "--demo", "now"},
		{"verify", "now"},
		{"version", "now"},
		{"serve", "now"},
	} {
		env := map[string]string{"APP_ENV": "development", "DATABASE_URL": db.URL,
			// Should serve start despite the word, it stops at once.
			"PORT": strconv.Itoa(taken.Addr().(*net.TCPAddr).Port)}
		var out, errOut bytes.Buffer
		code := run(args, func(k string) string { return env[k] }, &out, &errOut)
		last := args[len(args)-1]
		if code != 2 || !strings.Contains(errOut.String(), strconv.Quote(last)) {
			t.Errorf("osk %s: exit %d, want 2 and a message naming %q\n%s", strings.Join(args, " "), code, last, errOut.String())
		}
	}
	if n := db.Count(t, `SELECT count(*) FROM accounts`); n != 0 {
		t.Fatalf("%d accounts made from command lines that were refused", n)
	}
}

func TestGrant_HintsAtAccountCreateOnlyForAMissingAccount(t *testing.T) {
	db := dbtest.New(t)
	if _, errOut, code := osk(t, db.URL, "grant", "--email", "not-an-email", "--role", "admin"); code == 0 || strings.Contains(errOut, "account create") {
		t.Errorf("grant to a malformed email: exit %d\n%s", code, errOut)
	}
	if _, err := db.Exec(`ALTER TABLE accounts RENAME TO accounts_away`); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"grant", "revoke"} {
		if _, errOut, code := osk(t, db.URL, cmd, "--email", "chair@example.org", "--role", "admin"); code == 0 || strings.Contains(errOut, "account create") {
			t.Errorf("%s when the database fails: exit %d\n%s", cmd, code, errOut)
		}
	}
}
