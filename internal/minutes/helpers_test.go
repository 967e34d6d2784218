package minutes_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auditor"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/dbtest"
	"github.com/citizen-network/osk/internal/mail"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/minutes"
	"github.com/citizen-network/osk/internal/osktest"
	"github.com/citizen-network/osk/internal/server"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// fixture is a running Osk with a board member, an auditor, an admin, and
// the officers of the meetings it holds: a chair, a secretary and two
// minute checkers, all members.
type fixture struct {
	*osktest.People
	t         testing.TB
	ctx       context.Context
	inst      *osktest.Instance
	svc       *minutes.Service
	board     auth.Principal
	board2    auth.Principal
	auditor   auth.Principal
	admin     auth.Principal
	chair     auth.Principal
	secretary auth.Principal
	checker1  auth.Principal
	checker2  auth.Principal
	member    auth.Principal
	outsider  auth.Principal
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	inst := osktest.Start(t, osktest.Options{})
	f := &fixture{People: inst.People(t), t: t, ctx: context.Background(), inst: inst, svc: inst.Server.Minutes}
	f.board = f.Person("Board Member", auth.RoleBoard)
	f.board2 = f.Person("Second Board Member", auth.RoleBoard)
	f.auditor = f.Person("Auditor", auth.RoleAuditor)
	f.admin = f.Person("Admin", auth.RoleAdmin)
	f.outsider = f.Person("Outsider")
	f.chair, _ = f.Member("Chair Person")
	f.secretary, _ = f.Member("Secretary Person")
	f.checker1, _ = f.Member("First Checker")
	f.checker2, _ = f.Member("Second Checker")
	f.member, _ = f.Member("Ordinary Member")
	return f
}

// heldMeeting holds a meeting with the fixture's officers from convening
// to close: the officers and the ordinary member attend, and the session
// closes two hours after it opened. The clock is left at the close.
func (f *fixture) heldMeeting(title string) meetings.Meeting {
	f.t.Helper()
	return f.closeSession(f.inSession(title))
}

// closeSession has the chair close the session of m two hours after it
// opened.
func (f *fixture) closeSession(m meetings.Meeting) meetings.Meeting {
	f.t.Helper()
	f.inst.Clock.Set(m.OpenedAt.Add(2 * time.Hour))
	m, err := f.inst.Server.Meetings.Close(f.ctx, f.chair, m.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

// inSession convenes a meeting with the fixture's officers and opens its
// session, with the officers and the ordinary member present.
func (f *fixture) inSession(title string) meetings.Meeting {
	f.t.Helper()
	start := f.inst.Clock.Now().Add(10 * 24 * time.Hour).Truncate(time.Minute)
	return f.sessionAt(title, start, meetings.Draft{TimeZone: "Europe/Helsinki", Location: "Kaisaniemenkatu 1, Helsinki",
		Agenda: []meetings.ItemInput{{Title: "Opening of the meeting"}, {Title: "Solar panels", Description: "The board proposes solar panels on the roof."}, {Title: "Closing of the meeting"}}})
}

// sessionAt is inSession for a meeting starting at start, in the zone,
// place and with the agenda of where.
func (f *fixture) sessionAt(title string, start time.Time, where meetings.Draft) meetings.Meeting {
	f.t.Helper()
	svc := f.inst.Server.Meetings
	m, err := svc.Create(f.ctx, f.board, meetings.Draft{
		Kind: meetings.KindExtraordinary, Title: title, StartsAt: start.Format(time.RFC3339), EndsAt: start.Add(2 * time.Hour).Format(time.RFC3339),
		TimeZone: where.TimeZone, Location: where.Location, Agenda: where.Agenda,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := svc.SetOfficers(f.ctx, f.board, m.ID, meetings.Officers{ChairAccountID: &f.chair.AccountID, SecretaryAccountID: &f.secretary.AccountID,
		CheckerAccountIDs: []int64{f.checker1.AccountID, f.checker2.AccountID}}); err != nil {
		f.t.Fatal(err)
	}
	if _, err := svc.Convene(f.ctx, f.board, m.ID); err != nil {
		f.t.Fatal(err)
	}
	f.inst.Clock.Set(start.Add(-30 * time.Minute))
	if _, err := svc.Open(f.ctx, f.chair, m.ID); err != nil {
		f.t.Fatal(err)
	}
	for _, p := range []auth.Principal{f.chair, f.secretary, f.checker1, f.checker2, f.member} {
		if _, _, err := svc.Attend(f.ctx, p, m.ID, meetings.AttendInput{Mode: meetings.ModeInPerson}); err != nil {
			f.t.Fatal(err)
		}
	}
	if m, err = svc.Get(f.ctx, m.ID); err != nil {
		f.t.Fatal(err)
	}
	return m
}

// submitted saves body as the minutes of m and submits them.
func (f *fixture) submitted(m meetings.Meeting, body string) minutes.Minutes {
	f.t.Helper()
	if _, err := f.svc.Save(f.ctx, f.secretary, minutes.Main(m.ID), body); err != nil {
		f.t.Fatal(err)
	}
	out, err := f.svc.Submit(f.ctx, f.secretary, minutes.Main(m.ID))
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

// sealed holds a meeting whose minutes say body and are signed by all.
func (f *fixture) sealed(title, body string) (meetings.Meeting, minutes.Minutes) {
	f.t.Helper()
	m := f.heldMeeting(title)
	f.submitted(m, body)
	var out minutes.Minutes
	for _, p := range []auth.Principal{f.chair, f.checker1, f.checker2} {
		var err error
		if out, err = f.svc.Sign(f.ctx, p, minutes.Main(m.ID), nil); err != nil {
			f.t.Fatal(err)
		}
	}
	if !out.Sealed() {
		f.t.Fatalf("the minutes of %q are %s after every signature", title, out.Status)
	}
	return m, out
}

// verify runs the checks of `osk verify`.
func (f *fixture) verify() audit.Report {
	f.t.Helper()
	r, err := auditor.Verify(f.ctx, f.inst.DB, server.Checks()...)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

func (f *fixture) mailTo(address string) []mail.Sent {
	f.t.Helper()
	all, err := mail.List(f.ctx, f.inst.DB, 500)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []mail.Sent
	for _, m := range all {
		if m.To == address && minutesMail(m.Subject) {
			out = append(out, m)
		}
	}
	return out
}

// minutesMail tells the messages of minutes from those of other domains.
func minutesMail(subject string) bool {
	for _, prefix := range []string{"To sign: ", "Sent back: ", "Published: "} {
		if strings.HasPrefix(subject, prefix) {
			return true
		}
	}
	return false
}

func ptr[T any](v T) *T { return &v }

// draftOf is a two-hour extraordinary meeting starting at start.
func draftOf(title string, start time.Time) meetings.Draft {
	start = start.Truncate(time.Minute)
	return meetings.Draft{Kind: meetings.KindExtraordinary, Title: title, StartsAt: start.Format(time.RFC3339),
		EndsAt: start.Add(2 * time.Hour).Format(time.RFC3339), TimeZone: "Europe/Helsinki", Location: "Helsinki",
		Agenda: []meetings.ItemInput{{Title: "Opening of the meeting"}}}
}

// officersOf appoints a secretary and nobody else.
func officersOf(secretary *int64) meetings.Officers {
	return meetings.Officers{SecretaryAccountID: secretary, CheckerAccountIDs: []int64{}}
}
