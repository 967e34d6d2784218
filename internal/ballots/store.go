package ballots

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
)

const ballotColumns = `id, meeting_id, kind, subject_id, majority, seats, candidate_ids, secret, electorate,
	status, record_date, min_votes, eligible, voting_list_hash, opened_at, opened_by, closes_at,
	closed_at, closed_by, result, casting_vote, decided_at, record_hash, chain_head_seq, chain_head_hash`

// lockMode says how getBallot locks the row. A vote takes it FOR SHARE,
// so that votes run side by side; the close and the casting vote take it
// FOR UPDATE, which waits for every vote in flight to commit and makes
// every later vote wait for the close, then find the ballot closed.
type lockMode string

const (
	noLock        lockMode = ""
	lockForShare  lockMode = " FOR SHARE"
	lockForUpdate lockMode = " FOR UPDATE"
)

// The gate of a ballot is a PostgreSQL advisory lock that every vote holds
// shared and the close holds exclusive, before they lock the ballot's row.
// The row locks alone would let votes starve a close: a FOR SHARE lock is
// granted at once while other FOR SHARE locks are held, even with a FOR
// UPDATE waiting, so under steady voting the close would wait for a lull.
// The lock manager queues the gate fairly: once the close waits for it,
// later votes wait behind the close, then find the ballot closed.
const gateClass = 0x0ba1

func enterGate(ctx context.Context, tx *sqlx.Tx, ballotID int64, exclusive bool) error {
	fn := "pg_advisory_xact_lock_shared"
	if exclusive {
		fn = "pg_advisory_xact_lock"
	}
	// The two-key form takes 32-bit keys: ballot ids fold into them, and
	// two ballots 2^32 apart would merely share a gate.
	if _, err := tx.ExecContext(ctx, `SELECT `+fn+`($1, (($2::bigint % 4294967296) - 2147483648)::integer)`, gateClass, ballotID); err != nil {
		return fmt.Errorf("ballots: gate of %d: %w", ballotID, err)
	}
	return nil
}

type ballotRow struct {
	ID             int64          `db:"id"`
	MeetingID      int64          `db:"meeting_id"`
	Kind           string         `db:"kind"`
	SubjectID      int64          `db:"subject_id"`
	Majority       sql.NullString `db:"majority"`
	Seats          sql.NullInt64  `db:"seats"`
	CandidateIDs   pq.Int64Array  `db:"candidate_ids"`
	Secret         bool           `db:"secret"`
	Electorate     string         `db:"electorate"`
	Status         string         `db:"status"`
	RecordDate     time.Time      `db:"record_date"`
	MinVotes       int            `db:"min_votes"`
	Eligible       int            `db:"eligible"`
	VotingListHash []byte         `db:"voting_list_hash"`
	OpenedAt       time.Time      `db:"opened_at"`
	OpenedBy       *int64         `db:"opened_by"`
	ClosesAt       *time.Time     `db:"closes_at"`
	ClosedAt       *time.Time     `db:"closed_at"`
	ClosedBy       *int64         `db:"closed_by"`
	Result         []byte         `db:"result"`
	CastingVote    sql.NullString `db:"casting_vote"`
	DecidedAt      *time.Time     `db:"decided_at"`
	RecordHash     []byte         `db:"record_hash"`
	ChainHeadSeq   *int64         `db:"chain_head_seq"`
	ChainHeadHash  []byte         `db:"chain_head_hash"`
}

func (r ballotRow) ballot() (Ballot, error) {
	b := Ballot{
		ID: r.ID, MeetingID: r.MeetingID, Kind: r.Kind, SubjectID: r.SubjectID, Majority: r.Majority.String,
		Seats: int(r.Seats.Int64), CandidateIDs: []int64(r.CandidateIDs), Secret: r.Secret, Electorate: r.Electorate,
		Status: r.Status, RecordDate: r.RecordDate.UTC(), MinVotes: r.MinVotes, Eligible: r.Eligible,
		VotingListHash: r.VotingListHash, OpenedAt: r.OpenedAt.UTC(), OpenedBy: r.OpenedBy,
		ClosesAt: utc(r.ClosesAt), ClosedAt: utc(r.ClosedAt), ClosedBy: r.ClosedBy, CastingVote: r.CastingVote.String,
		DecidedAt: utc(r.DecidedAt),
	}
	id := r.SubjectID
	switch r.Kind {
	case KindMotion:
		b.MotionID = &id
	case KindElection:
		b.ElectionID = &id
	}
	if r.Result != nil {
		var res Result
		if err := json.Unmarshal(r.Result, &res); err != nil {
			return Ballot{}, fmt.Errorf("ballots: result of %d: %w", r.ID, err)
		}
		b.Result = &res
	}
	if r.RecordHash != nil {
		h := hex.EncodeToString(r.RecordHash)
		b.RecordHash = &h
	}
	if r.ChainHeadSeq != nil {
		b.ChainHead = &ChainHead{Seq: *r.ChainHeadSeq, Hash: hex.EncodeToString(r.ChainHeadHash)}
	}
	return b, nil
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// getBallot loads a ballot with its turnout.
func getBallot(ctx context.Context, q sqlx.QueryerContext, id int64, lock lockMode) (Ballot, error) {
	var row ballotRow
	err := sqlx.GetContext(ctx, q, &row, `SELECT `+ballotColumns+` FROM ballots WHERE id = $1`+string(lock), id)
	if errors.Is(err, sql.ErrNoRows) {
		return Ballot{}, ErrNotFound
	}
	if err != nil {
		return Ballot{}, fmt.Errorf("ballots: get %d: %w", id, err)
	}
	b, err := row.ballot()
	if err != nil {
		return Ballot{}, err
	}
	if b.Voted, err = votedCount(ctx, q, id); err != nil {
		return Ballot{}, err
	}
	return b, nil
}

// votedCount counts the members marked as voted, from the partial index.
func votedCount(ctx context.Context, q sqlx.QueryerContext, id int64) (int, error) {
	var n int
	if err := sqlx.GetContext(ctx, q, &n, `SELECT count(*) FROM ballot_voters WHERE ballot_id = $1 AND voted`, id); err != nil {
		return 0, fmt.Errorf("ballots: turnout of %d: %w", id, err)
	}
	return n, nil
}

func insertBallot(ctx context.Context, tx *sqlx.Tx, b Ballot) (int64, error) {
	var majority sql.NullString
	var seats sql.NullInt64
	var candidates pq.Int64Array
	if b.Kind == KindMotion {
		majority = sql.NullString{String: b.Majority, Valid: true}
	} else {
		seats = sql.NullInt64{Int64: int64(b.Seats), Valid: true}
		candidates = pq.Int64Array(b.CandidateIDs)
	}
	var id int64
	err := tx.GetContext(ctx, &id, `
		INSERT INTO ballots (meeting_id, kind, subject_id, majority, seats, candidate_ids, secret, electorate,
			record_date, min_votes, eligible, voting_list_hash, opened_at, opened_by, closes_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
		RETURNING id`,
		b.MeetingID, b.Kind, b.SubjectID, majority, seats, candidates, b.Secret, b.Electorate,
		b.RecordDate, b.MinVotes, b.Eligible, b.VotingListHash, b.OpenedAt, b.OpenedBy, b.ClosesAt)
	if err != nil {
		return 0, fmt.Errorf("ballots: open: %w", err)
	}
	return id, nil
}

// bulkWork runs fn inside tx with the settings of a statement over a
// whole voting list or all of a ballot's votes, and then puts them back,
// tx being perhaps another domain's. Such statements are costed far above
// PostgreSQL's JIT thresholds, and compiling them takes longer than it
// saves: a second at a million members. Their sorts and hashes (a
// million lines in order of member number, the list's hash, the register
// joined with its history) spill to disk at the default work_mem of 4 MB;
// 128 MB, as the list's own check has, keeps a million members in memory
// and took about a second off freezing their list (make bench).
func bulkWork(ctx context.Context, tx *sqlx.Tx, fn func() error) error {
	var was struct {
		JIT     string `db:"jit"`
		WorkMem string `db:"work_mem"`
	}
	if err := tx.GetContext(ctx, &was, `SELECT current_setting('jit') AS jit, current_setting('work_mem') AS work_mem`); err != nil {
		return fmt.Errorf("ballots: settings: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `SELECT set_config('jit', 'off', true), set_config('work_mem', '128MB', true)`); err != nil {
		return fmt.Errorf("ballots: settings: %w", err)
	}
	if err := fn(); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `SELECT set_config('jit', $1, true), set_config('work_mem', $2, true)`, was.JIT, was.WorkMem); err != nil {
		return fmt.Errorf("ballots: settings: %w", err)
	}
	return nil
}

// listHashSQL is votingListHash computed by the database over the rows of
// listed: the SHA-256 of the canonical JSON of [{"cast_by","member_no"},
// ...] in order of member number. cast_by is one of three words and
// member_no a positive integer (ballot_voters' CHECKs), which canonical
// JSON writes as they are, so plain concatenation is the canonical
// encoding. Check recomputes the hash in Go from the stored list.
const listHashSQL = `sha256(convert_to('[' || coalesce(string_agg(
	'{"cast_by":"' || cast_by || '","member_no":' || member_no || '}', ',' ORDER BY member_no), '') || ']', 'UTF8'))`

// frozenList is the size and the hash of a voting list just written.
type frozenList struct {
	Eligible int    `db:"eligible"`
	Hash     []byte `db:"hash"`
}

// insertElectors writes the voting list of a ballot of all members inside
// the transaction that opens it, which alone may: every elector at the
// record date (members.AllElectorsQuery), each casting their own vote, an
// organisation's through its representative. One statement selects,
// writes and hashes the list, so that a million lines never travel
// through the application. The lines are written in order of member
// number, which members' ids and accounts mostly follow, so that the
// writes to the list's indexes stay near their right edge.
func insertElectors(ctx context.Context, tx *sqlx.Tx, ballotID int64, recordDate time.Time) (frozenList, error) {
	var out frozenList
	err := tx.GetContext(ctx, &out, `
		WITH listed AS (
			INSERT INTO ballot_voters (ballot_id, member_id, member_no, voter_account_id, cast_by)
			SELECT $2, e.id, e.member_no, e.account_id, CASE WHEN e.kind = $3 THEN 'representative' ELSE 'self' END
			FROM (`+members.AllElectorsQuery+`) e
			ORDER BY e.member_no
			RETURNING member_no, cast_by)
		SELECT count(*) AS eligible, `+listHashSQL+` AS hash FROM listed`,
		recordDate, ballotID, members.KindOrganisation)
	if err != nil {
		return frozenList{}, fmt.Errorf("ballots: voting list of %d: %w", ballotID, err)
	}
	return out, nil
}

// insertRepresented writes the voting list of a ballot of the members
// represented at the meeting, as insertElectors does: the electors at the
// record date among those represented, each with who casts their vote.
func insertRepresented(ctx context.Context, tx *sqlx.Tx, ballotID int64, recordDate time.Time, reps []meetings.Representation) (frozenList, error) {
	ids := make([]int64, len(reps))
	accounts := make([]int64, len(reps))
	proxied := make([]bool, len(reps))
	proxies := make([]sql.NullInt64, len(reps))
	for i, r := range reps {
		ids[i], accounts[i], proxied[i] = r.MemberID, r.VoterAccountID, r.Via == meetings.ViaProxy
		if proxied[i] && r.ProxyID != nil {
			proxies[i] = sql.NullInt64{Int64: *r.ProxyID, Valid: true}
		}
	}
	var out frozenList
	err := tx.GetContext(ctx, &out, `
		WITH listed AS (
			INSERT INTO ballot_voters (ballot_id, member_id, member_no, voter_account_id, cast_by, proxy_id)
			SELECT $2, e.id, e.member_no, r.account_id,
				CASE WHEN r.proxied THEN 'proxy' WHEN e.kind = $3 THEN 'representative' ELSE 'self' END, r.proxy_id
			FROM (`+members.ElectorsQuery+`) e
			JOIN unnest($4::bigint[], $5::bigint[], $6::boolean[], $7::bigint[]) AS r (member_id, account_id, proxied, proxy_id)
				ON r.member_id = e.id
			ORDER BY e.member_no
			RETURNING member_no, cast_by)
		SELECT count(*) AS eligible, `+listHashSQL+` AS hash FROM listed`,
		recordDate, ballotID, members.KindOrganisation, pq.Array(ids), pq.Array(accounts), pq.Array(proxied), pq.Array(proxies))
	if err != nil {
		return frozenList{}, fmt.Errorf("ballots: voting list of %d: %w", ballotID, err)
	}
	return out, nil
}

// setVotingList fixes the size and the hash of the voting list on the
// ballot's row, which the schema allows only the opening transaction.
func setVotingList(ctx context.Context, tx *sqlx.Tx, ballotID int64, list frozenList) error {
	_, err := tx.ExecContext(ctx, `UPDATE ballots SET eligible = $2, voting_list_hash = $3 WHERE id = $1`, ballotID, list.Eligible, list.Hash)
	if err != nil {
		return fmt.Errorf("ballots: voting list of %d: %w", ballotID, err)
	}
	return nil
}

// insertTurnout starts the ballot's live turnout at nobody, as published
// at the moment given.
func insertTurnout(ctx context.Context, tx *sqlx.Tx, ballotID int64, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO ballot_turnout (ballot_id, voted, published_at) VALUES ($1, 0, $2)`, ballotID, at)
	if err != nil {
		return fmt.Errorf("ballots: turnout of %d: %w", ballotID, err)
	}
	return nil
}

const voterColumns = `ballot_id, member_id, member_no, voter_account_id, cast_by, proxy_id, voted`

// votersOf lists the voting list in order of member number.
func votersOf(ctx context.Context, q sqlx.QueryerContext, ballotID int64) ([]Voter, error) {
	out := []Voter{}
	err := sqlx.SelectContext(ctx, q, &out, `SELECT `+voterColumns+` FROM ballot_voters WHERE ballot_id = $1 ORDER BY member_no`, ballotID)
	if err != nil {
		return nil, fmt.Errorf("ballots: voting list of %d: %w", ballotID, err)
	}
	return out, nil
}

// votersFor lists the members whose vote the account casts in the ballot.
func votersFor(ctx context.Context, q sqlx.QueryerContext, ballotID, accountID int64) ([]Voter, error) {
	out := []Voter{}
	err := sqlx.SelectContext(ctx, q, &out, `SELECT `+voterColumns+` FROM ballot_voters
		WHERE ballot_id = $1 AND voter_account_id = $2 ORDER BY member_no`, ballotID, accountID)
	if err != nil {
		return nil, fmt.Errorf("ballots: voters of account %d in %d: %w", accountID, ballotID, err)
	}
	return out, nil
}

// voterLines lists, for a batch of votes, the lines of the voting list
// whose vote one of the accounts casts, and those of the members named.
func voterLines(ctx context.Context, q sqlx.QueryerContext, ballotID int64, accounts, members []int64) ([]Voter, error) {
	out := []Voter{}
	err := sqlx.SelectContext(ctx, q, &out, `SELECT `+voterColumns+` FROM ballot_voters
		WHERE ballot_id = $1 AND (voter_account_id = ANY($2::bigint[]) OR member_id = ANY($3::bigint[]))
		ORDER BY member_no`, ballotID, pq.Array(accounts), pq.Array(members))
	if err != nil {
		return nil, fmt.Errorf("ballots: voters of a batch in %d: %w", ballotID, err)
	}
	return out, nil
}

// voteMark is a member to mark as voted by the account that casts their vote.
type voteMark struct {
	ballotID, memberID, accountID int64
}

// markManyVoted is markVoted for many members in one statement, in the
// order given, without idempotency keys. It returns the lines it marked;
// a member it leaves out was voted for meanwhile.
func markManyVoted(ctx context.Context, tx *sqlx.Tx, marks []voteMark) ([]Voter, error) {
	ballotIDs := make([]int64, len(marks))
	members := make([]int64, len(marks))
	accounts := make([]int64, len(marks))
	for i, m := range marks {
		ballotIDs[i], members[i], accounts[i] = m.ballotID, m.memberID, m.accountID
	}
	out := []Voter{}
	err := tx.SelectContext(ctx, &out, `
		UPDATE ballot_voters v SET voted = true
		FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS m (ballot_id, member_id, account_id)
		WHERE v.ballot_id = m.ballot_id AND v.member_id = m.member_id AND v.voter_account_id = m.account_id AND NOT v.voted
			AND `+standsToVote+`
		RETURNING v.ballot_id, v.member_id, v.member_no, v.voter_account_id, v.cast_by, v.proxy_id, v.voted`,
		pq.Array(ballotIDs), pq.Array(members), pq.Array(accounts))
	if err != nil {
		return nil, fmt.Errorf("ballots: mark %d members as voted: %w", len(marks), err)
	}
	return out, nil
}

// voterState is one member's line of the voting list, with the key of the
// request that voted.
type voterState struct {
	Voter
	IdempotencyHash []byte `db:"idempotency_hash"`
}

func voterOf(ctx context.Context, q sqlx.QueryerContext, ballotID, memberID int64) (*voterState, error) {
	var v voterState
	err := sqlx.GetContext(ctx, q, &v, `SELECT `+voterColumns+`, idempotency_hash FROM ballot_voters
		WHERE ballot_id = $1 AND member_id = $2`, ballotID, memberID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ballots: voter %d of %d: %w", memberID, ballotID, err)
	}
	return &v, nil
}

// keyOwner returns the member whose vote the account cast with this
// idempotency key in the ballot, nil for none.
func keyOwner(ctx context.Context, q sqlx.QueryerContext, ballotID, accountID int64, keyHash []byte) (*int64, error) {
	var id int64
	err := sqlx.GetContext(ctx, q, &id, `SELECT member_id FROM ballot_voters
		WHERE ballot_id = $1 AND voter_account_id = $2 AND idempotency_hash = $3`, ballotID, accountID, keyHash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ballots: idempotency key in %d: %w", ballotID, err)
	}
	return &id, nil
}

// standsToVote holds, for a line v of a voting list, that its vote may be
// cast now: the list froze who may vote at the opening, but a member
// suspended or gone since has no vote to cast, an organisation's vote is
// no longer cast by a representative it has replaced, and a proxy holder
// who is no longer an active member acts for nobody. Checked in the same
// statement that marks the line, so that nothing slips between the check
// and the mark.
const standsToVote = `EXISTS (SELECT 1 FROM members sm WHERE sm.id = v.member_id AND sm.status = 'active'
		AND (v.cast_by = 'proxy' OR sm.account_id = v.voter_account_id))
	AND (v.cast_by <> 'proxy' OR EXISTS (SELECT 1 FROM meeting_proxies sp JOIN members sh ON sh.id = sp.holder_member_id
		WHERE sp.id = v.proxy_id AND sh.status = 'active' AND sh.account_id = v.voter_account_id))`

// markVoted is the atomic "not yet voted" check: it marks the member as
// voted if, and only if, the account casts their vote, they have not
// voted, and the vote stands (standsToVote). Of two transactions racing for one member, the second waits for
// the first and then finds nothing to mark.
func markVoted(ctx context.Context, tx *sqlx.Tx, ballotID, memberID, accountID int64, keyHash []byte) (*Voter, error) {
	var v Voter
	err := tx.GetContext(ctx, &v, `
		UPDATE ballot_voters v SET voted = true, idempotency_hash = $4
		WHERE v.ballot_id = $1 AND v.member_id = $2 AND v.voter_account_id = $3 AND NOT v.voted AND `+standsToVote+`
		RETURNING `+voterColumns, ballotID, memberID, accountID, keyHash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ballots: mark %d as voted in %d: %w", memberID, ballotID, err)
	}
	return &v, nil
}

// voteRow is one vote as stored.
type voteRow struct {
	ReceiptHash     []byte         `db:"receipt_hash"`
	BallotID        int64          `db:"ballot_id"`
	Choice          sql.NullString `db:"choice"`
	CandidateIDs    pq.Int64Array  `db:"candidate_ids"`
	MemberID        *int64         `db:"member_id"`
	CastByAccountID *int64         `db:"cast_by_account_id"`
}

// votesOf lists a ballot's votes in order of receipt hash.
func votesOf(ctx context.Context, q sqlx.QueryerContext, ballotID int64) ([]voteRow, error) {
	out := []voteRow{}
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT receipt_hash, ballot_id, choice, candidate_ids, member_id, cast_by_account_id
		FROM ballot_votes WHERE ballot_id = $1 ORDER BY receipt_hash`, ballotID)
	if err != nil {
		return nil, fmt.Errorf("ballots: votes of %d: %w", ballotID, err)
	}
	return out, nil
}

// resealVotes rewrites the votes of a secret ballot that is about to
// close, in order of receipt hash. Afterwards neither the physical order
// of the rows nor their transaction ids follow the order in which members
// voted: every row is the close's. One statement deletes and re-inserts
// them, so that the votes never leave the database, and the triggers
// check each half once.
func resealVotes(ctx context.Context, tx *sqlx.Tx, ballotID int64) error {
	if _, err := tx.ExecContext(ctx, `SELECT set_config('osk.sealing_ballot', $1, true)`, fmt.Sprint(ballotID)); err != nil {
		return fmt.Errorf("ballots: seal %d: %w", ballotID, err)
	}
	_, err := tx.ExecContext(ctx, `
		WITH sealed AS (
			DELETE FROM ballot_votes WHERE ballot_id = $1
			RETURNING receipt_hash, ballot_id, choice, candidate_ids, member_id, cast_by_account_id)
		INSERT INTO ballot_votes (receipt_hash, ballot_id, choice, candidate_ids, member_id, cast_by_account_id)
		SELECT receipt_hash, ballot_id, choice, candidate_ids, member_id, cast_by_account_id
		FROM sealed
		ORDER BY receipt_hash`, ballotID)
	if err != nil {
		return fmt.Errorf("ballots: seal %d: %w", ballotID, err)
	}
	if _, err := tx.ExecContext(ctx, `SELECT set_config('osk.sealing_ballot', '', true)`); err != nil {
		return fmt.Errorf("ballots: seal %d: %w", ballotID, err)
	}
	return nil
}

// insertVotes writes votes in one statement, in order of receipt hash.
func insertVotes(ctx context.Context, tx *sqlx.Tx, votes []voteRow) error {
	if len(votes) == 0 {
		return nil
	}
	hashes := make([][]byte, len(votes))
	ballotIDs := make([]int64, len(votes))
	choices := make([]sql.NullString, len(votes))
	candidates := make([]sql.NullString, len(votes))
	members := make([]sql.NullInt64, len(votes))
	accounts := make([]sql.NullInt64, len(votes))
	for i, v := range votes {
		hashes[i], ballotIDs[i], choices[i] = v.ReceiptHash, v.BallotID, v.Choice
		if v.CandidateIDs != nil {
			text, err := v.CandidateIDs.Value()
			if err != nil {
				return fmt.Errorf("ballots: store votes: %w", err)
			}
			candidates[i] = sql.NullString{String: text.(string), Valid: true}
		}
		if v.MemberID != nil {
			members[i] = sql.NullInt64{Int64: *v.MemberID, Valid: true}
		}
		if v.CastByAccountID != nil {
			accounts[i] = sql.NullInt64{Int64: *v.CastByAccountID, Valid: true}
		}
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO ballot_votes (receipt_hash, ballot_id, choice, candidate_ids, member_id, cast_by_account_id)
		SELECT v.receipt_hash, v.ballot_id, v.choice, v.candidates::bigint[], v.member_id, v.account_id
		FROM unnest($1::bytea[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])
			AS v (receipt_hash, ballot_id, choice, candidates, member_id, account_id)
		ORDER BY v.receipt_hash`,
		pq.ByteaArray(hashes), pq.Array(ballotIDs), pq.Array(choices), pq.Array(candidates), pq.Array(members), pq.Array(accounts))
	if err != nil {
		return fmt.Errorf("ballots: store votes: %w", err)
	}
	return nil
}

// tallyOf counts a motion's votes.
func tallyOf(votes []voteRow) Tally {
	var t Tally
	for _, v := range votes {
		switch v.Choice.String {
		case ChoiceFor:
			t.For++
		case ChoiceAgainst:
			t.Against++
		case ChoiceAbstain:
			t.Abstain++
		}
	}
	return t
}

// votedLines are the lines of a voting list marked as voted, in order of
// member number: each member's id and number.
type votedLines struct {
	Members pq.Int64Array `db:"members"`
	Numbers pq.Int64Array `db:"numbers"`
}

// voters are the member numbers of those who voted, as the record lists
// them.
func (l votedLines) voters() []int {
	out := make([]int, len(l.Numbers))
	for i, no := range l.Numbers {
		out[i] = int(no)
	}
	return out
}

// votedOf reads the lines of ballotID marked as voted as two arrays: a
// hundred thousand rows scanned one by one took a tenth of a second of
// the close. A member number is on one line of a list at most, so the
// arrays, each in its order, line up.
func votedOf(ctx context.Context, q sqlx.QueryerContext, ballotID int64) (votedLines, error) {
	var out votedLines
	err := sqlx.GetContext(ctx, q, &out, `
		SELECT coalesce(array_agg(member_id ORDER BY member_no), '{}') AS members,
		       coalesce(array_agg(member_no ORDER BY member_no), '{}') AS numbers
		FROM ballot_voters WHERE ballot_id = $1 AND voted`, ballotID)
	if err != nil {
		return votedLines{}, fmt.Errorf("ballots: voters of %d: %w", ballotID, err)
	}
	return out, nil
}

// numbersOf maps member ids of a ballot's voting list to member numbers.
func numbersOf(ctx context.Context, q sqlx.QueryerContext, ballotID int64) (map[int64]int, error) {
	var rows []struct {
		MemberID int64 `db:"member_id"`
		MemberNo int   `db:"member_no"`
	}
	err := sqlx.SelectContext(ctx, q, &rows, `SELECT member_id, member_no FROM ballot_voters WHERE ballot_id = $1`, ballotID)
	if err != nil {
		return nil, fmt.Errorf("ballots: numbers of %d: %w", ballotID, err)
	}
	out := make(map[int64]int, len(rows))
	for _, r := range rows {
		out[r.MemberID] = r.MemberNo
	}
	return out, nil
}

// setClosed records the close, and the decision when the count is final.
func setClosed(ctx context.Context, tx *sqlx.Tx, b Ballot, result []byte, recordHash []byte, head *ChainHead) error {
	var seq *int64
	var headHash []byte
	if head != nil {
		seq = &head.Seq
		h, err := hex.DecodeString(head.Hash)
		if err != nil {
			return fmt.Errorf("ballots: close %d: %w", b.ID, err)
		}
		headHash = h
	}
	var casting sql.NullString
	if b.CastingVote != "" {
		casting = sql.NullString{String: b.CastingVote, Valid: true}
	}
	_, err := tx.ExecContext(ctx, `
		UPDATE ballots SET status = 'closed', closed_at = $2, closed_by = $3, result = $4, casting_vote = $5,
			decided_at = $6, record_hash = $7, chain_head_seq = $8, chain_head_hash = $9
		WHERE id = $1`,
		b.ID, b.ClosedAt, b.ClosedBy, string(result), casting, b.DecidedAt, recordHash, seq, headHash)
	if err != nil {
		return fmt.Errorf("ballots: close %d: %w", b.ID, err)
	}
	return nil
}

// receiptVote finds the vote with this receipt hash.
func receiptVote(ctx context.Context, q sqlx.QueryerContext, hash []byte) (*voteRow, error) {
	var v voteRow
	err := sqlx.GetContext(ctx, q, &v, `
		SELECT receipt_hash, ballot_id, choice, candidate_ids, member_id, cast_by_account_id
		FROM ballot_votes WHERE receipt_hash = $1`, hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ballots: receipt: %w", err)
	}
	return &v, nil
}

// onList reports whether the account casts anyone's vote in the ballot.
func onList(ctx context.Context, q sqlx.QueryerContext, ballotID, accountID int64) (bool, error) {
	var ok bool
	err := sqlx.GetContext(ctx, q, &ok, `SELECT EXISTS (SELECT 1 FROM ballot_voters WHERE ballot_id = $1 AND voter_account_id = $2)`,
		ballotID, accountID)
	if err != nil {
		return false, fmt.Errorf("ballots: voting list of %d: %w", ballotID, err)
	}
	return ok, nil
}

// closedBallotIDs lists every closed ballot, for verification.
func closedBallotIDs(ctx context.Context, q sqlx.QueryerContext) ([]int64, error) {
	out := []int64{}
	if err := sqlx.SelectContext(ctx, q, &out, `SELECT id FROM ballots WHERE status = 'closed' ORDER BY id`); err != nil {
		return nil, fmt.Errorf("ballots: closed ballots: %w", err)
	}
	return out, nil
}
