package mail

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/clock"
)

func TestWorker_SendsOnceWithHeadersAndBody(t *testing.T) {
	f := newFixture(t)
	body := "Hyvä jäsen,\n\nyhtiökokous pidetään 1.3. klo 18.\n\n" + strings.Repeat("A long line of the agenda. ", 10) + "\n"
	f.enqueue(t, Message{To: "Äiti Meikäläinen <aiti@example.org>", Subject: "Kutsu yhtiökokoukseen – AGM", Body: body})
	w := f.worker(t)
	runOnce(t, w, 1)
	runOnce(t, w, 0)

	got := f.smtp.received()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	m := got[0]
	if m.From != "osk@example.org" || len(m.To) != 1 || m.To[0] != "aiti@example.org" {
		t.Errorf("envelope from %q to %q", m.From, m.To)
	}
	if m.Subject != "Kutsu yhtiökokoukseen – AGM" {
		t.Errorf("subject %q", m.Subject)
	}
	if m.Body != body {
		t.Errorf("body %q, want %q", m.Body, body)
	}
	for header, want := range map[string]string{
		"Content-Type":   "text/plain; charset=UTF-8",
		"Auto-Submitted": "auto-generated",
		"From":           `"Osk" <osk@example.org>`,
	} {
		if v := m.Header.Get(header); v != want {
			t.Errorf("%s: %q, want %q", header, v, want)
		}
	}
	if !strings.Contains(m.Header.Get("To"), "<aiti@example.org>") || m.Header.Get("Message-Id") == "" || m.Header.Get("Date") == "" {
		t.Errorf("headers %v", m.Header)
	}

	r := f.onlyMessage(t)
	if r.Status != StatusSent || r.Attempts != 1 || !r.SentAt.Valid || r.LockedUntil.Valid {
		t.Errorf("outbox row %+v", r)
	}
	if a := f.attempts(t, r.ID); len(a) != 1 || !a[0].OK.Valid || !a[0].OK.Bool || a[0].Error.Valid || !a[0].Finished.Valid {
		t.Errorf("attempts %+v", a)
	}
}

func TestWorker_ConcurrentWorkersSendEachOnce(t *testing.T) {
	f := newFixture(t)
	const n = 40
	msgs := make([]Message, n)
	for i := range msgs {
		msgs[i] = Message{To: fmt.Sprintf("member%02d@example.org", i), Subject: fmt.Sprintf("Notice %02d", i), Body: "Agenda."}
	}
	for _, listen := range []bool{true, false} {
		w := f.worker(t)
		w.BatchSize = 3
		w.PollInterval = 10 * time.Millisecond
		if listen {
			w.ListenURL = f.db.URL
		}
		runWorker(t, w)
	}
	f.enqueue(t, msgs...)
	eventually(t, "every message sent", func() bool {
		for _, r := range f.outbox(t) {
			if r.Status != StatusSent {
				return false
			}
		}
		return true
	})
	seen := map[string]int{}
	for _, m := range f.smtp.received() {
		seen[m.Subject]++
	}
	for _, m := range msgs {
		if seen[m.Subject] != 1 {
			t.Errorf("%s delivered %d times", m.Subject, seen[m.Subject])
		}
	}
	for _, r := range f.outbox(t) {
		if r.Attempts != 1 || len(f.attempts(t, r.ID)) != 1 {
			t.Errorf("message %d took %d attempts", r.ID, r.Attempts)
		}
	}
}

func TestWorker_RetriesAfterTemporaryFailure(t *testing.T) {
	f := newFixture(t)
	f.smtp.fail(1, 451)
	f.enqueue(t, Message{To: "ada@example.org", Subject: "Admitted", Body: "Welcome."})
	w := f.worker(t)

	runOnce(t, w, 0)
	r := f.onlyMessage(t)
	if r.Status != StatusPending || r.Attempts != 1 || r.LockedUntil.Valid || !strings.Contains(r.LastError.String, "451") {
		t.Fatalf("after a 451: %+v", r)
	}
	if want := f.clock.Now().Add(DefaultRetryBase); r.NextAttempt.Before(want.Add(-time.Second)) || r.NextAttempt.After(want.Add(time.Second)) {
		t.Errorf("next attempt at %v, want about %v", r.NextAttempt, want)
	}
	a := f.attempts(t, r.ID)
	if len(a) != 1 || !a[0].OK.Valid || a[0].OK.Bool || !strings.Contains(a[0].Error.String, "451") {
		t.Fatalf("attempts %+v", a)
	}

	runOnce(t, w, 0) // not due yet
	f.clock.Advance(DefaultRetryBase)
	runOnce(t, w, 1)
	if got := f.smtp.received(); len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	r = f.onlyMessage(t)
	if r.Status != StatusSent || r.Attempts != 2 {
		t.Errorf("after the retry: %+v", r)
	}
	if a := f.attempts(t, r.ID); len(a) != 2 || !a[1].OK.Bool {
		t.Errorf("attempts %+v", a)
	}
}

func TestWorker_ShortBackoffFromField(t *testing.T) {
	f := newFixture(t)
	f.smtp.fail(2, 421)
	f.enqueue(t, Message{To: "ada@example.org", Subject: "Admitted", Body: "Welcome."})
	w := f.worker(t)
	w.Clock = clock.Real{}
	w.RetryBase, w.RetryMax = 50*time.Millisecond, 100*time.Millisecond
	w.PollInterval = 10 * time.Millisecond
	// The fixture's clock has not moved, so its messages are due on the
	// real clock too, on which the backoff now passes by itself.
	runWorker(t, w)
	eventually(t, "the third attempt to succeed", func() bool { return len(f.smtp.received()) == 1 })
	eventually(t, "the message marked sent", func() bool { return f.onlyMessage(t).Status == StatusSent })
	if r := f.onlyMessage(t); r.Attempts != 3 {
		t.Errorf("attempts %d, want 3", r.Attempts)
	}
}

func TestWorker_PermanentRejectionFailsAtOnce(t *testing.T) {
	f := newFixture(t)
	f.smtp.fail(1, 550)
	f.enqueue(t, Message{To: "ada@example.org", Subject: "Admitted", Body: "Welcome."})
	w := f.worker(t)
	runOnce(t, w, 0)
	r := f.onlyMessage(t)
	if r.Status != StatusFailed || r.Attempts != 1 || !strings.Contains(r.LastError.String, "550") {
		t.Fatalf("after a 550: %+v", r)
	}
	f.clock.Advance(24 * time.Hour)
	runOnce(t, w, 0)
	if len(f.smtp.received()) != 0 || len(f.attempts(t, r.ID)) != 1 {
		t.Error("a refused message was tried again")
	}
}

func TestWorker_GivesUpAfterMaxAttempts(t *testing.T) {
	f := newFixture(t)
	f.smtp.fail(100, 451)
	f.enqueue(t, Message{To: "ada@example.org", Subject: "Admitted", Body: "Welcome."})
	w := f.worker(t)
	w.MaxAttempts = 4
	var waits []time.Duration
	for range 4 {
		runOnce(t, w, 0)
		r := f.onlyMessage(t)
		waits = append(waits, r.NextAttempt.Sub(f.clock.Now()).Round(time.Second))
		f.clock.Advance(2 * time.Hour)
	}
	r := f.onlyMessage(t)
	if r.Status != StatusFailed || r.Attempts != 4 || len(f.attempts(t, r.ID)) != 4 {
		t.Fatalf("after 4 failures: %+v", r)
	}
	// The last failure gives up, so only the first three waits are retries.
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute}
	for i, d := range want {
		if waits[i] != d {
			t.Errorf("wait after attempt %d: %v, want %v", i+1, waits[i], d)
		}
	}
}

func TestWorker_Backoff(t *testing.T) {
	w := NewWorker(nil, KeepSender{}, testFrom, nil)
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour, time.Hour}
	for i, d := range want {
		if got := w.backoff(i + 1); got != d {
			t.Errorf("backoff(%d) = %v, want %v", i+1, got, d)
		}
	}
	if got := w.backoff(1000); got != time.Hour {
		t.Errorf("backoff(1000) = %v", got)
	}
}

func TestWorker_StopMidSendLeavesMessageForNextWorker(t *testing.T) {
	f := newFixture(t)
	f.smtp.hang(1)
	f.enqueue(t, Message{To: "ada@example.org", Subject: "Admitted", Body: "Welcome."},
		Message{To: "bob@example.org", Subject: "Also admitted", Body: "Welcome."})

	ctx, cancel := context.WithCancel(context.Background())
	type result struct {
		sent int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		sent, err := f.worker(t).RunOnce(ctx)
		done <- result{sent, err}
	}()
	select {
	case <-f.smtp.hung:
	case <-time.After(20 * time.Second):
		t.Fatal("the server never received the message")
	}
	cancel()
	var res result
	select {
	case res = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the worker did not stop while the server hung")
	}
	if res.sent != 0 || !errors.Is(res.err, context.Canceled) {
		t.Fatalf("RunOnce = %d, %v; want 0 and context.Canceled", res.sent, res.err)
	}

	rows := f.outbox(t)
	first, second := rows[0], rows[1]
	if first.Status != StatusPending || first.Attempts != 1 || !first.LockedUntil.Valid || !first.LockedUntil.Time.After(f.clock.Now()) {
		t.Fatalf("interrupted message %+v, want pending under its lease", first)
	}
	if a := f.attempts(t, first.ID); len(a) != 1 || a[0].OK.Valid || a[0].Finished.Valid {
		t.Fatalf("attempts %+v, want one of unknown outcome", a)
	}
	// The message the worker had claimed but not started is released at
	// once, not counted as an attempt.
	if second.Status != StatusPending || second.Attempts != 0 || second.LockedUntil.Valid {
		t.Fatalf("unstarted message %+v", second)
	}

	next := f.worker(t)
	runOnce(t, next, 1) // the released one; the interrupted one is still leased
	f.clock.Advance(DefaultLease + time.Second)
	runOnce(t, next, 1)
	got := f.smtp.received()
	if len(got) != 2 {
		t.Fatalf("server received %d messages, want 2", len(got))
	}
	r := f.outbox(t)[0]
	if r.Status != StatusSent || r.Attempts != 2 {
		t.Errorf("after the lease: %+v", r)
	}
	if a := f.attempts(t, r.ID); len(a) != 2 || a[0].OK.Valid || !a[1].OK.Bool {
		t.Errorf("attempts %+v", a)
	}
}

func TestWorker_GivesUpOnMessageInterruptedEveryTime(t *testing.T) {
	f := newFixture(t)
	f.enqueue(t, Message{To: "ada@example.org", Subject: "Admitted", Body: "Welcome."})
	// As if MaxAttempts workers had died mid-send.
	if _, err := f.db.ExecContext(context.Background(), `UPDATE mail_outbox SET attempts = $1`, DefaultMaxAttempts); err != nil {
		t.Fatal(err)
	}
	runOnce(t, f.worker(t), 0)
	r := f.onlyMessage(t)
	if r.Status != StatusFailed || !strings.Contains(r.LastError.String, "interrupted") || len(f.smtp.received()) != 0 {
		t.Errorf("after every attempt was interrupted: %+v", r)
	}
}

func TestWorker_WakesOnNotification(t *testing.T) {
	f := newFixture(t)
	w := f.worker(t)
	w.Clock = clock.Real{}
	w.PollInterval = time.Hour
	w.ListenURL = f.db.URL
	runWorker(t, w)
	eventually(t, "the worker to listen", func() bool {
		var n int
		err := f.db.GetContext(context.Background(), &n, `
			SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND state = 'idle' AND query LIKE 'LISTEN %'`)
		return err == nil && n == 1
	})
	f.enqueue(t, Message{To: "ada@example.org", Subject: "Admitted", Body: "Welcome."})
	eventually(t, "the message delivered without polling", func() bool { return len(f.smtp.received()) == 1 })
}

func TestWorker_PollsWhenListeningFails(t *testing.T) {
	f := newFixture(t)
	w := f.worker(t)
	w.Clock = clock.Real{}
	w.PollInterval = 20 * time.Millisecond
	w.ListenURL = "postgres://osk@127.0.0.1:1/nowhere?sslmode=disable&connect_timeout=1"
	runWorker(t, w)
	f.enqueue(t, Message{To: "ada@example.org", Subject: "Admitted", Body: "Welcome."})
	eventually(t, "the message delivered by polling", func() bool { return len(f.smtp.received()) == 1 })
}

func TestWorker_RefusesLeaseShorterThanSend(t *testing.T) {
	f := newFixture(t)
	w := f.worker(t)
	w.Lease = w.SendTimeout
	if _, err := w.RunOnce(context.Background()); err == nil {
		t.Error("RunOnce ran with a lease no longer than a send")
	}
}
