package motions

import (
	"bytes"
	"fmt"
	"html/template"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// markdown renders motion texts for pages. goldmark's default renderer is
// the safe one (SPEC.md: no script, no raw HTML that could run in a
// reader's browser): raw HTML is left out and links to javascript:, data:
// and the like lose their address.
type markdown struct {
	md goldmark.Markdown
}

func newMarkdown() *markdown {
	return &markdown{md: goldmark.New(goldmark.WithParserOptions(
		parser.WithASTTransformers(util.Prioritized(headingShift{}, 100)),
	))}
}

// render returns the text as HTML for a page.
func (m *markdown) render(src string) (template.HTML, error) {
	var b bytes.Buffer
	if err := m.md.Convert([]byte(src), &b); err != nil {
		return "", fmt.Errorf("motions: render text: %w", err)
	}
	// The renderer escapes everything that is not its own markup.
	return template.HTML(b.String()), nil
}

// headingShift moves the headings of a motion's text below the page's
// own (h1 for the page, h2 for its sections), so that the outline that
// screen reader users move through stays whole.
type headingShift struct{}

func (headingShift) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering {
			h.Level = min(h.Level+2, 6)
		}
		return ast.WalkContinue, nil
	})
}
