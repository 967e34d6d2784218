package minutes

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// lcs is the length of the longest common subsequence of two line lists,
// by the textbook table: the number of lines a shortest comparison keeps.
func lcs(a, b []string) int {
	prev := make([]int, len(b)+1)
	for i := range a {
		cur := make([]int, len(b)+1)
		for j := range b {
			if a[i] == b[j] {
				cur[j+1] = prev[j] + 1
			} else {
				cur[j+1] = max(prev[j+1], cur[j])
			}
		}
		prev = cur
	}
	return prev[len(b)]
}

// replay rebuilds both texts from a comparison and checks its numbering.
func replay(t *testing.T, lines []DiffLine) (older, newer []string) {
	t.Helper()
	for _, l := range lines {
		switch l.Kind {
		case LineSame:
			older, newer = append(older, l.Text), append(newer, l.Text)
			if l.Old != len(older) || l.New != len(newer) {
				t.Fatalf("line %+v numbered wrongly", l)
			}
		case LineRemoved:
			older = append(older, l.Text)
			if l.Old != len(older) || l.New != 0 {
				t.Fatalf("line %+v numbered wrongly", l)
			}
		case LineAdded:
			newer = append(newer, l.Text)
			if l.New != len(newer) || l.Old != 0 {
				t.Fatalf("line %+v numbered wrongly", l)
			}
		}
	}
	return older, newer
}

func TestDiff_IsTrueAndShortest(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"a", "b", "c", "d", ""}
	for range 500 {
		var a, b []string
		for range rng.IntN(12) {
			a = append(a, words[rng.IntN(len(words))])
		}
		for range rng.IntN(12) {
			b = append(b, words[rng.IntN(len(words))])
		}
		older, newer := strings.Join(a, "\n"), strings.Join(b, "\n")
		lines := Diff(older, newer)
		gotA, gotB := replay(t, lines)
		if strings.Join(gotA, "\n") != strings.Join(splitLines(older), "\n") || strings.Join(gotB, "\n") != strings.Join(splitLines(newer), "\n") {
			t.Fatalf("Diff(%q, %q) rebuilds %q and %q", older, newer, gotA, gotB)
		}
		kept := 0
		for _, l := range lines {
			if l.Kind == LineSame {
				kept++
			}
		}
		if want := lcs(splitLines(older), splitLines(newer)); kept != want {
			t.Fatalf("Diff(%q, %q) keeps %d lines, the shortest comparison %d", older, newer, kept, want)
		}
	}
}

func TestDiff_PastTheBoundStillTrue(t *testing.T) {
	var a, b []string
	for i := range 3000 {
		a = append(a, "old line "+string(rune('a'+i%26)))
		b = append(b, "new line "+string(rune('a'+i%26)))
	}
	a = append([]string{"same start"}, append(a, "same end")...)
	b = append([]string{"same start"}, append(b, "same end")...)
	lines := Diff(strings.Join(a, "\n"), strings.Join(b, "\n"))
	gotA, gotB := replay(t, lines)
	if len(gotA) != len(a) || len(gotB) != len(b) || lines[0].Kind != LineSame || lines[len(lines)-1].Kind != LineSame {
		t.Fatalf("%d and %d lines rebuilt of %d and %d", len(gotA), len(gotB), len(a), len(b))
	}
	if !Changed(lines) || Changed(Diff("same\n", "same")) {
		t.Fatal("Changed is wrong")
	}
}
