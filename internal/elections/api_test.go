package elections_test

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/citizen-network/osk/internal/elections"
	"github.com/citizen-network/osk/internal/osktest"
)

func keys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

func wantKeys(t *testing.T, what string, m map[string]any, want ...string) {
	t.Helper()
	slices.Sort(want)
	if got := keys(m); !slices.Equal(got, want) {
		t.Fatalf("%s has the keys %v, want %v", what, got, want)
	}
}

func TestElectionAPI(t *testing.T) {
	f := newFixture(t)
	board, chair := f.Client(f.board), f.Client(f.chair)
	voters := []*osktest.Client{f.Client(f.voters[0]), f.Client(f.voters[1]), f.Client(f.voters[2])}

	r := board.Do("POST", fmt.Sprintf("/api/v1/meetings/%d/elections", f.meeting.ID), map[string]any{"title": "Board", "seats": 1})
	if r.StatusCode != 201 {
		t.Fatalf("create: %d %s", r.StatusCode, r.Body)
	}
	var e map[string]any
	r.JSON(t, &e)
	wantKeys(t, "ELECTION", e, "id", "meeting_id", "agenda_item_id", "title", "seats", "method", "nominations_close_at", "status", "candidates", "ballot_id")
	if e["method"] != "plurality" || e["status"] != "nominating" || e["ballot_id"] != nil {
		t.Fatalf("election %v", e)
	}
	id := int64(e["id"].(float64))
	var cands []int64
	for _, v := range voters[:2] {
		r := v.Do("POST", fmt.Sprintf("/api/v1/elections/%d/candidates", id), map[string]any{"statement": "I stand."})
		if r.StatusCode != 201 {
			t.Fatalf("stand: %d %s", r.StatusCode, r.Body)
		}
		var c map[string]any
		r.JSON(t, &c)
		wantKeys(t, "candidate", c, "id", "member_id", "name", "statement", "consented")
		cands = append(cands, int64(c["id"].(float64)))
	}
	if r := voters[2].Do("POST", fmt.Sprintf("/api/v1/elections/%d/candidates", id), map[string]any{"bogus": 1}); r.StatusCode != 422 {
		t.Fatalf("an unknown field: %d, want 422", r.StatusCode)
	}
	if page := voters[2].Get(fmt.Sprintf("/elections/%d", id)); page.StatusCode != 200 || !strings.Contains(string(page.Body), "Voter 1") ||
		!strings.Contains(string(page.Body), "I stand.") {
		t.Fatalf("election page: %d\n%s", page.StatusCode, page.Body)
	}
	r = chair.Do("POST", fmt.Sprintf("/api/v1/elections/%d/ballots", id), map[string]any{})
	if r.StatusCode != 201 {
		t.Fatalf("open: %d %s", r.StatusCode, r.Body)
	}
	var b map[string]any
	r.JSON(t, &b)
	if b["secret"] != true || b["kind"] != "election" {
		t.Fatalf("ballot %v, want a secret election", b)
	}
	ballot := int64(b["id"].(float64))
	votes := fmt.Sprintf("/api/v1/ballots/%d/votes", ballot)
	for _, body := range []map[string]any{
		{"candidates": cands},
		{"candidates": []int64{cands[0], cands[0]}},
		{"candidates": []int64{cands[1] + 1000}},
	} {
		if r := voters[2].Do("POST", votes, body); r.StatusCode != 422 {
			t.Fatalf("vote %v: %d %s, want 422", body, r.StatusCode, r.Body)
		}
	}
	for i, body := range []map[string]any{{"candidates": cands[:1]}, {"candidates": []int64{}}} {
		if r := voters[i].Do("POST", votes, body); r.StatusCode != 201 {
			t.Fatalf("vote %v: %d %s", body, r.StatusCode, r.Body)
		}
	}
	// The ballot's page: checkboxes, saying how many may be marked.
	page := voters[2].Get(fmt.Sprintf("/ballots/%d", ballot))
	if page.StatusCode != 200 || !strings.Contains(string(page.Body), `type="checkbox"`) || !strings.Contains(string(page.Body), "Mark at most 1 candidate, then cast the vote.") {
		t.Fatalf("ballot page: %d\n%s", page.StatusCode, page.Body)
	}
	form := func(ids ...int64) url.Values {
		v := url.Values{"kind": {"election"}}
		for _, id := range ids {
			v.Add("candidates", strconv.FormatInt(id, 10))
		}
		return v
	}
	if r := voters[2].Do("POST", fmt.Sprintf("/ballots/%d/vote", ballot), form(cands...)); r.StatusCode != 422 ||
		!strings.Contains(string(r.Body), "Mark at most 1 candidate.</a>") {
		t.Fatalf("over-voting on the page: %d\n%s", r.StatusCode, r.Body)
	}
	if r := voters[2].Do("POST", fmt.Sprintf("/ballots/%d/vote", ballot), form(cands[0])); r.StatusCode != 201 {
		t.Fatalf("vote on the page: %d\n%s", r.StatusCode, r.Body)
	}
	r = chair.Do("POST", fmt.Sprintf("/api/v1/ballots/%d/close", ballot), nil)
	if r.StatusCode != 200 {
		t.Fatalf("close: %d %s", r.StatusCode, r.Body)
	}
	var closed struct {
		Result map[string]any `json:"result"`
	}
	r.JSON(t, &closed)
	wantKeys(t, "RESULT", closed.Result, "cast", "blank", "eligible", "quorum_met", "candidates", "lot")
	first := closed.Result["candidates"].([]any)[0].(map[string]any)
	wantKeys(t, "a candidate's result", first, "id", "name", "votes", "elected")
	if int64(first["id"].(float64)) != cands[0] || first["elected"] != true || first["name"] != "Voter 0" ||
		first["votes"] != 2.0 || closed.Result["cast"] != 2.0 || closed.Result["blank"] != 1.0 || closed.Result["lot"] != nil {
		t.Fatalf("result %v", closed.Result)
	}
	if page := voters[2].Get(fmt.Sprintf("/ballots/%d", ballot)); page.StatusCode != 200 || !strings.Contains(string(page.Body), "1 of 1 seat is filled.") {
		t.Fatalf("closed ballot page: %d\n%s", page.StatusCode, page.Body)
	}
	if page := voters[2].Get(fmt.Sprintf("/ballots/%d/record", ballot)); page.StatusCode != 200 || !strings.Contains(string(page.Body), "<td>Blank</td>") {
		t.Fatalf("record page: %d\n%s", page.StatusCode, page.Body)
	}
	r = voters[2].Get(fmt.Sprintf("/api/v1/ballots/%d/record", ballot))
	if r.StatusCode != 200 {
		t.Fatalf("record: %d %s", r.StatusCode, r.Body)
	}
	var rec struct {
		Votes []map[string]any `json:"votes"`
	}
	r.JSON(t, &rec)
	if len(rec.Votes) != 3 {
		t.Fatalf("record votes %v", rec.Votes)
	}
	for _, v := range rec.Votes {
		wantKeys(t, "a vote on the record", v, "receipt_hash", "candidates")
	}
	r = voters[2].Get(fmt.Sprintf("/api/v1/elections/%d", id))
	r.JSON(t, &e)
	if e["status"] != "decided" || e["ballot_id"] != float64(ballot) {
		t.Fatalf("election %v, want decided on ballot %d", e, ballot)
	}
}

func TestConsentThroughThePage(t *testing.T) {
	f := newFixture(t)
	e := f.election(1, nil)
	nominee := f.members[1].ID
	cand, err := f.svc.Nominate(f.ctx, f.voters[0], e.ID, elections.Nomination{MemberID: &nominee})
	if err != nil {
		t.Fatal(err)
	}
	c := f.inst.Client(t)
	c.SignIn(f.voters[1].Email, f.voters[1].Name)
	page := c.Get(fmt.Sprintf("/elections/%d", e.ID))
	if page.StatusCode != 200 || !strings.Contains(string(page.Body), "I consent to stand") {
		t.Fatalf("the nominee's page: %d\n%s", page.StatusCode, page.Body)
	}
	r := c.Do("POST", fmt.Sprintf("/elections/%d/candidates/%d/consent", e.ID, cand.ID), url.Values{})
	if r.StatusCode != 303 {
		t.Fatalf("consent: %d\n%s", r.StatusCode, r.Body)
	}
	got, err := f.svc.GetAs(f.ctx, f.board, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Candidates) != 1 || !got.Candidates[0].Consented {
		t.Fatalf("candidates %+v, want the nominee consented", got.Candidates)
	}
}
