package minutes

import (
	"bufio"
	"bytes"
	"fmt"
	"html"
	"html/template"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Renderer turns the Markdown of minutes into HTML that is safe to put in
// a member's page (SPEC.md: no script, no raw HTML that could run in a
// reader's browser). It works in two layers, so that a fault in one does
// not open a hole:
//
//   - goldmark in its safe mode leaves raw HTML out and drops the address
//     of links to javascript:, vbscript:, file: and data: URLs;
//   - bluemonday then keeps only the elements Markdown makes (no script,
//     style, iframe, form, image or any other element), only the
//     attributes listed below (no event handler, no style), and links
//     only to http, https, mailto or addresses within Osk.
//
// A Renderer is safe for concurrent use.
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

// NewRenderer returns the renderer of minutes: CommonMark with GitHub's
// tables (the voting lists), strikethrough and bare links.
func NewRenderer() *Renderer {
	return &Renderer{
		md: goldmark.New(
			goldmark.WithExtensions(
				extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
				extension.Strikethrough,
				extension.Linkify,
			),
			goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(headingShift{}, 100))),
		),
		policy: newPolicy(),
	}
}

var alignValue = regexp.MustCompile(`^(left|center|right)$`)

func newPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "li",
		"strong", "em", "del", "code", "pre", "table", "thead", "tbody", "tr", "th", "td", "a")
	p.AllowAttrs("start").Matching(bluemonday.Integer).OnElements("ol")
	p.AllowAttrs("align").Matching(alignValue).OnElements("th", "td")
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowRelativeURLs(true)
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnFullyQualifiedLinks(true)
	p.RequireNoReferrerOnFullyQualifiedLinks(true)
	return p
}

// Render returns the text as HTML for a page.
func (r *Renderer) Render(src string) (template.HTML, error) {
	var b bytes.Buffer
	if err := r.md.Convert([]byte(src), &b); err != nil {
		return "", fmt.Errorf("minutes: render: %w", err)
	}
	// The policy's output is the only HTML a page ever gets from a text.
	return template.HTML(r.policy.SanitizeBytes(b.Bytes())), nil
}

// PlainText returns the words of the text without its Markdown, one block
// a line, for the archive's search and its snippets. Raw HTML is left out,
// as the pages leave it out, and the text reads as the page does: Markdown's
// backslash escapes and HTML's character references are resolved (\* is *,
// &amp; is &), but not in code, where the page shows them as typed.
func (r *Renderer) PlainText(src string) string { return r.plainText(src, true) }

// escapedPlainText is PlainText as Osk wrote it into the search text of the
// documents it sealed before PlainText resolved escapes and references:
// every text as typed. Check accepts it for those documents.
func (r *Renderer) escapedPlainText(src string) string { return r.plainText(src, false) }

func (r *Renderer) plainText(src string, resolve bool) string {
	source := []byte(src)
	doc := r.md.Parser().Parse(text.NewReader(source))
	// The texts go through goldmark's own writer, so that escapes and
	// references are resolved exactly as on the page. The writer escapes
	// every <, >, & and " it writes, and nothing else, so unescaping its
	// whole output once gives back the characters it resolved.
	var out strings.Builder
	w := bufio.NewWriter(&out)
	write := func(value []byte, raw bool) {
		if raw || !resolve {
			gmhtml.DefaultWriter.RawWrite(w, value)
		} else {
			gmhtml.DefaultWriter.Write(w, value)
		}
	}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		switch n := n.(type) {
		case *ast.RawHTML, *ast.HTMLBlock:
			return ast.WalkSkipChildren, nil
		case *ast.Text:
			if entering {
				// A code span's texts are raw.
				write(n.Segment.Value(source), n.IsRaw())
				if n.SoftLineBreak() || n.HardLineBreak() {
					_ = w.WriteByte(' ')
				}
			}
		case *ast.String:
			if entering {
				write(n.Value, n.IsCode() || n.IsRaw())
			}
		case *ast.AutoLink:
			if entering {
				write(n.Label(source), true)
			}
		case *ast.FencedCodeBlock, *ast.CodeBlock:
			if entering {
				lines := n.Lines()
				for i := 0; i < lines.Len(); i++ {
					seg := lines.At(i)
					write(seg.Value(source), true)
				}
			}
		case *extast.TableCell:
			// Cells are blocks; a row's cells stay on one line.
			if !entering {
				_ = w.WriteByte(' ')
			}
			return ast.WalkContinue, nil
		}
		if !entering && n.Type() == ast.TypeBlock {
			_ = w.WriteByte('\n')
		}
		return ast.WalkContinue, nil
	})
	_ = w.Flush()
	return cleanPlain(html.UnescapeString(out.String()))
}

// cleanPlain drops control characters, which the search's snippets use as
// their marks, and collapses runs of blank lines and spaces.
func cleanPlain(s string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		line = strings.Map(func(r rune) rune {
			if r == '\t' {
				return ' '
			}
			if r < 0x20 || r == 0x7f {
				return -1
			}
			return r
		}, line)
		line = strings.Join(strings.Fields(line), " ")
		if line != "" {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// headingShift moves the headings of the text one level below the page's
// own h1, so that the outline screen reader users move through stays
// whole.
type headingShift struct{}

func (headingShift) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering {
			h.Level = min(h.Level+1, 6)
		}
		return ast.WalkContinue, nil
	})
}
