package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// lockFile is an flock(2) lock on a file next to the data directory. The
// kernel drops it when the process dies, however it dies, so a crashed osk
// never leaves a directory locked.
type lockFile struct {
	f *os.File
}

func openLock(path string) (*lockFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: lock file: %w", err)
	}
	return &lockFile{f: f}, nil
}

// tryLock takes the lock without waiting. It reports false when another
// holder has it; the file stays open for a later attempt or release.
func (l *lockFile) tryLock(how int) (bool, error) {
	err := syscall.Flock(int(l.f.Fd()), how|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("pgcluster: lock %s: %w", l.f.Name(), err)
	}
	return true, nil
}

// lock waits for the lock until ctx is done. flock cannot be interrupted by
// a context, so it polls instead of blocking in the kernel.
func (l *lockFile) lock(ctx context.Context, how int) error {
	for {
		ok, err := l.tryLock(how)
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pgcluster: wait for %s: %w", l.f.Name(), ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// writePID records the holder's process id, for the message another process
// shows when it finds the lock taken.
func (l *lockFile) writePID() error {
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("pgcluster: lock file: %w", err)
	}
	if _, err := l.f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0); err != nil {
		return fmt.Errorf("pgcluster: lock file: %w", err)
	}
	return nil
}

func (l *lockFile) readPID() int {
	b := make([]byte, 32)
	n, _ := l.f.ReadAt(b, 0)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b[:n])))
	if err != nil {
		return 0
	}
	return pid
}

// release drops the lock and closes the file. The file itself stays: removing
// it would let two processes lock two different files of the same name.
func (l *lockFile) release() {
	if l == nil || l.f == nil {
		return
	}
	_ = l.f.Close()
	l.f = nil
}

// acquire opens path and waits for its lock.
func acquire(ctx context.Context, path string, how int) (*lockFile, error) {
	l, err := openLock(path)
	if err != nil {
		return nil, err
	}
	if err := l.lock(ctx, how); err != nil {
		l.release()
		return nil, err
	}
	return l, nil
}

// tryAcquire opens path and takes its lock if nobody holds it.
func tryAcquire(path string, how int) (*lockFile, bool) {
	l, err := openLock(path)
	if err != nil {
		return nil, false
	}
	ok, err := l.tryLock(how)
	if err != nil || !ok {
		l.release()
		return nil, false
	}
	return l, true
}
