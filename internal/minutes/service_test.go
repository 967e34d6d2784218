package minutes_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/minutes"
	"github.com/citizen-network/osk/internal/osktest"
)

func TestGet_SecretaryGetsTheDraftPrefilledFromTheRecord(t *testing.T) {
	f := newFixture(t)
	m := f.heldMeeting("Extraordinary general meeting on energy")
	got, err := f.svc.Get(f.ctx, f.secretary, minutes.Main(m.ID))
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 0 || got.Status != minutes.StatusDraft || len(got.Signers) != 3 {
		t.Fatalf("version %d, status %s, %d signers", got.Version, got.Status, len(got.Signers))
	}
	for _, want := range []string{
		"# Minutes: Extraordinary general meeting on energy",
		"- Chair: Chair Person", "- Secretary: Secretary Person", "- Minute checkers: First Checker, Second Checker",
		"## Attendance", "Members registered as present: 5. Members represented by proxy: 0.", "| Ordinary Member | in person |",
		"## 2. Solar panels", "The board proposes solar panels on the roof.", "## Signatures",
	} {
		if !strings.Contains(got.Body, want) {
			t.Errorf("the pre-filled draft lacks %q:\n%s", want, got.Body)
		}
	}
	if got.BodyHash != hex.EncodeToString(minutes.BodyHash(got.Body)) {
		t.Errorf("body_hash %s is not the SHA-256 of the body", got.BodyHash)
	}
	// Nobody else sees minutes nobody has begun.
	for _, p := range []auth.Principal{f.chair, f.board, f.auditor, f.member} {
		_, err := f.svc.Get(f.ctx, p, minutes.Main(m.ID))
		osktest.WantKind(t, err, errs.NotFound)
	}
	_, err = f.svc.Get(f.ctx, f.outsider, minutes.Main(m.ID))
	osktest.WantKind(t, err, errs.NotFound)
}

// A member who gave a proxy and then came themselves was not represented
// by proxy: the draft says so rather than counting them twice.
func TestGet_PrefilledProxiesCountOnlyThoseWhoDidNotCome(t *testing.T) {
	f := newFixture(t)
	away, awayMember := f.Member("Away Member")
	came, cameMember := f.Member("Came Anyway")
	m := f.inSession("Meeting with proxies")
	svc := f.inst.Server.Meetings
	holder, err := f.inst.Server.Members.IndividualOf(f.ctx, f.member.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	for _, giver := range []auth.Principal{away, came} {
		if _, err := svc.GrantProxy(f.ctx, giver, m.ID, meetings.ProxyInput{HolderMemberID: holder.ID}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := svc.Attend(f.ctx, came, m.ID, meetings.AttendInput{Mode: meetings.ModeInPerson}); err != nil {
		t.Fatal(err)
	}
	f.closeSession(m)
	got, err := f.svc.Get(f.ctx, f.secretary, minutes.Main(m.ID))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Members registered as present: 6. Members represented by proxy: 1.",
		"| " + awayMember.Name + " (member " + strconv.Itoa(*awayMember.MemberNo) + ") |",
		cameMember.Name + " (member " + strconv.Itoa(*cameMember.MemberNo) + ") gave a proxy but took part themselves",
	} {
		if !strings.Contains(got.Body, want) {
			t.Errorf("the pre-filled draft lacks %q:\n%s", want, got.Body)
		}
	}
	if strings.Contains(got.Body, "| "+cameMember.Name+" (member") {
		t.Errorf("the draft lists a member who came as represented by proxy:\n%s", got.Body)
	}
}

// A proxy counts only through a holder who is present, as the quorum
// counts it: one whose holder never came represented nobody.
func TestGet_PrefilledProxyWhoseHolderNeverCameRepresentsNobody(t *testing.T) {
	f := newFixture(t)
	away, awayMember := f.Member("Away Member")
	_, holder := f.Member("Absent Holder")
	m := f.inSession("Meeting with a proxy")
	if _, err := f.inst.Server.Meetings.GrantProxy(f.ctx, away, m.ID, meetings.ProxyInput{HolderMemberID: holder.ID}); err != nil {
		t.Fatal(err)
	}
	q, err := f.inst.Server.Meetings.QuorumAs(f.ctx, f.chair, m.ID)
	if err != nil || q.ByProxy != 0 {
		t.Fatalf("the quorum counts %d by proxy (%v)", q.ByProxy, err)
	}
	f.closeSession(m)
	got, err := f.svc.Get(f.ctx, f.secretary, minutes.Main(m.ID))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Members registered as present: 5. Members represented by proxy: 0.",
		fmt.Sprintf("%s (member %d) gave a proxy to %s (member %d), who did not take part, so the proxy was not used.",
			awayMember.Name, *awayMember.MemberNo, holder.Name, *holder.MemberNo),
	} {
		if !strings.Contains(got.Body, want) {
			t.Errorf("the pre-filled draft lacks %q:\n%s", want, got.Body)
		}
	}
	if strings.Contains(got.Body, "### Proxies") {
		t.Errorf("the draft lists the proxy as used:\n%s", got.Body)
	}
}

func TestGet_NoMinutesBeforeTheSession(t *testing.T) {
	f := newFixture(t)
	m := f.heldMeeting("Held")
	other, err := f.inst.Server.Meetings.Create(f.ctx, f.board, draftOf("Later", f.inst.Clock.Now().Add(20*24*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	secretary := f.secretary.AccountID
	if _, err := f.inst.Server.Meetings.SetOfficers(f.ctx, f.board, other.ID, officersOf(&secretary)); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Save(f.ctx, f.secretary, minutes.Main(other.ID), "Too early.")
	osktest.WantKind(t, err, errs.NotFound)
	if _, err := f.inst.Server.Meetings.Convene(f.ctx, f.board, other.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Save(f.ctx, f.secretary, minutes.Main(other.ID), "Too early.")
	osktest.WantKind(t, err, errs.Conflict)
	if _, err := f.svc.Save(f.ctx, f.secretary, minutes.Main(m.ID), "In time."); err != nil {
		t.Fatal(err)
	}
}

func TestSave_EverySaveIsANewVersion(t *testing.T) {
	f := newFixture(t)
	m := f.heldMeeting("EGM")
	doc := minutes.Main(m.ID)
	first, err := f.svc.Save(f.ctx, f.secretary, doc, "# Minutes\r\n\r\nThe meeting opened.\r\n\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	if first.Version != 1 || first.Body != "# Minutes\n\nThe meeting opened.\n\n\n" {
		t.Fatalf("version %d, body %q", first.Version, first.Body)
	}
	second, err := f.svc.Save(f.ctx, f.secretary, doc, "# Minutes\n\nThe meeting opened at 18:02.\n")
	if err != nil {
		t.Fatal(err)
	}
	if second.Version != 2 {
		t.Fatalf("second save: version %d", second.Version)
	}
	versions, err := f.svc.Versions(f.ctx, f.chair, doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(versions) != 2 || versions[0].Version != 1 || versions[1].Version != 2 {
		t.Fatalf("versions %+v", versions)
	}
	v1, err := f.svc.Version(f.ctx, f.board, doc, 1)
	if err != nil {
		t.Fatal(err)
	}
	if v1.Body != first.Body || v1.BodyHash != first.BodyHash {
		t.Fatalf("version 1 now %q %s", v1.Body, v1.BodyHash)
	}
	lines := minutes.Diff(v1.Body, second.Body)
	var removed, added []string
	for _, l := range lines {
		switch l.Kind {
		case minutes.LineRemoved:
			removed = append(removed, l.Text)
		case minutes.LineAdded:
			added = append(added, l.Text)
		}
	}
	if strings.Join(removed, "|") != "The meeting opened.||" || strings.Join(added, "|") != "The meeting opened at 18:02." {
		t.Fatalf("diff removed %q, added %q", removed, added)
	}
	_, err = f.svc.Versions(f.ctx, f.member, doc)
	osktest.WantKind(t, err, errs.NotFound)
	for body, field := range map[string]string{"": "body", "  \n\n ": "body", "a\x00b": "body", strings.Repeat("x", minutes.MaxBody+1): "body"} {
		_, err := f.svc.Save(f.ctx, f.secretary, doc, body)
		osktest.WantFields(t, err, field)
	}
}

// The same text saved again is a new version too (API.md: each save is a
// new version); saved twice at once, it is two.
func TestSave_TheSameTextAgainIsANewVersion(t *testing.T) {
	f := newFixture(t)
	m := f.heldMeeting("EGM")
	doc := minutes.Main(m.ID)
	const text = "# Minutes\n\nThe meeting opened.\n"
	saves := make(chan int, 2)
	for range 2 {
		go func() {
			got, err := f.svc.Save(f.ctx, f.secretary, doc, text)
			if err != nil {
				t.Error(err)
			}
			saves <- got.Version
		}()
	}
	if a, b := <-saves, <-saves; a+b != 3 || f.savedEvents() != 2 {
		t.Fatalf("versions %d and %d, %d minutes.saved events", a, b, f.savedEvents())
	}
}

// A text sent back is not submitted again by saving it again unchanged:
// the signers refused that text, whatever its version's number.
func TestSubmit_ASentBackTextSavedAgainIsRefused(t *testing.T) {
	f := newFixture(t)
	m := f.heldMeeting("EGM")
	doc := minutes.Main(m.ID)
	const text = "# Minutes\n\nThe meeting opened.\n"
	if _, err := f.svc.Save(f.ctx, f.secretary, doc, text); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Submit(f.ctx, f.secretary, doc); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Return(f.ctx, f.chair, doc, nil, "Say when it opened."); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Save(f.ctx, f.secretary, doc, text); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.Submit(f.ctx, f.secretary, doc)
	osktest.WantKind(t, err, errs.Conflict)
	if !strings.Contains(errs.Message(err), "version 1, which was sent back") {
		t.Errorf("the refusal: %v", err)
	}
	if _, err := f.svc.Save(f.ctx, f.secretary, doc, "# Minutes\n\nThe meeting opened at 18:02.\n"); err != nil {
		t.Fatal(err)
	}
	if got, err := f.svc.Submit(f.ctx, f.secretary, doc); err != nil || got.Status != minutes.StatusInReview {
		t.Fatalf("a corrected text: %v %v", got.Status, err)
	}
}

// savedEvents counts the audit events of saved versions of minutes.
func (f *fixture) savedEvents() int {
	f.t.Helper()
	var n int
	if err := f.inst.DB.Get(&n, `SELECT count(*) FROM audit_events WHERE action = 'minutes.saved'`); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func TestSave_OnlyTheSecretaryWrites(t *testing.T) {
	f := newFixture(t)
	m := f.heldMeeting("EGM")
	doc := minutes.Main(m.ID)
	for _, p := range []auth.Principal{f.chair, f.checker1, f.board, f.auditor} {
		_, err := f.svc.Save(f.ctx, p, doc, "Not theirs to write.")
		osktest.WantKind(t, err, errs.Forbidden)
	}
	// Members do not see a draft, and outsiders not even the meeting.
	for _, p := range []auth.Principal{f.member, f.outsider, f.admin} {
		_, err := f.svc.Save(f.ctx, p, doc, "Not theirs to write.")
		osktest.WantKind(t, err, errs.NotFound)
	}
	_, err := f.svc.Save(f.ctx, auth.Principal{}, doc, "Nobody.")
	osktest.WantKind(t, err, errs.Unauthenticated)
}

func TestSign_TheWrongVersionIsAConflict(t *testing.T) {
	f := newFixture(t)
	m := f.heldMeeting("EGM")
	doc := minutes.Main(m.ID)
	if _, err := f.svc.Save(f.ctx, f.secretary, doc, "Version one."); err != nil {
		t.Fatal(err)
	}
	got := f.submitted(m, "Version two.")
	if got.Version != 2 || got.Status != minutes.StatusInReview || *got.ReviewVersion != 2 {
		t.Fatalf("submitted: version %d, status %s", got.Version, got.Status)
	}
	_, err := f.svc.Sign(f.ctx, f.chair, doc, ptr(1))
	osktest.WantKind(t, err, errs.Conflict)
	_, err = f.svc.Return(f.ctx, f.checker1, doc, ptr(3), "Wrong version.")
	osktest.WantKind(t, err, errs.Conflict)
	got, err = f.svc.Sign(f.ctx, f.chair, doc, ptr(2))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Signatures) != 1 || got.Signatures[0].AccountID != f.chair.AccountID || got.Signatures[0].Role != minutes.RoleChair {
		t.Fatalf("signatures %+v", got.Signatures)
	}
	_, err = f.svc.Sign(f.ctx, f.chair, doc, ptr(2))
	osktest.WantKind(t, err, errs.Conflict)
}

func TestSign_OnlyTheChairAndTheCheckersSign(t *testing.T) {
	f := newFixture(t)
	m := f.heldMeeting("EGM")
	doc := minutes.Main(m.ID)
	f.submitted(m, "The minutes.")
	// The board, auditors and the secretary see the minutes but do not
	// sign them.
	for _, p := range []auth.Principal{f.board, f.auditor, f.secretary} {
		_, err := f.svc.Sign(f.ctx, p, doc, nil)
		osktest.WantKind(t, err, errs.Forbidden)
		_, err = f.svc.Return(f.ctx, p, doc, nil, "No.")
		osktest.WantKind(t, err, errs.Forbidden)
	}
	for _, p := range []auth.Principal{f.member, f.outsider} {
		_, err := f.svc.Sign(f.ctx, p, doc, nil)
		osktest.WantKind(t, err, errs.NotFound)
	}
	got, err := f.svc.Get(f.ctx, f.board, doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Signatures) != 0 {
		t.Fatalf("signatures %+v", got.Signatures)
	}
}

func TestSign_SealsOnlyWhenAllHaveSigned(t *testing.T) {
	f := newFixture(t)
	m := f.heldMeeting("EGM")
	doc := minutes.Main(m.ID)
	f.submitted(m, "# The minutes\n\nThe meeting decided on solar panels.")
	if mails := f.mailTo(f.checker2.Email); len(mails) != 1 || mails[0].Subject != "To sign: the minutes of EGM" ||
		!strings.Contains(mails[0].Body, fmt.Sprintf("/meetings/%d/minutes", m.ID)) {
		t.Fatalf("mail to the second checker: %+v", mails)
	}
	for i, p := range []auth.Principal{f.chair, f.checker1} {
		got, err := f.svc.Sign(f.ctx, p, doc, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.Sealed() || got.SealedHash != nil || len(got.Signatures) != i+1 {
			t.Fatalf("after %d signatures: %s, sealed hash %v", i+1, got.Status, got.SealedHash)
		}
		_, err = f.svc.Get(f.ctx, f.member, doc)
		osktest.WantKind(t, err, errs.NotFound)
	}
	got, err := f.svc.Sign(f.ctx, f.checker2, doc, ptr(1))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Sealed() || got.SealedHash == nil || got.ChainHead == nil || len(got.Signatures) != 3 {
		t.Fatalf("after every signature: %+v", got)
	}

	// The seal is the SHA-256 of the canonical JSON of the sealed record,
	// which anyone holding the printed minutes can rebuild.
	sigs := make([]map[string]any, len(got.Signatures))
	for i, s := range got.Signatures {
		sigs[i] = map[string]any{"account_id": s.AccountID, "role": s.Role, "signed_at": audit.FormatTime(s.SignedAt)}
	}
	record, err := audit.Marshal(map[string]any{"meeting_id": m.ID, "addendum": 0, "version": 1, "body_sha256": got.BodyHash, "signatures": sigs})
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(record); hex.EncodeToString(sum[:]) != *got.SealedHash {
		t.Fatalf("the seal %s is not the hash of %s", *got.SealedHash, record)
	}
	// The chain head printed is the event that sealed them, carrying the
	// seal.
	events, err := audit.List(f.ctx, f.inst.DB, audit.Filter{AfterSeq: got.ChainHead.Seq - 1, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Action != "minutes.sealed" || events[0].Hash.String() != got.ChainHead.Hash ||
		!strings.Contains(string(events[0].Payload), *got.SealedHash) {
		t.Fatalf("the chain head %+v is not the seal's event: %+v", got.ChainHead, events)
	}
	// Members read them now, and were told.
	read, err := f.svc.Get(f.ctx, f.member, doc)
	if err != nil {
		t.Fatal(err)
	}
	if read.Body != got.Body || len(read.Returns) != 0 {
		t.Fatalf("a member reads %+v", read)
	}
	if mails := f.mailTo(f.member.Email); len(mails) != 1 || !strings.HasPrefix(mails[0].Subject, "Published: ") {
		t.Fatalf("mail to a member: %+v", mails)
	}
	if r := f.verify(); !r.OK {
		t.Fatalf("verify: %+v", r.Problems)
	}
}

func TestSealed_NothingChangesAnyMore(t *testing.T) {
	f := newFixture(t)
	m, sealed := f.sealed("EGM", "The sealed text.")
	doc := minutes.Main(m.ID)
	_, err := f.svc.Save(f.ctx, f.secretary, doc, "A new text.")
	osktest.WantKind(t, err, errs.Conflict)
	_, err = f.svc.Submit(f.ctx, f.secretary, doc)
	osktest.WantKind(t, err, errs.Conflict)
	_, err = f.svc.Sign(f.ctx, f.chair, doc, nil)
	osktest.WantKind(t, err, errs.Conflict)
	_, err = f.svc.Return(f.ctx, f.checker1, doc, nil, "Too late.")
	osktest.WantKind(t, err, errs.Conflict)

	// The database refuses it too, whoever asks.
	var id int64
	if err := f.inst.DB.Get(&id, `SELECT id FROM minutes WHERE meeting_id = $1 AND addendum = 0`, m.ID); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`UPDATE minutes SET title = 'Changed' WHERE id = $1`,
		`UPDATE minutes SET status = 'draft', review_version = NULL, submitted_at = NULL, sealed_at = NULL, sealed_hash = NULL, chain_head_seq = NULL, chain_head_hash = NULL WHERE id = $1`,
		`DELETE FROM minutes WHERE id = $1`,
		`UPDATE minutes_versions SET body = 'Changed.' WHERE minutes_id = $1`,
		`DELETE FROM minutes_versions WHERE minutes_id = $1`,
		`INSERT INTO minutes_versions (minutes_id, version, body, body_hash, created_at) VALUES ($1, 2, 'More.', sha256('More.'), now())`,
		`UPDATE minutes_signatures SET signed_at = signed_at + interval '1 day' WHERE minutes_id = $1`,
		`DELETE FROM minutes_signatures WHERE minutes_id = $1`,
		`INSERT INTO minutes_signatures (minutes_id, version, body_hash, account_id, role, signed_at) SELECT minutes_id, version, body_hash, account_id, role, now() FROM minutes_signatures WHERE minutes_id = $1 LIMIT 1`,
	} {
		if _, err := f.inst.DB.Exec(stmt, id); err == nil {
			t.Errorf("the database accepted %s", stmt)
		}
	}
	for _, table := range []string{"minutes", "minutes_versions", "minutes_signatures", "minutes_returns"} {
		if _, err := f.inst.DB.Exec(`TRUNCATE ` + table + ` CASCADE`); err == nil {
			t.Errorf("the database truncated %s", table)
		}
	}
	again, err := f.svc.Get(f.ctx, f.member, doc)
	if err != nil {
		t.Fatal(err)
	}
	if again.Body != sealed.Body || *again.SealedHash != *sealed.SealedHash || len(again.Signatures) != 3 {
		t.Fatalf("the sealed minutes changed: %+v", again)
	}
}

func TestReturn_SendsTheVersionBackWithAComment(t *testing.T) {
	f := newFixture(t)
	m := f.heldMeeting("EGM")
	doc := minutes.Main(m.ID)
	f.submitted(m, "The meeting opened at 18:00.")
	if _, err := f.svc.Sign(f.ctx, f.chair, doc, nil); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.Return(f.ctx, f.checker1, doc, ptr(1), "  ")
	osktest.WantFields(t, err, "comment")
	got, err := f.svc.Return(f.ctx, f.checker1, doc, ptr(1), "It opened at 18:05, not 18:00.")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != minutes.StatusDraft || got.ReviewVersion != nil || len(got.Returns) != 1 || got.Returns[0].Comment != "It opened at 18:05, not 18:00." {
		t.Fatalf("sent back: %+v", got)
	}
	if mails := f.mailTo(f.secretary.Email); len(mails) != 1 || !strings.Contains(mails[0].Body, "It opened at 18:05") {
		t.Fatalf("mail to the secretary: %+v", mails)
	}
	_, err = f.svc.Sign(f.ctx, f.checker2, doc, nil)
	osktest.WantKind(t, err, errs.Conflict)
	// The version sent back cannot go again as it is.
	_, err = f.svc.Submit(f.ctx, f.secretary, doc)
	osktest.WantKind(t, err, errs.Conflict)
	got = f.submitted(m, "The meeting opened at 18:05.")
	if got.Version != 2 || len(got.Signatures) != 0 {
		t.Fatalf("resubmitted: version %d, signatures %+v", got.Version, got.Signatures)
	}
	for _, s := range got.Signers {
		if s.Signed {
			t.Fatalf("%s counts as signed on the new version", s.Name)
		}
	}
}

func TestSubmit_OnceTheSessionIsClosed(t *testing.T) {
	f := newFixture(t)
	start := f.inst.Clock.Now().Add(10 * 24 * time.Hour).Truncate(time.Minute)
	m, err := f.inst.Server.Meetings.Create(f.ctx, f.board, draftOf("EGM", start))
	if err != nil {
		t.Fatal(err)
	}
	secretary := f.secretary.AccountID
	o := officersOf(&secretary)
	o.ChairAccountID = &f.chair.AccountID
	o.CheckerAccountIDs = []int64{f.checker1.AccountID}
	if _, err := f.inst.Server.Meetings.SetOfficers(f.ctx, f.board, m.ID, o); err != nil {
		t.Fatal(err)
	}
	if _, err := f.inst.Server.Meetings.Convene(f.ctx, f.board, m.ID); err != nil {
		t.Fatal(err)
	}
	f.inst.Clock.Set(start.Add(-10 * time.Minute))
	if _, err := f.inst.Server.Meetings.Open(f.ctx, f.chair, m.ID); err != nil {
		t.Fatal(err)
	}
	doc := minutes.Main(m.ID)
	_, err = f.svc.Submit(f.ctx, f.secretary, doc)
	osktest.WantKind(t, err, errs.Conflict)
	if _, err := f.svc.Save(f.ctx, f.secretary, doc, "Written during the session."); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Submit(f.ctx, f.secretary, doc)
	osktest.WantKind(t, err, errs.Conflict)
	if _, err := f.inst.Server.Meetings.Close(f.ctx, f.chair, m.ID); err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.Submit(f.ctx, f.secretary, doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Signers) != 2 {
		t.Fatalf("signers %+v", got.Signers)
	}
	if _, err = f.svc.Sign(f.ctx, f.chair, doc, nil); err != nil {
		t.Fatal(err)
	}
	if got, err = f.svc.Sign(f.ctx, f.checker1, doc, nil); err != nil || !got.Sealed() {
		t.Fatalf("signed by the chair and the checker: %v, %s", err, got.Status)
	}
}

func TestAddendum_CorrectsSealedMinutesAndIsSealedOnItsOwn(t *testing.T) {
	f := newFixture(t)
	m := f.heldMeeting("EGM")
	_, err := f.svc.StartAddendum(f.ctx, f.secretary, m.ID, "Too early.")
	osktest.WantKind(t, err, errs.Conflict)
	f.submitted(m, "The minutes.")
	for _, p := range []auth.Principal{f.chair, f.checker1, f.checker2} {
		if _, err := f.svc.Sign(f.ctx, p, minutes.Main(m.ID), nil); err != nil {
			t.Fatal(err)
		}
	}
	_, err = f.svc.StartAddendum(f.ctx, f.chair, m.ID, "Not the chair's to write.")
	osktest.WantKind(t, err, errs.Forbidden)
	add, err := f.svc.StartAddendum(f.ctx, f.secretary, m.ID, "Item 2: the vote was 12 for, not 21.")
	if err != nil {
		t.Fatal(err)
	}
	if add.Addendum != 1 || add.Version != 1 || add.Status != minutes.StatusDraft {
		t.Fatalf("addendum %+v", add)
	}
	_, err = f.svc.StartAddendum(f.ctx, f.secretary, m.ID, "A second one at once.")
	osktest.WantKind(t, err, errs.Conflict)
	doc := minutes.Doc{MeetingID: m.ID, Addendum: 1}
	if _, err := f.svc.Save(f.ctx, f.secretary, doc, "Item 2: the vote was 12 for and 3 against."); err != nil {
		t.Fatal(err)
	}
	// Members see the sealed minutes but not the draft addendum.
	main, err := f.svc.Get(f.ctx, f.member, minutes.Main(m.ID))
	if err != nil {
		t.Fatal(err)
	}
	if len(main.Addenda) != 0 {
		t.Fatalf("a member sees addenda %+v", main.Addenda)
	}
	_, err = f.svc.Get(f.ctx, f.member, doc)
	osktest.WantKind(t, err, errs.NotFound)
	if _, err := f.svc.Submit(f.ctx, f.secretary, doc); err != nil {
		t.Fatal(err)
	}
	var got minutes.Minutes
	for _, p := range []auth.Principal{f.checker2, f.checker1, f.chair} {
		if got, err = f.svc.Sign(f.ctx, p, doc, ptr(2)); err != nil {
			t.Fatal(err)
		}
	}
	if !got.Sealed() || got.Addendum != 1 {
		t.Fatalf("the addendum: %+v", got)
	}
	main, err = f.svc.Get(f.ctx, f.member, minutes.Main(m.ID))
	if err != nil {
		t.Fatal(err)
	}
	if len(main.Addenda) != 1 || main.Addenda[0].SealedHash == nil {
		t.Fatalf("the minutes' addenda %+v", main.Addenda)
	}
	if r := f.verify(); !r.OK {
		t.Fatalf("verify: %+v", r.Problems)
	}
}

func TestDeadlines_WarnTheBoardWithTheClockMoved(t *testing.T) {
	f := newFixture(t)
	m := f.heldMeeting("EGM")
	closed := *m.ClosedAt
	deadlineOf := func() minutes.Deadline {
		t.Helper()
		list, err := f.svc.Deadlines(f.ctx, f.board)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range list {
			if d.MeetingID == m.ID {
				return d
			}
		}
		t.Fatalf("meeting %d is not on the dashboard: %+v", m.ID, list)
		return minutes.Deadline{}
	}
	d := deadlineOf()
	helsinki, _ := time.LoadLocation("Europe/Helsinki")
	if d.State != minutes.DeadlineInTime || d.Status != minutes.StatusNotStarted || !d.Deadline.Equal(closed.In(helsinki).AddDate(0, 0, 14)) ||
		len(d.Unsigned) != 3 || d.Secretary != "Secretary Person" {
		t.Fatalf("a day after: %+v", d)
	}
	f.inst.Clock.Set(closed.Add(12 * 24 * time.Hour))
	if d = deadlineOf(); d.State != minutes.DeadlineDueSoon {
		t.Fatalf("twelve days after: %s", d.State)
	}
	f.submitted(m, "The minutes.")
	if _, err := f.svc.Sign(f.ctx, f.chair, minutes.Main(m.ID), nil); err != nil {
		t.Fatal(err)
	}
	f.inst.Clock.Set(closed.Add(15 * 24 * time.Hour))
	d = deadlineOf()
	if d.State != minutes.DeadlinePassed || d.Status != minutes.StatusInReview || len(d.Unsigned) != 2 ||
		d.Unsigned[0].Name != "First Checker" || d.Unsigned[1].Name != "Second Checker" {
		t.Fatalf("fifteen days after: %+v", d)
	}
	page := f.Client(f.board).Get("/minutes/overdue")
	body := string(page.Body)
	if page.StatusCode != 200 || !strings.Contains(body, "Past the deadline") || !strings.Contains(body, "First Checker (Minute checker)") ||
		strings.Contains(body, "Chair Person (Chair)") {
		t.Fatalf("the dashboard: %d\n%s", page.StatusCode, body)
	}
	if archive := string(f.Client(f.board).Get("/minutes").Body); !strings.Contains(archive, "past the deadline") {
		t.Fatalf("the archive does not warn the board:\n%s", archive)
	}
	_, err := f.svc.Deadlines(f.ctx, f.member)
	osktest.WantKind(t, err, errs.Forbidden)
	// A longer deadline in the rules moves it.
	r, err := f.inst.Server.Rules.Current(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	r.MinutesDeadlineDays = 30
	if _, err := f.inst.Server.Rules.Update(f.ctx, f.admin, r); err != nil {
		t.Fatal(err)
	}
	if d = deadlineOf(); d.State != minutes.DeadlineInTime {
		t.Fatalf("with 30 days: %s", d.State)
	}
	for _, p := range []auth.Principal{f.checker1, f.checker2} {
		if _, err := f.svc.Sign(f.ctx, p, minutes.Main(m.ID), nil); err != nil {
			t.Fatal(err)
		}
	}
	list, err := f.svc.Deadlines(f.ctx, f.board)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 0 {
		t.Fatalf("sealed minutes stay on the dashboard: %+v", list)
	}
}

// An officer made an auditor since keeps no power over the minutes: an
// auditor reads everything and changes nothing.
func TestSave_NotByAnOfficerMadeAnAuditorSince(t *testing.T) {
	f := newFixture(t)
	m := f.heldMeeting("Meeting whose secretary became an auditor")
	if _, err := f.svc.Save(f.ctx, f.secretary, minutes.Main(m.ID), "# Minutes\n\nDraft."); err != nil {
		t.Fatal(err)
	}
	register := f.inst.Server.Members
	for _, officer := range []auth.Principal{f.secretary, f.checker1} {
		own, err := register.IndividualOf(f.ctx, officer.AccountID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := register.Resign(f.ctx, officer, own.ID, members.Resignation{}); err != nil {
			t.Fatal(err)
		}
		if err := f.inst.Server.Auth.Grant(f.ctx, auth.Operator, officer.AccountID, auth.RoleAuditor); err != nil {
			t.Fatal(err)
		}
	}
	secretary, _ := f.inst.Server.Auth.Principal(f.ctx, f.secretary.AccountID)
	checker, _ := f.inst.Server.Auth.Principal(f.ctx, f.checker1.AccountID)
	_, err := f.svc.Save(f.ctx, secretary, minutes.Main(m.ID), "# Minutes\n\nChanged by an auditor.")
	osktest.WantKind(t, err, errs.Forbidden)
	_, err = f.svc.Submit(f.ctx, secretary, minutes.Main(m.ID))
	osktest.WantKind(t, err, errs.Forbidden)
	_, err = f.svc.Sign(f.ctx, checker, minutes.Main(m.ID), nil)
	osktest.WantKind(t, err, errs.Forbidden)
	got, err := f.svc.Get(f.ctx, f.chair, minutes.Main(m.ID))
	if err == nil && got.Version != 1 {
		t.Fatalf("the minutes changed: version %d", got.Version)
	}
}

// A session the chair never closed does not hide the minutes' deadline:
// the meeting was held until its notified end, which the deadline counts
// from, and the dashboard says the session is still open.
func TestDeadlines_CountFromTheEndOfASessionNeverClosed(t *testing.T) {
	f := newFixture(t)
	m := f.inSession("Meeting left open")
	list, err := f.svc.Deadlines(f.ctx, f.board)
	if err != nil || len(list) != 0 {
		t.Fatalf("before its end: %v %+v", err, list)
	}
	f.inst.Clock.Set(m.EndsAt.Add(15 * 24 * time.Hour))
	list, err = f.svc.Deadlines(f.ctx, f.board)
	if err != nil {
		t.Fatal(err)
	}
	helsinki, _ := time.LoadLocation("Europe/Helsinki")
	if len(list) != 1 || list[0].ClosedAt != nil || !list[0].HeldUntil.Equal(m.EndsAt) ||
		!list[0].Deadline.Equal(m.EndsAt.In(helsinki).AddDate(0, 0, 14)) || list[0].State != minutes.DeadlinePassed {
		t.Fatalf("after its end: %+v", list)
	}
	body := string(f.Client(f.board).Get("/minutes/overdue").Body)
	if !strings.Contains(body, "Still open, though the meeting was to end at") {
		t.Fatalf("the dashboard:\n%s", body)
	}
}
