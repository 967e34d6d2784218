// Command osk runs Osk, the governance app of Citizen Network Osk, and its
// operator tasks. Run `osk --help` for the list of subcommands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/citizen-network/osk/internal/config"
	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/server"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

type command struct {
	summary string
	run     func(ctx context.Context, env *environment, args []string) error
	// standalone commands need no configuration, so they work on any
	// machine; one that needs it for some of its uses calls configure.
	standalone bool
}

// environment is what every subcommand receives.
type environment struct {
	cfg    config.Config
	logger *slog.Logger
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// configure reads the settings from the environment.
func (env *environment) configure() error {
	cfg, err := config.FromEnv(env.getenv)
	if err != nil {
		return err
	}
	env.cfg, env.logger = cfg, newLogger(env.stderr, cfg.LogLevel)
	return nil
}

var commands = map[string]command{
	"serve":   {"run the web server (the default)", runServe, false},
	"migrate": {"apply the database migrations and exit", runMigrate, false},
	"version": {"print the version", runVersion, true},
	"account": {"create an account in advance: account create --email E --name N", runAccount, false},
	"grant":   {"give a site role: grant --email E --role admin|board|auditor", roleCommand(true), false},
	"revoke":  {"take a site role away: revoke --email E --role R", roleCommand(false), false},
	"token":   {"make a personal access token: token create --email E [--name LABEL]", runToken, false},
	"verify":  {"verify the audit chain and the records on it, or a meeting's bundle offline (--bundle FILE); exits non-zero on any problem", runVerify, true},
	"seed":    {"fill an empty development database with the demo co-op: seed --demo", runSeed, false},
}

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	name := "serve"
	if len(args) > 0 {
		name, args = args[0], args[1:]
	}
	if name == "help" || name == "-h" || name == "--help" || name == "-help" {
		usage(stdout)
		return 0
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "osk: unknown command %q\n\n", name)
		usage(stderr)
		return 2
	}
	env := &environment{stdout: stdout, stderr: stderr, getenv: getenv}
	if !cmd.standalone {
		if err := env.configure(); err != nil {
			fmt.Fprintln(stderr, "osk:", err)
			return 1
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cmd.run(ctx, env, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "osk:", err)
		if errors.As(err, new(usageError)) {
			return 2
		}
		return 1
	}
	return 0
}

// usageError is a command line that Osk cannot read. It exits with 2, as
// an unknown command and a bad flag do, so that a script can tell a
// mistyped line from a failed task.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}

func newFlags(env *environment, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	return fs
}

// parseFlags reads a command's flags and refuses anything left over: the
// flag package stops at the first word that is not a flag, so an unquoted
// value with a space (--name Jane Doe) would otherwise be cut short
// without a word.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() == 0 {
		return nil
	}
	hint := ""
	fs.VisitAll(func(f *flag.Flag) {
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !b.IsBoolFlag() {
			hint = `; quote a value that has spaces, as in --name "Jane Doe"`
		}
	})
	return usagef("%s takes no arguments besides its flags, but was given %q%s", fs.Name(), strings.Join(fs.Args(), " "), hint)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: osk [command] [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run `osk COMMAND --help` for a command's flags. Settings come from the environment; see README.md.")
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(strings.ToUpper(level)))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// withDatabase opens the database (in development, the private PostgreSQL)
// for one command and closes it afterwards.
func withDatabase(ctx context.Context, env *environment, serve bool, fn func(*server.Database) error) error {
	database, err := server.OpenDatabase(ctx, env.cfg, env.logger, serve)
	if err != nil {
		return err
	}
	defer func() {
		// The time to stop is counted from the end of the command, which
		// for serve may come days after the start.
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := database.Close(stopCtx); err != nil {
			env.logger.Error("closing the database", "error", err)
		}
	}()
	return fn(database)
}

// withSchema is withDatabase for the operator commands, which read and
// write Osk's tables and so need the schema this binary was built for.
// They never migrate, even in development: an operator decides when.
func withSchema(ctx context.Context, env *environment, fn func(*server.Database) error) error {
	return withDatabase(ctx, env, false, func(database *server.Database) error {
		if err := db.CheckSchema(ctx, database.DB); err != nil {
			return err
		}
		return fn(database)
	})
}

func runServe(ctx context.Context, env *environment, args []string) error {
	fs := newFlags(env, "serve")
	withDemo := fs.Bool("demo", false, "in development, fill an empty database with the demo co-op first")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return withDatabase(ctx, env, true, func(database *server.Database) error {
		// Development migrates at start so that `make run` is one step;
		// production migrates in Fly's release command before instances
		// start, so that two instances never race a schema change. An
		// instance on any other schema would pass its health check and then
		// fail requests and background work, so production refuses to start.
		if env.cfg.IsDevelopment() {
			if err := db.Migrate(ctx, database.DB); err != nil {
				return err
			}
			if *withDemo {
				if err := seedIfEmpty(ctx, env, database); err != nil {
					return err
				}
			}
		} else if err := db.CheckSchema(ctx, database.DB); err != nil {
			return err
		}
		srv, err := server.New(env.cfg, env.logger, database)
		if err != nil {
			return err
		}
		ln, err := srv.Listen()
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "Osk is running at %s (press Ctrl-C to stop)\n", env.cfg.BaseURL)
		return srv.Serve(ctx, ln)
	})
}

func runMigrate(ctx context.Context, env *environment, args []string) error {
	if err := parseFlags(newFlags(env, "migrate"), args); err != nil {
		return err
	}
	return withDatabase(ctx, env, false, func(database *server.Database) error {
		if err := db.Migrate(ctx, database.DB); err != nil {
			return err
		}
		fmt.Fprintln(env.stdout, "The database is up to date.")
		return nil
	})
}

func runVersion(_ context.Context, env *environment, args []string) error {
	if err := parseFlags(newFlags(env, "version"), args); err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, "osk", version)
	return nil
}
