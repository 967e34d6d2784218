package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/errs"
)

func TestEnqueue_RolledBackSendsNothing(t *testing.T) {
	f := newFixture(t)
	errChange := errors.New("the change failed")
	err := db.WithTx(context.Background(), f.db.DB, func(tx *sqlx.Tx) error {
		if err := Enqueue(context.Background(), tx, f.clock.Now(),
			Message{To: "ada@example.org", Subject: "Admitted", Body: "Welcome."}); err != nil {
			return err
		}
		return errChange
	})
	if !errors.Is(err, errChange) {
		t.Fatalf("WithTx: %v", err)
	}
	runOnce(t, f.worker(t), 0)
	if n := len(f.outbox(t)); n != 0 {
		t.Errorf("outbox holds %d messages after a rollback", n)
	}
	if got := f.smtp.received(); len(got) != 0 {
		t.Errorf("server received %d messages", len(got))
	}
}

func TestEnqueue_RefusesHeaderInjectionAndBadAddresses(t *testing.T) {
	cases := map[string]Message{
		"CRLF in address":     {To: "ada@example.org\r\nBcc: all@example.org", Subject: "Hi", Body: "x"},
		"LF in address":       {To: "ada@example.org\nBcc: all@example.org", Subject: "Hi", Body: "x"},
		"CRLF in subject":     {To: "ada@example.org", Subject: "Hi\r\nBcc: all@example.org", Body: "x"},
		"CR in subject":       {To: "ada@example.org", Subject: "Hi\rBcc: all@example.org", Body: "x"},
		"LF in subject":       {To: "ada@example.org", Subject: "Hi\nBcc: all@example.org", Body: "x"},
		"NUL in subject":      {To: "ada@example.org", Subject: "Hi\x00", Body: "x"},
		"not an address":      {To: "ada at example.org", Subject: "Hi", Body: "x"},
		"two addresses":       {To: "ada@example.org, bob@example.org", Subject: "Hi", Body: "x"},
		"empty address":       {To: "", Subject: "Hi", Body: "x"},
		"empty subject":       {To: "ada@example.org", Subject: "  ", Body: "x"},
		"invalid UTF-8 body":  {To: "ada@example.org", Subject: "Hi", Body: "\xff"},
		"NUL in body":         {To: "ada@example.org", Subject: "Hi", Body: "a\x00b"},
		"invalid UTF-8 subj.": {To: "ada@example.org", Subject: "\xc3", Body: "x"},
	}
	f := newFixture(t)
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			ok := Message{To: "bob@example.org", Subject: "Fine", Body: "Fine."}
			err := db.WithTx(context.Background(), f.db.DB, func(tx *sqlx.Tx) error {
				return Enqueue(context.Background(), tx, f.clock.Now(), ok, m)
			})
			if !errors.Is(err, errs.Invalid) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Enqueue: %v, want an Invalid error", err)
			}
			if !strings.Contains(err.Error(), "message 2") {
				t.Errorf("error %q does not name the message", err)
			}
		})
	}
	if n := len(f.outbox(t)); n != 0 {
		t.Errorf("outbox holds %d messages after refusals", n)
	}
}

// The schema refuses a line break in a header even from a writer that
// bypasses Enqueue.
func TestOutboxSchema_RefusesLineBreaksInHeaders(t *testing.T) {
	f := newFixture(t)
	for _, v := range [][2]string{
		{"ada@example.org\r\nBcc: x@example.org", "Hi"},
		{"ada@example.org", "Hi\nBcc: x@example.org"},
	} {
		_, err := f.db.ExecContext(context.Background(), `
			INSERT INTO mail_outbox (to_address, subject, body, created_at, next_attempt_at)
			VALUES ($1, $2, 'x', now(), now())`, v[0], v[1])
		if err == nil {
			t.Errorf("inserted %q / %q", v[0], v[1])
		}
	}
}

func TestEnqueue_ManyMessagesInOrder(t *testing.T) {
	f := newFixture(t)
	msgs := make([]Message, 1000)
	for i := range msgs {
		msgs[i] = Message{To: fmt.Sprintf("member%04d@example.org", i), Subject: "Notice of the AGM", Body: "Agenda."}
	}
	f.enqueue(t, msgs...)
	var to []string
	if err := f.db.SelectContext(context.Background(), &to, `SELECT to_address FROM mail_outbox ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	want := make([]string, len(msgs))
	for i, m := range msgs {
		want[i] = m.To
	}
	if !slices.Equal(to, want) {
		t.Fatalf("outbox holds %d messages, not the 1000 in order", len(to))
	}
	for _, r := range f.outbox(t) {
		if r.Status != StatusPending || r.Attempts != 0 || r.LockedUntil.Valid {
			t.Fatalf("new message %+v", r)
		}
	}
}

func TestKeepSender_MarksSentAndListShowsIt(t *testing.T) {
	f := newFixture(t)
	f.enqueue(t,
		Message{To: "ada@example.org", Subject: "First", Body: "One."},
		Message{To: "Bob Builder <bob@example.org>", Subject: "Second", Body: "Two."},
		Message{To: "cyd@example.org", Subject: "Third", Body: "Three."},
	)
	w := NewWorker(f.db.DB, KeepSender{}, testFrom, testLogger(t))
	w.Clock = f.clock
	runOnce(t, w, 3)

	items, err := List(context.Background(), f.db.DB, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].Subject != "Third" || items[1].Subject != "Second" {
		t.Fatalf("List(2) = %+v, want the two newest, newest first", items)
	}
	it := items[1]
	if it.To != "Bob Builder <bob@example.org>" || it.Body != "Two." || it.Status != StatusSent ||
		it.Attempts != 1 || it.SentAt == nil || it.CreatedAt.Location().String() != "UTC" {
		t.Errorf("listed %+v", it)
	}
	raw, err := json.Marshal(it)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"attempts", "body", "created_at", "id", "recipient", "sent_at", "status", "subject", "to"}
	if !slices.Equal(keys, want) {
		t.Errorf("JSON fields %v, want %v", keys, want)
	}
	if got := f.smtp.received(); len(got) != 0 {
		t.Errorf("KeepSender delivered %d messages to a server", len(got))
	}

	all, err := List(context.Background(), f.db.DB, 0)
	if err != nil || len(all) != 3 {
		t.Errorf("List(0) = %d items, %v; want all 3", len(all), err)
	}
}

func TestForgetMember_ErasesTheirMessagesOnly(t *testing.T) {
	f := newFixture(t)
	f.enqueue(t,
		Message{To: "home@example.org", Subject: "Admitted", Body: "Hello Ada.", MemberID: 7},
		Message{To: "home@example.org", Subject: "Admitted", Body: "Hello Bob.", MemberID: 8},
		Message{To: "ada@example.org", Subject: "Your account", Body: "Hello Ada."},
	)
	w := NewWorker(f.db.DB, KeepSender{}, testFrom, testLogger(t))
	w.Clock = f.clock
	runOnce(t, w, 3)
	f.enqueue(t, Message{To: "home@example.org", Subject: "Notice", Body: "A meeting.", MemberID: 7})

	err := db.WithTx(context.Background(), f.db.DB, func(tx *sqlx.Tx) error {
		return ForgetMember(context.Background(), tx, 7)
	})
	if err != nil {
		t.Fatal(err)
	}
	all, err := List(context.Background(), f.db.DB, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range all {
		got = append(got, m.To+"|"+m.Body+"|"+m.Status)
	}
	// Newest first: the notice not yet sent is given up.
	want := []string{"erased||failed", "ada@example.org|Hello Ada.|sent", "home@example.org|Hello Bob.|sent", "erased||sent"}
	if !slices.Equal(got, want) {
		t.Errorf("outbox after ForgetMember:\n%v\nwant\n%v", got, want)
	}
}

func TestKeepSender_RefusesWhatSMTPWould(t *testing.T) {
	err := KeepSender{}.Send(context.Background(), testFrom, Message{To: "a@b\r\nBcc: c@d", Subject: "x", Body: "y"})
	if !errors.Is(err, ErrRejected) {
		t.Errorf("Send: %v, want ErrRejected", err)
	}
}
