package minutes

import "strings"

// Kinds of line in a comparison of two versions.
const (
	LineSame    = "same"
	LineRemoved = "removed"
	LineAdded   = "added"
)

// DiffLine is one line of a comparison: kept, removed from the older
// version or added in the newer, with its numbers in each (0 where it is
// not there).
type DiffLine struct {
	Kind string `json:"kind"`
	Old  int    `json:"old"`
	New  int    `json:"new"`
	Text string `json:"text"`
}

// maxEdits bounds the work of finding the shortest comparison. Past it,
// the differing middle is shown as removed and added as a whole: still a
// true comparison, only not the shortest one.
const maxEdits = 1000

// Diff compares two texts line by line, with the shortest edit script of
// Myers' algorithm ("An O(ND) difference algorithm and its variations",
// 1986) between their common first and last lines.
func Diff(older, newer string) []DiffLine {
	a, b := splitLines(older), splitLines(newer)
	prefix := 0
	for prefix < len(a) && prefix < len(b) && a[prefix] == b[prefix] {
		prefix++
	}
	suffix := 0
	for suffix < len(a)-prefix && suffix < len(b)-prefix && a[len(a)-1-suffix] == b[len(b)-1-suffix] {
		suffix++
	}
	out := make([]DiffLine, 0, len(a)+len(b))
	for i := 0; i < prefix; i++ {
		out = append(out, DiffLine{Kind: LineSame, Old: i + 1, New: i + 1, Text: a[i]})
	}
	midA, midB := a[prefix:len(a)-suffix], b[prefix:len(b)-suffix]
	kinds, ok := editScript(midA, midB, maxEdits)
	if !ok {
		kinds = make([]string, 0, len(midA)+len(midB))
		for range midA {
			kinds = append(kinds, LineRemoved)
		}
		for range midB {
			kinds = append(kinds, LineAdded)
		}
	}
	x, y := prefix, prefix
	for _, k := range kinds {
		switch k {
		case LineSame:
			out = append(out, DiffLine{Kind: k, Old: x + 1, New: y + 1, Text: a[x]})
			x, y = x+1, y+1
		case LineRemoved:
			out = append(out, DiffLine{Kind: k, Old: x + 1, Text: a[x]})
			x++
		case LineAdded:
			out = append(out, DiffLine{Kind: k, New: y + 1, Text: b[y]})
			y++
		}
	}
	for i := 0; i < suffix; i++ {
		out = append(out, DiffLine{Kind: LineSame, Old: x + i + 1, New: y + i + 1, Text: a[x+i]})
	}
	return out
}

// Changed reports whether a comparison has any removed or added line.
func Changed(lines []DiffLine) bool {
	for _, l := range lines {
		if l.Kind != LineSame {
			return true
		}
	}
	return false
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// editScript returns the kinds of line that turn a into b, in order, or
// false when that takes more than maxD removals and additions.
func editScript(a, b []string, maxD int) ([]string, bool) {
	n, m := len(a), len(b)
	maxD = min(maxD, n+m)
	offset := maxD + 1
	v := make([]int32, 2*maxD+3)
	// trace[d] holds v for k from -d-1 to d+1 as it was when round d
	// began, which is what walking back from round d needs.
	var trace [][]int32
	end := -1
	for d := 0; d <= maxD && end < 0; d++ {
		trace = append(trace, append([]int32(nil), v[offset-d-1:offset+d+2]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[offset+k-1] < v[offset+k+1]) {
				x = int(v[offset+k+1])
			} else {
				x = int(v[offset+k-1]) + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[offset+k] = int32(x)
			if x >= n && y >= m {
				end = d
				break
			}
		}
	}
	if end < 0 {
		return nil, false
	}
	var rev []string
	x, y := n, m
	for d := end; d > 0; d-- {
		prev := trace[d]
		at := func(k int) int { return int(prev[k+d+1]) }
		k := x - y
		prevK := k - 1
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			prevK = k + 1
		}
		prevX := at(prevK)
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			rev = append(rev, LineSame)
			x, y = x-1, y-1
		}
		if x == prevX {
			rev = append(rev, LineAdded)
			y--
		} else {
			rev = append(rev, LineRemoved)
			x--
		}
	}
	for x > 0 && y > 0 {
		rev = append(rev, LineSame)
		x, y = x-1, y-1
	}
	out := make([]string, len(rev))
	for i, k := range rev {
		out[len(rev)-1-i] = k
	}
	return out, true
}
