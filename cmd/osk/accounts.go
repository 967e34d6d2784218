package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/clock"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/server"
)

// withAuth runs fn with the accounts service over the database. Operator
// commands use the real clock: they act now, whatever a development
// server's adjustable clock says.
func withAuth(ctx context.Context, env *environment, fn func(*auth.Service) error) error {
	return withSchema(ctx, env, func(database *server.Database) error {
		clk := clock.Real{}
		return fn(auth.NewService(database.DB, audit.New(clk), clk))
	})
}

func runAccount(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return usagef("usage: osk account create --email EMAIL --name NAME")
	}
	fs := newFlags(env, "account create")
	email := fs.String("email", "", "the person's email address")
	name := fs.String("name", "", "the person's name")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	return withAuth(ctx, env, func(svc *auth.Service) error {
		acc, err := svc.CreateAccount(ctx, auth.Operator, *email, *name)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "Created account %d for %s <%s>. It is claimed at the first sign-in with that verified email.\n", acc.ID, acc.Name, acc.Email)
		return nil
	})
}

func roleCommand(grant bool) func(context.Context, *environment, []string) error {
	name := "revoke"
	if grant {
		name = "grant"
	}
	return func(ctx context.Context, env *environment, args []string) error {
		fs := newFlags(env, name)
		email := fs.String("email", "", "the account's email address")
		accountID := fs.Int64("account-id", 0, "the account's number, for an account whose email no sign-in provider confirmed")
		role := fs.String("role", "", "admin, board or auditor")
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		if (*email == "") == (*accountID == 0) || *role == "" {
			return usagef("usage: osk %s (--email EMAIL | --account-id N) --role admin|board|auditor", name)
		}
		return withAuth(ctx, env, func(svc *auth.Service) error {
			var acc auth.Account
			var err error
			switch {
			case *accountID != 0:
				acc, err = svc.Account(ctx, *accountID)
			case grant:
				acc, err = svc.AccountToEntrust(ctx, *email)
			default:
				acc, err = svc.AccountByEmail(ctx, *email)
			}
			if errors.Is(err, errs.NotFound) && *email != "" {
				return fmt.Errorf("%w (create it first with: osk account create --email %s --name NAME)", err, *email)
			}
			if err != nil {
				return err
			}
			if grant {
				err = svc.Grant(ctx, auth.Operator, acc.ID, *role)
			} else {
				err = svc.Revoke(ctx, auth.Operator, acc.ID, *role)
			}
			if err != nil {
				return err
			}
			verb := "now has"
			if !grant {
				verb = "no longer has"
			}
			fmt.Fprintf(env.stdout, "%s <%s> %s the role %s.\n", acc.Name, acc.Email, verb, *role)
			return nil
		})
	}
}

func runToken(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return usagef("usage: osk token create --email EMAIL [--name LABEL] [--expires DURATION]")
	}
	fs := newFlags(env, "token create")
	email := fs.String("email", "", "the account's email address")
	name := fs.String("name", "command line", "a label for the token")
	expires := fs.Duration("expires", 0, "how long the token lasts, e.g. 720h (default: until revoked)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if *email == "" {
		return usagef("usage: osk token create --email EMAIL [--name LABEL] [--expires DURATION]")
	}
	if *expires < 0 {
		return usagef("--expires must be positive")
	}
	return withAuth(ctx, env, func(svc *auth.Service) error {
		acc, err := svc.AccountByEmail(ctx, *email)
		if err != nil {
			return err
		}
		raw, tok, err := svc.CreateToken(ctx, auth.Operator, acc.ID, *name, *expires)
		if err != nil {
			return err
		}
		until := "until revoked"
		if tok.ExpiresAt != nil {
			until = "until " + tok.ExpiresAt.Format(time.RFC3339)
		}
		fmt.Fprintf(env.stdout, "Token %d %q for %s, valid %s. It is shown only now:\n%s\n", tok.ID, tok.Name, acc.Email, until, raw)
		return nil
	})
}
