package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/motions"
	"github.com/citizen-network/osk/internal/osktest"
)

// Times that cannot be recorded, or that do not exist, are refused with
// the field at fault and change nothing: a moment past the year 9999 in
// UTC would be stored and then fail every answer that shows it, and a
// local time the clocks skip would be moved by an hour unseen.
func TestBadInput_Times(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	ctx := context.Background()
	s := inst.Server
	person := func(email string, roles ...string) auth.Principal { return newPerson(t, inst, email, roles...) }
	board := person("board@example.org", auth.RoleBoard)
	chair := person("chair@example.org", auth.RoleBoard)
	voter := person("voter@example.org")
	app, err := s.Members.Apply(ctx, voter, members.Application{Kind: members.KindIndividual, Name: "Voter", Email: voter.Email, Country: "FI", AcceptRules: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Members.Admit(ctx, board, app.ID, members.Admission{}); err != nil {
		t.Fatal(err)
	}

	// A meeting in Los Angeles, in session on the day before the clocks
	// there go forward (the second Sunday of March).
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	year := inst.Clock.Now().Year() + 1
	sunday := time.Date(year, time.March, 8, 0, 0, 0, 0, la)
	for sunday.Weekday() != time.Sunday {
		sunday = sunday.AddDate(0, 0, 1)
	}
	start := sunday.Add(-6 * time.Hour)
	inst.Clock.Set(start.AddDate(0, 0, -14))
	m := sessionIn(t, inst, board, chair, start, 12*time.Hour, la.String(), "Los Angeles")
	if _, _, err := s.Meetings.Attend(ctx, voter, m.ID, meetings.AttendInput{Mode: meetings.ModeInPerson}); err != nil {
		t.Fatal(err)
	}
	mo, err := s.Motions.Propose(ctx, board, m.ID, motions.Proposal{Title: "A question", Body: "The meeting resolves so."})
	if err != nil {
		t.Fatal(err)
	}

	client := func(email string) *osktest.Client {
		c := inst.Client(t)
		c.SignIn(email, email)
		c.Get("/account")
		return c
	}
	clients := map[string]*osktest.Client{"board": client(board.Email), "chair": client(chair.Email)}
	later := inst.Clock.Now().Add(40 * 24 * time.Hour).Format("2006-01-02")
	draft := func(change map[string]any) map[string]any {
		d := map[string]any{"kind": "extraordinary", "title": "EGM", "time_zone": "America/Los_Angeles", "location": "LA",
			"starts_at": later + "T18:00", "ends_at": later + "T20:00", "agenda": []map[string]any{{"title": "Opening"}}}
		for k, v := range change {
			d[k] = v
		}
		return d
	}
	gap := sunday.Format("2006-01-02") + "T02:30"
	cases := []struct {
		name, who, method, path string
		body                    map[string]any
		field                   string
	}{
		{"a meeting ending in the year 10000 in UTC", "board", "POST", "/api/v1/meetings", draft(map[string]any{"ends_at": "9999-12-31T23:00:00-05:00"}), "ends_at"},
		{"a meeting starting in the year 9999", "board", "POST", "/api/v1/meetings", draft(map[string]any{"starts_at": "9999-12-31T20:00", "ends_at": "9999-12-31T22:00"}), "starts_at"},
		{"a meeting starting before the year 1", "board", "POST", "/api/v1/meetings", draft(map[string]any{"starts_at": "0000-01-01T00:00:00+01:00"}), "starts_at"},
		{"a meeting forty days long", "board", "POST", "/api/v1/meetings", draft(map[string]any{"ends_at": inst.Clock.Now().Add(80*24*time.Hour).Format("2006-01-02") + "T20:00"}), "ends_at"},
		{"a record date in the year 9999", "board", "POST", "/api/v1/meetings", draft(map[string]any{"record_date": "9999-12-31"}), "record_date"},
		{"a ballot closing in the year 9999", "chair", "POST", fmt.Sprintf("/api/v1/motions/%d/ballots", mo.ID), map[string]any{"secret": false, "closes_at": "9999-12-31T23:59"}, "closes_at"},
		{"a ballot closing at a time the clocks skip", "chair", "POST", fmt.Sprintf("/api/v1/motions/%d/ballots", mo.ID), map[string]any{"secret": false, "closes_at": gap}, "closes_at"},
		{"nominations closing in the year 10000 in UTC", "board", "POST", fmt.Sprintf("/api/v1/meetings/%d/elections", m.ID), map[string]any{"title": "Board", "seats": 1, "nominations_close_at": "9999-12-31T23:00:00-05:00"}, "nominations_close_at"},
		{"the development clock past its range", "board", "POST", "/dev/clock", map[string]any{"set": "2500-01-01T00:00:00Z"}, "set"},
		{"the development clock moved past its range", "board", "POST", "/dev/clock", map[string]any{"advance": "2000000h"}, "advance"},
	}
	before := tableChecksums(t, inst.DB.DB)
	for _, tc := range cases {
		r := clients[tc.who].Do(tc.method, tc.path, tc.body)
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") ||
			!strings.Contains(string(r.Body), `"field":"`+tc.field+`"`) {
			t.Errorf("%s: %d %s", tc.name, r.StatusCode, r.Body)
		}
	}
	after := tableChecksums(t, inst.DB.DB)
	for table, sum := range before {
		if after[table] != sum {
			t.Errorf("table %s changed under refused times", table)
		}
	}
	if got := inst.Clock.Now(); got.Year() != start.Year() {
		t.Errorf("the refused clock moves left it at %s", got)
	}
}
