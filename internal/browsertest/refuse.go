package browsertest

import (
	"context"
	"sync/atomic"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
)

// Refuse answers the page's requests to addresses that match pattern (a
// URL pattern of the DevTools protocol, such as "*/events*", where * is
// any text) with status and a short body, as a server in an outage or a
// proxy during a deploy does, until the returned function is called:
// requests after that reach the server. It returns how many it refused.
func (p *Page) Refuse(pattern string, status int) (restore func() int) {
	p.t.Helper()
	what := "refuse " + pattern
	ctx, stop := context.WithCancel(p.ctx)
	paused := make(chan fetch.RequestID, 64)
	// The listener only passes events on: it may not send commands.
	err := chromedp.Listen(ctx, func(ev any) {
		if ev, ok := ev.(*fetch.EventRequestPaused); ok {
			paused <- ev.RequestID
		}
	})
	if err != nil {
		stop()
		p.fatalf("%s: %v", what, err)
	}
	match := []*fetch.RequestPattern{{URLPattern: pattern, RequestStage: fetch.RequestStageRequest}}
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: match}); err != nil {
		stop()
		p.fatalf("%s: %v", what, err)
	}
	var refusing atomic.Bool
	var refused atomic.Int64
	refusing.Store(true)
	done := make(chan struct{})
	go func() {
		defer close(done)
		body := []byte("refused by the test")
		for {
			select {
			case id := <-paused:
				if refusing.Load() {
					refused.Add(1)
					_, _ = chromedp.Call(ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{RequestID: id, ResponseCode: int64(status),
						ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "text/plain"}}, Body: body})
				} else {
					_, _ = chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: id})
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() int {
		p.t.Helper()
		refusing.Store(false)
		if _, err := chromedp.Call(ctx, fetch.Disable, cdp.Empty{}); err != nil {
			p.t.Errorf("browsertest: %s: %s: let the requests through: %v", p.name, what, err)
		}
		stop()
		<-done
		return int(refused.Load())
	}
}
