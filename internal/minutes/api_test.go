package minutes_test

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/minutes"
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
	if got["version"] != float64(1) || got["body"] != "# Minutes\n\nThe meeting opened." {
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

// Each save is a new version (API.md), the same text saved again
// included; the text saved is the text sent, line endings aside, so that
// the hash signers sign does not depend on the door it came through.
func TestAPI_EverySaveIsANewVersionOfTheTextSent(t *testing.T) {
	f := newFixture(t)
	m := f.heldMeeting("EGM")
	base := fmt.Sprintf("/api/v1/meetings/%d/minutes", m.ID)
	secretary := f.Client(f.secretary)
	var first, again map[string]any
	resp := secretary.Do(http.MethodPut, base, map[string]any{"body": "# Minutes\n\nThe meeting opened."})
	wantStatus(t, "the first save", resp.StatusCode, http.StatusOK, resp.Body)
	resp.JSON(t, &first)
	resp = secretary.Do(http.MethodPut, base, map[string]any{"body": "# Minutes\r\n\r\nThe meeting opened."})
	wantStatus(t, "the same text again", resp.StatusCode, http.StatusOK, resp.Body)
	resp.JSON(t, &again)
	if first["version"] != float64(1) || again["version"] != float64(2) || first["body"] != "# Minutes\n\nThe meeting opened." ||
		again["body"] != first["body"] || again["body_hash"] != first["body_hash"] {
		t.Errorf("saved %v, then %v", first, again)
	}
	var versions struct {
		Items []any `json:"items"`
	}
	resp = secretary.Get(base + "/versions")
	wantStatus(t, "the versions", resp.StatusCode, http.StatusOK, resp.Body)
	resp.JSON(t, &versions)
	if len(versions.Items) != 2 || f.savedEvents() != 2 {
		t.Fatalf("%d versions, %d minutes.saved events, want 2 and 2", len(versions.Items), f.savedEvents())
	}
}

// Two saves at once each answer the version they wrote, not whichever
// was saved last when the answer was read. The test holds the saves where
// the answer of one could meet the other's version: both first wait for
// the meeting's row, then, once they have saved one after the other, for
// the co-op's rules, which only the reading of an answer after the commit
// needs.
func TestAPI_ConcurrentSavesEachAnswerTheirOwnVersion(t *testing.T) {
	f := newFixture(t)
	m := f.heldMeeting("EGM")
	base := fmt.Sprintf("/api/v1/meetings/%d/minutes", m.ID)
	resp := f.Client(f.secretary).Do(http.MethodPut, base, map[string]any{"body": "The first text."})
	wantStatus(t, "the first save", resp.StatusCode, http.StatusOK, resp.Body)

	lock := func(stmt string, args ...any) (*sqlx.Tx, int) {
		t.Helper()
		tx, err := f.inst.DB.BeginTxx(f.ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = tx.Rollback() })
		var pid int
		if _, err := tx.Exec(stmt, args...); err != nil {
			t.Fatal(err)
		}
		if err := tx.Get(&pid, `SELECT pg_backend_pid()`); err != nil {
			t.Fatal(err)
		}
		return tx, pid
	}
	var done atomic.Int32
	// waitFor waits until every save has answered or waits on pid.
	waitFor := func(pid int, answered bool) {
		t.Helper()
		for start := time.Now(); ; time.Sleep(10 * time.Millisecond) {
			var waiting int32
			if err := f.inst.DB.Get(&waiting, `SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid))`, pid); err != nil {
				t.Fatal(err)
			}
			if answered {
				waiting += done.Load()
			}
			if waiting == 2 {
				return
			}
			if time.Since(start) > time.Minute {
				t.Fatalf("%d saves wait on backend %d", waiting, pid)
			}
		}
	}

	meeting, meetingPID := lock(`SELECT 1 FROM meetings WHERE id = $1 FOR UPDATE`, m.ID)
	bodies := []string{"The text of A.", "The text of B."}
	answers := make([]*osktest.Response, len(bodies))
	var wg sync.WaitGroup
	for i, body := range bodies {
		c := f.Client(f.secretary)
		wg.Go(func() {
			answers[i] = c.Do(http.MethodPut, base, map[string]any{"body": body})
			done.Add(1)
		})
	}
	waitFor(meetingPID, false)
	rules, rulesPID := lock(`LOCK TABLE coop_rules IN ACCESS EXCLUSIVE MODE`)
	if err := meeting.Commit(); err != nil {
		t.Fatal(err)
	}
	waitFor(rulesPID, true)
	if err := rules.Commit(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()

	versions := map[float64]bool{}
	for i, resp := range answers {
		wantStatus(t, "save "+bodies[i], resp.StatusCode, http.StatusOK, resp.Body)
		var got map[string]any
		resp.JSON(t, &got)
		if got["body"] != bodies[i] || got["body_hash"] != hex.EncodeToString(minutes.BodyHash(bodies[i])) {
			t.Errorf("the save of %q answers version %v: %q", bodies[i], got["version"], got["body"])
		}
		versions[got["version"].(float64)] = true
	}
	if !versions[2] || !versions[3] {
		t.Errorf("the saves answer versions %v, want 2 and 3", versions)
	}
}
