package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/citizen-network/osk/internal/ballots"
)

// run is the whole benchmark (see the package comment for its steps).
func run(ctx context.Context, o options, stderr io.Writer) (results, error) {
	log := newProgress(stderr)
	r := results{Members: o.members, Voters: o.voters, ReferenceConns: o.refConns, FreezeMembers: o.freezeMembers,
		TallyVotes: o.tallyVotes, StartedAt: time.Now().UTC(), Machine: describeMachine(), Database: "private durable cluster"}
	if o.databaseURL != "" {
		r.Database = "DATABASE_URL"
	}

	d, err := openDatabase(ctx, o, log)
	if err != nil {
		return r, err
	}
	defer d.close()
	log.printf("osk migrate")
	if err := migrateOsk(ctx, o.osk, d.url); err != nil {
		return r, err
	}
	conn, err := d.connect(ctx)
	if err != nil {
		return r, err
	}
	defer conn.Close()
	if err := conn.GetContext(ctx, &r.PostgreSQL, `SHOW server_version`); err != nil {
		return r, err
	}
	var durable struct {
		Fsync string `db:"fsync"`
		Sync  string `db:"sync"`
	}
	if err := conn.GetContext(ctx, &durable, `SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sync`); err != nil {
		return r, err
	}
	if durable.Fsync != "on" || durable.Sync != "on" {
		return r, fmt.Errorf("the database runs with fsync=%s and synchronous_commit=%s: votes need both on", durable.Fsync, durable.Sync)
	}

	logPath := filepath.Join(filepath.Dir(o.out), "oskbench-osk.log")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return r, err
	}
	log.printf("osk serve (APP_ENV=production), logging to %s", logPath)
	osk, err := startOsk(ctx, o.osk, d.url, logPath)
	if err != nil {
		return r, err
	}
	defer osk.stop()
	cl := newClient(osk.base, o.voters)
	defer cl.close()

	co, err := newCoop(ctx, conn, d.url)
	if err != nil {
		return r, err
	}
	register, err := seedMembers(ctx, conn, o.members, co.board.AccountID, log)
	if err != nil {
		return r, err
	}
	log.printf("the board convenes a meeting; the chair opens its session")
	if err := co.holdMeeting(ctx, o.rounds); err != nil {
		return r, err
	}
	accounts := make([]int64, o.voters)
	for i := range accounts {
		accounts[i] = register.account(i)
	}
	tokens, err := co.voterSetup(ctx, accounts, log)
	if err != nil {
		return r, err
	}

	log.printf("the member register page, %d requests", o.registerReqs)
	reg, err := registerPage(ctx, cl, co, o.registerReqs)
	if err != nil {
		return r, err
	}
	r.RegisterP50Ms, r.RegisterP99Ms = reg.percentile(0.50), reg.percentile(0.99)

	var rounds []round
	for i := range o.rounds {
		log.printf("round %d of %d", i+1, o.rounds)
		rd, err := liveVote(ctx, osk, cl, co, co.motions[i], d.url, tokens, o.refConns, log)
		if err != nil {
			return r, err
		}
		rounds = append(rounds, rd)
	}
	r.summarise(rounds)
	log.printf("over %d rounds: Osk %.0f votes/s, reference %.0f votes/s, ratio %.2f (medians)",
		len(rounds), r.VoteThroughput, r.ReferenceThroughput, r.VoteRatio)

	log.printf("a ballot of all %d members for the tally", o.members)
	counted, _, err := openBallot(ctx, cl, co, co.motions[o.rounds], ballots.ElectorateAllMembers, false)
	if err != nil {
		return r, err
	}
	if err := seedVotes(ctx, conn, counted.ID, o.tallyVotes, log); err != nil {
		return r, err
	}
	closed, took, err := closeBallot(ctx, cl, co, counted.ID)
	if err != nil {
		return r, err
	}
	if closed.Voted != o.tallyVotes {
		return r, fmt.Errorf("the closed ballot counts %d voters, not the %d seeded", closed.Voted, o.tallyVotes)
	}
	r.Tally100kS = took.Seconds()
	log.printf("close and tally of %d votes: %.3f s", o.tallyVotes, r.Tally100kS)

	if err := padChain(ctx, conn, int64(o.verifyEvents), register, log); err != nil {
		return r, err
	}
	log.printf("verifying the audit chain and the records on it")
	took, r.VerifyEvents, err = verify(ctx, conn)
	if err != nil {
		return r, err
	}
	r.Verify1MS = took.Seconds()
	log.printf("verify of %d events: %.2f s", r.VerifyEvents, r.Verify1MS)

	if more := o.freezeMembers - o.members; more > 0 {
		log.printf("topping the register up to %d members", o.freezeMembers)
		if _, err := seedMembers(ctx, conn, more, co.board.AccountID, log); err != nil {
			return r, err
		}
	}
	log.printf("a ballot of all %d members: freezing its voting list", o.freezeMembers)
	frozen, took, err := openBallot(ctx, cl, co, co.motions[o.rounds+1], ballots.ElectorateAllMembers, true)
	if err != nil {
		return r, err
	}
	if frozen.Eligible != o.freezeMembers {
		return r, fmt.Errorf("the voting list holds %d members, not %d", frozen.Eligible, o.freezeMembers)
	}
	r.Freeze1MS = took.Seconds()
	log.printf("voting list of %d members frozen in %.2f s", frozen.Eligible, r.Freeze1MS)

	r.Machine.LoadAtEnd = loadAverage()
	r.DurationS = time.Since(r.StartedAt).Seconds()
	return r, nil
}
