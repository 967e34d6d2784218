package minutes

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/citizen-network/osk/internal/errs"
)

// Statuses of a document of minutes (API.md: draft → in_review → signed;
// in_review → draft when sent back).
const (
	StatusDraft    = "draft"
	StatusInReview = "in_review"
	StatusSigned   = "signed"
)

// Roles of those who sign: the meeting's chair and its minute checkers.
// The secretary writes the minutes and never signs them.
const (
	RoleChair     = "chair"
	RoleChecker   = "checker"
	RoleSecretary = "secretary"
)

// Limits on what people type.
const (
	// MaxBody is the longest text of minutes, in characters; the
	// pre-filled draft stays within it (writePrefill). The server's limit
	// on a request's body (BODY_LIMIT_BYTES, 1 MiB by default) counts
	// bytes as sent, and the editor's form URL-encodes every byte of a
	// character other than an ASCII letter, digit, space or one of a few
	// marks as three (%XX): the form carries 250,000 characters only when
	// nearly all of them are ASCII letters, digits and spaces, and a text
	// in Greek or Cyrillic, six bytes a letter, is refused with 413 from
	// some 200,000 characters. The JSON API carries all of it at the
	// default limit when the text is sent as UTF-8 (at most four bytes a
	// character), but not when every character beyond ASCII is escaped as
	// \uXXXX.
	MaxBody       = 250_000
	maxComment    = 5_000
	maxQuery      = 200
	defaultLimit  = 50
	maxListLimit  = 500
	maxAddendumNo = 1_000
)

// ErrNotFound is returned for minutes that do not exist or that the caller
// may not see.
var ErrNotFound = fmt.Errorf("minutes: %w", errs.Wrap(errs.NotFound, "There are no such minutes, or you may not see them."))

// Doc names one document: the minutes of a meeting (Addendum 0) or one of
// their addenda.
type Doc struct {
	MeetingID int64
	Addendum  int
}

// Main is the document of the minutes themselves of a meeting.
func Main(meetingID int64) Doc { return Doc{MeetingID: meetingID} }

// Name says which document it is, in words.
func (d Doc) Name() string {
	if d.Addendum == 0 {
		return "The minutes"
	}
	return "Addendum " + strconv.Itoa(d.Addendum) + " to the minutes"
}

// Minutes is one document as API.md's MINUTES shows it, with these
// additions: addendum (0 for the minutes themselves), body_hash (the hex
// SHA-256 of body), review_version, submitted_at, sealed_at, chain_head
// (the audit event that sealed it), signers (who must sign, and whether
// they have), returns (the versions sent back, with their comments; for
// the officers, the board and auditors), title, and, on the minutes
// themselves, addenda (those the caller may see).
//
// Version 0 means nothing is saved yet: only the secretary sees that,
// with the text pre-filled from the meeting's record as the body.
type Minutes struct {
	MeetingID     int64       `json:"meeting_id"`
	Addendum      int         `json:"addendum"`
	Version       int         `json:"version"`
	Status        string      `json:"status"`
	Body          string      `json:"body"`
	BodyHash      string      `json:"body_hash"`
	Signatures    []Signature `json:"signatures"`
	SealedHash    *string     `json:"sealed_hash"`
	ReviewVersion *int        `json:"review_version"`
	SubmittedAt   *time.Time  `json:"submitted_at"`
	SealedAt      *time.Time  `json:"sealed_at"`
	ChainHead     *ChainHead  `json:"chain_head"`
	Signers       []Signer    `json:"signers"`
	Returns       []Return    `json:"returns"`
	Addenda       []Summary   `json:"addenda,omitempty"`
	// Title is the meeting's title; a sealed document keeps the title the
	// meeting had when it was sealed.
	Title string `json:"title"`
}

// Doc names the document.
func (m Minutes) Doc() Doc { return Doc{MeetingID: m.MeetingID, Addendum: m.Addendum} }

// Sealed reports whether the document is signed by all and can no longer
// change.
func (m Minutes) Sealed() bool { return m.Status == StatusSigned }

// Signature is one signature on the version in review or sealed.
type Signature struct {
	AccountID int64     `json:"account_id"`
	Role      string    `json:"role"`
	SignedAt  time.Time `json:"signed_at"`
	Name      string    `json:"name"`
}

// Signer is one person who must sign: the chair or a minute checker.
type Signer struct {
	AccountID int64  `json:"account_id"`
	Role      string `json:"role"`
	Name      string `json:"name"`
	Signed    bool   `json:"signed"`
}

// Return is a version sent back to the secretary.
type Return struct {
	Version    int       `json:"version"`
	AccountID  int64     `json:"account_id"`
	Role       string    `json:"role"`
	Name       string    `json:"name"`
	Comment    string    `json:"comment"`
	ReturnedAt time.Time `json:"returned_at"`
}

// ChainHead is the audit event printed on sealed minutes: the one that
// sealed them, which carries their hash.
type ChainHead struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// Summary is one addendum as the minutes list it.
type Summary struct {
	Addendum   int        `json:"addendum"`
	Status     string     `json:"status"`
	Version    int        `json:"version"`
	SealedHash *string    `json:"sealed_hash"`
	SealedAt   *time.Time `json:"sealed_at"`
}

// VersionInfo is one saved version, without its text.
type VersionInfo struct {
	Version   int       `json:"version"`
	BodyHash  string    `json:"body_hash"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy *int64    `json:"created_by_account_id"`
	// Returned is true when the version was sent back.
	Returned bool `json:"returned"`
}

// Version is one saved version with its text.
type Version struct {
	VersionInfo
	Body string `json:"body"`
}

// StatusLabel says a status in words.
func StatusLabel(status string) string {
	switch status {
	case StatusDraft:
		return "Draft"
	case StatusInReview:
		return "Waiting for signatures"
	case StatusSigned:
		return "Signed and sealed"
	}
	return "Not started"
}

// RoleLabel says a signer's role in words.
func RoleLabel(role string) string {
	switch role {
	case RoleChair:
		return "Chair"
	case RoleChecker:
		return "Minute checker"
	}
	return role
}

// lowerName is Name within a sentence.
func (d Doc) lowerName() string {
	name := d.Name()
	return strings.ToLower(name[:1]) + name[1:]
}

func subject(id int64) string { return "minutes:" + strconv.FormatInt(id, 10) }
