package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/demo"
	"github.com/citizen-network/osk/internal/server"
)

func runSeed(ctx context.Context, env *environment, args []string) error {
	fs := newFlags(env, "seed")
	withDemo := fs.Bool("demo", false, "fill an empty development database with the demo co-op")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if !*withDemo {
		return usagef("usage: osk seed --demo")
	}
	if !env.cfg.IsDevelopment() {
		return errors.New("the demo co-op is for development only (APP_ENV=development)")
	}
	return withDatabase(ctx, env, false, func(database *server.Database) error {
		if err := db.Migrate(ctx, database.DB); err != nil {
			return err
		}
		return seedDemo(ctx, env, database)
	})
}

// seedIfEmpty fills a development database that has never been used, so
// that `make run` shows a living co-op at once. A database with any audit
// event is left as it is.
func seedIfEmpty(ctx context.Context, env *environment, database *server.Database) error {
	seq, _, err := audit.Head(ctx, database.DB)
	if err != nil || seq > 0 {
		return err
	}
	return seedDemo(ctx, env, database)
}

func seedDemo(ctx context.Context, env *environment, database *server.Database) error {
	logins, err := demo.Seed(ctx, database.DB, demo.Options{BaseURL: env.cfg.BaseURL.String()})
	if err != nil {
		return err
	}
	printLogins(env.stdout, logins)
	return nil
}

func printLogins(w io.Writer, l demo.Logins) {
	fmt.Fprintln(w, "The demo co-op is ready. Sign in through the development provider with any of these emails:")
	fmt.Fprintf(w, "  a member:          %s\n", l.Member)
	fmt.Fprintf(w, "  a board member:    %s\n", l.Board)
	fmt.Fprintf(w, "  the auditor:       %s\n", l.Auditor)
}
