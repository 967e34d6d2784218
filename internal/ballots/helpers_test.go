package ballots_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/dbtest"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/osktest"
	"github.com/citizen-network/osk/internal/rules"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// fixture is a running Osk with a board, an auditor, an admin and a chair
// who is a member.
type fixture struct {
	t       testing.TB
	ctx     context.Context
	inst    *osktest.Instance
	svc     *ballots.Service
	board   auth.Principal
	board2  auth.Principal
	auditor auth.Principal
	admin   auth.Principal
	// The board members who keep and check every meeting's minutes.
	secretary, checker auth.Principal
	n                  int

	// decided records the hook's calls, by ballot id.
	mu      sync.Mutex
	decided map[int64]ballots.Result
	subject int64
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	return fixtureOn(t, osktest.Start(t, osktest.Options{}))
}

func fixtureOn(t testing.TB, inst *osktest.Instance) *fixture {
	f := &fixture{t: t, ctx: context.Background(), inst: inst, svc: inst.Server.Ballots, decided: map[int64]ballots.Result{}, subject: 1000}
	f.hook(inst)
	f.board = f.person("Board Member", auth.RoleBoard)
	f.board2 = f.person("Second Board Member", auth.RoleBoard)
	f.auditor = f.person("Auditor", auth.RoleAuditor)
	f.admin = f.person("Admin", auth.RoleAdmin)
	f.secretary = f.person("Meeting Secretary", auth.RoleBoard)
	f.checker = f.person("Minute Checker", auth.RoleBoard)
	return f
}

// hook stands in for the motions and the elections on an instance: the
// ballots of these tests are on made-up motions and elections.
func (f *fixture) hook(inst *osktest.Instance) {
	decided := func(ctx context.Context, tx *sqlx.Tx, b ballots.Ballot, r ballots.Result) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		if _, twice := f.decided[b.ID]; twice {
			return fmt.Errorf("ballot %d decided twice", b.ID)
		}
		f.decided[b.ID] = r
		return nil
	}
	inst.Server.Ballots.OnDecided(ballots.KindMotion, decided)
	inst.Server.Ballots.OnDecided(ballots.KindElection, decided)
	inst.Server.Ballots.OnDescribe(ballots.KindMotion, func(ctx context.Context, id int64) (ballots.Subject, error) {
		return ballots.Subject{Title: fmt.Sprintf("Test motion %d", id)}, nil
	})
	inst.Server.Ballots.OnDescribe(ballots.KindElection, func(ctx context.Context, id int64) (ballots.Subject, error) {
		return ballots.Subject{Title: fmt.Sprintf("Test election %d", id)}, nil
	})
	inst.Server.Ballots.OnNames(func(ctx context.Context, q sqlx.QueryerContext, electionID int64, ids []int64) (map[int64]string, error) {
		out := make(map[int64]string, len(ids))
		for _, id := range ids {
			out[id] = fmt.Sprintf("Candidate %d", id)
		}
		return out, nil
	})
}

// using makes t the test that the fixture's helpers fail, for a subtest
// on a fixture its parent made; the returned func gives the parent back.
func (f *fixture) using(t testing.TB) (restore func()) {
	parent := f.t
	f.t = t
	return func() { f.t = parent }
}

func (f *fixture) decidedResult(id int64) (ballots.Result, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.decided[id]
	return r, ok
}

// person makes an account with the given roles and returns its principal.
func (f *fixture) person(name string, roles ...string) auth.Principal {
	f.t.Helper()
	f.n++
	email := fmt.Sprintf("%s-%d@example.org", strings.ToLower(strings.ReplaceAll(name, " ", ".")), f.n)
	acc, err := f.inst.Server.Auth.CreateAccount(f.ctx, auth.Operator, email, name)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, r := range roles {
		if err := f.inst.Server.Auth.Grant(f.ctx, auth.Operator, acc.ID, r); err != nil {
			f.t.Fatal(err)
		}
	}
	p, err := f.inst.Server.Auth.Principal(f.ctx, acc.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *fixture) apply(p auth.Principal, kind, name string) members.Member {
	f.t.Helper()
	email := p.Email
	if kind == members.KindOrganisation {
		email = "office@" + strings.ToLower(strings.ReplaceAll(name, " ", "")) + ".example.org"
	}
	m, err := f.inst.Server.Members.Apply(f.ctx, p, members.Application{Kind: kind, Name: name, Email: email, Country: "FI", AcceptRules: true})
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

func (f *fixture) admitMember(m members.Member) members.Member {
	f.t.Helper()
	m, err := f.inst.Server.Members.Admit(f.ctx, f.board, m.ID, members.Admission{})
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

// member makes an active individual member.
func (f *fixture) member(name string) (auth.Principal, members.Member) {
	f.t.Helper()
	p := f.person(name)
	return p, f.admitMember(f.apply(p, members.KindIndividual, p.Name))
}

// organisation makes an active organisation represented by p.
func (f *fixture) organisation(p auth.Principal, name string) members.Member {
	f.t.Helper()
	return f.admitMember(f.apply(p, members.KindOrganisation, name))
}

func (f *fixture) now() time.Time { return f.inst.Clock.Now() }

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// convened drafts and convenes a meeting two weeks from now.
func (f *fixture) convened() meetings.Meeting {
	f.t.Helper()
	return f.convenedWith(nil)
}

// convenedWith is convened with a quorum rule of the meeting's own.
func (f *fixture) convenedWith(quorum *meetings.QuorumRule) meetings.Meeting {
	f.t.Helper()
	start := f.now().Add(14 * 24 * time.Hour).Truncate(time.Minute)
	svc := f.inst.Server.Meetings
	m, err := svc.Create(f.ctx, f.board, meetings.Draft{
		Kind: meetings.KindExtraordinary, Title: "Extraordinary general meeting", StartsAt: rfc(start), EndsAt: rfc(start.Add(3 * time.Hour)),
		TimeZone: "Europe/Helsinki", Location: "Kaisaniemenkatu 1, Helsinki", RemoteAllowed: true, OnlineURL: "https://meet.example.org/osk",
		Agenda: []meetings.ItemInput{{Title: "Opening of the meeting"}, {Title: "Closing of the meeting"}}, Quorum: quorum,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	if m, err = svc.Convene(f.ctx, f.board, m.ID); err != nil {
		f.t.Fatal(err)
	}
	return m
}

// withChair appoints the chair of a convened meeting, with the
// fixture's secretary and minute checker, so that its session may close.
func (f *fixture) withChair(m meetings.Meeting, chair auth.Principal) {
	f.t.Helper()
	officers := meetings.Officers{ChairAccountID: &chair.AccountID, SecretaryAccountID: &f.secretary.AccountID,
		CheckerAccountIDs: []int64{f.checker.AccountID}}
	if _, err := f.inst.Server.Meetings.SetOfficers(f.ctx, f.board, m.ID, officers); err != nil {
		f.t.Fatal(err)
	}
}

// open moves the clock to half an hour before the meeting and opens its
// session.
func (f *fixture) open(m meetings.Meeting, chair auth.Principal) meetings.Meeting {
	f.t.Helper()
	f.inst.Clock.Set(m.StartsAt.Add(-30 * time.Minute))
	m, err := f.inst.Server.Meetings.Open(f.ctx, chair, m.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

// inSession convenes a meeting chaired by chair and opens its session.
func (f *fixture) inSession(chair auth.Principal) meetings.Meeting {
	f.t.Helper()
	m := f.convened()
	f.withChair(m, chair)
	return f.open(m, chair)
}

func (f *fixture) attend(p auth.Principal, meetingID int64, member *int64) {
	f.t.Helper()
	if _, _, err := f.inst.Server.Meetings.Attend(f.ctx, p, meetingID, meetings.AttendInput{Mode: meetings.ModeInPerson, MemberID: member}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) proxy(grantor auth.Principal, meetingID, holder int64) meetings.Proxy {
	f.t.Helper()
	px, err := f.inst.Server.Meetings.GrantProxy(f.ctx, grantor, meetingID, meetings.ProxyInput{HolderMemberID: holder})
	if err != nil {
		f.t.Fatal(err)
	}
	return px
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

// tryOpen opens a ballot on a new made-up motion.
func (f *fixture) tryOpen(p auth.Principal, spec ballots.OpenSpec) (ballots.Ballot, error) {
	if spec.Kind == "" {
		spec.Kind = ballots.KindMotion
	}
	if spec.SubjectID == 0 {
		f.mu.Lock()
		f.subject++
		spec.SubjectID = f.subject
		f.mu.Unlock()
	}
	if spec.Majority == "" && spec.Kind == ballots.KindMotion {
		spec.Majority = ballots.MajoritySimple
	}
	var out ballots.Ballot
	err := db.WithTx(f.ctx, f.inst.DB.DB, func(tx *sqlx.Tx) error {
		var err error
		out, err = f.svc.Open(f.ctx, tx, p, spec)
		return err
	})
	return out, err
}

func (f *fixture) openBallot(p auth.Principal, spec ballots.OpenSpec) ballots.Ballot {
	f.t.Helper()
	b, err := f.tryOpen(p, spec)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

func (f *fixture) vote(p auth.Principal, ballotID int64, choice string, onBehalfOf *int64) ballots.Cast {
	f.t.Helper()
	return f.cast(p, ballotID, ballots.VoteInput{Choice: choice}, onBehalfOf)
}

// cast votes in, a motion's choice or an election's candidates.
func (f *fixture) cast(p auth.Principal, ballotID int64, in ballots.VoteInput, onBehalfOf *int64) ballots.Cast {
	f.t.Helper()
	in.OnBehalfOf = onBehalfOf
	c, err := f.svc.Vote(f.ctx, p, ballotID, in)
	if err != nil {
		f.t.Fatal(err)
	}
	if c.Receipt == "" {
		f.t.Fatal("a vote without a receipt")
	}
	return c
}

// question is a kind of question a ballot asks. The guarantees of one
// member, one vote and of the secret ballot are proven on each of
// questions: a motion's ballot and an election's are one mechanism, and
// the tests show it.
type question struct {
	name string
	kind string
	// answers are the votes voters give, in turn.
	answers []ballots.VoteInput
	// secrets are how the answers read in a row of the database: nothing
	// but the votes themselves may hold them, beside the rows that state
	// the question or its count (stated).
	secrets []string
	stated  func(table string, row map[string]any) bool
}

// testCandidates are the made-up candidates of the made-up elections:
// numbers that no other row holds by chance, so that the secret-ballot
// scan can look for them.
var testCandidates = []int64{917770003101, 917770003102, 917770003103}

var questions = []question{
	{
		name: "motion", kind: ballots.KindMotion,
		answers: []ballots.VoteInput{{Choice: ballots.ChoiceFor}, {Choice: ballots.ChoiceAgainst}, {Choice: ballots.ChoiceAbstain}},
		secrets: []string{ballots.ChoiceFor, ballots.ChoiceAgainst, ballots.ChoiceAbstain},
		stated:  func(string, map[string]any) bool { return false },
	},
	{
		name: "election", kind: ballots.KindElection,
		answers: []ballots.VoteInput{
			{Candidates: []int64{testCandidates[0]}},
			{Candidates: []int64{testCandidates[0], testCandidates[1]}},
			{Candidates: []int64{testCandidates[2], testCandidates[1]}},
			{Candidates: []int64{}},
		},
		secrets: []string{"917770003101", "917770003102", "917770003103"},
		// The candidates are named by the ballot (its question and its
		// result), by the audit events that open and count it, and by the
		// live events that publish its result.
		stated: func(table string, row map[string]any) bool {
			switch table {
			case "ballots":
				return true
			case "audit_events":
				return slices.Contains([]any{"ballot.opened", "ballot.closed", "ballot.decided"}, row["action"])
			case "live_events":
				data, _ := row["data"].(map[string]any)
				return row["name"] == "ballot" && data != nil && slices.Contains([]any{"closed", "decided"}, data["change"])
			}
			return false
		},
	},
}

// spec is a ballot of this kind at the meeting: an election has two seats
// and the test candidates.
func (q question) spec(meetingID int64, secret bool) ballots.OpenSpec {
	s := ballots.OpenSpec{MeetingID: meetingID, Kind: q.kind, Secret: secret}
	if q.kind == ballots.KindElection {
		s.Seats, s.CandidateIDs = 2, testCandidates
	}
	return s
}

// answer is the i-th voter's answer.
func (q question) answer(i int) ballots.VoteInput { return q.answers[i%len(q.answers)] }

// body is an answer as the JSON API takes it.
func (q question) body(in ballots.VoteInput) map[string]any {
	if q.kind == ballots.KindElection {
		return map[string]any{"candidates": in.Candidates}
	}
	return map[string]any{"choice": in.Choice}
}

// marks say what a vote adds to the count: a motion's choice, or each
// candidate an election's vote marks, "blank" for none; in one order
// whatever the order of marking.
func marks(choice string, candidates []int64, election bool) string {
	if !election {
		return choice
	}
	if len(candidates) == 0 {
		return "blank"
	}
	out := make([]string, len(candidates))
	for i, id := range candidates {
		out[i] = strconv.FormatInt(id, 10)
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

// tally counts the marks of votes as a result counts them.
func tally(votes []string) map[string]int {
	out := map[string]int{}
	for _, v := range votes {
		for m := range strings.FieldsSeq(v) {
			out[m]++
		}
	}
	return out
}

// counted is a result as tally counts: what each mark received.
func counted(r ballots.Result) map[string]int {
	out := map[string]int{}
	add := func(mark string, n int) {
		if n > 0 {
			out[mark] = n
		}
	}
	if e := r.Election; e != nil {
		add("blank", e.Blank)
		for _, c := range e.Candidates {
			add(strconv.FormatInt(c.ID, 10), c.Votes)
		}
		return out
	}
	add(ballots.ChoiceFor, r.For)
	add(ballots.ChoiceAgainst, r.Against)
	add(ballots.ChoiceAbstain, r.Abstain)
	return out
}

func (f *fixture) close(chair auth.Principal, id int64) ballots.Ballot {
	f.t.Helper()
	b, err := f.svc.Close(f.ctx, chair, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

func (f *fixture) events(subject string) []audit.Entry {
	f.t.Helper()
	es, err := audit.List(f.ctx, f.inst.DB, audit.Filter{Subject: subject, Limit: audit.MaxListLimit})
	if err != nil {
		f.t.Fatal(err)
	}
	return es
}

// count counts rows with a query.
func (f *fixture) count(query string, args ...any) int {
	f.t.Helper()
	return f.inst.DB.Count(f.t, query, args...)
}

// client signs p in on a browser-like client.
func (f *fixture) client(p auth.Principal) *osktest.Client {
	f.t.Helper()
	c := f.inst.Client(f.t)
	c.SignIn(p.Email, p.Name)
	c.Get("/account")
	return c
}

// tokenClient is an API client with a personal access token of p.
func (f *fixture) tokenClient(inst *osktest.Instance, p auth.Principal) *osktest.Client {
	f.t.Helper()
	raw, _, err := f.inst.Server.Auth.CreateToken(f.ctx, auth.Operator, p.AccountID, "votes", 0)
	if err != nil {
		f.t.Fatal(err)
	}
	c := inst.Client(f.t)
	c.Token = raw
	return c
}

func ballotSubject(id int64) string { return fmt.Sprintf("ballot:%d", id) }

// wantKind fails unless err is of the kind.
func wantKind(t testing.TB, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("error %v, want kind %v", err, kind)
	}
}

func wantFields(t testing.TB, err error, fields ...string) {
	t.Helper()
	var v *errs.Validation
	if !errors.As(err, &v) {
		t.Fatalf("error %v, want a validation of %v", err, fields)
	}
	got := map[string]bool{}
	for _, fe := range v.Fields {
		got[fe.Field] = true
	}
	for _, fl := range fields {
		if !got[fl] {
			t.Errorf("no message for %s in %v", fl, v.Fields)
		}
	}
}

func ptr[T any](v T) *T { return &v }
