package auditor_test

import (
	"fmt"
	"testing"
)

func TestVerify_FindsAnElectionCandidateChanged(t *testing.T) {
	r := newRecord(t)
	board := r.id(`SELECT id FROM elections WHERE title = 'Members of the board'`)
	// Helmi, who stood and was elected.
	helmi := r.id(`SELECT id FROM election_candidates WHERE election_id = $1 AND name = 'Helmi'`, board)
	newMember := r.id(`SELECT id FROM members WHERE id NOT IN
		(SELECT member_id FROM election_candidates WHERE election_id = $1 AND member_id IS NOT NULL) ORDER BY id LIMIT 1`, board)
	nominated := r.id(`SELECT seq FROM audit_events WHERE action = 'election.nominated' AND (payload->>'candidate_id')::bigint = $1`, helmi)
	onRecord := r.id(`SELECT chain_head_seq FROM ballots WHERE kind = 'election' AND subject_id = $1`, board)
	at := fmt.Sprintf("id=%d", helmi)
	raw := r.download(r.meeting.ID)

	t.Run("live", func(t *testing.T) {
		r.tamper(t, `UPDATE election_candidates SET member_id = $2 WHERE id = $1`, helmi, newMember)
		wantAt(t, r.verifyLive(t), "election_candidates", at, nominated)
	})
	t.Run("the name, live", func(t *testing.T) {
		r.tamper(t, `UPDATE election_candidates SET name = 'Someone Else' WHERE id = $1`, helmi)
		wantAt(t, r.verifyLive(t), "election_candidates", at, onRecord)
	})
	t.Run("in a bundle", func(t *testing.T) {
		tampered := edit(t, raw, "election_candidates", func(rows []map[string]any) []map[string]any {
			rowWith(t, rows, "id", helmi)["member_id"] = newMember
			return rows
		})
		_, rep := verifyOffline(t, tampered)
		wantAt(t, rep, "election_candidates", at, nominated)
	})
	t.Run("elections and candidates left out of a bundle", func(t *testing.T) {
		tampered := edit(t, raw, "elections", func([]map[string]any) []map[string]any { return []map[string]any{} })
		tampered = edit(t, tampered, "election_candidates", func([]map[string]any) []map[string]any { return []map[string]any{} })
		_, rep := verifyOffline(t, tampered)
		var left []struct {
			Table string `db:"t"`
			ID    int64  `db:"id"`
			Seq   int64  `db:"seq"`
		}
		err := r.inst.DB.Select(&left, `
			SELECT 'elections' AS t, (substr(subject, 10))::bigint AS id, seq FROM audit_events
			WHERE action = 'election.created' AND (payload->>'meeting_id')::bigint = $1
			UNION ALL
			SELECT 'election_candidates', (payload->>'candidate_id')::bigint, seq FROM audit_events
			WHERE action = 'election.nominated' AND subject IN
				(SELECT 'election:' || id FROM elections WHERE meeting_id = $1)`, r.meeting.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) != 3+9 {
			t.Fatalf("the meeting's elections and candidates are %v", left)
		}
		for _, l := range left {
			wantAt(t, rep, l.Table, fmt.Sprintf("id=%d", l.ID), l.Seq)
		}
	})
}
