package auditor_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auditor"
	"github.com/citizen-network/osk/internal/dbtest"
	"github.com/citizen-network/osk/internal/server"
)

// download fetches the bundle of a meeting over HTTP as the record's
// auditor.
func (r *record) download(meetingID int64) []byte {
	r.t.Helper()
	c := r.inst.Client(r.t)
	c.SignIn(r.auditor.Email, r.auditor.Name)
	resp := c.Get(fmt.Sprintf("/api/v1/audit/meetings/%d/bundle", meetingID))
	if resp.StatusCode != http.StatusOK {
		r.t.Fatalf("bundle: %d %s", resp.StatusCode, resp.Body)
	}
	want := fmt.Sprintf(`attachment; filename="osk-meeting-%d-bundle.json"`, meetingID)
	if got := resp.Header.Get("Content-Disposition"); got != want {
		r.t.Fatalf("Content-Disposition %q, want %q", got, want)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		r.t.Fatalf("Content-Type %q", ct)
	}
	return resp.Body
}

// verifyOffline loads a bundle into an empty database of its own and
// verifies it there, as `osk verify --bundle` does.
func verifyOffline(t *testing.T, raw []byte) (auditor.Bundle, audit.Report) {
	t.Helper()
	b, err := auditor.ReadBundle(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	scratch := dbtest.New(t)
	if err := auditor.LoadBundle(t.Context(), scratch.DB, b); err != nil {
		t.Fatal(err)
	}
	rep, err := auditor.VerifyBundle(t.Context(), scratch, b, auditor.Options{}, server.Checks()...)
	if err != nil {
		t.Fatal(err)
	}
	return b, rep
}

// edit changes one table's rows of a bundle.
func edit(t *testing.T, raw []byte, table string, change func(rows []map[string]any) []map[string]any) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	tables := doc["tables"].(map[string]any)
	var rows []map[string]any
	for _, row := range tables[table].([]any) {
		rows = append(rows, row.(map[string]any))
	}
	tables[table] = change(rows)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func wantNamed(t *testing.T, rep audit.Report, table, row string) {
	t.Helper()
	if rep.OK {
		t.Fatalf("the tampered bundle verifies")
	}
	for _, p := range rep.Problems {
		if p.Table == table && p.Row == row {
			return
		}
	}
	t.Fatalf("no problem names %s %s:\n%s", table, row, describe(rep))
}

// wantAt requires a problem that names the row and the audit event.
func wantAt(t *testing.T, rep audit.Report, table, row string, seq int64) {
	t.Helper()
	if rep.OK {
		t.Fatalf("the tampered record verifies")
	}
	for _, p := range rep.Problems {
		if p.Table == table && p.Row == row && p.Seq == seq {
			return
		}
	}
	t.Fatalf("no problem names %s %s at event %d:\n%s", table, row, seq, describe(rep))
}

func describe(rep audit.Report) string {
	var b strings.Builder
	for _, p := range rep.Problems {
		fmt.Fprintf(&b, "  %s %s (seq %d): %s\n", p.Table, p.Row, p.Seq, p.Reason)
	}
	return b.String()
}

func TestBundle_ExportedOverHTTPVerifiesOfflineAndShowsTampering(t *testing.T) {
	r := newRecord(t)
	raw := r.download(r.meeting.ID)

	b, rep := verifyOffline(t, raw)
	if !rep.OK {
		t.Fatalf("the bundle of an untouched record has problems:\n%s", describe(rep))
	}
	if rep.Anchor == nil || rep.Anchor.Seq != b.Chain.After.Seq || rep.MeetingID != r.meeting.ID {
		t.Fatalf("the report does not say it checked the meeting's segment: %+v", rep)
	}
	if rep.HeadHash != b.Chain.Head.Hash.String() || rep.Events != b.Chain.Head.Seq-b.Chain.After.Seq {
		t.Fatalf("walked %d events to %s; the bundle's chain is %+v", rep.Events, rep.HeadHash, b.Chain)
	}
	counts := map[string]int{}
	for name, rows := range b.Tables {
		counts[name] = len(rows)
	}
	if counts["meetings"] != 1 || counts["ballots"] != 5 || counts["minutes"] != 2 || counts["minutes_signatures"] != 7 ||
		counts["elections"] != 3 || counts["election_candidates"] != 9 || counts["motions"] != 7 || counts["motion_versions"] != 8 ||
		counts["ballot_votes"] == 0 || counts["ballot_voters"] == 0 {
		t.Fatalf("the bundle holds %v", counts)
	}
	// The report says what its checks read, not only that nothing was wrong.
	if want := map[string]int{"ballots": 5, "minutes": 2, "motions": 7, "elections": 3}; !maps.Equal(rep.Checked, want) {
		t.Fatalf("the report says it checked %v, want %v", rep.Checked, want)
	}

	// The live log records the export, and the bundle ends with it.
	var last struct {
		Action  string `json:"action"`
		Subject string `json:"subject"`
		Actor   *int64 `json:"actor_account_id"`
	}
	events := b.Tables["audit_events"]
	if err := json.Unmarshal(events[len(events)-1], &last); err != nil {
		t.Fatal(err)
	}
	if last.Action != "audit.bundle_exported" || last.Subject != "meeting:"+strconv.FormatInt(r.meeting.ID, 10) ||
		last.Actor == nil || *last.Actor != r.auditor.AccountID {
		t.Fatalf("the bundle's last event is %+v", last)
	}
	live, _, err := audit.Head(r.ctx, r.inst.DB)
	if err != nil {
		t.Fatal(err)
	}
	if live != b.Chain.Head.Seq {
		t.Fatalf("the live head is %d, the bundle's %d", live, b.Chain.Head.Seq)
	}

	secret := r.ballots[0].ID
	t.Run("a vote changed", func(t *testing.T) {
		tampered := edit(t, raw, "ballot_votes", func(rows []map[string]any) []map[string]any {
			for _, v := range rows {
				if v["ballot_id"].(float64) == float64(secret) && v["choice"] == "for" {
					v["choice"] = "against"
					return rows
				}
			}
			t.Fatal("no vote for in the secret ballot")
			return nil
		})
		_, rep := verifyOffline(t, tampered)
		wantNamed(t, rep, "ballots", fmt.Sprintf("id=%d", secret))
		wantNamed(t, rep, "ballot_votes", fmt.Sprintf("ballot_id=%d", secret))
	})
	t.Run("an event changed", func(t *testing.T) {
		var seq float64
		tampered := edit(t, raw, "audit_events", func(rows []map[string]any) []map[string]any {
			e := rows[len(rows)/2]
			seq = e["seq"].(float64)
			e["subject"] = "meeting:999"
			return rows
		})
		_, rep := verifyOffline(t, tampered)
		wantNamed(t, rep, "audit_events", fmt.Sprintf("seq=%d", int64(seq)))
	})
	t.Run("a signature removed", func(t *testing.T) {
		var doc float64
		tampered := edit(t, raw, "minutes_signatures", func(rows []map[string]any) []map[string]any {
			doc = rows[len(rows)-1]["minutes_id"].(float64)
			return rows[:len(rows)-1]
		})
		_, rep := verifyOffline(t, tampered)
		wantNamed(t, rep, "minutes", fmt.Sprintf("id=%d", int64(doc)))
	})
	t.Run("a closed ballot left out", func(t *testing.T) {
		tampered := edit(t, raw, "ballots", func(rows []map[string]any) []map[string]any { return rows[1:] })
		_, rep := verifyOffline(t, tampered)
		wantNamed(t, rep, "ballots", fmt.Sprintf("id=%d", r.ballots[0].ID))
	})
}

func TestBundle_OnlyForAuditorsOfAMeetingThatExists(t *testing.T) {
	r := newRecord(t)
	c := r.inst.Client(t)
	path := fmt.Sprintf("/api/v1/audit/meetings/%d/bundle", r.meeting.ID)
	if resp := c.Get(path); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous: %d", resp.StatusCode)
	}
	c.SignIn(r.board.Email, r.board.Name)
	if resp := c.Get(path); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("board: %d", resp.StatusCode)
	}
	a := r.inst.Client(t)
	a.SignIn(r.auditor.Email, r.auditor.Name)
	for _, bad := range []string{"/api/v1/audit/meetings/999999/bundle", "/api/v1/audit/meetings/x/bundle"} {
		resp := a.Get(bad)
		if resp.StatusCode != http.StatusNotFound || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
			t.Fatalf("%s: %d %s", bad, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	// The verification page links each meeting's bundle.
	page := string(a.Get("/audit/verify").Body)
	for _, m := range []int64{r.meeting.ID, r.other.ID} {
		if !strings.Contains(page, fmt.Sprintf(`href="/api/v1/audit/meetings/%d/bundle"`, m)) {
			t.Errorf("the verification page does not link the bundle of meeting %d", m)
		}
	}
	if !strings.Contains(page, `Download the audit bundle (JSON)<span class="visually-hidden"> of `+r.meeting.Title+`</span>`) {
		t.Errorf("the link does not name its meeting:\n%s", page)
	}
}
