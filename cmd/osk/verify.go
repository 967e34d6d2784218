package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auditor"
	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/pgcluster"
	"github.com/citizen-network/osk/internal/server"
)

// errProblemsFound makes `osk verify` exit non-zero once it has printed
// what it found.
var errProblemsFound = errors.New("the record has problems")

// runVerify verifies the live database, or with --bundle a meeting's
// export bundle on a machine that has only the file: the bundle is loaded
// into a throwaway PostgreSQL and checked there by the same checks.
func runVerify(ctx context.Context, env *environment, args []string) error {
	fs := newFlags(env, "verify")
	bundle := fs.String("bundle", "", "verify this export bundle of a meeting offline, in a throwaway PostgreSQL, instead of the live database")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *bundle != "" {
		return verifyBundle(ctx, env, *bundle)
	}
	if err := env.configure(); err != nil {
		return err
	}
	return withSchema(ctx, env, func(database *server.Database) error {
		started := time.Now()
		fmt.Fprintln(env.stdout, "Verifying the audit chain and every record that hangs on it...")
		report, err := auditor.VerifyLive(ctx, database.DB, auditor.Options{Progress: progress(env, started)}, server.Checks()...)
		if err != nil {
			return err
		}
		return printReport(env, report, started)
	})
}

func verifyBundle(ctx context.Context, env *environment, path string) error {
	started := time.Now()
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	b, err := auditor.ReadBundle(bufio.NewReader(f))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(env.stdout, "Verifying the bundle of meeting %d, exported at %s, in a throwaway PostgreSQL...\n", b.MeetingID, b.ExportedAt)
	cluster, err := pgcluster.StartTemp(ctx)
	if err != nil {
		return err
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if err := cluster.Stop(stopCtx); err != nil {
			fmt.Fprintln(env.stderr, "osk: stopping the throwaway PostgreSQL:", err)
		}
	}()
	conn, err := db.Open(ctx, cluster.URL("postgres"), db.Pool{MaxOpen: 2, MaxIdle: 2})
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := db.Migrate(ctx, conn); err != nil {
		return err
	}
	if err := auditor.LoadBundle(ctx, conn, b); err != nil {
		return err
	}
	report, err := auditor.VerifyBundle(ctx, conn, b, auditor.Options{Progress: progress(env, started)}, server.Checks()...)
	if err != nil {
		return err
	}
	after, head := b.Chain.After, b.Chain.Head
	fmt.Fprintf(env.stdout, "The bundle holds events %d to %d. Event %d chains onto event %d, which the bundle does not hold, whose hash is %s:\n",
		after.Seq+1, head.Seq, after.Seq+1, after.Seq, after.Hash)
	fmt.Fprintf(env.stdout, "compare it with the live log, and the head (event %d, hash %s) with the chain heads printed on minutes and ballot records.\n",
		head.Seq, head.Hash)
	return printReport(env, report, started)
}

// progress tells, on stderr, how far a verification of a large log is:
// every audit.DefaultProgressEvery events, and as each check begins. A
// small log verifies too fast to need it.
func progress(env *environment, started time.Time) func(auditor.Progress) {
	return func(p auditor.Progress) {
		if p.Events < audit.DefaultProgressEvery {
			return
		}
		took := time.Since(started).Round(100 * time.Millisecond)
		if p.Check != "" {
			fmt.Fprintf(env.stderr, "%s: %d events checked; checking the %s...\n", took, p.Events, p.Check)
			return
		}
		fmt.Fprintf(env.stderr, "%s: %d events checked, up to %d...\n", took, p.Events, p.Seq)
	}
}

func printReport(env *environment, report audit.Report, started time.Time) error {
	for _, p := range report.Problems {
		fmt.Fprintf(env.stdout, "PROBLEM event %d, %s %s: %s\n", p.Seq, p.Table, p.Row, p.Reason)
	}
	if report.ProblemsOmitted > 0 {
		fmt.Fprintf(env.stdout, "... and %d more problems not listed\n", report.ProblemsOmitted)
	}
	fmt.Fprintf(env.stdout, "%d events checked in %s; chain head %s\n", report.Events, time.Since(started).Round(time.Millisecond), report.HeadHash)
	fmt.Fprintf(env.stdout, "Records checked against them: %d closed ballots, %d minutes and addenda, %d motions, %d elections.\n",
		report.Checked["ballots"], report.Checked["minutes"], report.Checked["motions"], report.Checked["elections"])
	if !report.OK {
		return errProblemsFound
	}
	fmt.Fprintln(env.stdout, "OK: the record is intact.")
	return nil
}
