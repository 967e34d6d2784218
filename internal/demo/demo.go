// Package demo fills an empty development database with a believable
// co-op, through the domain services, so that every row has its audit
// event: about sixty members from many countries, individuals and
// organisations, admitted over the years since the co-op was registered
// on 26 October 2020, with their share contributions; a few applications
// waiting for the board; one member who resigned and one suspended; a
// board of five, an auditor and an admin; last year's annual meeting with
// its sealed minutes, and the next meeting, convened, with a board
// election taking nominations. Everyone has an account made in
// advance, which they claim by signing in through the development provider
// with its email address.
//
// The history is laid out in time: Seed runs the services on a clock of
// its own, moved to the moment of each event, oldest first.
//
// To add demo data for another domain, give world the service it needs
// and add a step to Seed's list; a step runs after the ones before it,
// at the present of the demo unless it moves the clock.
package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/clock"
	"github.com/citizen-network/osk/internal/elections"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/minutes"
	"github.com/citizen-network/osk/internal/rules"
)

// Options adjust the demo.
type Options struct {
	// BaseURL is where the development Osk is served, for the links in
	// the emails the demo's events send.
	BaseURL string
	// Now is the present of the demo; the history is laid out before it.
	// Zero means the wall clock.
	Now time.Time
}

// Logins are the emails to sign in with through the development provider.
type Logins struct {
	Member  string // an active individual member
	Board   string // the chair of the board, also a member
	Auditor string
}

// ShareDue is the share contribution of the demo's members.
const ShareDue = "50.00"

// founded is when the co-op was registered.
var founded = time.Date(2020, 10, 26, 10, 0, 0, 0, time.UTC)

// world is the demo under construction: the services, the demo's clock
// and the people made so far.
type world struct {
	ctx       context.Context
	clock     *clock.Adjustable
	now       time.Time
	rand      *rand.Rand
	auth      *auth.Service
	members   *members.Service
	rules     *rules.Service
	meetings  *meetings.Service
	minutes   *minutes.Service
	elections *elections.Service

	board    []auth.Principal
	auditor  auth.Principal
	admin    auth.Principal
	accounts map[string]auth.Principal // by name
	ids      map[string]int64          // member ids, by name
	// decisions counts the board's decisions, for their references.
	decisions int
	// later are events of other domains, run in order of time with the
	// register's.
	later []event
}

// Seed fills an empty database with the demo co-op and returns the emails
// to sign in with. It refuses a database that has any audit event, that is
// one in which anything has happened.
func Seed(ctx context.Context, conn *sqlx.DB, opts Options) (Logins, error) {
	seq, _, err := audit.Head(ctx, conn)
	if err != nil {
		return Logins{}, fmt.Errorf("demo: %w", err)
	}
	if seq > 0 {
		return Logins{}, fmt.Errorf("demo: the database is not empty (its audit log has %d events); seed only a new development database", seq)
	}
	now := opts.Now
	if now.IsZero() {
		now = clock.Real{}.Now()
	}
	if now.Before(founded.AddDate(1, 0, 0)) {
		return Logins{}, fmt.Errorf("demo: the present %s is too close to the co-op's founding for its history", now.Format(time.DateOnly))
	}
	w := &world{
		ctx:      ctx,
		clock:    &clock.Adjustable{},
		now:      now,
		rand:     rand.New(rand.NewPCG(2020, 1026)),
		accounts: map[string]auth.Principal{},
		ids:      map[string]int64{},
	}
	log := audit.New(w.clock)
	w.auth = auth.NewService(conn, log, w.clock)
	w.members = members.NewService(conn, log, w.clock, w.auth, members.Config{BaseURL: opts.BaseURL})
	w.rules = rules.NewService(conn, log, w.clock)
	w.meetings = meetings.NewService(conn, log, w.clock, w.rules, w.members, w.auth, meetings.Config{BaseURL: opts.BaseURL})
	// The demo holds no ballots, so its minutes need no record of them;
	// its election takes nominations and is not put to the vote.
	w.minutes = minutes.NewService(conn, log, w.clock, w.rules, w.members, w.meetings, w.auth, nil, minutes.Config{BaseURL: opts.BaseURL})
	ballotsSvc := ballots.NewService(conn, log, w.clock, w.rules, w.members, w.meetings, nil)
	w.elections = elections.NewService(conn, log, w.clock, w.members, w.meetings, ballotsSvc, elections.Config{BaseURL: opts.BaseURL})

	for _, step := range []func() error{w.officers, w.planMeetings, w.register} {
		if err := step(); err != nil {
			return Logins{}, fmt.Errorf("demo: %w", err)
		}
	}
	return Logins{
		Member:  email(individuals[0].name),
		Board:   w.board[0].Email,
		Auditor: w.auditor.Email,
	}, nil
}

// plainLetters spells the letters of the demo's names without their
// marks, for email addresses.
var plainLetters = strings.NewReplacer(
	"ä", "a", "å", "a", "á", "a", "à", "a", "â", "a", "ã", "a", "ā", "a",
	"é", "e", "è", "e", "ê", "e", "ë", "e", "ē", "e",
	"í", "i", "ì", "i", "î", "i", "ï", "i", "ı", "i", "ī", "i",
	"ö", "o", "ó", "o", "ò", "o", "ô", "o", "õ", "o", "ø", "o", "ō", "o",
	"ú", "u", "ù", "u", "û", "u", "ü", "u", "ū", "u",
	"ñ", "n", "ç", "c", "ć", "c", "č", "c", "š", "s", "ş", "s", "ž", "z", "ğ", "g", "ł", "l",
)

// email makes a person's address from their name: "Ana Lúcia Ferreira"
// is ana.lucia.ferreira@example.org.
func email(name string) string {
	var b strings.Builder
	for _, r := range plainLetters.Replace(strings.ToLower(name)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-':
			b.WriteRune('.')
		}
	}
	return b.String() + "@example.org"
}

func orgEmail(name string) string {
	local := strings.TrimSuffix(email(name), "@example.org")
	return "office@" + strings.ReplaceAll(local, ".", "-") + ".example.org"
}

// at moves the demo's clock to t.
func (w *world) at(t time.Time) { w.clock.Set(t) }

// account makes a person's account in advance and returns its principal.
func (w *world) account(p person, roles ...string) (auth.Principal, error) {
	acc, err := w.auth.CreateAccount(w.ctx, auth.Operator, email(p.name), p.name)
	if err != nil {
		return auth.Principal{}, fmt.Errorf("account of %s: %w", p.name, err)
	}
	for _, r := range roles {
		if err := w.auth.Grant(w.ctx, auth.Operator, acc.ID, r); err != nil {
			return auth.Principal{}, fmt.Errorf("role of %s: %w", p.name, err)
		}
	}
	pr, err := w.auth.Principal(w.ctx, acc.ID)
	if err != nil {
		return auth.Principal{}, err
	}
	w.accounts[p.name] = pr
	return pr, nil
}

// officers makes the admin, the auditor and the board's accounts, a week
// before the co-op's registration.
func (w *world) officers() error {
	w.at(founded.AddDate(0, 0, -7))
	var err error
	if w.admin, err = w.account(adminPerson, auth.RoleAdmin); err != nil {
		return err
	}
	if w.auditor, err = w.account(auditorPerson, auth.RoleAuditor); err != nil {
		return err
	}
	// The rules set the share every member pays, as the register records.
	r := rules.Defaults()
	r.ShareContribution = rules.Money{Amount: ShareDue, Currency: "EUR"}
	if _, err := w.rules.Update(w.ctx, w.admin, r); err != nil {
		return err
	}
	for _, p := range boardPeople {
		b, err := w.account(p, auth.RoleBoard)
		if err != nil {
			return err
		}
		w.board = append(w.board, b)
	}
	return nil
}

// event is one thing that happens to the register, at its time.
type event struct {
	at time.Time
	do func() error
}

// register lays out the register's history and runs it in order of time.
func (w *world) register() error {
	var events []event
	add := func(at time.Time, do func() error) { events = append(events, event{at, do}) }

	// The founders apply on the day of registration and admit each other
	// at the founding meeting that evening.
	for i, p := range boardPeople {
		applied := founded.Add(time.Duration(i) * 10 * time.Minute)
		add(applied, func() error { return w.apply(w.board[i], p, members.KindIndividual, "", p.work) })
		admitter := w.board[(i+1)%len(w.board)]
		add(founded.Add(8*time.Hour+time.Duration(i)*time.Minute), func() error {
			return w.admit(admitter, p.name, "Founding meeting, 26 October 2020")
		})
		w.payLater(add, p.name, founded.Add(8*time.Hour), 3)
	}

	// Everyone else joins over the years, individuals and organisations
	// in turn.
	type joiner struct {
		rep  person
		org  *organisation
		name string
	}
	var joiners []joiner
	for i := 0; i < max(len(individuals), len(organisations)); i++ {
		if i < len(individuals) {
			joiners = append(joiners, joiner{rep: individuals[i], name: individuals[i].name})
		}
		if i < len(organisations) {
			o := organisations[i]
			joiners = append(joiners, joiner{rep: o.rep, org: &o, name: o.name})
		}
	}
	first, last := founded.AddDate(0, 0, 14), w.now.AddDate(0, 0, -60)
	span := last.Sub(first)
	for i, j := range joiners {
		applied := first.Add(span / time.Duration(len(joiners)) * time.Duration(i)).Add(w.jitter(48 * time.Hour))
		admitted := applied.Add(time.Duration(5+w.rand.IntN(20)) * 24 * time.Hour)
		admitter := w.board[i%len(w.board)]
		add(applied, func() error {
			rep, err := w.account(j.rep)
			if err != nil {
				return err
			}
			if j.org != nil {
				return w.apply(rep, person{j.org.name, j.org.country, j.org.city, j.org.work}, members.KindOrganisation, j.org.number, j.org.work)
			}
			return w.apply(rep, j.rep, members.KindIndividual, "", j.rep.work)
		})
		add(admitted, func() error { return w.admit(admitter, j.name, w.decision(admitted)) })
		if i%9 != 4 {
			w.payLater(add, j.name, admitted, 30)
		}
	}

	// Later changes, well after the people concerned joined.
	add(first.Add(span/10*6), func() error {
		next, err := w.account(newRepresentative)
		if err != nil {
			return err
		}
		_, err = w.members.ChangeRepresentative(w.ctx, w.board[3], w.ids[newRepresentativeOf], members.Representative{AccountID: next.AccountID})
		return err
	})
	add(first.Add(span/4*3), func() error {
		_, err := w.members.Resign(w.ctx, w.accounts[resignedName], w.ids[resignedName], members.Resignation{})
		return err
	})
	add(w.now.AddDate(0, 0, -45), func() error {
		_, err := w.members.Suspend(w.ctx, w.board[1], w.ids[suspendedName],
			"A complaint about conduct at a regional meeting is being looked into; the board will decide at its next meeting.")
		return err
	})

	// Applications still waiting for the board.
	for i, p := range applicants {
		add(w.now.AddDate(0, 0, -(18-5*i)), func() error {
			pr, err := w.account(p)
			if err != nil {
				return err
			}
			return w.apply(pr, p, members.KindIndividual, "", p.work)
		})
	}
	o := applicantOrganisation
	add(w.now.AddDate(0, 0, -2), func() error {
		pr, err := w.account(o.rep)
		if err != nil {
			return err
		}
		return w.apply(pr, person{o.name, o.country, o.city, o.work}, members.KindOrganisation, o.number, o.work)
	})

	events = append(events, w.later...)
	slices.SortStableFunc(events, func(a, b event) int { return a.at.Compare(b.at) })
	for _, e := range events {
		if !e.at.Before(w.now) {
			return fmt.Errorf("an event at %s is not in the past of %s", e.at, w.now)
		}
		w.at(e.at)
		if err := e.do(); err != nil {
			return err
		}
	}
	return nil
}

func (w *world) jitter(d time.Duration) time.Duration {
	return time.Duration(w.rand.Int64N(int64(d)))
}

// decision names the board meeting that admitted someone.
func (w *world) decision(at time.Time) string {
	w.decisions++
	return fmt.Sprintf("Board meeting %d/%d, item %d", at.Year(), int(at.Month()), 3+w.decisions%5)
}

// payLater records the share contribution paid within days of admission.
func (w *world) payLater(add func(time.Time, func() error), name string, admitted time.Time, days int) {
	paid := admitted.Add(time.Duration(1+w.rand.IntN(days)) * 24 * time.Hour)
	// The treasurer records payments, except their own: nobody on the
	// board decides their own case.
	treasurer := w.board[2]
	if treasurer.Name == name {
		treasurer = w.board[3]
	}
	add(paid, func() error {
		_, err := w.members.RecordShare(w.ctx, treasurer, w.ids[name], members.ShareEntry{
			Amount: ShareDue, PaidOn: paid.Format(time.DateOnly), Note: fmt.Sprintf("Bank transfer %d", 1000+w.ids[name]),
		})
		return err
	})
}

// apply sends an application: who is the applying person, as themself or
// for the organisation described by as.
func (w *world) apply(who auth.Principal, as person, kind, number, work string) error {
	contact := email(as.name)
	statement := fmt.Sprintf("I work on %s in %s and want to help the co-op grow.", work, as.city)
	if kind == members.KindOrganisation {
		contact = orgEmail(as.name)
		statement = fmt.Sprintf("%s works on %s. We share Citizen Network's aim of equal citizenship for all.", as.name, work)
	}
	m, err := w.members.Apply(w.ctx, who, members.Application{
		Kind: kind, Name: as.name, Email: contact, Country: as.country, Address: as.city,
		OrganisationNumber: number, Statement: statement, AcceptRules: true,
	})
	if err != nil {
		return fmt.Errorf("application of %s: %w", as.name, err)
	}
	w.ids[as.name] = m.ID
	return nil
}

func (w *world) admit(by auth.Principal, name, decision string) error {
	if _, err := w.members.Admit(w.ctx, by, w.ids[name], members.Admission{Decision: decision, ShareDue: ShareDue}); err != nil {
		return fmt.Errorf("admission of %s: %w", name, err)
	}
	return nil
}
