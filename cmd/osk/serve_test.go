package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/osktest"
)

// buildOsk compiles this command once per test binary.
func buildOsk(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "osk")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// dataDir is a directory the unprivileged PostgreSQL user can reach even
// when the tests run as root (t.TempDir is private to its owner).
func dataDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "osk-serve-test-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

type proc struct {
	cmd    *exec.Cmd
	stdout *bytes.Buffer
	stderr *lockedBuffer
	done   chan error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func startOsk(t *testing.T, bin string, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	p := &proc{cmd: cmd, stdout: &bytes.Buffer{}, stderr: &lockedBuffer{}, done: make(chan error, 1)}
	cmd.Stdout = p.stdout
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
			}
		}
	})
	return p
}

func waitHealthy(t *testing.T, base string, p *proc, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			t.Fatalf("osk exited early: %v\n%s", err, p.stderr.String())
		default:
		}
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("osk was not healthy within %s\n%s", within, p.stderr.String())
}

func postmasterPID(t *testing.T, dir string) int {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "postgres", "postmaster.pid"))
	if err != nil {
		t.Fatalf("postmaster.pid: %v", err)
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("postmaster.pid: %v", err)
	}
	return pid
}

func alive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}

func TestServe_RealBinaryOnItsPrivatePostgreSQL(t *testing.T) {
	bin := buildOsk(t)
	dir := dataDir(t)
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	env := []string{"APP_ENV=development", "DATABASE_URL=", "PORT=" + strconv.Itoa(port), "BASE_URL=" + base, "DATA_DIR=" + dir}
	started := time.Now()
	p := startOsk(t, bin, env, "serve")
	waitHealthy(t, base, p, 30*time.Second)
	t.Logf("healthy %.1f s after start, first run included", time.Since(started).Seconds())

	get := func(path string) (*http.Response, string) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}

	resp, body := get("/healthz")
	if strings.TrimSpace(body) != `{"status":"ok"}` {
		t.Fatalf("healthz body %q", body)
	}

	resp, body = get("/")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "<html lang=\"en\">") || !strings.Contains(body, "Skip to main content") {
		t.Fatalf("home page: %d", resp.StatusCode)
	}
	for header, want := range map[string]string{
		"Content-Security-Policy": "script-src 'self'",
		"X-Frame-Options":         "DENY",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
	} {
		if got := resp.Header.Get(header); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want it to contain %q", header, got, want)
		}
	}
	if resp.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS sent over plain http")
	}

	resp, body = get("/no/such/page")
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "Go to the home page") {
		t.Fatalf("404 page: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	resp, body = get("/api/v1/no-such-thing")
	if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(body, `"status":404`) {
		t.Fatalf("API 404: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}

	resp = osktest.Oversized(t, base, http.MethodPost, "/api/v1/applications", 2<<20)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized body: %d", resp.StatusCode)
	}

	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte(`{"kind":"individual"}`))
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/applications", &gz)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("gzip body: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	// A second serve on the same data directory refuses to start.
	second := startOsk(t, bin, append(env[:len(env):len(env)], "PORT="+strconv.Itoa(freePort(t))), "serve")
	select {
	case err := <-second.done:
		if err == nil || !strings.Contains(second.stderr.String(), "in use") {
			t.Fatalf("second serve: %v\n%s", err, second.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a second serve on the same data directory kept running")
	}

	// Another command in a second terminal uses the running cluster.
	migrate := exec.Command(bin, "migrate")
	migrate.Env = append(os.Environ(), env...)
	if out, err := migrate.CombinedOutput(); err != nil || !strings.Contains(string(out), "up to date") {
		t.Fatalf("osk migrate beside a running serve: %v\n%s", err, out)
	}

	pid := postmasterPID(t, dir)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("osk exited with %v\n%s", err, p.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("osk did not stop within 30 s of SIGTERM")
	}
	if alive(pid) {
		t.Fatalf("PostgreSQL (pid %d) is still running after osk stopped", pid)
	}
}

func TestCommands_HelpAndVersion(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"--help"}, func(string) string { return "" }, &out, &errOut); code != 0 {
		t.Fatalf("--help exited %d", code)
	}
	for _, cmd := range []string{"serve", "migrate", "version"} {
		if !strings.Contains(out.String(), cmd) {
			t.Errorf("--help does not list %s:\n%s", cmd, out.String())
		}
	}
	out.Reset()
	if code := run([]string{"version"}, func(string) string { return "" }, &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "osk ") {
		t.Fatalf("version: %d %q", code, out.String())
	}
	if code := run([]string{"frobnicate"}, func(string) string { return "" }, &out, &errOut); code != 2 {
		t.Fatalf("unknown command exited %d", code)
	}
}

func TestServe_MalformedEnvironmentStopsTheStartNamingIt(t *testing.T) {
	var out, errOut bytes.Buffer
	env := map[string]string{"APP_ENV": "development", "PORT": "eighty"}
	code := run([]string{"serve"}, func(k string) string { return env[k] }, &out, &errOut)
	if code == 0 || !strings.Contains(errOut.String(), "PORT") {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}
