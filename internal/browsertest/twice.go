package browsertest

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// secondClickWait is how long ClickTwice waits, after the second click,
// for the request it may send.
const secondClickWait = time.Second

// ClickTwice clicks the element with the mouse, and clicks it again while
// the answer to the first click is on its way, as a person does who
// double-clicks a button, or clicks again on a slow connection; then it
// waits for the page that opens. The browser holds back the answers to
// the clicks' requests until the second click has had secondClickWait to
// send one. It returns how many requests the clicks sent.
func (p *Page) ClickTwice(l Locator) int {
	p.t.Helper()
	f := p.find(l)
	what := "click " + f.desc + " twice"
	p.mouse(what)
	start := time.Now()
	resp, sent := p.clickTwice(f, what)
	p.landed(what, resp, start)
	return sent
}

// clickTwice makes the clicks of ClickTwice, and returns the answer of
// the page that opens and how many requests the clicks sent.
func (p *Page) clickTwice(f found, what string) (*network.Response, int) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 2*stepTimeout)
	defer cancel()

	// The listener only passes events on: it may not send commands.
	paused := make(chan fetch.RequestID, 64)
	loaded := make(chan struct{}, 1)
	var mu sync.Mutex
	var answer *network.Response
	listening, stop := context.WithCancel(ctx)
	defer stop()
	err := chromedp.Listen(listening, func(ev any) {
		switch ev := ev.(type) {
		case *fetch.EventRequestPaused:
			select {
			case paused <- ev.RequestID:
			default:
			}
		case *network.EventResponseReceived:
			if ev.Type == network.ResourceTypeDocument {
				mu.Lock()
				answer = ev.Response
				mu.Unlock()
			}
		case *cdppage.EventLoadEventFired:
			select {
			case loaded <- struct{}{}:
			default:
			}
		}
	})
	if err != nil {
		p.fatalf("%s: %v", what, err)
	}
	hold := []*fetch.RequestPattern{{ResourceType: network.ResourceTypeDocument, RequestStage: fetch.RequestStageResponse}}
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: hold}); err != nil {
		p.fatalf("%s: hold the answers: %v", what, err)
	}
	defer func() {
		if _, err := chromedp.Call(ctx, fetch.Disable, cdp.Empty{}); err != nil {
			p.t.Errorf("browsertest: %s: %s: let the answers through: %v", p.name, what, err)
		}
	}()
	// Both clicks land where the element is before the first: while a
	// page is on its way, the browser finds no element to click by.
	var at struct{ X, Y float64 }
	where := `(() => { const el = ` + f.js + `; el.scrollIntoView({block: "center"});
		const r = el.getBoundingClientRect(); return JSON.stringify({x: r.left + r.width / 2, y: r.top + r.height / 2}); })()`
	if err := json.Unmarshal([]byte(p.eval("find "+f.desc, where)), &at); err != nil {
		p.fatalf("%s: %v", what, err)
	}
	click := func() {
		p.t.Helper()
		if err := chromedp.Do(ctx, chromedp.MouseClickXY(at.X, at.Y)); err != nil {
			p.fatalf("%s: %v", what, err)
		}
	}

	var held []fetch.RequestID
	click()
	select {
	case id := <-paused:
		held = append(held, id)
	case <-ctx.Done():
		p.fatalf("%s: the first click sent nothing", what)
	}
	click()
	wait := time.After(secondClickWait)
	for waiting := true; waiting; {
		select {
		case id := <-paused:
			held = append(held, id)
		case <-wait:
			waiting = false
		}
	}
	// Every answer goes through now, those held and those to come (the
	// page a redirect leads to). A first request that the second one
	// cancelled has no answer left to let through.
	letThrough := func(id fetch.RequestID) {
		_, _ = chromedp.Call(ctx, fetch.ContinueResponse, fetch.ContinueResponseParams{RequestID: id})
	}
	for _, id := range held {
		letThrough(id)
	}
	for waiting := true; waiting; {
		select {
		case id := <-paused:
			letThrough(id)
		case <-loaded:
			waiting = false
		case <-ctx.Done():
			p.fatalf("%s: no page opened", what)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if answer == nil {
		p.fatalf("%s: the page opened without an answer", what)
	}
	return answer, len(held)
}
