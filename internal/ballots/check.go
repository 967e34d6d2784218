package ballots

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/audit"
)

// Check is the ballots' part of `osk verify` (internal/auditor): for every
// closed ballot, and every ballot the audit log records as closed, it
// recounts the votes and recomputes the outcome; checks that the number of
// votes equals the number of members marked as voted on the voting list
// and in the audit log, that no member was marked or counted twice, that
// each member marked as voted is marked by the account and in the way the
// voting list says, and, in an open ballot, that each vote is the one the
// audit log recorded; that a secret ballot's votes name nobody; that the
// voting list still hashes to the hash fixed when the ballot opened, and
// gives each member the number the register gave them at admission; and
// for a decided ballot that the record rebuilt from the database has the
// hash stored with it, and that the audit event printed on the record as
// the chain head carries that hash.
//
// When the report covers one meeting (an export bundle), only that
// meeting's ballots are expected; when it covers a segment of the log,
// members admitted before it are taken at their word.
func Check(ctx context.Context, q sqlx.QueryerContext, r *audit.Report) error {
	ids, err := closedBallotIDs(ctx, q)
	if err != nil {
		return err
	}
	log, err := readLog(ctx, q)
	if err != nil {
		return err
	}
	stored := map[int64]bool{}
	for _, id := range ids {
		stored[id] = true
	}
	recorded := make([]int64, 0, len(log.closed))
	for id := range log.closed {
		recorded = append(recorded, id)
	}
	slices.Sort(recorded)
	for _, id := range recorded {
		opened, known := log.opened[id]
		if stored[id] || (r.MeetingID != 0 && (!known || opened.MeetingID != r.MeetingID)) {
			continue
		}
		seq := log.closed[id]
		r.Add(audit.Problem{Seq: seq, Table: "ballots", Row: "id=" + strconv.FormatInt(id, 10),
			Reason: fmt.Sprintf("ballot %d: the audit log records its close at seq %d, but it is not stored as closed", id, seq)})
	}
	for _, id := range ids {
		if err := checkBallot(ctx, q, id, log, r); err != nil {
			return err
		}
	}
	r.Count("ballots", len(ids))
	return nil
}

// ballotLog is what the audit log says of ballots and of the register.
type ballotLog struct {
	// opened and closed are the events that opened and closed each ballot
	// (the first close, for a ballot decided by a casting vote later).
	opened map[int64]openedPayload
	closed map[int64]int64
	// admitted gives each member's number and the event that gave it.
	admitted map[int64]admission
}

type openedPayload struct {
	Seq            int64  `json:"-"`
	MeetingID      int64  `json:"meeting_id"`
	Eligible       int    `json:"eligible"`
	VotingListHash string `json:"voting_list_hash"`
}

type admission struct {
	seq      int64
	memberNo int
}

func readLog(ctx context.Context, q sqlx.QueryerContext) (ballotLog, error) {
	l := ballotLog{opened: map[int64]openedPayload{}, closed: map[int64]int64{}, admitted: map[int64]admission{}}
	err := audit.Each(ctx, q, audit.Filter{Action: "ballot.opened"}, func(e audit.Entry) {
		var p openedPayload
		if id, ok := audit.SubjectID(e.Subject, "ballot"); ok && json.Unmarshal(e.Payload, &p) == nil {
			p.Seq = e.Seq
			l.opened[id] = p
		}
	})
	if err != nil {
		return ballotLog{}, err
	}
	for _, action := range []string{"ballot.closed", "ballot.decided"} {
		err := audit.Each(ctx, q, audit.Filter{Action: action}, func(e audit.Entry) {
			if id, ok := audit.SubjectID(e.Subject, "ballot"); ok {
				if seq, seen := l.closed[id]; !seen || e.Seq < seq {
					l.closed[id] = e.Seq
				}
			}
		})
		if err != nil {
			return ballotLog{}, err
		}
	}
	err = audit.Each(ctx, q, audit.Filter{Action: "member.admitted"}, func(e audit.Entry) {
		var p struct {
			MemberNo int `json:"member_no"`
		}
		if id, ok := audit.SubjectID(e.Subject, "member"); ok && json.Unmarshal(e.Payload, &p) == nil {
			l.admitted[id] = admission{seq: e.Seq, memberNo: p.MemberNo}
		}
	})
	if err != nil {
		return ballotLog{}, err
	}
	return l, nil
}

type problemFunc func(table, row, format string, args ...any)

func checkBallot(ctx context.Context, q sqlx.QueryerContext, id int64, log ballotLog, r *audit.Report) error {
	b, err := getBallot(ctx, q, id, noLock)
	if err != nil {
		return err
	}
	var seq int64
	if b.ChainHead != nil {
		seq = b.ChainHead.Seq
	}
	problem := func(table, row, format string, args ...any) {
		r.Add(audit.Problem{Seq: seq, Table: table, Row: row, Reason: fmt.Sprintf("ballot %d: ", id) + fmt.Sprintf(format, args...)})
	}
	ballotRow := "id=" + strconv.FormatInt(id, 10)
	votes, err := votesOf(ctx, q, id)
	if err != nil {
		return err
	}
	list, err := votersOf(ctx, q, id)
	if err != nil {
		return err
	}
	if err := checkList(b, list, log, r.Anchor == nil, problem); err != nil {
		return err
	}
	if b.Result == nil {
		problem("ballots", ballotRow, "closed without a result")
		return nil
	}
	// The event printed on the record as the chain head: the one that
	// decided the ballot, whose prev_hash seeded an election's lot.
	var printed *audit.Entry
	if b.ChainHead != nil {
		page, err := audit.List(ctx, q, audit.Filter{AfterSeq: b.ChainHead.Seq - 1, Limit: 1})
		if err != nil {
			return err
		}
		if len(page) == 1 && page[0].Seq == b.ChainHead.Seq {
			printed = &page[0]
		}
	}
	if b.Kind == KindElection {
		checkElection(b, votes, printed, problem)
	} else {
		checkMotion(b, votes, problem)
	}
	if b.Voted != len(votes) {
		problem("ballot_voters", "ballot_id="+strconv.FormatInt(id, 10),
			"%d members are marked as voted but there are %d votes", b.Voted, len(votes))
	}
	marks, err := checkMarked(ctx, q, b, list, len(votes), problem)
	if err != nil {
		return err
	}
	checkVotes(b, votes, marks, problem)
	if !b.Decided() {
		return nil
	}
	return checkRecord(b, votes, list, printed, problem)
}

// checkList compares the voting list with the hash and the size fixed when
// the ballot opened, and each member's number with the one the register
// gave them at admission. whole says that the log holds every admission.
func checkList(b Ballot, list []Voter, log ballotLog, whole bool, problem problemFunc) error {
	listRow := "ballot_id=" + strconv.FormatInt(b.ID, 10)
	sum, err := votingListHash(list)
	if err != nil {
		return err
	}
	if !bytes.Equal(sum, b.VotingListHash) || len(list) != b.Eligible {
		problem("ballot_voters", listRow, "the voting list of %d members hashes to %x; the ballot opened with %d members and voting_list_hash %x",
			len(list), sum, b.Eligible, b.VotingListHash)
	}
	opened, ok := log.opened[b.ID]
	switch {
	case !ok:
		problem("ballots", "id="+strconv.FormatInt(b.ID, 10), "no audit event records its opening")
	case opened.VotingListHash != hex.EncodeToString(b.VotingListHash) || opened.Eligible != b.Eligible || opened.MeetingID != b.MeetingID:
		problem("ballots", "id="+strconv.FormatInt(b.ID, 10), "it is stored as opened in meeting %d with %d members and voting_list_hash %x; the audit log recorded meeting %d, %d members and %s at seq %d",
			b.MeetingID, b.Eligible, b.VotingListHash, opened.MeetingID, opened.Eligible, opened.VotingListHash, opened.Seq)
	}
	for _, v := range list {
		row := fmt.Sprintf("ballot_id=%d,member_id=%d", b.ID, v.MemberID)
		adm, ok := log.admitted[v.MemberID]
		switch {
		case ok && adm.memberNo != v.MemberNo:
			problem("ballot_voters", row, "the voting list gives member %d the number %d; the register gave them %d at admission (seq %d)",
				v.MemberID, v.MemberNo, adm.memberNo, adm.seq)
		case !ok && whole:
			problem("ballot_voters", row, "member %d is on the voting list, but the audit log records no admission of theirs", v.MemberID)
		}
	}
	return nil
}

// mark is an audit event that marked a member as voted.
type mark struct {
	seq        int64
	actor      *int64
	castBy     string
	choice     string
	candidates []int64
}

// checkMarked compares the audit events that mark members as voted with
// the votes and the voting list, and returns those events by member.
func checkMarked(ctx context.Context, q sqlx.QueryerContext, b Ballot, list []Voter, votes int, problem problemFunc) (map[int64]mark, error) {
	marked := map[int64]mark{}
	events := 0
	err := audit.Each(ctx, q, audit.Filter{Action: "ballot.voted", Subject: subject(b.ID)}, func(e audit.Entry) {
		events++
		var p struct {
			MemberID   int64   `json:"member_id"`
			CastBy     string  `json:"cast_by"`
			Choice     string  `json:"choice"`
			Candidates []int64 `json:"candidates"`
		}
		if err := json.Unmarshal(e.Payload, &p); err != nil || p.MemberID == 0 {
			problem("audit_events", fmt.Sprintf("seq=%d", e.Seq), "the event marking a member as voted names no member")
			return
		}
		if first, ok := marked[p.MemberID]; ok {
			problem("audit_events", fmt.Sprintf("seq=%d", e.Seq), "member %d is marked as voted twice (first at seq %d)", p.MemberID, first.seq)
			return
		}
		marked[p.MemberID] = mark{seq: e.Seq, actor: e.ActorAccountID, castBy: p.CastBy, choice: p.Choice, candidates: p.Candidates}
	})
	if err != nil {
		return nil, err
	}
	if events != votes {
		problem("audit_events", "subject="+subject(b.ID), "the audit log marks %d members as voted but there are %d votes", events, votes)
	}
	unlisted := make(map[int64]bool, len(marked))
	for member := range marked {
		unlisted[member] = true
	}
	for _, v := range list {
		row := fmt.Sprintf("ballot_id=%d,member_id=%d", b.ID, v.MemberID)
		m, ok := marked[v.MemberID]
		delete(unlisted, v.MemberID)
		if ok != v.Voted {
			problem("ballot_voters", row, "the voting list says voted=%v, the audit log the opposite", v.Voted)
			continue
		}
		if !ok {
			continue
		}
		if m.castBy != v.CastBy || m.actor == nil || *m.actor != v.VoterAccountID {
			problem("ballot_voters", row, "the voting list has member %d's vote cast by account %d (%s); the audit log recorded it cast by %s (%s) at seq %d",
				v.MemberID, v.VoterAccountID, v.CastBy, accountName(m.actor), m.castBy, m.seq)
		}
	}
	members := make([]int64, 0, len(unlisted))
	for member := range unlisted {
		members = append(members, member)
	}
	slices.Sort(members)
	for _, member := range members {
		problem("audit_events", fmt.Sprintf("seq=%d", marked[member].seq), "member %d is marked as voted but is not on the voting list", member)
	}
	return marked, nil
}

func accountName(id *int64) string {
	if id == nil {
		return "Osk itself"
	}
	return "account " + strconv.FormatInt(*id, 10)
}

// checkVotes checks each vote on its own: a secret ballot's votes name
// nobody; an open ballot's name their member once, and say what the audit
// log recorded when the member voted.
func checkVotes(b Ballot, votes []voteRow, marks map[int64]mark, problem problemFunc) {
	counted := map[int64]bool{}
	for _, v := range votes {
		row := "receipt_hash=" + hex.EncodeToString(v.ReceiptHash)
		if b.Secret {
			if v.MemberID != nil || v.CastByAccountID != nil {
				problem("ballot_votes", row, "a vote of a secret ballot names member %s and %s", optional(v.MemberID), accountName(v.CastByAccountID))
			}
			continue
		}
		switch {
		case v.MemberID == nil:
			problem("ballot_votes", row, "a vote of an open ballot names no member")
			continue
		case counted[*v.MemberID]:
			problem("ballot_votes", row, "member %d is counted twice", *v.MemberID)
			continue
		}
		counted[*v.MemberID] = true
		m, ok := marks[*v.MemberID]
		if !ok {
			problem("ballot_votes", row, "the vote names member %d, whom the audit log does not mark as voted", *v.MemberID)
			continue
		}
		same := v.Choice.String == m.choice
		if b.Kind == KindElection {
			same = sameCandidates(v.CandidateIDs, m.candidates)
		}
		if !same || v.CastByAccountID == nil || m.actor == nil || *v.CastByAccountID != *m.actor {
			problem("ballot_votes", row, "member %d's vote, cast by %s, says %s; the audit log recorded %s, cast by %s, at seq %d",
				*v.MemberID, accountName(v.CastByAccountID), voteWords(v.Choice.String, v.CandidateIDs, b.Kind),
				voteWords(m.choice, m.candidates, b.Kind), accountName(m.actor), m.seq)
		}
	}
}

func optional(id *int64) string {
	if id == nil {
		return "none"
	}
	return strconv.FormatInt(*id, 10)
}

func sameCandidates(a, b []int64) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

func voteWords(choice string, candidates []int64, kind string) string {
	if kind == KindElection {
		return fmt.Sprintf("candidates %v", candidates)
	}
	return strconv.Quote(choice)
}

// checkRecord rebuilds a decided ballot's record from its votes and its
// voting list, and compares its hash with the stored one and with the
// audit event printed on the record.
func checkRecord(b Ballot, votes []voteRow, list []Voter, printed *audit.Entry, problem problemFunc) error {
	row := "id=" + strconv.FormatInt(b.ID, 10)
	var voted []int
	var numbers map[int64]int
	if !b.Secret {
		numbers = make(map[int64]int, len(list))
	}
	for _, v := range list {
		if v.Voted {
			voted = append(voted, v.MemberNo)
		}
		if numbers != nil {
			numbers[v.MemberID] = v.MemberNo
		}
	}
	if voted == nil {
		voted = []int{}
	}
	// The list comes in order of member number, as the record lists them.
	rec, err := buildRecord(b, votes, voted, numbers)
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
	if printed == nil {
		problem("ballots", row, "the chain head printed on the record, seq %d, is not in the audit log", b.ChainHead.Seq)
		return nil
	}
	e := *printed
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
func checkMotion(b Ballot, votes []voteRow, problem problemFunc) {
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
// chain head just before the event that decided it, printed on its record.
func checkElection(b Ballot, votes []voteRow, printed *audit.Entry, problem problemFunc) {
	row := "id=" + strconv.FormatInt(b.ID, 10)
	stored := b.Result.Election
	switch {
	case stored == nil:
		problem("ballots", row, "the election was closed without an election count")
		return
	case b.ChainHead == nil:
		problem("ballots", row, "no chain head is printed on the record, so its lot cannot be redrawn")
		return
	case printed == nil:
		problem("ballots", row, "the event that closed the election, seq %d, is missing, so the lot cannot be redrawn", b.ChainHead.Seq)
		return
	}
	seed := []byte(printed.PrevHash)
	again := Plurality(electionVotes(votes), b.CandidateIDs, b.Seats, b.MinVotes, b.Eligible, seed)
	if !again.SameCount(*stored) {
		problem("ballot_votes", "ballot_id="+strconv.FormatInt(b.ID, 10),
			"the votes and the lot drawn from seed %x elect %v (lot %+v); the result says %v (lot %+v)",
			seed, again.Elected(), again.Lot, stored.Elected(), stored.Lot)
	}
	if len(votes) != stored.Cast+stored.Blank {
		problem("ballots", row, "there are %d votes; the result counts %d", len(votes), stored.Cast+stored.Blank)
	}
}
