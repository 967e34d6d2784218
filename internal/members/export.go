package members

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/db"
)

// registerHeader names the columns of the register's CSV export.
var registerHeader = []string{
	"id", "member_no", "kind", "status", "name", "email", "address", "country",
	"organisation_number", "representative_account_id", "applied_on", "admitted_on", "left_on",
	"share_due", "share_paid", "share_paid_on", "share_currency", "personal_data_erased_on",
}

// Export writes the whole register as CSV to the board or an auditor, and
// records in the audit log who downloaded it and when. Dates are days in
// the co-op's time zone.
//
// A spreadsheet runs a cell that starts with =, +, -, @, a tab or a
// carriage return as a formula, so such a cell is written with a leading
// single quote: a name like "=HYPERLINK(...)" stays text.
func (s *Service) Export(ctx context.Context, p auth.Principal, w io.Writer) error {
	if err := p.RequireAny(auth.RoleBoard, auth.RoleAuditor); err != nil {
		return err
	}
	err := db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		_, err := s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: "member.register_exported", Subject: "register:members",
			Payload: map[string]any{"format": "csv"},
		})
		return err
	})
	if err != nil {
		return err
	}
	out := csv.NewWriter(w)
	if err := out.Write(registerHeader); err != nil {
		return fmt.Errorf("members: export: %w", err)
	}
	rows, err := s.db.QueryxContext(ctx, `SELECT `+memberColumns+` FROM members m ORDER BY `+registerKey+`, m.id`)
	if err != nil {
		return fmt.Errorf("members: export: %w", err)
	}
	defer rows.Close()
	record := make([]string, len(registerHeader))
	for rows.Next() {
		var m Member
		if err := rows.StructScan(&m); err != nil {
			return fmt.Errorf("members: export: %w", err)
		}
		m.normalise()
		s.exportRecord(record, m)
		if err := out.Write(record); err != nil {
			return fmt.Errorf("members: export: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("members: export: %w", err)
	}
	out.Flush()
	if err := out.Error(); err != nil {
		return fmt.Errorf("members: export: %w", err)
	}
	return nil
}

func (s *Service) exportRecord(r []string, m Member) {
	day := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(s.zone).Format(time.DateOnly)
	}
	optional := func(n *int64) string {
		if n == nil {
			return ""
		}
		return strconv.FormatInt(*n, 10)
	}
	no := ""
	if m.MemberNo != nil {
		no = strconv.Itoa(*m.MemberNo)
	}
	paidOn := ""
	if m.SharePaidOn != nil {
		paidOn = *m.SharePaidOn
	}
	applied := m.AppliedAt
	values := []string{
		strconv.FormatInt(m.ID, 10), no, m.Kind, m.Status, m.Name, m.Email, m.Address, m.Country,
		m.OrganisationNumber, optional(m.RepresentativeAccountID), day(&applied), day(m.AdmittedAt), day(m.LeftAt),
		m.ShareDue, m.SharePaid, paidOn, m.ShareCurrency, day(m.ErasedAt),
	}
	for i, v := range values {
		r[i] = CSVCell(v)
	}
}

// CSVCell makes a value safe for a spreadsheet: a value a spreadsheet
// would read as a formula gets a leading single quote.
func CSVCell(v string) string {
	if v == "" {
		return v
	}
	switch v[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + v
	}
	return v
}
