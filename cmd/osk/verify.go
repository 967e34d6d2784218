package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/citizen-network/osk/internal/auditor"
	"github.com/citizen-network/osk/internal/server"
)

// errProblemsFound makes `osk verify` exit non-zero once it has printed
// what it found.
var errProblemsFound = errors.New("the record has problems")

func runVerify(ctx context.Context, env *environment, args []string) error {
	fs := newFlags(env, "verify")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return withDatabase(ctx, env, false, func(database *server.Database) error {
		started := time.Now()
		fmt.Fprintln(env.stdout, "Verifying the audit chain and every record that hangs on it...")
		report, err := auditor.Verify(ctx, database.DB, server.Checks()...)
		if err != nil {
			return err
		}
		for _, p := range report.Problems {
			fmt.Fprintf(env.stdout, "PROBLEM event %d, %s %s: %s\n", p.Seq, p.Table, p.Row, p.Reason)
		}
		if report.ProblemsOmitted > 0 {
			fmt.Fprintf(env.stdout, "... and %d more problems not listed\n", report.ProblemsOmitted)
		}
		fmt.Fprintf(env.stdout, "%d events checked in %s; chain head %s\n", report.Events, time.Since(started).Round(time.Millisecond), report.HeadHash)
		if !report.OK {
			return errProblemsFound
		}
		fmt.Fprintln(env.stdout, "OK: the record is intact.")
		return nil
	})
}
