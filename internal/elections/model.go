// Package elections holds the elections at general meetings (SPEC.md,
// "Elections"): the seats to fill and when nominations close, the
// candidates, their consent (a member nominated by another is told by
// email) and their withdrawal, and putting an election to a ballot. The
// ballot itself, its voting list, votes, count and the lot for a tie are
// internal/ballots'; an election's ballot is one of kind "election",
// whose outcome comes back through the hook registered with
// ballots.OnDecided. MeetingSection lists a meeting's elections on
// the meeting's page.
package elections

import (
	"fmt"
	"strconv"
	"time"

	"github.com/citizen-network/osk/internal/errs"
)

// Statuses of an election.
const (
	StatusNominating = "nominating"
	StatusVoting     = "voting"
	StatusDecided    = "decided"
)

// MethodPlurality is the only counting method so far.
const MethodPlurality = "plurality"

// MaxSeats bounds the seats of one election, as the schema does.
const MaxSeats = 100

// Limits on what people type, as the schema holds them.
const (
	MaxTitle     = 200
	MaxName      = 200
	MaxStatement = 4000
)

// ErrNotFound is returned for an election that does not exist or that the
// caller may not see.
var ErrNotFound = fmt.Errorf("elections: %w", errs.Wrap(errs.NotFound, "There is no such election."))

// ErrCandidateNotFound is returned for a candidate not in the election.
var ErrCandidateNotFound = fmt.Errorf("elections: %w", errs.Wrap(errs.NotFound, "There is no such candidate in this election."))

// Election is API.md's ELECTION, with ballot_id added: the election's
// ballot, null until it is put to the vote, where its votes are cast and
// its result read.
type Election struct {
	ID                 int64       `json:"id"`
	MeetingID          int64       `json:"meeting_id"`
	AgendaItemID       *int64      `json:"agenda_item_id"`
	Title              string      `json:"title"`
	Seats              int         `json:"seats"`
	Method             string      `json:"method"`
	NominationsCloseAt *time.Time  `json:"nominations_close_at"`
	Status             string      `json:"status"`
	Candidates         []Candidate `json:"candidates"`
	BallotID           *int64      `json:"ballot_id"`

	CreatedAt time.Time  `json:"-"`
	DecidedAt *time.Time `json:"-"`
}

// StatusText says the election's status in words.
func (e Election) StatusText() string { return StatusLabel(e.Status) }

// StatusLabel says an election's status in words.
func StatusLabel(status string) string {
	switch status {
	case StatusNominating:
		return "Taking nominations"
	case StatusVoting:
		return "Voting"
	case StatusDecided:
		return "Decided"
	}
	return status
}

// NominationsAwaited reports whether nominations are still open at now
// until a time the board announced.
func (e Election) NominationsAwaited(now time.Time) bool {
	return e.Status == StatusNominating && e.NominationsCloseAt != nil && now.Before(*e.NominationsCloseAt)
}

// NominationsClosed reports whether nominations are closed at now.
func (e Election) NominationsClosed(now time.Time) bool {
	return e.Status != StatusNominating || (e.NominationsCloseAt != nil && !now.Before(*e.NominationsCloseAt))
}

// Candidate is one candidate: a member, or a person or firm the board
// entered (MemberID nil).
type Candidate struct {
	ID        int64  `json:"id"`
	MemberID  *int64 `json:"member_id"`
	Name      string `json:"name"`
	Statement string `json:"statement"`
	Consented bool   `json:"consented"`

	ElectionID  int64  `json:"-"`
	NominatedBy *int64 `json:"-"`
	Elected     *bool  `json:"-"`
}

func subject(id int64) string { return "election:" + strconv.FormatInt(id, 10) }

func electionPath(id int64) string { return "/elections/" + strconv.FormatInt(id, 10) }
