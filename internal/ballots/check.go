package ballots

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/jmoiron/sqlx"

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

// Check is the ballots' part of `osk verify` (internal/auditor): for every
// closed ballot it recounts the votes and recomputes the outcome, checks
// that the number of votes equals the number of members marked as voted
// on the voting list and in the audit log, that no member was marked or
// counted twice, and for a decided ballot that the record rebuilt from the
// database has the hash stored with it, and that the audit event printed
// on the record as the chain head carries that hash.
func Check(ctx context.Context, q sqlx.QueryerContext, r *audit.Report) error {
	ids, err := closedBallotIDs(ctx, q)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := checkBallot(ctx, q, id, r); err != nil {
			return err
		}
	}
	return nil
}

func checkBallot(ctx context.Context, q sqlx.QueryerContext, id int64, r *audit.Report) error {
	b, err := getBallot(ctx, q, id, noLock)
	if err != nil {
		return err
	}
	var seq int64
	if b.ChainHead != nil {
		seq = b.ChainHead.Seq
	}
	problem := func(table, row, format string, args ...any) {
		report(r, audit.Problem{Seq: seq, Table: table, Row: row, Reason: fmt.Sprintf("ballot %d: ", id) + fmt.Sprintf(format, args...)})
	}
	ballotRow := "id=" + strconv.FormatInt(id, 10)
	votes, err := votesOf(ctx, q, id)
	if err != nil {
		return err
	}
	if b.Result == nil {
		problem("ballots", ballotRow, "closed without a result")
		return nil
	}
	if b.Kind == KindElection {
		if err := checkElection(ctx, q, b, votes, problem); err != nil {
			return err
		}
	} else {
		checkMotion(b, votes, problem)
	}
	if b.Voted != len(votes) {
		problem("ballot_voters", "ballot_id="+strconv.FormatInt(id, 10),
			"%d members are marked as voted but there are %d votes", b.Voted, len(votes))
	}
	if !b.Secret {
		counted := map[int64]bool{}
		for _, v := range votes {
			switch {
			case v.MemberID == nil:
				problem("ballot_votes", "receipt_hash="+hex.EncodeToString(v.ReceiptHash), "a vote of an open ballot names no member")
			case counted[*v.MemberID]:
				problem("ballot_votes", "receipt_hash="+hex.EncodeToString(v.ReceiptHash), "member %d is counted twice", *v.MemberID)
			}
			if v.MemberID != nil {
				counted[*v.MemberID] = true
			}
		}
	}
	if err := checkMarked(ctx, q, b, len(votes), problem); err != nil {
		return err
	}
	if !b.Decided() {
		return nil
	}
	return checkRecord(ctx, q, b, problem)
}

// checkMarked compares the audit events that mark members as voted with
// the votes and the voting list.
func checkMarked(ctx context.Context, q sqlx.QueryerContext, b Ballot, votes int, problem func(table, row, format string, args ...any)) error {
	marked := map[int64]int64{}
	var after int64
	events := 0
	for {
		page, err := audit.List(ctx, q, audit.Filter{AfterSeq: after, Limit: audit.MaxListLimit, Action: "ballot.voted", Subject: subject(b.ID)})
		if err != nil {
			return err
		}
		for _, e := range page {
			events++
			var p struct {
				MemberID int64 `json:"member_id"`
			}
			if err := json.Unmarshal(e.Payload, &p); err != nil || p.MemberID == 0 {
				problem("audit_events", fmt.Sprintf("seq=%d", e.Seq), "the event marking a member as voted names no member")
				continue
			}
			if first, ok := marked[p.MemberID]; ok {
				problem("audit_events", fmt.Sprintf("seq=%d", e.Seq), "member %d is marked as voted twice (first at seq %d)", p.MemberID, first)
				continue
			}
			marked[p.MemberID] = e.Seq
		}
		if len(page) < audit.MaxListLimit {
			break
		}
		after = page[len(page)-1].Seq
	}
	if events != votes {
		problem("audit_events", "subject="+subject(b.ID), "the audit log marks %d members as voted but there are %d votes", events, votes)
	}
	list, err := votersOf(ctx, q, b.ID)
	if err != nil {
		return err
	}
	for _, v := range list {
		if _, ok := marked[v.MemberID]; ok != v.Voted {
			problem("ballot_voters", fmt.Sprintf("ballot_id=%d,member_id=%d", b.ID, v.MemberID),
				"the voting list says voted=%v, the audit log the opposite", v.Voted)
		}
		delete(marked, v.MemberID)
	}
	for member := range marked {
		problem("audit_events", fmt.Sprintf("seq=%d", marked[member]), "member %d is marked as voted but is not on the voting list", member)
	}
	return nil
}

// checkRecord rebuilds a decided ballot's record and compares its hash
// with the stored one and with the audit event printed on the record.
func checkRecord(ctx context.Context, q sqlx.QueryerContext, b Ballot, problem func(table, row, format string, args ...any)) error {
	row := "id=" + strconv.FormatInt(b.ID, 10)
	rec, err := recordOf(ctx, q, b)
	if err != nil {
		problem("ballots", row, "its record cannot be rebuilt: %v", err)
		return nil
	}
	sum, err := rec.Hash()
	if err != nil {
		return err
	}
	if b.RecordHash == nil || hex.EncodeToString(sum) != *b.RecordHash {
		problem("ballots", row, "the record rebuilt from the votes has hash %x, not the record_hash stored", sum)
	}
	if b.ChainHead == nil {
		problem("ballots", row, "no chain head is printed on the record")
		return nil
	}
	page, err := audit.List(ctx, q, audit.Filter{AfterSeq: b.ChainHead.Seq - 1, Limit: 1})
	if err != nil {
		return err
	}
	if len(page) == 0 || page[0].Seq != b.ChainHead.Seq {
		problem("ballots", row, "the chain head printed on the record, seq %d, is not in the audit log", b.ChainHead.Seq)
		return nil
	}
	e := page[0]
	if e.Hash.String() != b.ChainHead.Hash {
		problem("ballots", row, "the chain head printed on the record has hash %s, the audit event %s", b.ChainHead.Hash, e.Hash)
	}
	var p struct {
		RecordHash string `json:"record_hash"`
	}
	if e.Subject != subject(b.ID) || (e.Action != "ballot.closed" && e.Action != "ballot.decided") ||
		json.Unmarshal(e.Payload, &p) != nil || p.RecordHash != hex.EncodeToString(sum) {
		problem("audit_events", fmt.Sprintf("seq=%d", e.Seq), "the event printed on the record does not carry the record's hash %x", sum)
	}
	return nil
}

// checkMotion recounts a motion's votes and recomputes its outcome.
func checkMotion(b Ballot, votes []voteRow, problem func(table, row, format string, args ...any)) {
	id := b.ID
	ballotRow := "id=" + strconv.FormatInt(id, 10)
	t := tallyOf(votes)
	stored := *b.Result
	if t.For != stored.For || t.Against != stored.Against || t.Abstain != stored.Abstain || stored.Voted != len(votes) {
		problem("ballot_votes", "ballot_id="+strconv.FormatInt(id, 10),
			"the votes count %d for, %d against and %d abstaining (%d in all); the result says %d, %d and %d (%d)",
			t.For, t.Against, t.Abstain, len(votes), stored.For, stored.Against, stored.Abstain, stored.Voted)
	}
	again := Decide(t, b.Majority, b.MinVotes, b.Eligible, b.CastingVote)
	if again.Outcome != stored.Outcome || again.AwaitingCastingVote != stored.AwaitingCastingVote || again.QuorumMet != stored.QuorumMet {
		problem("ballots", ballotRow, "the votes give the outcome %q, the result says %q", OutcomeLabel(string(again.Outcome)), OutcomeLabel(string(stored.Outcome)))
	}
}

// checkElection recounts an election and redraws its lot from the audit
// chain head just before the event that closed it.
func checkElection(ctx context.Context, q sqlx.QueryerContext, b Ballot, votes []voteRow, problem func(table, row, format string, args ...any)) error {
	row := "id=" + strconv.FormatInt(b.ID, 10)
	stored := b.Result.Election
	if stored == nil {
		problem("ballots", row, "the election was closed without an election count")
		return nil
	}
	if b.ChainHead == nil {
		problem("ballots", row, "no chain head is printed on the record, so its lot cannot be redrawn")
		return nil
	}
	// The event that closed the ballot chains onto the head the lot was
	// drawn from.
	page, err := audit.List(ctx, q, audit.Filter{AfterSeq: b.ChainHead.Seq - 1, Limit: 1})
	if err != nil {
		return err
	}
	if len(page) == 0 || page[0].Seq != b.ChainHead.Seq {
		problem("ballots", row, "the event that closed the election, seq %d, is missing, so the lot cannot be redrawn", b.ChainHead.Seq)
		return nil
	}
	seed := []byte(page[0].PrevHash)
	again := Plurality(electionVotes(votes), b.CandidateIDs, b.Seats, b.MinVotes, b.Eligible, seed)
	if !again.SameCount(*stored) {
		problem("ballot_votes", "ballot_id="+strconv.FormatInt(b.ID, 10),
			"the votes and the lot drawn from seed %x elect %v (lot %+v); the result says %v (lot %+v)",
			seed, again.Elected(), again.Lot, stored.Elected(), stored.Lot)
	}
	if len(votes) != stored.Cast+stored.Blank {
		problem("ballots", row, "there are %d votes; the result counts %d", len(votes), stored.Cast+stored.Blank)
	}
	return nil
}
