package minutes

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"time"

	"github.com/citizen-network/osk/internal/audit"
)

// BodyHash is the SHA-256 of a version's text as UTF-8: what the chair
// and the minute checkers sign, and what anyone can recompute from a
// printed or exported text.
func BodyHash(body string) []byte {
	sum := sha256.Sum256([]byte(body))
	return sum[:]
}

// sealedRecord is what a sealed document's hash covers: which document,
// the version sealed, the SHA-256 of its text, and every signature on it,
// oldest first. Its hash is the SHA-256 of its canonical JSON
// (internal/audit/CANONICAL.md), so that anyone holding the printed
// minutes can recompute it:
//
//	{"addendum":0,"body_sha256":"…","meeting_id":7,
//	 "signatures":[{"account_id":3,"role":"chair","signed_at":"2026-05-21T09:00:00.000000Z"}, …],
//	 "version":4}
type sealedRecord struct {
	MeetingID  int64             `json:"meeting_id"`
	Addendum   int               `json:"addendum"`
	Version    int               `json:"version"`
	BodySHA256 string            `json:"body_sha256"`
	Signatures []sealedSignature `json:"signatures"`
}

type sealedSignature struct {
	AccountID int64  `json:"account_id"`
	Role      string `json:"role"`
	SignedAt  string `json:"signed_at"`
}

// signatureRow is a signature as stored.
type signatureRow struct {
	ID        int64     `db:"id"`
	MinutesID int64     `db:"minutes_id"`
	Version   int       `db:"version"`
	BodyHash  []byte    `db:"body_hash"`
	AccountID int64     `db:"account_id"`
	Role      string    `db:"role"`
	SignedAt  time.Time `db:"signed_at"`
}

// sealedHash computes the hash of a document sealed at version with the
// text whose SHA-256 is bodyHash and these signatures.
func sealedHash(doc Doc, version int, bodyHash []byte, sigs []signatureRow) ([]byte, error) {
	ordered := append([]signatureRow(nil), sigs...)
	sort.SliceStable(ordered, func(i, j int) bool {
		if !ordered[i].SignedAt.Equal(ordered[j].SignedAt) {
			return ordered[i].SignedAt.Before(ordered[j].SignedAt)
		}
		return ordered[i].AccountID < ordered[j].AccountID
	})
	rec := sealedRecord{MeetingID: doc.MeetingID, Addendum: doc.Addendum, Version: version,
		BodySHA256: hex.EncodeToString(bodyHash), Signatures: make([]sealedSignature, len(ordered))}
	for i, s := range ordered {
		rec.Signatures[i] = sealedSignature{AccountID: s.AccountID, Role: s.Role, SignedAt: audit.FormatTime(s.SignedAt)}
	}
	b, err := audit.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("minutes: sealed record of meeting %d: %w", doc.MeetingID, err)
	}
	sum := sha256.Sum256(b)
	return sum[:], nil
}
