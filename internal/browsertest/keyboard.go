package browsertest

import (
	"context"
	"strings"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// maxTabs bounds TabTo: no page of Osk has this many stops before what a
// person came for, and one that had would be a problem in itself.
const maxTabs = 60

// TabTo presses Tab until the element has the focus, and fails, listing
// where the focus went, if it does not get there within maxTabs presses.
func (p *Page) TabTo(l Locator) {
	p.t.Helper()
	f := p.find(l)
	// Each answer is "yes" or what has the focus, for the message.
	probe := `(() => {
		const want = ` + f.js + `;
		const el = document.activeElement;
		if (want !== null && want === el) return "yes";
		if (el === null || el === document.body) return "(the page)";
		const words = (el.getAttribute("aria-label") || el.innerText || el.value || "").trim().replace(/\s+/g, " ");
		return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (words ? " " + JSON.stringify(words.slice(0, 40)) : "");
	})()`
	// trail[0] is where the focus was before the first Tab.
	var trail []string
	for range maxTabs + 1 {
		got := p.eval("look for the focus", probe)
		if got == "yes" {
			return
		}
		if len(trail) > 2 && got == trail[1] {
			p.fatalf("went round the page by Tab and %s never had the focus, which stops at:\n  %s",
				f, strings.Join(trail[1:], "\n  "))
		}
		trail = append(trail, got)
		p.do("press Tab", chromedp.KeyEvent(Tab))
	}
	p.fatalf("pressed Tab %d times and %s never had the focus, which went to:\n  %s",
		maxTabs, f, strings.Join(trail[1:], "\n  "))
}

// Focused reports whether the element has the focus.
func (p *Page) Focused(l Locator) bool {
	p.t.Helper()
	return p.eval("look for the focus", `String(`+p.find(l).js+` === document.activeElement)`) == "true"
}

// Press presses keys (Enter, Space, Tab or any text) on whatever has the
// focus, for keys that stay on the page: Space ticks a check box.
func (p *Page) Press(keys string) {
	p.t.Helper()
	p.do("press "+keyName(keys), chromedp.KeyEvent(keys))
}

// PressAndWait presses a key on whatever has the focus and waits for the
// page it opens: Enter on a link, Enter or Space on a button.
func (p *Page) PressAndWait(key string) {
	p.t.Helper()
	p.open("press "+keyName(key), func(ctx context.Context) (*network.Response, error) {
		return chromedp.RunResponse(ctx, chromedp.KeyEvent(key))
	})
}

// TypeKeys types text into whatever has the focus, key by key.
func (p *Page) TypeKeys(text string) {
	p.t.Helper()
	p.do("type "+keyName(text), chromedp.KeyEvent(text))
}

func keyName(keys string) string {
	switch keys {
	case Enter:
		return "Enter"
	case Space:
		return "Space"
	case Tab:
		return "Tab"
	}
	return `"` + keys + `"`
}
