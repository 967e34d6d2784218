package ballots

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/citizen-network/osk/internal/audit"
)

// The close hashes its record through recordEncoder and hashRecord; the
// record served and Check go through Record.Hash and audit.Marshal. Both
// must write the same bytes for every vote a ballot can hold, including
// those only a tampered database would.
func TestHashRecord_MatchesRecordHash(t *testing.T) {
	closed := time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)
	closesAt := closed.Add(-time.Hour)
	motion, election := int64(31), int64(32)
	receipt := func(i int) []byte {
		sum := sha256.Sum256([]byte{byte(i)})
		return sum[:]
	}
	choice := func(c string) sql.NullString { return sql.NullString{String: c, Valid: true} }
	member := func(id int64) *int64 { return &id }
	casting := ChoiceFor

	motionVotes := []voteRow{
		{ReceiptHash: receipt(1), Choice: choice(ChoiceFor), MemberID: member(7)},
		{ReceiptHash: receipt(2), Choice: choice(ChoiceAgainst), MemberID: member(8)},
		{ReceiptHash: receipt(3), Choice: choice(ChoiceAbstain), MemberID: member(9)},
		// Only a tampered database holds these: a motion's vote with
		// candidates, or with a choice that needs escaping.
		{ReceiptHash: receipt(4), CandidateIDs: pq.Int64Array{5, 3}, MemberID: member(10)},
		{ReceiptHash: receipt(5), Choice: choice("a \"quoted\" \\ choice\n\u00e9\u2028<&>"), MemberID: member(11)},
		{ReceiptHash: receipt(6), CandidateIDs: pq.Int64Array{}, MemberID: member(12)},
	}
	electionVotes := []voteRow{
		{ReceiptHash: receipt(11), CandidateIDs: pq.Int64Array{3, 1}, MemberID: member(7)},
		{ReceiptHash: receipt(12), CandidateIDs: pq.Int64Array{}, MemberID: member(8)},
		{ReceiptHash: receipt(13), CandidateIDs: nil, MemberID: member(9)},
		{ReceiptHash: receipt(14), CandidateIDs: pq.Int64Array{audit.MaxSafeInteger, -audit.MaxSafeInteger}, MemberID: member(10)},
		{ReceiptHash: receipt(15), Choice: choice(ChoiceFor), MemberID: member(11)},
	}
	numbers := map[int64]int{7: 1, 8: 2, 9: 40000, 10: 1 << 30, 11: 5, 12: 6}
	voters := []int{1, 2, 5, 6, 40000, 1 << 30}
	ballot := func(kind string, secret bool, res Result) Ballot {
		b := Ballot{
			ID: 9, MeetingID: 4, Kind: kind, Secret: secret, Electorate: ElectorateAllMembers, Status: StatusClosed,
			RecordDate: closed.Add(-48 * time.Hour), OpenedAt: closed.Add(-2 * time.Hour), ClosesAt: &closesAt,
			ClosedAt: &closed, DecidedAt: &closed, Eligible: 12, VotingListHash: receipt(99), Result: &res,
		}
		if kind == KindMotion {
			b.MotionID, b.Majority = &motion, MajorityTwoThirds
		} else {
			b.ElectionID, b.Seats, b.CandidateIDs = &election, 2, []int64{1, 3, 5}
		}
		return b
	}
	motionResult := Decide(Tally{For: 3, Against: 3}, MajoritySimple, 0, 12, casting)
	electionResult := electionSummary(Plurality([][]int64{{3, 1}, {}, {1}}, []int64{1, 3, 5}, 2, 0, 12, receipt(98)))
	openMotion := ballot(KindMotion, false, motionResult)
	openMotion.ClosesAt = nil
	cases := []struct {
		name  string
		b     Ballot
		votes []voteRow
	}{
		{"an open motion without a closing time", openMotion, motionVotes},
		{"a secret motion", ballot(KindMotion, true, motionResult), motionVotes},
		{"an open election", ballot(KindElection, false, electionResult), electionVotes},
		{"a secret election", ballot(KindElection, true, electionResult), electionVotes},
		{"no votes", ballot(KindMotion, true, Decide(Tally{}, MajoritySimple, 0, 12, "")), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := c.b
			rec, err := buildRecord(b, c.votes, voters, numbers)
			if err != nil {
				t.Fatal(err)
			}
			want, err := rec.Hash()
			if err != nil {
				t.Fatal(err)
			}
			enc := recordEncoder{election: b.Kind == KindElection}
			var votes []byte
			for i, v := range rec.Votes {
				if i > 0 {
					votes = append(votes, ',')
				}
				if votes, err = enc.append(votes, v); err != nil {
					t.Fatal(err)
				}
				one, err := audit.Marshal(v)
				if err != nil {
					t.Fatal(err)
				}
				if again, _ := (&recordEncoder{election: enc.election}).append(nil, v); !bytes.Equal(again, one) {
					t.Errorf("vote %d is written\n%s\nnot as audit.Marshal writes it:\n%s", i, again, one)
				}
			}
			got, err := hashRecord(b, votes, rec.Voters)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("hashRecord %s, Record.Hash %s", hex.EncodeToString(got), hex.EncodeToString(want))
			}
		})
	}

	// A number beyond what canonical JSON holds fails both ways.
	big := RecordVote{ReceiptHash: "00", Candidates: []int64{audit.MaxSafeInteger + 1}, Election: true}
	if _, err := audit.Marshal(big); !errors.Is(err, audit.ErrNotCanonical) {
		t.Fatalf("audit.Marshal: %v", err)
	}
	if _, err := (&recordEncoder{election: true}).append(nil, big); !errors.Is(err, audit.ErrNotCanonical) {
		t.Fatalf("recordEncoder: %v", err)
	}
	// An undecided ballot has no record.
	undecided := ballot(KindMotion, true, motionResult)
	undecided.DecidedAt = nil
	if _, err := hashRecord(undecided, nil, nil); err == nil {
		t.Fatal("an undecided ballot's record was hashed")
	}
}
