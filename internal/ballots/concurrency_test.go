package ballots_test

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auditor"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/live"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/osktest"
	"github.com/citizen-network/osk/internal/server"
)

// crowd is a meeting in session with n members present, chaired by one
// more, served by two Osk instances on one database.
type crowd struct {
	f          *fixture
	second     *osktest.Instance
	m          meetings.Meeting
	chair      auth.Principal
	people     []auth.Principal
	memberList []members.Member
}

func newCrowd(t *testing.T, n int) *crowd {
	f := newFixture(t)
	second := osktest.Start(t, osktest.Options{DB: f.inst.DB})
	f.hook(second)
	cr := &crowd{f: f, second: second}
	var chairM members.Member
	cr.chair, chairM = f.member("Chair")
	for i := range n {
		p, m := f.member(fmt.Sprintf("Voter %03d", i))
		cr.people = append(cr.people, p)
		cr.memberList = append(cr.memberList, m)
	}
	cr.m = f.inSession(cr.chair)
	second.Clock.Set(f.now())
	f.attend(cr.chair, cr.m.ID, &chairM.ID)
	for _, m := range cr.memberList {
		f.attend(cr.chair, cr.m.ID, &m.ID)
	}
	return cr
}

// instance returns the i-th instance, alternating.
func (cr *crowd) instance(i int) *osktest.Instance {
	if i%2 == 0 {
		return cr.f.inst
	}
	return cr.second
}

type answer struct {
	status  int
	receipt string
	marks   string
	member  int
}

// TestVote_TwoHundredMembersTenRequestsEachOnTwoInstances has each of 200
// members send ten votes at once, to two instances on one database, on a
// motion's ballot and then on an election's at the same meeting: each
// member is counted once, every other request is refused, and the count
// is exactly the accepted votes.
func TestVote_TwoHundredMembersTenRequestsEachOnTwoInstances(t *testing.T) {
	const voters, tries = 200, 10
	cr := newCrowd(t, voters)
	f := cr.f
	clients := make([][2]*osktest.Client, voters)
	for i, p := range cr.people {
		clients[i] = [2]*osktest.Client{f.tokenClient(cr.instance(0), p), f.tokenClient(cr.instance(1), p)}
	}
	for _, q := range questions {
		t.Run(q.name, func(t *testing.T) {
			defer f.using(t)()
			cr.stampede(t, q, clients, tries)
		})
	}
	report, err := auditor.Verify(f.ctx, f.inst.DB, server.Checks()...)
	if err != nil || !report.OK {
		t.Fatalf("verify: %+v %v", report, err)
	}
}

// stampede opens a secret ballot on the question and has each member's
// clients send tries votes at once, alternating between the instances and
// the answers.
func (cr *crowd) stampede(t *testing.T, q question, clients [][2]*osktest.Client, tries int) {
	f, voters := cr.f, len(clients)
	b := f.openBallot(cr.chair, q.spec(cr.m.ID, true))
	if b.Eligible != voters+1 {
		t.Fatalf("%d on the voting list", b.Eligible)
	}
	path := fmt.Sprintf("/api/v1/ballots/%d/votes", b.ID)

	answers := make(chan answer, voters*tries)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range voters {
		for j := range tries {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				in := q.answer(i + j)
				resp := clients[i][j%2].Do(http.MethodPost, path, q.body(in))
				a := answer{status: resp.StatusCode, marks: marks(in.Choice, in.Candidates, q.kind == ballots.KindElection), member: i}
				if resp.StatusCode == http.StatusCreated {
					var c struct {
						Receipt string `json:"receipt"`
					}
					resp.JSON(t, &c)
					a.receipt = c.Receipt
				}
				answers <- a
			}()
		}
	}
	began := time.Now()
	close(start)
	wg.Wait()
	close(answers)
	t.Logf("%d requests answered in %s", voters*tries, time.Since(began).Round(time.Millisecond))

	accepted := map[int]answer{}
	var cast []string
	others := map[int]int{}
	for a := range answers {
		switch a.status {
		case http.StatusCreated:
			if prev, twice := accepted[a.member]; twice {
				t.Fatalf("member %d got two votes accepted: %+v and %+v", a.member, prev, a)
			}
			if len(a.receipt) != 26 {
				t.Fatalf("accepted without a receipt: %+v", a)
			}
			accepted[a.member] = a
			cast = append(cast, a.marks)
		case http.StatusConflict:
			others[a.member]++
		default:
			t.Fatalf("answer %d for member %d", a.status, a.member)
		}
	}
	if len(accepted) != voters {
		t.Fatalf("%d votes accepted, want %d", len(accepted), voters)
	}
	for i := range voters {
		if others[i] != tries-1 {
			t.Fatalf("member %d got %d refusals, want %d", i, others[i], tries-1)
		}
	}
	if n := f.count(`SELECT count(*) FROM ballot_votes WHERE ballot_id = $1`, b.ID); n != voters {
		t.Fatalf("%d votes stored, want %d", n, voters)
	}
	if n := f.count(`SELECT count(*) FROM audit_events WHERE subject = $1 AND action = 'ballot.voted'`, ballotSubject(b.ID)); n != voters {
		t.Fatalf("%d members marked as voted in the audit log", n)
	}

	closed := f.close(cr.chair, b.ID)
	if closed.AwaitingCastingVote() {
		// The choices tied.
		var err error
		if closed, err = f.svc.CastingVote(f.ctx, cr.chair, b.ID, ballots.ChoiceFor); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := counted(*closed.Result), tally(cast); !maps.Equal(got, want) || closed.Result.Voted != voters {
		t.Fatalf("result %+v counts %v, the accepted requests %v", closed.Result, got, want)
	}
	rec, err := f.svc.RecordAs(f.ctx, f.auditor, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	onRecord := map[string]string{}
	for _, v := range rec.Votes {
		onRecord[v.ReceiptHash] = marks(v.Choice, v.Candidates, v.Election)
	}
	for _, a := range accepted {
		if got, ok := onRecord[hexOf(ballots.ReceiptHash(a.receipt))]; !ok || got != a.marks {
			t.Fatalf("receipt of member %d: on the record %q (%v), cast %q", a.member, got, ok, a.marks)
		}
	}
}

func TestVote_RacingTheClose(t *testing.T) {
	const voters = 60
	cr := newCrowd(t, voters)
	f := cr.f
	b := f.openBallot(cr.chair, ballots.OpenSpec{MeetingID: cr.m.ID, Secret: true})

	type outcome struct {
		receipt string
		err     error
	}
	results := make([]outcome, voters)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, p := range cr.people {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			// Spread the votes around the close, widely enough that a
			// loaded machine still closes while votes come.
			time.Sleep(time.Duration(i) * 20 * time.Millisecond)
			svc := cr.instance(i).Server.Ballots
			c, err := svc.Vote(f.ctx, p, b.ID, ballots.VoteInput{Choice: ballots.ChoiceFor})
			results[i] = outcome{receipt: c.Receipt, err: err}
		}()
	}
	var closed ballots.Ballot
	var closeErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-start
		// Close once a quarter of the members have voted, while the others
		// are still voting.
		for f.count(`SELECT count(*) FROM ballot_voters WHERE ballot_id = $1 AND voted`, b.ID) < voters/4 {
			time.Sleep(time.Millisecond)
		}
		closed, closeErr = cr.second.Server.Ballots.Close(f.ctx, cr.chair, b.ID)
	}()
	close(start)
	wg.Wait()
	if closeErr != nil {
		t.Fatal(closeErr)
	}

	counted, refused := 0, 0
	rec, err := f.svc.RecordAs(f.ctx, cr.chair, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	onRecord := map[string]bool{}
	for _, v := range rec.Votes {
		onRecord[v.ReceiptHash] = true
	}
	for i, r := range results {
		switch {
		case r.err == nil:
			counted++
			if !onRecord[hexOf(ballots.ReceiptHash(r.receipt))] {
				t.Fatalf("member %d's accepted vote is not in the count", i)
			}
		case errors.Is(r.err, errs.Conflict):
			refused++
		default:
			t.Fatalf("member %d: %v", i, r.err)
		}
	}
	if counted != closed.Result.Voted || counted != len(rec.Votes) {
		t.Fatalf("%d votes accepted, %d counted, %d on the record", counted, closed.Result.Voted, len(rec.Votes))
	}
	if n := f.count(`SELECT count(*) FROM ballot_votes WHERE ballot_id = $1`, b.ID); n != counted {
		t.Fatalf("%d votes stored, %d counted: a vote was stored after the close", n, counted)
	}
	if counted == 0 || refused == 0 {
		t.Fatalf("%d votes counted and %d refused: the close did not race the votes", counted, refused)
	}
	t.Logf("%d votes counted, %d refused as too late", counted, refused)
}

// An election's close locks the audit chain's head, to draw any lot from
// it, and publishes on its meeting's stream. Every other transaction that
// does both publishes first and appends to the audit log after, as a
// chair's action in the same meeting does; taken in the other order, the
// two locks deadlock, and PostgreSQL fails one of the two.
func TestCloseElection_LocksInTheOrderOfEveryOtherChange(t *testing.T) {
	f := newFixture(t)
	h := newHall(f)
	b := f.openBallot(h.chair, ballots.OpenSpec{MeetingID: h.m.ID, Kind: ballots.KindElection, Seats: 1, CandidateIDs: testCandidates, Secret: true})
	f.cast(h.carol, b.ID, ballots.VoteInput{Candidates: testCandidates[:1]}, nil)

	other, err := f.inst.DB.BeginTxx(f.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback()
	if _, err := live.Publish(f.ctx, other, f.now(), meetings.Topic(h.m.ID), "quorum", map[string]any{}); err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() {
		_, err := f.svc.Close(f.ctx, h.chair, b.ID)
		closed <- err
	}()
	// The close now waits for the stream the other transaction holds...
	f.inst.WaitForLock(t, "the close")
	// ... which then appends to the audit log and commits.
	if _, err := f.inst.Server.Audit.Append(f.ctx, other, audit.Event{Action: "meeting.quorum_checked", Subject: fmt.Sprintf("meeting:%d", h.m.ID),
		Payload: map[string]any{}}); err != nil {
		t.Fatalf("the other change: %v", err)
	}
	if err := other.Commit(); err != nil {
		t.Fatalf("the other change: %v", err)
	}
	if err := <-closed; err != nil {
		t.Fatalf("the close: %v", err)
	}
}
