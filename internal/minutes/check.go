package minutes

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/audit"
)

// Check is the minutes' part of `osk verify` (internal/auditor). For every
// document, sealed or still being written or signed, it checks every
// version saved: its text against the SHA-256 stored with it, and both,
// with who saved it, against the audit event of the save; it compares
// every signature with the version it signs, with the audit event that
// recorded it, and with the meeting's officers as the audit log recorded
// them before it. For every sealed document, and every document the audit
// log records as sealed, it rebuilds the sealed record from the sealed
// version and its signatures and compares its hash with the one stored;
// it checks that the version sealed is the last one saved, that the seal
// is dated by its last signature, that the audit event printed on the
// document as the chain head is the one that sealed it, with that hash,
// and that the archive's search text is the plain text of the sealed
// version. Each problem names the row at fault.
//
// The title of sealed minutes is the meeting's title when they were
// sealed, which the event that sealed them records; it is checked against
// that event, except for minutes sealed before the event recorded it.
//
// When the report covers one meeting (an export bundle), only that
// meeting's documents are expected.
func Check(ctx context.Context, q sqlx.QueryerContext, r *audit.Report) error {
	sealed, err := sealEvents(ctx, q)
	if err != nil {
		return err
	}
	var docs []checkedDoc
	err = sqlx.SelectContext(ctx, q, &docs, `SELECT `+docColumns+`, search_text FROM minutes ORDER BY id`)
	if err != nil {
		return fmt.Errorf("minutes: check: %w", err)
	}
	r.Count("minutes", len(docs))
	stored := map[int64]bool{}
	for _, d := range docs {
		stored[d.ID] = true
	}
	missing := keys(sealed)
	slices.Sort(missing)
	for _, id := range missing {
		e := sealed[id]
		var p sealPayload
		if stored[id] || (r.MeetingID != 0 && (json.Unmarshal(e.Payload, &p) != nil || p.MeetingID != r.MeetingID)) {
			continue
		}
		r.Add(audit.Problem{Seq: e.Seq, Table: "minutes", Row: "id=" + strconv.FormatInt(id, 10),
			Reason: fmt.Sprintf("minutes %d: the audit log records their seal at seq %d, but they are missing", id, e.Seq)})
	}
	render := NewRenderer()
	officers := map[int64][]officersSet{}
	for _, d := range docs {
		d.normalise()
		set, ok := officers[d.MeetingID]
		if !ok {
			if set, err = officersOf(ctx, q, d.MeetingID); err != nil {
				return err
			}
			officers[d.MeetingID] = set
		}
		if err := checkDoc(ctx, q, d, sealed[d.ID], set, render, r); err != nil {
			return err
		}
	}
	return nil
}

// checkedDoc is a document as the check reads it: with the archive's
// search text, which nothing else reads back.
type checkedDoc struct {
	docRow
	SearchText string `db:"search_text"`
}

// sealEvents returns the audit events that sealed a document, by the
// document's id.
func sealEvents(ctx context.Context, q sqlx.QueryerContext) (map[int64]audit.Entry, error) {
	out := map[int64]audit.Entry{}
	err := audit.Each(ctx, q, audit.Filter{Action: "minutes.sealed"}, func(e audit.Entry) {
		if id, ok := strings.CutPrefix(e.Subject, "minutes:"); ok {
			if n, err := strconv.ParseInt(id, 10, 64); err == nil {
				out[n] = e
			}
		}
	})
	return out, err
}

// sealPayload is what the event of a seal states.
type sealPayload struct {
	MeetingID  int64  `json:"meeting_id"`
	Addendum   int    `json:"addendum"`
	Version    int    `json:"version"`
	BodyHash   string `json:"body_hash"`
	SealedHash string `json:"sealed_hash"`
	// Title is nil in the events of minutes sealed before it was recorded.
	Title *string `json:"title"`
}

// signPayload is what the event of a signature states.
type signPayload struct {
	Version   int    `json:"version"`
	BodyHash  string `json:"body_hash"`
	AccountID int64  `json:"account_id"`
	Role      string `json:"role"`
	SignedAt  string `json:"signed_at"`
}

// savePayload is what the event of a save states.
type savePayload struct {
	Version  int    `json:"version"`
	BodyHash string `json:"body_hash"`
}

type problemFunc func(table, row, format string, args ...any)

func checkDoc(ctx context.Context, q sqlx.QueryerContext, d checkedDoc, event audit.Entry, officers []officersSet, render *Renderer, r *audit.Report) error {
	var seq int64
	if d.ChainHeadSeq != nil {
		seq = *d.ChainHeadSeq
	} else {
		seq = event.Seq
	}
	name := fmt.Sprintf("minutes %d (meeting %d, %s): ", d.ID, d.MeetingID, d.doc().lowerName())
	problem := func(table, row, format string, args ...any) {
		r.Add(audit.Problem{Seq: seq, Table: table, Row: row, Reason: name + fmt.Sprintf(format, args...)})
	}
	versions, err := checkVersions(ctx, q, d.docRow, problem)
	if err != nil {
		return err
	}
	sigs, err := allSignaturesOf(ctx, q, d.ID)
	if err != nil {
		return err
	}
	if err := checkSignatures(ctx, q, d.docRow, versions, sigs, officers, problem); err != nil {
		return err
	}
	// A document that shows no sign of a seal, and that no event records
	// as sealed, is still being written or signed: its versions and
	// signatures are all there is to check.
	if event.Seq == 0 && d.Status != StatusSigned && d.SealedAt == nil && d.SealedHash == nil && d.ChainHeadSeq == nil {
		return nil
	}
	return checkSeal(d, event, versions, sigs, render, problem)
}

// checkSeal checks a document that is sealed, or that the audit log
// records as sealed (event), against its versions and signatures.
func checkSeal(d checkedDoc, event audit.Entry, versions []versionRow, all []signatureRow, render *Renderer, problem problemFunc) error {
	docRowKey := "id=" + strconv.FormatInt(d.ID, 10)
	var recorded sealPayload
	if event.Seq != 0 {
		if err := json.Unmarshal(event.Payload, &recorded); err != nil {
			problem("audit_events", fmt.Sprintf("seq=%d", event.Seq), "the event that sealed them cannot be read: %v", err)
		}
	}
	if d.Status != StatusSigned || d.SealedHash == nil || d.ReviewVersion == nil {
		recordedAt := ""
		if event.Seq != 0 {
			recordedAt = fmt.Sprintf(", although the audit log records their seal at seq %d", event.Seq)
		}
		problem("minutes", docRowKey, "they are stored as %q without a whole seal%s", d.Status, recordedAt)
		return nil
	}
	version := *d.ReviewVersion
	if event.Seq == 0 {
		problem("minutes", docRowKey, "no audit event records their seal")
	} else {
		if d.ChainHeadSeq == nil || *d.ChainHeadSeq != event.Seq || !bytes.Equal(d.ChainHeadHash, event.Hash) {
			problem("minutes", docRowKey, "the chain head printed on them is not the audit event that sealed them (seq %d, hash %s)", event.Seq, event.Hash)
		}
		if recorded.SealedHash != hex.EncodeToString(d.SealedHash) || recorded.Version != version ||
			recorded.MeetingID != d.MeetingID || recorded.Addendum != d.Addendum {
			problem("minutes", docRowKey, "the seal stored (meeting %d, addendum %d, version %d, sealed_hash %x) is not the one the audit log recorded at seq %d (meeting %d, addendum %d, version %d, sealed_hash %s)",
				d.MeetingID, d.Addendum, version, d.SealedHash, event.Seq, recorded.MeetingID, recorded.Addendum, recorded.Version, recorded.SealedHash)
		}
		if recorded.Title != nil && *recorded.Title != d.Title {
			problem("minutes", docRowKey, "their title %q is not the one the audit log recorded at their seal, seq %d: %q", d.Title, event.Seq, *recorded.Title)
		}
	}
	latest := 0
	if n := len(versions); n > 0 {
		latest = versions[n-1].Version
	}
	if d.Version != version || latest != version {
		problem("minutes", docRowKey, "version %d was sealed, but the document records version %d as its latest and the last version stored is %d",
			version, d.Version, latest)
	}
	i := slices.IndexFunc(versions, func(v versionRow) bool { return v.Version == version })
	if i < 0 {
		problem("minutes_versions", fmt.Sprintf("minutes_id=%d,version=%d", d.ID, version), "the sealed version %d is missing", version)
		return nil
	}
	ver := versions[i]
	if event.Seq != 0 && recorded.BodyHash != hex.EncodeToString(ver.BodyHash) {
		problem("minutes", docRowKey, "the sealed version %d has SHA-256 %x; the audit log recorded the seal of %s at seq %d",
			version, ver.BodyHash, recorded.BodyHash, event.Seq)
	}
	var sigs []signatureRow
	for _, sg := range all {
		if sg.Version == version {
			sigs = append(sigs, sg)
		}
	}
	sum, err := sealedHash(d.doc(), version, ver.BodyHash, sigs)
	if err != nil {
		return err
	}
	if !bytes.Equal(sum, d.SealedHash) {
		problem("minutes", docRowKey, "the sealed record rebuilt from version %d and its %d signatures has hash %x, not the sealed_hash stored %x",
			version, len(sigs), sum, d.SealedHash)
	}
	// The seal is made by the last signature, and dated by it.
	if n := len(sigs); d.SealedAt == nil || n == 0 || !d.SealedAt.Equal(sigs[n-1].SignedAt) {
		last := "no signature"
		if n > 0 {
			last = audit.FormatTime(sigs[n-1].SignedAt)
		}
		problem("minutes", docRowKey, "they are stored as sealed at %s, but the last signature on version %d is of %s", timeOf(d.docRow), version, last)
	}
	// The archive searches and quotes the search text, which no hash
	// covers: it must say what the sealed text says. Documents sealed
	// before PlainText resolved escapes and references keep the text
	// written then, and nothing records which of the two forms a document
	// was given, so either is accepted: both are made from the sealed text
	// alone, and neither lets a search show words it does not hold. A text
	// already found changed is not compared again: the text is the problem.
	if bytes.Equal(BodyHash(ver.Body), ver.BodyHash) {
		plain, typed := render.PlainText(ver.Body), render.escapedPlainText(ver.Body)
		if d.SearchText != plain && d.SearchText != typed {
			problem("minutes", docRowKey, "the archive's search text is not the plain text of the sealed version %d: %s", version, firstDifference(d.SearchText, plain, typed))
		}
	}
	return nil
}

// firstDifference says where a stored text departs from the closest of the
// texts it could be, quoting a little of both from just before that point.
func firstDifference(stored string, could ...string) string {
	a := []rune(stored)
	var b []rune
	i := -1
	for _, c := range could {
		r := []rune(c)
		n := 0
		for n < len(a) && n < len(r) && a[n] == r[n] {
			n++
		}
		if n > i {
			b, i = r, n
		}
	}
	from := max(0, i-20)
	quote := func(r []rune) string { return string(r[min(from, len(r)):min(i+40, len(r))]) }
	return fmt.Sprintf("from character %d on, it reads %q where the text reads %q", from+1, quote(a), quote(b))
}

func timeOf(d docRow) string {
	if d.SealedAt == nil {
		return "no time"
	}
	return audit.FormatTime(*d.SealedAt)
}

// checkVersions compares every version of a document with its text and
// with the audit event of its save, and the document's creator with the
// one who saved its first version. It returns the versions stored, oldest
// first.
func checkVersions(ctx context.Context, q sqlx.QueryerContext, d docRow, problem problemFunc) ([]versionRow, error) {
	var versions []versionRow
	err := sqlx.SelectContext(ctx, q, &versions, `
		SELECT minutes_id, version, body, body_hash, created_at, created_by
		FROM minutes_versions WHERE minutes_id = $1 ORDER BY version`, d.ID)
	if err != nil {
		return nil, fmt.Errorf("minutes: check versions of %d: %w", d.ID, err)
	}
	saves := map[int]audit.Entry{}
	payloads := map[int]savePayload{}
	err = audit.Each(ctx, q, audit.Filter{Action: "minutes.saved", Subject: subject(d.ID)}, func(e audit.Entry) {
		var p savePayload
		if json.Unmarshal(e.Payload, &p) == nil {
			saves[p.Version], payloads[p.Version] = e, p
		}
	})
	if err != nil {
		return nil, err
	}
	for _, v := range versions {
		row := fmt.Sprintf("minutes_id=%d,version=%d", d.ID, v.Version)
		if sum := BodyHash(v.Body); !bytes.Equal(sum, v.BodyHash) {
			problem("minutes_versions", row, "the text of version %d has SHA-256 %x, but %x was saved and signed: the text was changed", v.Version, sum, v.BodyHash)
		}
		e, ok := saves[v.Version]
		if !ok {
			problem("minutes_versions", row, "no audit event records the save of version %d", v.Version)
			continue
		}
		delete(saves, v.Version)
		if p := payloads[v.Version]; p.BodyHash != hex.EncodeToString(v.BodyHash) || !sameActor(e.ActorAccountID, v.CreatedBy) {
			problem("minutes_versions", row, "version %d is stored as saved by %s with SHA-256 %x; the audit log recorded %s and %s at seq %d",
				v.Version, actorName(v.CreatedBy), v.BodyHash, actorName(e.ActorAccountID), p.BodyHash, e.Seq)
		}
	}
	gone := make([]int, 0, len(saves))
	for v := range saves {
		gone = append(gone, v)
	}
	slices.Sort(gone)
	for _, v := range gone {
		problem("minutes_versions", fmt.Sprintf("minutes_id=%d,version=%d", d.ID, v), "the audit log records the save of version %d at seq %d, but it is missing",
			v, saves[v].Seq)
	}
	if len(versions) > 0 && versions[0].Version == 1 && !sameActor(d.CreatedBy, versions[0].CreatedBy) {
		problem("minutes", "id="+strconv.FormatInt(d.ID, 10), "the document is stored as begun by %s, but %s saved its first version",
			actorName(d.CreatedBy), actorName(versions[0].CreatedBy))
	}
	return versions, nil
}

func sameActor(a, b *int64) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

func actorName(id *int64) string {
	if id == nil {
		return "Osk itself"
	}
	return "account " + strconv.FormatInt(*id, 10)
}

func allSignaturesOf(ctx context.Context, q sqlx.QueryerContext, minutesID int64) ([]signatureRow, error) {
	var out []signatureRow
	err := sqlx.SelectContext(ctx, q, &out, `SELECT `+signatureColumns+` FROM minutes_signatures
		WHERE minutes_id = $1 ORDER BY signed_at, id`, minutesID)
	if err != nil {
		return nil, fmt.Errorf("minutes: check signatures of %d: %w", minutesID, err)
	}
	for i := range out {
		out[i].SignedAt = out[i].SignedAt.UTC()
	}
	return out, nil
}

// signed keys a signature: a version and the account that signed it.
type signed struct {
	version int
	account int64
}

// checkSignatures compares each signature on the document, on whichever
// version, with that version's hash, with the audit event that recorded
// it and with the officers of the meeting when it was given, and each
// such event with a signature.
func checkSignatures(ctx context.Context, q sqlx.QueryerContext, d docRow, versions []versionRow, sigs []signatureRow, officers []officersSet, problem problemFunc) error {
	events := map[signed]audit.Entry{}
	payloads := map[signed]signPayload{}
	err := audit.Each(ctx, q, audit.Filter{Action: "minutes.signed", Subject: subject(d.ID)}, func(e audit.Entry) {
		var p signPayload
		if json.Unmarshal(e.Payload, &p) == nil {
			k := signed{p.Version, p.AccountID}
			events[k], payloads[k] = e, p
		}
	})
	if err != nil {
		return err
	}
	hashes := map[int][]byte{}
	for _, v := range versions {
		hashes[v.Version] = v.BodyHash
	}
	for _, sg := range sigs {
		row := "id=" + strconv.FormatInt(sg.ID, 10)
		if want, ok := hashes[sg.Version]; !ok || !bytes.Equal(sg.BodyHash, want) {
			problem("minutes_signatures", row, "the signature of account %d names the text %x, not version %d's %x", sg.AccountID, sg.BodyHash, sg.Version, want)
		}
		k := signed{sg.Version, sg.AccountID}
		e, ok := events[k]
		if !ok {
			problem("minutes_signatures", row, "no audit event records the signature of account %d on version %d", sg.AccountID, sg.Version)
			continue
		}
		p := payloads[k]
		if p.Role != sg.Role || p.SignedAt != audit.FormatTime(sg.SignedAt) || p.BodyHash != hex.EncodeToString(sg.BodyHash) {
			problem("minutes_signatures", row, "the signature of account %d (%s, %s, text %x) is not the one the audit log recorded at seq %d (%s, %s, text %s)",
				sg.AccountID, sg.Role, audit.FormatTime(sg.SignedAt), sg.BodyHash, e.Seq, p.Role, p.SignedAt, p.BodyHash)
		}
		delete(events, k)
		if o, ok := officersBefore(officers, e.Seq); ok {
			if want := o.roleOf(sg.AccountID); want != sg.Role {
				should := "it does not sign"
				if want != "" {
					should = "it signs as " + roleName(want)
				}
				problem("minutes_signatures", row, "account %d signed version %d as %s, but by the meeting's officers as the audit log recorded them at seq %d (%s) %s",
					sg.AccountID, sg.Version, roleName(sg.Role), o.seq, o, should)
			}
		}
	}
	gone := make([]signed, 0, len(events))
	for k := range events {
		gone = append(gone, k)
	}
	slices.SortFunc(gone, func(a, b signed) int { return int(events[a].Seq - events[b].Seq) })
	for _, k := range gone {
		problem("audit_events", fmt.Sprintf("seq=%d", events[k].Seq), "the audit log records a signature of account %d on version %d that minutes_signatures does not hold",
			k.account, k.version)
	}
	return nil
}

// officersSet is a meeting's officers who sign its minutes, as a
// meeting.officers_set event recorded them.
type officersSet struct {
	seq      int64
	chair    *int64
	checkers []int64
}

// officersOf returns the officers of a meeting as each of its
// meeting.officers_set events recorded them, oldest first.
func officersOf(ctx context.Context, q sqlx.QueryerContext, meetingID int64) ([]officersSet, error) {
	var out []officersSet
	err := audit.Each(ctx, q, audit.Filter{Action: "meeting.officers_set", Subject: "meeting:" + strconv.FormatInt(meetingID, 10)}, func(e audit.Entry) {
		var p struct {
			Chair    *int64  `json:"chair_account_id"`
			Checkers []int64 `json:"checker_account_ids"`
		}
		if json.Unmarshal(e.Payload, &p) == nil {
			out = append(out, officersSet{seq: e.Seq, chair: p.Chair, checkers: p.Checkers})
		}
	})
	if err != nil {
		return nil, fmt.Errorf("minutes: check officers of meeting %d: %w", meetingID, err)
	}
	return out, nil
}

// officersBefore returns the officers in force at the audit event seq: those
// of the latest meeting.officers_set event before it. A meeting given its
// officers as it was drafted has none until they change, since
// meeting.drafted does not record them: its signatures until then are
// compared with nothing.
func officersBefore(sets []officersSet, seq int64) (officersSet, bool) {
	for i := len(sets) - 1; i >= 0; i-- {
		if sets[i].seq < seq {
			return sets[i], true
		}
	}
	return officersSet{}, false
}

// roleOf is the role in which these officers have an account sign, as
// signerRole decides it, or "" when they do not have it sign.
func (o officersSet) roleOf(account int64) string {
	switch {
	case o.chair != nil && *o.chair == account:
		return RoleChair
	case slices.Contains(o.checkers, account):
		return RoleChecker
	}
	return ""
}

func (o officersSet) String() string {
	chair := "no chair"
	if o.chair != nil {
		chair = "chair: account " + strconv.FormatInt(*o.chair, 10)
	}
	checkers := "no minute checkers"
	if len(o.checkers) > 0 {
		ids := make([]string, len(o.checkers))
		for i, id := range o.checkers {
			ids[i] = strconv.FormatInt(id, 10)
		}
		checkers = "minute checkers: accounts " + strings.Join(ids, ", ")
	}
	return chair + "; " + checkers
}

func roleName(role string) string {
	switch role {
	case RoleChair:
		return "the chair"
	case RoleChecker:
		return "a minute checker"
	}
	return strconv.Quote(role)
}

func keys(m map[int64]audit.Entry) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
