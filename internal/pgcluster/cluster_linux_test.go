package pgcluster

import (
	"context"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// processesIn lists the processes whose working directory is dir: every
// process of a server runs in its data directory.
func processesIn(t *testing.T, dir string) []int {
	t.Helper()
	want, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if cwd, err := os.Stat("/proc/" + e.Name() + "/cwd"); err == nil && os.SameFile(cwd, want) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func TestStop_LeavesNoProcessInDataDirectory(t *testing.T) {
	dir := testDir(t)
	c := start(t, Options{Dir: dir})
	queryString(t, open(t, c.URL("postgres")), "SELECT 1")
	if n := len(processesIn(t, dir)); n < 2 {
		t.Fatalf("%d processes run in the data directory, want the server and its helpers", n)
	}
	if err := c.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if pids := processesIn(t, dir); len(pids) > 0 {
		t.Errorf("processes %v still run in the data directory after Stop", pids)
	}
}

// After kill -9 of the postmaster its children linger until they notice;
// Start must not run a new server beside them.
func TestStart_AfterKill9WaitsForOldChildren(t *testing.T) {
	dir := testDir(t)
	killed := start(t, Options{Dir: dir})
	conn := open(t, killed.URL("postgres"))
	queryString(t, conn, "SELECT 1")
	old := processesIn(t, dir)
	if err := syscall.Kill(killed.server.pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	again := start(t, Options{Dir: dir})
	for _, pid := range old {
		if alive(pid) {
			t.Errorf("process %d of the killed server still runs beside the new one", pid)
		}
	}
	_ = conn.Close()
	if err := killed.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !answers(context.Background(), dir, again.server.port) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !answers(context.Background(), dir, again.server.port) {
		t.Error("the new server does not answer")
	}
}
