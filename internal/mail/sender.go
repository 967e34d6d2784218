package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Sender delivers one message. Send returns nil only once the message has
// been accepted for delivery, and returns soon after ctx is done.
type Sender interface {
	Send(ctx context.Context, from string, m Message) error
}

// ErrRejected marks a permanent refusal, such as an SMTP 5xx reply or a
// message that cannot be composed: sending it again would fail the same
// way, so the worker gives up on it at once.
var ErrRejected = errors.New("rejected for good")

// smtpTimeout bounds each exchange with the SMTP server: connecting and the
// greeting, then the transaction of the message.
const smtpTimeout = 30 * time.Second

// The ports an SMTP_URL without one uses: message submission with STARTTLS
// (RFC 6409) and submission over implicit TLS (RFC 8314).
const (
	submissionPort  = 587
	implicitTLSPort = 465
)

// The SASL mechanisms tried, strongest first. CRAM-MD5 is left out: it
// would run over a connection without TLS, and what it sends can be cracked
// offline. PLAIN and LOGIN refuse to run without TLS unless the server is
// this machine, so a password never crosses a network in the clear.
var authMechanisms = []gomail.SMTPAuthType{
	gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1, gomail.SMTPAuthPlain, gomail.SMTPAuthLogin,
}

type smtpSender struct {
	host        string
	port        int
	implicitTLS bool
	tlsConfig   *tls.Config
	user        string
	password    string
}

// NewSMTPSender returns a Sender that delivers through the SMTP server of
// SMTP_URL: smtp://user:password@host:587 upgrades to TLS with STARTTLS
// whenever the server offers it, smtps://user:password@host:465 speaks TLS
// from the first byte and fails without it. The user and password are
// optional; without them Osk does not authenticate.
func NewSMTPSender(u *url.URL) (Sender, error) {
	return newSMTPSender(u, nil)
}

// newSMTPSender is NewSMTPSender with the TLS settings given, so that tests
// can trust their own certificate authority. A nil tlsConfig verifies the
// server's certificate against the system's roots.
func newSMTPSender(u *url.URL, tlsConfig *tls.Config) (*smtpSender, error) {
	if u == nil {
		return nil, errors.New("mail: smtp: no SMTP URL")
	}
	s := &smtpSender{host: u.Hostname()}
	switch u.Scheme {
	case "smtp":
		s.port = submissionPort
	case "smtps":
		s.port, s.implicitTLS = implicitTLSPort, true
	default:
		return nil, fmt.Errorf("mail: smtp: %s: the scheme must be smtp or smtps", u.Redacted())
	}
	if s.host == "" {
		return nil, fmt.Errorf("mail: smtp: %s: no host", u.Redacted())
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return nil, fmt.Errorf("mail: smtp: %s: Osk reads no path, query or fragment in an SMTP URL", u.Redacted())
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("mail: smtp: %s: bad port", u.Redacted())
		}
		s.port = n
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.password, _ = u.User.Password()
	}
	if tlsConfig == nil {
		tlsConfig = &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
	}
	s.tlsConfig = tlsConfig
	return s, nil
}

// Send delivers m in an SMTP session of its own.
func (s *smtpSender) Send(ctx context.Context, from string, m Message) error {
	msg, err := compose(from, m)
	if err != nil {
		return fmt.Errorf("mail: smtp: %w", err)
	}
	var sess session
	stop := context.AfterFunc(ctx, sess.interrupt)
	defer stop()
	client, err := gomail.NewClient(s.host, s.options(sess.dialer(s.dial))...)
	if err != nil {
		return fmt.Errorf("mail: smtp: %w", err)
	}
	conn, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return fmt.Errorf("mail: smtp: connect to %s:%d: %w", s.host, s.port, interrupted(ctx, err))
	}
	// Once the server has accepted the message, a failure to say goodbye
	// must not count as a failed delivery, or the message would be sent
	// again; the connection is closed either way.
	defer func() { _ = client.CloseWithSMTPClient(conn) }()
	if err := client.SendWithSMTPClient(conn, msg); err != nil {
		err = interrupted(ctx, err)
		var sendErr *gomail.SendError
		if errors.As(err, &sendErr) && sendErr.ErrorCode() >= 500 && sendErr.ErrorCode() < 600 {
			err = fmt.Errorf("%w: %w", ErrRejected, err)
		}
		return fmt.Errorf("mail: smtp: send: %w", err)
	}
	return nil
}

func (s *smtpSender) options(dial gomail.DialContextFunc) []gomail.Option {
	opts := []gomail.Option{
		gomail.WithTimeout(smtpTimeout),
		gomail.WithTLSConfig(s.tlsConfig),
		gomail.WithDialContextFunc(dial),
	}
	if s.implicitTLS {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if s.user != "" {
		opts = append(opts, gomail.WithOpportunisticSMTPAuth(authMechanisms...),
			gomail.WithUsername(s.user), gomail.WithPassword(s.password))
	}
	// Last, so that no option above can move the port.
	return append(opts, gomail.WithPort(s.port))
}

// dial connects to the server; for smtps it also completes the TLS
// handshake, so that the SMTP client sees a TLS connection from the start.
func (s *smtpSender) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if s.implicitTLS {
		d := tls.Dialer{Config: s.tlsConfig}
		return d.DialContext(ctx, network, addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// session closes the connection of one SMTP session when the session's
// context ends. go-mail watches the context only while connecting and
// otherwise relies on its timeouts; a worker that is stopping must not
// wait for a server that hangs.
type session struct {
	mu          sync.Mutex
	conn        net.Conn
	interrupted bool
}

func (s *session) dialer(dial gomail.DialContextFunc) gomail.DialContextFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.interrupted {
			_ = conn.Close()
			return nil, net.ErrClosed
		}
		s.conn = conn
		return conn, nil
	}
}

func (s *session) interrupt() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.interrupted = true
	if s.conn != nil {
		_ = s.conn.Close()
	}
}

// interrupted puts ctx's error in front of err when ctx has ended, since a
// closed connection is then the consequence and not the cause.
func interrupted(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%w (%w)", ctxErr, err)
	}
	return err
}

// compose builds m as a plain-text UTF-8 email from from.
func compose(from string, m Message) (*gomail.Msg, error) {
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRejected, err)
	}
	msg := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingQP))
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("from %q: %w", from, err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("%w: to %q: %w", ErrRejected, m.To, err)
	}
	msg.Subject(m.Subject)
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	// RFC 3834: mail sent by a program, which vacation responders and the
	// like should not answer.
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	msg.SetUserAgent("Osk")
	return msg, nil
}

// KeepSender is the Sender of development when SMTP_URL is unset. It
// delivers nowhere: the worker marks each message sent as if a server had
// accepted it, and the message stays in the outbox, where GET /dev/mail
// lists it. It composes each message as the SMTP sender does, so that a
// message SMTP would refuse fails in development too.
type KeepSender struct{}

// Send composes m and discards it.
func (KeepSender) Send(ctx context.Context, from string, m Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mail: keep: %w", err)
	}
	msg, err := compose(from, m)
	if err != nil {
		return fmt.Errorf("mail: keep: %w", err)
	}
	if _, err := msg.WriteTo(io.Discard); err != nil {
		return fmt.Errorf("mail: keep: %w", err)
	}
	return nil
}
