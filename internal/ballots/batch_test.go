package ballots_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/errs"
)

// transactionsOf counts the transactions that marked members as voted in
// a ballot, by the transaction ids of their audit events.
func transactionsOf(f *fixture, ballotID int64) int {
	f.t.Helper()
	return f.count(`SELECT count(DISTINCT xmin::text) FROM audit_events WHERE subject = $1 AND action = 'ballot.voted'`, ballotSubject(ballotID))
}

func TestVote_GroupCommitNeverFailsAVoteForItsNeighbours(t *testing.T) {
	const voters = 40
	cr := newCrowd(t, voters)
	f := cr.f
	b := f.openBallot(cr.chair, ballots.OpenSpec{MeetingID: cr.m.ID, Secret: true})
	outsiders := make([]auth.Principal, 10)
	for i := range outsiders {
		outsiders[i] = f.person("Outsider")
	}

	type try struct {
		who    auth.Principal
		member int
		in     ballots.VoteInput
	}
	var tries []try
	for i, p := range cr.people {
		// Two valid votes, one of which must be refused, and one that is
		// no vote at all.
		tries = append(tries,
			try{p, i, ballots.VoteInput{Choice: ballots.ChoiceFor}},
			try{p, i, ballots.VoteInput{Choice: ballots.ChoiceAgainst}},
			try{p, i, ballots.VoteInput{Choice: "perhaps"}})
	}
	for _, p := range outsiders {
		tries = append(tries, try{p, -1, ballots.VoteInput{Choice: ballots.ChoiceFor}})
	}
	errsOf := make([]error, len(tries))
	casts := make([]ballots.Cast, len(tries))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, tr := range tries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			casts[i], errsOf[i] = f.svc.Vote(f.ctx, tr.who, b.ID, tr.in)
		}()
	}
	close(start)
	wg.Wait()

	accepted := map[int]string{}
	for i, tr := range tries {
		err := errsOf[i]
		switch {
		case tr.member < 0:
			if !errors.Is(err, errs.NotFound) {
				t.Errorf("an outsider's vote: %v", err)
			}
		case tr.in.Choice == "perhaps":
			if !errors.Is(err, errs.Invalid) {
				t.Errorf("no vote at all: %v", err)
			}
		case err == nil:
			if _, twice := accepted[tr.member]; twice {
				t.Fatalf("member %d voted twice", tr.member)
			}
			accepted[tr.member] = casts[i].Receipt
		case !errors.Is(err, ballots.ErrAlreadyVoted):
			t.Errorf("member %d: %v", tr.member, err)
		}
	}
	if len(accepted) != voters {
		t.Fatalf("%d of %d members voted", len(accepted), voters)
	}
	if n := transactionsOf(f, b.ID); n >= voters {
		t.Fatalf("%d votes took %d transactions: no group commit", voters, n)
	} else {
		t.Logf("%d votes in %d transactions", voters, n)
	}
	f.close(cr.chair, b.ID)
	rec, err := f.svc.RecordAs(f.ctx, cr.chair, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	onRecord := map[string]bool{}
	for _, v := range rec.Votes {
		onRecord[v.ReceiptHash] = true
	}
	for member, receipt := range accepted {
		if !onRecord[hexOf(ballots.ReceiptHash(receipt))] {
			t.Fatalf("member %d's vote is not on the record", member)
		}
	}
	if r := f.verify(); !r.OK {
		t.Fatalf("verify: %+v", r.Problems)
	}
}

func TestVote_OneTransactionPerVoteWithoutTheGroupCommit(t *testing.T) {
	const voters, tries = 30, 4
	cr := newCrowd(t, voters)
	f := cr.f
	// A service of its own, whose group commit does not run.
	srv := f.inst.Server
	alone := ballots.NewService(f.inst.DB.DB, srv.Audit, srv.Clock, srv.Rules, srv.Members, srv.Meetings, nil)
	b := f.openBallot(cr.chair, ballots.OpenSpec{MeetingID: cr.m.ID, Secret: true})

	var mu sync.Mutex
	accepted, refused := 0, 0
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, p := range cr.people {
		for range tries {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := alone.Vote(f.ctx, p, b.ID, ballots.VoteInput{Choice: ballots.ChoiceAbstain})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					accepted++
				case errors.Is(err, ballots.ErrAlreadyVoted):
					refused++
				default:
					t.Errorf("vote: %v", err)
				}
			}()
		}
	}
	close(start)
	wg.Wait()
	if accepted != voters || refused != voters*(tries-1) {
		t.Fatalf("%d accepted and %d refused", accepted, refused)
	}
	if n := transactionsOf(f, b.ID); n != voters {
		t.Fatalf("%d votes took %d transactions", voters, n)
	}
	first, err := alone.Vote(f.ctx, cr.chair, b.ID, ballots.VoteInput{Choice: ballots.ChoiceFor, IdempotencyKey: "chair-1"})
	if err != nil || first.Receipt == "" {
		t.Fatalf("chair's vote: %+v %v", first, err)
	}
	again, err := alone.Vote(f.ctx, cr.chair, b.ID, ballots.VoteInput{Choice: ballots.ChoiceFor, IdempotencyKey: "chair-1"})
	if err != nil || !again.Replayed {
		t.Fatalf("chair's retry: %+v %v", again, err)
	}
	closed := f.close(cr.chair, b.ID)
	if r := closed.Result; r.Abstain != voters || r.For != 1 || r.Outcome != ballots.OutcomeCarried {
		t.Fatalf("result %+v", r)
	}
}
