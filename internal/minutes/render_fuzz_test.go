package minutes

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRender feeds the renderer arbitrary text: whatever a secretary or
// an attacker writes, the HTML it gives pages holds nothing that can run
// (checkSafe), and the plain text for the search holds no control
// character but line breaks, which the search's snippets use as marks.
func FuzzRender(f *testing.F) {
	for _, tc := range xssPayloads {
		f.Add(tc.src)
	}
	f.Add("# Minutes\n\n| No. | Vote |\n| ---: | --- |\n| 1 | For |\n")
	r := NewRenderer()
	f.Fuzz(func(t *testing.T, src string) {
		out, err := r.Render(src)
		if err != nil {
			t.Fatalf("Render(%q): %v", src, err)
		}
		if err := checkSafe(string(out)); err != nil {
			t.Fatalf("Render(%q) = %s: %v", src, out, err)
		}
		plain := r.PlainText(src)
		if utf8.ValidString(src) && !utf8.ValidString(plain) {
			t.Fatalf("PlainText(%q) = %q is not UTF-8", src, plain)
		}
		if strings.ContainsFunc(plain, func(r rune) bool { return r < 0x20 && r != '\n' }) {
			t.Fatalf("PlainText(%q) = %q holds a control character", src, plain)
		}
	})
}
