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
	"github.com/lib/pq"

	"github.com/citizen-network/osk/internal/audit"
)

// Check is the minutes' part of `osk verify` (internal/auditor). For every
// sealed document, and every document the audit log records as sealed, it
// checks every version saved: its text against the SHA-256 stored with it,
// and both, with who saved it, against the audit event of the save; it
// compares every signature with the version it signs and with the audit
// event that recorded it; it rebuilds the sealed record from the sealed
// version and its signatures and compares its hash with the one stored;
// it checks that the version sealed is the last one saved, that the seal
// is dated by its last signature, and that the audit event printed on the
// document as the chain head is the one that sealed it, with that hash.
// Each problem names the row at fault.
//
// When the report covers one meeting (an export bundle), only that
// meeting's documents are expected.
func Check(ctx context.Context, q sqlx.QueryerContext, r *audit.Report) error {
	sealed, err := sealEvents(ctx, q)
	if err != nil {
		return err
	}
	var docs []docRow
	err = sqlx.SelectContext(ctx, q, &docs, `SELECT `+docColumns+` FROM minutes
		WHERE status = 'signed' OR sealed_at IS NOT NULL OR id = ANY($1) ORDER BY id`, pq.Array(keys(sealed)))
	if err != nil {
		return fmt.Errorf("minutes: check: %w", err)
	}
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
	for _, d := range docs {
		d.normalise()
		if err := checkDoc(ctx, q, d, sealed[d.ID], r); err != nil {
			return err
		}
	}
	return nil
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

func checkDoc(ctx context.Context, q sqlx.QueryerContext, d docRow, event audit.Entry, r *audit.Report) error {
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
	}
	versions, err := checkVersions(ctx, q, d, problem)
	if err != nil {
		return err
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
	all, err := allSignaturesOf(ctx, q, d.ID)
	if err != nil {
		return err
	}
	if err := checkSignatures(ctx, q, d, versions, all, problem); err != nil {
		return err
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
		problem("minutes", docRowKey, "they are stored as sealed at %s, but the last signature on version %d is of %s", timeOf(d), version, last)
	}
	return nil
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
// version, with that version's hash and with the audit event that
// recorded it, and each such event with a signature.
func checkSignatures(ctx context.Context, q sqlx.QueryerContext, d docRow, versions []versionRow, sigs []signatureRow, problem problemFunc) error {
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

func keys(m map[int64]audit.Entry) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
