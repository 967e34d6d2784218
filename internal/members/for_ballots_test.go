package members_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/dbtest"
	"github.com/citizen-network/osk/internal/members"
)

// AllElectorsQuery must select exactly the rows ElectorsQuery selects, over
// registers whose histories hold every case: no row by the time, rows only
// after it, several rows on the same instant (the later id decides), a
// status changed since, and tombstones without an account.
func TestAllElectorsQuery_SelectsWhatElectorsQuerySelects(t *testing.T) {
	ctx := context.Background()
	conn := dbtest.New(t)
	var account int64
	if err := conn.GetContext(ctx, &account,
		`INSERT INTO accounts (email, name, created_at) VALUES ('register@example.org', 'Register', now()) RETURNING id`); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	statuses := `ARRAY['applicant','active','suspended','resigned','expelled','rejected']`
	// Statuses now are mostly active, so that most members' histories
	// decide; a member's history is up to five rows within a day of the
	// time, on whole hours, so that instants repeat.
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT setseed(0.25)`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO members (member_no, kind, status, account_id, name, email, country,
			rules_accepted_at, applied_at, admitted_at, left_at, erased_at)
		SELECT CASE WHEN s IN ('applicant', 'rejected') THEN NULL ELSE i END, 'organisation', s,
			CASE WHEN erased THEN NULL ELSE $1::bigint END,
			CASE WHEN erased THEN '' ELSE 'Organisation ' || i END,
			CASE WHEN erased THEN '' ELSE 'o' || i || '@example.org' END, 'FI',
			$2, $2,
			CASE WHEN s IN ('applicant', 'rejected') THEN NULL ELSE $2::timestamptz END,
			CASE WHEN s IN ('resigned', 'expelled') THEN $2::timestamptz END,
			CASE WHEN erased THEN $2::timestamptz END
		FROM (SELECT i, s, s IN ('resigned', 'expelled', 'rejected') AND random() < 0.3 AS erased
			FROM (SELECT i, CASE WHEN random() < 0.6 THEN 'active'
				ELSE (`+statuses+`)[1 + floor(random() * 6)::int] END AS s
				FROM generate_series(1, 3000) AS i) r) r`, account, at); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO member_status_history (member_id, status, effective_at, recorded_at)
		SELECT m.id, (`+statuses+`)[1 + floor(random() * 6)::int],
			$1::timestamptz + floor(random() * 48 - 24) * interval '1 hour', $1
		FROM members m, generate_series(1, 5) AS k
		WHERE random() < 0.5`, at); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `ANALYZE members; ANALYZE member_status_history`); err != nil {
		t.Fatal(err)
	}
	type elector struct {
		ID       int64  `db:"id"`
		MemberNo int    `db:"member_no"`
		Kind     string `db:"kind"`
		Account  int64  `db:"account_id"`
	}
	byID := func(a, b elector) int { return int(a.ID - b.ID) }
	for _, when := range []time.Time{at.Add(-25 * time.Hour), at.Add(-3 * time.Hour), at, at.Add(7 * time.Hour), at.Add(25 * time.Hour)} {
		var want, got []elector
		if err := conn.SelectContext(ctx, &want, members.ElectorsQuery, when); err != nil {
			t.Fatal(err)
		}
		if err := conn.SelectContext(ctx, &got, members.AllElectorsQuery, when); err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(want, byID)
		slices.SortFunc(got, byID)
		if !slices.Equal(got, want) {
			t.Errorf("at %s: AllElectorsQuery gives %d electors, ElectorsQuery %d", when, len(got), len(want))
		}
		if when.Equal(at) && len(want) < 100 {
			t.Errorf("at %s only %d electors: the register does not test much", when, len(want))
		}
	}
}
