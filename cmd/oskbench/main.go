// Command oskbench measures Osk at the scale of the largest co-ops (issue
// "Performance at the scale of the largest co-ops") and compares it, in the
// same run, with the cheapest durable SQL transaction shaped like a vote.
//
//	make bench                       # 100,000 members, 1,000 voters
//	bin/oskbench -members 1000000    # the register at a million members
//
// It starts Osk as production does: `osk migrate`, then `osk serve` as a
// child process with APP_ENV=production, over a private durable PostgreSQL
// (fsync and synchronous_commit on, as pgcluster runs it for `osk serve`)
// or over DATABASE_URL when set, which must name an empty database and a
// superuser role. The benchmark talks to Osk over HTTP only, and to the
// database directly for what it seeds; nothing in Osk knows it is being
// measured. The steps, in order:
//
//  1. Seed the register with -members members through COPY: an account, an
//     active member and its status history each, and the audit events a
//     register imported by an operator would have (account.created,
//     member.applied, member.admitted), chained as CANONICAL.md says.
//  2. Set up a general meeting in session through Osk's own services: the
//     board convenes it and proposes -rounds motions and two more (on a
//     clock set back by the notice period, as the board would have done
//     two weeks earlier), -voters members attend it, and each gets a
//     personal access token, as `osk token create` makes them. The chair
//     puts the motions to the vote over HTTP in the steps below; a live
//     vote's voting list is the members present.
//  3. The member register page, as a board member, over HTTP.
//  4. Votes: every voter first reads the ballot, as the ballot page does,
//     then all vote at once, each through POST /api/v1/ballots/{id}/votes
//     on a keep-alive connection of their own; throughput is the votes over
//     the time from their release to the last answer. Osk's peak RSS is
//     read from /proc during this step.
//  5. The reference: the same voters' votes, all at once on a pool of
//     -reference-conns connections, each a single-statement durable
//     transaction on scratch tables (reference.go). Steps 4 and 5 are a
//     round, run -rounds times, each on a motion of its own: a burst of a
//     thousand votes lasts under a second, and on a shared machine a
//     single pair can fall on a slow moment for either side. The table
//     gives the medians and every round.
//  6. Close and tally: the next motion goes to a vote of all members,
//     -tally-votes votes are seeded into it, and the chair closes it over
//     HTTP.
//  7. Verify: the chain is padded with account.signed_in events up to
//     -verify-events, and auditor.Verify runs with server.Checks(), as
//     `osk verify` does. A seeded event that was hashed wrongly fails here.
//  8. Freeze: the register is topped up to -freeze-members, and the chair
//     puts the last motion to a vote of all members over HTTP. The top-up
//     comes last, so that every other step measures the register at
//     -members.
//
// Seeded tables are vacuumed and analysed after seeding, as a database of
// that size would long have been. The audit events are written by COPY in
// one transaction that holds the chain head as audit.Log.Append does; the
// triggers that check each appended row against the head are skipped for
// that transaction (session_replication_role = replica), and step 7
// re-walks every hash.
//
// The results go to standard output as a Markdown table and to the JSON
// file named by BENCH_OUT (default .data/bench.json).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(cli(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func cli(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	o, err := parseOptions(args, getenv, stderr)
	if err == flag.ErrHelp {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "oskbench:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := run(ctx, o, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "oskbench:", err)
		return 1
	}
	if err := res.writeJSON(o.out); err != nil {
		fmt.Fprintln(stderr, "oskbench:", err)
		return 1
	}
	res.writeTable(stdout)
	fmt.Fprintf(stdout, "\nThe figures are also in %s.\n", o.out)
	if res.VoteErrors > 0 {
		return 1
	}
	return 0
}

// options are the benchmark's settings.
type options struct {
	members       int
	voters        int
	rounds        int
	freezeMembers int
	tallyVotes    int
	verifyEvents  int
	registerReqs  int
	refConns      int
	osk           string
	out           string
	databaseURL   string
}

func parseOptions(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("oskbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.IntVar(&o.members, "members", 100_000, "members in the register during the votes and the register page")
	fs.IntVar(&o.voters, "voters", 1000, "concurrent voters, each casting one vote through HTTP")
	fs.IntVar(&o.rounds, "rounds", 3, "live votes, each followed by the reference on its voting list; the figures are their medians")
	fs.IntVar(&o.freezeMembers, "freeze-members", 1_000_000, "members on the voting list frozen by the last step; the register is topped up to it")
	fs.IntVar(&o.tallyVotes, "tally-votes", 100_000, "votes seeded into the ballot that is then closed and counted (at most -members)")
	fs.IntVar(&o.verifyEvents, "verify-events", 1_000_000, "audit events the verification walks at least; the chain is padded up to it")
	fs.IntVar(&o.registerReqs, "register-requests", 200, "requests for the member register page")
	fs.IntVar(&o.refConns, "reference-conns", defaultRefConns, "database connections of the reference (Osk's own pool has DB_MAX_CONNS, 20)")
	fs.StringVar(&o.osk, "osk", "bin/osk", "the osk binary to measure")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	o.out = getenv("BENCH_OUT")
	if o.out == "" {
		o.out = ".data/bench.json"
	}
	o.databaseURL = getenv("DATABASE_URL")
	switch {
	case fs.NArg() > 0:
		return options{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.members < 1 || o.voters < 1 || o.rounds < 1 || o.registerReqs < 1 || o.refConns < 1:
		return options{}, fmt.Errorf("-members, -voters, -rounds, -register-requests and -reference-conns must be at least 1")
	case o.voters > o.members:
		return options{}, fmt.Errorf("-voters (%d) cannot exceed -members (%d): every voter is a member", o.voters, o.members)
	case o.freezeMembers < o.members:
		return options{}, fmt.Errorf("-freeze-members (%d) cannot be below -members (%d): the register only grows", o.freezeMembers, o.members)
	case o.tallyVotes < 1 || o.verifyEvents < 0:
		return options{}, fmt.Errorf("-tally-votes must be at least 1 and -verify-events at least 0")
	}
	o.tallyVotes = min(o.tallyVotes, o.members)
	return o, nil
}
