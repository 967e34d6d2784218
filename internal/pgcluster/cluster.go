// Package pgcluster runs Osk's private PostgreSQL: a cluster in a data
// directory of its own, served by the PostgreSQL server programs installed
// on the machine. `osk serve` without DATABASE_URL runs a durable one; the
// tests run throwaway ones (StartTemp).
//
// Several osk processes may use one data directory at once: the first that
// needs the server starts it and the others attach to it. They coordinate
// through files next to the data directory DIR:
//
//	DIR.serve.lock  held by the one osk serve (Options.Exclusive) while it runs
//	DIR.start.lock  held while a process looks for, initialises, starts or stops the server
//	DIR.users.lock  held shared by every process using the server
//	DIR.log         the server's log, unless Options.Log names another place
//
// The locks are flock(2) locks, which the kernel drops when a process dies,
// so no crash leaves a directory locked.
package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	// superuser is the cluster's one role; connections from this machine
	// need no password.
	superuser = "osk"
	// listenHost is the only address the server listens on.
	listenHost = "127.0.0.1"
	// maxSocketPath is the longest unix socket path every supported system
	// takes: sun_path holds 104 bytes on macOS and 108 on Linux, with a NUL.
	maxSocketPath = 103
	// startAttempts bounds the retries when another program takes the port
	// chosen for the server before the server binds it.
	startAttempts = 5
	// readyTimeout bounds the wait for a server to answer, crash recovery
	// included.
	readyTimeout = 2 * time.Minute
	// exitTimeout bounds the wait for the processes of a dead server to exit.
	exitTimeout = 30 * time.Second
)

// ErrInUse is returned by an Exclusive Start when another osk serve holds the
// data directory.
var ErrInUse = errors.New("pgcluster: the data directory is in use by another osk serve")

type inUseError struct {
	dir string
	pid int
}

func (e *inUseError) Error() string {
	if e.pid > 0 {
		return fmt.Sprintf("pgcluster: the data directory %s is in use by another osk serve (pid %d)", e.dir, e.pid)
	}
	return fmt.Sprintf("pgcluster: the data directory %s is in use by another osk serve", e.dir)
}

func (e *inUseError) Is(target error) bool { return target == ErrInUse }

// errPortTaken means the server could not bind the port chosen for it.
var errPortTaken = errors.New("pgcluster: the port was taken")

// Options say where and how to run a cluster.
type Options struct {
	// Dir is the data directory. Start initialises a cluster there when it
	// is missing or empty. Its parent holds the lock files and the log.
	Dir string
	// Durable makes a commit survive a crash of the machine once it is
	// acknowledged (fsync, synchronous_commit and full_page_writes on, data
	// checksums). Votes need that. Throwaway test clusters go without, for
	// speed: a crash loses them, which does not matter.
	Durable bool
	// Exclusive claims Dir for this process until Stop: another Exclusive
	// Start on it fails with ErrInUse. osk serve uses it; other commands
	// attach to the server that osk serve runs.
	Exclusive bool
	// Port is the TCP port to listen on; 0 picks a free one. A fixed port
	// lets clients reconnect to a server restarted after a crash.
	Port int
	// Log receives the server's log; nil means the file DIR.log. The server
	// writes to that file itself, whereas a writer is fed by this process,
	// so a server that outlives this process (see Stop) keeps logging only
	// to the default file.
	Log io.Writer
}

// Cluster is a running server on a data directory.
type Cluster struct {
	dir    string
	server pidFile
	owned  bool
	// exited is closed once the server this process started has exited and
	// been reaped; it is nil for a server that another process started.
	exited  chan struct{}
	waitErr error

	serveLock *lockFile
	usersLock *lockFile
	// removeOnStop is a directory that Stop removes with the server: the
	// root of a throwaway cluster.
	removeOnStop string

	stopOnce sync.Once
	stopErr  error
}

// Start returns a running server on opts.Dir. When a healthy server already
// runs there it attaches to it, and the cluster is not Owned unless Start is
// Exclusive, in which case it adopts the server (one whose osk serve was
// killed). Otherwise it removes what a crashed server left behind,
// initialises the directory if it is new, and starts the server as a child
// process in its own process group, so that a Ctrl-C in the terminal reaches
// osk alone, which then stops the server in order.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.Dir == "" {
		return nil, errors.New("pgcluster: start: no data directory given")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: start: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, fmt.Errorf("pgcluster: start: %w", err)
	}
	c := &Cluster{dir: dir}
	started := false
	defer func() {
		if !started {
			c.releaseLocks()
		}
	}()
	if opts.Exclusive {
		if err := c.claim(); err != nil {
			return nil, err
		}
	}
	if c.usersLock, err = acquire(ctx, dir+".users.lock", syscall.LOCK_SH); err != nil {
		return nil, err
	}
	// One process at a time looks for the server and starts it, so that two
	// commands started together never run initdb or the server twice.
	startLock, err := acquire(ctx, dir+".start.lock", syscall.LOCK_EX)
	if err != nil {
		return nil, err
	}
	defer startLock.release()

	running, err := findServer(ctx, dir)
	if err != nil {
		return nil, err
	}
	if running != nil {
		c.server, c.owned = *running, opts.Exclusive
	} else {
		if err := c.launch(ctx, opts); err != nil {
			return nil, err
		}
		c.owned = true
	}
	started = true
	return c, nil
}

// URL is the address of database dbname on the server, as its superuser.
func (c *Cluster) URL(dbname string) string { return serverURL(c.server.port, dbname) }

// Owned reports whether Stop stops the server: this process started it, or
// adopted it as osk serve.
func (c *Cluster) Owned() bool { return c.owned }

// Stop releases the cluster. When it is Owned, Stop also shuts the server
// down (fast: open transactions roll back, then a checkpoint) and waits until
// the server's processes are gone. If ctx ends first, the server is stopped
// at once instead, and the next start replays the write-ahead log. A server
// that another osk process still uses keeps running: that process, or the
// next Start on the directory, attaches to it or adopts it. Stop may be
// called more than once; later calls return the first call's result.
func (c *Cluster) Stop(ctx context.Context) error {
	c.stopOnce.Do(func() { c.stopErr = c.stop(ctx) })
	return c.stopErr
}

func (c *Cluster) stop(ctx context.Context) error {
	defer c.releaseLocks()
	if !c.owned {
		return nil
	}
	startLock, err := acquire(ctx, c.dir+".start.lock", syscall.LOCK_EX)
	if err != nil {
		return err
	}
	defer startLock.release()
	// Only a process that is alone in using the server may stop it.
	alone, err := c.usersLock.tryLock(syscall.LOCK_EX)
	if err != nil || !alone {
		return err
	}
	if err := c.shutdown(ctx); err != nil {
		return err
	}
	if c.removeOnStop != "" {
		if err := os.RemoveAll(c.removeOnStop); err != nil {
			return fmt.Errorf("pgcluster: remove %s: %w", c.removeOnStop, err)
		}
	}
	return nil
}

// claim takes the directory for this process as its osk serve.
func (c *Cluster) claim() error {
	l, err := openLock(c.dir + ".serve.lock")
	if err != nil {
		return err
	}
	ok, err := l.tryLock(syscall.LOCK_EX)
	if err == nil && !ok {
		err = &inUseError{dir: c.dir, pid: l.readPID()}
	}
	if err == nil {
		err = l.writePID()
	}
	if err != nil {
		l.release()
		return err
	}
	c.serveLock = l
	return nil
}

func (c *Cluster) releaseLocks() {
	c.usersLock.release()
	c.serveLock.release()
}

// findServer looks for a server already running on dir and returns it once
// it answers. It returns nil when none runs, having cleared what a server
// that died left behind.
func findServer(ctx context.Context, dir string) (*pidFile, error) {
	deadline := time.Now().Add(readyTimeout)
	for {
		pf, err := readPidFile(dir)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("pgcluster: read postmaster.pid: %w", err)
		}
		if !runsServer(pf.pid, dir) {
			return nil, clearStale(ctx, dir, pf)
		}
		if answers(ctx, dir, pf.port) {
			return &pf, nil
		}
		// The server is still recovering from a crash, shutting down, or
		// stuck: wait for it to answer or to go.
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("pgcluster: a PostgreSQL server (pid %d) runs on %s but does not answer on port %d; "+
				"stop it, or, if that process is not PostgreSQL, remove %s",
				pf.pid, dir, pf.port, filepath.Join(dir, "postmaster.pid"))
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("pgcluster: wait for the server on %s: %w", dir, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// clearStale clears what a server that died without shutting down (a crash,
// kill -9, a power cut) left behind. Its children notice the death and exit
// on their own, but until the last has, they may still write to the data
// files, so a new server must wait for them: PostgreSQL itself refuses to
// start while they hold the old shared memory. The pid in postmaster.pid may
// meanwhile still exist, as a zombie until its parent reaps it (in some
// containers, never) or as another program after a reboot, and PostgreSQL
// would take it for a live server; once the old processes are gone the file
// can go too.
func clearStale(ctx context.Context, dir string, pf pidFile) error {
	waitCtx, cancel := context.WithTimeout(ctx, exitTimeout)
	defer cancel()
	if !poll(waitCtx, func() bool { return !shmInUse(pf) }) {
		if ctx.Err() != nil {
			return fmt.Errorf("pgcluster: wait for the old server on %s: %w", dir, ctx.Err())
		}
		return fmt.Errorf("pgcluster: processes of a PostgreSQL server that died still use %s after %s; "+
			"stop them (`ps -ef | grep postgres`) and start again", dir, exitTimeout)
	}
	removeShm(pf)
	if err := os.Remove(filepath.Join(dir, "postmaster.pid")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("pgcluster: remove stale postmaster.pid: %w", err)
	}
	return nil
}

// launch initialises the data directory if needed and starts the server.
func (c *Cluster) launch(ctx context.Context, opts Options) error {
	bins, err := findBinaries(ctx, clusterMajor(c.dir))
	if err != nil {
		return err
	}
	acct, err := serverAccount()
	if err != nil {
		return err
	}
	if err := acct.prepareDir(c.dir); err != nil {
		return err
	}
	if err := initdb(ctx, bins, acct, c.dir, opts.Durable); err != nil {
		return err
	}
	log, err := openLog(c.dir, opts.Log)
	if err != nil {
		return err
	}
	defer log.close()
	if opts.Port != 0 {
		return c.run(ctx, bins, acct, opts.Port, opts.Durable, log)
	}
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		err = c.run(ctx, bins, acct, port, opts.Durable, log)
		if !errors.Is(err, errPortTaken) {
			return err
		}
		if attempt == startAttempts {
			return fmt.Errorf("pgcluster: start: no free port after %d attempts: %w", attempt, err)
		}
	}
}

// clusterMajor is the major version that made the cluster in dir, or 0 when
// dir holds none.
func clusterMajor(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, "PG_VERSION"))
	if err != nil {
		return 0
	}
	major, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return major
}

// initdb makes a new cluster in dir unless it holds one. The superuser osk
// may connect from this machine without a password; the server listens on
// the loopback interface only.
func initdb(ctx context.Context, bins binaries, acct account, dir string, durable bool) error {
	if clusterMajor(dir) > 0 {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("pgcluster: initdb: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("pgcluster: %s is neither empty nor a PostgreSQL data directory; empty it or choose another", dir)
	}
	args := []string{"-D", dir, "-U", superuser, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-instructions"}
	if durable {
		args = append(args, "--data-checksums")
	} else {
		// A throwaway cluster needs nothing on disk; skipping the sync
		// saves most of initdb's time.
		args = append(args, "--no-sync")
	}
	cmd := exec.CommandContext(ctx, bins.path("initdb"), args...)
	cmd.Dir = dir
	cmd.Env = childEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: acct.cred}
	// Interrupted, initdb removes what it made, so the next start begins
	// afresh instead of finding half a cluster.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("pgcluster: initdb: %w", ctx.Err())
		}
		return fmt.Errorf("pgcluster: initdb: %w\n%s", acct.explainStartError(dir, err), out)
	}
	return nil
}

// run starts the server on port and waits until it answers.
func (c *Cluster) run(ctx context.Context, bins binaries, acct account, port int, durable bool, log *serverLog) error {
	cmd := exec.Command(bins.path("postgres"), serverArgs(c.dir, port, durable)...)
	cmd.Dir = c.dir
	cmd.Env = childEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: acct.cred}
	cmd.Stdout, cmd.Stderr = log.w, log.w
	log.mark()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgcluster: start postgres: %w", acct.explainStartError(c.dir, err))
	}
	exited := make(chan struct{})
	go func() {
		c.waitErr = cmd.Wait()
		close(exited)
	}()
	c.server, c.exited = pidFile{pid: cmd.Process.Pid, port: port, shmID: -1}, exited

	deadline := time.Now().Add(readyTimeout)
	for {
		select {
		case <-exited:
			end := log.end()
			if strings.Contains(end, "could not bind") || strings.Contains(end, "could not create any TCP/IP sockets") {
				return errPortTaken
			}
			return fmt.Errorf("pgcluster: postgres exited while starting (%v); its log ends with:\n%s", c.waitErr, end)
		case <-ctx.Done():
			c.halt()
			return fmt.Errorf("pgcluster: start: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
		if answers(ctx, c.dir, port) {
			break
		}
		if time.Now().After(deadline) {
			c.halt()
			return fmt.Errorf("pgcluster: postgres did not answer within %s; its log ends with:\n%s", readyTimeout, log.end())
		}
	}
	// The server has recorded its shared memory by now; Stop watches it to
	// know when the last server process has gone.
	if pf, err := readPidFile(c.dir); err == nil && pf.pid == c.server.pid {
		c.server = pf
	}
	return nil
}

// serverArgs are the server's settings. They go on the command line, which
// takes precedence over postgresql.conf and ALTER SYSTEM, so that no edit can
// turn off the durability that votes rely on.
func serverArgs(dir string, port int, durable bool) []string {
	onOff := "off"
	if durable {
		onOff = "on"
	}
	settings := []string{
		"listen_addresses=" + listenHost,
		"port=" + strconv.Itoa(port),
		"unix_socket_directories=" + socketDirectory(dir, port),
		"max_connections=200",
		"shared_buffers=128MB",
		"fsync=" + onOff,
		"synchronous_commit=" + onOff,
		"full_page_writes=" + onOff,
		"timezone=UTC",
		"log_timezone=UTC",
	}
	args := []string{"-D", dir}
	for _, s := range settings {
		args = append(args, "-c", s)
	}
	return args
}

// socketDirectory puts the server's unix socket in the data directory, where
// it disturbs no other server, or returns "" (no socket, TCP only) when the
// socket's path would be too long for the system.
func socketDirectory(dir string, port int) string {
	socket := filepath.Join(dir, ".s.PGSQL."+strconv.Itoa(port))
	if len(socket) > maxSocketPath || strings.Contains(dir, `"`) {
		return ""
	}
	return `"` + dir + `"`
}

// gone reports whether the server's processes have all exited.
func (c *Cluster) gone() bool {
	if c.exited != nil {
		select {
		case <-c.exited:
		default:
			return false
		}
	} else if alive(c.server.pid) {
		return false
	}
	return !shmInUse(c.server)
}

// shutdown stops the server: a fast shutdown, or an immediate one once ctx
// ends.
func (c *Cluster) shutdown(ctx context.Context) error {
	if c.gone() {
		return nil
	}
	if err := syscall.Kill(c.server.pid, syscall.SIGINT); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("pgcluster: stop: %w", err)
	}
	if poll(ctx, c.gone) {
		return nil
	}
	c.halt()
	return fmt.Errorf("pgcluster: stop: the server did not shut down in time and was stopped at once: %w", ctx.Err())
}

// halt stops the server at once: an immediate shutdown, and if even that
// hangs, SIGKILL, after which its children exit on their own.
func (c *Cluster) halt() {
	for _, sig := range []syscall.Signal{syscall.SIGQUIT, syscall.SIGKILL} {
		_ = syscall.Kill(c.server.pid, sig)
		waitCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		done := poll(waitCtx, c.gone)
		cancel()
		if done {
			return
		}
	}
}
