package pgcluster

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/lib/pq" // the PostgreSQL driver registered as "postgres"
)

// pidFile is what a running server records in DIR/postmaster.pid.
type pidFile struct {
	pid  int
	port int
	// shmKey and shmID name the server's System V shared memory segment;
	// shmID is -1 until the server has made it.
	shmKey uint32
	shmID  int
}

// readPidFile reads DIR/postmaster.pid. A file whose pid cannot be read (one
// cut short by a crash) yields pid 0, which no process has.
func readPidFile(dir string) (pidFile, error) {
	b, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		return pidFile{}, err
	}
	// Line 1 is the pid, line 4 the port, line 7 the shared memory key and
	// id; see CreateLockFile and AddToDataDirLockFile in PostgreSQL's
	// src/backend/utils/init/miscinit.c.
	lines := strings.Split(string(b), "\n")
	pf := pidFile{shmID: -1}
	pf.pid, _ = strconv.Atoi(strings.TrimSpace(lines[0]))
	if len(lines) > 3 {
		pf.port, _ = strconv.Atoi(strings.TrimSpace(lines[3]))
	}
	if len(lines) > 6 {
		if f := strings.Fields(lines[6]); len(f) == 2 {
			key, keyErr := strconv.ParseUint(f[0], 10, 32)
			id, idErr := strconv.Atoi(f[1])
			if keyErr == nil && idErr == nil {
				pf.shmKey, pf.shmID = uint32(key), id
			}
		}
	}
	return pf, nil
}

func serverURL(port int, dbname string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(superuser),
		Host:     net.JoinHostPort(listenHost, strconv.Itoa(port)),
		Path:     "/" + dbname,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// answers reports whether the server listening on port accepts queries and
// is the one serving dir, not some other PostgreSQL that took the port.
func answers(ctx context.Context, dir string, port int) bool {
	if port <= 0 {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := sql.Open("postgres", serverURL(port, "postgres")+"&connect_timeout=2")
	if err != nil {
		return false
	}
	defer conn.Close()
	var dataDir string
	if err := conn.QueryRowContext(ctx, `SELECT current_setting('data_directory')`).Scan(&dataDir); err != nil {
		return false
	}
	theirs, err := os.Stat(dataDir)
	if err != nil {
		return false
	}
	ours, err := os.Stat(dir)
	return err == nil && os.SameFile(theirs, ours)
}

// freePort finds a TCP port on the loopback interface that nobody listens
// on. Another program may take it before the server binds it; Start then
// tries another.
func freePort() (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(listenHost, "0"))
	if err != nil {
		return 0, fmt.Errorf("pgcluster: find a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("pgcluster: find a free port: %w", err)
	}
	return port, nil
}

// childEnv is this process's environment without what would change how the
// server programs behave: libpq's PG* variables and the locale. Messages
// come in English so that a failure to bind a port can be recognised.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "PG") || strings.HasPrefix(name, "LC_") || name == "LANG" || name == "LANGUAGE" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C")
}

// tailSize is how much of the server's log an error quotes.
const tailSize = 4096

// serverLog is where the server's output goes, and how the end of it is
// found again when the server fails to start.
type serverLog struct {
	w      io.Writer
	file   *os.File    // the default log file, handed to the server as is
	offset int64       // the file's size when the latest server was started
	tail   *tailBuffer // the end of the output, for a caller's writer
}

// openLog opens the default log file DIR.log, or wraps the caller's writer.
// The server writes to a file directly, so a server that outlives this
// process keeps logging; a writer is fed through a pipe from this process.
func openLog(dir string, custom io.Writer) (*serverLog, error) {
	if custom != nil {
		tail := &tailBuffer{}
		return &serverLog{w: &teeWriter{tail: tail, w: custom}, tail: tail}, nil
	}
	f, err := os.OpenFile(dir+".log", os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: open server log: %w", err)
	}
	return &serverLog{w: f, file: f}, nil
}

// mark notes where the output of the server about to start begins.
func (l *serverLog) mark() {
	if l.file == nil {
		return
	}
	if info, err := l.file.Stat(); err == nil {
		l.offset = info.Size()
	}
}

// end returns the last lines the latest server wrote.
func (l *serverLog) end() string {
	if l.file == nil {
		return l.tail.String()
	}
	f, err := os.Open(l.file.Name())
	if err != nil {
		return ""
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return ""
	}
	from := max(l.offset, info.Size()-tailSize)
	b := make([]byte, info.Size()-from)
	n, _ := f.ReadAt(b, from)
	return string(b[:n])
}

func (l *serverLog) close() {
	if l.file != nil {
		_ = l.file.Close()
	}
}

// tailBuffer keeps the last tailSize bytes written to it.
type tailBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > tailSize {
		t.b = append([]byte(nil), t.b[len(t.b)-tailSize:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// teeWriter copies the server's output to the caller's writer and the tail.
// It never fails: a writer that refuses output must not fill the pipe and
// block the server.
type teeWriter struct {
	tail *tailBuffer
	w    io.Writer
}

func (t *teeWriter) Write(p []byte) (int, error) {
	_, _ = t.tail.Write(p)
	_, _ = t.w.Write(p)
	return len(p), nil
}
