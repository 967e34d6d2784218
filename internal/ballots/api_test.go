package ballots_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/live"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/osktest"
)

func keysOf(t *testing.T, body []byte) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, " ")
}

func hasKeys(t *testing.T, body []byte, want ...string) {
	t.Helper()
	got := " " + keysOf(t, body) + " "
	for _, k := range want {
		if !strings.Contains(got, " "+k+" ") {
			t.Errorf("no %q in %s", k, body)
		}
	}
}

func TestAPI_TheBallotRoutes(t *testing.T) {
	f := newFixture(t)
	h := newHall(f)
	b := f.openBallot(h.chair, ballots.OpenSpec{MeetingID: h.m.ID})
	path := fmt.Sprintf("/api/v1/ballots/%d", b.ID)
	alice := f.client(h.alice)
	chair := f.tokenClient(f.inst, h.chair)
	carol := f.tokenClient(f.inst, h.carol)
	grace := f.tokenClient(f.inst, h.grace)
	auditor := f.tokenClient(f.inst, f.auditor)

	got := alice.Get(path)
	if got.StatusCode != 200 {
		t.Fatalf("GET: %d %s", got.StatusCode, got.Body)
	}
	hasKeys(t, got.Body, "id", "motion_id", "election_id", "secret", "electorate", "status", "opened_at", "closes_at", "eligible", "voted")
	if strings.Contains(string(got.Body), `"result"`) {
		t.Fatalf("an open ballot has a result: %s", got.Body)
	}

	// Votes: from a page's session (with its CSRF token) and with a token.
	v := alice.Do(http.MethodPost, path+"/votes", map[string]any{"choice": "for", "on_behalf_of_member_id": h.aliceM.ID})
	if v.StatusCode != 201 {
		t.Fatalf("vote: %d %s", v.StatusCode, v.Body)
	}
	hasKeys(t, v.Body, "receipt", "cast_at")
	var first struct {
		Receipt string `json:"receipt"`
	}
	v.JSON(t, &first)
	cases := []struct {
		name string
		resp func() int
		want int
	}{
		{"the same member again", func() int {
			return alice.Do(http.MethodPost, path+"/votes", map[string]any{"choice": "against", "on_behalf_of_member_id": h.aliceM.ID}).StatusCode
		}, 409},
		{"a member not on the list", func() int {
			return grace.Do(http.MethodPost, path+"/votes", map[string]any{"choice": "for"}).StatusCode
		}, 403},
		{"no choice", func() int { return carol.Do(http.MethodPost, path+"/votes", map[string]any{}).StatusCode }, 422},
		{"an unknown field", func() int {
			return carol.Do(http.MethodPost, path+"/votes", map[string]any{"choice": "for", "weight": 2}).StatusCode
		}, 422},
		{"a malformed body", func() int { return carol.Do(http.MethodPost, path+"/votes", `{"choice":`).StatusCode }, 400},
		{"no ballot", func() int {
			return carol.Do(http.MethodPost, "/api/v1/ballots/999999/votes", map[string]any{"choice": "for"}).StatusCode
		}, 404},
		{"her own vote, the default, again", func() int {
			return alice.Do(http.MethodPost, path+"/votes", map[string]any{"choice": "for"}).StatusCode
		}, 409},
		{"a casting vote without a tie", func() int {
			return chair.Do(http.MethodPost, path+"/casting-vote", map[string]any{"choice": "for"}).StatusCode
		}, 409},
		{"a casting vote without a tie or a choice", func() int {
			return chair.Do(http.MethodPost, path+"/casting-vote", map[string]any{}).StatusCode
		}, 409},
		{"a casting vote without a choice by a member", func() int {
			return carol.Do(http.MethodPost, path+"/casting-vote", map[string]any{}).StatusCode
		}, 403},
		{"the record before the close", func() int { return alice.Get(path + "/record").StatusCode }, 409},
		{"a close by a member", func() int { return carol.Do(http.MethodPost, path+"/close", nil).StatusCode }, 403},
		{"a receipt nobody has", func() int { return grace.Get("/api/v1/receipts/aaaaaaaaaaaaaaaaaaaaaaaaaa").StatusCode }, 404},
		{"something that is no receipt", func() int { return grace.Get("/api/v1/receipts/hello").StatusCode }, 404},
	}
	for _, c := range cases {
		if got := c.resp(); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
	receipt := alice.Get("/api/v1/receipts/" + strings.ToUpper(first.Receipt))
	if receipt.StatusCode != 200 {
		t.Fatalf("receipt: %d %s", receipt.StatusCode, receipt.Body)
	}
	var check struct {
		BallotID int64  `json:"ballot_id"`
		Choice   string `json:"choice"`
		Counted  bool   `json:"counted"`
		Status   string `json:"status"`
	}
	receipt.JSON(t, &check)
	// API.md: a receipt answers counted: true; the vote is final and in
	// the count even before the close, which status tells.
	if check.BallotID != b.ID || check.Choice != "for" || !check.Counted || check.Status != "open" {
		t.Fatalf("receipt before the close: %s", receipt.Body)
	}
	if v := alice.Do(http.MethodPost, path+"/votes", map[string]any{"choice": "abstain", "on_behalf_of_member_id": h.bobM.ID}); v.StatusCode != 201 {
		t.Fatalf("proxy vote: %d %s", v.StatusCode, v.Body)
	}

	// Live turnout: published by the instance's own ticker within a couple
	// of seconds, and at most once a second.
	deadline := time.Now().Add(5 * time.Second)
	var turnout []ballots.Event
	for time.Now().Before(deadline) {
		turnout = turnoutEvents(t, f, h.m.ID, b.ID)
		if len(turnout) > 0 && turnout[len(turnout)-1].Voted == 2 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(turnout) == 0 || turnout[len(turnout)-1].Voted != 2 || turnout[len(turnout)-1].Eligible != 4 {
		t.Fatalf("turnout events %+v", turnout)
	}
	if err := f.svc.PublishTurnout(f.ctx); err != nil {
		t.Fatal(err)
	}
	if again := turnoutEvents(t, f, h.m.ID, b.ID); len(again) != len(turnout) {
		t.Fatalf("turnout published again without a change: %+v", again)
	}

	closed := chair.Do(http.MethodPost, path+"/close", nil)
	if closed.StatusCode != 200 {
		t.Fatalf("close: %d %s", closed.StatusCode, closed.Body)
	}
	var body struct {
		Status string          `json:"status"`
		Result json.RawMessage `json:"result"`
	}
	closed.JSON(t, &body)
	hasKeys(t, body.Result, "for", "against", "abstain", "cast", "eligible", "quorum_required", "quorum_met", "majority", "outcome", "tie_broken_by_chair")
	if body.Status != "closed" {
		t.Fatalf("closed: %s", closed.Body)
	}
	if again := chair.Do(http.MethodPost, path+"/close", nil); again.StatusCode != 409 {
		t.Fatalf("second close: %d", again.StatusCode)
	}
	if late := carol.Do(http.MethodPost, path+"/votes", map[string]any{"choice": "for"}); late.StatusCode != 409 {
		t.Fatalf("a vote after the close: %d", late.StatusCode)
	}
	var counted struct {
		Counted bool `json:"counted"`
	}
	alice.Get("/api/v1/receipts/"+first.Receipt).JSON(t, &counted)
	if !counted.Counted {
		t.Fatal("the receipt's vote is not counted after the close")
	}

	rec := alice.Get(path + "/record")
	if rec.StatusCode != 200 {
		t.Fatalf("record: %d %s", rec.StatusCode, rec.Body)
	}
	hasKeys(t, rec.Body, "ballot", "result", "votes", "voters", "record_hash", "chain_head")
	var record ballots.Record
	rec.JSON(t, &record)
	if len(record.Votes) != 2 || record.Votes[0].MemberNo == 0 || len(record.Voters) != 2 || record.Eligible != nil {
		t.Fatalf("record: %s", rec.Body)
	}
	// Anyone recomputes the hash from the record as served.
	var served map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body, &served); err != nil {
		t.Fatal(err)
	}
	delete(served, "record_hash")
	delete(served, "chain_head")
	if sum := sha256Canonical(t, served); sum != record.RecordHash {
		t.Fatalf("recomputed %s, the record says %s", sum, record.RecordHash)
	}
	var audited ballots.Record
	auditor.Get(path+"/record").JSON(t, &audited)
	if len(audited.Eligible) != 4 {
		t.Fatalf("the auditor's record lists %d on the voting list", len(audited.Eligible))
	}
	if got := grace.Get(path + "/record"); got.StatusCode != 200 {
		t.Fatalf("a member's record: %d", got.StatusCode)
	}
}

func sha256Canonical(t *testing.T, v any) string {
	t.Helper()
	b, err := audit.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func turnoutEvents(t *testing.T, f *fixture, meetingID, ballotID int64) []ballots.Event {
	t.Helper()
	evs, err := live.Since(f.ctx, f.inst.DB, meetings.Topic(meetingID), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	var out []ballots.Event
	for _, e := range evs {
		var d ballots.Event
		if e.Name == "ballot" && json.Unmarshal(e.Data, &d) == nil && d.BallotID == ballotID && d.Change == "turnout" {
			out = append(out, d)
		}
	}
	return out
}

// TestAPI_ReceiptOfAnElectionVoteAlwaysListsItsCandidates checks a
// receipt against the record: an election's vote is answered with its
// candidates, [] for a blank vote, as the record lists it, so that a voter
// can tell a vote recorded as blank from a field left out; a motion's vote
// is answered with its choice and no candidates.
func TestAPI_ReceiptOfAnElectionVoteAlwaysListsItsCandidates(t *testing.T) {
	f := newFixture(t)
	h := newHall(f)
	alice := f.tokenClient(f.inst, h.alice)
	carol := f.tokenClient(f.inst, h.carol)
	chair := f.tokenClient(f.inst, h.chair)

	b := f.openBallot(h.chair, ballots.OpenSpec{MeetingID: h.m.ID, Kind: ballots.KindElection, Seats: 2, CandidateIDs: testCandidates, Secret: true})
	path := fmt.Sprintf("/api/v1/ballots/%d", b.ID)
	votes := []struct {
		name   string
		client *osktest.Client
		body   map[string]any
		want   string
	}{
		{"a blank vote", alice, map[string]any{"candidates": []int64{}, "on_behalf_of_member_id": h.aliceM.ID}, `[]`},
		{"a vote for one candidate", carol, map[string]any{"candidates": []int64{testCandidates[1]}}, fmt.Sprintf("[%d]", testCandidates[1])},
	}
	receipts := make([]string, len(votes))
	for i, v := range votes {
		resp := v.client.Do(http.MethodPost, path+"/votes", v.body)
		if resp.StatusCode != 201 {
			t.Fatalf("%s: %d %s", v.name, resp.StatusCode, resp.Body)
		}
		var cast struct {
			Receipt string `json:"receipt"`
		}
		resp.JSON(t, &cast)
		receipts[i] = cast.Receipt
	}
	check := func(when, status string) map[string]string {
		t.Helper()
		byHash := map[string]string{}
		for i, v := range votes {
			resp := alice.Get("/api/v1/receipts/" + receipts[i])
			if resp.StatusCode != 200 {
				t.Fatalf("%s, the receipt of %s: %d %s", when, v.name, resp.StatusCode, resp.Body)
			}
			if got, want := keysOf(t, resp.Body), "ballot_id candidates counted receipt_hash status"; got != want {
				t.Errorf("%s, the receipt of %s has the fields %q, want %q: %s", when, v.name, got, want, resp.Body)
			}
			var got struct {
				Candidates  json.RawMessage `json:"candidates"`
				Counted     bool            `json:"counted"`
				Status      string          `json:"status"`
				ReceiptHash string          `json:"receipt_hash"`
			}
			resp.JSON(t, &got)
			if string(got.Candidates) != v.want || !got.Counted || got.Status != status {
				t.Errorf("%s, the receipt of %s: %s, want candidates %s, counted and %s", when, v.name, resp.Body, v.want, status)
			}
			byHash[got.ReceiptHash] = string(got.Candidates)
		}
		return byHash
	}
	check("before the close", "open")
	if resp := chair.Do(http.MethodPost, path+"/close", nil); resp.StatusCode != 200 {
		t.Fatalf("close: %d %s", resp.StatusCode, resp.Body)
	}
	answered := check("after the close", "closed")

	// The receipt says what the record lists for its hash.
	rec := alice.Get(path + "/record")
	if rec.StatusCode != 200 {
		t.Fatalf("record: %d %s", rec.StatusCode, rec.Body)
	}
	var record struct {
		Votes []struct {
			ReceiptHash string          `json:"receipt_hash"`
			Candidates  json.RawMessage `json:"candidates"`
		} `json:"votes"`
	}
	rec.JSON(t, &record)
	if len(record.Votes) != len(votes) {
		t.Fatalf("the record lists %d votes: %s", len(record.Votes), rec.Body)
	}
	for _, v := range record.Votes {
		if got, ok := answered[v.ReceiptHash]; !ok || got != string(v.Candidates) {
			t.Errorf("the record lists %s for receipt hash %s; its receipt answered %q", v.Candidates, v.ReceiptHash, got)
		}
	}

	// A motion's receipt keeps its shape: a choice, no candidates.
	m := f.openBallot(h.chair, ballots.OpenSpec{MeetingID: h.m.ID})
	resp := alice.Do(http.MethodPost, fmt.Sprintf("/api/v1/ballots/%d/votes", m.ID), map[string]any{"choice": "against", "on_behalf_of_member_id": h.aliceM.ID})
	if resp.StatusCode != 201 {
		t.Fatalf("motion vote: %d %s", resp.StatusCode, resp.Body)
	}
	var cast struct {
		Receipt string `json:"receipt"`
	}
	resp.JSON(t, &cast)
	receipt := alice.Get("/api/v1/receipts/" + cast.Receipt)
	if got, want := keysOf(t, receipt.Body), "ballot_id choice counted receipt_hash status"; receipt.StatusCode != 200 || got != want {
		t.Fatalf("a motion's receipt: %d, fields %q, want %q: %s", receipt.StatusCode, got, want, receipt.Body)
	}
}
