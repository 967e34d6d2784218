package members

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
)

// FuzzCSVCell: no cell of the export can start a formula in a spreadsheet,
// the original value is recoverable, and the CSV round-trips.
func FuzzCSVCell(f *testing.F) {
	for _, seed := range []string{"=1+1", "+31 20 123", "-5", "@SUM(A1)", "\t=x", "\r=x", "Aino", "", "'quoted", "a,b\n\"c\""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		cell := CSVCell(v)
		if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
			t.Fatalf("cell %q starts a formula", cell)
		}
		if cell != v && cell != "'"+v {
			t.Fatalf("cell %q does not keep the value %q", cell, v)
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		if err := w.Write([]string{cell, "end"}); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		rec, err := csv.NewReader(&buf).Read()
		if err != nil {
			t.Fatalf("reading back %q: %v", buf.String(), err)
		}
		// encoding/csv turns \r\n inside quotes into \n; compare what a
		// spreadsheet would see.
		if rec[0] != strings.ReplaceAll(cell, "\r\n", "\n") || rec[1] != "end" {
			t.Fatalf("round trip of %q gave %q", cell, rec)
		}
	})
}
