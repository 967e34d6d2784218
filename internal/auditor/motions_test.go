package auditor_test

import (
	"fmt"
	"slices"
	"testing"
)

// seqOf is the sequence number of the one event of action on subject.
func (r *record) seqOf(action, subject string) int64 {
	r.t.Helper()
	return r.id(`SELECT seq FROM audit_events WHERE action = $1 AND subject = $2`, action, subject)
}

// rowWith finds the bundle row whose key column has the value id.
func rowWith(t *testing.T, rows []map[string]any, key string, id int64) map[string]any {
	t.Helper()
	for _, row := range rows {
		if row[key].(float64) == float64(id) {
			return row
		}
	}
	t.Fatalf("no row has %s %d", key, id)
	return nil
}

func TestVerify_FindsAMotionTextChangedAfterItsVote(t *testing.T) {
	r := newRecord(t)
	solar := r.id(`SELECT id FROM motions WHERE title = 'Solar panels on the roof'`)
	heatPump := r.id(`SELECT id FROM motions WHERE title = 'A heat pump for the sauna'`)
	subject := func(id int64) string { return fmt.Sprintf("motion:%d", id) }
	raw := r.download(r.meeting.ID)

	t.Run("the text proposed and voted on, live", func(t *testing.T) {
		r.tamper(t, `UPDATE motion_versions SET body = 'The co-op decides: no solar panels.' WHERE motion_id = $1`, solar)
		rep := r.verifyLive(t)
		at := fmt.Sprintf("motion_id=%d,version=1", solar)
		wantAt(t, rep, "motion_versions", at, r.seqOf("motion.proposed", subject(solar)))
		wantAt(t, rep, "motion_versions", at, r.seqOf("motion.put_to_vote", subject(solar)))
	})
	t.Run("the text a carried amendment made, live", func(t *testing.T) {
		r.tamper(t, `UPDATE motion_versions SET body = 'The co-op decides: a heat pump for the board room.' WHERE motion_id = $1 AND version = 2`, heatPump)
		rep := r.verifyLive(t)
		at := fmt.Sprintf("motion_id=%d,version=2", heatPump)
		wantAt(t, rep, "motion_versions", at, r.seqOf("motion.amended", subject(heatPump)))
		wantAt(t, rep, "motion_versions", at, r.seqOf("motion.put_to_vote", subject(heatPump)))
	})
	t.Run("in a bundle", func(t *testing.T) {
		var motion, version float64
		tampered := edit(t, raw, "motion_versions", func(rows []map[string]any) []map[string]any {
			motion, version = rows[0]["motion_id"].(float64), rows[0]["version"].(float64)
			rows[0]["body"] = "The co-op decides nothing."
			return rows
		})
		_, rep := verifyOffline(t, tampered)
		wantAt(t, rep, "motion_versions", fmt.Sprintf("motion_id=%d,version=%d", int64(motion), int64(version)),
			r.seqOf("motion.proposed", subject(int64(motion))))
	})
	t.Run("a version left out of a bundle", func(t *testing.T) {
		tampered := edit(t, raw, "motion_versions", func(rows []map[string]any) []map[string]any {
			return slices.DeleteFunc(rows, func(v map[string]any) bool {
				return v["motion_id"].(float64) == float64(heatPump) && v["version"].(float64) == 2
			})
		})
		_, rep := verifyOffline(t, tampered)
		wantAt(t, rep, "motion_versions", fmt.Sprintf("motion_id=%d,version=2", heatPump), r.seqOf("motion.amended", subject(heatPump)))
	})
}

func TestVerify_FindsAMotionOutcomeChanged(t *testing.T) {
	r := newRecord(t)
	solar := r.id(`SELECT id FROM motions WHERE title = 'Solar panels on the roof' AND status = 'carried'`)
	van := r.id(`SELECT id FROM motions WHERE title = 'Sell the old van' AND status = 'withdrawn'`)
	decided := r.seqOf("motion.decided", fmt.Sprintf("motion:%d", solar))
	raw := r.download(r.meeting.ID)

	t.Run("live", func(t *testing.T) {
		r.tamper(t, `UPDATE motions SET status = 'failed' WHERE id = $1`, solar)
		wantAt(t, r.verifyLive(t), "motions", fmt.Sprintf("id=%d", solar), decided)
	})
	t.Run("a withdrawn motion put back, live", func(t *testing.T) {
		r.tamper(t, `UPDATE motions SET status = 'seconded', withdrawn_at = NULL, withdrawn_by = NULL WHERE id = $1`, van)
		wantAt(t, r.verifyLive(t), "motions", fmt.Sprintf("id=%d", van), r.seqOf("motion.withdrawn", fmt.Sprintf("motion:%d", van)))
	})
	t.Run("in a bundle", func(t *testing.T) {
		tampered := edit(t, raw, "motions", func(rows []map[string]any) []map[string]any {
			rowWith(t, rows, "id", solar)["status"] = "failed"
			return rows
		})
		_, rep := verifyOffline(t, tampered)
		wantAt(t, rep, "motions", fmt.Sprintf("id=%d", solar), decided)
	})
	t.Run("left out of a bundle", func(t *testing.T) {
		tampered := edit(t, raw, "motions", func(rows []map[string]any) []map[string]any {
			return slices.DeleteFunc(rows, func(row map[string]any) bool { return row["id"].(float64) == float64(solar) })
		})
		_, rep := verifyOffline(t, tampered)
		wantAt(t, rep, "motions", fmt.Sprintf("id=%d", solar), r.seqOf("motion.proposed", fmt.Sprintf("motion:%d", solar)))
	})
}
