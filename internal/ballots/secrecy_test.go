package ballots_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/osktest"
)

// syncBuffer collects the server's log, written from many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// valuesIn collects every string and number of a JSON document, numbers
// written as integers where they are.
func valuesIn(v any, out *[]string) {
	switch x := v.(type) {
	case string:
		*out = append(*out, x)
	case float64:
		*out = append(*out, strconv.FormatFloat(x, 'f', -1, 64))
	case []any:
		for _, e := range x {
			valuesIn(e, out)
		}
	case map[string]any:
		for _, e := range x {
			valuesIn(e, out)
		}
	}
}

// TestSecretBallot_NothingLinksAMemberToAChoice votes in a secret ballot
// on a motion and on an election, each on an Osk of its own, and looks
// through every row of every table, the server's log, and PostgreSQL's
// own bookkeeping for anything that ties a member to what they chose.
func TestSecretBallot_NothingLinksAMemberToAChoice(t *testing.T) {
	for _, q := range questions {
		t.Run(q.name, func(t *testing.T) { secretBallotScan(t, q) })
	}
}

func secretBallotScan(t *testing.T, q question) {
	var log syncBuffer
	f := fixtureOn(t, osktest.Start(t, osktest.Options{Log: &log}))
	h := newHall(f)
	b := f.openBallot(h.chair, q.spec(h.m.ID, true))
	receipts := []string{
		f.cast(h.alice, b.ID, q.answer(0), &h.aliceM.ID).Receipt,
		f.cast(h.alice, b.ID, q.answer(1), &h.bobM.ID).Receipt,
		f.cast(h.carol, b.ID, q.answer(2), nil).Receipt,
	}
	// One through the API, and each receipt looked up as its holder would.
	api := f.tokenClient(f.inst, h.chair)
	resp := api.Do("POST", "/api/v1/ballots/"+itoa(b.ID)+"/votes", q.body(q.answer(3)))
	if resp.StatusCode != 201 {
		t.Fatalf("vote: %d %s", resp.StatusCode, resp.Body)
	}
	var cast struct {
		Receipt string `json:"receipt"`
	}
	resp.JSON(t, &cast)
	receipts = append(receipts, cast.Receipt)
	for _, r := range receipts {
		if got := api.Get("/api/v1/receipts/" + r); got.StatusCode != 200 {
			t.Fatalf("receipt %s: %d", r, got.StatusCode)
		}
		// A lookup refused before it reaches the receipt's handler is
		// logged too.
		req, err := http.NewRequest(http.MethodGet, f.inst.URL+"/api/v1/receipts/"+r, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer osk_revoked")
		if got := api.Send(req); got.StatusCode != http.StatusUnauthorized {
			t.Fatalf("receipt %s with a bad token: %d", r, got.StatusCode)
		}
	}
	if err := f.svc.PublishTurnout(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.close(h.chair, b.ID)

	secrets := []string{}
	for _, r := range receipts {
		secrets = append(secrets, r, strings.ToUpper(r), hexOf(ballots.ReceiptHash(r)))
	}

	// The vote rows hold the receipt hash, the ballot and the choice:
	// nothing else, in any column there is.
	var columns []string
	if err := f.inst.DB.Select(&columns, `SELECT column_name FROM information_schema.columns
		WHERE table_schema = 'public' AND table_name = 'ballot_votes' ORDER BY column_name`); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(columns, " "); got != "ballot_id candidate_ids cast_by_account_id choice member_id receipt_hash" {
		t.Fatalf("ballot_votes has the columns %s: check that none can link a member to a choice, then update this test", got)
	}
	if n := f.count(`SELECT count(*) FROM ballot_votes WHERE ballot_id = $1 AND (member_id IS NOT NULL OR cast_by_account_id IS NOT NULL)`, b.ID); n != 0 {
		t.Fatalf("%d votes of a secret ballot name a member or an account", n)
	}

	// Every other row of every table: no receipt, no receipt hash, and no
	// choice anywhere but where the question or its count is stated, so
	// nothing stored next to a member or an account can say how they
	// voted.
	var tables []string
	if err := f.inst.DB.Select(&tables, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`); err != nil {
		t.Fatal(err)
	}
	scanned := 0
	for _, table := range tables {
		var rows []string
		if err := f.inst.DB.Select(&rows, `SELECT row_to_json(t)::text FROM "`+table+`" t`); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		for _, row := range rows {
			scanned++
			var doc map[string]any
			if err := json.Unmarshal([]byte(row), &doc); err != nil {
				t.Fatalf("%s: %v", table, err)
			}
			if table == "ballot_votes" {
				continue
			}
			// Values that are themselves JSON (jsonb columns arrive as
			// objects; text columns may hold JSON) are searched too.
			var values []string
			valuesIn(doc, &values)
			for _, v := range values {
				var inner any
				if json.Unmarshal([]byte(v), &inner) == nil {
					valuesIn(inner, &values)
				}
			}
			stated := q.stated(table, doc)
			for _, v := range values {
				if !stated && slices.ContainsFunc(q.secrets, func(s string) bool { return holdsAnswer(v, s) }) {
					t.Errorf("%s holds the answer %q: %s", table, v, row)
				}
				for _, s := range secrets {
					if strings.Contains(strings.ToLower(v), strings.ToLower(s)) {
						t.Errorf("%s holds a receipt or its hash: %s", table, row)
					}
				}
			}
		}
	}
	if scanned < 100 {
		t.Fatalf("scanned only %d rows", scanned)
	}

	// The audit events marking members as voted say who, never what.
	for _, e := range f.events(ballotSubject(b.ID)) {
		if e.Action != "ballot.voted" {
			continue
		}
		var p map[string]any
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			t.Fatal(err)
		}
		keys := []string{}
		for k := range p {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if strings.Join(keys, " ") != "cast_by member_id" {
			t.Fatalf("ballot.voted carries %v", keys)
		}
	}

	// PostgreSQL's own bookkeeping: after the close every vote row belongs
	// to the close's transaction, on no member's or voter's row, and lies
	// in the order of its receipt hash, not in the order of voting.
	var xmins []string
	if err := f.inst.DB.Select(&xmins, `SELECT DISTINCT xmin::text FROM ballot_votes WHERE ballot_id = $1`, b.ID); err != nil {
		t.Fatal(err)
	}
	if len(xmins) != 1 {
		t.Fatalf("the votes belong to %d transactions", len(xmins))
	}
	if n := f.count(`SELECT count(*) FROM ballot_voters WHERE xmin::text = $1`, xmins[0]); n != 0 {
		t.Fatalf("%d lines of the voting list share a transaction with the votes", n)
	}
	if n := f.count(`SELECT count(*) FROM audit_events WHERE xmin::text = $1 AND action = 'ballot.voted'`, xmins[0]); n != 0 {
		t.Fatalf("%d audit events of voting share a transaction with the votes", n)
	}
	var physical []string
	if err := f.inst.DB.Select(&physical, `SELECT encode(receipt_hash, 'hex') FROM ballot_votes WHERE ballot_id = $1 ORDER BY ctid`, b.ID); err != nil {
		t.Fatal(err)
	}
	if !sort.StringsAreSorted(physical) || len(physical) != len(receipts) {
		t.Fatalf("the votes lie in the order %v", physical)
	}

	// The server's log never holds a receipt, not even from the receipt
	// lookups, whose address carries one.
	out := log.String()
	if !strings.Contains(out, "/api/v1/receipts/-") {
		t.Fatal("the receipt lookups are not in the log")
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Fatalf("the log holds the receipt %s", s)
		}
	}
}

// holdsAnswer reports whether a value is an answer or, for an election's
// candidate, holds one: a motion's choices are words that other text may
// hold innocently, while a test candidate's number is found nowhere by
// chance.
func holdsAnswer(value, answer string) bool {
	if _, err := strconv.ParseInt(answer, 10, 64); err == nil {
		return strings.Contains(value, answer)
	}
	return value == answer
}
