package ballots_test

import (
	"encoding/json"
	"testing"

	"github.com/citizen-network/osk/internal/ballots"
)

func TestDecide_EveryRuleAndBoundary(t *testing.T) {
	const (
		carried  = ballots.OutcomeCarried
		failed   = ballots.OutcomeFailed
		noQuorum = ballots.OutcomeNoQuorum
		awaiting = ""
	)
	cases := []struct {
		name     string
		tally    ballots.Tally
		majority string
		minVotes int
		casting  string
		want     ballots.Outcome
		cast     int
		quorum   bool
	}{
		// simple: more than half of the votes cast.
		{"simple: one for, none against", ballots.Tally{For: 1}, ballots.MajoritySimple, 0, "", carried, 1, true},
		{"simple: one more for than against", ballots.Tally{For: 6, Against: 5}, ballots.MajoritySimple, 0, "", carried, 11, true},
		{"simple: one more against than for", ballots.Tally{For: 5, Against: 6}, ballots.MajoritySimple, 0, "", failed, 11, true},
		{"simple: abstentions are not votes cast", ballots.Tally{For: 2, Against: 1, Abstain: 10}, ballots.MajoritySimple, 0, "", carried, 3, true},
		{"simple: a tie waits for the casting vote", ballots.Tally{For: 4, Against: 4, Abstain: 1}, ballots.MajoritySimple, 0, "", awaiting, 8, true},
		{"simple: the casting vote for carries a tie", ballots.Tally{For: 4, Against: 4}, ballots.MajoritySimple, 0, "for", carried, 8, true},
		{"simple: the casting vote against fails a tie", ballots.Tally{For: 4, Against: 4}, ballots.MajoritySimple, 0, "against", failed, 8, true},
		{"simple: a casting vote without a tie is ignored", ballots.Tally{For: 5, Against: 4}, ballots.MajoritySimple, 0, "against", carried, 9, true},

		// two_thirds: at least two thirds; exactly two thirds carries.
		{"two thirds: exactly two thirds carries", ballots.Tally{For: 2, Against: 1}, ballots.MajorityTwoThirds, 0, "", carried, 3, true},
		{"two thirds: exactly two thirds of many carries", ballots.Tally{For: 200, Against: 100, Abstain: 7}, ballots.MajorityTwoThirds, 0, "", carried, 300, true},
		{"two thirds: one vote short fails", ballots.Tally{For: 199, Against: 101}, ballots.MajorityTwoThirds, 0, "", failed, 300, true},
		{"two thirds: just under fails", ballots.Tally{For: 5, Against: 3}, ballots.MajorityTwoThirds, 0, "", failed, 8, true},
		{"two thirds: a tie fails without a casting vote", ballots.Tally{For: 3, Against: 3}, ballots.MajorityTwoThirds, 0, "for", failed, 6, true},
		{"two thirds: abstentions do not count against", ballots.Tally{For: 2, Against: 1, Abstain: 9}, ballots.MajorityTwoThirds, 0, "", carried, 3, true},

		// three_quarters: at least three quarters.
		{"three quarters: exactly three quarters carries", ballots.Tally{For: 3, Against: 1}, ballots.MajorityThreeQuarters, 0, "", carried, 4, true},
		{"three quarters: just under fails", ballots.Tally{For: 74, Against: 26}, ballots.MajorityThreeQuarters, 0, "", failed, 100, true},
		{"three quarters: two thirds is not enough", ballots.Tally{For: 2, Against: 1}, ballots.MajorityThreeQuarters, 0, "", failed, 3, true},

		// unanimous: every vote cast is for.
		{"unanimous: every vote for carries", ballots.Tally{For: 12}, ballots.MajorityUnanimous, 0, "", carried, 12, true},
		{"unanimous: with abstentions still carries", ballots.Tally{For: 12, Abstain: 3}, ballots.MajorityUnanimous, 0, "", carried, 12, true},
		{"unanimous: one against fails", ballots.Tally{For: 12, Against: 1}, ballots.MajorityUnanimous, 0, "", failed, 13, true},

		// No votes cast: nothing carries, whatever the majority.
		{"no votes at all fails (simple)", ballots.Tally{}, ballots.MajoritySimple, 0, "", failed, 0, true},
		{"only abstentions fail (simple)", ballots.Tally{Abstain: 5}, ballots.MajoritySimple, 0, "for", failed, 0, true},
		{"only abstentions fail (two thirds)", ballots.Tally{Abstain: 5}, ballots.MajorityTwoThirds, 0, "", failed, 0, true},
		{"only abstentions fail (three quarters)", ballots.Tally{Abstain: 5}, ballots.MajorityThreeQuarters, 0, "", failed, 0, true},
		{"only abstentions fail (unanimous)", ballots.Tally{Abstain: 5}, ballots.MajorityUnanimous, 0, "", failed, 0, true},

		// The ballot quorum: a minimum of votes cast.
		{"quorum exactly met", ballots.Tally{For: 3, Against: 2}, ballots.MajoritySimple, 5, "", carried, 5, true},
		{"quorum one short", ballots.Tally{For: 4}, ballots.MajoritySimple, 5, "", noQuorum, 4, false},
		{"abstentions do not make the quorum", ballots.Tally{For: 3, Against: 1, Abstain: 10}, ballots.MajoritySimple, 5, "", noQuorum, 4, false},
		{"no quorum comes before a tie", ballots.Tally{For: 1, Against: 1}, ballots.MajoritySimple, 3, "", noQuorum, 2, false},
		{"no quorum comes before unanimity", ballots.Tally{For: 2}, ballots.MajorityUnanimous, 3, "", noQuorum, 2, false},
		{"no quorum with nobody voting", ballots.Tally{}, ballots.MajoritySimple, 1, "", noQuorum, 0, false},

		{"an unknown majority never carries", ballots.Tally{For: 9}, "most", 0, "", failed, 9, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := ballots.Decide(tc.tally, tc.majority, tc.minVotes, 50, tc.casting)
			if r.Outcome != tc.want {
				t.Errorf("outcome %q, want %q", r.Outcome, tc.want)
			}
			if r.Cast != tc.cast || r.QuorumMet != tc.quorum {
				t.Errorf("cast %d quorum met %v, want %d %v", r.Cast, r.QuorumMet, tc.cast, tc.quorum)
			}
			if r.Voted != tc.tally.For+tc.tally.Against+tc.tally.Abstain || r.Eligible != 50 || r.QuorumRequired != tc.minVotes || r.Majority != tc.majority {
				t.Errorf("counts not carried over: %+v", r)
			}
			if r.AwaitingCastingVote != (tc.want == awaiting) {
				t.Errorf("awaiting casting vote %v", r.AwaitingCastingVote)
			}
			broken := tc.majority == ballots.MajoritySimple && tc.tally.For == tc.tally.Against && r.Cast > 0 && r.QuorumMet && tc.casting != ""
			if r.TieBrokenByChair != broken || (r.CastingVote != nil) != broken {
				t.Errorf("tie broken by chair %v, casting vote %v", r.TieBrokenByChair, r.CastingVote)
			}
		})
	}
}

func TestResult_AnUndecidedOutcomeIsNull(t *testing.T) {
	b, err := json.Marshal(ballots.Decide(ballots.Tally{For: 1, Against: 1}, ballots.MajoritySimple, 0, 2, ""))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if v, ok := got["outcome"]; !ok || v != nil || got["awaiting_casting_vote"] != true {
		t.Fatalf("undecided result: %s", b)
	}
}
