package minutes

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/citizen-network/osk/internal/audit"
)

// maxReported matches the number of problems audit.Verify lists before it
// only counts them.
const maxReported = 100

func report(r *audit.Report, p audit.Problem) {
	r.OK = false
	if len(r.Problems) >= maxReported {
		r.ProblemsOmitted++
		return
	}
	r.Problems = append(r.Problems, p)
}

// Check is the minutes' part of `osk verify` (internal/auditor). For every
// sealed document, and every document the audit log records as sealed, it
// rehashes the sealed version's text and compares it with the hash
// stored with the version; compares each signature with the version it
// signs and with the audit event that recorded it; rebuilds the sealed
// record from the version and the signatures and compares its hash with
// the one stored; and checks that the audit event printed on the
// document as the chain head is the one that sealed it, with that hash.
// Each problem names the row at fault.
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
	for _, d := range docs {
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
	err := eachEvent(ctx, q, audit.Filter{Action: "minutes.sealed"}, func(e audit.Entry) {
		if id, ok := strings.CutPrefix(e.Subject, "minutes:"); ok {
			if n, err := strconv.ParseInt(id, 10, 64); err == nil {
				out[n] = e
			}
		}
	})
	return out, err
}

func eachEvent(ctx context.Context, q sqlx.QueryerContext, f audit.Filter, fn func(audit.Entry)) error {
	f.Limit = audit.MaxListLimit
	for {
		page, err := audit.List(ctx, q, f)
		if err != nil {
			return err
		}
		for _, e := range page {
			fn(e)
		}
		if len(page) < audit.MaxListLimit {
			return nil
		}
		f.AfterSeq = page[len(page)-1].Seq
	}
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

func checkDoc(ctx context.Context, q sqlx.QueryerContext, d docRow, event audit.Entry, r *audit.Report) error {
	var seq int64
	if d.ChainHeadSeq != nil {
		seq = *d.ChainHeadSeq
	} else {
		seq = event.Seq
	}
	name := fmt.Sprintf("minutes %d (meeting %d, %s): ", d.ID, d.MeetingID, d.doc().lowerName())
	problem := func(table, row, format string, args ...any) {
		report(r, audit.Problem{Seq: seq, Table: table, Row: row, Reason: name + fmt.Sprintf(format, args...)})
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
	versionKey := fmt.Sprintf("minutes_id=%d,version=%d", d.ID, version)
	ver, err := getVersion(ctx, q, d.ID, version)
	if errors.Is(err, ErrNotFound) {
		problem("minutes_versions", versionKey, "the sealed version %d is missing", version)
		return nil
	}
	if err != nil {
		return err
	}
	if sum := BodyHash(ver.Body); !bytes.Equal(sum, ver.BodyHash) {
		problem("minutes_versions", versionKey, "the text of the sealed version has SHA-256 %x, but %x was saved and signed: the text was changed", sum, ver.BodyHash)
	}
	sigs, err := signaturesOf(ctx, q, d.ID, version)
	if err != nil {
		return err
	}
	if err := checkSignatures(ctx, q, d, ver, sigs, problem); err != nil {
		return err
	}
	sum, err := sealedHash(d.doc(), version, ver.BodyHash, sigs)
	if err != nil {
		return err
	}
	if !bytes.Equal(sum, d.SealedHash) {
		problem("minutes", docRowKey, "the sealed record rebuilt from version %d and its %d signatures has hash %x, not the sealed_hash stored %x",
			version, len(sigs), sum, d.SealedHash)
	}
	if event.Seq == 0 {
		problem("minutes", docRowKey, "no audit event records their seal")
		return nil
	}
	if d.ChainHeadSeq == nil || *d.ChainHeadSeq != event.Seq || !bytes.Equal(d.ChainHeadHash, event.Hash) {
		problem("minutes", docRowKey, "the chain head printed on them is not the audit event that sealed them (seq %d, hash %s)", event.Seq, event.Hash)
	}
	if recorded.SealedHash != hex.EncodeToString(d.SealedHash) || recorded.Version != version ||
		recorded.BodyHash != hex.EncodeToString(ver.BodyHash) || recorded.MeetingID != d.MeetingID || recorded.Addendum != d.Addendum {
		problem("minutes", docRowKey, "the seal stored (version %d, sealed_hash %x) is not the one the audit log recorded at seq %d (version %d, sealed_hash %s)",
			version, d.SealedHash, event.Seq, recorded.Version, recorded.SealedHash)
	}
	return nil
}

// checkSignatures compares each signature on the sealed version with the
// version's hash and with the audit event that recorded it, and each such
// event with a signature.
func checkSignatures(ctx context.Context, q sqlx.QueryerContext, d docRow, ver versionRow, sigs []signatureRow,
	problem func(table, row, format string, args ...any)) error {
	events := map[int64]audit.Entry{}
	payloads := map[int64]signPayload{}
	err := eachEvent(ctx, q, audit.Filter{Action: "minutes.signed", Subject: subject(d.ID)}, func(e audit.Entry) {
		var p signPayload
		if err := json.Unmarshal(e.Payload, &p); err != nil || p.Version != ver.Version {
			return
		}
		events[p.AccountID], payloads[p.AccountID] = e, p
	})
	if err != nil {
		return err
	}
	for _, sg := range sigs {
		row := "id=" + strconv.FormatInt(sg.ID, 10)
		if !bytes.Equal(sg.BodyHash, ver.BodyHash) {
			problem("minutes_signatures", row, "the signature of account %d names the text %x, not version %d's %x", sg.AccountID, sg.BodyHash, ver.Version, ver.BodyHash)
		}
		e, ok := events[sg.AccountID]
		if !ok {
			problem("minutes_signatures", row, "no audit event records the signature of account %d on version %d", sg.AccountID, ver.Version)
			continue
		}
		p := payloads[sg.AccountID]
		if p.Role != sg.Role || p.SignedAt != audit.FormatTime(sg.SignedAt) || p.BodyHash != hex.EncodeToString(sg.BodyHash) {
			problem("minutes_signatures", row, "the signature of account %d (%s, %s, text %x) is not the one the audit log recorded at seq %d (%s, %s, text %s)",
				sg.AccountID, sg.Role, audit.FormatTime(sg.SignedAt), sg.BodyHash, e.Seq, p.Role, p.SignedAt, p.BodyHash)
		}
		delete(events, sg.AccountID)
	}
	for account, e := range events {
		problem("audit_events", fmt.Sprintf("seq=%d", e.Seq), "the audit log records a signature of account %d on version %d that minutes_signatures does not hold",
			account, ver.Version)
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
