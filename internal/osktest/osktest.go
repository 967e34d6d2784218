// Package osktest runs a whole Osk in-process on a real HTTP listener over a
// fresh test database, and gives tests browser-like clients that sign in
// through the development provider, exactly as a person would.
package osktest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/clock"
	"github.com/citizen-network/osk/internal/config"
	"github.com/citizen-network/osk/internal/dbtest"
	"github.com/citizen-network/osk/internal/server"
)

// Instance is one running Osk.
type Instance struct {
	URL    string
	Server *server.Server
	DB     *dbtest.DB
	Clock  *clock.Adjustable
}

// Options adjust an instance.
type Options struct {
	// DB shares a database with another instance; nil makes a new one.
	DB *dbtest.DB
	// Env overrides environment settings (APP_ENV, ...).
	Env map[string]string
	// Log receives the server's log; nil discards it.
	Log io.Writer
}

// Start runs Osk in development mode until the test ends.
func Start(t testing.TB, opts Options) *Instance {
	t.Helper()
	if opts.DB == nil {
		opts.DB = dbtest.New(t)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("osktest: listen: %v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	env := map[string]string{
		"APP_ENV":        config.Development,
		"PORT":           fmt.Sprint(port),
		"BASE_URL":       fmt.Sprintf("http://127.0.0.1:%d", port),
		"DATABASE_URL":   opts.DB.URL,
		"SESSION_SECRET": "test-secret-0123456789abcdefghij",
		"SHUTDOWN_GRACE": "5s",
	}
	for k, v := range opts.Env {
		env[k] = v
	}
	cfg, err := config.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("osktest: config: %v", err)
	}
	logOut := opts.Log
	if logOut == nil {
		logOut = io.Discard
	}
	logger := slog.New(slog.NewJSONHandler(logOut, &slog.HandlerOptions{Level: slog.LevelDebug}))
	database := &server.Database{DB: opts.DB.DB, URL: opts.DB.URL}
	srv, err := server.New(cfg, logger, database)
	if err != nil {
		t.Fatalf("osktest: server: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("osktest: serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("osktest: the server did not stop within 10 s")
		}
	})
	// Clients talk to the listener itself, whatever BASE_URL claims.
	inst := &Instance{URL: fmt.Sprintf("http://127.0.0.1:%d", port), Server: srv, DB: opts.DB}
	inst.Clock, _ = srv.Clock.(*clock.Adjustable)
	return inst
}

// Client is a browser-like HTTP client with its own cookie jar. It does not
// follow redirects by itself, so tests can see them.
type Client struct {
	t     testing.TB
	base  string
	HTTP  *http.Client
	csrf  string
	Token string // when set, sent as a bearer token instead of cookies
	// Header holds headers sent with every request, such as an
	// Idempotency-Key.
	Header http.Header
}

// Client returns a new anonymous client.
func (i *Instance) Client(t testing.TB) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{t: t, base: i.URL, HTTP: &http.Client{
		Jar: jar,
		// Generous: thousands of concurrent requests under the race
		// detector on a small, busy CI machine may queue for a while; a
		// server that truly hangs still fails the test.
		Timeout: 2 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

// Response is a finished request.
type Response struct {
	*http.Response
	Body []byte
}

// JSON decodes the body into v, failing the test on error.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v\n%s", r.Request.URL, err, r.Body)
	}
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

// Do sends a request. body may be nil, a url.Values (sent as a form with the
// CSRF token), []byte or string (sent as is), or anything else (sent as
// JSON). State-changing requests carry the CSRF token the client last saw.
func (c *Client) Do(method, path string, body any) *Response {
	c.t.Helper()
	var (
		r     io.Reader
		ctype string
	)
	switch b := body.(type) {
	case nil:
	case url.Values:
		if c.csrf != "" && b.Get("_csrf") == "" {
			b = cloneValues(b)
			b.Set("_csrf", c.csrf)
		}
		r, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	case []byte:
		r, ctype = bytes.NewReader(b), "application/json"
	case string:
		r, ctype = strings.NewReader(b), "application/json"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatalf("encode body: %v", err)
		}
		r, ctype = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, c.url(path), r)
	if err != nil {
		c.t.Fatalf("request: %v", err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for name, values := range c.Header {
		req.Header[name] = values
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	} else if c.csrf != "" && method != http.MethodGet {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	return c.Send(req)
}

// Send sends a prepared request, remembering any CSRF token in the answer.
func (c *Client) Send(req *http.Request) *Response {
	c.t.Helper()
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("read %s: %v", req.URL, err)
	}
	if m := csrfMeta.FindSubmatch(b); m != nil {
		c.csrf = string(m[1])
	}
	return &Response{Response: resp, Body: b}
}

// CSRF returns the token last seen in a page.
func (c *Client) CSRF() string { return c.csrf }

// SetCSRF replaces the token the client sends.
func (c *Client) SetCSRF(token string) { c.csrf = token }

// Get is Do with GET.
func (c *Client) Get(path string) *Response { return c.Do(http.MethodGet, path, nil) }

func (c *Client) url(path string) string {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return path
	}
	return c.base + path
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)"`)

// SignIn signs the client in through the development provider, as a person
// does: start at /auth/dev, fill in the provider's form, follow the
// redirects back. It fails the test unless the client ends up signed in.
func (c *Client) SignIn(email, name string) {
	c.t.Helper()
	if err := c.TrySignIn(email, name, true); err != nil {
		c.t.Fatal(err)
	}
}

// TrySignIn is SignIn that returns the failure instead; verified is what
// the provider says of the email.
func (c *Client) TrySignIn(email, name string, verified bool) error {
	c.t.Helper()
	callback, err := c.providerCallback(email, name, verified)
	if err != nil {
		return err
	}
	done := c.Get(callback)
	if done.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("callback: %d %s", done.StatusCode, done.Body)
	}
	home := c.Get(done.Header.Get("Location"))
	if !bytes.Contains(home.Body, []byte("Sign out")) {
		return errors.New("not signed in after the callback")
	}
	return nil
}

// Callback follows the provider's form to the point where the browser is
// sent back to Osk, and returns that callback URL without visiting it, so
// tests can tamper with it.
func (c *Client) Callback(email, name string) string {
	c.t.Helper()
	callback, err := c.providerCallback(email, name, true)
	if err != nil {
		c.t.Fatal(err)
	}
	return callback
}

func (c *Client) providerCallback(email, name string, verified bool) (string, error) {
	resp := c.Get("/auth/dev")
	if resp.StatusCode != http.StatusSeeOther {
		return "", fmt.Errorf("GET /auth/dev: %d", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	form := c.Get(loc)
	if form.StatusCode != http.StatusOK {
		return "", fmt.Errorf("provider form: %d %s", form.StatusCode, form.Body)
	}
	values := url.Values{}
	for _, m := range hiddenInput.FindAllSubmatch(form.Body, -1) {
		values.Set(string(m[1]), html.UnescapeString(string(m[2])))
	}
	values.Set("email", email)
	values.Set("name", name)
	values.Set("email_verified", fmt.Sprint(verified))
	post, err := http.NewRequest(http.MethodPost, c.url(strings.SplitN(loc, "?", 2)[0]), strings.NewReader(values.Encode()))
	if err != nil {
		return "", err
	}
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	back := c.Send(post)
	if back.StatusCode != http.StatusFound && back.StatusCode != http.StatusSeeOther {
		return "", fmt.Errorf("provider form post: %d %s", back.StatusCode, back.Body)
	}
	return back.Header.Get("Location"), nil
}

// Oversized sends a request whose declared body is larger than Osk
// accepts and reads the answer. The server may answer and close before the
// whole body is written; the answer is read whatever happens to the write,
// as a browser would.
func Oversized(t testing.TB, base, method, path string, size int) *http.Response {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	head := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", method, path, u.Host, size)
	go func() {
		if _, err := conn.Write([]byte(head)); err != nil {
			return
		}
		chunk := bytes.Repeat([]byte("a"), 64<<10)
		for sent := 0; sent < size; sent += len(chunk) {
			if _, err := conn.Write(chunk); err != nil {
				return
			}
		}
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer to an oversized body: %v", err)
	}
	return resp
}

// WaitForLock waits until a session of the instance's database waits for
// a lock, as the transaction under test does once it reaches a row or a
// table another holds, and fails the test, saying what, if none does.
func (i *Instance) WaitForLock(t testing.TB, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var waiting int
		if err := i.DB.Get(&waiting, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never waited for a lock", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
