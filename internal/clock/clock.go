// Package clock is the one source of "now" for every rule of Osk that
// depends on time (notice windows, deadlines, ballot closing times).
//
// Production uses the real time. Development and tests use an Adjustable
// clock that can be moved forward or set, like a payment provider's test
// clock, so that a meeting two months away can be held in a test today.
package clock

import (
	"sync"
	"time"
)

// Clock tells the time.
type Clock interface {
	Now() time.Time
}

// Real is the wall clock, in UTC.
type Real struct{}

// Now returns the current time in UTC.
func (Real) Now() time.Time { return time.Now().UTC() }

// Adjustable runs with the wall clock from an offset that can be changed.
// It is safe for concurrent use.
type Adjustable struct {
	mu     sync.RWMutex
	offset time.Duration
}

// Now returns the wall clock moved by the current offset, in UTC.
func (c *Adjustable) Now() time.Time {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return time.Now().Add(c.offset).UTC()
}

// Advance moves the clock forward (or back, for a negative d).
func (c *Adjustable) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
	return c.Now()
}

// Set makes the clock read t now, and run on from there.
func (c *Adjustable) Set(t time.Time) time.Time {
	c.mu.Lock()
	c.offset = time.Until(t)
	c.mu.Unlock()
	return c.Now()
}

// The moments a person may give Osk lie between these: in UTC they read
// with a four-digit year in every time zone, as JSON, iCalendar and the
// audit log's canonical form write times.
var (
	earliest = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	latest   = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Representable says whether t is a moment Osk can record and show: from
// 1900 to the end of 9998.
func Representable(t time.Time) bool {
	return !t.Before(earliest) && t.Before(latest)
}
