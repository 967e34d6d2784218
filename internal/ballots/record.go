package ballots

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/errs"
)

// Record is the public ballot record of SPEC.md, the body of GET
// /api/v1/ballots/{id}/record. Its record_hash is the hex SHA-256 of the
// canonical JSON (internal/audit/CANONICAL.md) of the object made of its
// first four members, ballot, result, votes and voters, exactly as served:
// anyone can recount the votes and recompute the hash. The hash is in the
// audit event that decided the ballot, and chain_head is that event,
// printed on the record so that the chain is anchored outside the
// database. Auditors also get the voting list, whose hash is
// ballot.voting_list_hash.
type Record struct {
	Ballot     RecordBallot `json:"ballot"`
	Result     Result       `json:"result"`
	Votes      []RecordVote `json:"votes"`
	Voters     []int        `json:"voters"`
	RecordHash string       `json:"record_hash"`
	ChainHead  ChainHead    `json:"chain_head"`
	Eligible   []listEntry  `json:"eligible,omitempty"`
}

// RecordBallot is the ballot as its record states it, times in the audit
// log's format.
type RecordBallot struct {
	ID             int64   `json:"id"`
	MeetingID      int64   `json:"meeting_id"`
	Kind           string  `json:"kind"`
	MotionID       *int64  `json:"motion_id"`
	ElectionID     *int64  `json:"election_id"`
	Majority       string  `json:"majority,omitempty"`
	Seats          int     `json:"seats,omitempty"`
	CandidateIDs   []int64 `json:"candidate_ids,omitempty"`
	Secret         bool    `json:"secret"`
	Electorate     string  `json:"electorate"`
	Status         string  `json:"status"`
	RecordDate     string  `json:"record_date"`
	OpenedAt       string  `json:"opened_at"`
	ClosesAt       *string `json:"closes_at"`
	ClosedAt       string  `json:"closed_at"`
	DecidedAt      string  `json:"decided_at"`
	Eligible       int     `json:"eligible"`
	Voted          int     `json:"voted"`
	VotingListHash string  `json:"voting_list_hash"`
}

// RecordVote is one vote on the record: the hash of its receipt and what
// it says; in an open ballot, also whose it is.
type RecordVote struct {
	ReceiptHash string  `json:"receipt_hash"`
	Choice      string  `json:"choice,omitempty"`
	Candidates  []int64 `json:"candidates,omitempty"`
	MemberNo    int     `json:"member_no,omitempty"`
	// Election marks a vote of an election, whose candidates are always
	// written, as [] for a blank vote.
	Election bool `json:"-"`
}

// MarshalJSON writes an election's vote with its candidates even when
// blank, and a motion's vote without them.
func (v RecordVote) MarshalJSON() ([]byte, error) {
	if !v.Election {
		type plain RecordVote
		return json.Marshal(plain(v))
	}
	candidates := v.Candidates
	if candidates == nil {
		candidates = []int64{}
	}
	return json.Marshal(struct {
		ReceiptHash string  `json:"receipt_hash"`
		Candidates  []int64 `json:"candidates"`
		MemberNo    int     `json:"member_no,omitempty"`
	}{v.ReceiptHash, candidates, v.MemberNo})
}

// hashed is the part of the record its hash covers.
type hashed struct {
	Ballot RecordBallot `json:"ballot"`
	Result Result       `json:"result"`
	Votes  []RecordVote `json:"votes"`
	Voters []int        `json:"voters"`
}

// Hash computes the record's hash from its content.
func (r Record) Hash() ([]byte, error) {
	b, err := audit.Marshal(hashed{Ballot: r.Ballot, Result: r.Result, Votes: r.Votes, Voters: r.Voters})
	if err != nil {
		return nil, fmt.Errorf("ballots: record %d: %w", r.Ballot.ID, err)
	}
	sum := sha256.Sum256(b)
	return sum[:], nil
}

// buildRecord writes the record of a decided ballot from its votes (in
// order of receipt hash), the member numbers of those who voted, and, for
// an open ballot, the member numbers of the list by member id.
func buildRecord(b Ballot, votes []voteRow, voters []int, numbers map[int64]int) (Record, error) {
	rb, err := recordBallot(b, len(voters))
	if err != nil {
		return Record{}, err
	}
	rv := make([]RecordVote, len(votes))
	for i, v := range votes {
		rv[i] = RecordVote{ReceiptHash: hex.EncodeToString(v.ReceiptHash), Choice: v.Choice.String, Candidates: []int64(v.CandidateIDs), Election: b.Kind == KindElection}
		if !b.Secret && v.MemberID != nil {
			no, ok := numbers[*v.MemberID]
			if !ok {
				return Record{}, fmt.Errorf("ballots: record %d: member %d voted but is not on the voting list", b.ID, *v.MemberID)
			}
			rv[i].MemberNo = no
		}
	}
	return Record{Ballot: rb, Result: *b.Result, Votes: rv, Voters: voters}, nil
}

// recordBallot is the ballot as the record of b, decided, states it.
func recordBallot(b Ballot, voted int) (RecordBallot, error) {
	if b.Result == nil || b.ClosedAt == nil || b.DecidedAt == nil {
		return RecordBallot{}, fmt.Errorf("ballots: record %d: the ballot is not decided", b.ID)
	}
	rb := RecordBallot{
		ID: b.ID, MeetingID: b.MeetingID, Kind: b.Kind, MotionID: b.MotionID, ElectionID: b.ElectionID,
		Majority: b.Majority, Seats: b.Seats, CandidateIDs: b.CandidateIDs, Secret: b.Secret, Electorate: b.Electorate,
		Status: b.Status, RecordDate: audit.FormatTime(b.RecordDate), OpenedAt: audit.FormatTime(b.OpenedAt),
		ClosedAt: audit.FormatTime(*b.ClosedAt), DecidedAt: audit.FormatTime(*b.DecidedAt),
		Eligible: b.Eligible, Voted: voted, VotingListHash: hex.EncodeToString(b.VotingListHash),
	}
	if b.ClosesAt != nil {
		t := audit.FormatTime(*b.ClosesAt)
		rb.ClosesAt = &t
	}
	return rb, nil
}

// votesCount is what the close and the casting vote need of a ballot's votes:
// the count, and the votes as the record lists them.
type votesCount struct {
	// votes is the number of votes.
	votes int
	// motion counts a motion's choices; marks are an election's votes,
	// the candidates each marks.
	motion Tally
	marks  [][]int64
	// record is the record's votes, each written as Record.Hash writes it
	// (recordEncoder), comma-separated, in order of receipt hash.
	record []byte
	// voters are the member numbers of those marked as voted, in order.
	voters []int
}

// countVotes reads the votes of b in order of receipt hash, once, for the
// count and for the record, keeping of each only what these need: at a
// hundred thousand votes, loading every vote and then encoding the record
// through encoding/json was a second of the close. The lines marked as
// voted come first, in one row, for the record's voters and, in an open
// ballot, the number of each vote's member; the votes then come straight
// from the index on (ballot_id, receipt_hash), unsorted and unjoined.
func countVotes(ctx context.Context, q sqlx.QueryerContext, b Ballot) (votesCount, error) {
	voted, err := votedOf(ctx, q, b.ID)
	if err != nil {
		return votesCount{}, err
	}
	var numberOf map[int64]int
	if !b.Secret {
		numberOf = make(map[int64]int, len(voted.Members))
		for i, member := range voted.Members {
			numberOf[member] = int(voted.Numbers[i])
		}
	}
	// The receipt hash comes as the record writes it, in hex. A secret
	// ballot's votes name nobody, and its record no member.
	rows, err := q.QueryContext(ctx, `
		SELECT encode(receipt_hash, 'hex'), choice, candidate_ids, member_id
		FROM ballot_votes WHERE ballot_id = $1
		ORDER BY receipt_hash`, b.ID)
	if err != nil {
		return votesCount{}, fmt.Errorf("ballots: votes of %d: %w", b.ID, err)
	}
	defer rows.Close()
	// About a hundred bytes a vote: growing the record from nothing
	// copied it over and over.
	out := votesCount{record: make([]byte, 0, 128*len(voted.Numbers)), voters: voted.voters()}
	enc := recordEncoder{election: b.Kind == KindElection}
	for rows.Next() {
		var (
			receipt    string
			choice     sql.NullString
			candidates pq.Int64Array
			member     sql.NullInt64
		)
		if err := rows.Scan(&receipt, &choice, &candidates, &member); err != nil {
			return votesCount{}, fmt.Errorf("ballots: votes of %d: %w", b.ID, err)
		}
		switch choice.String {
		case ChoiceFor:
			out.motion.For++
		case ChoiceAgainst:
			out.motion.Against++
		case ChoiceAbstain:
			out.motion.Abstain++
		}
		if enc.election {
			out.marks = append(out.marks, []int64(candidates))
		}
		v := RecordVote{ReceiptHash: receipt, Choice: choice.String, Candidates: candidates, Election: enc.election}
		if !b.Secret && member.Valid {
			no, ok := numberOf[member.Int64]
			if !ok {
				return votesCount{}, fmt.Errorf("ballots: record %d: member %d voted but is not marked as voted on the voting list", b.ID, member.Int64)
			}
			v.MemberNo = no
		}
		if out.votes > 0 {
			out.record = append(out.record, ',')
		}
		if out.record, err = enc.append(out.record, v); err != nil {
			return votesCount{}, fmt.Errorf("ballots: record %d: %w", b.ID, err)
		}
		out.votes++
	}
	if err := rows.Err(); err != nil {
		return votesCount{}, fmt.Errorf("ballots: votes of %d: %w", b.ID, err)
	}
	return out, nil
}

// recordEncoder writes a record's votes in canonical JSON
// (internal/audit/CANONICAL.md) by hand, the very bytes audit.Marshal
// writes for a RecordVote: the keys in canonical order (candidates,
// choice, member_no, receipt_hash); an election's candidates always, a
// motion's only when there are some, and neither choice nor member_no
// when empty. Record.Hash stays on audit.Marshal, and Check rebuilds every
// record with it, so that the two are compared on every verify.
type recordEncoder struct {
	election bool
	// choices holds the canonical encoding of each choice met.
	choices map[string][]byte
}

func (e *recordEncoder) append(dst []byte, v RecordVote) ([]byte, error) {
	dst = append(dst, '{')
	if e.election || len(v.Candidates) > 0 {
		dst = append(dst, `"candidates":[`...)
		for i, id := range v.Candidates {
			if id > audit.MaxSafeInteger || id < -audit.MaxSafeInteger {
				return nil, fmt.Errorf("candidate %d: %w", id, audit.ErrNotCanonical)
			}
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = strconv.AppendInt(dst, id, 10)
		}
		dst = append(dst, "],"...)
	}
	if v.Choice != "" && !e.election {
		choice, ok := e.choices[v.Choice]
		if !ok {
			var err error
			if choice, err = audit.Marshal(v.Choice); err != nil {
				return nil, err
			}
			if e.choices == nil {
				e.choices = map[string][]byte{}
			}
			e.choices[v.Choice] = choice
		}
		dst = append(dst, `"choice":`...)
		dst = append(dst, choice...)
		dst = append(dst, ',')
	}
	if v.MemberNo != 0 {
		dst = append(dst, `"member_no":`...)
		dst = strconv.AppendInt(dst, int64(v.MemberNo), 10)
		dst = append(dst, ',')
	}
	dst = append(dst, `"receipt_hash":"`...)
	dst = append(dst, v.ReceiptHash...)
	return append(dst, `"}`...), nil
}

// hashRecord is Record.Hash of the record of b, decided, from its votes as
// countVotes wrote them and the member numbers of those who voted, in
// order: the SHA-256 of {"ballot","result","voters","votes"} in canonical
// JSON.
func hashRecord(b Ballot, votes []byte, voters []int) ([]byte, error) {
	rb, err := recordBallot(b, len(voters))
	if err != nil {
		return nil, err
	}
	ballotJSON, err := audit.Marshal(rb)
	if err != nil {
		return nil, fmt.Errorf("ballots: record %d: %w", b.ID, err)
	}
	resultJSON, err := audit.Marshal(*b.Result)
	if err != nil {
		return nil, fmt.Errorf("ballots: record %d: %w", b.ID, err)
	}
	doc := make([]byte, 0, len(ballotJSON)+len(resultJSON)+len(votes)+8*len(voters)+64)
	doc = append(doc, `{"ballot":`...)
	doc = append(doc, ballotJSON...)
	doc = append(doc, `,"result":`...)
	doc = append(doc, resultJSON...)
	doc = append(doc, `,"voters":[`...)
	for i, no := range voters {
		if i > 0 {
			doc = append(doc, ',')
		}
		doc = strconv.AppendInt(doc, int64(no), 10)
	}
	doc = append(doc, `],"votes":[`...)
	doc = append(doc, votes...)
	doc = append(doc, "]}"...)
	sum := sha256.Sum256(doc)
	return sum[:], nil
}

// recordOf rebuilds a decided ballot's record from the database.
func recordOf(ctx context.Context, q sqlx.QueryerContext, b Ballot) (Record, error) {
	votes, err := votesOf(ctx, q, b.ID)
	if err != nil {
		return Record{}, err
	}
	voted, err := votedOf(ctx, q, b.ID)
	if err != nil {
		return Record{}, err
	}
	var numbers map[int64]int
	if !b.Secret {
		if numbers, err = numbersOf(ctx, q, b.ID); err != nil {
			return Record{}, err
		}
	}
	return buildRecord(b, votes, voted.voters(), numbers)
}

// ErrUndecided is returned for the record of a ballot not yet decided.
var ErrUndecided = fmt.Errorf("ballots: %w", errs.Wrap(errs.Conflict,
	"The ballot record is published once the ballot is decided: when the chair closes it, and after a tie, once the chair has given the casting vote."))

// RecordAs returns the record of a decided ballot to a principal who may
// see the ballot; auditors also get the voting list.
func (s *Service) RecordAs(ctx context.Context, p auth.Principal, id int64) (Record, error) {
	v, err := s.viewerOf(ctx, p)
	if err != nil {
		return Record{}, err
	}
	b, _, err := s.visible(ctx, v, id)
	if err != nil {
		return Record{}, err
	}
	if !b.Decided() || b.RecordHash == nil || b.ChainHead == nil {
		return Record{}, ErrUndecided
	}
	rec, err := recordOf(ctx, s.db, b)
	if err != nil {
		return Record{}, err
	}
	rec.RecordHash, rec.ChainHead = *b.RecordHash, *b.ChainHead
	if p.Has(auth.RoleAuditor) {
		list, err := votersOf(ctx, s.db, id)
		if err != nil {
			return Record{}, err
		}
		rec.Eligible = listEntries(list)
	}
	return rec, nil
}
