package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// oskProcess is `osk serve` running as a child process, so that its memory
// is its own.
type oskProcess struct {
	cmd  *exec.Cmd
	base string
	log  string
	done chan struct{}
	err  error
}

// oskEnv is the environment of production: APP_ENV=production, an https
// BASE_URL (it only names links and cookies; the benchmark talks to the
// port directly), a session secret of its own, and otherwise the defaults
// (DB_MAX_CONNS 20, LOG_LEVEL info, no SMTP).
func oskEnv(databaseURL string, port int) ([]string, error) {
	var secret [32]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return nil, fmt.Errorf("session secret: %w", err)
	}
	env := []string{
		"APP_ENV=production",
		"DATABASE_URL=" + databaseURL,
		"BASE_URL=https://osk.bench.invalid",
		"SESSION_SECRET=" + hex.EncodeToString(secret[:]),
		"PORT=" + strconv.Itoa(port),
	}
	for _, k := range []string{"PATH", "HOME", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env, nil
}

// migrateOsk runs `osk migrate`, as production's release command does.
func migrateOsk(ctx context.Context, bin, databaseURL string) error {
	env, err := oskEnv(databaseURL, 8080)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, bin, "migrate")
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s migrate: %w\n%s", bin, err, out)
	}
	return nil
}

// startOsk runs `osk serve` and waits until it answers /healthz. Its log
// goes to logPath.
func startOsk(ctx context.Context, bin, databaseURL, logPath string) (*oskProcess, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	env, err := oskEnv(databaseURL, port)
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("osk log: %w", err)
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// A process group of its own: a Ctrl-C reaches the benchmark, which
	// then stops Osk in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s serve: %w", bin, err)
	}
	p := &oskProcess{cmd: cmd, base: "http://127.0.0.1:" + strconv.Itoa(port), log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	deadline := time.Now().Add(time.Minute)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.base+"/healthz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("osk serve exited while starting (%v); its log ends with:\n%s", p.err, tail(logPath))
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("osk serve did not answer within a minute; its log ends with:\n%s", tail(logPath))
		}
	}
}

// stop asks Osk to shut down as an orchestrator would, and kills it if it
// has not within its grace period.
func (p *oskProcess) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// resetPeakRSS restarts the kernel's record of the process's peak resident
// set size (VmHWM), so that the peak read afterwards is that of what
// follows.
func (p *oskProcess) resetPeakRSS() error {
	path := filepath.Join("/proc", strconv.Itoa(p.cmd.Process.Pid), "clear_refs")
	if err := os.WriteFile(path, []byte("5"), 0); err != nil {
		return fmt.Errorf("reset peak RSS: %w", err)
	}
	return nil
}

// memory reads a field of /proc/PID/status in kB, such as VmRSS or VmHWM.
func (p *oskProcess) memory(field string) (int64, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p.cmd.Process.Pid), "status"))
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", field, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("read %s: %q: %w", field, rest, err)
		}
		return kb, nil
	}
	return 0, errors.New("read " + field + ": not in /proc/PID/status")
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// tail is the end of a log file, for error messages.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}
