package auth

import (
	"context"
	"sync"
	"sync/atomic"
)

// maxTokenChecks is the most bearer tokens one query checks.
const maxTokenChecks = 128

// tokenCheckers is the number of queries under way at once: while one
// runs, the checks arriving meanwhile gather for the next.
const tokenCheckers = 2

// tokenChecks gathers the bearer-token checks of concurrent requests into
// one query. When a live vote is run by scripts, a thousand requests come
// within a few milliseconds, each with a token to check before its vote:
// one query each kept the database busy with a thousand round trips, and
// the votes waited behind them (make bench: about 2,400 votes a second,
// against some 4,000 when nothing at all was checked). Each check still
// reads the database after its request arrived, so a revoked token is
// refused at once; nothing is cached.
type tokenChecks struct {
	// queue is unbuffered: a check is taken by a checker or not at all,
	// so none is left behind when the checkers stop.
	queue   chan *tokenCheck
	running atomic.Bool
	stopped chan struct{}
}

// tokenCheck is one request's check, waiting for its query.
type tokenCheck struct {
	hash []byte
	// reply has room for the answer, so that a checker never waits for
	// a request that left.
	reply chan tokenAnswer
}

type tokenAnswer struct {
	match tokenMatch
	found bool
	err   error
}

// RunTokenChecks checks bearer tokens in groups until ctx ends: it takes
// the checks waiting, up to maxTokenChecks, and reads their tokens in one
// query. Without it, each request reads its own token. It runs once per
// Service.
func (s *Service) RunTokenChecks(ctx context.Context) {
	select {
	case <-s.checks.stopped:
		return
	default:
	}
	if !s.checks.running.CompareAndSwap(false, true) {
		return
	}
	var wg sync.WaitGroup
	for range tokenCheckers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.tokenChecker(ctx)
		}()
	}
	wg.Wait()
	s.checks.running.Store(false)
	close(s.checks.stopped)
}

func (s *Service) tokenChecker(ctx context.Context) {
	for {
		var first *tokenCheck
		select {
		case <-ctx.Done():
			return
		case first = <-s.checks.queue:
		}
		group := []*tokenCheck{first}
	more:
		for len(group) < maxTokenChecks {
			select {
			case c := <-s.checks.queue:
				group = append(group, c)
			default:
				break more
			}
		}
		hashes := make([][]byte, len(group))
		for i, c := range group {
			hashes[i] = c.hash
		}
		// The group is read even when ctx ends meanwhile: its requests
		// wait for their answer.
		found, err := tokenPrincipals(context.WithoutCancel(ctx), s.tokenQuery, hashes)
		for _, c := range group {
			m, ok := found[string(c.hash)]
			c.reply <- tokenAnswer{match: m, found: ok, err: err}
		}
	}
}

// checkToken finds the token whose secret hashes to hash, with its
// bearer, through the group checks when they run; found is false when no
// token has that hash.
func (s *Service) checkToken(ctx context.Context, hash []byte) (m tokenMatch, found bool, err error) {
	if s.checks.running.Load() {
		c := &tokenCheck{hash: hash, reply: make(chan tokenAnswer, 1)}
		select {
		case s.checks.queue <- c:
			select {
			case a := <-c.reply:
				return a.match, a.found, a.err
			case <-ctx.Done():
				return tokenMatch{}, false, ctx.Err()
			}
		case <-s.checks.stopped:
		case <-ctx.Done():
			return tokenMatch{}, false, ctx.Err()
		}
	}
	all, err := tokenPrincipals(ctx, s.tokenQuery, [][]byte{hash})
	if err != nil {
		return tokenMatch{}, false, err
	}
	m, found = all[string(hash)]
	return m, found, nil
}
