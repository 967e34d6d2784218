package motions

import (
	"fmt"
	"strconv"
	"time"

	"github.com/citizen-network/osk/internal/errs"
)

// Statuses of a motion (SPEC.md: submitted → seconded → voting → carried |
// failed | no_quorum; withdrawn by the proposer before voting).
const (
	StatusSubmitted = "submitted"
	StatusSeconded  = "seconded"
	StatusVoting    = "voting"
	StatusCarried   = "carried"
	StatusFailed    = "failed"
	StatusWithdrawn = "withdrawn"
	StatusNoQuorum  = "no_quorum"
)

// Required majorities, from the weakest to the strongest (SPEC.md):
// simple is more than half of the votes cast for or against, unanimous is
// every vote cast for.
const (
	MajoritySimple        = "simple"
	MajorityTwoThirds     = "two_thirds"
	MajorityThreeQuarters = "three_quarters"
	MajorityUnanimous     = "unanimous"
)

// Majorities lists the required majorities from the weakest to the
// strongest.
var Majorities = []string{MajoritySimple, MajorityTwoThirds, MajorityThreeQuarters, MajorityUnanimous}

// strength orders the majorities; 0 is no majority known.
func strength(majority string) int {
	for i, m := range Majorities {
		if m == majority {
			return i + 1
		}
	}
	return 0
}

// RuleChangeMajority is the weakest majority a motion on an agenda item
// that changes the co-op's rules may have (SPEC.md: at least two thirds).
const RuleChangeMajority = MajorityTwoThirds

// Limits on what people type.
const (
	MaxTitle = 200
	MaxBody  = 20_000
)

// ErrNotFound is returned for a motion that does not exist or that the
// caller may not see.
var ErrNotFound = fmt.Errorf("motions: %w", errs.Wrap(errs.NotFound, "There is no such motion."))

// Motion is a motion or an amendment. Its JSON form is API.md's MOTION
// with these additions: by_board, version (of the text in body),
// based_on_version (an amendment's: the main motion's version it was
// written against), ballot_id and the moments of its steps. Detail adds
// its amendments and versions.
type Motion struct {
	ID             int64  `db:"id" json:"id"`
	MeetingID      int64  `db:"meeting_id" json:"meeting_id"`
	AgendaItemID   *int64 `db:"agenda_item_id" json:"agenda_item_id"`
	AmendsMotionID *int64 `db:"amends_motion_id" json:"amends_motion_id"`
	Title          string `db:"title" json:"title"`
	// Body is the current text, in Markdown. An amendment's body is the
	// whole text the main motion would have if the amendment carries.
	Body             string `db:"body" json:"body"`
	ProposerMemberID *int64 `db:"proposer_member_id" json:"proposer_member_id"`
	SeconderMemberID *int64 `db:"seconder_member_id" json:"seconder_member_id"`
	Majority         string `db:"majority" json:"majority"`
	Status           string `db:"status" json:"status"`

	ByBoard        bool       `db:"by_board" json:"by_board"`
	Version        int        `db:"version" json:"version"`
	BasedOnVersion *int       `db:"based_on_version" json:"based_on_version"`
	BallotID       *int64     `db:"ballot_id" json:"ballot_id"`
	SubmittedAt    time.Time  `db:"submitted_at" json:"submitted_at"`
	SecondedAt     *time.Time `db:"seconded_at" json:"seconded_at"`
	WithdrawnAt    *time.Time `db:"withdrawn_at" json:"withdrawn_at"`
	VotingAt       *time.Time `db:"voting_at" json:"voting_at"`
	DecidedAt      *time.Time `db:"decided_at" json:"decided_at"`

	ProposerAccountID int64  `db:"proposer_account_id" json:"-"`
	SeconderAccountID *int64 `db:"seconder_account_id" json:"-"`
	WithdrawnBy       *int64 `db:"withdrawn_by" json:"-"`
}

// Detail is a motion with its amendments (of a main motion, oldest first;
// none for an amendment) and every text it has had (oldest first), as
// GET /api/v1/motions/{id} answers.
type Detail struct {
	Motion
	Amendments []Motion  `json:"amendments"`
	Versions   []Version `json:"versions"`
}

// Version is one text a motion has had.
type Version struct {
	Version   int       `db:"version" json:"version"`
	Body      string    `db:"body" json:"body"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	// AmendmentID is the carried amendment that made this version; nil for
	// the text as proposed.
	AmendmentID *int64 `db:"amendment_id" json:"amendment_id"`
}

// IsAmendment reports whether the motion amends another.
func (m Motion) IsAmendment() bool { return m.AmendsMotionID != nil }

// Open reports whether the motion can still be seconded, amended,
// withdrawn or put to a vote: it is submitted or seconded.
func (m Motion) Open() bool { return m.Status == StatusSubmitted || m.Status == StatusSeconded }

// ReadyForBallot reports whether the motion has what it needs to be put to
// a vote: the board's own motions from the start, members' once seconded.
func (m Motion) ReadyForBallot() bool { return m.Status == StatusSeconded }

// StaleAgainst reports whether the motion, an amendment, was written
// against another text of the motion it amends than mainVersion, that
// motion's current version.
func (m Motion) StaleAgainst(mainVersion int) bool {
	return m.BasedOnVersion != nil && *m.BasedOnVersion != mainVersion
}

// HoldsBack reports whether the motion, an amendment of a motion whose
// text is at mainVersion, is voted on before the motion it amends: once
// seconded, until decided. An amendment nobody seconded holds nothing
// back: as in any meeting, it falls when the chair moves on, and the
// motion it amends goes to the vote without it. Nor does one written
// against an earlier text: it can no longer be voted on (carried, it
// would undo the change made since), so it falls the same way unless its
// proposer proposes it again on the current text.
func (m Motion) HoldsBack(mainVersion int) bool {
	return m.Status == StatusVoting || m.Status == StatusSeconded && !m.StaleAgainst(mainVersion)
}

func subject(id int64) string { return "motion:" + strconv.FormatInt(id, 10) }

// StatusLabel says a motion's status in words.
func StatusLabel(status string) string {
	switch status {
	case StatusSubmitted:
		return "Waiting for a seconder"
	case StatusSeconded:
		return "Ready for a vote"
	case StatusVoting:
		return "Being voted on"
	case StatusCarried:
		return "Carried"
	case StatusFailed:
		return "Not carried"
	case StatusWithdrawn:
		return "Withdrawn"
	case StatusNoQuorum:
		return "Not decided: too few votes"
	}
	return status
}

// MajorityLabel says a required majority in words.
func MajorityLabel(majority string) string {
	switch majority {
	case MajoritySimple:
		return "Simple majority: more than half of the votes cast for or against"
	case MajorityTwoThirds:
		return "Two thirds of the votes cast"
	case MajorityThreeQuarters:
		return "Three quarters of the votes cast"
	case MajorityUnanimous:
		return "Unanimous: every vote cast is for"
	}
	return majority
}
