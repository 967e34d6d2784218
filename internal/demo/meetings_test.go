package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/dbtest"
	"github.com/citizen-network/osk/internal/demo"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/osktest"
)

func TestSeed_HasAHeldAnnualMeetingAndAConvenedOne(t *testing.T) {
	conn := dbtest.New(t)
	now := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	if _, err := demo.Seed(context.Background(), conn.DB, demo.Options{Now: now}); err != nil {
		t.Fatal(err)
	}
	if report, err := audit.Verify(context.Background(), conn); err != nil || !report.OK {
		t.Fatalf("the audit chain: %v %+v", err, report)
	}
	inst := osktest.Start(t, osktest.Options{DB: conn})
	svc := inst.Server.Meetings
	var ids []int64
	if err := conn.Select(&ids, `SELECT id FROM meetings ORDER BY starts_at`); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 {
		t.Fatalf("%d meetings", len(ids))
	}
	held, err := svc.Get(context.Background(), ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if held.Kind != meetings.KindAnnual || held.Status != meetings.StatusClosed || held.StartsAt.Year() != 2025 || len(held.Agenda) < 10 {
		t.Fatalf("the held meeting: %s %s %s, %d items", held.Kind, held.Status, held.StartsAt, len(held.Agenda))
	}
	var attended, proxies int
	if err := conn.Get(&attended, `SELECT count(DISTINCT member_id) FROM meeting_attendance WHERE meeting_id = $1`, held.ID); err != nil {
		t.Fatal(err)
	}
	if err := conn.Get(&proxies, `SELECT count(*) FROM meeting_proxies WHERE meeting_id = $1`, held.ID); err != nil {
		t.Fatal(err)
	}
	if attended < 10 || proxies != 2 {
		t.Fatalf("%d attended, %d proxies", attended, proxies)
	}
	next, err := svc.Get(context.Background(), ids[1])
	if err != nil {
		t.Fatal(err)
	}
	if next.Kind != meetings.KindAnnual || next.Status != meetings.StatusConvened || next.Officers.ChairAccountID == nil || len(next.Warnings) != 0 {
		t.Fatalf("the next meeting: %s %s, chair %v, warnings %v", next.Kind, next.Status, next.Officers.ChairAccountID, next.Warnings)
	}
}
