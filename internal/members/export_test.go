package members_test

import (
	"bytes"
	"encoding/csv"
	"slices"
	"testing"

	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/osktest"
)

func TestCSVCell_EscapesWhatASpreadsheetWouldRun(t *testing.T) {
	for in, want := range map[string]string{
		`=HYPERLINK("https://evil.example","x")`: `'=HYPERLINK("https://evil.example","x")`,
		"+358 40 123":                            "'+358 40 123",
		"-1+2":                                   "'-1+2",
		"@SUM(A1)":                               "'@SUM(A1)",
		"\tcmd":                                  "'\tcmd",
		"\rcmd":                                  "'\rcmd",
		"Anna = Bob":                             "Anna = Bob",
		"":                                       "",
		"50.00":                                  "50.00",
	} {
		if got := members.CSVCell(in); got != want {
			t.Errorf("CSVCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExport_WritesTheRegisterSafelyAndRecordsWhoDownloadedIt(t *testing.T) {
	f := newFixture(t)
	names := []string{`=HYPERLINK("https://evil.example","click")`, "+1 Solutions", "-Minus", "@Home Collective", "Plain Name"}
	for _, name := range names {
		p := f.Person("Someone")
		a := osktest.Individual(p)
		a.Name = name
		a.Address = "=cmd|' /C calc'!A0"
		m, err := f.svc.Apply(f.ctx, p, a)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Admit(f.ctx, f.board, m.ID, members.Admission{ShareDue: "20.00"}); err != nil {
			t.Fatal(err)
		}
	}
	member, _ := f.Member("Not Allowed")
	var buf bytes.Buffer
	osktest.WantKind(t, f.svc.Export(f.ctx, member, &buf), errs.Forbidden)
	if len(f.events("register:members")) != 0 {
		t.Fatal("a refused export was recorded as a download")
	}

	buf.Reset()
	if err := f.svc.Export(f.ctx, f.auditor, &buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := []string{"id", "member_no", "kind", "status", "name", "email", "address", "country",
		"organisation_number", "representative_account_id", "applied_on", "admitted_on", "left_on",
		"share_due", "share_paid", "share_paid_on", "share_currency", "personal_data_erased_on"}
	if !slices.Equal(rows[0], header) {
		t.Fatalf("header %v", rows[0])
	}
	if len(rows) != 1+len(names)+1 {
		t.Fatalf("%d rows", len(rows))
	}
	for i, name := range names {
		row := rows[1+i]
		want := name
		if name != "Plain Name" {
			want = "'" + name
		}
		if row[1] != string(rune('1'+i)) || row[4] != want || row[6] != "'=cmd|' /C calc'!A0" || row[13] != "20.00" || row[16] != "EUR" {
			t.Errorf("row %d: %q", i+1, row)
		}
	}
	ev := f.events("register:members")
	if len(ev) != 1 || ev[0].Action != "member.register_exported" || ev[0].ActorAccountID == nil || *ev[0].ActorAccountID != f.auditor.AccountID {
		t.Errorf("download events %+v", ev)
	}
}
