package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Page is one browser tab, with cookies and storage of its own: one person
// walking through Osk. Its methods act as that person
// does and fail the test when they cannot. Every page the tab lands on is
// checked with axe-core (see CheckA11y), on a Narrow tab for reflow too,
// and each landing is logged, so a failed test shows the way it came.
type Page struct {
	*tab
	// scope is the element the methods look inside (see Within); nil for
	// the whole page.
	scope *Locator
}

// tab is the browser tab of a Page and of the Pages Within it.
type tab struct {
	t            testing.TB
	ctx          context.Context // the tab, marked scriptsOff if so
	bare         context.Context // the tab, unmarked, for opening others
	base         string
	name         string
	noScript     bool
	keyboardOnly bool
	zone         string // see InZone
	narrow       bool   // see Narrow
	status       int64  // of the document shown
}

// Option changes how a Page is opened.
type Option func(*Page)

// WithoutJavaScript opens the tab with JavaScript switched off, as for a
// person whose browser runs none: every page must still work.
func WithoutJavaScript() Option { return func(p *Page) { p.noScript = true } }

// KeyboardOnly makes every use of the mouse (Click, Type, Check, Select)
// fail the test, so a journey proves it can be done with Tab, Enter, Space
// and typing alone (TabTo, Press, PressAndWait, TypeKeys).
func KeyboardOnly() Option { return func(p *Page) { p.keyboardOnly = true } }

// InZone runs the tab's clock in the IANA time zone, as for a member on
// another continent: pages then add the times of a meeting in the
// viewer's own zone.
func InZone(zone string) Option { return func(p *Page) { p.zone = zone } }

// As names the person at the tab ("applicant", "board member") in the log
// and in the names of the files saved on failure. Each Page of a test needs
// a name of its own; the default is "browser".
func As(name string) Option { return func(p *Page) { p.name = name } }

// The keys Press and PressAndWait know by name. Any other string is typed
// as it is.
const (
	Enter = "\r"
	Space = " "
	Tab   = "\t"
)

// scriptsOff marks the context of a tab opened WithoutJavaScript.
type scriptsOff struct{}

// scriptingOffProbe tells whether the page runs scripts. The HTML parser
// reads what is inside <noscript> as elements only when scripting is off,
// and it asks the browser's setting each time, not the page's scripts
// (which must not run to answer).
const scriptingOffProbe = `(() => {
	const div = document.createElement("div");
	div.innerHTML = "<noscript><i></i></noscript>";
	return String(div.querySelector("noscript i") !== null);
})()`

// Open opens a fresh tab on the Osk at baseURL (an osktest Instance's URL,
// exactly: sign-in only works on that origin). The tab closes when the
// test ends, after saving a screenshot and the HTML of its page under
// test-output/browser/<TestName>/ if the test failed.
func Open(t testing.TB, baseURL string, opts ...Option) *Page {
	t.Helper()
	root, err := browserContext()
	if err != nil {
		t.Fatal(err)
	}
	p := &Page{tab: &tab{t: t, base: strings.TrimRight(baseURL, "/"), name: "browser"}}
	for _, o := range opts {
		o(p)
	}
	p.start(root, chromedp.WithNewBrowserContext())
	return p
}

// NewTab opens another tab of the same person in the same browser, as a
// person does with a link opened in a new tab: it shares the cookies, so it
// is signed in as p is. It is opened as p was, with opts on top; As gives
// it a name of its own, by default p's name and ", another tab".
func (p *Page) NewTab(opts ...Option) *Page {
	p.t.Helper()
	other := &Page{tab: &tab{t: p.t, base: p.base, name: p.name + ", another tab",
		noScript: p.noScript, keyboardOnly: p.keyboardOnly, zone: p.zone}}
	for _, o := range opts {
		o(other)
	}
	other.start(p.bare)
	return other
}

// start opens the Page's tab from parent, a browser or a tab whose browser
// context it shares.
func (p *Page) start(parent context.Context, opts ...chromedp.ContextOption) {
	p.t.Helper()
	removeArtifacts(p.t, p.name)
	tabCtx, closeTab := chromedp.NewContext(parent, opts...)
	if err := startWithin(tabCtx, closeTab, "a tab"); err != nil {
		p.t.Fatalf("browsertest: open a tab: %v", err)
	}
	p.t.Cleanup(closeTab)
	p.ctx, p.bare = tabCtx, tabCtx
	if p.zone != "" {
		p.do("set the time zone to "+p.zone, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: p.zone})
			return err
		}))
	}
	if p.noScript {
		p.ctx = context.WithValue(tabCtx, scriptsOff{}, true)
		p.do("switch JavaScript off", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			return setScripts(ctx, false)
		}))
	}
	p.t.Cleanup(p.saveOnFailure)
}

// Within is p narrowed to the element of l, for a page that repeats a
// form: what its methods look for by words (links, buttons, fields and
// labels) is looked for inside that element only, as a person means "the
// button of this form". See, TextOf and the other readers of the page
// still read all of it. It acts in p's tab; after a step that opens
// another page, go on with p.
func (p *Page) Within(l Locator) *Page {
	scope := l
	if p.scope != nil {
		scope = l.inside(*p.scope)
	}
	return &Page{tab: p.tab, scope: &scope}
}

// found is a Locator bound to a Page: a JavaScript expression giving the
// element, or null.
type found struct {
	js   string
	desc string
}

func (f found) String() string       { return f.desc }
func (f found) sel() chromedp.JSPath { return chromedp.JSPath(f.js) }

// find binds l to the page shown, inside the element of Within.
func (p *Page) find(l Locator) found {
	if p.scope == nil {
		return found{js: l.in("document"), desc: l.desc}
	}
	return found{js: l.inside(*p.scope).in("document"), desc: l.desc + " in " + p.scope.desc}
}

// Visit goes to path (or a whole URL), as a person typing it into the
// address bar.
func (p *Page) Visit(path string) {
	p.t.Helper()
	target := path
	if !strings.Contains(path, "://") {
		target = p.base + path
	}
	p.open("visit "+path, func(ctx context.Context) (*network.Response, error) {
		return chromedp.Run(ctx, chromedp.NavigateResponse(target))
	})
}

// Reload loads the page shown again, as a person does to see what has
// changed when the page cannot show it by itself.
func (p *Page) Reload() {
	p.t.Helper()
	p.open("reload", func(ctx context.Context) (*network.Response, error) {
		return chromedp.RunResponse(ctx, chromedp.Reload())
	})
}

// Click clicks the element with the mouse and waits for the page it opens.
func (p *Page) Click(l Locator) {
	p.t.Helper()
	f := p.find(l)
	p.mouse("click " + f.desc)
	p.open("click "+f.desc, func(ctx context.Context) (*network.Response, error) {
		return chromedp.RunResponse(ctx, chromedp.Click(f.sel()))
	})
}

// ClickLink clicks the link whose text is text and waits for its page.
func (p *Page) ClickLink(text string) {
	p.t.Helper()
	p.Click(Link(text))
}

// Submit clicks the button whose text is button and waits for the page the
// form answers with.
func (p *Page) Submit(button string) {
	p.t.Helper()
	p.Click(Button(button))
}

// Type clicks into the field labelled label, selects what is in it and
// types text over it, key by key. A date or time field (type date, time or
// datetime-local) shows its value in parts, such as month, day, year,
// hours, minutes and AM or PM in the browser's language: into those, Type
// types each part in the order they show, as a person does; text is the
// field's value all the same, such as 2026-06-01T18:00.
func (p *Page) Type(label, text string) {
	p.t.Helper()
	f := p.find(Field(label))
	p.mouse("type into " + f.desc)
	switch kind := p.eval("read the type of "+f.desc, `(() => { const el = `+f.js+`; return el === null ? "" : el.type; })()`); kind {
	case "date", "time", "datetime-local":
		keys := p.dateKeys(f, kind, text)
		// Focus, not a click: a click lands on whichever part is under
		// the pointer, and the typing starts at the first.
		p.do("type into "+f.desc, append([]chromedp.Action[chromedp.Void]{chromedp.Focus(f.sel())}, keys...)...)
	default:
		selectAll := func(k *input.DispatchKeyEventParams) { k.Commands = []string{"selectAll"} }
		p.do("type into "+f.desc,
			chromedp.Click(f.sel()),
			chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl), selectAll),
			chromedp.KeyEvent("\b"),
			chromedp.KeyEvent(text),
		)
	}
	if got := p.value(f); got != text {
		p.fatalf("typed %q into %s, which now holds %q", text, f, got)
	}
}

// dateParts asks the browser the order in which its date and time fields
// show their parts, and whether hours go from 1 to 12 with AM and PM.
const dateParts = `(() => {
	const f = new Intl.DateTimeFormat(navigator.language,
		{year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit"});
	return JSON.stringify({
		parts: f.formatToParts(new Date(2006, 0, 2, 15, 4)).map(p => p.type).filter(t => t !== "literal"),
		hour12: f.resolvedOptions().hour12 === true,
	});
})()`

// dateKeys are the keys that type value, an HTML date, time or
// datetime-local value, into a field of that kind, part by part. A part of
// two digits moves on to the next by itself once typed; the year, which
// may have more than four, moves on with the right arrow key.
func (p *Page) dateKeys(f found, kind, value string) []chromedp.Action[chromedp.Void] {
	p.t.Helper()
	layout := map[string]string{"date": "2006-01-02", "time": "15:04", "datetime-local": "2006-01-02T15:04"}[kind]
	t, err := time.Parse(layout, value)
	if err != nil {
		p.fatalf("%q is not a value for %s, a %s field: write it as %s", value, f, kind, layout)
	}
	var order struct {
		Parts  []string `json:"parts"`
		Hour12 bool     `json:"hour12"`
	}
	if err := json.Unmarshal([]byte(p.eval("read how the browser writes dates", dateParts)), &order); err != nil {
		p.fatalf("read how the browser writes dates: %v", err)
	}
	hasDate, hasTime := kind != "time", kind != "date"
	var keys []chromedp.Action[chromedp.Void]
	typeKeys := func(s string) { keys = append(keys, chromedp.KeyEvent(s)) }
	for _, part := range order.Parts {
		switch {
		case part == "year" && hasDate:
			typeKeys(t.Format("2006"))
			typeKeys(kb.ArrowRight)
		case part == "month" && hasDate:
			typeKeys(t.Format("01"))
		case part == "day" && hasDate:
			typeKeys(t.Format("02"))
		case part == "hour" && hasTime && order.Hour12:
			typeKeys(t.Format("03"))
		case part == "hour" && hasTime:
			typeKeys(t.Format("15"))
		case part == "minute" && hasTime:
			typeKeys(t.Format("04"))
		case part == "dayPeriod" && hasTime && order.Hour12:
			typeKeys(t.Format("PM")[:1])
		}
	}
	return keys
}

// Append clicks into the field labelled label, goes to the end of what it
// holds and types text there, key by key: what a person does to add to a
// text that comes filled in. A new line in text is a press of Enter.
func (p *Page) Append(label, text string) {
	p.t.Helper()
	f := p.find(Field(label))
	p.mouse("type into " + f.desc)
	before := p.value(f)
	toEnd := func(k *input.DispatchKeyEventParams) { k.Commands = []string{"moveToEndOfDocument"} }
	p.do("type at the end of "+f.desc,
		chromedp.Click(f.sel()),
		chromedp.KeyEvent(kb.End, chromedp.KeyModifiers(chromedp.ModifierCtrl), toEnd),
		chromedp.KeyEvent(text),
	)
	if got := p.value(f); got != before+text {
		p.fatalf("typed %q at the end of %s, which now ends %q", text, f, got[max(0, len(got)-len(text)-40):])
	}
}

// Check ticks the check box, or chooses the radio button, labelled label,
// by clicking its label.
func (p *Page) Check(label string) {
	p.t.Helper()
	p.setChecked(label, true)
}

// Uncheck clears the check box labelled label by clicking its label.
func (p *Page) Uncheck(label string) {
	p.t.Helper()
	p.setChecked(label, false)
}

func (p *Page) setChecked(label string, want bool) {
	p.t.Helper()
	f, l := p.find(Field(label)), p.find(Label(label))
	p.mouse("click " + l.desc)
	if p.checked(f) == want {
		return
	}
	p.do("click "+l.desc, chromedp.Click(l.sel()))
	if p.checked(f) != want {
		p.fatalf("clicking %s did not change %s", l, f)
	}
}

// Select chooses the option whose text is option in the list labelled
// label, as a person does from the keyboard: with the list focused, typing
// the start of the option's text chooses it.
func (p *Page) Select(label, option string) {
	p.t.Helper()
	f := p.find(Field(label))
	p.mouse("choose from " + f.desc)
	p.do("choose "+option+" from "+f.desc, chromedp.Focus(f.sel()), chromedp.KeyEvent(option))
	if got := p.eval("the chosen option of "+f.desc, `(() => { const el = `+f.js+`; return el.options[el.selectedIndex].text.trim(); })()`); got != option {
		p.fatalf("typing %q in %s chose %q", option, f, got)
	}
}

// TextOf returns the text of the first element matching the CSS selector,
// as it reads on the page, waiting for it to show.
func (p *Page) TextOf(css string) string {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		p.fatalf("read %s: %v", css, err)
	}
	return strings.TrimSpace(text)
}

// See fails the test unless text reads somewhere on the page.
func (p *Page) See(text string) {
	p.t.Helper()
	if page := p.pageText(); !strings.Contains(page, collapse(text)) {
		p.fatalf("%q is not on the page, which reads:\n%s", text, page)
	}
}

// NotSee fails the test if text reads anywhere on the page.
func (p *Page) NotSee(text string) {
	p.t.Helper()
	if page := p.pageText(); strings.Contains(page, collapse(text)) {
		p.fatalf("%q is on the page, which reads:\n%s", text, page)
	}
}

// WaitToSee waits until text reads on the page, for what changes on the
// page shown without loading another (a live update), and fails if it
// does not within a step's time.
func (p *Page) WaitToSee(text string) {
	p.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		page := p.pageText()
		if strings.Contains(page, collapse(text)) {
			return
		}
		if time.Now().After(deadline) {
			p.fatalf("waited %s and %q is not on the page, which reads:\n%s", stepTimeout, text, page)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Definition returns what a summary list says of term: the text of the
// description after the term that reads term, as in "Member number: 4".
func (p *Page) Definition(term string) string {
	p.t.Helper()
	f := p.find(XPath(".//dt[normalize-space()="+xpathString(term)+"]/following-sibling::dd[1]", fmt.Sprintf("the description of %q", term)))
	var got *string
	raw := p.eval("read "+f.desc, `(() => { const el = `+f.js+`; return JSON.stringify(el === null ? null : el.innerText); })()`)
	if err := json.Unmarshal([]byte(raw), &got); err != nil {
		p.fatalf("read %s: %v", f, err)
	}
	if got == nil {
		p.fatalf("%s is not on the page, which reads:\n%s", f, p.pageText())
	}
	return collapse(*got)
}

// Fetched is what the browser received for an address.
type Fetched struct {
	URL         string
	Status      int
	ContentType string
	Body        string
}

// FetchLink fetches the address of the link whose text is text from the
// page, with the tab's cookies: a person's download of the file the link
// leads to, which the browser saves rather than shows.
func (p *Page) FetchLink(text string) Fetched {
	p.t.Helper()
	f := p.find(Link(text))
	if !p.Has(Link(text)) {
		p.fatalf("there is no %s on the page, which reads:\n%s", f, p.pageText())
	}
	script := `(async () => {
		const r = await fetch(` + f.js + `.href, {credentials: "same-origin"});
		return JSON.stringify({url: r.url, status: r.status, contentType: r.headers.get("Content-Type") || "", body: await r.text()});
	})()`
	ctx, cancel := p.step()
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](script, chromedp.EvalAwaitPromise))
	if err != nil {
		p.fatalf("fetch the address of %s: %v", f, err)
	}
	var got Fetched
	if err := json.Unmarshal([]byte(raw), &got); err != nil {
		p.fatalf("fetch the address of %s: %v", f, err)
	}
	p.t.Logf("%s: fetch %s: %d %s (%s, %d bytes)", p.name, f, got.Status, got.URL, got.ContentType, len(got.Body))
	return got
}

// Value returns what the field labelled label holds.
func (p *Page) Value(label string) string {
	p.t.Helper()
	return p.value(p.find(Field(label)))
}

// Has reports whether the element is on the page.
func (p *Page) Has(l Locator) bool {
	p.t.Helper()
	f := p.find(l)
	return p.eval("look for "+f.desc, `String(`+f.js+` !== null)`) == "true"
}

// Path is the path and query of the page shown.
func (p *Page) Path() string {
	p.t.Helper()
	raw := p.eval("read the address", "location.href")
	u, err := url.Parse(raw)
	if err != nil {
		p.fatalf("the page's address %q: %v", raw, err)
	}
	return u.RequestURI()
}

// Context is the tab's chromedp context, for what Page has no method for.
// Its actions need deadlines of their own.
func (p *Page) Context() context.Context { return p.ctx }

// Status is the HTTP status of the page shown.
func (p *Page) Status() int { return int(p.status) }

// CheckA11y checks the page shown with axe-core; see the function
// CheckA11y. Every landing does it already; call it after a change within
// the page.
func (p *Page) CheckA11y() {
	p.t.Helper()
	CheckA11y(p.t, p.ctx)
}

// SignIn signs in through Osk's development sign-in as a person does, from
// the home page, and fails unless it ends signed in. An account made in
// advance for email is claimed, and keeps its own name.
func (p *Page) SignIn(email, name string) {
	p.t.Helper()
	p.Visit("/")
	p.ClickLink("Sign in")
	p.ClickLink("Sign in with the development sign-in")
	p.Type("Email address", email)
	p.Type("Full name", name)
	p.Submit("Sign in")
	if !p.Has(Button("Sign out")) {
		p.fatalf("not signed in as %s", email)
	}
}

// open runs an action that makes the tab load a page, waits for it and
// checks it.
func (p *Page) open(what string, load func(ctx context.Context) (*network.Response, error)) {
	p.t.Helper()
	start := time.Now()
	ctx, cancel := p.step()
	resp, err := load(ctx)
	cancel()
	if err != nil {
		p.fatalf("%s: %v", what, err)
	}
	// A move within the page (to #field from an error summary) has no
	// response, and no new document to check.
	if resp == nil {
		p.t.Logf("%s: %s: within the page", p.name, what)
		return
	}
	p.landed(what, resp, start)
}

// landed records the page the tab has loaded, answered with resp to what
// began at start, and checks it.
func (p *Page) landed(what string, resp *network.Response, start time.Time) {
	p.t.Helper()
	p.status = resp.Status
	p.t.Logf("%s: %s: %d %s (%s)", p.name, what, resp.Status, resp.URL, time.Since(start).Round(time.Millisecond))
	if resp.Status >= 500 {
		p.fatalf("%s answered %d %s", resp.URL, resp.Status, resp.StatusText)
	}
	if p.noScript && p.eval("look for JavaScript", scriptingOffProbe) != "true" {
		p.fatalf("JavaScript is on at %s, in a tab opened without it", resp.URL)
	}
	p.CheckA11y()
	if p.narrow {
		p.CheckReflow()
	}
}

// do runs actions that stay on the page.
func (p *Page) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression that gives a string. Evaluation
// by the browser works when the page's own scripts are switched off.
func (p *Page) eval(what, expr string) string {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		p.fatalf("%s: %v", what, err)
	}
	return s
}

func (p *Page) value(f found) string {
	p.t.Helper()
	return p.eval("read "+f.desc, `(() => { const el = `+f.js+`; return el === null ? "" : el.value; })()`)
}

func (p *Page) checked(f found) bool {
	p.t.Helper()
	return p.eval("read "+f.desc, `(() => { const el = `+f.js+`; return String(el !== null && el.checked); })()`) == "true"
}

// pageText is the text of the page as it reads, white space collapsed.
func (p *Page) pageText() string {
	p.t.Helper()
	return collapse(p.eval("read the page", "document.body ? document.body.innerText : ''"))
}

func (p *Page) mouse(what string) {
	p.t.Helper()
	if p.keyboardOnly {
		p.fatalf("%s needs the mouse, and this journey is by keyboard alone: use TabTo and Press", what)
	}
}

func (p *Page) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(p.ctx, stepTimeout)
}

func (p *Page) fatalf(format string, args ...any) {
	p.t.Helper()
	p.t.Fatalf("browsertest: %s: "+format, append([]any{p.name}, args...)...)
}

// setScripts switches the page's own JavaScript on or off.
func setScripts(ctx context.Context, on bool) error {
	_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on})
	return err
}

var spaces = regexp.MustCompile(`\s+`)

func collapse(s string) string { return strings.TrimSpace(spaces.ReplaceAllString(s, " ")) }

// saveOnFailure keeps what the tab shows when the test failed: a
// screenshot of the whole page and its HTML.
func (p *Page) saveOnFailure() {
	if !p.t.Failed() {
		return
	}
	dir := artifactDir(p.t.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Logf("browsertest: keep the page: %v", err)
		return
	}
	ctx, cancel := p.step()
	defer cancel()
	base := filepath.Join(dir, fileName(p.name))
	var saved []string
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err != nil {
		p.t.Logf("browsertest: screenshot: %v", err)
	} else if err := os.WriteFile(base+".png", png, 0o644); err != nil {
		p.t.Logf("browsertest: screenshot: %v", err)
	} else {
		saved = append(saved, base+".png")
	}
	html, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`"<!-- " + location.href + " -->\n<!doctype html>\n" + document.documentElement.outerHTML`))
	if err != nil {
		p.t.Logf("browsertest: page HTML: %v", err)
	} else if err := os.WriteFile(base+".html", []byte(html), 0o644); err != nil {
		p.t.Logf("browsertest: page HTML: %v", err)
	} else {
		saved = append(saved, base+".html")
	}
	if len(saved) > 0 {
		p.t.Logf("browsertest: %s: the page at the failure is in %s", p.name, strings.Join(saved, " and "))
	}
}

// removeArtifacts removes what an earlier failed run of the test saved for
// the tab name, so that what test-output holds is from the last run.
func removeArtifacts(t testing.TB, name string) {
	dir := artifactDir(t.Name())
	for _, ext := range []string{".png", ".html"} {
		if err := os.Remove(filepath.Join(dir, fileName(name)+ext)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Logf("browsertest: %v", err)
		}
	}
	_ = os.Remove(dir) // only if empty
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// fileName makes a test's or a person's name safe as a file name.
func fileName(name string) string {
	return strings.Trim(unsafeName.ReplaceAllString(name, "_"), ".")
}

// artifactDir is test-output/browser/<TestName> at the root of the
// repository, one directory down for each subtest.
func artifactDir(test string) string {
	parts := strings.Split(test, "/")
	for i, part := range parts {
		parts[i] = fileName(part)
	}
	return filepath.Join(append([]string{repoRoot(), "test-output", "browser"}, parts...)...)
}

// repoRoot is the directory of go.mod above the test's working directory
// (its package directory), or the working directory itself.
func repoRoot() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			return wd
		}
	}
}
