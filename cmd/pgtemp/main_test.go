package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"testing"

	_ "github.com/lib/pq"
)

// TestMain doubles as the command that pgtemp runs in these tests: it
// queries the server it was given and exits with the status asked for.
func TestMain(m *testing.M) {
	if os.Getenv("PGTEMP_TEST_CHILD") == "" {
		os.Exit(m.Run())
	}
	conn, err := sql.Open("postgres", os.Getenv(serverEnv))
	if err == nil {
		err = conn.QueryRow(`SELECT 1`).Err()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(99)
	}
	os.Exit(3)
}

func TestRun_GivesTheCommandAServerAndPassesOnItsStatus(t *testing.T) {
	t.Setenv(serverEnv, "")
	t.Setenv("PGTEMP_TEST_CHILD", "1")
	var stderr bytes.Buffer
	if code := run([]string{"--", os.Args[0]}, &stderr); code != 3 {
		t.Errorf("exit status %d, want the command's 3; stderr:\n%s", code, stderr.String())
	}
}

func TestRun_ReportsAMissingCommand(t *testing.T) {
	var stderr bytes.Buffer
	if code := run([]string{"--"}, &stderr); code != 2 || !strings.Contains(stderr.String(), "usage") {
		t.Errorf("without a command: status %d, stderr %q", code, stderr.String())
	}
	t.Setenv(serverEnv, "postgres://127.0.0.1:1/none")
	stderr.Reset()
	if code := run([]string{"--", "/nonexistent/command"}, &stderr); code != 127 {
		t.Errorf("with a missing command: status %d, want 127; stderr %q", code, stderr.String())
	}
}
