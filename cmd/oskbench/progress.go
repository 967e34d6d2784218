package main

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progress writes what the benchmark is doing, with the time since it
// started, so that a long seeding shows it is moving.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
}

func newProgress(w io.Writer) *progress {
	return &progress{w: w, start: time.Now()}
}

func (p *progress) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "[%7.1fs] %s\n", time.Since(p.start).Seconds(), fmt.Sprintf(format, args...))
}

// counter reports every step rows of a long copy.
func (p *progress) counter(what string, total int) func(done int) {
	step := max(total/10, 1)
	return func(done int) {
		if done%step == 0 || done == total {
			p.printf("%s: %d/%d", what, done, total)
		}
	}
}
