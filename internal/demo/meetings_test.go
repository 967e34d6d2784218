package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/dbtest"
	"github.com/citizen-network/osk/internal/demo"
	"github.com/citizen-network/osk/internal/elections"
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
	// The minutes name the officers: they were there.
	var absentOfficers int
	if err := conn.Get(&absentOfficers, `SELECT count(*) FROM members m
		WHERE m.account_id = ANY(ARRAY[$2::bigint, $3::bigint] || $4::bigint[])
		AND NOT EXISTS (SELECT 1 FROM meeting_attendance a WHERE a.meeting_id = $1 AND a.member_id = m.id)`,
		held.ID, *held.Officers.ChairAccountID, *held.Officers.SecretaryAccountID, pq.Array(held.Officers.CheckerAccountIDs)); err != nil {
		t.Fatal(err)
	}
	if absentOfficers != 0 {
		t.Errorf("%d of the held meeting's officers were not at it", absentOfficers)
	}
	next, err := svc.Get(context.Background(), ids[1])
	if err != nil {
		t.Fatal(err)
	}
	if next.Kind != meetings.KindAnnual || next.Status != meetings.StatusConvened || next.Officers.ChairAccountID == nil || len(next.Warnings) != 0 {
		t.Fatalf("the next meeting: %s %s, chair %v, warnings %v", next.Kind, next.Status, next.Officers.ChairAccountID, next.Warnings)
	}
	wantBoardElection(t, inst, next, "board_election", 2)
}

func TestSeed_AnExtraordinaryMeetingFillsTheVacantSeat(t *testing.T) {
	conn := dbtest.New(t)
	// After this year's annual meeting, the next is an extraordinary one.
	if _, err := demo.Seed(context.Background(), conn.DB, demo.Options{Now: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	inst := osktest.Start(t, osktest.Options{DB: conn})
	var id int64
	if err := conn.Get(&id, `SELECT id FROM meetings WHERE status = 'convened'`); err != nil {
		t.Fatal(err)
	}
	next, err := inst.Server.Meetings.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if next.Kind != meetings.KindExtraordinary {
		t.Fatalf("the next meeting is %s", next.Kind)
	}
	// Whatever the hour the demo is made at, the meeting is in the evening
	// where the co-op meets.
	if local := next.StartsAt.In(next.Zone()); local.Hour() != 18 || local.Minute() != 0 {
		t.Errorf("the meeting starts at %s", local)
	}
	// Members may still ask for items.
	if now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC); !next.MemberMotionDeadline.After(now) {
		t.Errorf("members could ask for items only until %s", next.MemberMotionDeadline)
	}
	wantBoardElection(t, inst, next, "", 1)
	// A founder stepped down from the board, whose seat is to fill; no one
	// on the board stands for it.
	var onBoard, standing int
	if err := conn.Get(&onBoard, `SELECT count(*) FROM account_roles WHERE role = 'board'`); err != nil {
		t.Fatal(err)
	}
	if err := conn.Get(&standing, `SELECT count(*) FROM election_candidates c JOIN members m ON m.id = c.member_id
		JOIN account_roles r ON r.account_id = m.account_id AND r.role = 'board'`); err != nil {
		t.Fatal(err)
	}
	if onBoard != 4 || standing != 0 {
		t.Errorf("%d on the board, %d of them standing for the vacant seat", onBoard, standing)
	}
}

// wantBoardElection checks the next meeting's board election: on its
// item of the agenda (statutory, or else the last but one), taking
// nominations, with members who stood with a statement, one nominated by
// another who consented, and the demo's member nominated and told by
// email, who has not consented yet.
func wantBoardElection(t *testing.T, inst *osktest.Instance, m meetings.Meeting, statutory string, seats int) {
	t.Helper()
	ctx := context.Background()
	board, err := inst.Server.Auth.Principal(ctx, *m.Officers.ChairAccountID)
	if err != nil {
		t.Fatal(err)
	}
	all, err := inst.Server.Elections.ForMeeting(ctx, board, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 {
		t.Fatalf("%d elections at %q", len(all), m.Title)
	}
	e := all[0]
	item := m.Agenda[len(m.Agenda)-2]
	if statutory != "" {
		for _, it := range m.Agenda {
			if it.Statutory == statutory {
				item = it
			}
		}
	}
	if e.Status != elections.StatusNominating || e.Seats != seats || e.AgendaItemID == nil || *e.AgendaItemID != item.ID ||
		e.NominationsCloseAt == nil || !e.NominationsCloseAt.Before(m.StartsAt) {
		t.Fatalf("the election %+v, want %d seats on item %q", e, seats, item.Title)
	}
	var stood, consented, waiting []elections.Candidate
	for _, c := range e.Candidates {
		if c.MemberID == nil || c.Statement == "" || c.NominatedBy == nil {
			t.Fatalf("candidate %+v is not a nominated member with a statement", c)
		}
		mem, err := inst.Server.Members.Get(ctx, *c.MemberID)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case !c.Consented:
			waiting = append(waiting, c)
		case mem.AccountID != nil && *c.NominatedBy == *mem.AccountID:
			stood = append(stood, c)
		default:
			consented = append(consented, c)
		}
	}
	if len(stood) < 2 || len(consented) != 1 || len(waiting) != 1 {
		t.Fatalf("%d stood, %d consented to a nomination, %d waiting: %+v", len(stood), len(consented), len(waiting), e.Candidates)
	}
	var told int
	if err := inst.DB.Get(&told, `SELECT count(*) FROM mail_outbox WHERE subject LIKE 'You are nominated: %'`); err != nil {
		t.Fatal(err)
	}
	if told != 2 {
		t.Errorf("%d nominees told by email, want the 2 nominated by others", told)
	}
}
