package mail

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

var testMessage = Message{To: "ada@example.org", Subject: "Admitted", Body: "Welcome."}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSMTPSender_STARTTLSAndAuth(t *testing.T) {
	serverTLS, clientTLS := testCA(t)
	srv := startSMTP(t, serverOptions{tls: serverTLS, user: "osk", password: "s3cret"})
	s, err := newSMTPSender(mustURL(t, srv.url("smtp", "osk", "s3cret")), clientTLS)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), testFrom, testMessage); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got := srv.received(); len(got) != 1 || got[0].Subject != "Admitted" {
		t.Fatalf("received %+v", got)
	}
	// go-smtp advertises AUTH only over TLS, so the login proves STARTTLS.
	if srv.logins() != 1 {
		t.Errorf("%d logins, want 1", srv.logins())
	}
}

func TestSMTPSender_ImplicitTLS(t *testing.T) {
	serverTLS, clientTLS := testCA(t)
	srv := startSMTP(t, serverOptions{tls: serverTLS, implicitTLS: true, user: "osk", password: "s3cret"})
	s, err := newSMTPSender(mustURL(t, srv.url("smtps", "osk", "s3cret")), clientTLS)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), testFrom, testMessage); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got := srv.received(); len(got) != 1 {
		t.Fatalf("received %d messages", len(got))
	}
}

func TestSMTPSender_ImplicitTLSRefusesUntrustedCertificate(t *testing.T) {
	serverTLS, _ := testCA(t)
	srv := startSMTP(t, serverOptions{tls: serverTLS, implicitTLS: true})
	s, err := NewSMTPSender(mustURL(t, srv.url("smtps", "", "")))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), testFrom, testMessage); err == nil {
		t.Fatal("sent to a server whose certificate nobody vouches for")
	}
	if got := srv.received(); len(got) != 0 {
		t.Fatalf("received %d messages", len(got))
	}
}

func TestSMTPSender_WrongPasswordFails(t *testing.T) {
	serverTLS, clientTLS := testCA(t)
	srv := startSMTP(t, serverOptions{tls: serverTLS, user: "osk", password: "s3cret"})
	s, err := newSMTPSender(mustURL(t, srv.url("smtp", "osk", "wrong")), clientTLS)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(context.Background(), testFrom, testMessage)
	if err == nil || errors.Is(err, ErrRejected) {
		t.Fatalf("Send: %v, want a failure worth retrying once the password is fixed", err)
	}
}

// Without TLS, a password goes to no server but this machine's own.
func TestSMTPSender_NoPasswordInTheClear(t *testing.T) {
	srv := startSMTP(t, serverOptions{host: "127.0.0.2", insecureAuth: true, user: "osk", password: "s3cret"})
	s, err := NewSMTPSender(mustURL(t, srv.url("smtp", "osk", "s3cret")))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), testFrom, testMessage); err == nil {
		t.Fatal("sent with a password over a connection without TLS")
	}
	if srv.logins() != 0 || len(srv.received()) != 0 {
		t.Errorf("the server saw %d logins and %d messages", srv.logins(), len(srv.received()))
	}
}

func TestSMTPSender_StopsWhenContextEnds(t *testing.T) {
	srv := startSMTP(t, serverOptions{})
	srv.hang(1)
	s, err := NewSMTPSender(mustURL(t, srv.url("smtp", "", "")))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Send(ctx, testFrom, testMessage) }()
	<-srv.hung
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Send: %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Send did not return after its context ended")
	}
}

func TestNewSMTPSender_URLs(t *testing.T) {
	good := map[string]struct {
		port        int
		implicitTLS bool
		user        string
	}{
		"smtp://mail.example.org":                    {port: 587},
		"smtp://u:p@mail.example.org:2525":           {port: 2525, user: "u"},
		"smtps://u%40example.org:p@mail.example.org": {port: 465, implicitTLS: true, user: "u@example.org"},
		"smtps://mail.example.org:1465/":             {port: 1465, implicitTLS: true},
	}
	for raw, want := range good {
		s, err := newSMTPSender(mustURL(t, raw), nil)
		if err != nil {
			t.Errorf("%s: %v", raw, err)
			continue
		}
		if s.port != want.port || s.implicitTLS != want.implicitTLS || s.user != want.user || s.host != "mail.example.org" {
			t.Errorf("%s: %+v", raw, s)
		}
	}
	for _, raw := range []string{
		"http://u:hunter2@mail.example.org",
		"smtp://u:hunter2@:25",
		"smtp://u:hunter2@mail.example.org:0",
		"smtp://u:hunter2@mail.example.org:99999",
		"smtp://u:hunter2@mail.example.org/path",
		"smtp://u:hunter2@mail.example.org?tls=off",
	} {
		_, err := NewSMTPSender(mustURL(t, raw))
		if err == nil {
			t.Errorf("%s accepted", raw)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the error shows the password: %v", raw, err)
		}
	}
	if _, err := NewSMTPSender(nil); err == nil {
		t.Error("nil URL accepted")
	}
}
