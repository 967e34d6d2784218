package browsertest

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Narrow makes the tab's window width CSS pixels wide: a small phone, or a
// screen zoomed in (320 is a 1280-pixel screen at 400%, the width of WCAG
// 2.2's success criterion 1.4.10, Reflow). The page shown, and every page
// the tab lands on after, is then checked to fit it (see CheckReflow).
func (p *Page) Narrow(width int) {
	p.t.Helper()
	p.do(fmt.Sprintf("narrow the window to %d pixels", width), chromedp.EmulateViewport(int64(width), 800))
	p.narrow = true
	p.CheckReflow()
}

// overflow finds what makes the page wider than its window: the outermost
// elements that stick out past its right edge, leaving out what a scroll
// container of its own holds (unless it is positioned, which an
// unpositioned scroll container does not hold).
const overflow = `(() => {
	const root = document.documentElement, width = root.clientWidth;
	const out = {width: width, scrollWidth: root.scrollWidth, culprits: []};
	if (root.scrollWidth <= width) {
		return JSON.stringify(out);
	}
	const scrolls = el => getComputedStyle(el).overflowX !== "visible";
	const positioned = el => ["absolute", "fixed"].includes(getComputedStyle(el).position);
	const sticksOut = el => el.getBoundingClientRect().right > width + 0.5;
	for (const el of document.body.querySelectorAll("*")) {
		if (!sticksOut(el) || sticksOut(el.parentElement)) {
			continue;
		}
		let held = false;
		for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
			held = held || scrolls(a);
		}
		if (!held || positioned(el)) {
			const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
				Array.from(el.classList, c => "." + c).join("");
			out.culprits.push(name + " (" + Math.round(el.getBoundingClientRect().right) + " px)");
		}
	}
	return JSON.stringify(out);
})()`

// CheckReflow fails the test unless the page shown fits its window's
// width, so that it reads without scrolling sideways: only a table may be
// wider, scrolling within itself, and it must still be a table to a screen
// reader. A Narrow tab checks every page it lands on.
func (p *Page) CheckReflow() {
	p.t.Helper()
	var got struct {
		Width       int      `json:"width"`
		ScrollWidth int      `json:"scrollWidth"`
		Culprits    []string `json:"culprits"`
	}
	if err := json.Unmarshal([]byte(p.eval("measure the page", overflow)), &got); err != nil {
		p.fatalf("measure the page: %v", err)
	}
	if got.ScrollWidth > got.Width {
		p.t.Errorf("browsertest: %s: %s is %d pixels wide in a window %d wide; sticking out: %s",
			p.name, p.Path(), got.ScrollWidth, got.Width, tally(got.Culprits))
	}
	if tables, read := p.eval("count the tables", `String(document.querySelectorAll("table").length)`), p.tablesRead(); tables != read {
		p.t.Errorf("browsertest: %s: %s has %s tables, of which a screen reader reads %s as tables", p.name, p.Path(), tables, read)
	}
}

// tablesRead counts the tables of the page that the browser tells
// assistive technology are tables.
func (p *Page) tablesRead() string {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	body, err := chromedp.Run(ctx, chromedp.Evaluate[*runtime.RemoteObject]("document.body"))
	if err != nil {
		p.fatalf("read the accessibility tree: %v", err)
	}
	res, err := chromedp.Call(ctx, accessibility.QueryAXTree, accessibility.QueryAXTreeParams{ObjectID: body.ObjectID, Role: "table"})
	if err != nil {
		p.fatalf("read the accessibility tree: %v", err)
	}
	return fmt.Sprint(len(res.Nodes))
}

// tally lists names once each, in order, with how many times each came.
func tally(names []string) string {
	counts := map[string]int{}
	var order []string
	for _, n := range names {
		if counts[n] == 0 {
			order = append(order, n)
		}
		counts[n]++
	}
	for i, n := range order {
		if counts[n] > 1 {
			order[i] = fmt.Sprintf("%s × %d", n, counts[n])
		}
	}
	return strings.Join(order, ", ")
}
