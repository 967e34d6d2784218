package minutes_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auditor"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/dbtest"
	"github.com/citizen-network/osk/internal/minutes"
	"github.com/citizen-network/osk/internal/server"
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

func TestCheck_FindsAnEditedTitle(t *testing.T) {
	f := newFixture(t)
	m, _ := f.sealed("EGM", "The meeting decided to buy solar panels.")
	doc, _ := f.sealedIDs(m.ID)
	f.tamper(fmt.Sprintf(`UPDATE minutes SET title = 'Extraordinary meeting 1999' WHERE id = %d`, doc))
	r := f.verify()
	wantProblem(t, r, "minutes", fmt.Sprintf("id=%d", doc))
	if len(r.Problems) != 1 || !strings.Contains(r.Problems[0].Reason, "Extraordinary meeting 1999") {
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

// problemAt returns the reason verify gives for the row of the table, or
// fails.
func problemAt(t *testing.T, r audit.Report, table, row string) string {
	t.Helper()
	wantProblem(t, r, table, row)
	for _, p := range r.Problems {
		if p.Table == table && p.Row == row {
			return p.Reason
		}
	}
	return ""
}

// The archive searches and quotes search_text, so a forged one would show
// members words their minutes do not say.
func TestCheck_FindsAForgedSearchText(t *testing.T) {
	f := newFixture(t)
	m, _ := f.sealed("EGM", "# Minutes: Tom \\& Jerry\n\nThe meeting decided to buy \\*solar\\* panels.")
	doc, _ := f.sealedIDs(m.ID)
	var stored string
	if err := f.inst.DB.Get(&stored, `SELECT search_text FROM minutes WHERE id = $1`, doc); err != nil {
		t.Fatal(err)
	}
	if want := "Minutes: Tom & Jerry\nThe meeting decided to buy *solar* panels."; stored != want {
		t.Fatalf("search_text %q, want %q", stored, want)
	}
	if r := f.verify(); !r.OK {
		t.Fatalf("verify: %+v", r.Problems)
	}
	// Minutes sealed before the search text resolved escapes keep the
	// text as typed, which is no forgery.
	f.tamper(fmt.Sprintf(`UPDATE minutes SET search_text = E'Minutes: Tom \\& Jerry\nThe meeting decided to buy \\*solar\\* panels.' WHERE id = %d`, doc))
	if r := f.verify(); !r.OK {
		t.Fatalf("verify of the search text as typed: %+v", r.Problems)
	}
	f.tamper(fmt.Sprintf(`UPDATE minutes SET search_text = replace(search_text, 'buy', 'sell') WHERE id = %d`, doc))
	reason := problemAt(t, f.verify(), "minutes", fmt.Sprintf("id=%d", doc))
	if !strings.Contains(reason, "search text is not the plain text of the sealed version 1") || !strings.Contains(reason, `decided to sell \\*solar\\* panels." where the text reads " meeting decided to buy`) {
		t.Fatalf("the problem: %s", reason)
	}
	if got := problemAt(t, f.verifyBundle(m.ID), "minutes", fmt.Sprintf("id=%d", doc)); got != reason {
		t.Fatalf("the bundle's problem %q, the live one %q", got, reason)
	}
	if hits, err := f.svc.Archive(f.ctx, f.member, minutes.ArchiveFilter{Query: "sell"}); err != nil || len(hits.Items) != 1 {
		t.Fatalf("the forgery did not take: %v %+v", err, hits)
	}
}

// A document waiting for signatures is checked as a sealed one is: each
// version against the event of its save, each signature against the event
// that recorded it.
func TestCheck_FindsTamperingWithMinutesInReview(t *testing.T) {
	f := newFixture(t)
	m := f.heldMeeting("EGM")
	f.submitted(m, "The meeting decided to buy solar panels.")
	if _, err := f.svc.Sign(f.ctx, f.checker1, minutes.Main(m.ID), nil); err != nil {
		t.Fatal(err)
	}
	doc, sig := f.sealedIDs(m.ID)
	// A draft sent back with a signature on its first version, beside.
	other := f.heldMeeting("AGM")
	f.submitted(other, "First text.")
	if _, err := f.svc.Sign(f.ctx, f.chair, minutes.Main(other.ID), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Return(f.ctx, f.checker2, minutes.Main(other.ID), nil, "Say more."); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Save(f.ctx, f.secretary, minutes.Main(other.ID), "Second text."); err != nil {
		t.Fatal(err)
	}
	if r := f.verify(); !r.OK {
		t.Fatalf("verify before: %+v", r.Problems)
	}

	f.tamper(fmt.Sprintf(`UPDATE minutes_versions SET body = 'Nothing was decided.', body_hash = sha256('Nothing was decided.') WHERE minutes_id = %d`, doc),
		fmt.Sprintf(`UPDATE minutes_signatures SET body_hash = sha256('Nothing was decided.') WHERE id = %d`, sig))
	r := f.verify()
	if reason := problemAt(t, r, "minutes_versions", fmt.Sprintf("minutes_id=%d,version=1", doc)); !strings.Contains(reason, "the audit log recorded") {
		t.Fatalf("the problem with the version: %s", reason)
	}
	if reason := problemAt(t, r, "minutes_signatures", fmt.Sprintf("id=%d", sig)); !strings.Contains(reason, "is not the one the audit log recorded") {
		t.Fatalf("the problem with the signature: %s", reason)
	}

	f2 := newFixture(t)
	m2 := f2.heldMeeting("EGM")
	f2.submitted(m2, "The minutes.")
	if _, err := f2.svc.Sign(f2.ctx, f2.checker1, minutes.Main(m2.ID), nil); err != nil {
		t.Fatal(err)
	}
	_, sig2 := f2.sealedIDs(m2.ID)
	f2.tamper(fmt.Sprintf(`UPDATE minutes_signatures SET role = 'chair' WHERE id = %d`, sig2))
	wantProblem(t, f2.verify(), "minutes_signatures", fmt.Sprintf("id=%d", sig2))
}

// Making someone the chair in the meetings table, outside the audit log,
// lets them sign as the chair; the officers the log recorded show it, in
// the live database and in the meeting's bundle.
func TestCheck_FindsASignerTheLogNeverMadeAnOfficer(t *testing.T) {
	f := newFixture(t)
	m := f.heldMeeting("EGM")
	f.submitted(m, "The minutes.")
	if _, err := f.inst.DB.Exec(`UPDATE meetings SET chair_account_id = $1 WHERE id = $2`, f.board2.AccountID, m.ID); err != nil {
		t.Fatal(err)
	}
	for _, p := range []auth.Principal{f.board2, f.checker1, f.checker2} {
		if _, err := f.svc.Sign(f.ctx, p, minutes.Main(m.ID), nil); err != nil {
			t.Fatal(err)
		}
	}
	var doc, sig int64
	if err := f.inst.DB.Get(&doc, `SELECT id FROM minutes WHERE meeting_id = $1 AND status = 'signed'`, m.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.inst.DB.Get(&sig, `SELECT id FROM minutes_signatures WHERE minutes_id = $1 AND account_id = $2`, doc, f.board2.AccountID); err != nil {
		t.Fatal(err)
	}
	row := fmt.Sprintf("id=%d", sig)
	reason := problemAt(t, f.verify(), "minutes_signatures", row)
	want := fmt.Sprintf("account %d signed version 1 as the chair, but by the meeting's officers as the audit log recorded them", f.board2.AccountID)
	if !strings.Contains(reason, want) || !strings.Contains(reason, fmt.Sprintf("chair: account %d;", f.chair.AccountID)) ||
		!strings.Contains(reason, "it does not sign") {
		t.Fatalf("the problem: %s", reason)
	}

	if got := problemAt(t, f.verifyBundle(m.ID), "minutes_signatures", row); got != reason {
		t.Fatalf("the bundle's problem %q, the live one %q", got, reason)
	}
}

// verifyBundle downloads the meeting's bundle as the auditor and verifies
// it offline, in a database of its own, as `osk verify --bundle` does.
func (f *fixture) verifyBundle(meetingID int64) audit.Report {
	f.t.Helper()
	resp := f.Client(f.auditor).Get(fmt.Sprintf("/api/v1/audit/meetings/%d/bundle", meetingID))
	if resp.StatusCode != http.StatusOK {
		f.t.Fatalf("bundle: %d %s", resp.StatusCode, resp.Body)
	}
	b, err := auditor.ReadBundle(bytes.NewReader(resp.Body))
	if err != nil {
		f.t.Fatal(err)
	}
	scratch := dbtest.New(f.t)
	if err := auditor.LoadBundle(f.ctx, scratch.DB, b); err != nil {
		f.t.Fatal(err)
	}
	r, err := auditor.VerifyBundle(f.ctx, scratch, b, auditor.Options{}, server.Checks()...)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}
