// Command pgtemp runs a command against a throwaway PostgreSQL:
//
//	pgtemp -- go test ./...
//
// It starts a private, non-durable server under /tmp, runs the command with
// TEST_DATABASE_URL naming the server's postgres database (internal/dbtest
// creates each test's database there, so every test package shares the one
// server), then stops and removes the server and exits with the command's
// status. When TEST_DATABASE_URL is already set, the command runs against
// that server and pgtemp starts none.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/citizen-network/osk/internal/pgcluster"
)

// serverEnv is the variable internal/dbtest reads.
const serverEnv = "TEST_DATABASE_URL"

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: pgtemp -- COMMAND [ARG...]")
		return 2
	}

	// Signals are caught from the start, so that an interrupt while the
	// server starts still stops it. The server sits in a process group of
	// its own, out of reach of the terminal's Ctrl-C.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var child childProcess
	go func() {
		for sig := range signals {
			cancel()
			child.signal(sig)
		}
	}()

	env := os.Environ()
	if os.Getenv(serverEnv) == "" {
		cluster, err := pgcluster.StartTemp(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "pgtemp: %v\n", err)
			if ctx.Err() != nil {
				return 130
			}
			return 1
		}
		defer func() {
			stopCtx, cancelStop := context.WithTimeout(context.Background(), time.Minute)
			defer cancelStop()
			if err := cluster.Stop(stopCtx); err != nil {
				fmt.Fprintf(stderr, "pgtemp: %v\n", err)
			}
		}()
		env = append(env, serverEnv+"="+cluster.URL("postgres"))
	}

	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, stderr
	cmd.Env = env
	if err := child.start(cmd); err != nil {
		fmt.Fprintf(stderr, "pgtemp: %v\n", err)
		if errors.Is(err, errInterrupted) {
			return 130
		}
		return 127
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		if status, ok := exit.Sys().(syscall.WaitStatus); ok && status.Signaled() {
			return 128 + int(status.Signal())
		}
		return exit.ExitCode()
	default:
		fmt.Fprintf(stderr, "pgtemp: %v\n", err)
		return 1
	}
}

// childProcess is the command, once started, so that signals reach it. A
// Ctrl-C in the terminal reaches it directly too; forwarding matters when
// pgtemp alone is signalled, as by a CI runner's timeout.
type childProcess struct {
	mu          sync.Mutex
	process     *os.Process
	interrupted bool
}

var errInterrupted = errors.New("interrupted before the command started")

// start runs cmd unless a signal has come first.
func (c *childProcess) start(cmd *exec.Cmd) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.interrupted {
		return errInterrupted
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	c.process = cmd.Process
	return nil
}

func (c *childProcess) signal(sig os.Signal) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.interrupted = true
	if c.process != nil {
		_ = c.process.Signal(sig)
	}
}
