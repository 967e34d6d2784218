package errs

import "testing"

func TestHasControl(t *testing.T) {
	cases := []struct {
		s           string
		oneLine     bool
		severalLine bool
	}{
		{"Ana Lima", false, false},
		{"Ana\nLima", true, false},
		{"Ana\r\nLima", true, false},
		{"Ana\rLima", true, true},
		{"Ana\x00Lima", true, true},
		{"Ana\u200bLima", true, false},
		{"Evil \u202eCorp", true, false},
		{"Co\u00adoperation", true, false},
		{"محمد\u200cرضا", false, false},
		{"👩\u200d💻", false, false},
		{"Go \U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F", false, false},
		{"Ana\u2066Lima\u2069", true, false},
		{"\ufeffAna", true, false},
	}
	for _, tc := range cases {
		if got := HasControl(tc.s, false); got != tc.oneLine {
			t.Errorf("HasControl(%q, one line) = %v, want %v", tc.s, got, tc.oneLine)
		}
		if got := HasControl(tc.s, true); got != tc.severalLine {
			t.Errorf("HasControl(%q, several lines) = %v, want %v", tc.s, got, tc.severalLine)
		}
	}
}
