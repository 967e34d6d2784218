package meetings_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/dbtest"
	"github.com/citizen-network/osk/internal/mail"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/osktest"
	"github.com/citizen-network/osk/internal/rules"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// fixture is a running Osk with a board member, an auditor and an admin.
type fixture struct {
	*osktest.People
	t       testing.TB
	ctx     context.Context
	inst    *osktest.Instance
	svc     *meetings.Service
	board   auth.Principal
	board2  auth.Principal
	auditor auth.Principal
	admin   auth.Principal
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	return fixtureOn(t, osktest.Start(t, osktest.Options{}))
}

func fixtureOn(t testing.TB, inst *osktest.Instance) *fixture {
	f := &fixture{People: inst.People(t), t: t, ctx: context.Background(), inst: inst, svc: inst.Server.Meetings}
	f.board = f.Person("Board Member", auth.RoleBoard)
	f.board2 = f.Person("Second Board Member", auth.RoleBoard)
	f.auditor = f.Person("Auditor", auth.RoleAuditor)
	f.admin = f.Person("Admin", auth.RoleAdmin)
	return f
}

func (f *fixture) suspend(m members.Member) {
	f.t.Helper()
	if _, err := f.inst.Server.Members.Suspend(f.ctx, f.board, m.ID, "Did not answer the board's letters."); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) now() time.Time { return f.inst.Clock.Now() }

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// draftAt drafts an extraordinary meeting starting at start, two hours
// long, in a room, with one item.
func (f *fixture) draftAt(start time.Time, items ...meetings.ItemInput) meetings.Meeting {
	f.t.Helper()
	if items == nil {
		items = []meetings.ItemInput{{Title: "Opening of the meeting"}, {Title: "Closing of the meeting"}}
	}
	m, err := f.svc.Create(f.ctx, f.board, meetings.Draft{
		Kind: meetings.KindExtraordinary, Title: "Extraordinary general meeting", StartsAt: rfc(start), EndsAt: rfc(start.Add(2 * time.Hour)),
		TimeZone: "Europe/Helsinki", Location: "Kaisaniemenkatu 1, Helsinki", Agenda: items,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

// convened drafts and convenes a meeting two weeks from now, with remote
// participation allowed.
func (f *fixture) convened() meetings.Meeting {
	f.t.Helper()
	start := f.now().Add(14 * 24 * time.Hour).Truncate(time.Minute)
	m, err := f.svc.Create(f.ctx, f.board, meetings.Draft{
		Kind: meetings.KindExtraordinary, Title: "Extraordinary general meeting", StartsAt: rfc(start), EndsAt: rfc(start.Add(2 * time.Hour)),
		TimeZone: "Europe/Helsinki", Location: "Kaisaniemenkatu 1, Helsinki", RemoteAllowed: true, OnlineURL: "https://meet.example.org/osk",
		Agenda: []meetings.ItemInput{{Title: "Opening of the meeting"}, {Title: "Closing of the meeting"}},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	if m, err = f.svc.Convene(f.ctx, f.board, m.ID); err != nil {
		f.t.Fatal(err)
	}
	return m
}

// officers are a meeting's officers with chair as its chair, the admin as
// its secretary and the second board member as its minute checker, so
// that its session may close.
func (f *fixture) officers(chair auth.Principal) meetings.Officers {
	return meetings.Officers{ChairAccountID: &chair.AccountID, SecretaryAccountID: &f.admin.AccountID,
		CheckerAccountIDs: []int64{f.board2.AccountID}}
}

// inSession convenes a meeting with chair as its chair, moves the clock to
// half an hour before its start and opens it.
func (f *fixture) inSession(chair auth.Principal) meetings.Meeting {
	f.t.Helper()
	m := f.convened()
	if _, err := f.svc.SetOfficers(f.ctx, f.board, m.ID, f.officers(chair)); err != nil {
		f.t.Fatal(err)
	}
	f.inst.Clock.Set(m.StartsAt.Add(-30 * time.Minute))
	m, err := f.svc.Open(f.ctx, chair, m.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

func (f *fixture) attend(p auth.Principal, id int64, mode string, member *int64) {
	f.t.Helper()
	if _, _, err := f.svc.Attend(f.ctx, p, id, meetings.AttendInput{Mode: mode, MemberID: member}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) quorum(id int64) meetings.Quorum {
	f.t.Helper()
	q, err := f.svc.QuorumAs(f.ctx, f.board, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return q
}

func (f *fixture) setRules(change func(*rules.Rules)) {
	f.t.Helper()
	r, err := f.inst.Server.Rules.Current(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	change(&r)
	if _, err := f.inst.Server.Rules.Update(f.ctx, f.admin, r); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) events(subject string) []audit.Entry {
	f.t.Helper()
	es, err := audit.List(f.ctx, f.inst.DB, audit.Filter{Subject: subject, Limit: audit.MaxListLimit})
	if err != nil {
		f.t.Fatal(err)
	}
	return es
}

func (f *fixture) mailTo(address string) []mail.Sent {
	f.t.Helper()
	all, err := mail.List(f.ctx, f.inst.DB, 500)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []mail.Sent
	for _, m := range all {
		if m.To == address && meetingMail(m.Subject) {
			out = append(out, m)
		}
	}
	return out
}

// meetingMail tells the messages of meetings from those of the register.
func meetingMail(subject string) bool {
	for _, prefix := range []string{"Notice: ", "Changed: ", "Cancelled: ", "Agenda item added: ", "You hold a proxy: ", "Your agenda item"} {
		if strings.HasPrefix(subject, prefix) {
			return true
		}
	}
	return false
}

func subjectOf(m meetings.Meeting) string { return fmt.Sprintf("meeting:%d", m.ID) }

func ptr[T any](v T) *T { return &v }
