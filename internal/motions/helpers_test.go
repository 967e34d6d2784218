package motions_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/dbtest"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/motions"
	"github.com/citizen-network/osk/internal/osktest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// fixture is a running Osk with a board member, an auditor and a convened
// meeting whose agenda has an ordinary item and an item that changes the
// rules.
type fixture struct {
	*osktest.People
	t       testing.TB
	ctx     context.Context
	inst    *osktest.Instance
	svc     *motions.Service
	board   auth.Principal
	board2  auth.Principal
	auditor auth.Principal
	meeting meetings.Meeting
	// item is an ordinary agenda item, rules one that changes the rules.
	item, rules int64
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	inst := osktest.Start(t, osktest.Options{})
	f := &fixture{People: inst.People(t), t: t, ctx: context.Background(), inst: inst, svc: inst.Server.Motions}
	f.board = f.Person("Board Member", auth.RoleBoard)
	f.board2 = f.Person("Second Board Member", auth.RoleBoard)
	f.auditor = f.Person("Auditor", auth.RoleAuditor)
	f.use(f.convened())
	return f
}

// use makes m the fixture's meeting.
func (f *fixture) use(m meetings.Meeting) {
	f.meeting = m
	for _, it := range m.Agenda {
		switch {
		case it.RuleChange:
			f.rules = it.ID
		case it.Title == "Membership fee":
			f.item = it.ID
		}
	}
}

func (f *fixture) now() time.Time { return f.inst.Clock.Now() }

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// convened drafts and convenes a meeting six weeks from now, before the
// member motion deadline (four weeks before it, by default).
func (f *fixture) convened() meetings.Meeting {
	f.t.Helper()
	start := f.now().Add(42 * 24 * time.Hour).Truncate(time.Minute)
	m, err := f.inst.Server.Meetings.Create(f.ctx, f.board, meetings.Draft{
		Kind: meetings.KindExtraordinary, Title: "Extraordinary general meeting", StartsAt: rfc(start), EndsAt: rfc(start.Add(2 * time.Hour)),
		TimeZone: "Europe/Helsinki", Location: "Kaisaniemenkatu 1, Helsinki",
		Agenda: []meetings.ItemInput{
			{Title: "Opening of the meeting"},
			{Title: "Membership fee"},
			{Title: "Changing the rules", Description: "Section 5 of the rules, on the share contribution.", RuleChange: true},
			{Title: "Closing of the meeting"},
		},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	if m, err = f.inst.Server.Meetings.Convene(f.ctx, f.board, m.ID); err != nil {
		f.t.Fatal(err)
	}
	return m
}

// draftOf is a draft meeting eight weeks from now.
func draftOf(f *fixture) meetings.Draft {
	start := f.now().Add(56 * 24 * time.Hour).Truncate(time.Minute)
	return meetings.Draft{Kind: meetings.KindExtraordinary, Title: "Draft meeting", StartsAt: rfc(start), EndsAt: rfc(start.Add(time.Hour)),
		TimeZone: "Europe/Helsinki", Location: "Helsinki", Agenda: []meetings.ItemInput{{Title: "Budget"}}}
}

// inSession appoints chair, moves the clock to just before the meeting
// and opens the session.
func (f *fixture) inSession(chair auth.Principal) {
	f.t.Helper()
	if _, err := f.inst.Server.Meetings.SetOfficers(f.ctx, f.board, f.meeting.ID, meetings.Officers{ChairAccountID: &chair.AccountID}); err != nil {
		f.t.Fatal(err)
	}
	f.inst.Clock.Set(f.meeting.StartsAt.Add(-30 * time.Minute))
	m, err := f.inst.Server.Meetings.Open(f.ctx, chair, f.meeting.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	f.meeting = m
}

func (f *fixture) attend(p auth.Principal) {
	f.t.Helper()
	if _, _, err := f.inst.Server.Meetings.Attend(f.ctx, p, f.meeting.ID, meetings.AttendInput{Mode: meetings.ModeInPerson}); err != nil {
		f.t.Fatal(err)
	}
}

// propose proposes a motion and fails the test on error.
func (f *fixture) propose(p auth.Principal, in motions.Proposal) motions.Detail {
	f.t.Helper()
	d, err := f.svc.Propose(f.ctx, p, f.meeting.ID, in)
	if err != nil {
		f.t.Fatalf("propose %q: %v", in.Title, err)
	}
	return d
}

func (f *fixture) second(p auth.Principal, id int64) motions.Detail {
	f.t.Helper()
	d, err := f.svc.Second(f.ctx, p, id, nil)
	if err != nil {
		f.t.Fatalf("second %d: %v", id, err)
	}
	return d
}

func (f *fixture) get(id int64) motions.Detail {
	f.t.Helper()
	d, err := f.svc.GetAs(f.ctx, f.board, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return d
}

func (f *fixture) events(subject string) []audit.Entry {
	f.t.Helper()
	es, err := audit.List(f.ctx, f.inst.DB, audit.Filter{Subject: subject, Limit: audit.MaxListLimit})
	if err != nil {
		f.t.Fatal(err)
	}
	return es
}

func actions(es []audit.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Action
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func text(title string) motions.Proposal {
	return motions.Proposal{Title: title, Body: "The meeting decides that " + strings.ToLower(title) + "."}
}
