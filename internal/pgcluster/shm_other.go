//go:build !linux && !darwin

package pgcluster

import (
	"errors"
	"syscall"
)

// shmInUse stands in for the shared memory check where osk cannot read a
// segment's attach count: it waits for the server's main process alone.
func shmInUse(pf pidFile) bool {
	err := syscall.Kill(pf.pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// removeShm leaves the segment to PostgreSQL where osk cannot inspect it.
func removeShm(pidFile) {}
