package members_test

import (
	"testing"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/osktest"
)

func TestCallerOf_NeedsSomeoneSignedIn(t *testing.T) {
	f := newFixture(t)
	_, err := f.svc.CallerOf(f.ctx, auth.Principal{})
	osktest.WantKind(t, err, errs.Unauthenticated)
}

func TestCallerOf_ActsForTheActiveMembersOfTheAccount(t *testing.T) {
	f := newFixture(t)
	p, own := f.Member("Aino Virtanen")
	org := f.Organisation(p, "Osuuskauppa Aino")
	suspendedRep, _ := f.suspended("Suspended Representative")
	f.Organisation(suspendedRep, "Still Active Oy")

	c, err := f.svc.CallerOf(f.ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Principal().AccountID != p.AccountID || c.Board() {
		t.Errorf("principal %+v, board %v", c.Principal(), c.Board())
	}
	acting := c.Acting()
	if len(acting) != 2 || acting[0].ID != own.ID || acting[1].ID != org.ID || !c.IsMember() {
		t.Fatalf("acting %v, member %v", acting, c.IsMember())
	}
	acting[0] = members.Member{}
	if got := c.Acting(); got[0].ID != own.ID {
		t.Errorf("changing what Acting returned changed the caller: %v", got)
	}
	if m, ok := c.ActsFor(org.ID); !ok || m.ID != org.ID {
		t.Errorf("acts for the organisation: %v %v", m.ID, ok)
	}

	// A suspended member's rights are not exercised; the organisation
	// they represent still is.
	c, err = f.svc.CallerOf(f.ctx, suspendedRep)
	if err != nil {
		t.Fatal(err)
	}
	if acting := c.Acting(); len(acting) != 1 || acting[0].Name != "Still Active Oy" {
		t.Errorf("the suspended member acts for %v", acting)
	}
}

func TestCaller_BoardWithoutMembership(t *testing.T) {
	f := newFixture(t)
	c, err := f.svc.CallerOf(f.ctx, f.board)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Board() || c.IsMember() || len(c.Acting()) != 0 {
		t.Errorf("board %v, member %v, acting %v", c.Board(), c.IsMember(), c.Acting())
	}
	if _, ok := c.Own(); ok {
		t.Error("someone acting for no member has an own membership")
	}
	_, err = c.ActingAs(nil, "second motions")
	osktest.WantKind(t, err, errs.Forbidden)
	if zero := (members.Caller{}); zero.IsMember() || zero.Board() {
		t.Error("the zero caller has rights")
	}
}

func TestCaller_OwnAndActingAs(t *testing.T) {
	f := newFixture(t)
	_, other := f.Member("Someone Else")

	individual, own := f.Member("Kalle Korhonen")
	hisOrg := f.Organisation(individual, "Korhonen Oy")
	oneRep := f.Person("One Representative")
	soleOrg := f.Organisation(oneRep, "Ainoa Oy")
	twoRep := f.Person("Two Representative")
	first := f.Organisation(twoRep, "Ensimmäinen Oy")
	second := f.Organisation(twoRep, "Toinen Oy")

	tests := []struct {
		name     string
		who      auth.Principal
		memberID *int64
		wantOwn  *members.Member
		want     *members.Member
		wantErr  error
		// wantFields is set when the caller must say whom they act as.
		wantFields []string
	}{
		{"an individual membership comes first", individual, nil, &own, &own, nil, nil},
		{"an organisation one names", individual, &hisOrg.ID, &own, &hisOrg, nil, nil},
		{"a member one does not act for", individual, &other.ID, &own, nil, errs.Forbidden, nil},
		{"the only organisation of a representative", oneRep, nil, &soleOrg, &soleOrg, nil, nil},
		{"several organisations and no choice", twoRep, nil, nil, nil, nil, []string{"member_id"}},
		{"one of several organisations", twoRep, &second.ID, nil, &second, nil, nil},
		{"the other of several organisations", twoRep, &first.ID, nil, &first, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := f.svc.CallerOf(f.ctx, tc.who)
			if err != nil {
				t.Fatal(err)
			}
			switch m, ok := c.Own(); {
			case tc.wantOwn == nil && ok:
				t.Errorf("own %d, want none", m.ID)
			case tc.wantOwn != nil && (!ok || m.ID != tc.wantOwn.ID):
				t.Errorf("own %d %v, want %d", m.ID, ok, tc.wantOwn.ID)
			}
			got, err := c.ActingAs(tc.memberID, "second motions")
			switch {
			case tc.wantErr != nil:
				osktest.WantKind(t, err, tc.wantErr)
			case tc.wantFields != nil:
				osktest.WantFields(t, err, tc.wantFields...)
			case err != nil:
				t.Fatal(err)
			case got.ID != tc.want.ID:
				t.Errorf("acting as %d, want %d", got.ID, tc.want.ID)
			}
		})
	}
}
