package mail

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"io"
	"log"
	"log/slog"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/clock"
	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const testFrom = "Osk <osk@example.org>"

// received is a message as the test SMTP server took it.
type received struct {
	From    string
	To      []string
	Header  netmail.Header
	Subject string
	Body    string
}

// backend is an in-process SMTP server's store. It can be told to refuse
// the next deliveries, or to hang after reading a message, as a server that
// never answers does.
type backend struct {
	mu        sync.Mutex
	messages  []received
	failNext  int
	failCode  int
	hangNext  int
	hung      chan struct{}
	release   chan struct{}
	user      string
	password  string
	authTries int
}

func (b *backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &serverSession{b: b}, nil }

// fail makes the next n deliveries end with the SMTP reply code.
func (b *backend) fail(n, code int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failNext, b.failCode = n, code
}

// hang makes the next n deliveries read the message and then wait, without
// answering, until the test ends.
func (b *backend) hang(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.hangNext = n
}

func (b *backend) logins() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.authTries
}

func (b *backend) received() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.messages...)
}

type serverSession struct {
	b      *backend
	authed bool
	from   string
	to     []string
}

func (s *serverSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *serverSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, password string) error {
		s.b.mu.Lock()
		s.b.authTries++
		want := s.b.user != "" && user == s.b.user && password == s.b.password
		s.b.mu.Unlock()
		if !want {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

func (s *serverSession) Mail(from string, _ *smtp.MailOptions) error {
	s.b.mu.Lock()
	needAuth := s.b.user != ""
	s.b.mu.Unlock()
	if needAuth && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *serverSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *serverSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	b := s.b
	b.mu.Lock()
	switch {
	case b.hangNext > 0:
		b.hangNext--
		b.mu.Unlock()
		b.hung <- struct{}{}
		<-b.release
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "gave up waiting"}
	case b.failNext > 0:
		b.failNext--
		code := b.failCode
		b.mu.Unlock()
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 3, 0}, Message: "not now"}
	}
	defer b.mu.Unlock()
	msg, err := netmail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		return err
	}
	var body io.Reader = msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	text, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return err
	}
	b.messages = append(b.messages, received{From: s.from, To: s.to, Header: msg.Header,
		Subject: subject, Body: strings.ReplaceAll(string(text), "\r\n", "\n")})
	return nil
}

func (s *serverSession) Reset()        { s.from, s.to = "", nil }
func (s *serverSession) Logout() error { return nil }

// smtpServer is a running in-process SMTP server.
type smtpServer struct {
	*backend
	host string
	port string
}

type serverOptions struct {
	host         string      // default 127.0.0.1
	tls          *tls.Config // offered with STARTTLS, or from the start when implicit
	implicitTLS  bool
	insecureAuth bool
	user         string // when set, the server requires this login
	password     string
}

func startSMTP(t *testing.T, opts serverOptions) *smtpServer {
	t.Helper()
	if opts.host == "" {
		opts.host = "127.0.0.1"
	}
	be := &backend{hung: make(chan struct{}, 4), release: make(chan struct{}), user: opts.user, password: opts.password}
	s := smtp.NewServer(be)
	s.Domain = "localhost"
	s.ReadTimeout = 30 * time.Second
	s.WriteTimeout = 30 * time.Second
	s.AllowInsecureAuth = opts.insecureAuth
	// The refusals the tests provoke are expected; they need no log.
	s.ErrorLog = log.New(io.Discard, "", 0)
	s.TLSConfig = opts.tls
	l, err := net.Listen("tcp", net.JoinHostPort(opts.host, "0"))
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	if opts.implicitTLS {
		l = tls.NewListener(l, opts.tls)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(l)
	}()
	t.Cleanup(func() {
		close(be.release)
		_ = s.Close()
		// Close misses the listener when Serve has not registered it yet.
		_ = l.Close()
		<-done
	})
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return &smtpServer{backend: be, host: opts.host, port: port}
}

// url is the server's SMTP_URL, with credentials when user is not empty.
func (s *smtpServer) url(scheme, user, password string) string {
	creds := ""
	if user != "" {
		creds = user + ":" + password + "@"
	}
	return scheme + "://" + creds + net.JoinHostPort(s.host, s.port)
}

// testCA makes a self-signed certificate for 127.0.0.1 and 127.0.0.2, and
// the server and client TLS settings that use and trust it.
func testCA(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "osk test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("127.0.0.2")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
	client = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	return server, client
}

// testLogger logs to t until t ends; workers may still log while they stop.
func testLogger(t *testing.T) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

// fixture is a test's database, clock and SMTP server.
type fixture struct {
	db    *dbtest.DB
	clock *clock.Adjustable
	smtp  *smtpServer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return &fixture{db: dbtest.New(t), clock: &clock.Adjustable{}, smtp: startSMTP(t, serverOptions{})}
}

// worker returns a worker sending through the fixture's server on the
// fixture's clock, polling only.
func (f *fixture) worker(t *testing.T) *Worker {
	t.Helper()
	u, err := url.Parse(f.smtp.url("smtp", "", ""))
	if err != nil {
		t.Fatal(err)
	}
	sender, err := NewSMTPSender(u)
	if err != nil {
		t.Fatal(err)
	}
	w := NewWorker(f.db.DB, sender, testFrom, testLogger(t))
	w.Clock = f.clock
	return w
}

// enqueue adds msgs in a committed transaction.
func (f *fixture) enqueue(t *testing.T, msgs ...Message) {
	t.Helper()
	err := db.WithTx(context.Background(), f.db.DB, func(tx *sqlx.Tx) error {
		return Enqueue(context.Background(), tx, f.clock.Now(), msgs...)
	})
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
}

// outboxRow is a message's bookkeeping.
type outboxRow struct {
	ID          int64          `db:"id"`
	Status      string         `db:"status"`
	Attempts    int            `db:"attempts"`
	LockedUntil sql.NullTime   `db:"locked_until"`
	SentAt      sql.NullTime   `db:"sent_at"`
	LastError   sql.NullString `db:"last_error"`
	NextAttempt time.Time      `db:"next_attempt_at"`
}

func (f *fixture) outbox(t *testing.T) []outboxRow {
	t.Helper()
	var rows []outboxRow
	if err := f.db.SelectContext(context.Background(), &rows, `
		SELECT id, status, attempts, locked_until, sent_at, last_error, next_attempt_at
		FROM mail_outbox ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	return rows
}

// onlyMessage is the outbox's one message.
func (f *fixture) onlyMessage(t *testing.T) outboxRow {
	t.Helper()
	rows := f.outbox(t)
	if len(rows) != 1 {
		t.Fatalf("outbox holds %d messages, want 1", len(rows))
	}
	return rows[0]
}

type attemptRow struct {
	OK       sql.NullBool   `db:"ok"`
	Error    sql.NullString `db:"error"`
	Finished sql.NullTime   `db:"finished_at"`
}

func (f *fixture) attempts(t *testing.T, messageID int64) []attemptRow {
	t.Helper()
	var rows []attemptRow
	if err := f.db.SelectContext(context.Background(), &rows, `
		SELECT ok, error, finished_at FROM mail_attempts WHERE message_id = $1 ORDER BY id`, messageID); err != nil {
		t.Fatal(err)
	}
	return rows
}

// runOnce runs one batch and checks how many were sent.
func runOnce(t *testing.T, w *Worker, want int) {
	t.Helper()
	sent, err := w.RunOnce(context.Background())
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	if sent != want {
		t.Fatalf("RunOnce sent %d, want %d", sent, want)
	}
}

// eventually waits up to 20 seconds for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runWorker runs w in the background until the test ends.
func runWorker(t *testing.T, w *Worker) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("the worker did not stop")
		}
	})
}
