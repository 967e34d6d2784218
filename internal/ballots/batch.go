package ballots

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/errs"
)

// MaxBatch is the most votes one group commit holds.
const MaxBatch = 128

// Batchers is the number of group commits built at once. With three, one
// batch commits while the next waits for the chain's head and a third
// checks and marks its voters; on two cores, three batchers of up to 128
// votes took a burst of 1,000 votes about a fifth faster than two of up
// to 64 (make bench, alternating runs).
const Batchers = 3

// maxBatchAttempts bounds the reruns of a batch that PostgreSQL aborted
// as a deadlock or a serialisation failure.
const maxBatchAttempts = 3

// job is one vote waiting for a group commit.
type job struct {
	p        auth.Principal
	ballotID int64
	in       VoteInput
	keyHash  []byte
	// reply gets the answer once the batch has committed or failed; it
	// has room for it, so the batcher never waits for a caller who left.
	reply chan jobResult
}

type jobResult struct {
	cast Cast
	err  error
}

// RunVotes commits votes in groups until ctx ends (a group commit): it
// takes the votes waiting, up to MaxBatch, and writes them with their
// audit events in one transaction, so that one commit and one turn at the
// audit chain's head serve many voters. A vote refused (a second vote, a
// member not on the list) is rolled back alone and never fails its
// neighbours. Each caller is answered only after the commit that holds
// their vote. Without RunVotes, every vote is a transaction of its own.
// It runs once per Service.
//
// Batchers batches are under way at once: while one holds the audit
// chain's head, the next checks and marks its voters, and takes the head
// as soon as the first commits.
func (s *Service) RunVotes(ctx context.Context) {
	select {
	case <-s.stopped:
		return
	default:
	}
	if !s.batching.CompareAndSwap(false, true) {
		return
	}
	var wg sync.WaitGroup
	for range Batchers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.batcher(ctx)
		}()
	}
	wg.Wait()
	s.batching.Store(false)
	close(s.stopped)
}

// batcher is one of RunVotes' workers.
func (s *Service) batcher(ctx context.Context) {
	// The connection is taken before the first vote comes, which may
	// come with a crowd of requests queueing for the pool.
	conn := &batchConn{db: s.db}
	if err := conn.take(ctx); err != nil && ctx.Err() == nil {
		s.logger.Warn("ballots: the group commit starts without a connection of its own", "error", err)
	}
	defer conn.release()
	for {
		var first *job
		select {
		case <-ctx.Done():
			return
		case first = <-s.jobs:
		}
		batch := []*job{first}
	more:
		for len(batch) < MaxBatch {
			select {
			case j := <-s.jobs:
				batch = append(batch, j)
			default:
				break more
			}
		}
		// The batch is finished even when ctx ends meanwhile: its callers
		// wait for their answer.
		s.runBatch(context.WithoutCancel(ctx), conn, batch)
	}
}

// submit hands a vote to the group commit, if it runs, and waits for the
// answer; ok is false when it does not run, and the caller votes alone.
func (s *Service) submit(ctx context.Context, j job) (Cast, bool, error) {
	if !s.batching.Load() {
		return Cast{}, false, nil
	}
	j.reply = make(chan jobResult, 1)
	select {
	case s.jobs <- &j:
	case <-s.stopped:
		return Cast{}, false, nil
	case <-ctx.Done():
		return Cast{}, true, ctx.Err()
	}
	select {
	case r := <-j.reply:
		return r.cast, true, r.err
	case <-ctx.Done():
		// The vote may still be committed; the caller has gone and will
		// learn of it from the ballot page or a retry.
		return Cast{}, true, ctx.Err()
	}
}

// runBatch commits a batch and answers its callers, running it again when
// PostgreSQL aborted it to break a deadlock.
func (s *Service) runBatch(ctx context.Context, conn *batchConn, batch []*job) {
	var results []jobResult
	var err error
	for attempt := 1; ; attempt++ {
		results, err = s.commitBatch(ctx, conn, batch)
		if err != nil {
			conn.release()
		}
		if err == nil || attempt == maxBatchAttempts || !retryable(err) {
			break
		}
	}
	for i, j := range batch {
		r := results[i]
		if err != nil && r.err == nil {
			r = jobResult{err: err}
		}
		j.reply <- r
	}
}

// refusal reports whether err refuses a request, as opposed to a failure
// of the database, which leaves the transaction unusable.
func refusal(err error) bool {
	for _, kind := range []error{errs.NotFound, errs.Unauthenticated, errs.Forbidden, errs.Conflict, errs.Invalid} {
		if errors.Is(err, kind) {
			return true
		}
	}
	return false
}

func retryable(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && (pqErr.Code == "40P01" || pqErr.Code == "40001")
}

// commitBatch writes a batch in one transaction. It returns each job's
// answer; a non-nil error means the transaction failed and no vote of the
// batch was stored, whatever the answers say.
//
// Most votes are plain: an account casting the vote of a member on the
// list who has not voted, without an idempotency key or a proxy. Those
// are checked against the voting list as read by one statement per
// ballot, and marked as voted by one statement for the whole batch, so
// that a batch costs a handful of statements besides its audit events,
// whatever its size. Every other vote (a key, a proxy, a refusal to
// explain, a second vote for one member) goes alone, in a savepoint of its
// own, and so does each plain vote when the statement that marks them
// fails or leaves it out.
func (s *Service) commitBatch(ctx context.Context, conn *batchConn, batch []*job) ([]jobResult, error) {
	results := make([]jobResult, len(batch))
	tx, err := conn.begin(ctx)
	if err != nil {
		return results, fmt.Errorf("ballots: batch: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	now := s.clock.Now()

	// Ballots in order of id and, within a ballot, members in order of id:
	// the plain votes and then the others take their locks in that order,
	// so that the batches of two instances seldom wait for each other in a
	// circle, and PostgreSQL breaks the circle when they do (retryable).
	ids := make([]int64, 0, len(batch))
	for _, j := range batch {
		ids = append(ids, j.ballotID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	ballots := map[int64]Ballot{}
	missing := map[int64]error{}
	lines := map[int64]map[int64]Voter{}
	mine := map[[2]int64][]Voter{}
	for _, id := range ids {
		b, err := getBallotForVote(ctx, tx, id)
		switch {
		case errors.Is(err, ErrNotFound):
			missing[id] = err
			continue
		case err != nil:
			return results, err
		}
		ballots[id] = b
		var accounts, members []int64
		for _, j := range batch {
			switch {
			case j.ballotID != id:
			case j.in.OnBehalfOf != nil:
				members = append(members, *j.in.OnBehalfOf)
			default:
				accounts = append(accounts, j.p.AccountID)
			}
		}
		list, err := voterLines(ctx, tx, id, accounts, members)
		if err != nil {
			return results, err
		}
		lines[id] = make(map[int64]Voter, len(list))
		for _, v := range list {
			lines[id][v.MemberID] = v
			mine[[2]int64{id, v.VoterAccountID}] = append(mine[[2]int64{id, v.VoterAccountID}], v)
		}
	}
	type step struct {
		index  int
		member int64
	}
	order := func(a, b step) int {
		return cmp.Or(cmp.Compare(batch[a.index].ballotID, batch[b.index].ballotID), cmp.Compare(a.member, b.member), cmp.Compare(a.index, b.index))
	}
	steps := make([]step, 0, len(batch))
	for i, j := range batch {
		if err := missing[j.ballotID]; err != nil {
			results[i].err = err
			continue
		}
		if j.in.OnBehalfOf != nil {
			steps = append(steps, step{index: i, member: *j.in.OnBehalfOf})
			continue
		}
		// Every line the account casts is among those read for the batch.
		member, err := chooseMember(mine[[2]int64{j.ballotID, j.p.AccountID}])
		if err != nil {
			results[i].err = err
			continue
		}
		steps = append(steps, step{index: i, member: member})
	}
	slices.SortFunc(steps, order)

	var plain, alone []step
	taken := map[[2]int64]bool{}
	for _, st := range steps {
		j := batch[st.index]
		key := [2]int64{j.ballotID, st.member}
		line, onList := lines[j.ballotID][st.member]
		if onList && !taken[key] && j.keyHash == nil && line.VoterAccountID == j.p.AccountID && !line.Voted &&
			line.ProxyID == nil && checkVote(ballots[j.ballotID], j.in, now) == nil {
			plain = append(plain, st)
		} else {
			alone = append(alone, st)
		}
		taken[key] = true
	}

	var stored []*pending
	if len(plain) > 0 {
		marks := make([]voteMark, len(plain))
		for i, st := range plain {
			marks[i] = voteMark{ballotID: batch[st.index].ballotID, memberID: st.member, accountID: batch[st.index].p.AccountID}
		}
		marked, err := s.markPlain(ctx, tx, marks)
		if err != nil {
			return results, err
		}
		for _, st := range plain {
			j := batch[st.index]
			v, ok := marked[[2]int64{j.ballotID, st.member}]
			if !ok {
				alone = append(alone, st)
				continue
			}
			pv, err := newPending(j.p, ballots[j.ballotID], v, j.in, now)
			if err != nil {
				return results, err
			}
			results[st.index].cast = pv.cast
			stored = append(stored, pv)
		}
		slices.SortFunc(alone, order)
	}

	for _, st := range alone {
		j := batch[st.index]
		if _, err := tx.ExecContext(ctx, `SAVEPOINT vote`); err != nil {
			return results, fmt.Errorf("ballots: batch: %w", err)
		}
		pv, replay, err := s.prepare(ctx, tx, j.p, ballots[j.ballotID], st.member, j.in, j.keyHash, now)
		if err != nil {
			if retryable(err) {
				return results, err
			}
			if _, rerr := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT vote`); rerr != nil {
				return results, fmt.Errorf("ballots: batch: %w", rerr)
			}
			results[st.index].err = err
			continue
		}
		if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT vote`); err != nil {
			return results, fmt.Errorf("ballots: batch: %w", err)
		}
		if pv == nil {
			results[st.index].cast = replay
			continue
		}
		results[st.index].cast = pv.cast
		stored = append(stored, pv)
	}
	// The audit events follow the members' order, as when every vote goes
	// alone.
	slices.SortFunc(stored, func(a, b *pending) int {
		return cmp.Or(cmp.Compare(a.cast.BallotID, b.cast.BallotID), cmp.Compare(a.cast.MemberID, b.cast.MemberID))
	})
	if err := s.store(ctx, tx, stored); err != nil {
		return results, err
	}
	if err := tx.Commit(); err != nil {
		return results, fmt.Errorf("ballots: batch: commit: %w", err)
	}
	return results, nil
}

// markPlain marks the members of the plain votes as voted in a savepoint,
// and returns the lines it marked by ballot and member. When the statement
// fails short of a deadlock, it marks none, and each vote goes alone.
func (s *Service) markPlain(ctx context.Context, tx *sqlx.Tx, marks []voteMark) (map[[2]int64]Voter, error) {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT plain`); err != nil {
		return nil, fmt.Errorf("ballots: batch: %w", err)
	}
	vs, err := markManyVoted(ctx, tx, marks)
	if err != nil {
		if retryable(err) {
			return nil, err
		}
		if _, rerr := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT plain`); rerr != nil {
			return nil, fmt.Errorf("ballots: batch: %w", rerr)
		}
		s.logger.Warn("ballots: the votes of a batch go one by one", "error", err)
		return map[[2]int64]Voter{}, nil
	}
	if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT plain`); err != nil {
		return nil, fmt.Errorf("ballots: batch: %w", err)
	}
	marked := make(map[[2]int64]Voter, len(vs))
	for _, v := range vs {
		marked[[2]int64{v.BallotID, v.MemberID}] = v
	}
	return marked, nil
}

// holdFrom is the smallest pool from which each batcher holds a
// connection of its own: a smaller pool is left whole to the requests.
const holdFrom = 4 * Batchers

// batchConn is the connection a batcher keeps for itself while it runs,
// so that a batch never queues for the pool behind the requests whose
// votes it carries. After a failed batch it is given back, in case it
// broke, and taken anew for the next.
type batchConn struct {
	db   *sqlx.DB
	conn *sqlx.Conn
}

// take holds a connection of the pool, unless one is held or the pool is
// too small to spare one.
func (c *batchConn) take(ctx context.Context) error {
	if n := c.db.Stats().MaxOpenConnections; c.conn != nil || (n > 0 && n < holdFrom) {
		return nil
	}
	conn, err := c.db.Connx(ctx)
	if err != nil {
		return err
	}
	c.conn = conn
	return nil
}

// begin starts a batch's transaction on the held connection or, when
// none is held or it has broken (PostgreSQL restarted, say), through the
// pool, which tries another connection.
func (c *batchConn) begin(ctx context.Context) (*sqlx.Tx, error) {
	if c.take(ctx) == nil && c.conn != nil {
		tx, err := c.conn.BeginTxx(ctx, nil)
		if err == nil {
			return tx, nil
		}
		c.release()
	}
	return c.db.BeginTxx(ctx, nil)
}

func (c *batchConn) release() {
	if c.conn != nil {
		_ = c.conn.Close()
		c.conn = nil
	}
}
