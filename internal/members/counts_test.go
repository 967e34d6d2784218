package members_test

import (
	"maps"
	"testing"

	"github.com/citizen-network/osk/internal/members"
)

// The register page counts the active members from the member number
// counter rather than row by row; every life cycle, a tombstone included,
// must leave that count equal to the rows'.
func TestCounts_AgreeWithTheRegisterThroughEveryStatus(t *testing.T) {
	f := newFixture(t)
	f.applicant("Still Waiting")
	f.Member("Active One")
	f.Member("Active Two")
	f.suspended("Suspended Member")
	p, m := f.Member("Resigning Member")
	if _, err := f.svc.Resign(f.ctx, p, m.ID, members.Resignation{}); err != nil {
		t.Fatal(err)
	}
	_, m = f.Member("Expelled Member")
	if _, err := f.svc.Expel(f.ctx, f.board, m.ID, "Acted against the co-op's purpose."); err != nil {
		t.Fatal(err)
	}
	_, m = f.applicant("Rejected Applicant")
	if _, err := f.svc.Reject(f.ctx, f.board, m.ID, "Not eligible under the rules."); err != nil {
		t.Fatal(err)
	}
	p, m = f.Member("Erased Former Member")
	if _, err := f.svc.Resign(f.ctx, p, m.ID, members.Resignation{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Erase(f.ctx, f.board, m.ID); err != nil {
		t.Fatal(err)
	}

	got, err := f.svc.Counts(f.ctx, f.board)
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	if err := f.db.Select(&rows, `SELECT status, count(*) AS n FROM members GROUP BY status`); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, st := range members.Statuses {
		want[st] = 0
	}
	for _, r := range rows {
		want[r.Status] = r.N
	}
	if !maps.Equal(got, want) {
		t.Errorf("Counts = %v, the register holds %v", got, want)
	}
}
