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

	"github.com/citizen-network/osk/internal/ballots"
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

// round is one live vote through Osk and the reference run right after it
// on the same voting list, so that the two meet the machine in the same
// mood: on a shared machine either may run at half speed for a while.
type round struct {
	osk, reference load
	peakKB         int64
}

// roundFigures are a round's figures as the JSON lists them.
type roundFigures struct {
	VoteThroughput      float64 `json:"vote_throughput"`
	ReferenceThroughput float64 `json:"reference_throughput"`
	VoteRatio           float64 `json:"vote_ratio"`
	VoteP99Ms           float64 `json:"vote_p99_ms"`
	ReferenceP99Ms      float64 `json:"reference_p99_ms"`
}

func (rd round) figures() roundFigures {
	f := roundFigures{VoteThroughput: rd.osk.throughput(), ReferenceThroughput: rd.reference.throughput(),
		VoteP99Ms: rd.osk.percentile(0.99), ReferenceP99Ms: rd.reference.percentile(0.99)}
	if f.ReferenceThroughput > 0 {
		f.VoteRatio = f.VoteThroughput / f.ReferenceThroughput
	}
	return f
}

// liveVote opens a secret ballot of the members present on the motion,
// has every voter vote at once, closes it, and runs the reference on its
// voting list.
func liveVote(ctx context.Context, osk *oskProcess, cl *client, c *coop, motion int64, databaseURL string,
	tokens []string, refConns int, log *progress) (round, error) {
	live, _, err := openBallot(ctx, cl, c, motion, ballots.ElectorateRepresented, true)
	if err != nil {
		return round{}, err
	}
	var rd round
	if rd.osk, rd.peakKB, err = voteLoad(ctx, osk, cl, live.ID, tokens, log); err != nil {
		return round{}, err
	}
	log.printf("Osk: %.0f votes/s, p99 %.1f ms, %d errors, peak RSS %.0f MB",
		rd.osk.throughput(), rd.osk.percentile(0.99), rd.osk.errors, float64(rd.peakKB)/1024)
	if _, _, err := closeBallot(ctx, cl, c, live.ID); err != nil {
		return round{}, err
	}
	if rd.reference, err = reference(ctx, databaseURL, live.ID, refConns, log); err != nil {
		return round{}, err
	}
	for _, e := range rd.reference.errorSamples {
		log.printf("reference error: %s", e)
	}
	f := rd.figures()
	log.printf("reference: %.0f votes/s, p99 %.1f ms; ratio %.2f", f.ReferenceThroughput, f.ReferenceP99Ms, f.VoteRatio)
	return rd, nil
}

// summarise puts the rounds' figures into r: throughputs and the ratio
// are medians over the rounds (the ratio the median of each round's own,
// so it need not be the quotient of the two medians), latencies are over
// every vote of every round, errors add up, and the peak is the highest.
func (r *results) summarise(rounds []round) {
	var osk, ref load
	var vote, reference, ratio []float64
	for _, rd := range rounds {
		f := rd.figures()
		r.Rounds = append(r.Rounds, f)
		vote, reference, ratio = append(vote, f.VoteThroughput), append(reference, f.ReferenceThroughput), append(ratio, f.VoteRatio)
		osk.latencies = append(osk.latencies, rd.osk.latencies...)
		ref.latencies = append(ref.latencies, rd.reference.latencies...)
		r.VoteErrors += rd.osk.errors
		r.ReferenceErrors += rd.reference.errors
		r.PeakRSSMB = max(r.PeakRSSMB, float64(rd.peakKB)/1024)
	}
	r.VoteThroughput, r.ReferenceThroughput, r.VoteRatio = median(vote), median(reference), median(ratio)
	r.VoteP50Ms, r.VoteP95Ms, r.VoteP99Ms = osk.percentile(0.50), osk.percentile(0.95), osk.percentile(0.99)
	r.ReferenceP50Ms, r.ReferenceP99Ms = ref.percentile(0.50), ref.percentile(0.99)
}

// median is the middle value, or the mean of the two middle values.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
