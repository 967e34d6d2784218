package minutes_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/minutes"
)

// tamper runs statements on the database with the minutes' triggers
// disabled, as a superuser could.
func (f *fixture) tamper(stmts ...string) {
	f.t.Helper()
	tables := []string{"minutes", "minutes_versions", "minutes_signatures"}
	for _, table := range tables {
		if _, err := f.inst.DB.Exec(`ALTER TABLE ` + table + ` DISABLE TRIGGER USER`); err != nil {
			f.t.Fatal(err)
		}
	}
	for _, stmt := range stmts {
		if _, err := f.inst.DB.Exec(stmt); err != nil {
			f.t.Fatalf("%s: %v", stmt, err)
		}
	}
	for _, table := range tables {
		if _, err := f.inst.DB.Exec(`ALTER TABLE ` + table + ` ENABLE TRIGGER USER`); err != nil {
			f.t.Fatal(err)
		}
	}
}

// wantProblem fails unless the report names the row of the table.
func wantProblem(t *testing.T, r audit.Report, table, row string) {
	t.Helper()
	if r.OK {
		t.Fatalf("verify found nothing wrong")
	}
	for _, p := range r.Problems {
		if p.Table == table && p.Row == row {
			return
		}
	}
	t.Fatalf("verify does not name %s %s: %+v", table, row, r.Problems)
}

// sealedIDs returns the id of the minutes of the meeting and the id of
// one of their signatures.
func (f *fixture) sealedIDs(meetingID int64) (doc, signature int64) {
	f.t.Helper()
	if err := f.inst.DB.Get(&doc, `SELECT id FROM minutes WHERE meeting_id = $1 AND addendum = 0`, meetingID); err != nil {
		f.t.Fatal(err)
	}
	if err := f.inst.DB.Get(&signature, `SELECT min(id) FROM minutes_signatures WHERE minutes_id = $1`, doc); err != nil {
		f.t.Fatal(err)
	}
	return doc, signature
}

func TestCheck_FindsAnEditedSealedText(t *testing.T) {
	f := newFixture(t)
	m, _ := f.sealed("EGM", "The meeting decided to buy solar panels.")
	if r := f.verify(); !r.OK {
		t.Fatalf("verify before: %+v", r.Problems)
	}
	doc, _ := f.sealedIDs(m.ID)
	f.tamper(fmt.Sprintf(`UPDATE minutes_versions SET body = replace(body, 'buy', 'sell') WHERE minutes_id = %d`, doc))
	got, err := f.svc.Get(f.ctx, f.member, minutes.Main(m.ID))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got.Body, "sell") {
		t.Fatalf("the tampering did not take: %q", got.Body)
	}
	r := f.verify()
	wantProblem(t, r, "minutes_versions", fmt.Sprintf("minutes_id=%d,version=1", doc))
	if len(r.Problems) != 1 || !strings.Contains(r.Problems[0].Reason, "the text was changed") {
		t.Fatalf("problems %+v", r.Problems)
	}
}

func TestCheck_FindsAnEditedTextWithItsHashRecomputed(t *testing.T) {
	f := newFixture(t)
	m, _ := f.sealed("EGM", "The meeting decided to buy solar panels.")
	doc, _ := f.sealedIDs(m.ID)
	f.tamper(fmt.Sprintf(`UPDATE minutes_versions SET body = 'Nothing was decided.', body_hash = sha256('Nothing was decided.') WHERE minutes_id = %d`, doc))
	r := f.verify()
	wantProblem(t, r, "minutes", fmt.Sprintf("id=%d", doc))
	var sigs []int64
	if err := f.inst.DB.Select(&sigs, `SELECT id FROM minutes_signatures WHERE minutes_id = $1 ORDER BY id`, doc); err != nil {
		t.Fatal(err)
	}
	for _, id := range sigs {
		wantProblem(t, r, "minutes_signatures", fmt.Sprintf("id=%d", id))
	}
}

func TestCheck_FindsAnEditedSignature(t *testing.T) {
	f := newFixture(t)
	m, _ := f.sealed("EGM", "The minutes.")
	doc, sig := f.sealedIDs(m.ID)
	f.tamper(fmt.Sprintf(`UPDATE minutes_signatures SET signed_at = signed_at - interval '3 days' WHERE id = %d`, sig))
	r := f.verify()
	wantProblem(t, r, "minutes_signatures", fmt.Sprintf("id=%d", sig))
	wantProblem(t, r, "minutes", fmt.Sprintf("id=%d", doc))

	// Another signer put in the place of one who signed.
	f2 := newFixture(t)
	m2, _ := f2.sealed("EGM", "The minutes.")
	_, sig2 := f2.sealedIDs(m2.ID)
	f2.tamper(fmt.Sprintf(`UPDATE minutes_signatures SET account_id = %d WHERE id = %d`, f2.board.AccountID, sig2))
	wantProblem(t, f2.verify(), "minutes_signatures", fmt.Sprintf("id=%d", sig2))
}

func TestCheck_FindsARemovedSignatureAndAnUnsealedDocument(t *testing.T) {
	f := newFixture(t)
	m, _ := f.sealed("EGM", "The minutes.")
	doc, sig := f.sealedIDs(m.ID)
	f.tamper(fmt.Sprintf(`DELETE FROM minutes_signatures WHERE id = %d`, sig))
	r := f.verify()
	wantProblem(t, r, "minutes", fmt.Sprintf("id=%d", doc))
	found := false
	for _, p := range r.Problems {
		found = found || (p.Table == "audit_events" && strings.Contains(p.Reason, "does not hold"))
	}
	if !found {
		t.Fatalf("the signature's audit event is not reported: %+v", r.Problems)
	}

	f2 := newFixture(t)
	m2, _ := f2.sealed("EGM", "The minutes.")
	doc2, _ := f2.sealedIDs(m2.ID)
	f2.tamper(fmt.Sprintf(`UPDATE minutes SET status = 'draft', review_version = NULL, submitted_at = NULL, sealed_at = NULL,
		sealed_hash = NULL, chain_head_seq = NULL, chain_head_hash = NULL WHERE id = %d`, doc2))
	wantProblem(t, f2.verify(), "minutes", fmt.Sprintf("id=%d", doc2))
}
