package elections_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
)

// problemFields reads the fields a 422 problem names.
func problemFields(t *testing.T, body []byte) []string {
	t.Helper()
	var p struct {
		Errors []struct {
			Field string `json:"field"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem %s: %v", body, err)
	}
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	return out
}

// PostgreSQL refuses NUL, and a control character has no place on a
// ballot: both are refused as the field's fault, never stored and never a
// server error.
func TestControlCharactersAreRefusedByTheField(t *testing.T) {
	f := newFixture(t)
	board, member := f.Client(f.board), f.Client(f.voters[0])
	e := f.election(1, nil)
	elections := fmt.Sprintf("/api/v1/meetings/%d/elections", f.meeting.ID)
	candidates := fmt.Sprintf("/api/v1/elections/%d/candidates", e.ID)

	for _, tc := range []struct {
		what  string
		who   string
		path  string
		body  map[string]any
		field string
	}{
		{"a NUL in a title", "board", elections, map[string]any{"title": "Board\x00", "seats": 1}, "title"},
		{"an escape in a title", "board", elections, map[string]any{"title": "Board \x1b[31m", "seats": 1}, "title"},
		{"a line break in a title", "board", elections, map[string]any{"title": "Board\nand more", "seats": 1}, "title"},
		{"a NUL in a name", "board", candidates, map[string]any{"name": "Tarkastus\x00 Oy"}, "name"},
		{"a line break in a name", "board", candidates, map[string]any{"name": "Tarkastus\nOy"}, "name"},
		{"a NUL in a statement", "member", candidates, map[string]any{"statement": "I stand.\x00"}, "statement"},
		{"a bell in a statement", "member", candidates, map[string]any{"statement": "I stand.\a"}, "statement"},
		{"a NEL in a statement", "member", candidates, map[string]any{"statement": "I stand.\u0085For the budget."}, "statement"},
	} {
		c := board
		if tc.who == "member" {
			c = member
		}
		r := c.Do(http.MethodPost, tc.path, tc.body)
		if r.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d, want 422\n%s", tc.what, r.StatusCode, r.Body)
			continue
		}
		if got := problemFields(t, r.Body); len(got) != 1 || got[0] != tc.field {
			t.Errorf("%s: the problem names %v, want %s", tc.what, got, tc.field)
		}
	}
	if n := f.count(`SELECT count(*) FROM elections`); n != 1 {
		t.Fatalf("%d elections after refused ones, want 1", n)
	}
	if n := f.count(`SELECT count(*) FROM election_candidates`); n != 0 {
		t.Fatalf("%d candidates after refused nominations", n)
	}

	// A statement keeps its lines and tabs.
	r := member.Do(http.MethodPost, candidates, map[string]any{"statement": "I stand.\n\n\tFor the budget."})
	wantStatus(t, "a statement of several lines", r, http.StatusCreated)

	// The forms say the same by the field, and keep what was typed.
	page := fmt.Sprintf("/elections/%d", e.ID)
	form := func(c string, path string, values url.Values, field, message string) {
		t.Helper()
		client := board
		if c == "member" {
			client = f.Client(f.voters[1])
		}
		r := client.Do(http.MethodPost, path, values)
		wantStatus(t, path, r, http.StatusUnprocessableEntity)
		has(t, path, r, `<a href="#`+field+`">`+message+`</a>`)
	}
	meetingForm := fmt.Sprintf("/meetings/%d/elections", f.meeting.ID)
	form("board", meetingForm, url.Values{"title": {"Bo\x00ard"}, "seats": {"1"}}, "title", "Write it on one line, without special characters.")
	form("board", meetingForm, url.Values{"title": {"Bo\xffard"}, "seats": {"1"}}, "title", "Write it on one line, without special characters.")
	form("board", page+"/candidates", url.Values{"name": {"Tarkastus \x00Oy"}}, "name", "Write it on one line, without special characters.")
	form("member", page+"/candidates", url.Values{"statement": {"I stand\x00."}}, "statement", "Remove the special characters from this text.")
	form("member", page+"/candidates", url.Values{"statement": {"I stand \xff."}}, "statement", "Remove the special characters from this text.")
	if n := f.count(`SELECT count(*) FROM elections`); n != 1 {
		t.Fatalf("%d elections after refused forms, want 1", n)
	}
	if n := f.count(`SELECT count(*) FROM election_candidates`); n != 1 {
		t.Fatalf("%d candidates after refused forms, want 1", n)
	}

	// A text area sends its line breaks as CRLF: they are kept as lines.
	ok := f.Client(f.voters[1]).Do(http.MethodPost, page+"/candidates", url.Values{"statement": {"I stand.\r\nFor the rules."}})
	wantStatus(t, "a statement from the form", ok, http.StatusSeeOther)
	var stored string
	if err := f.inst.DB.Get(&stored, `SELECT statement FROM election_candidates WHERE member_id = $1`, f.members[1].ID); err != nil {
		t.Fatal(err)
	}
	if stored != "I stand.\nFor the rules." {
		t.Fatalf("statement stored as %q", stored)
	}
}
