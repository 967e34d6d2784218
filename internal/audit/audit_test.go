package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/clock"
	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/dbtest"
)

func TestAppend_ChainsEventsAndListsThem(t *testing.T) {
	conn := dbtest.New(t)
	ctx := context.Background()
	clk := &clock.Adjustable{}
	clk.Set(time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC))
	log := audit.New(clk)

	events := []audit.Event{
		{ActorAccountID: ptr[int64](7), Action: "member.admitted", Subject: "member:42",
			Payload: map[string]any{"member_no": 17, "decision": "Board minutes 2025/3 §4"}},
		{Action: "ballot.closed", Subject: "ballot:3"},
		{ActorAccountID: ptr[int64](8), Action: "rules.changed", Subject: "rules",
			Payload: struct {
				Share string `json:"share_contribution"`
				Days  int    `json:"notice_min_days"`
			}{"12.50", 7}},
		{Action: "test.nil_map", Payload: map[string]any(nil)},
	}
	var appended []audit.Entry
	for _, ev := range events {
		appended = append(appended, appendEvent(t, conn.DB, log, ev))
		clk.Advance(1500 * time.Millisecond)
	}

	prev := audit.Hash(make([]byte, 32))
	for i, e := range appended {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d", i+1, e.Seq)
		}
		if !bytes.Equal(e.PrevHash, prev) {
			t.Fatalf("event %d prev_hash %s, want %s", e.Seq, e.PrevHash, prev)
		}
		if e.At.Nanosecond()%1000 != 0 || e.At.Location() != time.UTC {
			t.Fatalf("event %d time %s is not whole microseconds in UTC", e.Seq, e.At)
		}
		if want := specHash(t, e.PrevHash, e.Seq, e.At, e.ActorAccountID, e.Action, e.Subject, e.Payload); !bytes.Equal(e.Hash, want) {
			t.Fatalf("event %d hash %s, want %s from CANONICAL.md", e.Seq, e.Hash, want)
		}
		prev = e.Hash
	}
	if got := string(appended[1].Payload); got != `{}` {
		t.Errorf("nil payload recorded as %s", got)
	}
	if got := string(appended[3].Payload); got != `{}` {
		t.Errorf("nil map recorded as %s", got)
	}
	if got := string(appended[2].Payload); got != `{"notice_min_days":7,"share_contribution":"12.50"}` {
		t.Errorf("struct payload recorded as %s", got)
	}

	seq, hash, err := audit.Head(ctx, conn)
	if err != nil || seq != 4 || !bytes.Equal(hash, appended[3].Hash) {
		t.Fatalf("Head = %d, %x, %v; want 4, %s", seq, hash, err, appended[3].Hash)
	}
	listed, err := audit.List(ctx, conn, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != len(appended) {
		t.Fatalf("List returned %d entries, want %d", len(listed), len(appended))
	}
	for i := range listed {
		a, b := listed[i], appended[i]
		if a.Seq != b.Seq || !a.At.Equal(b.At) || a.At.Location() != time.UTC || !equalActor(a.ActorAccountID, b.ActorAccountID) ||
			a.Action != b.Action || a.Subject != b.Subject || !bytes.Equal(a.Payload, b.Payload) ||
			!bytes.Equal(a.PrevHash, b.PrevHash) || !bytes.Equal(a.Hash, b.Hash) {
			t.Errorf("listed %+v\nappended %+v", a, b)
		}
	}
	rep, err := audit.Verify(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Events != 4 || rep.HeadHash != appended[3].Hash.String() || len(rep.Problems) != 0 {
		t.Fatalf("Verify = %+v", rep)
	}
}

func equalActor(a, b *int64) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

func TestVerify_EmptyLog(t *testing.T) {
	conn := dbtest.New(t)
	rep, err := audit.Verify(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(rep)
	want := `{"ok":true,"events":0,"head_hash":"0000000000000000000000000000000000000000000000000000000000000000","problems":[],"problems_omitted":0,"checked":{}}`
	if string(b) != want {
		t.Fatalf("Verify = %s, want %s", b, want)
	}
}

// An API reader must be able to recompute every hash from the JSON items of
// GET /api/v1/audit/events and CANONICAL.md alone.
func TestEntry_JSONCarriesEverythingTheHashCovers(t *testing.T) {
	conn := dbtest.New(t)
	log := audit.New(&clock.Adjustable{})
	e := appendEvent(t, conn.DB, log, audit.Event{
		ActorAccountID: ptr[int64](3), Action: "vote.cast", Subject: "ballot:9",
		Payload: map[string]any{"note": "<\"quoted\">\n", "voted": true},
	})
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var item map[string]json.RawMessage
	if err := json.Unmarshal(b, &item); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(item))
	for k := range item {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"action", "actor_account_id", "at", "hash", "payload", "prev_hash", "seq", "subject"}; !slices.Equal(keys, want) {
		t.Fatalf("item keys %v, want %v", keys, want)
	}
	var at string
	json.Unmarshal(item["at"], &at)
	if at != audit.FormatTime(e.At) {
		t.Fatalf("at %s, want %s", at, audit.FormatTime(e.At))
	}

	var decoded audit.Entry
	if err := json.Unmarshal(b, &decoded); err != nil {
		t.Fatal(err)
	}
	payload, err := audit.Canonical(decoded.Payload)
	if err != nil {
		t.Fatal(err)
	}
	got := specHash(t, decoded.PrevHash, decoded.Seq, decoded.At, decoded.ActorAccountID, decoded.Action, decoded.Subject, payload)
	if !bytes.Equal(got, decoded.Hash) || len(decoded.Hash) != 32 {
		t.Fatalf("hash from JSON %s, want %s", got, decoded.Hash)
	}
}

func TestAppend_RefusesInvalidEvents(t *testing.T) {
	conn := dbtest.New(t)
	ctx := context.Background()
	log := audit.New(&clock.Adjustable{})
	for _, tc := range []struct {
		name        string
		ev          audit.Event
		noCanonical bool
	}{
		{"float in payload", audit.Event{Action: "a.b", Payload: map[string]any{"amount": 12.5}}, true},
		{"integer beyond 2^53-1", audit.Event{Action: "a.b", Payload: map[string]any{"n": int64(1) << 53}}, true},
		{"payload not an object", audit.Event{Action: "a.b", Payload: []int{1}}, false},
		{"raw payload not an object", audit.Event{Action: "a.b", Payload: json.RawMessage(`"x"`)}, false},
		{"empty action", audit.Event{Action: ""}, false},
		{"upper-case action", audit.Event{Action: "Member.Admitted"}, false},
		{"action with a space", audit.Event{Action: "member admitted"}, false},
		{"subject with NUL", audit.Event{Action: "a.b", Subject: "member:\x00"}, false},
		{"subject not UTF-8", audit.Event{Action: "a.b", Subject: "\xff"}, false},
		{"actor zero", audit.Event{Action: "a.b", ActorAccountID: ptr[int64](0)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := db.WithTx(ctx, conn.DB, func(tx *sqlx.Tx) error {
				_, err := log.Append(ctx, tx, tc.ev)
				return err
			})
			if !errors.Is(err, audit.ErrInvalidEvent) {
				t.Fatalf("Append error = %v, want ErrInvalidEvent", err)
			}
			if got := errors.Is(err, audit.ErrNotCanonical); got != tc.noCanonical {
				t.Fatalf("errors.Is(%v, ErrNotCanonical) = %v", err, got)
			}
		})
	}
	if seq, _, err := audit.Head(ctx, conn); err != nil || seq != 0 {
		t.Fatalf("Head = %d, %v after refused appends", seq, err)
	}
}

func TestAppend_RolledBackWithItsTransaction(t *testing.T) {
	conn := dbtest.New(t)
	ctx := context.Background()
	log := audit.New(&clock.Adjustable{})
	appendEvent(t, conn.DB, log, audit.Event{Action: "a.first"})
	failure := errors.New("the change failed")
	err := db.WithTx(ctx, conn.DB, func(tx *sqlx.Tx) error {
		if _, err := log.Append(ctx, tx, audit.Event{Action: "a.lost"}); err != nil {
			return err
		}
		return failure
	})
	if !errors.Is(err, failure) {
		t.Fatal(err)
	}
	e := appendEvent(t, conn.DB, log, audit.Event{Action: "a.second"})
	if e.Seq != 2 {
		t.Fatalf("after a rollback the next event got seq %d, want 2", e.Seq)
	}
	if rep, err := audit.Verify(ctx, conn); err != nil || !rep.OK || rep.Events != 2 {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
}

// Appends from several app instances (two connection pools) and many
// goroutines must make one chain without gaps or forks.
func TestAppend_ConcurrentAcrossTwoPoolsMakeOneChain(t *testing.T) {
	conn := dbtest.New(t)
	ctx := context.Background()
	const goroutines, each = 8, 500
	pools := make([]*sqlx.DB, 2)
	for i := range pools {
		p, err := db.Open(ctx, conn.URL, db.Pool{MaxOpen: 4, MaxIdle: 4})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		pools[i] = p
	}
	logs := []*audit.Log{audit.New(clock.Real{}), audit.New(clock.Real{})}

	seqs := make([][]int64, goroutines)
	errc := make(chan error, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			pool, log := pools[g%2], logs[g%2]
			for i := range each {
				err := db.WithTx(ctx, pool, func(tx *sqlx.Tx) error {
					e, err := log.Append(ctx, tx, audit.Event{
						ActorAccountID: ptr(int64(g + 1)), Action: "test.appended",
						Subject: fmt.Sprintf("goroutine:%d", g), Payload: map[string]int{"i": i},
					})
					if err == nil {
						seqs[g] = append(seqs[g], e.Seq)
					}
					return err
				})
				if err != nil {
					errc <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}

	all := slices.Concat(seqs...)
	slices.Sort(all)
	for i, s := range all {
		if s != int64(i+1) {
			t.Fatalf("sequence numbers handed out are not 1..%d: position %d has %d", goroutines*each, i, s)
		}
	}
	rep, err := audit.Verify(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Events != goroutines*each {
		t.Fatalf("Verify = ok %v, %d events, problems %v", rep.OK, rep.Events, rep.Problems)
	}
	var rows, maxSeq int64
	if err := conn.QueryRow(`SELECT count(*), max(seq) FROM audit_events`).Scan(&rows, &maxSeq); err != nil {
		t.Fatal(err)
	}
	if rows != goroutines*each || maxSeq != goroutines*each {
		t.Fatalf("%d rows up to seq %d, want %d", rows, maxSeq, goroutines*each)
	}
}

// Every golden value must come back from PostgreSQL's jsonb with the same
// canonical form, whatever jsonb does to keys, spacing and escapes.
func TestCanonical_SurvivesJSONB(t *testing.T) {
	conn := dbtest.New(t)
	ctx := context.Background()
	log := audit.New(&clock.Adjustable{})
	for _, tc := range canonicalGolden {
		t.Run(tc.name, func(t *testing.T) {
			var text string
			if err := conn.GetContext(ctx, &text, `SELECT $1::jsonb::text`, tc.want); err != nil {
				t.Fatal(err)
			}
			back, err := audit.Canonical([]byte(text))
			if err != nil || string(back) != tc.want {
				t.Fatalf("jsonb gave %s, canonical %s (%v), want %s", text, back, err, tc.want)
			}

			payload := json.RawMessage(`{"value":` + tc.in + `}`)
			e := appendEvent(t, conn.DB, log, audit.Event{Action: "test.jsonb", Payload: payload})
			if want := `{"value":` + tc.want + `}`; string(e.Payload) != want {
				t.Fatalf("appended payload %s, want %s", e.Payload, want)
			}
			listed, err := audit.List(ctx, conn, audit.Filter{AfterSeq: e.Seq - 1, Limit: 1})
			if err != nil || len(listed) != 1 || !bytes.Equal(listed[0].Payload, e.Payload) {
				t.Fatalf("listed %+v (%v), want payload %s", listed, err, e.Payload)
			}
		})
	}
	if rep, err := audit.Verify(ctx, conn); err != nil || !rep.OK || rep.Events != int64(len(canonicalGolden)) {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
}

func TestList_FiltersAndPages(t *testing.T) {
	conn := dbtest.New(t)
	ctx := context.Background()
	clk := &clock.Adjustable{}
	start := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	clk.Set(start)
	log := audit.New(clk)
	// Events 1..600, one hour apart: actors 1..3 in turn, actions
	// alternate, subjects cycle through member:0..9.
	for i := range 600 {
		if i > 0 {
			clk.Set(start.Add(time.Duration(i) * time.Hour))
		}
		action := "member.updated"
		if i%2 == 1 {
			action = "meeting.updated"
		}
		appendEvent(t, conn.DB, log, audit.Event{
			ActorAccountID: ptr(int64(i%3 + 1)), Action: action, Subject: fmt.Sprintf("member:%d", i%10),
		})
	}
	seqs := func(f audit.Filter) []int64 {
		t.Helper()
		es, err := audit.List(ctx, conn, f)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]int64, len(es))
		for i, e := range es {
			out[i] = e.Seq
		}
		return out
	}
	if got := seqs(audit.Filter{}); len(got) != audit.DefaultListLimit || got[0] != 1 || got[49] != 50 {
		t.Errorf("default page = %v", got)
	}
	if got := seqs(audit.Filter{Limit: 10_000}); len(got) != audit.MaxListLimit {
		t.Errorf("a limit above the maximum gave %d entries", len(got))
	}
	if got := seqs(audit.Filter{AfterSeq: 595}); !slices.Equal(got, []int64{596, 597, 598, 599, 600}) {
		t.Errorf("after 595 = %v", got)
	}
	if got := seqs(audit.Filter{Action: "meeting.updated", Limit: 3}); !slices.Equal(got, []int64{2, 4, 6}) {
		t.Errorf("action = %v", got)
	}
	if got := seqs(audit.Filter{ActorAccountID: ptr[int64](2), AfterSeq: 10, Limit: 3}); !slices.Equal(got, []int64{11, 14, 17}) {
		t.Errorf("actor = %v", got)
	}
	if got := seqs(audit.Filter{Subject: "member:3", Action: "meeting.updated", Limit: 3}); !slices.Equal(got, []int64{4, 14, 24}) {
		t.Errorf("subject and action = %v", got)
	}
	// Event n is at start + (n-1) hours; From is inclusive, To exclusive.
	from, to := start.Add(99*time.Hour), start.Add(103*time.Hour)
	if got := seqs(audit.Filter{From: from, To: to}); !slices.Equal(got, []int64{100, 101, 102, 103}) {
		t.Errorf("from %s to %s = %v", from, to, got)
	}
}

func TestTriggers_KeepTheLogAppendOnly(t *testing.T) {
	conn := dbtest.New(t)
	ctx := context.Background()
	log := audit.New(&clock.Adjustable{})
	for range 3 {
		appendEvent(t, conn.DB, log, audit.Event{Action: "a.b", Payload: map[string]int{"x": 1}})
	}
	_, head, err := audit.Head(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, sql, code string }{
		{"update an event", `UPDATE audit_events SET payload = '{"x": 2}' WHERE seq = 2`, "42501"},
		{"delete an event", `DELETE FROM audit_events WHERE seq = 3`, "42501"},
		{"truncate the events", `TRUNCATE audit_events`, "42501"},
		{"delete the head", `DELETE FROM audit_head`, "42501"},
		{"truncate the head", `TRUNCATE audit_head`, "42501"},
		{"move the head back", `UPDATE audit_head SET seq = 2`, "23000"},
		{"move the head forward onto nothing", fmt.Sprintf(`UPDATE audit_head SET seq = 4, hash = '\x%x'`, head), "23000"},
		{"insert an event that skips a number", fmt.Sprintf(
			`INSERT INTO audit_events (seq, v, at, action, subject, payload, prev_hash, hash)
			 VALUES (5, 1, now(), 'a.b', '', '{}', '\x%x', '\x%x')`, head, head), "23000"},
		{"insert an event off the head", fmt.Sprintf(
			`INSERT INTO audit_events (seq, v, at, action, subject, payload, prev_hash, hash)
			 VALUES (4, 1, now(), 'a.b', '', '{}', '\x%x', '\x%x')`, make([]byte, 32), head), "23000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := conn.ExecContext(ctx, tc.sql)
			if code := sqlState(err); code != tc.code {
				t.Fatalf("error %v (SQLSTATE %q), want SQLSTATE %s", err, code, tc.code)
			}
		})
	}
	if rep, err := audit.Verify(ctx, conn); err != nil || !rep.OK || rep.Events != 3 {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
}

// fixedClock always reads the same time.
type fixedClock struct{ t time.Time }

func (c *fixedClock) Now() time.Time { return c.t }

// Times go through timestamptz and back into the hash: they must come back
// to the microsecond, on both sides of 1970 and at the ends of the range.
func TestAppend_TimesSurviveToTheMicrosecond(t *testing.T) {
	conn := dbtest.New(t)
	ctx := context.Background()
	clk := &fixedClock{}
	log := audit.New(clk)
	for _, at := range []time.Time{
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 999999500, time.UTC),
		time.Date(1970, 1, 1, 0, 0, 0, 1000, time.UTC),
		time.Date(2025, 3, 30, 3, 0, 0, 123456789, time.FixedZone("EEST", 3*3600)),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
	} {
		clk.t = at
		e := appendEvent(t, conn.DB, log, audit.Event{Action: "test.timed", Payload: map[string]string{"at": audit.FormatTime(at)}})
		if want := at.UTC().Truncate(time.Microsecond); !e.At.Equal(want) {
			t.Errorf("appended at %s, want %s", e.At, want)
		}
		listed, err := audit.List(ctx, conn, audit.Filter{AfterSeq: e.Seq - 1, Limit: 1})
		if err != nil || len(listed) != 1 || !listed[0].At.Equal(e.At) {
			t.Fatalf("listed %+v (%v), want at %s", listed, err, e.At)
		}
	}
	clk.t = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	err := db.WithTx(ctx, conn.DB, func(tx *sqlx.Tx) error {
		_, err := log.Append(ctx, tx, audit.Event{Action: "test.timed"})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "outside years 1 to 9999") {
		t.Fatalf("a clock in year 10000 gave %v", err)
	}
	if rep, err := audit.Verify(ctx, conn); err != nil || !rep.OK || rep.Events != 5 {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
}

// AppendAll writes a run of events that Append, one at a time, would have
// written: the same links and hashes, one after the other, the head on the
// last; and it writes nothing when one of them is invalid.
func TestAppendAll_ChainsARunOfEvents(t *testing.T) {
	conn := dbtest.New(t)
	ctx := context.Background()
	clk := &clock.Adjustable{}
	clk.Set(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC))
	log := audit.New(clk)
	appendEvent(t, conn.DB, log, audit.Event{Action: "test.before"})

	var evs []audit.Event
	for i := range 50 {
		evs = append(evs, audit.Event{ActorAccountID: ptr(int64(i + 1)), Action: "ballot.voted", Subject: fmt.Sprintf("ballot:%d", i%3),
			Payload: map[string]any{"i": i, "text": "ä\u2028"}})
	}
	evs[7].ActorAccountID = nil
	evs[9].Payload = nil
	var run []audit.Entry
	err := db.WithTx(ctx, conn.DB, func(tx *sqlx.Tx) error {
		var err error
		run, err = log.AppendAll(ctx, tx, evs)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(run) != len(evs) || run[0].Seq != 2 || run[len(run)-1].Seq != 51 {
		t.Fatalf("appended %d events, first %d", len(run), run[0].Seq)
	}
	listed, err := audit.List(ctx, conn, audit.Filter{AfterSeq: 1, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range run {
		want := specHash(t, e.PrevHash, e.Seq, e.At, e.ActorAccountID, e.Action, e.Subject, e.Payload)
		if !bytes.Equal(e.Hash, want) || !bytes.Equal(listed[i].Hash, want) || string(listed[i].Payload) != string(e.Payload) {
			t.Fatalf("event %d: hash %s, listed %s, want %s", e.Seq, e.Hash, listed[i].Hash, want)
		}
		if i > 0 && !bytes.Equal(e.PrevHash, run[i-1].Hash) {
			t.Fatalf("event %d does not link to %d", e.Seq, e.Seq-1)
		}
	}
	seq, head, err := audit.Head(ctx, conn)
	if err != nil || seq != 51 || !bytes.Equal(head, run[len(run)-1].Hash) {
		t.Fatalf("head %d %x (%v), want the last event of the run", seq, head, err)
	}

	bad := append(slices.Clone(evs[:3]), audit.Event{Action: "Not.valid"})
	err = db.WithTx(ctx, conn.DB, func(tx *sqlx.Tx) error {
		_, err := log.AppendAll(ctx, tx, bad)
		return err
	})
	if !errors.Is(err, audit.ErrInvalidEvent) {
		t.Fatalf("a run with an invalid event gave %v", err)
	}
	if rep, err := audit.Verify(ctx, conn); err != nil || !rep.OK || rep.Events != 51 {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
}

// The triggers let one statement extend the head by a run of events, and
// the head move over that run, but nothing less linked than that.
func TestTriggers_TakeOnlyALinkedRun(t *testing.T) {
	conn := dbtest.New(t)
	ctx := context.Background()
	log := audit.New(&clock.Adjustable{})
	appendEvent(t, conn.DB, log, audit.Event{Action: "a.b"})
	_, head, err := audit.Head(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	h2, h3 := bytes.Repeat([]byte{2}, 32), bytes.Repeat([]byte{3}, 32)
	row := func(seq int64, prev, hash []byte) string {
		return fmt.Sprintf(`(%d, 1, now(), 'a.b', '', '{}', '\x%x', '\x%x')`, seq, prev, hash)
	}
	insert := `INSERT INTO audit_events (seq, v, at, action, subject, payload, prev_hash, hash) VALUES `
	for _, tc := range []struct{ name, sql string }{
		{"a run whose second event does not link", insert + row(2, head, h2) + "," + row(3, h3, h3)},
		{"a run that skips a number", insert + row(2, head, h2) + "," + row(4, h2, h3)},
		{"a run off the head", insert + row(2, h3, h2) + "," + row(3, h2, h3)},
		{"a head moved over a run with a hole", `BEGIN; ` + insert + row(2, head, h2) + `;
			UPDATE audit_head SET seq = 3, hash = '\x` + fmt.Sprintf("%x", h3) + `'`},
		{"a head moved past its run", `BEGIN; ` + insert + row(2, head, h2) + "," + row(3, h2, h3) + `;
			UPDATE audit_head SET seq = 4, hash = '\x` + fmt.Sprintf("%x", h3) + `'`},
		{"a head moved onto the wrong hash", `BEGIN; ` + insert + row(2, head, h2) + "," + row(3, h2, h3) + `;
			UPDATE audit_head SET seq = 3, hash = '\x` + fmt.Sprintf("%x", h2) + `'`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := conn.Connx(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			defer c.ExecContext(ctx, `ROLLBACK`)
			var lastErr error
			for stmt := range strings.SplitSeq(tc.sql, ";") {
				if _, lastErr = c.ExecContext(ctx, stmt); lastErr != nil {
					break
				}
			}
			if code := sqlState(lastErr); code != "23000" {
				t.Fatalf("error %v (SQLSTATE %q), want SQLSTATE 23000", lastErr, code)
			}
		})
	}

	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, insert+row(2, head, h2)+","+row(3, h2, h3)); err != nil {
		t.Fatalf("a linked run: %v", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET seq = 3, hash = $1`, h3); err != nil {
		t.Fatalf("the head moved over a linked run: %v", err)
	}
}
