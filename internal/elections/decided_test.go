package elections_test

import (
	"context"
	"io/fs"
	"strconv"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auditor"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/elections"
	"github.com/citizen-network/osk/internal/server"
	"github.com/citizen-network/osk/migrations"
)

// verify runs what osk verify runs on the whole record, and fails the test
// on an error that stops it.
func (f *fixture) verify() []audit.Problem {
	f.t.Helper()
	report, err := auditor.VerifyLive(f.ctx, f.inst.DB.DB, auditor.Options{}, server.Checks()...)
	if err != nil {
		f.t.Fatal(err)
	}
	return report.Problems
}

func (f *fixture) wantVerified(what string) {
	f.t.Helper()
	if problems := f.verify(); len(problems) > 0 {
		f.t.Fatalf("verify after %s: %+v", what, problems)
	}
}

func (f *fixture) closeBallot(b ballots.Ballot) ballots.Ballot {
	f.t.Helper()
	closed, err := f.inst.Server.Ballots.Close(f.ctx, f.chair, b.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return closed
}

// results reads each candidate's stored result, "none" for NULL.
func (f *fixture) results(e elections.Election) map[int64]string {
	f.t.Helper()
	got, err := f.svc.GetAs(f.ctx, f.board, e.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[int64]string{}
	for _, c := range got.Candidates {
		switch {
		case c.Elected == nil:
			out[c.ID] = "none"
		case *c.Elected:
			out[c.ID] = "elected"
		default:
			out[c.ID] = "not elected"
		}
	}
	return out
}

func wantResults(t *testing.T, got map[int64]string, want map[int64]string) {
	t.Helper()
	for id, w := range want {
		if got[id] != w {
			t.Errorf("candidate %d: %s, want %s", id, got[id], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("results %v, want %v", got, want)
	}
}

func TestNobodyElected_ABallotShortOfItsQuorumVerifies(t *testing.T) {
	f := newFixture(t)
	admin := f.Person("Admin", auth.RoleAdmin)
	current, err := f.inst.Server.Rules.Current(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	current.BallotMinVotes = 3
	if _, err := f.inst.Server.Rules.Update(f.ctx, admin, current); err != nil {
		t.Fatal(err)
	}
	e := f.election(1, nil)
	a, b := f.stand(e, 0), f.stand(e, 1)
	bal := f.open(e)
	f.vote(0, bal, a.ID)
	f.vote(1, bal, b.ID)
	if res := f.closeBallot(bal).Result.Election; res == nil || res.QuorumMet {
		t.Fatalf("result %+v, want the quorum of 3 votes not met", res)
	}
	wantResults(t, f.results(e), map[int64]string{a.ID: "not elected", b.ID: "not elected"})
	f.wantVerified("an election short of its quorum")
}

func TestNobodyElected_OnlyBlankVotesVerify(t *testing.T) {
	f := newFixture(t)
	e := f.election(2, nil)
	a, b := f.stand(e, 0), f.stand(e, 1)
	// A nominee who never consented has no result at all.
	pending, err := f.svc.Nominate(f.ctx, f.voters[2], e.ID, elections.Nomination{MemberID: &f.members[3].ID})
	if err != nil {
		t.Fatal(err)
	}
	bal := f.open(e)
	for i := range f.voters {
		f.vote(i, bal)
	}
	if res := f.closeBallot(bal).Result.Election; res == nil || !res.QuorumMet || res.Blank != 4 || len(res.Elected()) != 0 {
		t.Fatalf("result %+v, want four blank votes electing nobody", res)
	}
	wantResults(t, f.results(e), map[int64]string{a.ID: "not elected", b.ID: "not elected", pending.ID: "none"})
	f.wantVerified("an election of blank votes")
}

// Databases written before the fix hold NULL for the candidates of
// elections that elected nobody; the migration gives them the result the
// audit log records, and touches nothing else.
func TestMigration_OldElectionsThatElectedNobodyGetTheirResult(t *testing.T) {
	f := newFixture(t)
	nobody := f.election(1, nil)
	lost := f.stand(nobody, 0)
	pending, err := f.svc.Nominate(f.ctx, f.voters[1], nobody.ID, elections.Nomination{MemberID: &f.members[2].ID})
	if err != nil {
		t.Fatal(err)
	}
	bal := f.open(nobody)
	f.vote(0, bal)
	f.closeBallot(bal)

	won := f.election(1, nil)
	winner, loser := f.stand(won, 1), f.stand(won, 2)
	bal = f.open(won)
	f.vote(1, bal, winner.ID)
	f.closeBallot(bal)

	undecided := f.election(1, nil)
	standing := f.stand(undecided, 3)

	if _, err := f.inst.DB.Exec(`UPDATE election_candidates SET elected = NULL WHERE election_id = $1`, nobody.ID); err != nil {
		t.Fatal(err)
	}
	if len(f.verify()) == 0 {
		t.Fatal("verify passed a decided election whose candidates have no result")
	}

	matches, err := fs.Glob(migrations.FS, "*_election_candidates_not_elected.sql")
	if err != nil || len(matches) != 1 {
		t.Fatalf("the migration: %v, %v", matches, err)
	}
	number, _, _ := strings.Cut(matches[0], "_")
	version, err := strconv.ParseInt(number, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, f.inst.DB.DB.DB, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := provider.ApplyVersion(ctx, version, false); err != nil {
		t.Fatal(err)
	}
	if n := f.count(`SELECT count(*) FROM election_candidates WHERE election_id = $1 AND elected IS NULL`, nobody.ID); n != 2 {
		t.Fatalf("%d candidates without a result after the migration's down, want the 2 it found", n)
	}
	if _, err := provider.ApplyVersion(ctx, version, true); err != nil {
		t.Fatal(err)
	}
	wantResults(t, f.results(nobody), map[int64]string{lost.ID: "not elected", pending.ID: "none"})
	wantResults(t, f.results(won), map[int64]string{winner.ID: "elected", loser.ID: "not elected"})
	wantResults(t, f.results(undecided), map[int64]string{standing.ID: "none"})
	f.wantVerified("the migration")
}
