package ballots

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/lib/pq"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/errs"
)

// MaxBatch is the most votes one group commit holds.
const MaxBatch = 64

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
// audit chain's head serve many voters. Each vote gets its own savepoint:
// a vote refused (a second vote, a member not on the list) is rolled back
// alone and never fails its neighbours. Each caller is answered only after
// the commit that holds their vote. Without RunVotes, every vote is a
// transaction of its own. It runs once per Service.
func (s *Service) RunVotes(ctx context.Context) {
	select {
	case <-s.stopped:
		return
	default:
	}
	if !s.batching.CompareAndSwap(false, true) {
		return
	}
	defer func() {
		s.batching.Store(false)
		close(s.stopped)
	}()
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
		s.runBatch(context.WithoutCancel(ctx), batch)
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
func (s *Service) runBatch(ctx context.Context, batch []*job) {
	var results []jobResult
	var err error
	for attempt := 1; ; attempt++ {
		results, err = s.commitBatch(ctx, batch)
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
func (s *Service) commitBatch(ctx context.Context, batch []*job) ([]jobResult, error) {
	results := make([]jobResult, len(batch))
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return results, fmt.Errorf("ballots: batch: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	now := s.clock.Now()

	// Ballots in order of id and, within a ballot, members in order of id:
	// every batch takes its locks in one order, so that the batches of two
	// instances never wait for each other in a circle.
	ids := make([]int64, 0, len(batch))
	for _, j := range batch {
		ids = append(ids, j.ballotID)
	}
	slices.Sort(ids)
	ballots := map[int64]Ballot{}
	missing := map[int64]error{}
	for _, id := range slices.Compact(ids) {
		b, err := getBallotForVote(ctx, tx, id)
		switch {
		case errors.Is(err, ErrNotFound):
			missing[id] = err
		case err != nil:
			return results, err
		default:
			ballots[id] = b
		}
	}
	type step struct {
		index  int
		member int64
	}
	steps := make([]step, 0, len(batch))
	for i, j := range batch {
		if err := missing[j.ballotID]; err != nil {
			results[i].err = err
			continue
		}
		member, err := s.whose(ctx, tx, j.p, ballots[j.ballotID], j.in.OnBehalfOf)
		if err != nil {
			if !refusal(err) {
				return results, err
			}
			results[i].err = err
			continue
		}
		steps = append(steps, step{index: i, member: member})
	}
	slices.SortStableFunc(steps, func(a, b step) int {
		return cmp.Or(cmp.Compare(batch[a.index].ballotID, batch[b.index].ballotID), cmp.Compare(a.member, b.member))
	})

	var stored []*pending
	for _, st := range steps {
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
	if err := s.store(ctx, tx, stored); err != nil {
		return results, err
	}
	if err := tx.Commit(); err != nil {
		return results, fmt.Errorf("ballots: batch: commit: %w", err)
	}
	return results, nil
}
