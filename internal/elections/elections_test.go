package elections_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/dbtest"
	"github.com/citizen-network/osk/internal/elections"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/mail"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/osktest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// fixture is a running Osk with a board member, a chair and four members
// present at a meeting in session.
type fixture struct {
	*osktest.People
	t       *testing.T
	ctx     context.Context
	inst    *osktest.Instance
	svc     *elections.Service
	board   auth.Principal
	chair   auth.Principal
	voters  []auth.Principal
	members []members.Member
	meeting meetings.Meeting
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	inst := osktest.Start(t, osktest.Options{})
	f := &fixture{People: inst.People(t), t: t, ctx: context.Background(), inst: inst, svc: inst.Server.Elections}
	f.board = f.Person("Board", auth.RoleBoard)
	f.chair = f.Person("Chair", auth.RoleBoard)
	for i := range 4 {
		p, m := f.Member(fmt.Sprintf("Voter %d", i))
		f.voters, f.members = append(f.voters, p), append(f.members, m)
	}
	mt := inst.Server.Meetings
	now := inst.Clock.Now()
	start := now.Add(8 * 24 * time.Hour).Truncate(time.Minute)
	m, err := mt.Create(f.ctx, f.board, meetings.Draft{Kind: meetings.KindAnnual, Title: "AGM",
		StartsAt: start.Format(time.RFC3339), EndsAt: start.Add(2 * time.Hour).Format(time.RFC3339), Location: "Helsinki",
		Agenda: []meetings.ItemInput{{Title: "Elections"}}, Officers: &meetings.Officers{ChairAccountID: &f.chair.AccountID}})
	if err != nil {
		t.Fatal(err)
	}
	if m, err = mt.Convene(f.ctx, f.board, m.ID); err != nil {
		t.Fatal(err)
	}
	// Brought forward to half an hour from now, so that the chair can
	// open the session.
	if _, err := inst.DB.Exec(`UPDATE meetings SET starts_at = $2, ends_at = $3 WHERE id = $1`,
		m.ID, now.Add(30*time.Minute), now.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if m, err = mt.Open(f.ctx, f.chair, m.ID); err != nil {
		t.Fatal(err)
	}
	for _, p := range f.voters {
		if _, _, err := mt.Attend(f.ctx, p, m.ID, meetings.AttendInput{Mode: meetings.ModeInPerson}); err != nil {
			t.Fatal(err)
		}
	}
	f.meeting = m
	return f
}

func (f *fixture) election(seats int, closeAt *time.Time) elections.Election {
	f.t.Helper()
	e, err := f.svc.Create(f.ctx, f.board, f.meeting.ID, elections.NewElection{Title: "Board", Seats: seats, NominationsCloseAt: closeAt})
	if err != nil {
		f.t.Fatal(err)
	}
	return e
}

// stand has voter i stand as a candidate.
func (f *fixture) stand(e elections.Election, i int) elections.Candidate {
	f.t.Helper()
	c, err := f.svc.Nominate(f.ctx, f.voters[i], e.ID, elections.Nomination{Statement: "I stand."})
	if err != nil {
		f.t.Fatal(err)
	}
	if !c.Consented {
		f.t.Fatalf("a member standing themself has not consented: %+v", c)
	}
	return c
}

func (f *fixture) open(e elections.Election) ballots.Ballot {
	f.t.Helper()
	b, err := f.svc.OpenBallot(f.ctx, f.chair, e.ID, elections.BallotRequest{})
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

func (f *fixture) vote(i int, b ballots.Ballot, candidates ...int64) {
	f.t.Helper()
	if candidates == nil {
		candidates = []int64{}
	}
	if _, err := f.inst.Server.Ballots.Vote(f.ctx, f.voters[i], b.ID, ballots.VoteInput{Candidates: candidates}); err != nil {
		f.t.Fatal(err)
	}
}

func isKind(err error, kind error) bool { return errors.Is(err, kind) }

func TestNominationNeedsTheNomineesConsent(t *testing.T) {
	f := newFixture(t)
	e := f.election(1, nil)
	own := f.stand(e, 0)
	nominee := f.members[1].ID
	c, err := f.svc.Nominate(f.ctx, f.voters[0], e.ID, elections.Nomination{MemberID: &nominee})
	if err != nil {
		t.Fatal(err)
	}
	if c.Consented {
		t.Fatalf("a member nominated by another has consented: %+v", c)
	}
	if _, err := f.svc.Consent(f.ctx, f.voters[0], e.ID, c.ID); !isKind(err, errs.Forbidden) {
		t.Fatalf("consent by the nominator: %v, want forbidden", err)
	}
	if _, err := f.svc.Consent(f.ctx, f.board, e.ID, c.ID); !isKind(err, errs.Forbidden) {
		t.Fatalf("consent by the board: %v, want forbidden", err)
	}
	if _, err := f.svc.Nominate(f.ctx, f.voters[2], e.ID, elections.Nomination{MemberID: &nominee}); !isKind(err, errs.Conflict) {
		t.Fatalf("a second nomination of the same member: %v, want conflict", err)
	}
	b := f.open(e)
	if !slices.Equal(b.CandidateIDs, []int64{own.ID}) || !b.Secret || b.Kind != ballots.KindElection {
		t.Fatalf("ballot %+v, want a secret election with only candidate %d", b, own.ID)
	}
	got, err := f.svc.GetAs(f.ctx, f.voters[3], e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != elections.StatusVoting || len(got.Candidates) != 2 {
		t.Fatalf("election %+v, want voting with two candidates", got)
	}
	if _, err := f.svc.Consent(f.ctx, f.voters[1], e.ID, c.ID); !isKind(err, errs.Conflict) {
		t.Fatalf("consent once the ballot is open: %v, want conflict", err)
	}
}

func TestConsentPutsTheNomineeOnTheBallot(t *testing.T) {
	f := newFixture(t)
	e := f.election(1, nil)
	nominee := f.members[1].ID
	c, err := f.svc.Nominate(f.ctx, f.voters[0], e.ID, elections.Nomination{MemberID: &nominee})
	if err != nil {
		t.Fatal(err)
	}
	if c, err = f.svc.Consent(f.ctx, f.voters[1], e.ID, c.ID); err != nil || !c.Consented {
		t.Fatalf("consent by the nominee: %+v, %v", c, err)
	}
	firm, err := f.svc.Nominate(f.ctx, f.board, e.ID, elections.Nomination{Name: "Tilintarkastus Oy"})
	if err != nil || !firm.Consented || firm.MemberID != nil {
		t.Fatalf("the board's candidate: %+v, %v", firm, err)
	}
	if _, err := f.svc.Nominate(f.ctx, f.voters[2], e.ID, elections.Nomination{Name: "Someone Else"}); !isKind(err, errs.Invalid) {
		t.Fatalf("a member naming a non-member: %v, want invalid", err)
	}
	b := f.open(e)
	if !slices.Equal(b.CandidateIDs, []int64{c.ID, firm.ID}) {
		t.Fatalf("candidates on the ballot %v, want %d and %d", b.CandidateIDs, c.ID, firm.ID)
	}
}

func TestNominationsAfterTheCloseAreRefused(t *testing.T) {
	f := newFixture(t)
	closeAt := f.inst.Clock.Now().Add(time.Hour)
	e := f.election(1, &closeAt)
	f.stand(e, 0)
	f.inst.Clock.Advance(time.Hour)
	if _, err := f.svc.Nominate(f.ctx, f.voters[1], e.ID, elections.Nomination{}); !isKind(err, errs.Conflict) {
		t.Fatalf("a nomination at the close: %v, want conflict", err)
	}
	if _, err := f.svc.Nominate(f.ctx, f.board, e.ID, elections.Nomination{Name: "Late Oy"}); !isKind(err, errs.Conflict) {
		t.Fatalf("the board's nomination after the close: %v, want conflict", err)
	}
}

func TestBadVotesAreRefusedAndNothingIsStored(t *testing.T) {
	f := newFixture(t)
	e := f.election(1, nil)
	a, b := f.stand(e, 0), f.stand(e, 1)
	other := f.election(1, nil)
	foreign := f.stand(other, 2)
	bal := f.open(e)
	for name, candidates := range map[string][]int64{
		"more candidates than seats": {a.ID, b.ID},
		"a candidate of another":     {foreign.ID},
		"a candidate twice":          {a.ID, a.ID},
	} {
		_, err := f.inst.Server.Ballots.Vote(f.ctx, f.voters[3], bal.ID, ballots.VoteInput{Candidates: candidates})
		if !isKind(err, errs.Invalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	var votes, marked int
	if err := f.inst.DB.Get(&votes, `SELECT count(*) FROM ballot_votes WHERE ballot_id = $1`, bal.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.inst.DB.Get(&marked, `SELECT count(*) FROM ballot_voters WHERE ballot_id = $1 AND voted`, bal.ID); err != nil {
		t.Fatal(err)
	}
	if votes != 0 || marked != 0 {
		t.Fatalf("%d votes stored and %d members marked after refused votes", votes, marked)
	}
}

func TestTieForTheLastSeatIsRedrawnByVerify(t *testing.T) {
	f := newFixture(t)
	e := f.election(2, nil)
	a, b, c := f.stand(e, 0), f.stand(e, 1), f.stand(e, 2)
	bal := f.open(e)
	f.vote(0, bal, a.ID, b.ID)
	f.vote(1, bal, a.ID, c.ID)
	f.vote(2, bal)
	closed, err := f.inst.Server.Ballots.Close(f.ctx, f.chair, bal.ID)
	if err != nil {
		t.Fatal(err)
	}
	res := closed.Result.Election
	if res == nil || res.Lot == nil || len(res.Lot.Drawn) != 1 || res.Cast != 2 || res.Blank != 1 {
		t.Fatalf("result %+v, want a lot drawing one of two tied candidates", res)
	}
	elected := res.Elected()
	if len(elected) != 2 || elected[0] != a.ID || !slices.Contains([]int64{b.ID, c.ID}, elected[1]) || elected[1] != res.Lot.Drawn[0] {
		t.Fatalf("elected %v with lot %+v", elected, res.Lot)
	}
	for _, cand := range res.Candidates {
		if cand.Name == "" {
			t.Fatalf("candidate %d has no name on the result", cand.ID)
		}
	}
	// The seed is the chain head just before the close's own event.
	var prev []byte
	if err := f.inst.DB.Get(&prev, `SELECT prev_hash FROM audit_events WHERE seq = $1`, closed.ChainHead.Seq); err != nil {
		t.Fatal(err)
	}
	again := ballots.Plurality([][]int64{{a.ID, b.ID}, {a.ID, c.ID}, {}}, bal.CandidateIDs, 2, closed.MinVotes, closed.Eligible, prev)
	if !again.SameCount(*res) {
		t.Fatalf("redrawn from the chain head: %+v, the result %+v", again, res)
	}
	var report audit.Report
	report.OK = true
	if err := ballots.Check(f.ctx, f.inst.DB, &report); err != nil {
		t.Fatal(err)
	}
	if !report.OK {
		t.Fatalf("verify: %+v", report.Problems)
	}
	// Someone with direct access to the database hands the drawn seat to
	// the other tied candidate: verify redraws the lot and sees it.
	loser := b.ID
	if res.Lot.Drawn[0] == b.ID {
		loser = c.ID
	}
	tx, err := f.inst.DB.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`ALTER TABLE ballots DISABLE TRIGGER USER`,
		fmt.Sprintf(`UPDATE ballots SET result = jsonb_set(result, '{lot,drawn}', '[%d]') WHERE id = %d`, loser, bal.ID),
		`ALTER TABLE ballots ENABLE TRIGGER USER`,
	} {
		if _, err := tx.Exec(stmt); err != nil {
			_ = tx.Rollback()
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	tampered := audit.Report{OK: true}
	if err := ballots.Check(f.ctx, f.inst.DB, &tampered); err != nil {
		t.Fatal(err)
	}
	if tampered.OK {
		t.Fatalf("verify passed a lot drawn for candidate %d instead of %d", loser, res.Lot.Drawn[0])
	}
	got, err := f.svc.GetAs(f.ctx, f.voters[3], e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != elections.StatusDecided {
		t.Fatalf("election %+v, want decided", got)
	}
	rec, err := f.inst.Server.Ballots.RecordAs(f.ctx, f.voters[3], bal.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Votes) != 3 || rec.Result.Election == nil {
		t.Fatalf("record %+v", rec)
	}
}

func TestNomination_TellsTheNomineeByEmail(t *testing.T) {
	f := newFixture(t)
	e := f.election(2, nil)
	outbox := func(to string) []mail.Sent {
		t.Helper()
		all, err := mail.List(f.ctx, f.inst.DB, 500)
		if err != nil {
			t.Fatal(err)
		}
		var out []mail.Sent
		for _, m := range all {
			if m.To == to && strings.HasPrefix(m.Subject, "You are nominated: ") {
				out = append(out, m)
			}
		}
		return out
	}
	f.stand(e, 0)
	if got := outbox(f.members[0].Email); len(got) != 0 {
		t.Fatalf("a member who stood themself was told they were nominated: %+v", got)
	}
	if _, err := f.svc.Nominate(f.ctx, f.board, e.ID, elections.Nomination{Name: "Tilintarkastus Oy"}); err != nil {
		t.Fatal(err)
	}
	nominee := f.members[1]
	c, err := f.svc.Nominate(f.ctx, f.voters[2], e.ID, elections.Nomination{MemberID: &nominee.ID, Statement: "She knows the budget."})
	if err != nil {
		t.Fatal(err)
	}
	got := outbox(nominee.Email)
	if len(got) != 1 {
		t.Fatalf("%d messages to the nominee, want 1", len(got))
	}
	msg := got[0]
	nominator := f.members[2]
	for _, want := range []string{
		fmt.Sprintf("%s (member no. %d) has nominated you", nominator.Name, *nominator.MemberNo),
		`in the election "Board" (2 seats) at AGM`,
		"She knows the budget.",
		"only if you consent",
		fmt.Sprintf("%s/elections/%d", strings.TrimRight(f.inst.URL, "/"), e.ID),
	} {
		if !strings.Contains(msg.Body, want) {
			t.Errorf("the message lacks %q:\n%s", want, msg.Body)
		}
	}
	if msg.Subject != "You are nominated: Board, AGM" {
		t.Errorf("subject %q", msg.Subject)
	}
	// The message is written with the nomination, in its transaction.
	var written int
	if err := f.inst.DB.Get(&written, `SELECT count(*) FROM mail_outbox WHERE to_address = $1 AND created_at = (
		SELECT nominated_at FROM election_candidates WHERE id = $2)`, nominee.Email, c.ID); err != nil {
		t.Fatal(err)
	}
	if written != 1 {
		t.Fatalf("%d messages dated with the nomination", written)
	}
	var all int
	if err := f.inst.DB.Get(&all, `SELECT count(*) FROM mail_outbox WHERE subject LIKE 'You are nominated: %'`); err != nil {
		t.Fatal(err)
	}
	if all != 1 {
		t.Fatalf("%d nomination messages in the outbox, want only the nominee's", all)
	}
}

// An event appended by someone else while the close is under way cannot
// slip between the head the lot is drawn from and the close's own event:
// verify redraws the same lot.
func TestTheLotStandsAgainstAnEventAppendedDuringTheClose(t *testing.T) {
	f := newFixture(t)
	e := f.election(1, nil)
	a, b := f.stand(e, 0), f.stand(e, 1)
	bal := f.open(e)
	f.vote(0, bal, a.ID)
	f.vote(1, bal, b.ID)

	waiting := func() int {
		var n int
		if err := f.inst.DB.Get(&n, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	until := func(what string, done func() bool) {
		for deadline := time.Now().Add(10 * time.Second); !done(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("waited 10 s for %s", what)
			}
		}
	}
	// The close counts, then publishes to the meeting's live topic: held
	// here, it waits there, after the lot is drawn.
	hold, err := f.inst.DB.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hold.Exec(`SELECT 1 FROM live_topics WHERE topic = $1 FOR UPDATE`, meetings.Topic(f.meeting.ID)); err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() {
		_, err := f.inst.Server.Ballots.Close(f.ctx, f.chair, bal.ID)
		closed <- err
	}()
	until("the close to wait", func() bool { return waiting() >= 1 })
	appended := make(chan error, 1)
	go func() {
		_, err := f.inst.Server.Auth.CreateAccount(f.ctx, auth.Operator, "late@example.org", "Late Comer")
		appended <- err
	}()
	until("the other event to be appended or to wait", func() bool { return len(appended) == 1 || waiting() >= 2 })
	if err := hold.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if err := <-appended; err != nil {
		t.Fatal(err)
	}
	report := audit.Report{OK: true}
	if err := ballots.Check(f.ctx, f.inst.DB, &report); err != nil {
		t.Fatal(err)
	}
	if !report.OK {
		t.Fatalf("verify redraws another lot: %+v", report.Problems)
	}
}

// A candidate who consented and then stopped being an active member is
// left off the ballot: the board is elected from the co-op's members.
func TestACandidateWhoLeftIsNotOnTheBallot(t *testing.T) {
	f := newFixture(t)
	e := f.election(1, nil)
	stays, leaves := f.stand(e, 0), f.stand(e, 1)
	if _, err := f.inst.Server.Members.Resign(f.ctx, f.voters[1], f.members[1].ID, members.Resignation{}); err != nil {
		t.Fatal(err)
	}
	b := f.open(e)
	if !slices.Equal(b.CandidateIDs, []int64{stays.ID}) {
		t.Fatalf("the ballot lists %v, want only %d and not %d, who resigned", b.CandidateIDs, stays.ID, leaves.ID)
	}
}
