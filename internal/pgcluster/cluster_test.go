package pgcluster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// testDir returns a data directory path in a fresh directory under /tmp that
// the postgres system user can reach, removed after the test.
func testDir(t *testing.T) string {
	t.Helper()
	root, err := os.MkdirTemp("/tmp", "osk-pgcluster-test-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(root, 0o711); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(root) })
	return filepath.Join(root, "data")
}

// start starts a cluster and stops it after the test.
func start(t *testing.T, opts Options) *Cluster {
	t.Helper()
	c, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Stop(context.Background()); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return c
}

func open(t *testing.T, url string) *sql.DB {
	t.Helper()
	conn, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func queryString(t *testing.T, conn *sql.DB, query string) string {
	t.Helper()
	var s string
	if err := conn.QueryRowContext(context.Background(), query).Scan(&s); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return s
}

func exec1(t *testing.T, conn *sql.DB, query string) {
	t.Helper()
	if _, err := conn.ExecContext(context.Background(), query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func TestStart_InitialisesServesAndRestarts(t *testing.T) {
	dir := testDir(t)
	began := time.Now()
	c, err := Start(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Logf("initdb and start took %s", time.Since(began).Round(time.Millisecond))
	if !c.Owned() {
		t.Error("a cluster this process started is not Owned")
	}
	url := c.URL("postgres")
	if want := fmt.Sprintf("postgres://osk@127.0.0.1:%d/postgres?sslmode=disable", c.server.port); url != want {
		t.Errorf("URL = %s, want %s", url, want)
	}
	conn := open(t, url)
	for setting, want := range map[string]string{
		"current_user":                          "osk",
		"current_setting('listen_addresses')":   "127.0.0.1",
		"current_setting('server_encoding')":    "UTF8",
		"current_setting('lc_collate')":         "C",
		"current_setting('fsync')":              "off",
		"current_setting('synchronous_commit')": "off",
		"current_setting('full_page_writes')":   "off",
		"current_setting('TimeZone')":           "UTC",
		"current_setting('max_connections')":    "200",
	} {
		if got := queryString(t, conn, "SELECT "+setting); got != want {
			t.Errorf("%s = %q, want %q", setting, got, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, ".s.PGSQL."+strconv.Itoa(c.server.port))); err != nil {
		t.Errorf("unix socket: %v", err)
	}
	exec1(t, conn, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)")
	_ = conn.Close()
	if err := c.Stop(context.Background()); err != nil {
		t.Fatalf("Stop: %v", err)
	}

	began = time.Now()
	again := start(t, Options{Dir: dir})
	t.Logf("start of an existing cluster took %s", time.Since(began).Round(time.Millisecond))
	if got := queryString(t, open(t, again.URL("postgres")), "SELECT n::text FROM kept"); got != "7" {
		t.Errorf("after a restart the table holds %s, want 7", got)
	}
}

func TestStart_DurableKeepsCommitsSafe(t *testing.T) {
	c := start(t, Options{Dir: testDir(t), Durable: true})
	conn := open(t, c.URL("postgres"))
	for _, setting := range []string{"fsync", "synchronous_commit", "full_page_writes", "data_checksums"} {
		if got := queryString(t, conn, "SELECT current_setting('"+setting+"')"); got != "on" {
			t.Errorf("%s = %q, want on", setting, got)
		}
	}
	// Settings come from the command line, which ALTER SYSTEM cannot override.
	exec1(t, conn, "ALTER SYSTEM SET fsync = off")
	exec1(t, conn, "SELECT pg_reload_conf()")
	time.Sleep(200 * time.Millisecond)
	if got := queryString(t, conn, "SELECT current_setting('fsync')"); got != "on" {
		t.Errorf("after ALTER SYSTEM, fsync = %q, want on", got)
	}
}

func TestStart_AttachesToRunningServer(t *testing.T) {
	dir := testDir(t)
	first := start(t, Options{Dir: dir})
	second, err := Start(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatalf("second Start: %v", err)
	}
	if second.Owned() {
		t.Error("a cluster attached to a running server is Owned")
	}
	if second.URL("x") != first.URL("x") {
		t.Errorf("attached URL %s, want %s", second.URL("x"), first.URL("x"))
	}
	if got := queryString(t, open(t, second.URL("postgres")), "SELECT current_setting('data_directory')"); got != dir {
		t.Errorf("attached to the server of %s, want %s", got, dir)
	}
	if err := second.Stop(context.Background()); err != nil {
		t.Fatalf("Stop of the attached cluster: %v", err)
	}
	if !answers(context.Background(), dir, first.server.port) {
		t.Error("stopping an attached cluster stopped the server")
	}
}

func TestStart_ExclusiveTwiceIsInUse(t *testing.T) {
	dir := testDir(t)
	serve := start(t, Options{Dir: dir, Exclusive: true})
	_, err := Start(context.Background(), Options{Dir: dir, Exclusive: true})
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("second Exclusive Start: %v, want ErrInUse", err)
	}
	want := fmt.Sprintf("pgcluster: the data directory %s is in use by another osk serve (pid %d)", dir, os.Getpid())
	if err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}

	grant, err := Start(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatalf("Start beside osk serve: %v", err)
	}
	if grant.Owned() {
		t.Error("a command beside osk serve owns the server")
	}
	if err := grant.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := serve.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	again, err := Start(context.Background(), Options{Dir: dir, Exclusive: true})
	if err != nil {
		t.Fatalf("Exclusive Start after Stop: %v", err)
	}
	if err := again.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// An osk serve that finds a server nobody claims (its osk serve was killed)
// adopts it; the process that started it then leaves it running.
func TestStart_ExclusiveAdoptsOrphanedServer(t *testing.T) {
	dir := testDir(t)
	starter := start(t, Options{Dir: dir})
	serve := start(t, Options{Dir: dir, Exclusive: true})
	if !serve.Owned() || serve.server.pid != starter.server.pid {
		t.Fatalf("Exclusive Start: Owned %v, pid %d; want the adopted server %d", serve.Owned(), serve.server.pid, starter.server.pid)
	}
	if err := starter.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !answers(context.Background(), dir, serve.server.port) {
		t.Fatal("the starter stopped a server that osk serve had adopted")
	}
	if err := serve.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if alive(starter.server.pid) {
		t.Errorf("postgres (pid %d) still runs after osk serve stopped it", starter.server.pid)
	}
}

func TestStart_RemovesStalePidFile(t *testing.T) {
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	other := start(t, Options{Dir: testDir(t)})
	for name, pid := range map[string]int{
		"process gone":                     dead.Process.Pid,
		"pid reused by another program":    os.Getpid(),
		"pid reused by another PostgreSQL": other.server.pid,
	} {
		t.Run(name, func(t *testing.T) {
			dir := testDir(t)
			c := start(t, Options{Dir: dir})
			port := c.server.port
			if err := c.Stop(context.Background()); err != nil {
				t.Fatal(err)
			}
			stale := fmt.Sprintf("%d\n%s\n%d\n%d\n%s\n127.0.0.1\n  5432001         0\nready   \n",
				pid, dir, time.Now().Add(-time.Hour).Unix(), port, dir)
			if err := os.WriteFile(filepath.Join(dir, "postmaster.pid"), []byte(stale), 0o600); err != nil {
				t.Fatal(err)
			}
			began := time.Now()
			again := start(t, Options{Dir: dir})
			if !again.Owned() || again.server.pid == pid {
				t.Error("Start attached to the process of a stale postmaster.pid")
			}
			if elapsed := time.Since(began); elapsed > 10*time.Second {
				t.Errorf("Start took %s", elapsed)
			}
			queryString(t, open(t, again.URL("postgres")), "SELECT 1")
		})
	}
}

func TestStart_RecoversAfterKill9(t *testing.T) {
	dir := testDir(t)
	killed := start(t, Options{Dir: dir, Durable: true})
	conn := open(t, killed.URL("postgres"))
	exec1(t, conn, "CREATE TABLE votes (n int); INSERT INTO votes VALUES (1)")
	_ = conn.Close()
	if err := syscall.Kill(killed.server.pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}

	began := time.Now()
	again := start(t, Options{Dir: dir, Durable: true})
	t.Logf("start after kill -9 took %s", time.Since(began).Round(time.Millisecond))
	if again.server.pid == killed.server.pid || !again.Owned() {
		t.Fatalf("Start after kill -9: pid %d, Owned %v", again.server.pid, again.Owned())
	}
	if got := queryString(t, open(t, again.URL("postgres")), "SELECT count(*)::text FROM votes"); got != "1" {
		t.Errorf("after recovery the acknowledged row count is %s, want 1", got)
	}
	if err := killed.Stop(context.Background()); err != nil {
		t.Errorf("Stop of the killed cluster: %v", err)
	}
	if !answers(context.Background(), dir, again.server.port) {
		t.Error("stopping the killed cluster stopped its successor")
	}
}

func TestStop_LeavesNoServerProcess(t *testing.T) {
	c := start(t, Options{Dir: testDir(t)})
	queryString(t, open(t, c.URL("postgres")), "SELECT 1")
	if !shmInUse(c.server) {
		t.Fatal("the server's shared memory shows no processes before Stop")
	}
	if err := c.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(c.server.pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("postmaster (pid %d) after Stop: kill 0 = %v, want ESRCH", c.server.pid, err)
	}
	if shmInUse(c.server) {
		t.Error("server processes remain attached to its shared memory after Stop")
	}
}

func TestStart_ConcurrentStartsShareOneServer(t *testing.T) {
	dir := testDir(t)
	clusters := make([]*Cluster, 4)
	errs := make([]error, len(clusters))
	var wg sync.WaitGroup
	for i := range clusters {
		wg.Go(func() { clusters[i], errs[i] = Start(context.Background(), Options{Dir: dir}) })
	}
	wg.Wait()
	var owner *Cluster
	for i, c := range clusters {
		if errs[i] != nil {
			t.Fatalf("Start %d: %v", i, errs[i])
		}
		if c.Owned() {
			if owner != nil {
				t.Fatal("two concurrent Starts both own a server")
			}
			owner = c
		}
	}
	if owner == nil {
		t.Fatal("no Start owns the server")
	}
	for _, c := range clusters {
		if c.URL("x") != owner.URL("x") {
			t.Errorf("URL %s, want %s", c.URL("x"), owner.URL("x"))
		}
		if c != owner {
			if err := c.Stop(context.Background()); err != nil {
				t.Error(err)
			}
		}
	}
	if err := owner.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if alive(owner.server.pid) {
		t.Error("the server runs on after its owner stopped it")
	}
}

func TestStart_LogsToWriter(t *testing.T) {
	var log lockedBuffer
	c := start(t, Options{Dir: testDir(t), Log: &log})
	if err := c.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ready to accept connections", "database system is shut down"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestRun_RecognisesTakenPort(t *testing.T) {
	dir := testDir(t)
	c := start(t, Options{Dir: dir})
	if err := c.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	go func() {
		for {
			conn, err := taken.Accept()
			if err != nil {
				return
			}
			_ = conn.Close()
		}
	}()
	bins, err := findBinaries(context.Background(), clusterMajor(dir))
	if err != nil {
		t.Fatal(err)
	}
	acct, err := serverAccount()
	if err != nil {
		t.Fatal(err)
	}
	log, err := openLog(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer log.close()
	retry := &Cluster{dir: dir}
	err = retry.run(context.Background(), bins, acct, taken.Addr().(*net.TCPAddr).Port, false, log)
	if !errors.Is(err, errPortTaken) {
		t.Fatalf("run on a taken port: %v, want errPortTaken", err)
	}
}

func TestStart_ExplainsUnreachableDirectory(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the server runs as another user only when osk runs as root")
	}
	private, err := os.MkdirTemp("/tmp", "osk-pgcluster-private-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(private) })
	_, err = Start(context.Background(), Options{Dir: filepath.Join(private, "data")})
	if err == nil {
		t.Fatal("Start in a directory the postgres user cannot reach succeeded")
	}
	for _, want := range []string{"cannot reach the data directory", "may not enter " + private, "chmod o+x " + private} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

func TestFindBinaries(t *testing.T) {
	bins, err := findBinaries(context.Background(), 0)
	if err != nil {
		t.Fatalf("findBinaries: %v", err)
	}
	if bins.major < minMajor {
		t.Errorf("picked PostgreSQL %d, older than %d", bins.major, minMajor)
	}
	if _, err := findBinaries(context.Background(), 99); err == nil || !strings.Contains(err.Error(), "made by PostgreSQL 99") {
		t.Errorf("findBinaries for a cluster of version 99: %v", err)
	}
}

func TestErrNoBinaries_SaysWhatToInstall(t *testing.T) {
	msg := ErrNoBinaries.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("message is more than one paragraph: %q", msg)
	}
	for _, want := range []string{"apt-get install postgresql", "brew install postgresql@16", "DATABASE_URL"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q", want)
		}
	}
}

func TestNewestFirst(t *testing.T) {
	root := t.TempDir()
	for _, v := range []string{"9.6", "14", "16", "10"} {
		if err := os.MkdirAll(filepath.Join(root, v, "bin"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	got := newestFirst(filepath.Join(root, "*", "bin"))
	var versions []string
	for _, dir := range got {
		versions = append(versions, filepath.Base(filepath.Dir(dir)))
	}
	if strings.Join(versions, " ") != "16 14 10 9.6" {
		t.Errorf("order %v, want 16 14 10 9.6", versions)
	}
}
