package members_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/clock"
	"github.com/citizen-network/osk/internal/dbtest"
	"github.com/citizen-network/osk/internal/mail"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/osktest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// fixture is the register's service over a fresh database, with a board
// member and an auditor.
type fixture struct {
	*osktest.People
	t       testing.TB
	ctx     context.Context
	db      *dbtest.DB
	clock   *clock.Adjustable
	log     *audit.Log
	auth    *auth.Service
	svc     *members.Service
	board   auth.Principal
	auditor auth.Principal
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: context.Background(), db: dbtest.New(t), clock: &clock.Adjustable{}}
	f.log = audit.New(f.clock)
	f.auth = auth.NewService(f.db.DB, f.log, f.clock)
	f.svc = members.NewService(f.db.DB, f.log, f.clock, f.auth, members.Config{BaseURL: "https://osk.example.org"})
	f.People = osktest.NewPeople(t, f.auth, f.svc)
	f.board = f.Person("Board Member", auth.RoleBoard)
	f.auditor = f.Person("Auditor", auth.RoleAuditor)
	return f
}

// applicant makes a person who has applied as an individual.
func (f *fixture) applicant(name string) (auth.Principal, members.Member) {
	f.t.Helper()
	p := f.Person(name)
	m, err := f.svc.Apply(f.ctx, p, osktest.Individual(p))
	if err != nil {
		f.t.Fatal(err)
	}
	return p, m
}

// suspended makes a suspended member.
func (f *fixture) suspended(name string) (auth.Principal, members.Member) {
	f.t.Helper()
	p, m := f.Member(name)
	m, err := f.svc.Suspend(f.ctx, f.board, m.ID, "Did not answer the board's letters.")
	if err != nil {
		f.t.Fatal(err)
	}
	return p, m
}

func (f *fixture) events(subject string) []audit.Entry {
	f.t.Helper()
	es, err := audit.List(f.ctx, f.db, audit.Filter{Subject: subject, Limit: audit.MaxListLimit})
	if err != nil {
		f.t.Fatal(err)
	}
	return es
}

func (f *fixture) lastEvent(subject string) audit.Entry {
	f.t.Helper()
	es := f.events(subject)
	if len(es) == 0 {
		f.t.Fatalf("no audit event for %s", subject)
	}
	return es[len(es)-1]
}

func (f *fixture) mailTo(address string) []mail.Sent {
	f.t.Helper()
	all, err := mail.List(f.ctx, f.db, 500)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []mail.Sent
	for _, m := range all {
		if m.To == address {
			out = append(out, m)
		}
	}
	return out
}

func subjectOf(m members.Member) string { return fmt.Sprintf("member:%d", m.ID) }

func ptr[T any](v T) *T { return &v }
