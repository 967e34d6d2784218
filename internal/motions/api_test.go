package motions_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/citizen-network/osk/internal/motions"
)

type problem struct {
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

func problemFields(t *testing.T, body []byte) []string {
	t.Helper()
	var p problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem %s: %v", body, err)
	}
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	sort.Strings(out)
	return out
}

func TestAPI_MotionShape(t *testing.T) {
	f := newFixture(t)
	p, mem := f.Member("Aino Proposer")
	c := f.Client(p)
	path := fmt.Sprintf("/api/v1/meetings/%d/motions", f.meeting.ID)
	resp := c.Do(http.MethodPost, path, map[string]any{"title": "Lower the fee", "body": "The fee is 40 euros.", "agenda_item_id": f.item})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("propose: %d %s", resp.StatusCode, resp.Body)
	}
	var raw map[string]any
	resp.JSON(t, &raw)
	for _, k := range []string{"id", "meeting_id", "agenda_item_id", "amends_motion_id", "title", "body", "proposer_member_id",
		"seconder_member_id", "majority", "status", "amendments", "versions"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("MOTION has no %q: %s", k, resp.Body)
		}
	}
	if raw["status"] != "submitted" || raw["majority"] != "simple" || raw["proposer_member_id"] != float64(mem.ID) ||
		raw["seconder_member_id"] != nil || raw["amends_motion_id"] != nil || raw["agenda_item_id"] != float64(f.item) {
		t.Errorf("MOTION %s", resp.Body)
	}
	id := int64(raw["id"].(float64))

	// Seconding by the proposer is refused; by another member it works.
	if resp := c.Do(http.MethodPost, fmt.Sprintf("/api/v1/motions/%d/second", id), nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("second by the proposer: %d %s", resp.StatusCode, resp.Body)
	}
	s, smem := f.Member("Bertta Seconder")
	sc := f.Client(s)
	resp = sc.Do(http.MethodPost, fmt.Sprintf("/api/v1/motions/%d/second", id), map[string]any{})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("second: %d %s", resp.StatusCode, resp.Body)
	}
	var seconded motions.Detail
	resp.JSON(t, &seconded)
	if seconded.Status != motions.StatusSeconded || seconded.SeconderMemberID == nil || *seconded.SeconderMemberID != smem.ID {
		t.Errorf("seconded %+v", seconded.Motion)
	}
	// Again: the wrong state.
	if resp := sc.Do(http.MethodPost, fmt.Sprintf("/api/v1/motions/%d/second", id), nil); resp.StatusCode != http.StatusConflict {
		t.Errorf("second twice: %d %s", resp.StatusCode, resp.Body)
	}

	// An amendment, then the motion with its amendments and versions.
	resp = sc.Do(http.MethodPost, path, map[string]any{"title": "Make it 30", "body": "The fee is 30 euros.", "amends_motion_id": id})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("amend: %d %s", resp.StatusCode, resp.Body)
	}
	var amendment motions.Detail
	resp.JSON(t, &amendment)
	if amendment.AmendsMotionID == nil || *amendment.AmendsMotionID != id || amendment.BasedOnVersion == nil || *amendment.BasedOnVersion != 1 {
		t.Errorf("amendment %+v", amendment.Motion)
	}
	resp = c.Get(fmt.Sprintf("/api/v1/motions/%d", id))
	var got motions.Detail
	resp.JSON(t, &got)
	if len(got.Amendments) != 1 || got.Amendments[0].ID != amendment.ID || len(got.Versions) != 1 || got.Versions[0].Body != "The fee is 40 euros." {
		t.Errorf("motion with amendments %+v and versions %+v", got.Amendments, got.Versions)
	}

	// Withdrawal: only the proposer, and only once.
	wpath := fmt.Sprintf("/api/v1/motions/%d/withdraw", amendment.ID)
	if resp := c.Do(http.MethodPost, wpath, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("withdraw another's: %d %s", resp.StatusCode, resp.Body)
	}
	if resp := sc.Do(http.MethodPost, wpath, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("withdraw: %d %s", resp.StatusCode, resp.Body)
	}
	if resp := sc.Do(http.MethodPost, wpath, nil); resp.StatusCode != http.StatusConflict {
		t.Errorf("withdraw twice: %d %s", resp.StatusCode, resp.Body)
	}

	// The meeting's list.
	resp = c.Get(path + "?limit=1")
	var page motions.Page
	resp.JSON(t, &page)
	if len(page.Items) != 1 || page.Items[0].ID != id || page.NextCursor == nil {
		t.Fatalf("first page %s", resp.Body)
	}
	resp = c.Get(path + "?limit=1&cursor=" + *page.NextCursor)
	resp.JSON(t, &page)
	if len(page.Items) != 1 || page.Items[0].ID != amendment.ID || page.NextCursor != nil {
		t.Errorf("second page %s", resp.Body)
	}
}

func TestAPI_BadInputNamesTheFields(t *testing.T) {
	f := newFixture(t)
	p, _ := f.Member("Aino Proposer")
	c := f.Client(p)
	path := fmt.Sprintf("/api/v1/meetings/%d/motions", f.meeting.ID)
	elsewhere := f.convened()
	resp := c.Do(http.MethodPost, fmt.Sprintf("/api/v1/meetings/%d/motions", elsewhere.ID), map[string]any{"title": "Elsewhere", "body": "Text."})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("propose elsewhere: %d %s", resp.StatusCode, resp.Body)
	}
	var foreign motions.Detail
	resp.JSON(t, &foreign)

	tests := []struct {
		name   string
		body   any
		status int
		fields []string
	}{
		{"empty title", map[string]any{"title": "", "body": "Text."}, 422, []string{"title"}},
		{"over-long title", map[string]any{"title": strings.Repeat("t", 201), "body": "Text."}, 422, []string{"title"}},
		{"no body", map[string]any{"title": "T"}, 422, []string{"body"}},
		{"body over 20,000 characters", map[string]any{"title": "T", "body": strings.Repeat("b", 20_001)}, 422, []string{"body"}},
		{"unknown agenda item", map[string]any{"title": "T", "body": "B", "agenda_item_id": 987654}, 422, []string{"agenda_item_id"}},
		{"amends a motion of another meeting", map[string]any{"title": "T", "body": "B", "amends_motion_id": foreign.ID}, 422, []string{"amends_motion_id"}},
		{"wrong type", map[string]any{"title": 5, "body": "B"}, 422, []string{"title"}},
		{"unknown field", map[string]any{"title": "T", "body": "B", "seconder": 1}, 422, []string{"seconder"}},
		{"a member sets the majority", map[string]any{"title": "T", "body": "B", "majority": "two_thirds"}, 403, nil},
		{"malformed", `{"title":`, 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := c.Do(http.MethodPost, path, tt.body)
			if resp.StatusCode != tt.status {
				t.Fatalf("%d %s, want %d", resp.StatusCode, resp.Body, tt.status)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
				t.Errorf("content type %q", ct)
			}
			if tt.fields != nil {
				if got := problemFields(t, resp.Body); !slices.Equal(got, tt.fields) {
					t.Errorf("fields %v, want %v", got, tt.fields)
				}
			}
		})
	}
	// The board's rule change with a simple majority.
	bc := f.Client(f.board)
	resp = bc.Do(http.MethodPost, path, map[string]any{"title": "T", "body": "B", "agenda_item_id": f.rules, "majority": "simple"})
	if resp.StatusCode != 422 || !slices.Equal(problemFields(t, resp.Body), []string{"majority"}) {
		t.Errorf("board's simple rule change: %d %s", resp.StatusCode, resp.Body)
	}
	resp = bc.Do(http.MethodPost, path, map[string]any{"title": "T", "body": "B", "agenda_item_id": f.rules})
	var d motions.Detail
	resp.JSON(t, &d)
	if resp.StatusCode != 201 || d.Majority != motions.MajorityTwoThirds || d.Status != motions.StatusSeconded {
		t.Errorf("board's rule change: %d %s", resp.StatusCode, resp.Body)
	}
	// Opening a ballot: bad values name their fields once the chair asks.
	chair, _ := f.Member("Chair")
	f.inSession(chair)
	cc := f.Client(chair)
	resp = cc.Do(http.MethodPost, fmt.Sprintf("/api/v1/motions/%d/ballots", d.ID), map[string]any{"secret": true, "closes_at": "soon", "electorate": "all"})
	if resp.StatusCode != 422 || !slices.Equal(problemFields(t, resp.Body), []string{"closes_at", "electorate"}) {
		t.Errorf("ballot with bad values: %d %s", resp.StatusCode, resp.Body)
	}
	resp = cc.Do(http.MethodPost, fmt.Sprintf("/api/v1/motions/%d/ballots", d.ID), map[string]any{"secret": "yes"})
	if resp.StatusCode != 422 || !slices.Equal(problemFields(t, resp.Body), []string{"secret"}) {
		t.Errorf("ballot with secret as a string: %d %s", resp.StatusCode, resp.Body)
	}
	// Unknown motions are 404, ids that are no ids too.
	for _, path := range []string{"/api/v1/motions/999999", "/api/v1/motions/abc"} {
		if resp := c.Get(path); resp.StatusCode != 404 {
			t.Errorf("GET %s: %d", path, resp.StatusCode)
		}
	}
}
