package ballots

import "encoding/json"

// Required majorities of a motion (SPEC.md, "Motions").
const (
	MajoritySimple        = "simple"
	MajorityTwoThirds     = "two_thirds"
	MajorityThreeQuarters = "three_quarters"
	MajorityUnanimous     = "unanimous"
)

// Majorities lists the required majorities, weakest first.
var Majorities = []string{MajoritySimple, MajorityTwoThirds, MajorityThreeQuarters, MajorityUnanimous}

// Choices on a motion.
const (
	ChoiceFor     = "for"
	ChoiceAgainst = "against"
	ChoiceAbstain = "abstain"
)

// Outcomes of a ballot.
const (
	OutcomeCarried  = "carried"
	OutcomeFailed   = "failed"
	OutcomeNoQuorum = "no_quorum"
)

// Outcome is a ballot's outcome; empty while a tie waits for the chair's
// casting vote, which JSON shows as null.
type Outcome string

// MarshalJSON writes the undecided outcome as null.
func (o Outcome) MarshalJSON() ([]byte, error) {
	if o == "" {
		return []byte("null"), nil
	}
	return json.Marshal(string(o))
}

// Tally is the count of a motion's votes.
type Tally struct {
	For     int
	Against int
	Abstain int
}

// Result is API.md's RESULT of a motion's ballot, with these additions:
// voted (every vote, abstentions too), awaiting_casting_vote (a tie under
// a simple majority, until the chair's casting vote) and casting_vote.
type Result struct {
	For            int  `json:"for"`
	Against        int  `json:"against"`
	Abstain        int  `json:"abstain"`
	Cast           int  `json:"cast"`
	Voted          int  `json:"voted"`
	Eligible       int  `json:"eligible"`
	QuorumRequired int  `json:"quorum_required"`
	QuorumMet      bool `json:"quorum_met"`
	// Majority is the required majority the ballot was opened with.
	Majority            string  `json:"majority"`
	Outcome             Outcome `json:"outcome"`
	TieBrokenByChair    bool    `json:"tie_broken_by_chair"`
	AwaitingCastingVote bool    `json:"awaiting_casting_vote"`
	// CastingVote is the chair's casting vote, "for" or "against", when a
	// tie was broken.
	CastingVote *string `json:"casting_vote"`
	// Election is an election ballot's count, which then is the whole
	// of the result's JSON.
	Election *ElectionResult `json:"-"`
}

// Decide applies the ballot quorum and the required majority to a tally
// (SPEC.md, "Motions" and "Ballots"):
//
//   - Votes cast are those for and against; abstentions are recorded but
//     are not votes cast, so they count neither towards the quorum nor
//     towards either side.
//   - The ballot quorum is met when at least minVotes votes are cast;
//     otherwise the outcome is no_quorum.
//   - With no vote cast nothing can carry: the outcome is failed.
//   - simple carries with more than half of the votes cast; two_thirds
//     with at least two thirds, three_quarters with at least three
//     quarters (exactly two thirds, or three quarters, carries); unanimous
//     when every vote cast is for.
//   - A tie under a simple majority waits for the chair's casting vote:
//     castingVote "for" carries, "against" fails, "" leaves the outcome
//     empty with AwaitingCastingVote set. A casting vote is ignored when
//     there is no such tie.
//
// Integers only: no fraction is ever rounded.
func Decide(t Tally, majority string, minVotes, eligible int, castingVote string) Result {
	r := Result{
		For: t.For, Against: t.Against, Abstain: t.Abstain,
		Cast: t.For + t.Against, Voted: t.For + t.Against + t.Abstain,
		Eligible: eligible, QuorumRequired: minVotes, Majority: majority,
	}
	r.QuorumMet = r.Cast >= minVotes
	switch {
	case !r.QuorumMet:
		r.Outcome = OutcomeNoQuorum
	case r.Cast == 0:
		r.Outcome = OutcomeFailed
	case majority == MajoritySimple && t.For == t.Against:
		switch castingVote {
		case ChoiceFor:
			r.Outcome = OutcomeCarried
		case ChoiceAgainst:
			r.Outcome = OutcomeFailed
		default:
			r.AwaitingCastingVote = true
			return r
		}
		r.TieBrokenByChair = true
		r.CastingVote = &castingVote
	case carries(t.For, r.Cast, majority):
		r.Outcome = OutcomeCarried
	default:
		r.Outcome = OutcomeFailed
	}
	return r
}

// carries reports whether votesFor out of cast (more than zero) meet the
// majority. An unknown majority never carries.
func carries(votesFor, cast int, majority string) bool {
	switch majority {
	case MajoritySimple:
		return 2*votesFor > cast
	case MajorityTwoThirds:
		return 3*votesFor >= 2*cast
	case MajorityThreeQuarters:
		return 4*votesFor >= 3*cast
	case MajorityUnanimous:
		return votesFor == cast
	}
	return false
}
