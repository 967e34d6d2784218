package auth_test

import (
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/citizen-network/osk/internal/osktest"
)

// Two instances share the sign-in limit exactly: 40 attempts from one
// address at the same moment, half on each, let 30 through and no more,
// however their counts interleave.
func TestRateLimit_InstancesShareOneExactCount(t *testing.T) {
	first := osktest.Start(t, osktest.Options{})
	second := osktest.Start(t, osktest.Options{DB: first.DB})
	var (
		mu             sync.Mutex
		passed, denied int
		retryAfter     string
		wg             sync.WaitGroup
	)
	for i := range 40 {
		inst := first
		if i%2 == 1 {
			inst = second
		}
		c := inst.Client(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodGet, inst.URL+"/auth/dev", nil)
			resp, err := c.HTTP.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			mu.Lock()
			defer mu.Unlock()
			switch resp.StatusCode {
			case http.StatusSeeOther:
				passed++
			case http.StatusTooManyRequests:
				denied++
				retryAfter = resp.Header.Get("Retry-After")
			default:
				t.Errorf("sign-in begin: %d", resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	if passed != 30 || denied != 10 {
		t.Fatalf("%d let through and %d refused, want 30 and 10", passed, denied)
	}
	if s, err := strconv.Atoi(retryAfter); err != nil || s < 1 || s > 60 {
		t.Errorf("Retry-After %q, want the seconds left of the minute", retryAfter)
	}
}
