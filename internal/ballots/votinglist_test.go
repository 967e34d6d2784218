package ballots_test

import (
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/rules"
)

// A ballot of all members lists, as written by the database in one
// statement, every member active on the record date and still active,
// each casting their own vote; its hash, computed by the database too, is
// the one Check recomputes from the list, and the one the audit log holds.
func TestOpen_AllMembersListsTheElectorsOfTheRecordDate(t *testing.T) {
	f := newFixture(t)
	h := newHall(f)
	f.setRules(func(r *rules.Rules) { r.AdvanceVoting = true })
	for _, secret := range []bool{false, true} {
		b := f.openBallot(h.chair, ballots.OpenSpec{MeetingID: h.m.ID, Electorate: ballots.ElectorateAllMembers, Secret: secret})
		var rows []ballots.Voter
		if err := f.inst.DB.Select(&rows, `SELECT ballot_id, member_id, member_no, voter_account_id, cast_by, proxy_id, voted
			FROM ballot_voters WHERE ballot_id = $1`, b.ID); err != nil {
			t.Fatal(err)
		}
		got := map[int64]ballots.Voter{}
		for _, v := range rows {
			got[v.MemberID] = v
		}
		// Dave is suspended, Erin an applicant, Frank admitted after the
		// record date; Bob votes himself, whoever holds his proxy.
		want := map[int64]struct {
			account int64
			castBy  string
			no      int
		}{
			h.chairM.ID: {h.chair.AccountID, ballots.CastBySelf, *h.chairM.MemberNo},
			h.aliceM.ID: {h.alice.AccountID, ballots.CastBySelf, *h.aliceM.MemberNo},
			h.bobM.ID:   {h.bob.AccountID, ballots.CastBySelf, *h.bobM.MemberNo},
			h.orgM.ID:   {h.carol.AccountID, ballots.CastByRepresentative, *h.orgM.MemberNo},
			h.graceM.ID: {h.grace.AccountID, ballots.CastBySelf, *h.graceM.MemberNo},
			h.henryM.ID: {h.henry.AccountID, ballots.CastBySelf, *h.henryM.MemberNo},
		}
		if len(got) != len(want) || b.Eligible != len(want) {
			t.Fatalf("eligible %d, voting list %+v", b.Eligible, rows)
		}
		for id, w := range want {
			v, ok := got[id]
			if !ok || v.VoterAccountID != w.account || v.CastBy != w.castBy || v.MemberNo != w.no || v.ProxyID != nil || v.Voted {
				t.Errorf("member %d on the list: %+v, want %+v", id, v, w)
			}
		}
		opened := f.events(ballotSubject(b.ID))
		var payload struct {
			Eligible       int    `json:"eligible"`
			VotingListHash string `json:"voting_list_hash"`
		}
		if len(opened) != 1 || json.Unmarshal(opened[0].Payload, &payload) != nil ||
			payload.Eligible != len(want) || payload.VotingListHash != hex.EncodeToString(b.VotingListHash) {
			t.Fatalf("ballot.opened %+v, ballot's hash %x", opened, b.VotingListHash)
		}
		f.vote(h.carol, b.ID, ballots.ChoiceFor, &h.orgM.ID)
		f.vote(h.grace, b.ID, ballots.ChoiceAgainst, nil)
		f.vote(h.bob, b.ID, ballots.ChoiceAbstain, nil)
		f.close(h.chair, b.ID)
	}
	// Check rehashes each list, and rebuilds each record, in Go.
	if r := f.verify(); !r.OK || len(r.Problems) != 0 {
		t.Fatalf("verify: %+v", r)
	}
}
