package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"
)

// load is the outcome of many concurrent requests, each timed alone.
type load struct {
	ok        int
	errors    int
	elapsed   time.Duration
	latencies []time.Duration
	// errorSamples are the first errors, for the log.
	errorSamples []string
}

func (l load) throughput() float64 {
	if l.elapsed <= 0 {
		return 0
	}
	return float64(l.ok) / l.elapsed.Seconds()
}

// percentile is the latency below which a share p of the requests
// finished, in milliseconds (nearest rank).
func (l load) percentile(p float64) float64 {
	if len(l.latencies) == 0 {
		return 0
	}
	s := slices.Clone(l.latencies)
	slices.Sort(s)
	i := max(int(math.Ceil(p*float64(len(s))))-1, 0)
	return float64(s[i].Microseconds()) / 1000
}

// burst runs fn for 0..n-1, all at once: n goroutines wait at a barrier
// and are released together, and the clock runs from the release to the
// last answer.
func burst(ctx context.Context, n int, fn func(ctx context.Context, i int) (time.Duration, error)) load {
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		l     = load{latencies: make([]time.Duration, 0, n)}
		start = make(chan struct{})
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			d, err := fn(ctx, i)
			mu.Lock()
			defer mu.Unlock()
			l.latencies = append(l.latencies, d)
			if err != nil {
				l.errors++
				if len(l.errorSamples) < 5 {
					l.errorSamples = append(l.errorSamples, err.Error())
				}
				return
			}
			l.ok++
		}()
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	l.elapsed = time.Since(t0)
	return l
}

// ballotView is what the benchmark reads of a ballot.
type ballotView struct {
	ID       int64  `json:"id"`
	Status   string `json:"status"`
	Eligible int    `json:"eligible"`
	Voted    int    `json:"voted"`
	Result   *struct {
		Outcome             *string `json:"outcome"`
		AwaitingCastingVote bool    `json:"awaiting_casting_vote"`
	} `json:"result"`
}

var choices = []string{"for", "for", "for", "against", "against", "abstain"}

// voteLoad has every voter read the ballot (as its page would), then all
// vote at once through the vote route, each on the connection its read
// opened. Osk's peak RSS is taken over the votes alone: the kernel's
// high-water mark is reset when they start, and VmRSS is sampled as well
// in case the kernel refuses the reset.
func voteLoad(ctx context.Context, osk *oskProcess, cl *client, ballotID int64, tokens []string, log *progress) (load, int64, error) {
	path := "/api/v1/ballots/" + strconv.FormatInt(ballotID, 10)
	log.printf("%d voters read the ballot", len(tokens))
	reads := burst(ctx, len(tokens), func(ctx context.Context, i int) (time.Duration, error) {
		var b ballotView
		d, err := cl.call(ctx, "GET", path, tokens[i], nil, 200, &b)
		if err == nil && (b.Status != "open" || b.Eligible != len(tokens)) {
			err = fmt.Errorf("ballot %d is %s with %d eligible, want open with %d", b.ID, b.Status, b.Eligible, len(tokens))
		}
		return d, err
	})
	if reads.errors > 0 {
		return load{}, 0, fmt.Errorf("voters reading the ballot: %d errors, first: %s", reads.errors, reads.errorSamples[0])
	}

	resetErr := osk.resetPeakRSS()
	if resetErr != nil {
		log.printf("%v: the peak is then that of Osk's whole life", resetErr)
	}
	var (
		sampled int64
		stop    = make(chan struct{})
		sampler sync.WaitGroup
	)
	sampler.Add(1)
	go func() {
		defer sampler.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			if kb, err := osk.memory("VmRSS"); err == nil {
				sampled = max(sampled, kb)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()

	log.printf("%d voters vote at once", len(tokens))
	votes := burst(ctx, len(tokens), func(ctx context.Context, i int) (time.Duration, error) {
		var cast struct {
			Receipt string `json:"receipt"`
		}
		body := map[string]string{"choice": choices[rand.IntN(len(choices))]}
		d, err := cl.call(ctx, "POST", path+"/votes", tokens[i], body, 201, &cast)
		if err == nil && len(cast.Receipt) != 26 {
			err = fmt.Errorf("a vote answered without a receipt")
		}
		return d, err
	})
	close(stop)
	sampler.Wait()
	peak, err := osk.memory("VmHWM")
	if err != nil {
		return load{}, 0, err
	}
	for _, e := range votes.errorSamples {
		log.printf("vote error: %s", e)
	}
	return votes, max(peak, sampled), nil
}
