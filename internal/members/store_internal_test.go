package members

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/dbtest"
)

// TestListQuery_UsesIndexesAt100000Members fills the register with 100,000
// entries and checks that every kind of page of the register is read
// through an index: none scans the whole table.
func TestListQuery_UsesIndexesAt100000Members(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a table with 100,000 rows")
	}
	ctx := context.Background()
	conn := dbtest.New(t)
	var account int64
	if err := conn.GetContext(ctx, &account,
		`INSERT INTO accounts (email, name, created_at) VALUES ('bulk@example.org', 'Bulk', now()) RETURNING id`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := conn.ExecContext(ctx, `
		INSERT INTO members (member_no, kind, status, account_id, name, email, country,
			rules_accepted_at, applied_at, admitted_at, left_at)
		SELECT CASE WHEN i % 20 = 0 THEN NULL ELSE i END,
			'organisation',
			CASE i % 20 WHEN 0 THEN 'applicant' WHEN 1 THEN 'resigned' WHEN 2 THEN 'suspended' ELSE 'active' END,
			$1, 'Organisation ' || md5(i::text), 'contact' || i || '@' || left(md5(i::text), 6) || '.example.org', 'FI',
			now(), now(),
			CASE WHEN i % 20 = 0 THEN NULL ELSE now() END,
			CASE WHEN i % 20 = 1 THEN now() END
		FROM generate_series(1, 100000) AS i`, account)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `ANALYZE members`); err != nil {
		t.Fatal(err)
	}
	t.Logf("filled in %s", time.Since(start))

	deep := &cursor{key: 90000, id: 90000}
	for _, tc := range []struct {
		name string
		f    listFilter
	}{
		{"first page", listFilter{Limit: 50}},
		{"deep page", listFilter{Limit: 50, After: deep}},
		{"applicants", listFilter{Status: StatusApplicant, Limit: 50}},
		{"suspended, deep", listFilter{Status: StatusSuspended, Limit: 50, After: deep}},
		{"kind", listFilter{Kind: KindOrganisation, Limit: 500}},
		{"name search", listFilter{Q: "3fa9", Limit: 50}},
		{"email search", listFilter{Q: "contact4242@", Limit: 50}},
		{"member number", listFilter{Q: "77777", Limit: 50}},
		{"search and status", listFilter{Q: "beef", Status: StatusActive, Limit: 50}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			query, args := listQuery(tc.f)
			var plan []string
			if err := conn.SelectContext(ctx, &plan, "EXPLAIN "+query, args...); err != nil {
				t.Fatal(err)
			}
			text := strings.Join(plan, "\n")
			if strings.Contains(text, "Seq Scan") {
				t.Errorf("the query reads the whole register:\n%s", text)
			}
			began := time.Now()
			ms, err := selectMembers(ctx, conn, query, args...)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d rows in %s", len(ms), time.Since(began))
		})
	}
}
