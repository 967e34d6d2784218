package minutes_test

import (
	"fmt"
	"net/http"
	"regexp"
	"testing"

	"github.com/citizen-network/osk/internal/osktest"
)

// problem is an RFC 9457 answer.
type problem struct {
	Status int `json:"status"`
	Errors []struct {
		Field string `json:"field"`
	} `json:"errors"`
}

func wantStatus(t *testing.T, what string, got, want int, body []byte) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: %d, want %d\n%s", what, got, want, body)
	}
}

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestAPI_MinutesFromDraftToSeal(t *testing.T) {
	f := newFixture(t)
	m := f.heldMeeting("EGM")
	base := fmt.Sprintf("/api/v1/meetings/%d/minutes", m.ID)
	secretary, chair, board, member := f.Client(f.secretary), f.Client(f.chair), f.Client(f.board), f.Client(f.member)
	checker1, checker2 := f.Client(f.checker1), f.Client(f.checker2)

	var got map[string]any
	resp := secretary.Get(base)
	wantStatus(t, "the secretary reads the pre-filled draft", resp.StatusCode, http.StatusOK, resp.Body)
	resp.JSON(t, &got)
	for _, key := range []string{"meeting_id", "version", "status", "body", "signatures", "sealed_hash"} {
		if _, ok := got[key]; !ok {
			t.Fatalf("MINUTES lacks %q: %v", key, got)
		}
	}
	if got["version"] != float64(0) || got["status"] != "draft" || got["sealed_hash"] != nil {
		t.Fatalf("the pre-filled draft: %v", got)
	}

	resp = secretary.Do(http.MethodPut, base, `{"body": "# Minutes", "title": "x"}`)
	wantStatus(t, "an unknown field", resp.StatusCode, http.StatusUnprocessableEntity, resp.Body)
	resp = secretary.Do(http.MethodPut, base, `{"body": `)
	wantStatus(t, "a malformed body", resp.StatusCode, http.StatusBadRequest, resp.Body)
	resp = secretary.Do(http.MethodPut, base, map[string]any{})
	wantStatus(t, "no text", resp.StatusCode, http.StatusUnprocessableEntity, resp.Body)
	var p problem
	resp.JSON(t, &p)
	if len(p.Errors) != 1 || p.Errors[0].Field != "body" {
		t.Fatalf("the problem %+v", p)
	}
	resp = chair.Do(http.MethodPut, base, map[string]any{"body": "The chair's text."})
	wantStatus(t, "the chair writes", resp.StatusCode, http.StatusForbidden, resp.Body)
	resp = secretary.Do(http.MethodPut, base, map[string]any{"body": "# Minutes\n\nThe meeting opened."})
	wantStatus(t, "the secretary saves", resp.StatusCode, http.StatusOK, resp.Body)
	got = nil
	resp.JSON(t, &got)
	if got["version"] != float64(1) || got["body"] != "# Minutes\n\nThe meeting opened.\n" {
		t.Fatalf("saved: %v", got)
	}
	resp = chair.Do(http.MethodPost, base+"/sign", map[string]any{})
	wantStatus(t, "signing a draft", resp.StatusCode, http.StatusConflict, resp.Body)
	resp = secretary.Do(http.MethodPost, base+"/submit", nil)
	wantStatus(t, "submitting", resp.StatusCode, http.StatusOK, resp.Body)

	resp = member.Get(base)
	wantStatus(t, "a member reads minutes in review", resp.StatusCode, http.StatusNotFound, resp.Body)
	resp = board.Do(http.MethodPost, base+"/sign", map[string]any{"version": 1})
	wantStatus(t, "the board signs", resp.StatusCode, http.StatusForbidden, resp.Body)
	resp = chair.Do(http.MethodPost, base+"/sign", map[string]any{"version": 2})
	wantStatus(t, "signing the wrong version", resp.StatusCode, http.StatusConflict, resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("the conflict is %s", ct)
	}
	resp = chair.Do(http.MethodPost, base+"/sign", map[string]any{"version": 0})
	wantStatus(t, "signing version 0", resp.StatusCode, http.StatusUnprocessableEntity, resp.Body)
	resp = checker1.Do(http.MethodPost, base+"/return", map[string]any{"version": 1})
	wantStatus(t, "sending back without a comment", resp.StatusCode, http.StatusUnprocessableEntity, resp.Body)

	for _, c := range []*osktest.Client{chair, checker1, checker2} {
		resp = c.Do(http.MethodPost, base+"/sign", map[string]any{"version": 1})
		wantStatus(t, "a signature", resp.StatusCode, http.StatusOK, resp.Body)
	}
	got = nil
	resp.JSON(t, &got)
	if got["status"] != "signed" || !hex64.MatchString(fmt.Sprint(got["sealed_hash"])) {
		t.Fatalf("sealed: %v", got)
	}

	resp = member.Get(base)
	wantStatus(t, "a member reads sealed minutes", resp.StatusCode, http.StatusOK, resp.Body)
	got = nil
	resp.JSON(t, &got)
	sigs, _ := got["signatures"].([]any)
	if len(sigs) != 3 {
		t.Fatalf("signatures %v", got["signatures"])
	}
	for _, s := range sigs {
		sig := s.(map[string]any)
		for _, key := range []string{"account_id", "role", "signed_at"} {
			if _, ok := sig[key]; !ok {
				t.Fatalf("a signature lacks %q: %v", key, sig)
			}
		}
	}
	resp = secretary.Do(http.MethodPut, base, map[string]any{"body": "A change after the seal."})
	wantStatus(t, "an edit after the seal", resp.StatusCode, http.StatusConflict, resp.Body)
	resp = chair.Do(http.MethodPost, base+"/sign", nil)
	wantStatus(t, "signing sealed minutes", resp.StatusCode, http.StatusConflict, resp.Body)

	resp = board.Get(base + "/versions")
	wantStatus(t, "the versions", resp.StatusCode, http.StatusOK, resp.Body)
	resp = member.Get(base + "/versions")
	wantStatus(t, "a member reads the versions", resp.StatusCode, http.StatusNotFound, resp.Body)
	resp = chair.Get(base + "/versions/1")
	wantStatus(t, "version 1", resp.StatusCode, http.StatusOK, resp.Body)
	resp = chair.Get(base + "/versions/9")
	wantStatus(t, "version 9", resp.StatusCode, http.StatusNotFound, resp.Body)

	resp = member.Do(http.MethodPost, base+"/addenda", map[string]any{"body": "A correction."})
	wantStatus(t, "a member begins an addendum", resp.StatusCode, http.StatusForbidden, resp.Body)
	resp = secretary.Do(http.MethodPost, base+"/addenda", map[string]any{"body": "A correction."})
	wantStatus(t, "the secretary begins an addendum", resp.StatusCode, http.StatusCreated, resp.Body)
	resp = secretary.Get(base + "/addenda/1")
	wantStatus(t, "the addendum", resp.StatusCode, http.StatusOK, resp.Body)
	resp = member.Get(base + "/addenda/1")
	wantStatus(t, "a member reads a draft addendum", resp.StatusCode, http.StatusNotFound, resp.Body)
	resp = secretary.Get(base + "/addenda/x")
	wantStatus(t, "addendum x", resp.StatusCode, http.StatusNotFound, resp.Body)

	resp = board.Get("/api/v1/minutes/overdue")
	wantStatus(t, "the board's deadlines", resp.StatusCode, http.StatusOK, resp.Body)
	resp = member.Get("/api/v1/minutes/overdue")
	wantStatus(t, "a member's deadlines", resp.StatusCode, http.StatusForbidden, resp.Body)
}

// PUT with the text of the latest version is no new save: it answers the
// minutes as they are, without writing anything.
func TestAPI_SavingTheSameTextAgainAnswersTheCurrentVersion(t *testing.T) {
	f := newFixture(t)
	m := f.heldMeeting("EGM")
	base := fmt.Sprintf("/api/v1/meetings/%d/minutes", m.ID)
	secretary := f.Client(f.secretary)
	var first, again map[string]any
	resp := secretary.Do(http.MethodPut, base, map[string]any{"body": "# Minutes\n\nThe meeting opened."})
	wantStatus(t, "the first save", resp.StatusCode, http.StatusOK, resp.Body)
	resp.JSON(t, &first)
	resp = secretary.Do(http.MethodPut, base, map[string]any{"body": "# Minutes\r\n\r\nThe meeting opened.\r\n"})
	wantStatus(t, "the same text again", resp.StatusCode, http.StatusOK, resp.Body)
	resp.JSON(t, &again)
	for _, key := range []string{"version", "status", "body", "body_hash"} {
		if first[key] != again[key] {
			t.Errorf("%s: %v, then %v", key, first[key], again[key])
		}
	}
	var versions struct {
		Items []any `json:"items"`
	}
	resp = secretary.Get(base + "/versions")
	wantStatus(t, "the versions", resp.StatusCode, http.StatusOK, resp.Body)
	resp.JSON(t, &versions)
	if len(versions.Items) != 1 || f.savedEvents() != 1 {
		t.Fatalf("%d versions, %d minutes.saved events, want 1 and 1", len(versions.Items), f.savedEvents())
	}
}
