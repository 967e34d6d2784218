package browsertest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// page is a small accessible page around body.
func page(title, body string) string {
	return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>` + title + `</title></head>` +
		`<body><main><h1>` + title + `</h1>` + body + `</main></body></html>`
}

// serve answers each path with its page.
func serve(t *testing.T, pages map[string]string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// A gate that finds nothing proves nothing: axe-core must report a page
// that breaks the rules, in words that lead to the fault.
func TestAudit_ReportsViolations(t *testing.T) {
	t.Parallel()
	base := serve(t, map[string]string{"/": `<!doctype html><html><head><title>Bad</title></head><body>
		<img src="/chart.png">
		<form><input type="text" name="q"></form>
		<p style="color:#bbb;background:#fff">Faint words</p>
	</body></html>`})
	root, err := browserContext()
	if err != nil {
		t.Fatal(err)
	}
	tab, closeTab := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
	defer closeTab()
	if err := startWithin(tab, closeTab, "a tab"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(tab, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(base)); err != nil {
		t.Fatal(err)
	}
	address, violations, err := Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, v := range violations {
		ids = append(ids, v.ID)
	}
	for _, want := range []string{"html-has-lang", "image-alt", "label", "color-contrast"} {
		if !slices.Contains(ids, want) {
			t.Errorf("axe-core found %v, not %s", ids, want)
		}
	}
	report := Report(address, violations)
	for _, want := range []string{base, "image-alt (critical)", "Images must have alternative text", "* img", "https://dequeuniversity.com/rules/axe/"} {
		if !strings.Contains(report, want) {
			t.Errorf("the report lacks %q:\n%s", want, report)
		}
	}
}

// A tab without JavaScript stays without it on every page, also after
// axe-core, which needs JavaScript, has checked a page.
func TestWithoutJavaScript_StaysOff(t *testing.T) {
	t.Parallel()
	script := `<script>document.title = "scripts ran"</script>`
	base := serve(t, map[string]string{
		"/":     page("First", script+`<p><a href="/next">Next page</a></p>`),
		"/next": page("Second", script),
	})
	p := Open(t, base, WithoutJavaScript())
	p.Visit("/")
	p.ClickLink("Next page")
	p.Visit("/")
	if title := p.eval("read the title", "document.title"); title != "First" {
		t.Fatalf("the title is %q: the page's script ran", title)
	}
}

// Locators find elements by their words, quotes and all.
func TestLocators(t *testing.T) {
	t.Parallel()
	base := serve(t, map[string]string{"/": page("Locators", `
		<p><a href="/a">Ada's "difference" engine</a></p>
		<form>
		<label>Wrapped <input type="text" name="wrapped"></label>
		<label for="beside">Beside</label><input type="text" id="beside" name="beside" value="here">
		<input type="submit" value="Send it">
		<button type="button">Do <span class="hidden">this thing</span></button>
		</form>`)})
	p := Open(t, base)
	p.Visit("/")
	for _, l := range []Locator{
		Link(`Ada's "difference" engine`),
		Field("Wrapped"),
		Field("Beside"),
		Button("Send it"),
		Button("Do this thing"),
		ID("beside"),
	} {
		if !p.Has(l) {
			t.Errorf("%s is not found", l)
		}
	}
	if p.Has(Link("Ada")) {
		t.Error("a link is found by part of its text")
	}
	if got := p.Value("Beside"); got != "here" {
		t.Errorf("the field beside its label holds %q", got)
	}
}

func TestXPathString(t *testing.T) {
	for in, want := range map[string]string{
		"plain":       `'plain'`,
		"co-op's":     `"co-op's"`,
		`say "hi"`:    `'say "hi"'`,
		`it's "this"`: `concat('it', "'", 's "this"')`,
	} {
		if got := xpathString(in); got != want {
			t.Errorf("xpathString(%q) = %s, want %s", in, got, want)
		}
	}
}

// failed is a test that has failed, as far as a Page can tell.
type failed struct{ testing.TB }

func (failed) Failed() bool { return true }

// A failed journey leaves its page behind: a screenshot and the HTML.
func TestSaveOnFailure(t *testing.T) {
	t.Parallel()
	base := serve(t, map[string]string{"/": page("Kept", "<p>The page at the failure.</p>")})
	var dir string
	t.Run("journey", func(t *testing.T) {
		dir = artifactDir(t.Name())
		p := Open(failed{t}, base, As("some one"))
		p.Visit("/")
	})
	defer os.RemoveAll(filepath.Dir(dir))
	html, err := os.ReadFile(filepath.Join(dir, "some_one.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(html), "The page at the failure.") || !strings.Contains(string(html), base) {
		t.Errorf("the saved HTML is not the page's:\n%s", html)
	}
	png, err := os.ReadFile(filepath.Join(dir, "some_one.png"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(png), "\x89PNG") {
		t.Error("the screenshot is not a PNG")
	}
	if want := filepath.Join(repoRoot(), "test-output", "browser", "TestSaveOnFailure", "journey"); dir != want {
		t.Errorf("saved in %s, want %s", dir, want)
	}
}

// axe-core and the browser driver are for tests: Osk's binary must not
// contain them.
func TestCommands_DoNotImportBrowsertest(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("go", "list", "-deps", "./cmd/...")
	cmd.Dir = repoRoot()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasSuffix(pkg, "/internal/browsertest") || strings.HasPrefix(pkg, "github.com/chromedp/") {
			t.Errorf("a command of Osk depends on %s", pkg)
		}
	}
}

// A page that repeats a form: Within finds the field and the button of the
// form a person means by its legend.
func TestWithin(t *testing.T) {
	t.Parallel()
	form := func(legend, name string) string {
		return `<form action="/sent" method="get"><fieldset><legend>` + legend + `</legend>` +
			`<input type="radio" id="` + name + `-yes" name="` + name + `" value="yes"><label for="` + name + `-yes">Yes</label>` +
			`</fieldset><button type="submit">Send</button></form>`
	}
	base := serve(t, map[string]string{
		"/":     page("Two forms", form("First vote", "first")+form("Second vote", "second")),
		"/sent": page("Sent", ""),
	})
	p := Open(t, base)
	p.Visit("/")
	second := p.Within(FormWith("Second vote"))
	second.Check("Yes")
	if !p.Within(FormWith("Second vote")).Has(Field("Yes")) || p.Within(FormWith("No such vote")).Has(Field("Yes")) {
		t.Fatal("Within finds fields outside its form, or none inside")
	}
	if got := p.eval("read the choices", `document.getElementById("first-yes").checked + " " + document.getElementById("second-yes").checked`); got != "false true" {
		t.Fatalf("checked (first, second): %s, want false true", got)
	}
	second.Submit("Send")
	if got := p.Path(); got != "/sent?second=yes" {
		t.Fatalf("the form sent %s", got)
	}
}

// Date and time fields are typed part by part, whatever order the browser
// shows the parts in; Append adds to what a text area holds.
func TestTypeDatesAndAppend(t *testing.T) {
	t.Parallel()
	base := serve(t, map[string]string{"/": page("Fields", `<form>
		<label for="when">When</label><input type="datetime-local" id="when" name="when">
		<label for="day">Day</label><input type="date" id="day" name="day" value="2020-01-01">
		<label for="at">At</label><input type="time" id="at" name="at">
		<label for="text">Text</label><textarea id="text" name="text">First line.
Second line.</textarea></form>`)})
	p := Open(t, base)
	p.Visit("/")
	p.Type("When", "2026-06-01T18:05")
	p.Type("Day", "2027-12-31")
	p.Type("At", "09:30")
	p.Append("Text", "\nThird line.")
	if got := p.Value("Text"); got != "First line.\nSecond line.\nThird line." {
		t.Fatalf("the text area holds %q", got)
	}
}

// A second tab of the same person shares the cookies; a change within the
// page is waited for; a summary list is read by its terms; a link's file
// is fetched with the tab's cookies.
func TestNewTabWaitDefinitionFetch(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			http.SetCookie(w, &http.Cookie{Name: "who", Value: "ada", Path: "/"})
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(page("Home", `<dl><dt>Member number</dt><dd> 4 </dd></dl>
				<p id="news"></p>
				<script>setTimeout(() => { document.getElementById("news").textContent = "It changed."; }, 300)</script>`)))
		case "/other":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(page("Other", `<p><a href="/file.json">The file</a></p>`)))
		case "/file.json":
			c, err := r.Cookie("who")
			if err != nil {
				http.Error(w, "no cookie", http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"who":"` + c.Value + `"}`))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	p := Open(t, srv.URL, As("first tab"))
	p.Visit("/")
	p.WaitToSee("It changed.")
	if got := p.Definition("Member number"); got != "4" {
		t.Errorf("the member number reads %q", got)
	}
	// The other tab never visits the page that sets the cookie.
	other := p.NewTab()
	other.Visit("/other")
	got := other.FetchLink("The file")
	if got.Status != 200 || got.ContentType != "application/json" || got.Body != `{"who":"ada"}` || got.URL != srv.URL+"/file.json" {
		t.Fatalf("fetched %+v", got)
	}
}
