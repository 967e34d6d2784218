package minutes

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// allowedMarkup is every element the rendered text may hold, with the
// attributes each may carry.
var allowedMarkup = map[string]map[string]bool{
	"p": {}, "br": {}, "hr": {}, "h2": {}, "h3": {}, "h4": {}, "h5": {}, "h6": {}, "blockquote": {},
	"ul": {}, "ol": {"start": true}, "li": {}, "strong": {}, "em": {}, "del": {}, "code": {}, "pre": {},
	"table": {}, "thead": {}, "tbody": {}, "tr": {}, "th": {"align": true}, "td": {"align": true},
	"a": {"href": true, "rel": true},
}

// checkSafe reads rendered HTML as a browser's tokenizer does and refuses
// anything that could run: an element or attribute outside allowedMarkup
// (script, style, iframe, event handlers, ...), a comment, or a link
// whose address, read as a browser reads it, is not http, https, mailto
// or within the site.
func checkSafe(out string) error {
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		switch z.Next() {
		case html.ErrorToken:
			if errors.Is(z.Err(), io.EOF) {
				return nil
			}
			return z.Err()
		case html.CommentToken, html.DoctypeToken:
			return fmt.Errorf("markup %q", z.Token().String())
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			tok := z.Token()
			attrs, ok := allowedMarkup[tok.Data]
			if !ok {
				return fmt.Errorf("element %q", tok.Data)
			}
			for _, a := range tok.Attr {
				if a.Namespace != "" || !attrs[a.Key] {
					return fmt.Errorf("attribute %q on %q", a.Key, tok.Data)
				}
				if a.Key == "href" && !safeAddress(a.Val) {
					return fmt.Errorf("link to %q", a.Val)
				}
			}
		}
	}
}

// safeAddress reports whether a link's address, with the whitespace and
// control characters that browsers ignore taken out, has no scheme or an
// allowed one.
func safeAddress(raw string) bool {
	cleaned := strings.Map(func(r rune) rune {
		if r <= 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, raw)
	// A browser reads a scheme only before the first ':' when no '/', '?'
	// or '#' comes earlier; "#data:" is a fragment, not a data: URL.
	if i := strings.IndexByte(cleaned, ':'); i >= 0 && !strings.ContainsAny(cleaned[:i], "/?#") {
		switch strings.ToLower(cleaned[:i]) {
		case "javascript", "vbscript", "data", "file":
			return false
		}
	}
	u, err := url.Parse(cleaned)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "", "http", "https", "mailto":
		return true
	}
	return false
}

// tagsOf returns the tags of rendered HTML as written, without the text
// between them, which may quote anything harmlessly.
func tagsOf(out string) string {
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
		default:
			b.Write(z.Raw())
		}
	}
}

// xssPayloads are known ways of making Markdown or HTML run script, each
// with a fragment that must still be there as harmless text, if any.
var xssPayloads = []struct {
	name, src, text string
}{
	{"script element", `<script>alert(1)</script>`, ""},
	{"image error handler", `<img src=x onerror=alert(1)>`, ""},
	{"svg load handler", `<svg onload=alert(1)>`, ""},
	{"javascript link", `[click](javascript:alert(1))`, "click"},
	{"upper-case scheme", `[click](JAVASCRIPT:alert(1))`, "click"},
	{"entity-encoded scheme", `[click](&#106;avascript:alert(1))`, "click"},
	{"tab in the scheme", "[click](java&#x09;script:alert(1))", "click"},
	{"autolink", `<javascript:alert(1)>`, ""},
	{"reference link", "[click][evil]\n\n[evil]: javascript:alert(1)", "click"},
	{"image with a script address", `![x](javascript:alert(1))`, ""},
	{"image breaking out of its address", `![x](x" onerror="alert(1))`, ""},
	{"link title as a handler", `[a](http://example.org "onmouseover=alert(1)")`, "a"},
	{"raw anchor", `<a href="javascript:alert(1)">x</a>`, ""},
	{"iframe", `<iframe src="javascript:alert(1)"></iframe>`, ""},
	{"style element", `<style>body{background:url(javascript:alert(1))}</style>`, ""},
	{"style attribute", `<div style="background:url(javascript:alert(1))">x</div>`, ""},
	{"data address", `[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`, "x"},
	{"vbscript address", `[x](vbscript:msgbox(1))`, "x"},
	{"details toggle handler", `<details open ontoggle=alert(1)>`, ""},
	{"object", `<object data="javascript:alert(1)"></object>`, ""},
	{"embed", `<embed src="javascript:alert(1)">`, ""},
	{"form", `<form action="javascript:alert(1)"><input type=submit></form>`, ""},
	{"meta refresh", `<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`, ""},
	{"base address", `<base href="javascript:alert(1)//">`, ""},
	{"split script element", `<scr<script>ipt>alert(1)</scr</script>ipt>`, ""},
	{"handler in a table", "| a |\n| - |\n| <img src=x onerror=alert(1)> |", "a"},
	{"script in code", "`<script>alert(1)</script>`", "<script>alert(1)</script>"},
	{"script in a code block", "```html\n<script>alert(1)</script>\n```", "<script>alert(1)</script>"},
	{"comment breaking out", `<!--><script>alert(1)</script>-->`, ""},
	{"angle-bracketed address", `[x](<javascript:alert(1)>)`, "x"},
	{"mutation through math", `<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`, ""},
	{"padded numeric entities", `<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)">x</a>`, ""},
	{"svg xlink", `<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>`, ""},
	{"heading breaking out of an attribute", `# "><img src=x onerror=alert(1)>`, `"&gt;`},
	{"file address", `[x](file:///etc/passwd)`, "x"},
	{"bare link with markup", `www.example.org/<script>alert(1)</script>`, "www.example.org"},
	{"newline in the scheme", "[x](java\nscript:alert(1))", ""},
	{"button with a handler", `<button onclick="alert(1)">Sign</button>`, ""},
}

func TestRender_XSSPayloadsAreHarmless(t *testing.T) {
	r := NewRenderer()
	for _, tc := range xssPayloads {
		t.Run(tc.name, func(t *testing.T) {
			out, err := r.Render(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			if err := checkSafe(string(out)); err != nil {
				t.Fatalf("%s renders %s: %v", tc.src, out, err)
			}
			tags := strings.ToLower(tagsOf(string(out)))
			for _, bad := range []string{"<script", "onerror", "onload", "javascript:", "<iframe", "<style", "<svg", "<img"} {
				if strings.Contains(tags, bad) {
					t.Fatalf("%s renders %s, whose markup holds %q", tc.src, out, bad)
				}
			}
			if tc.text != "" && !strings.Contains(html.UnescapeString(string(out)), html.UnescapeString(tc.text)) {
				t.Fatalf("%s renders %s, without the text %q", tc.src, out, tc.text)
			}
		})
	}
	if len(xssPayloads) < 20 {
		t.Fatalf("only %d payloads", len(xssPayloads))
	}
}

func TestRender_KeepsWhatMinutesNeed(t *testing.T) {
	src := "# Minutes\n\n## 1. Opening\n\nThe chair **opened** the meeting at _18:00_.\n\n" +
		"| No. | Vote |\n| ---: | :--- |\n| 1 | For |\n\n3. third\n4. fourth\n\n> quoted\n\n~~struck~~ [rules](/rules) https://example.org\n"
	out, err := NewRenderer().Render(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"<h2>Minutes</h2>", "<h3>1. Opening</h3>", "<strong>opened</strong>", "<em>18:00</em>", `<th align="right">No.</th>`,
		`<td align="left">For</td>`, `<ol start="3">`, "<blockquote>", "<del>struck</del>", `<a href="/rules">rules</a>`,
		`<a href="https://example.org" rel="nofollow noreferrer">https://example.org</a>`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the rendering lacks %s:\n%s", want, out)
		}
	}
	if err := checkSafe(string(out)); err != nil {
		t.Fatal(err)
	}
}

func TestPlainText_IsTheWordsWithoutMarkup(t *testing.T) {
	got := NewRenderer().PlainText("# Title\n\nSome **bold** and <b>raw</b> text\x02.\n\n| a | b |\n| - | - |\n| c | d |\n\n```\ncode here\n```\n")
	want := "Title\nSome bold and raw text.\na b\nc d\ncode here"
	if got != want {
		t.Fatalf("PlainText = %q, want %q", got, want)
	}
}

// The archive's search text reads as the page does: the escapes the
// pre-filled draft puts around names and titles, and character references,
// are resolved, except in code, which the page shows as typed.
func TestPlainText_ReadsAsThePageDoes(t *testing.T) {
	r := NewRenderer()
	for src, want := range map[string]string{
		"# Minutes: " + esc("Budget <draft> & plan") + "\n":    "Minutes: Budget <draft> & plan",
		esc("*Ada* | Bo_ [x] #1 !") + "\n":                     "*Ada* | Bo_ [x] #1 !",
		"Tom &amp; Jerry &lt;b&gt; &#65;&#x42; &copy; & so\n":  "Tom & Jerry <b> AB © & so",
		"| a \\| b | c |\n| - | - |\n| \\*d\\* | e |\n":        "a | b c\n*d* e",
		"`\\* &amp;` and \\`not code\\`\n\n    \\* &amp;\n":    "\\* &amp; and `not code`\n\\* &amp;",
		"A \\\\ backslash, a <b>tag</b> and a \\<b\\> text.\n": "A \\ backslash, a tag and a <b> text.",
	} {
		if got := r.PlainText(src); got != want {
			t.Errorf("PlainText(%q) = %q, want %q", src, got, want)
		}
	}
}

func TestSnippetHTML_EscapesAllButTheMarks(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                          "plain",
		"a \x02solar\x03 <b>&\"'":        `a <mark>solar</mark> &lt;b&gt;&amp;&#34;&#39;`,
		"\x03stray stop \x02open":        "stray stop <mark>open</mark>",
		"\x02a\x02b\x03c\x03":            "<mark>ab</mark>c",
		"<script>\x02alert\x03</script>": "&lt;script&gt;<mark>alert</mark>&lt;/script&gt;",
		"Budget \x01draft> \x02plan\x03": "Budget &lt;draft&gt; <mark>plan</mark>",
	} {
		if got := string(snippetHTML(in)); got != want {
			t.Errorf("snippetHTML(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEsc_NamesStayText(t *testing.T) {
	r := NewRenderer()
	for _, name := range []string{"*Ada*", "<b>Bo</b>", "1. Chair", "- Dee", "# Eve", "[Fay](javascript:x)", "Gus | Hal", "Ida & Co &amp;", "`Jo`", "Kim_Lee_", "!Mo"} {
		out, err := r.Render("| Member |\n| --- |\n| " + esc(name) + " |\n\n" + esc(name) + "\n")
		if err != nil {
			t.Fatal(err)
		}
		text := html.UnescapeString(string(out))
		if strings.Count(text, name) != 2 {
			t.Errorf("%q renders as %s", name, out)
		}
	}
}
