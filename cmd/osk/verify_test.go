package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/osktest"
)

// An auditor downloads a meeting's bundle and checks it on a machine
// with no Osk configured and no database: `osk verify --bundle` brings
// its own throwaway PostgreSQL.
func TestVerifyCommand_ChecksABundleOfflineWithoutConfiguration(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	ctx := context.Background()
	person := func(email string, role string) auth.Principal {
		acc, err := inst.Server.Auth.CreateAccount(ctx, auth.Operator, email, "Someone")
		if err != nil {
			t.Fatal(err)
		}
		if err := inst.Server.Auth.Grant(ctx, auth.Operator, acc.ID, role); err != nil {
			t.Fatal(err)
		}
		p, err := inst.Server.Auth.Principal(ctx, acc.ID)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	board := person("board@example.org", auth.RoleBoard)
	person("auditor@example.org", auth.RoleAuditor)
	start := inst.Clock.Now().Add(40 * 24 * time.Hour).Truncate(time.Minute)
	m, err := inst.Server.Meetings.Create(ctx, board, meetings.Draft{Kind: meetings.KindAnnual, Title: "Annual general meeting",
		StartsAt: start.Format(time.RFC3339), EndsAt: start.Add(2 * time.Hour).Format(time.RFC3339), Location: "Helsinki",
		Agenda: []meetings.ItemInput{{Title: "Opening of the meeting"}}})
	if err != nil {
		t.Fatal(err)
	}
	c := inst.Client(t)
	c.SignIn("auditor@example.org", "Someone")
	resp := c.Get(fmt.Sprintf("/api/v1/audit/meetings/%d/bundle", m.ID))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("bundle: %d %s", resp.StatusCode, resp.Body)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "bundle.json")
	if err := os.WriteFile(file, resp.Body, 0o600); err != nil {
		t.Fatal(err)
	}
	offline := func(path string) (string, int) {
		var out, errOut bytes.Buffer
		code := run([]string{"verify", "--bundle", path}, func(string) string { return "" }, &out, &errOut)
		return out.String() + errOut.String(), code
	}
	if out, code := offline(file); code != 0 || !strings.Contains(out, "OK: the record is intact.") ||
		!strings.Contains(out, "Records checked against them: 0 closed ballots, 0 minutes and addenda, 0 motions, 0 elections.") {
		t.Fatalf("verify --bundle of an untouched bundle: exit %d\n%s", code, out)
	}

	// The event of the meeting's drafting, rewritten in the file.
	tampered := bytes.Replace(resp.Body, []byte(`"action": "meeting.drafted"`), []byte(`"action": "meeting.cancelled"`), 1)
	if bytes.Equal(tampered, resp.Body) {
		t.Fatal("the bundle does not hold the event of the meeting's drafting")
	}
	bad := filepath.Join(dir, "tampered.json")
	if err := os.WriteFile(bad, tampered, 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := offline(bad)
	if code == 0 || !strings.Contains(out, "PROBLEM event") || !strings.Contains(out, "audit_events seq=") {
		t.Fatalf("verify --bundle of a tampered bundle: exit %d\n%s", code, out)
	}
	if out, code := offline(filepath.Join(dir, "missing.json")); code == 0 || !strings.Contains(out, "missing.json") {
		t.Fatalf("verify --bundle of a missing file: exit %d\n%s", code, out)
	}
}
