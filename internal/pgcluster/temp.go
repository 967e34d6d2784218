package pgcluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

const (
	// tempParent holds throwaway clusters. /tmp rather than $TMPDIR: the
	// postgres system user can reach it, and its short path leaves room for
	// the unix socket's.
	tempParent = "/tmp"
	tempPrefix = "osk-pg-"
	// tempGrace shields a throwaway cluster that is being created from the
	// sweep of abandoned ones, before its owner holds its locks.
	tempGrace = time.Minute
)

// StartTemp starts a throwaway cluster in a new directory under /tmp, not
// durable, for tests. Its Stop also removes the directory. On the way it
// removes the throwaway clusters that processes which died without stopping
// them left behind (a test binary killed by its timeout, say).
func StartTemp(ctx context.Context) (*Cluster, error) {
	sweepTemp(ctx)
	root, err := os.MkdirTemp(tempParent, tempPrefix)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: start throwaway cluster: %w", err)
	}
	if os.Geteuid() == 0 {
		// Let the postgres system user through to the data directory.
		if err := os.Chmod(root, 0o711); err != nil {
			_ = os.RemoveAll(root)
			return nil, fmt.Errorf("pgcluster: start throwaway cluster: %w", err)
		}
	}
	c, err := Start(ctx, Options{Dir: filepath.Join(root, "data")})
	if err != nil {
		_ = os.RemoveAll(root)
		return nil, err
	}
	c.removeOnStop = root
	return c, nil
}

// sweepTemp removes abandoned throwaway clusters: those whose users lock no
// process holds. A server still running on one, its owner having died
// without stopping it, is stopped first. The sweep is best effort: a cluster
// it cannot make sense of, or may not touch, stays.
func sweepTemp(ctx context.Context) {
	roots, _ := filepath.Glob(filepath.Join(tempParent, tempPrefix+"*"))
	for _, root := range roots {
		info, err := os.Lstat(root)
		if err != nil || !info.IsDir() || time.Since(info.ModTime()) < tempGrace {
			continue
		}
		sweepRoot(ctx, root)
	}
}

func sweepRoot(ctx context.Context, root string) {
	dir := filepath.Join(root, "data")
	startLock, ok := tryAcquire(dir+".start.lock", syscall.LOCK_EX)
	if !ok {
		return
	}
	defer startLock.release()
	usersLock, ok := tryAcquire(dir+".users.lock", syscall.LOCK_EX)
	if !ok {
		return
	}
	defer usersLock.release()
	if pf, err := readPidFile(dir); err == nil && runsServer(pf.pid, dir) {
		if !answers(ctx, dir, pf.port) {
			return
		}
		orphan := &Cluster{dir: dir, server: pf}
		orphan.halt()
		if !orphan.gone() {
			return
		}
	}
	_ = os.RemoveAll(root)
}
