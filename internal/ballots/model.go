package ballots

import (
	"fmt"
	"strconv"
	"time"

	"github.com/citizen-network/osk/internal/errs"
)

// Kinds of question a ballot asks.
const (
	KindMotion   = "motion"
	KindElection = "election"
)

// Electorates: the members represented at the meeting when the ballot
// opens, or every member active on the record date (advance or fully
// electronic voting).
const (
	ElectorateRepresented = "represented"
	ElectorateAllMembers  = "all_members"
)

// Statuses of a ballot.
const (
	StatusOpen   = "open"
	StatusClosed = "closed"
)

// Who casts a member's vote.
const (
	CastBySelf           = "self"
	CastByRepresentative = "representative"
	CastByProxy          = "proxy"
)

// ErrNotFound is returned for a ballot that does not exist or that the
// caller may not see.
var ErrNotFound = fmt.Errorf("ballots: %w", errs.Wrap(errs.NotFound, "There is no such ballot."))

// Ballot is one ballot; its JSON form is API.md's BALLOT, with these
// additions: meeting_id, kind, majority (motions), seats and candidate_ids
// (elections), record_date, closed_at, decided_at and record_hash (hex).
type Ballot struct {
	ID         int64      `json:"id"`
	MotionID   *int64     `json:"motion_id"`
	ElectionID *int64     `json:"election_id"`
	Secret     bool       `json:"secret"`
	Electorate string     `json:"electorate"`
	Status     string     `json:"status"`
	OpenedAt   time.Time  `json:"opened_at"`
	ClosesAt   *time.Time `json:"closes_at"`
	Eligible   int        `json:"eligible"`
	Voted      int        `json:"voted"`
	Result     *Result    `json:"result,omitempty"`

	MeetingID    int64      `json:"meeting_id"`
	Kind         string     `json:"kind"`
	Majority     string     `json:"majority,omitempty"`
	Seats        int        `json:"seats,omitempty"`
	CandidateIDs []int64    `json:"candidate_ids,omitempty"`
	RecordDate   time.Time  `json:"record_date"`
	ClosedAt     *time.Time `json:"closed_at"`
	DecidedAt    *time.Time `json:"decided_at"`
	RecordHash   *string    `json:"record_hash"`

	// SubjectID is the motion's or the election's id.
	SubjectID      int64      `json:"-"`
	MinVotes       int        `json:"-"`
	VotingListHash []byte     `json:"-"`
	OpenedBy       *int64     `json:"-"`
	ClosedBy       *int64     `json:"-"`
	CastingVote    string     `json:"-"`
	ChainHead      *ChainHead `json:"-"`

	// meetingCancelled is read with the ballot for a vote: the ballot of a
	// cancelled meeting takes no votes, though it stays open, since only
	// a session closes it.
	meetingCancelled bool
}

// ChainHead is the audit chain head printed on a ballot's record: the
// event that carries the record's hash.
type ChainHead struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// Open reports whether votes may still be cast, the closing time aside.
func (b Ballot) Open() bool { return b.Status == StatusOpen }

// Decided reports whether the outcome is final.
func (b Ballot) Decided() bool { return b.DecidedAt != nil }

// AwaitingCastingVote reports whether the ballot is closed on a tie that
// waits for the chair's casting vote.
func (b Ballot) AwaitingCastingVote() bool {
	return b.Status == StatusClosed && b.Result != nil && b.Result.AwaitingCastingVote
}

// ClosingPassed reports whether the ballot's closing time has come.
func (b Ballot) ClosingPassed(now time.Time) bool {
	return b.ClosesAt != nil && !now.Before(*b.ClosesAt)
}

func subject(id int64) string { return "ballot:" + strconv.FormatInt(id, 10) }

// OpenSpec is a ballot to open: the question and who votes.
type OpenSpec struct {
	MeetingID int64
	// Kind is KindMotion or KindElection; SubjectID is the motion's or the
	// election's id.
	Kind      string
	SubjectID int64
	// Majority is a motion's required majority, frozen at opening.
	Majority string
	// Seats and CandidateIDs are an election's question: each voter marks
	// at most Seats of the candidates, or none for a blank vote.
	Seats        int
	CandidateIDs []int64
	Secret       bool
	// Electorate is ElectorateRepresented (the default) or
	// ElectorateAllMembers.
	Electorate string
	// ClosesAt ends voting at the latest; nil leaves it to the chair. An
	// advance ballot must close during the session.
	ClosesAt *time.Time
}

// Voter is one member on a voting list.
type Voter struct {
	BallotID       int64  `db:"ballot_id" json:"-"`
	MemberID       int64  `db:"member_id" json:"member_id"`
	MemberNo       int    `db:"member_no" json:"member_no"`
	VoterAccountID int64  `db:"voter_account_id" json:"voter_account_id"`
	CastBy         string `db:"cast_by" json:"cast_by"`
	ProxyID        *int64 `db:"proxy_id" json:"proxy_id"`
	Voted          bool   `db:"voted" json:"voted"`
}

// VoteInput is one vote as a voter sends it.
type VoteInput struct {
	// Choice answers a motion: for, against or abstain.
	Choice string
	// Candidates answers an election: at most Seats candidate ids, none
	// for a blank vote. Nil means the field was not given.
	Candidates []int64
	// OnBehalfOf names the member the vote is for; nil means the caller's
	// own membership, or the only member they cast for.
	OnBehalfOf *int64
	// IdempotencyKey is the client's key for retrying the request safely
	// (the Idempotency-Key header); empty for none.
	IdempotencyKey string
}

// Cast is the answer to a vote. A first vote has its receipt, which is
// shown this once and kept nowhere; a retry with the same idempotency key
// has Replayed set and no receipt.
type Cast struct {
	BallotID int64     `json:"ballot_id"`
	MemberID int64     `json:"on_behalf_of_member_id"`
	Receipt  string    `json:"receipt,omitempty"`
	CastAt   time.Time `json:"cast_at"`
	Replayed bool      `json:"-"`
}

// Subject describes what a ballot is about, for its pages: a motion's or
// an election's title and page.
type Subject struct {
	Title string
	URL   string
}
