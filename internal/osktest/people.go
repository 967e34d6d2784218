package osktest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/members"
)

// People makes the accounts and members a test needs through the services,
// as the operator and the board would, so that every domain's tests start
// from a register reached by the register's own rules.
type People struct {
	t       testing.TB
	ctx     context.Context
	auth    *auth.Service
	members *members.Service
	// site is nil for People made on bare services; only clients need it.
	site *Instance
	// board holds the board members made here, in the order made: the
	// first one who does not act for an applicant admits them.
	board []auth.Principal
	n     int
}

// NewPeople makes people through these services. Its Client needs a
// running Osk: use Instance.People for that.
func NewPeople(t testing.TB, a *auth.Service, m *members.Service) *People {
	return &People{t: t, ctx: context.Background(), auth: a, members: m}
}

// People makes people on the instance's services.
func (i *Instance) People(t testing.TB) *People {
	p := NewPeople(t, i.Server.Auth, i.Server.Members)
	p.site = i
	return p
}

// Person makes an account with the given roles and returns its principal.
// The email is made of the name and a running number, so names may repeat.
func (p *People) Person(name string, roles ...string) auth.Principal {
	p.t.Helper()
	p.n++
	email := fmt.Sprintf("%s-%d@example.org", strings.ToLower(strings.ReplaceAll(name, " ", ".")), p.n)
	acc, err := p.auth.CreateAccount(p.ctx, auth.Operator, email, name)
	if err != nil {
		p.t.Fatal(err)
	}
	for _, r := range roles {
		if err := p.auth.Grant(p.ctx, auth.Operator, acc.ID, r); err != nil {
			p.t.Fatal(err)
		}
	}
	who, err := p.auth.Principal(p.ctx, acc.ID)
	if err != nil {
		p.t.Fatal(err)
	}
	if slices.Contains(roles, auth.RoleBoard) {
		p.board = append(p.board, who)
	}
	return who
}

// Admit makes who's application and has it admitted by the first board
// member made here who does not act for the applicant: the register
// refuses a board member's decision on a member they act for.
func (p *People) Admit(who auth.Principal, a members.Application) members.Member {
	p.t.Helper()
	m, err := p.members.Apply(p.ctx, who, a)
	if err != nil {
		p.t.Fatal(err)
	}
	i := slices.IndexFunc(p.board, func(b auth.Principal) bool { return !m.ActsFor(b.AccountID) })
	if i < 0 {
		p.t.Fatalf("osktest: no board member made by People can admit %q: make one with Person(name, auth.RoleBoard)", a.Name)
	}
	if m, err = p.members.Admit(p.ctx, p.board[i], m.ID, members.Admission{}); err != nil {
		p.t.Fatal(err)
	}
	return m
}

// Member makes an active individual member, with roles for their account.
func (p *People) Member(name string, roles ...string) (auth.Principal, members.Member) {
	p.t.Helper()
	who := p.Person(name, roles...)
	return who, p.Admit(who, Individual(who))
}

// Organisation makes an active organisation member represented by who.
func (p *People) Organisation(who auth.Principal, name string) members.Member {
	p.t.Helper()
	email := "office@" + strings.ToLower(strings.ReplaceAll(name, " ", "")) + ".example.org"
	return p.Admit(who, members.Application{Kind: members.KindOrganisation, Name: name, Email: email, Country: "FI", AcceptRules: true})
}

// Client signs who in on a browser-like client of the instance, which
// then holds the CSRF token of its session.
func (p *People) Client(who auth.Principal) *Client {
	p.t.Helper()
	if p.site == nil {
		p.t.Fatal("osktest: People made on bare services have no Osk to sign in to: use Instance.People")
	}
	c := p.site.Client(p.t)
	c.SignIn(who.Email, who.Name)
	c.Get("/account")
	return c
}

// Individual is who's application as an individual member in Finland.
func Individual(who auth.Principal) members.Application {
	return members.Application{Kind: members.KindIndividual, Name: who.Name, Email: who.Email, Country: "FI", AcceptRules: true}
}

// WantKind fails the test unless err is of the kind.
func WantKind(t testing.TB, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("error %v, want kind %v", err, kind)
	}
}

// WantFields fails the test unless err is a validation naming exactly
// these fields.
func WantFields(t testing.TB, err error, fields ...string) {
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
