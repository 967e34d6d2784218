package members_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/clock"
	"github.com/citizen-network/osk/internal/dbtest"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/mail"
	"github.com/citizen-network/osk/internal/members"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// fixture is the register's service over a fresh database, with a board
// member and an auditor.
type fixture struct {
	t       testing.TB
	ctx     context.Context
	db      *dbtest.DB
	clock   *clock.Adjustable
	log     *audit.Log
	auth    *auth.Service
	svc     *members.Service
	board   auth.Principal
	auditor auth.Principal
	n       int
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: context.Background(), db: dbtest.New(t), clock: &clock.Adjustable{}}
	f.log = audit.New(f.clock)
	f.auth = auth.NewService(f.db.DB, f.log, f.clock)
	f.svc = members.NewService(f.db.DB, f.log, f.clock, f.auth, members.Config{BaseURL: "https://osk.example.org"})
	f.board = f.person("Board Member", auth.RoleBoard)
	f.auditor = f.person("Auditor", auth.RoleAuditor)
	return f
}

// person makes an account with the given roles and returns its principal.
func (f *fixture) person(name string, roles ...string) auth.Principal {
	f.t.Helper()
	f.n++
	email := fmt.Sprintf("%s-%d@example.org", strings.ToLower(strings.ReplaceAll(name, " ", ".")), f.n)
	acc, err := f.auth.CreateAccount(f.ctx, auth.Operator, email, name)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, r := range roles {
		if err := f.auth.Grant(f.ctx, auth.Operator, acc.ID, r); err != nil {
			f.t.Fatal(err)
		}
	}
	p, err := f.auth.Principal(f.ctx, acc.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func individual(p auth.Principal) members.Application {
	return members.Application{Kind: members.KindIndividual, Name: p.Name, Email: p.Email, Country: "FI", AcceptRules: true}
}

// applicant makes a person who has applied as an individual.
func (f *fixture) applicant(name string) (auth.Principal, members.Member) {
	f.t.Helper()
	p := f.person(name)
	m, err := f.svc.Apply(f.ctx, p, individual(p))
	if err != nil {
		f.t.Fatal(err)
	}
	return p, m
}

// active makes an admitted individual member.
func (f *fixture) active(name string) (auth.Principal, members.Member) {
	f.t.Helper()
	p, m := f.applicant(name)
	m, err := f.svc.Admit(f.ctx, f.board, m.ID, members.Admission{})
	if err != nil {
		f.t.Fatal(err)
	}
	return p, m
}

// suspended makes a suspended member.
func (f *fixture) suspended(name string) (auth.Principal, members.Member) {
	f.t.Helper()
	p, m := f.active(name)
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

// wantKind fails unless err is of the kind.
func wantKind(t testing.TB, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("error %v, want kind %v", err, kind)
	}
}

// wantFields fails unless err is a validation naming exactly these fields.
func wantFields(t testing.TB, err error, fields ...string) {
	t.Helper()
	var v *errs.Validation
	if !errors.As(err, &v) {
		t.Fatalf("error %v, want a validation of %v", err, fields)
	}
	got := map[string]bool{}
	for _, f := range v.Fields {
		got[f.Field] = true
	}
	for _, f := range fields {
		if !got[f] {
			t.Errorf("no message for %s in %v", f, v.Fields)
		}
		delete(got, f)
	}
	for f := range got {
		t.Errorf("unexpected message for %s in %v", f, v.Fields)
	}
}

func ptr[T any](v T) *T { return &v }
