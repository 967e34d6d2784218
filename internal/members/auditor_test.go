package members_test

import (
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/lib/pq"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/osktest"
)

// An auditor reads everything and changes nothing (SPEC.md), so no route
// lets an auditor act for a member: not by applying, not by being made an
// organisation's representative, and a member's account is not made an
// auditor either.
func TestAuditor_ActsForNoMember(t *testing.T) {
	f := newFixture(t)

	_, err := f.svc.Apply(f.ctx, f.auditor, osktest.Individual(f.auditor))
	osktest.WantKind(t, err, errs.Conflict)
	rep, _ := f.Member("Representative")
	org := f.Organisation(rep, "Access Works")
	_, err = f.svc.ChangeRepresentative(f.ctx, f.board, org.ID, members.Representative{Email: f.auditor.Email})
	osktest.WantFields(t, err, "email")
	if got, _ := f.svc.Get(f.ctx, org.ID); got.AccountID == nil || *got.AccountID != rep.AccountID {
		t.Fatalf("the refused change moved the representative: %+v", got.AccountID)
	}
	var applied int
	if err := f.db.Get(&applied, `SELECT count(*) FROM members WHERE account_id = $1`, f.auditor.AccountID); err != nil || applied != 0 {
		t.Fatalf("the auditor acts for %d members (%v)", applied, err)
	}

	applicant, _ := f.applicant("Applicant")
	for _, who := range []auth.Principal{applicant, rep} {
		osktest.WantKind(t, f.auth.Grant(f.ctx, auth.Operator, who.AccountID, auth.RoleAuditor), errs.Conflict)
		if p, _ := f.auth.Principal(f.ctx, who.AccountID); p.Has(auth.RoleAuditor) {
			t.Fatalf("%s acts for a member and was made an auditor", who.Name)
		}
	}
	// A former member's account may audit.
	former, m := f.Member("Former Member")
	if _, err := f.svc.Resign(f.ctx, former, m.ID, members.Resignation{}); err != nil {
		t.Fatal(err)
	}
	if err := f.auth.Grant(f.ctx, auth.Operator, former.AccountID, auth.RoleAuditor); err != nil {
		t.Fatalf("a former member's account cannot audit: %v", err)
	}

	// The schema holds the rule for any writer.
	for _, write := range []string{
		`UPDATE members SET account_id = ` + strconv.FormatInt(f.auditor.AccountID, 10) + ` WHERE id = ` + strconv.FormatInt(org.ID, 10),
		`INSERT INTO account_roles (account_id, role, granted_at) VALUES (` + strconv.FormatInt(rep.AccountID, 10) + `, 'auditor', now())`,
	} {
		_, err := f.db.Exec(write)
		var pqErr *pq.Error
		if !errors.As(err, &pqErr) || pqErr.Constraint != auth.AuditorIndependent {
			t.Errorf("%s: %v, want the auditor_independent rule", write, err)
		}
	}
}

// A grant of the auditor role and an application by the same account,
// at the same moment, never both succeed.
func TestAuditor_GrantAndApplicationRacingNeverBothLand(t *testing.T) {
	f := newFixture(t)
	for i := range 25 {
		p := f.Person("Racer " + strconv.Itoa(i))
		var grantErr, applyErr error
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			grantErr = f.auth.Grant(f.ctx, auth.Operator, p.AccountID, auth.RoleAuditor)
		}()
		go func() {
			defer wg.Done()
			<-start
			_, applyErr = f.svc.Apply(f.ctx, p, osktest.Individual(p))
		}()
		close(start)
		wg.Wait()
		if grantErr == nil && applyErr == nil {
			t.Fatalf("racer %d became an auditor and an applicant", i)
		}
		for _, err := range []error{grantErr, applyErr} {
			if err != nil && !errors.Is(err, errs.Conflict) {
				t.Fatalf("racer %d: %v, want a conflict", i, err)
			}
		}
	}
}
