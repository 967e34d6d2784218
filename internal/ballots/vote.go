package ballots

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
)

// maxIdempotencyKey bounds the Idempotency-Key header.
const maxIdempotencyKey = 200

// receiptEncoding writes a receipt's 128 bits as 26 lower-case letters
// and digits: easy to copy, and safe in a URL.
var receiptEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newReceipt draws a receipt and returns it with the SHA-256 of its text,
// which is all that is stored.
func newReceipt() (string, []byte, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, fmt.Errorf("ballots: receipt: %w", err)
	}
	text := strings.ToLower(receiptEncoding.EncodeToString(b[:]))
	return text, ReceiptHash(text), nil
}

// ReceiptHash is the SHA-256 of a receipt's text, as the ballot record
// lists it: anyone can compute it from their receipt (for example with
// printf %s RECEIPT | sha256sum).
func ReceiptHash(receipt string) []byte {
	sum := sha256.Sum256([]byte(receipt))
	return sum[:]
}

// ParseReceipt reads a receipt as people type it back: any case, with or
// without spaces and hyphens. It returns the receipt's canonical text.
func ParseReceipt(raw string) (string, bool) {
	text := strings.ToLower(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(strings.TrimSpace(raw)))
	b, err := receiptEncoding.DecodeString(strings.ToUpper(text))
	if err != nil || len(b) != 16 || strings.ToLower(receiptEncoding.EncodeToString(b)) != text {
		return "", false
	}
	return text, true
}

// checkKey checks an Idempotency-Key and returns its hash, nil for none.
func checkKey(key string) ([]byte, error) {
	if key == "" {
		return nil, nil
	}
	ok := len(key) <= maxIdempotencyKey
	for i := 0; ok && i < len(key); i++ {
		ok = key[i] > 0x20 && key[i] < 0x7f
	}
	if !ok {
		var v errs.Validation
		v.Add("Idempotency-Key", "Use at most %d visible ASCII characters, such as a UUID.", maxIdempotencyKey)
		return nil, v.Err()
	}
	sum := sha256.Sum256([]byte(key))
	return sum[:], nil
}

// checkChoice checks a vote against the ballot's question.
func checkChoice(b Ballot, in VoteInput) error {
	var v errs.Validation
	if b.Kind == KindMotion {
		if in.Candidates != nil {
			v.Add("candidates", "This ballot is on a motion: choose for, against or abstain.")
		}
		if in.Choice != ChoiceFor && in.Choice != ChoiceAgainst && in.Choice != ChoiceAbstain {
			v.Add("choice", "Choose for, against or abstain.")
		}
		return v.Err()
	}
	if in.Choice != "" {
		v.Add("choice", "This ballot is an election: mark candidates, or none for a blank vote.")
	}
	if in.Candidates == nil {
		v.Add("candidates", "Mark the candidates you vote for, or none for a blank vote.")
	}
	if len(in.Candidates) > b.Seats {
		v.Add("candidates", "Mark at most %d %s.", b.Seats, plural(b.Seats, "candidate", "candidates"))
	}
	seen := map[int64]bool{}
	for _, id := range in.Candidates {
		switch {
		case seen[id]:
			v.Add("candidates", "Mark each candidate once.")
		case !slices.Contains(b.CandidateIDs, id):
			v.Add("candidates", "Candidate %d is not on this ballot.", id)
		}
		seen[id] = true
	}
	return v.Err()
}

// Vote casts one member's vote (SPEC.md, "Ballots"): the caller's own, or
// that of a member whose vote they cast (an organisation they represent,
// a member whose proxy they hold). The vote's transaction passes the
// ballot's gate and locks the ballot FOR SHARE, checks it open, marks the
// member as voted by the atomic "not yet voted" check of markVoted, stores
// the vote under the hash of a new receipt, marks the proxy as used, and
// appends the audit event that marks the member as voted, which carries no
// receipt and, in a secret ballot, no choice. While RunVotes runs, votes
// are committed in groups (batch.go); each caller is answered only after
// the commit that holds their vote.
//
// A retry with the Idempotency-Key of a recorded vote changes nothing and
// returns Cast.Replayed; the choice is not compared, because nothing
// derived from it is kept next to the voter.
func (s *Service) Vote(ctx context.Context, p auth.Principal, ballotID int64, in VoteInput) (Cast, error) {
	out, err := s.vote(ctx, p, ballotID, in)
	if err != nil && !errors.Is(err, errs.Unauthenticated) {
		// Who may not see the ballot learns no more of it from a refused
		// vote than from reading it: that there is none (API.md).
		if _, seen := s.GetAs(ctx, p, ballotID); errors.Is(seen, errs.NotFound) {
			return Cast{}, seen
		}
	}
	return out, err
}

func (s *Service) vote(ctx context.Context, p auth.Principal, ballotID int64, in VoteInput) (Cast, error) {
	if err := p.RequireSignedIn(); err != nil {
		return Cast{}, err
	}
	if p.Has(auth.RoleAuditor) {
		// Even a line frozen before the account became an auditor's.
		return Cast{}, errs.Wrap(errs.Forbidden, "An auditor reads everything and changes nothing, so does not vote.")
	}
	keyHash, err := checkKey(in.IdempotencyKey)
	if err != nil {
		return Cast{}, err
	}
	if out, ok, err := s.submit(ctx, job{p: p, ballotID: ballotID, in: in, keyHash: keyHash}); ok {
		return out, err
	}
	var out Cast
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		b, err := getBallotForVote(ctx, tx, ballotID)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		memberID, err := s.whose(ctx, tx, p, b, in.OnBehalfOf)
		if err != nil {
			return err
		}
		pv, replay, err := s.prepare(ctx, tx, p, b, memberID, in, keyHash, now)
		if err != nil || pv == nil {
			out = replay
			return err
		}
		out = pv.cast
		return s.store(ctx, tx, []*pending{pv})
	})
	if err != nil {
		return Cast{}, err
	}
	return out, nil
}

// getBallotForVote passes the ballot's gate and locks the ballot FOR
// SHARE, without counting its turnout: a vote reads nothing that grows
// with the voting list.
func getBallotForVote(ctx context.Context, tx *sqlx.Tx, id int64) (Ballot, error) {
	if err := enterGate(ctx, tx, id, false); err != nil {
		return Ballot{}, err
	}
	var row struct {
		ballotRow
		MeetingCancelled bool `db:"meeting_cancelled"`
	}
	err := tx.GetContext(ctx, &row, `SELECT `+ballotColumns+`,
		(SELECT m.status = 'cancelled' FROM meetings m WHERE m.id = ballots.meeting_id) AS meeting_cancelled
		FROM ballots WHERE id = $1 FOR SHARE OF ballots`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Ballot{}, ErrNotFound
	}
	if err != nil {
		return Ballot{}, fmt.Errorf("ballots: get %d: %w", id, err)
	}
	b, err := row.ballot()
	b.meetingCancelled = row.MeetingCancelled
	return b, err
}

// pending is a vote that passed its checks and marked its member as
// voted, waiting to be stored with its audit event.
type pending struct {
	cast  Cast
	row   voteRow
	event audit.Event
}

// prepare checks one vote inside tx, on a ballot tx has locked FOR SHARE,
// and marks the member as voted. It returns the vote to store, or, for a
// retry of a recorded vote, nil and the Cast that says so.
func (s *Service) prepare(ctx context.Context, tx *sqlx.Tx, p auth.Principal, b Ballot, memberID int64, in VoteInput, keyHash []byte, now time.Time) (*pending, Cast, error) {
	// The key comes first: a retry whose answer was lost is told its vote
	// is recorded even once the ballot is closed, or the voter would
	// believe it lost.
	if keyHash != nil {
		owner, err := keyOwner(ctx, tx, b.ID, p.AccountID, keyHash)
		if err != nil {
			return nil, Cast{}, err
		}
		switch {
		case owner == nil:
		case *owner != memberID:
			return nil, Cast{}, errKeyReused
		default:
			return nil, Cast{BallotID: b.ID, MemberID: memberID, CastAt: now, Replayed: true}, nil
		}
	}
	if err := checkVote(b, in, now); err != nil {
		return nil, Cast{}, err
	}
	v, err := markVoted(ctx, tx, b.ID, memberID, p.AccountID, keyHash)
	if db.IsUniqueViolation(err) {
		return nil, Cast{}, errKeyReused
	}
	if err != nil {
		return nil, Cast{}, err
	}
	if v == nil {
		replay, err := s.refused(ctx, tx, p, b, memberID, keyHash, now)
		return nil, replay, err
	}
	if v.ProxyID != nil {
		if err := s.meetings.MarkProxyUsed(ctx, tx, *v.ProxyID, b.ID, now); err != nil {
			if errors.Is(err, meetings.ErrProxyWithdrawn) {
				return nil, Cast{}, errs.Wrap(errs.Conflict, "The member withdrew the proxy you held, so you no longer cast their vote.")
			}
			return nil, Cast{}, err
		}
	}
	pv, err := newPending(p, b, *v, in, now)
	return pv, Cast{}, err
}

// checkVote checks what a vote can be checked for without the voting
// list: that the ballot takes votes, and the choice.
func checkVote(b Ballot, in VoteInput, now time.Time) error {
	if !b.Open() {
		return errs.Wrap(errs.Conflict, "The ballot is closed: votes are no longer taken.")
	}
	if b.meetingCancelled {
		return errs.Wrap(errs.Conflict, "The meeting was cancelled: its ballots take no more votes.")
	}
	if b.ClosingPassed(now) {
		return errs.Wrap(errs.Conflict, "Voting ended at the ballot's closing time.")
	}
	return checkChoice(b, in)
}

// newPending draws the receipt of a vote whose member is marked as voted
// (v, as markVoted returned it) and builds its row and its audit event.
func newPending(p auth.Principal, b Ballot, v Voter, in VoteInput, now time.Time) (*pending, error) {
	receipt, hash, err := newReceipt()
	if err != nil {
		return nil, err
	}
	row := voteRow{ReceiptHash: hash, BallotID: b.ID}
	if b.Kind == KindMotion {
		row.Choice = sql.NullString{String: in.Choice, Valid: true}
	} else {
		row.CandidateIDs = append([]int64{}, in.Candidates...)
	}
	payload := map[string]any{"member_id": v.MemberID, "cast_by": v.CastBy}
	if !b.Secret {
		row.MemberID, row.CastByAccountID = &v.MemberID, p.Actor()
		if b.Kind == KindMotion {
			payload["choice"] = in.Choice
		} else {
			payload["candidates"] = row.CandidateIDs
		}
	}
	return &pending{
		cast: Cast{BallotID: b.ID, MemberID: v.MemberID, Receipt: receipt, CastAt: now},
		row:  row,
		event: audit.Event{
			ActorAccountID: p.Actor(), Action: "ballot.voted", Subject: subject(b.ID), Payload: payload,
		},
	}, nil
}

// store writes prepared votes and then their audit events, as the last
// statements of tx: the votes in order of receipt hash, so that not even
// their order within a transaction follows that of the members, and the
// audit events last, so that the chain head is held only briefly.
func (s *Service) store(ctx context.Context, tx *sqlx.Tx, votes []*pending) error {
	if len(votes) == 0 {
		return nil
	}
	rows := make([]voteRow, len(votes))
	for i, v := range votes {
		rows[i] = v.row
	}
	if err := insertVotes(ctx, tx, rows); err != nil {
		return err
	}
	events := make([]audit.Event, len(votes))
	for i, v := range votes {
		events[i] = v.event
	}
	_, err := s.audit.AppendAll(ctx, tx, events)
	return err
}

// whose works out which member the vote is for.
func (s *Service) whose(ctx context.Context, q sqlx.QueryerContext, p auth.Principal, b Ballot, onBehalfOf *int64) (int64, error) {
	if onBehalfOf != nil {
		return *onBehalfOf, nil
	}
	mine, err := votersFor(ctx, q, b.ID, p.AccountID)
	if err != nil {
		return 0, err
	}
	return chooseMember(mine)
}

// chooseMember picks the member a vote that names none is for, among the
// lines of the voting list whose vote the caller casts: their only one, or
// their own among several.
func chooseMember(mine []Voter) (int64, error) {
	switch {
	case len(mine) == 0:
		return 0, errNotOnList
	case len(mine) == 1:
		return mine[0].MemberID, nil
	}
	for _, v := range mine {
		if v.CastBy == CastBySelf {
			return v.MemberID, nil
		}
	}
	var v errs.Validation
	v.Add("on_behalf_of_member_id", "You cast the votes of several members: say which member this vote is for.")
	return 0, v.Err()
}

var errKeyReused = func() error {
	var v errs.Validation
	v.Add("Idempotency-Key", "This key was used for the vote of another member in this ballot: use a new key for each vote.")
	return v.Err()
}()

var errNotOnList = errs.Wrap(errs.Forbidden,
	"You are not on the voting list of this ballot. The list is frozen when the ballot opens: it holds the members active on the record date and represented at that moment.")

// refused explains why a member could not be marked as voted: not on the
// list, cast by someone else, or voted already (a retry of the same
// request when the idempotency key matches).
func (s *Service) refused(ctx context.Context, tx *sqlx.Tx, p auth.Principal, b Ballot, memberID int64, keyHash []byte, now time.Time) (Cast, error) {
	cur, err := voterOf(ctx, tx, b.ID, memberID)
	if err != nil {
		return Cast{}, err
	}
	switch {
	case cur == nil:
		return Cast{}, errNotOnList
	case cur.VoterAccountID != p.AccountID:
		return Cast{}, errs.Wrap(errs.Forbidden, "You do not cast this member's vote in this ballot: %s.", castByWords(cur.CastBy))
	case keyHash != nil && cur.IdempotencyHash != nil && string(keyHash) == string(cur.IdempotencyHash):
		return Cast{BallotID: b.ID, MemberID: memberID, CastAt: now, Replayed: true}, nil
	case cur.Voted:
		return Cast{}, ErrAlreadyVoted
	}
	return Cast{}, s.fallen(ctx, tx, cur.Voter)
}

// fallen says why the vote of line v, on the list and not yet cast, may
// no longer be cast (standsToVote).
func (s *Service) fallen(ctx context.Context, tx *sqlx.Tx, v Voter) error {
	var why struct {
		Status    string `db:"status"`
		Moved     bool   `db:"moved"`
		HolderOut bool   `db:"holder_out"`
	}
	err := tx.GetContext(ctx, &why, `
		SELECT m.status, m.account_id IS DISTINCT FROM $2 AS moved,
			coalesce((SELECT h.status <> 'active' OR h.account_id IS DISTINCT FROM $2
				FROM meeting_proxies px JOIN members h ON h.id = px.holder_member_id WHERE px.id = $3), false) AS holder_out
		FROM members m WHERE m.id = $1`, v.MemberID, v.VoterAccountID, v.ProxyID)
	if err != nil {
		return fmt.Errorf("ballots: why %d cannot vote in %d: %w", v.MemberID, v.BallotID, err)
	}
	switch {
	case why.Status != members.StatusActive && v.CastBy == CastBySelf:
		return errs.Wrap(errs.Forbidden, "Your membership is %s at present, so you cannot vote, although you were on the voting list when the ballot opened.", why.Status)
	case why.Status != members.StatusActive:
		return errs.Wrap(errs.Forbidden, "Member %d's membership is %s at present, so their vote cannot be cast.", v.MemberNo, why.Status)
	case v.CastBy == CastByProxy && why.HolderOut:
		return errs.Wrap(errs.Forbidden, "You are not an active member at present, so you cannot cast the votes you hold by proxy.")
	case v.CastBy != CastByProxy && why.Moved:
		return errs.Wrap(errs.Forbidden, "You no longer represent member %d, so you cannot cast its vote.", v.MemberNo)
	}
	return ErrAlreadyVoted
}

// ErrAlreadyVoted is returned for a second vote for one member.
var ErrAlreadyVoted = fmt.Errorf("ballots: %w", errs.Wrap(errs.Conflict,
	"This member's vote is already recorded. A vote is final: it cannot be cast again or changed."))

func castByWords(castBy string) string {
	switch castBy {
	case CastByProxy:
		return "the holder of their proxy casts it"
	case CastByRepresentative:
		return "the organisation's representative casts it"
	}
	return "the member casts it themself"
}

// ReceiptCheck is what a receipt shows its holder: the vote it belongs to.
type ReceiptCheck struct {
	BallotID   int64   `json:"ballot_id"`
	Choice     string  `json:"choice,omitempty"`
	Candidates []int64 `json:"candidates,omitempty"`
	// Counted is true for every vote a receipt finds: a recorded vote is
	// final and in the count, which the close takes over every vote the
	// ballot holds (API.md). Status says whether that count is done and
	// the vote on the public record.
	Counted bool   `json:"counted"`
	Status  string `json:"status"`
	// ReceiptHash is the SHA-256 of the receipt as the record lists it.
	ReceiptHash string `json:"receipt_hash"`
	// Election marks a vote of an election, whose candidates are always
	// written, as [] for a blank vote, as the ballot record lists them.
	Election bool `json:"-"`
}

// MarshalJSON writes an election's vote with its candidates even when
// blank, so that a vote recorded as blank is not mistaken for a field
// left out, and a motion's vote with its choice alone.
func (c ReceiptCheck) MarshalJSON() ([]byte, error) {
	type plain ReceiptCheck
	if !c.Election {
		return json.Marshal(plain(c))
	}
	candidates := c.Candidates
	if candidates == nil {
		candidates = []int64{}
	}
	// The outer field hides the embedded one of the same name.
	return json.Marshal(struct {
		plain
		Candidates []int64 `json:"candidates"`
	}{plain(c), candidates})
}

// ErrNoReceipt is returned for a receipt no vote has.
var ErrNoReceipt = fmt.Errorf("ballots: %w", errs.Wrap(errs.NotFound,
	"No vote has this receipt. Check that you copied all 26 letters and digits."))

// CheckReceipt finds the vote of a receipt. Anyone holding the receipt may
// look: it is the proof of the vote, and guessing one is hopeless.
func (s *Service) CheckReceipt(ctx context.Context, raw string) (ReceiptCheck, error) {
	text, ok := ParseReceipt(raw)
	if !ok {
		return ReceiptCheck{}, ErrNoReceipt
	}
	v, err := receiptVote(ctx, s.db, ReceiptHash(text))
	if err != nil {
		return ReceiptCheck{}, err
	}
	if v == nil {
		return ReceiptCheck{}, ErrNoReceipt
	}
	b, err := getBallot(ctx, s.db, v.BallotID, noLock)
	if err != nil {
		return ReceiptCheck{}, err
	}
	return ReceiptCheck{
		BallotID: b.ID, Choice: v.Choice.String, Candidates: []int64(v.CandidateIDs),
		Counted: true, Status: b.Status, ReceiptHash: fmt.Sprintf("%x", v.ReceiptHash),
		Election: b.Kind == KindElection,
	}, nil
}
