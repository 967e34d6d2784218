package pgcluster

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"time"
)

// procInfo is what the operating system tells about a process.
type procInfo struct {
	name   string // the executable's name, as the kernel keeps it
	zombie bool   // exited, but not yet reaped by its parent
	// cwd is the process's working directory, nil where the system does
	// not tell.
	cwd os.FileInfo
}

// alive reports whether pid is a process that still runs. A zombie does not:
// it has exited and only waits for its parent (or, for an orphan, an init
// that may never reap it) to collect its status.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	info, ok := inspectProcess(pid)
	return !ok || !info.zombie
}

// runsServer reports whether pid is a live process of the PostgreSQL server
// of the data directory dir. After a reboot the pid in a stale
// postmaster.pid may belong to any program, even to another PostgreSQL. The
// name test is loose (packagers wrap the binary under names such as
// .postgres-wrapped); every server process works in its data directory.
// Whatever the system will not tell counts for the server: mistaking a live
// server for a stale pid would start a second server on the same files.
func runsServer(pid int, dir string) bool {
	if !alive(pid) {
		return false
	}
	info, ok := inspectProcess(pid)
	if !ok {
		return true
	}
	if !strings.Contains(info.name, "postgres") && !strings.Contains(info.name, "postmaster") {
		return false
	}
	if info.cwd == nil {
		return true
	}
	want, err := os.Stat(dir)
	return err != nil || os.SameFile(info.cwd, want)
}

// poll calls done every few milliseconds until it reports true or ctx
// ends, and reports whether done came true.
func poll(ctx context.Context, done func() bool) bool {
	for {
		if done() {
			return true
		}
		select {
		case <-ctx.Done():
			return done()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
