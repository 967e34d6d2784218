package members_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/osktest"
)

func TestApply_RecordsAnApplicantWithHistoryMailAndAudit(t *testing.T) {
	f := newFixture(t)
	p := f.Person("Amara Okafor")
	a := osktest.Individual(p)
	a.Country = "ng"
	a.Address = "12 Marina Road\nLagos"
	a.Statement = "I coordinate peer support groups."
	m, err := f.svc.Apply(f.ctx, p, a)
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != members.StatusApplicant || m.MemberNo != nil || m.Country != "NG" || m.Kind != members.KindIndividual {
		t.Errorf("applicant %+v", m)
	}
	if m.AccountID == nil || *m.AccountID != p.AccountID || m.RepresentativeAccountID != nil {
		t.Errorf("account %v, representative %v", m.AccountID, m.RepresentativeAccountID)
	}
	if m.ShareDue != "0.00" || m.SharePaid != "0.00" || m.ShareCurrency != "EUR" {
		t.Errorf("share %s/%s %s", m.ShareDue, m.SharePaid, m.ShareCurrency)
	}
	ev := f.lastEvent(subjectOf(m))
	if ev.Action != "member.applied" || ev.ActorAccountID == nil || *ev.ActorAccountID != p.AccountID {
		t.Errorf("event %+v", ev)
	}
	if strings.Contains(string(ev.Payload), "Amara") || strings.Contains(string(ev.Payload), "@") {
		t.Errorf("the audit payload carries personal data: %s", ev.Payload)
	}
	if got := f.mailTo(p.Email); len(got) != 1 || !strings.Contains(got[0].Subject, "received your application") {
		t.Errorf("mail to the applicant: %+v", got)
	}
	h, err := f.svc.History(f.ctx, p, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Statuses) != 1 || h.Statuses[0].Status != members.StatusApplicant {
		t.Errorf("status history %+v", h.Statuses)
	}
}

func TestApply_NeedsSomeoneSignedIn(t *testing.T) {
	f := newFixture(t)
	_, err := f.svc.Apply(f.ctx, auth.Principal{}, members.Application{Kind: "individual", Name: "X", Email: "x@example.org", Country: "FI", AcceptRules: true})
	osktest.WantKind(t, err, errs.Unauthenticated)
}

func TestApply_RefusesADuplicateApplication(t *testing.T) {
	f := newFixture(t)
	p, _ := f.applicant("Kwame Mensah")
	_, err := f.svc.Apply(f.ctx, p, osktest.Individual(p))
	osktest.WantKind(t, err, errs.Conflict)

	// The same person may apply for an organisation, once.
	org := members.Application{Kind: members.KindOrganisation, Name: "Inclusion North", Email: "office@inclusionnorth.example.org", Country: "GB", AcceptRules: true}
	if _, err := f.svc.Apply(f.ctx, p, org); err != nil {
		t.Fatal(err)
	}
	other := f.Person("Someone Else")
	for i, lookalike := range []string{"INCLUSION NORTH", "Inclusion\u00a0North", " Inclusion \u2028 North"} {
		org.Name, org.Email = lookalike, fmt.Sprintf("office%d@north.example.org", i)
		_, err = f.svc.Apply(f.ctx, other, org)
		osktest.WantKind(t, err, errs.Conflict)
	}

	// An active member cannot apply again either.
	q, _ := f.Member("Leila Haddad")
	_, err = f.svc.Apply(f.ctx, q, osktest.Individual(q))
	osktest.WantKind(t, err, errs.Conflict)
}

func TestApply_KeepsWhatRealNamesAndTextsAreWrittenWith(t *testing.T) {
	f := newFixture(t)
	p := f.Person("Mohammad Reza")
	a := osktest.Individual(p)
	// A Persian name spelled with a zero-width non-joiner, and a statement
	// with a soft hyphen and right-to-left marks.
	a.Name = "محمد\u200cرضا Rezaei"
	a.Statement = "Co\u00adoperation matters. \u200fمرحبا\u200f"
	got, err := f.svc.Apply(f.ctx, p, a)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != a.Name || got.Statement != a.Statement {
		t.Errorf("stored %q, %q; want %q, %q", got.Name, got.Statement, a.Name, a.Statement)
	}
}

func TestApply_AfterResigningOneMayApplyAgain(t *testing.T) {
	f := newFixture(t)
	p, m := f.Member("Jonas Berg")
	if _, err := f.svc.Resign(f.ctx, p, m.ID, members.Resignation{}); err != nil {
		t.Fatal(err)
	}
	again, err := f.svc.Apply(f.ctx, p, osktest.Individual(p))
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.IndividualOf(f.ctx, p.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	if got == nil || got.ID != again.ID {
		t.Errorf("IndividualOf = %v, want the new application %d", got, again.ID)
	}
}

func TestApply_RefusesInvalidFieldsNamingEachField(t *testing.T) {
	f := newFixture(t)
	p := f.Person("Ana Lima")
	cases := []struct {
		name   string
		change func(a *members.Application)
		fields []string
	}{
		{"empty name", func(a *members.Application) { a.Name = "  " }, []string{"name"}},
		{"500-character name", func(a *members.Application) { a.Name = strings.Repeat("n", 500) }, []string{"name"}},
		{"name on two lines", func(a *members.Application) { a.Name = "Ana\nLima" }, []string{"name"}},
		{"invisible name", func(a *members.Application) { a.Name = "\u200b\u200b" }, []string{"name"}},
		{"name of punctuation", func(a *members.Application) { a.Name = "..." }, []string{"name"}},
		{"name printed backwards", func(a *members.Application) { a.Name = "Ana \u202eLima" }, []string{"name"}},
		{"unknown country code", func(a *members.Application) { a.Country = "XX" }, []string{"country"}},
		{"country name", func(a *members.Application) { a.Country = "Finland" }, []string{"country"}},
		{"three-letter code", func(a *members.Application) { a.Country = "FIN" }, []string{"country"}},
		{"empty country", func(a *members.Application) { a.Country = "" }, []string{"country"}},
		{"malformed email", func(a *members.Application) { a.Email = "ana.lima@" }, []string{"email"}},
		{"email without domain dot", func(a *members.Application) { a.Email = "ana@localhost" }, []string{"email"}},
		{"rules not accepted", func(a *members.Application) { a.AcceptRules = false }, []string{"accept_rules"}},
		{"unknown kind", func(a *members.Application) { a.Kind = "family" }, []string{"kind"}},
		{"organisation number of a person", func(a *members.Application) { a.OrganisationNumber = "1234567-8" }, []string{"organisation_number"}},
		{"long statement", func(a *members.Application) { a.Statement = strings.Repeat("s", 2001) }, []string{"statement"}},
		{"everything wrong", func(a *members.Application) {
			*a = members.Application{Name: strings.Repeat("x", 500), Email: "nope", Country: "ZZ"}
		}, []string{"kind", "name", "email", "country", "accept_rules"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := osktest.Individual(p)
			tc.change(&a)
			_, err := f.svc.Apply(f.ctx, p, a)
			osktest.WantFields(t, err, tc.fields...)
		})
	}
	ms, err := f.svc.ActingFor(f.ctx, p.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 0 {
		t.Errorf("refused applications left %d rows", len(ms))
	}
}

func TestAdmit_GivesTheNextMemberNumberAndTellsTheApplicant(t *testing.T) {
	f := newFixture(t)
	_, first := f.Member("Priya Raman")
	p, m := f.applicant("Mateo García")
	m, err := f.svc.Admit(f.ctx, f.board, m.ID, members.Admission{Decision: "Board 2026/2 §4", ShareDue: "50"})
	if err != nil {
		t.Fatal(err)
	}
	if *first.MemberNo != 1 || m.MemberNo == nil || *m.MemberNo != 2 {
		t.Fatalf("member numbers %v and %v", first.MemberNo, m.MemberNo)
	}
	if m.Status != members.StatusActive || m.AdmittedAt == nil || m.ShareDue != "50.00" {
		t.Errorf("admitted %+v", m)
	}
	ev := f.lastEvent(subjectOf(m))
	var payload struct {
		MemberNo int    `json:"member_no"`
		Decision string `json:"decision"`
		ShareDue string `json:"share_due"`
	}
	if err := json.Unmarshal(ev.Payload, &payload); err != nil {
		t.Fatal(err)
	}
	if ev.Action != "member.admitted" || payload.MemberNo != 2 || payload.Decision != "Board 2026/2 §4" || payload.ShareDue != "50.00" {
		t.Errorf("event %s %s", ev.Action, ev.Payload)
	}
	if ev.ActorAccountID == nil || *ev.ActorAccountID != f.board.AccountID {
		t.Errorf("actor %v", ev.ActorAccountID)
	}
	got := f.mailTo(p.Email)
	if len(got) != 2 || !strings.Contains(got[0].Subject, "member number 2") || !strings.Contains(got[0].Body, "50.00 EUR") {
		t.Errorf("mail to the new member: %+v", got)
	}
}

func TestAdmit_TakesTheDefaultShareFromTheRules(t *testing.T) {
	f := newFixture(t)
	withRules := members.NewService(f.db.DB, f.log, f.clock, f.auth, members.Config{
		ShareDefault: func(context.Context) (string, string, error) { return "25.5", "EUR", nil },
	})
	_, m := f.applicant("Sione Tupou")
	m, err := withRules.Admit(f.ctx, f.board, m.ID, members.Admission{})
	if err != nil {
		t.Fatal(err)
	}
	if m.ShareDue != "25.50" {
		t.Errorf("share due %s, want 25.50", m.ShareDue)
	}
}

func TestAdmit_RefusesWhatIsNotAnApplication(t *testing.T) {
	f := newFixture(t)
	_, m := f.Member("Hana Sato")
	_, err := f.svc.Admit(f.ctx, f.board, m.ID, members.Admission{})
	osktest.WantKind(t, err, errs.Conflict)
	if !strings.Contains(errs.Message(err), "Only an applicant can be admitted; this member is active.") {
		t.Errorf("message %q", errs.Message(err))
	}
	_, err = f.svc.Admit(f.ctx, f.board, 999999, members.Admission{})
	osktest.WantKind(t, err, errs.NotFound)
	_, err = f.svc.Admit(f.ctx, f.board, m.ID, members.Admission{ShareDue: "-5"})
	osktest.WantFields(t, err, "share_due")
}

func TestAdmit_IsTheBoardsAlone(t *testing.T) {
	f := newFixture(t)
	_, m := f.applicant("Olga Petrova")
	member, _ := f.Member("Tomás Ruiz")
	admin := f.Person("Admin", auth.RoleAdmin)
	for name, p := range map[string]auth.Principal{"auditor": f.auditor, "member": member, "admin": admin} {
		_, err := f.svc.Admit(f.ctx, p, m.ID, members.Admission{})
		if !errors.Is(err, errs.Forbidden) {
			t.Errorf("%s: %v, want forbidden", name, err)
		}
	}
	_, err := f.svc.Admit(f.ctx, auth.Principal{}, m.ID, members.Admission{})
	osktest.WantKind(t, err, errs.Unauthenticated)
}

func TestAdmit_NoBoardMemberDecidesTheirOwnApplication(t *testing.T) {
	f := newFixture(t)
	m, err := f.svc.Apply(f.ctx, f.board, osktest.Individual(f.board))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Admit(f.ctx, f.board, m.ID, members.Admission{})
	osktest.WantKind(t, err, errs.Forbidden)
	other := f.Person("Second Board Member", auth.RoleBoard)
	if _, err := f.svc.Admit(f.ctx, other, m.ID, members.Admission{}); err != nil {
		t.Fatal(err)
	}
}

func TestAdmit_ConcurrentAdmissionsGetGaplessNumbers(t *testing.T) {
	f := newFixture(t)
	const n = 50
	ids := make([]int64, n)
	for i := range ids {
		_, m := f.applicant(fmt.Sprintf("Applicant %02d", i))
		ids[i] = m.ID
	}
	var wg sync.WaitGroup
	numbers := make([]int, n)
	errors := make([]error, n)
	start := make(chan struct{})
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			m, err := f.svc.Admit(f.ctx, f.board, id, members.Admission{})
			errors[i] = err
			if err == nil {
				numbers[i] = *m.MemberNo
			}
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errors {
		if err != nil {
			t.Fatalf("admission %d: %v", i, err)
		}
	}
	sort.Ints(numbers)
	for i, no := range numbers {
		if no != i+1 {
			t.Fatalf("member numbers %v: want 1..%d without gaps or duplicates", numbers, n)
		}
	}
	if count, err := f.svc.ActiveCount(f.ctx); err != nil || count != n {
		t.Errorf("ActiveCount = %d, %v", count, err)
	}
}

func TestAdmit_ARolledBackAdmissionGivesItsNumberBack(t *testing.T) {
	f := newFixture(t)
	_, a := f.applicant("First Applicant")
	_, b := f.applicant("Second Applicant")
	// An admission that fails after taking a number: its mail is refused
	// because the address was damaged in the database behind Osk's back.
	if _, err := f.db.Exec(`UPDATE members SET email = 'not an address' WHERE id = $1`, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Admit(f.ctx, f.board, a.ID, members.Admission{}); err == nil {
		t.Fatal("the admission with an unusable address succeeded")
	}
	m, err := f.svc.Admit(f.ctx, f.board, b.ID, members.Admission{})
	if err != nil {
		t.Fatal(err)
	}
	if *m.MemberNo != 1 {
		t.Errorf("member number %d after a rolled-back admission, want 1", *m.MemberNo)
	}
}

// TestTransitions tries every transition from every status: the life cycle
// of SPEC.md allows exactly the ones marked, and refuses the others with a
// conflict that leaves the member as they were.
func TestTransitions(t *testing.T) {
	f := newFixture(t)
	made := 0
	in := func(status string) (auth.Principal, members.Member) {
		made++
		name := fmt.Sprintf("In %s %d", status, made)
		switch status {
		case members.StatusApplicant:
			return f.applicant(name)
		case members.StatusActive:
			return f.Member(name)
		case members.StatusSuspended:
			return f.suspended(name)
		case members.StatusResigned:
			p, m := f.Member(name)
			m, err := f.svc.Resign(f.ctx, p, m.ID, members.Resignation{})
			if err != nil {
				t.Fatal(err)
			}
			return p, m
		case members.StatusExpelled:
			p, m := f.Member(name)
			m, err := f.svc.Expel(f.ctx, f.board, m.ID, "Acted against the co-op's purpose.")
			if err != nil {
				t.Fatal(err)
			}
			return p, m
		default:
			p, m := f.applicant(name)
			m, err := f.svc.Reject(f.ctx, f.board, m.ID, "Not eligible under the rules.")
			if err != nil {
				t.Fatal(err)
			}
			return p, m
		}
	}
	type transition func(p auth.Principal, id int64) (members.Member, error)
	moves := []struct {
		name    string
		to      string
		from    []string
		action  string
		perform transition
	}{
		{"admit", members.StatusActive, []string{"applicant"}, "member.admitted", func(_ auth.Principal, id int64) (members.Member, error) {
			return f.svc.Admit(f.ctx, f.board, id, members.Admission{})
		}},
		{"reject", members.StatusRejected, []string{"applicant"}, "member.rejected", func(_ auth.Principal, id int64) (members.Member, error) {
			return f.svc.Reject(f.ctx, f.board, id, "Not eligible.")
		}},
		{"suspend", members.StatusSuspended, []string{"active"}, "member.suspended", func(_ auth.Principal, id int64) (members.Member, error) {
			return f.svc.Suspend(f.ctx, f.board, id, "Pending an inquiry.")
		}},
		{"reinstate", members.StatusActive, []string{"suspended"}, "member.reinstated", func(_ auth.Principal, id int64) (members.Member, error) {
			return f.svc.Reinstate(f.ctx, f.board, id, "The inquiry found nothing.")
		}},
		{"expel", members.StatusExpelled, []string{"active", "suspended"}, "member.expelled", func(_ auth.Principal, id int64) (members.Member, error) {
			return f.svc.Expel(f.ctx, f.board, id, "Seriously harmed the co-op.")
		}},
		{"resign", members.StatusResigned, []string{"active", "suspended"}, "member.resigned", func(p auth.Principal, id int64) (members.Member, error) {
			return f.svc.Resign(f.ctx, p, id, members.Resignation{})
		}},
	}
	for _, mv := range moves {
		for _, from := range members.Statuses {
			t.Run(mv.name+" from "+from, func(t *testing.T) {
				p, m := in(from)
				before := len(f.events(subjectOf(m)))
				got, err := mv.perform(p, m.ID)
				after, getErr := f.svc.Get(f.ctx, m.ID)
				if getErr != nil {
					t.Fatal(getErr)
				}
				if !slices.Contains(mv.from, from) {
					osktest.WantKind(t, err, errs.Conflict)
					if after.Status != from || len(f.events(subjectOf(m))) != before {
						t.Errorf("a refused %s changed the member: %s, %d events", mv.name, after.Status, len(f.events(subjectOf(m))))
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if got.Status != mv.to || after.Status != mv.to {
					t.Errorf("status %s (stored %s), want %s", got.Status, after.Status, mv.to)
				}
				if ev := f.lastEvent(subjectOf(m)); ev.Action != mv.action {
					t.Errorf("audit action %s, want %s", ev.Action, mv.action)
				}
				h, err := f.svc.History(f.ctx, f.board, m.ID)
				if err != nil {
					t.Fatal(err)
				}
				if last := h.Statuses[len(h.Statuses)-1]; last.Status != mv.to {
					t.Errorf("last status history row %+v", last)
				}
				if (mv.to == members.StatusResigned || mv.to == members.StatusExpelled) != (after.LeftAt != nil) {
					t.Errorf("left_at %v after %s", after.LeftAt, mv.name)
				}
			})
		}
	}
}

func TestDecisions_NeedAReason(t *testing.T) {
	f := newFixture(t)
	_, applicant := f.applicant("Needs Reason")
	_, active := f.Member("Also Needs Reason")
	_, suspended := f.suspended("Suspended Needs Reason")
	for name, call := range map[string]func() error{
		"reject":    func() error { _, err := f.svc.Reject(f.ctx, f.board, applicant.ID, " "); return err },
		"suspend":   func() error { _, err := f.svc.Suspend(f.ctx, f.board, active.ID, ""); return err },
		"reinstate": func() error { _, err := f.svc.Reinstate(f.ctx, f.board, suspended.ID, ""); return err },
		"expel":     func() error { _, err := f.svc.Expel(f.ctx, f.board, active.ID, strings.Repeat("r", 2001)); return err },
	} {
		t.Run(name, func(t *testing.T) { osktest.WantFields(t, call(), "reason") })
	}
}

func TestDecisions_TellTheMemberWhy(t *testing.T) {
	f := newFixture(t)
	p, m := f.applicant("Told Why")
	if _, err := f.svc.Reject(f.ctx, f.board, m.ID, "The co-op admits residents of member countries only."); err != nil {
		t.Fatal(err)
	}
	got := f.mailTo(p.Email)
	if len(got) != 2 || !strings.Contains(got[0].Body, "residents of member countries only") {
		t.Errorf("mail %+v", got)
	}
}

func TestResign(t *testing.T) {
	f := newFixture(t)
	f.clock.Set(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))

	t.Run("the member resigns from now", func(t *testing.T) {
		p, m := f.Member("Resigns Now")
		got, err := f.svc.Resign(f.ctx, p, m.ID, members.Resignation{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != members.StatusResigned || got.LeftAt == nil || got.LeftAt.Sub(f.clock.Now()) > time.Second {
			t.Errorf("resigned %+v", got)
		}
		var payload struct {
			EffectiveOn string `json:"effective_on"`
			ByMember    bool   `json:"by_member"`
		}
		if err := json.Unmarshal(f.lastEvent(subjectOf(m)).Payload, &payload); err != nil {
			t.Fatal(err)
		}
		if payload.EffectiveOn != "2026-03-10" || !payload.ByMember {
			t.Errorf("payload %+v", payload)
		}
	})
	t.Run("the member cannot date it back or forward", func(t *testing.T) {
		p, m := f.Member("Backdates")
		_, err := f.svc.Resign(f.ctx, p, m.ID, members.Resignation{EffectiveOn: "2026-03-09"})
		osktest.WantFields(t, err, "effective_on")
		_, err = f.svc.Resign(f.ctx, p, m.ID, members.Resignation{EffectiveOn: "2026-03-11"})
		osktest.WantFields(t, err, "effective_on")
		_, err = f.svc.Resign(f.ctx, p, m.ID, members.Resignation{EffectiveOn: "10.3.2026"})
		osktest.WantFields(t, err, "effective_on")
		if _, err := f.svc.Resign(f.ctx, p, m.ID, members.Resignation{EffectiveOn: "2026-03-10"}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("the board records an earlier notice", func(t *testing.T) {
		f.clock.Set(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
		_, m := f.Member("Wrote In February")
		f.clock.Set(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
		got, err := f.svc.Resign(f.ctx, f.board, m.ID, members.Resignation{EffectiveOn: "2026-02-01"})
		if err != nil {
			t.Fatal(err)
		}
		want := time.Date(2026, 1, 31, 22, 0, 0, 0, time.UTC) // midnight in Helsinki
		if !got.LeftAt.Equal(want) {
			t.Errorf("left at %s, want %s", got.LeftAt, want)
		}
		active, err := f.svc.ActiveAt(f.ctx, m.ID, want.Add(-time.Minute))
		if err != nil || !active {
			t.Errorf("active just before the resignation: %v %v", active, err)
		}
		active, err = f.svc.ActiveAt(f.ctx, m.ID, want.Add(time.Minute))
		if err != nil || active {
			t.Errorf("active just after the resignation: %v %v", active, err)
		}
	})
	t.Run("a board member does not date back their own", func(t *testing.T) {
		f.clock.Set(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
		p, m := f.Member("Board Leaver", auth.RoleBoard)
		org := f.Organisation(p, "Leaving Together")
		f.clock.Set(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
		for _, id := range []int64{m.ID, org.ID} {
			_, err := f.svc.Resign(f.ctx, p, id, members.Resignation{EffectiveOn: "2026-02-01"})
			osktest.WantFields(t, err, "effective_on")
			if got, err := f.svc.Get(f.ctx, id); err != nil || got.Status != members.StatusActive {
				t.Errorf("member %d after the refusal: %+v %v", id, got, err)
			}
		}
		if _, err := f.svc.Resign(f.ctx, f.board, m.ID, members.Resignation{EffectiveOn: "2026-02-01"}); err != nil {
			t.Errorf("another board member records it: %v", err)
		}
	})
	t.Run("not before the last change of status", func(t *testing.T) {
		_, m := f.Member("Admitted Today")
		_, err := f.svc.Resign(f.ctx, f.board, m.ID, members.Resignation{EffectiveOn: "2026-03-01"})
		osktest.WantFields(t, err, "effective_on")
	})
	t.Run("others may not", func(t *testing.T) {
		_, m := f.Member("Stays")
		other, _ := f.Member("Meddles")
		_, err := f.svc.Resign(f.ctx, other, m.ID, members.Resignation{})
		osktest.WantKind(t, err, errs.NotFound)
		_, err = f.svc.Resign(f.ctx, f.auditor, m.ID, members.Resignation{})
		osktest.WantKind(t, err, errs.Forbidden)
		_, err = f.svc.Resign(f.ctx, auth.Principal{}, m.ID, members.Resignation{})
		osktest.WantKind(t, err, errs.Unauthenticated)
	})
}

func TestGetAs_MembersSeeOnlyThemselves(t *testing.T) {
	f := newFixture(t)
	p, m := f.Member("Sees Self")
	other, _ := f.Member("Curious")
	if got, err := f.svc.GetAs(f.ctx, p, m.ID); err != nil || got.ID != m.ID {
		t.Errorf("own record: %v", err)
	}
	_, err := f.svc.GetAs(f.ctx, other, m.ID)
	osktest.WantKind(t, err, errs.NotFound)
	for _, q := range []auth.Principal{f.board, f.auditor} {
		if _, err := f.svc.GetAs(f.ctx, q, m.ID); err != nil {
			t.Errorf("%v: %v", q.Roles, err)
		}
	}
	_, err = f.svc.GetAs(f.ctx, auth.Principal{}, m.ID)
	osktest.WantKind(t, err, errs.Unauthenticated)
	_, err = f.svc.History(f.ctx, other, m.ID)
	osktest.WantKind(t, err, errs.NotFound)
}

func TestStatusHistory_AnswersWhoWasActiveWhen(t *testing.T) {
	f := newFixture(t)
	t0 := time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)
	f.clock.Set(t0)
	p, m := f.applicant("Timeline")
	f.clock.Set(t0.Add(24 * time.Hour))
	if _, err := f.svc.Admit(f.ctx, f.board, m.ID, members.Admission{}); err != nil {
		t.Fatal(err)
	}
	_, steady := f.Member("Steady")
	f.clock.Set(t0.Add(10 * 24 * time.Hour))
	if _, err := f.svc.Suspend(f.ctx, f.board, m.ID, "Inquiry."); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(t0.Add(20 * 24 * time.Hour))
	if _, err := f.svc.Reinstate(f.ctx, f.board, m.ID, "Cleared."); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(t0.Add(30 * 24 * time.Hour))
	if _, err := f.svc.Resign(f.ctx, p, m.ID, members.Resignation{}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		day    int
		status string
	}{{0, "applicant"}, {5, "active"}, {15, "suspended"}, {25, "active"}, {35, "resigned"}} {
		at := t0.Add(time.Duration(c.day)*24*time.Hour + time.Hour)
		got, err := f.svc.StatusAt(f.ctx, m.ID, at)
		if err != nil || got != c.status {
			t.Errorf("day %d: %q %v, want %q", c.day, got, err, c.status)
		}
		active, err := f.svc.ActiveAt(f.ctx, m.ID, at)
		if err != nil || active != (c.status == "active") {
			t.Errorf("day %d: active %v %v", c.day, active, err)
		}
	}
	if got, _ := f.svc.StatusAt(f.ctx, m.ID, t0.Add(-time.Hour)); got != "" {
		t.Errorf("status before the application: %q", got)
	}
	ids, err := f.svc.ActiveIDsAt(f.ctx, t0.Add(15*24*time.Hour))
	if err != nil || !slices.Equal(ids, []int64{steady.ID}) {
		t.Errorf("active on day 15: %v %v, want only %d", ids, err, steady.ID)
	}
	ids, err = f.svc.ActiveIDsAt(f.ctx, t0.Add(25*24*time.Hour))
	if err != nil || !slices.Equal(ids, []int64{m.ID, steady.ID}) {
		t.Errorf("active on day 25: %v %v", ids, err)
	}
	n, err := f.svc.ActiveCount(f.ctx)
	if err != nil || n != 1 {
		t.Errorf("ActiveCount %d %v", n, err)
	}
	all, err := f.svc.ActiveMembers(f.ctx)
	if err != nil || len(all) != 1 || all[0].ID != steady.ID || all[0].Email == "" || all[0].MemberNo != 2 {
		t.Errorf("ActiveMembers %+v %v", all, err)
	}
	if got := f.svc.DayStart(2025, time.June, 1); !got.Equal(time.Date(2025, 5, 31, 21, 0, 0, 0, time.UTC)) {
		t.Errorf("DayStart = %s", got)
	}
}

func TestUpdateContact(t *testing.T) {
	f := newFixture(t)
	p, m := f.Member("Moves House")
	oldEmail := m.Email
	got, err := f.svc.UpdateContact(f.ctx, p, m.ID, members.ContactChange{
		Email: ptr("new.address@example.net"), Address: ptr("Hämeentie 1\n00530 Helsinki"), Name: ptr(m.Name),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Email != "new.address@example.net" || got.Address != "Hämeentie 1\n00530 Helsinki" {
		t.Errorf("updated %+v", got)
	}
	ev := f.lastEvent(subjectOf(m))
	if ev.Action != "member.contact_changed" || string(ev.Payload) != `{"by_member":true,"fields":["email","address"]}` {
		t.Errorf("event %s %s", ev.Action, ev.Payload)
	}
	if len(f.mailTo("new.address@example.net")) != 1 || len(f.mailTo(oldEmail)) != 3 {
		t.Errorf("mail to the new and old address: %d, %d", len(f.mailTo("new.address@example.net")), len(f.mailTo(oldEmail)))
	}

	// Nothing changed, nothing recorded.
	before := len(f.events(subjectOf(m)))
	if _, err := f.svc.UpdateContact(f.ctx, p, m.ID, members.ContactChange{Email: ptr("NEW.address@example.net")}); err != nil {
		t.Fatal(err)
	}
	if len(f.events(subjectOf(m))) != before {
		t.Error("an unchanged contact was audited")
	}

	_, err = f.svc.UpdateContact(f.ctx, p, m.ID, members.ContactChange{Email: ptr("broken"), Country: ptr("QQ"), Name: ptr("")})
	osktest.WantFields(t, err, "email", "country", "name")

	other, _ := f.Member("Not Them")
	_, err = f.svc.UpdateContact(f.ctx, other, m.ID, members.ContactChange{Address: ptr("x")})
	osktest.WantKind(t, err, errs.NotFound)
	_, err = f.svc.UpdateContact(f.ctx, f.auditor, m.ID, members.ContactChange{Address: ptr("x")})
	osktest.WantKind(t, err, errs.Forbidden)
	if _, err := f.svc.UpdateContact(f.ctx, f.board, m.ID, members.ContactChange{Country: ptr("se")}); err != nil {
		t.Fatal(err)
	}

	// A name stored before the rules on names blocks no other change.
	if _, err := f.db.Exec(`UPDATE members SET name = $2 WHERE id = $1`, m.ID, "Moves\u200bHouse"); err != nil {
		t.Fatal(err)
	}
	got, err = f.svc.UpdateContact(f.ctx, p, m.ID, members.ContactChange{Name: ptr("Moves\u200bHouse"), Country: ptr("EE")})
	if err != nil || got.Country != "EE" || got.Name != "Moves\u200bHouse" {
		t.Errorf("change of country with an old name: %+v %v", got, err)
	}

	// A name stays on one line, whatever space was typed.
	got, err = f.svc.UpdateContact(f.ctx, p, m.ID, members.ContactChange{Name: ptr("Moves\u2028House\u00a0Again ")})
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Moves House Again" {
		t.Errorf("name %q", got.Name)
	}
}

func TestUpdateContact_RefusesTheNameOfAnotherOrganisation(t *testing.T) {
	f := newFixture(t)
	apply := func(name, country string) (auth.Principal, members.Member) {
		p := f.Person("Representative of " + name)
		m, err := f.svc.Apply(f.ctx, p, members.Application{
			Kind: members.KindOrganisation, Name: name, Email: "office@example.org", Country: country, AcceptRules: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		return p, m
	}
	apply("Synerga", "FI")
	p, m := apply("Org One", "GB")
	before := len(f.events(subjectOf(m)))

	_, err := f.svc.UpdateContact(f.ctx, p, m.ID, members.ContactChange{Name: ptr("SYNERGA"), Country: ptr("FI")})
	osktest.WantKind(t, err, errs.Conflict)
	if _, err := f.svc.UpdateContact(f.ctx, f.board, m.ID, members.ContactChange{Country: ptr("FI")}); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.UpdateContact(f.ctx, f.board, m.ID, members.ContactChange{Name: ptr("Synerga")})
	osktest.WantKind(t, err, errs.Conflict)
	got, _ := f.svc.Get(f.ctx, m.ID)
	if got.Name != "Org One" || got.Country != "FI" || len(f.events(subjectOf(m))) != before+1 {
		t.Errorf("after the refusals: %q in %s, %d events", got.Name, got.Country, len(f.events(subjectOf(m)))-before)
	}
	// Its own name in another case is no clash.
	if _, err := f.svc.UpdateContact(f.ctx, p, m.ID, members.ContactChange{Name: ptr("ORG ONE")}); err != nil {
		t.Fatal(err)
	}
}

func TestChangeRepresentative(t *testing.T) {
	f := newFixture(t)
	first := f.Person("First Representative")
	org, err := f.svc.Apply(f.ctx, first, members.Application{
		Kind: members.KindOrganisation, Name: "Manawanui", Email: "kia.ora@manawanui.example.org", Country: "NZ",
		OrganisationNumber: "NZBN 9429", AcceptRules: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if org.RepresentativeAccountID == nil || *org.RepresentativeAccountID != first.AccountID {
		t.Fatalf("representative %v", org.RepresentativeAccountID)
	}
	second := f.Person("Second Representative")
	got, err := f.svc.ChangeRepresentative(f.ctx, f.board, org.ID, members.Representative{Email: second.Email})
	if err != nil {
		t.Fatal(err)
	}
	if *got.RepresentativeAccountID != second.AccountID {
		t.Errorf("representative %d", *got.RepresentativeAccountID)
	}
	if ev := f.lastEvent(subjectOf(org)); ev.Action != "member.representative_changed" ||
		string(ev.Payload) != fmt.Sprintf(`{"from_account_id":%d,"to_account_id":%d}`, first.AccountID, second.AccountID) {
		t.Errorf("event %s %s", ev.Action, ev.Payload)
	}
	if ms, _ := f.svc.ActingFor(f.ctx, second.AccountID); len(ms) != 1 || ms[0].ID != org.ID {
		t.Errorf("the new representative acts for %v", ms)
	}
	if ms, _ := f.svc.ActingFor(f.ctx, first.AccountID); len(ms) != 0 {
		t.Errorf("the old representative still acts for %v", ms)
	}

	_, err = f.svc.ChangeRepresentative(f.ctx, f.board, org.ID, members.Representative{Email: second.Email})
	osktest.WantKind(t, err, errs.Conflict)
	_, err = f.svc.ChangeRepresentative(f.ctx, f.board, org.ID, members.Representative{Email: "nobody@example.org"})
	osktest.WantFields(t, err, "email")
	_, err = f.svc.ChangeRepresentative(f.ctx, f.board, org.ID, members.Representative{})
	osktest.WantFields(t, err, "email")
	_, err = f.svc.ChangeRepresentative(f.ctx, f.auditor, org.ID, members.Representative{Email: first.Email})
	osktest.WantKind(t, err, errs.Forbidden)
	_, person := f.Member("Individual")
	_, err = f.svc.ChangeRepresentative(f.ctx, f.board, person.ID, members.Representative{AccountID: first.AccountID})
	osktest.WantKind(t, err, errs.Conflict)

	// Both representatives hear of it, not only the organisation's office.
	if ms := f.mailTo(second.Email); len(ms) != 1 || !strings.Contains(ms[0].Subject, "You now represent Manawanui") {
		t.Errorf("mail to the new representative: %+v", ms)
	}
	if ms := f.mailTo(first.Email); len(ms) == 0 || !strings.Contains(ms[len(ms)-1].Subject, "You no longer represent Manawanui") ||
		!strings.Contains(ms[len(ms)-1].Body, "Second Representative") {
		t.Errorf("mail to the old representative: %+v", ms)
	}
}

func TestChangeRepresentative_BoardMemberCannotAppointThemself(t *testing.T) {
	f := newFixture(t)
	rep := f.Person("Representative")
	org, err := f.svc.Apply(f.ctx, rep, members.Application{
		Kind: members.KindOrganisation, Name: "Synerga", Email: "office@synerga.example.org", Country: "FI", AcceptRules: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.ChangeRepresentative(f.ctx, f.board, org.ID, members.Representative{Email: f.board.Email})
	osktest.WantKind(t, err, errs.Forbidden)
	if got, _ := f.svc.Get(f.ctx, org.ID); *got.RepresentativeAccountID != rep.AccountID {
		t.Errorf("representative %d", *got.RepresentativeAccountID)
	}
	other := f.Person("Other Board Member", auth.RoleBoard)
	if _, err := f.svc.ChangeRepresentative(f.ctx, other, org.ID, members.Representative{Email: f.board.Email}); err != nil {
		t.Fatal(err)
	}
}

func TestShareContributions(t *testing.T) {
	f := newFixture(t)
	f.clock.Set(time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC))
	p, m := f.applicant("Pays In")
	m, err := f.svc.Admit(f.ctx, f.board, m.ID, members.Admission{ShareDue: "100.00"})
	if err != nil {
		t.Fatal(err)
	}
	pay, err := f.svc.RecordShare(f.ctx, f.board, m.ID, members.ShareEntry{Amount: "60", PaidOn: "2026-03-30", Note: "Bank ref 1234"})
	if err != nil {
		t.Fatal(err)
	}
	if pay.Kind != members.ShareKindPayment || pay.Amount != "60.00" || pay.PaidOn != "2026-03-30" {
		t.Errorf("payment %+v", pay)
	}
	if _, err := f.svc.RecordShare(f.ctx, f.board, m.ID, members.ShareEntry{Amount: "40.00", PaidOn: "2026-04-01"}); err != nil {
		t.Fatal(err)
	}
	got, _ := f.svc.Get(f.ctx, m.ID)
	if got.SharePaid != "100.00" || got.SharePaidOn == nil || *got.SharePaidOn != "2026-04-01" {
		t.Errorf("paid %s on %v", got.SharePaid, got.SharePaidOn)
	}
	if ev := f.lastEvent(subjectOf(m)); ev.Action != "member.share_paid" ||
		!strings.Contains(string(ev.Payload), `"amount":"40.00"`) {
		t.Errorf("event %s %s", ev.Action, ev.Payload)
	}
	if len(f.mailTo(p.Email)) != 4 {
		t.Errorf("mails: %d", len(f.mailTo(p.Email)))
	}

	_, err = f.svc.RecordShare(f.ctx, f.board, m.ID, members.ShareEntry{Kind: "refund", Amount: "100.01", PaidOn: "2026-04-01"})
	osktest.WantKind(t, err, errs.Conflict)
	_, err = f.svc.RecordShare(f.ctx, f.board, m.ID, members.ShareEntry{Kind: "gift", Amount: "0", PaidOn: "2026-04-02"})
	osktest.WantFields(t, err, "kind", "amount", "paid_on")
	_, err = f.svc.RecordShare(f.ctx, f.board, m.ID, members.ShareEntry{Amount: "1.234", PaidOn: "yesterday"})
	osktest.WantFields(t, err, "amount", "paid_on")
	_, err = f.svc.RecordShare(f.ctx, f.board, m.ID, members.ShareEntry{Amount: "1", PaidOn: "0000-06-01"})
	osktest.WantFields(t, err, "paid_on")
	_, err = f.svc.RecordShare(f.ctx, f.board, m.ID, members.ShareEntry{Amount: "1", PaidOn: "1899-12-31"})
	osktest.WantFields(t, err, "paid_on")
	// Each amount fits the register, and so must the total.
	_, err = f.svc.RecordShare(f.ctx, f.board, m.ID, members.ShareEntry{Amount: "9999999999.99", PaidOn: "2026-04-01"})
	osktest.WantFields(t, err, "amount")
	_, err = f.svc.RecordShare(f.ctx, f.auditor, m.ID, members.ShareEntry{Amount: "1", PaidOn: "2026-04-01"})
	osktest.WantKind(t, err, errs.Forbidden)
	_, err = f.svc.RecordShare(f.ctx, p, m.ID, members.ShareEntry{Amount: "1", PaidOn: "2026-04-01"})
	osktest.WantKind(t, err, errs.Forbidden)

	if _, err := f.svc.RecordShare(f.ctx, f.board, m.ID, members.ShareEntry{Kind: "refund", Amount: "30", PaidOn: "2026-04-01"}); err != nil {
		t.Fatal(err)
	}
	got, _ = f.svc.Get(f.ctx, m.ID)
	if got.SharePaid != "70.00" {
		t.Errorf("paid after a refund: %s", got.SharePaid)
	}

	got, err = f.svc.SetShareDue(f.ctx, f.board, m.ID, "75.5")
	if err != nil || got.ShareDue != "75.50" {
		t.Errorf("share due %s %v", got.ShareDue, err)
	}
	_, err = f.svc.SetShareDue(f.ctx, f.board, m.ID, "lots")
	osktest.WantFields(t, err, "amount")
	h, err := f.svc.History(f.ctx, f.board, m.ID)
	if err != nil || len(h.Payments) != 3 {
		t.Errorf("payments in the history: %+v %v", h.Payments, err)
	}
}

func TestErase_LeavesATombstone(t *testing.T) {
	f := newFixture(t)
	p, m := f.Member("Wants Forgetting")
	_, err := f.svc.Erase(f.ctx, f.board, m.ID)
	osktest.WantKind(t, err, errs.Conflict)

	if _, err := f.svc.RecordShare(f.ctx, f.board, m.ID, members.ShareEntry{Amount: "10", PaidOn: f.clock.Now().Format("2006-01-02")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Resign(f.ctx, p, m.ID, members.Resignation{}); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Erase(f.ctx, f.board, m.ID)
	osktest.WantKind(t, err, errs.Conflict) // the share is still held
	if _, err := f.svc.RecordShare(f.ctx, f.board, m.ID, members.ShareEntry{Kind: "refund", Amount: "10", PaidOn: f.clock.Now().Format("2006-01-02")}); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Erase(f.ctx, f.auditor, m.ID)
	osktest.WantKind(t, err, errs.Forbidden)

	got, err := f.svc.Erase(f.ctx, f.board, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Erased() || got.Name != "" || got.Email != "" || got.Address != "" || got.AccountID != nil {
		t.Errorf("tombstone %+v", got)
	}
	if got.MemberNo == nil || *got.MemberNo != *m.MemberNo || got.Status != members.StatusResigned || got.LeftAt == nil {
		t.Errorf("the tombstone lost the record: %+v", got)
	}
	h, err := f.svc.History(f.ctx, f.auditor, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Statuses) != 3 || len(h.Payments) != 2 {
		t.Errorf("history kept %d statuses and %d payments", len(h.Statuses), len(h.Payments))
	}
	for _, e := range h.Events {
		if strings.Contains(string(e.Payload), "Wants Forgetting") || strings.Contains(string(e.Payload), p.Email) {
			t.Errorf("event %s keeps personal data: %s", e.Action, e.Payload)
		}
	}
	if h.Events[len(h.Events)-1].Action != "member.erased" {
		t.Errorf("last event %s", h.Events[len(h.Events)-1].Action)
	}
	// The person no longer finds it: the link to the account is gone.
	_, err = f.svc.GetAs(f.ctx, p, m.ID)
	osktest.WantKind(t, err, errs.NotFound)
	_, err = f.svc.Erase(f.ctx, f.board, m.ID)
	osktest.WantKind(t, err, errs.Conflict)
	_, err = f.svc.UpdateContact(f.ctx, f.board, m.ID, members.ContactChange{Name: ptr("Back Again")})
	osktest.WantKind(t, err, errs.Conflict)

	// The database refuses to forget the row or renumber it.
	if _, err := f.db.Exec(`DELETE FROM members WHERE id = $1`, m.ID); err == nil {
		t.Error("a register row was deleted")
	}
	if _, err := f.db.Exec(`UPDATE members SET member_no = 99 WHERE id = $1`, m.ID); err == nil {
		t.Error("a member number was changed")
	}
}

func TestList_SearchesFiltersAndPages(t *testing.T) {
	f := newFixture(t)
	_, a := f.Member("Aroha Ngata")
	_, b := f.Member("Bongani Dlamini")
	_, c := f.suspended("Chen Wei")
	org := f.Person("Representative")
	o, err := f.svc.Apply(f.ctx, org, members.Application{Kind: "organisation", Name: "Avivo Wellbeing", Email: "hello@avivo.example.org", Country: "AU", AcceptRules: true})
	if err != nil {
		t.Fatal(err)
	}
	_, d := f.applicant("Dagny Solberg")

	ids := func(items []members.Member) []int64 {
		out := []int64{}
		for _, m := range items {
			out = append(out, m.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		filter members.ListFilter
		want   []int64
	}{
		{"everyone, by member number then applicants", members.ListFilter{}, []int64{a.ID, b.ID, c.ID, o.ID, d.ID}},
		{"part of a name", members.ListFilter{Q: "ngat"}, []int64{a.ID}},
		{"any case", members.ListFilter{Q: "CHEN"}, []int64{c.ID}},
		{"part of an email", members.ListFilter{Q: "avivo.example"}, []int64{o.ID}},
		{"member number", members.ListFilter{Q: "2"}, []int64{b.ID}},
		{"member number with #", members.ListFilter{Q: "#3"}, []int64{c.ID}},
		{"a LIKE wildcard is literal", members.ListFilter{Q: "%"}, []int64{}},
		{"a number beyond any member number", members.ListFilter{Q: "99999999999"}, []int64{}},
		{"status", members.ListFilter{Status: "applicant"}, []int64{o.ID, d.ID}},
		{"kind", members.ListFilter{Kind: "organisation"}, []int64{o.ID}},
		{"status and kind", members.ListFilter{Status: "applicant", Kind: "individual"}, []int64{d.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, err := f.svc.List(f.ctx, f.auditor, tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(page.Items), tc.want) || page.NextCursor != nil {
				t.Errorf("got %v (next %v), want %v", ids(page.Items), page.NextCursor, tc.want)
			}
		})
	}

	t.Run("keyset pages cover everyone once", func(t *testing.T) {
		var seen []int64
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatal("too many pages")
			}
			page, err := f.svc.List(f.ctx, f.board, members.ListFilter{Limit: 2, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			seen = append(seen, ids(page.Items)...)
			if page.NextCursor == nil {
				break
			}
			cursor = *page.NextCursor
		}
		if !slices.Equal(seen, []int64{a.ID, b.ID, c.ID, o.ID, d.ID}) {
			t.Errorf("pages gave %v", seen)
		}
	})
	t.Run("invalid filters name their field", func(t *testing.T) {
		_, err := f.svc.List(f.ctx, f.board, members.ListFilter{Status: "dead", Kind: "robot", Cursor: "!!", Limit: -1, Q: strings.Repeat("q", 201)})
		osktest.WantFields(t, err, "status", "kind", "cursor", "limit", "q")
		forged := base64.RawURLEncoding.EncodeToString([]byte("99999999999.1"))
		_, err = f.svc.List(f.ctx, f.board, members.ListFilter{Cursor: forged, Q: "a\x00b"})
		osktest.WantFields(t, err, "cursor", "q")
	})
	t.Run("only the board and auditors", func(t *testing.T) {
		p, _ := f.Member("Just A Member")
		_, err := f.svc.List(f.ctx, p, members.ListFilter{})
		osktest.WantKind(t, err, errs.Forbidden)
		_, err = f.svc.Counts(f.ctx, p)
		osktest.WantKind(t, err, errs.Forbidden)
	})
	counts, err := f.svc.Counts(f.ctx, f.board)
	if err != nil || counts["active"] != 3 || counts["applicant"] != 2 || counts["suspended"] != 1 || counts["expelled"] != 0 {
		t.Errorf("counts %v %v", counts, err)
	}
}
