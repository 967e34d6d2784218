package demo_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/auditor"
	"github.com/citizen-network/osk/internal/dbtest"
	"github.com/citizen-network/osk/internal/demo"
	"github.com/citizen-network/osk/internal/minutes"
	"github.com/citizen-network/osk/internal/osktest"
	"github.com/citizen-network/osk/internal/server"
)

func TestSeed_TheHeldMeetingHasSealedMinutes(t *testing.T) {
	ctx := context.Background()
	conn := dbtest.New(t)
	logins, err := demo.Seed(ctx, conn.DB, demo.Options{Now: time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	inst := osktest.Start(t, osktest.Options{DB: conn})
	var held int64
	if err := conn.Get(&held, `SELECT id FROM meetings WHERE status = 'closed'`); err != nil {
		t.Fatal(err)
	}
	acc, err := inst.Server.Auth.AccountByEmail(ctx, logins.Member)
	if err != nil {
		t.Fatal(err)
	}
	member, err := inst.Server.Auth.Principal(ctx, acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	m, err := inst.Server.Minutes.Get(ctx, member, minutes.Main(held))
	if err != nil {
		t.Fatal(err)
	}
	if !m.Sealed() || len(m.Signatures) != 3 || m.ChainHead == nil {
		t.Fatalf("the held meeting's minutes: %s, %d signatures", m.Status, len(m.Signatures))
	}
	for _, want := range []string{"## Attendance", "| Member no. |", "adopted the financial statements for 2024", "### Proxies"} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("the minutes lack %q:\n%s", want, m.Body)
		}
	}
	page, err := inst.Server.Minutes.Archive(ctx, member, minutes.ArchiveFilter{Query: "financial statements"})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("the archive: %v %+v", err, page.Items)
	}
	report, err := auditor.Verify(ctx, conn, server.Checks()...)
	if err != nil || !report.OK {
		t.Fatalf("verify: %v %+v", err, report.Problems)
	}
}
