package audit_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/audit"
)

// canonicalGolden pairs JSON inputs with their exact canonical encodings.
// They also feed the jsonb round-trip test and the fuzz corpus's invariants.
var canonicalGolden = []struct {
	name, in, want string
}{
	{"keys sorted", `{"b":1,"a":2}`, `{"a":2,"b":1}`},
	{"whitespace dropped", " { \"a\" :\t[ 1 ,\n2 ] ,\r\"b\" : { } } ", `{"a":[1,2],"b":{}}`},
	{"empty containers", `[{},[],""]`, `[{},[],""]`},
	{"nested objects sorted, arrays kept", `{"b":{"d":1,"c":2},"a":[{"y":1,"x":2},3,1]}`, `{"a":[{"x":2,"y":1},3,1],"b":{"c":2,"d":1}}`},
	{
		"keys by UTF-8 bytes, not UTF-16",
		`{"😀":1,"～":2,"é":3,"z":4,"aa":5,"a":6,"Z":7,"":8}`,
		`{"":8,"Z":7,"a":6,"aa":5,"z":4,"é":3,"～":2,"😀":1}`,
	},
	{"keys compared after unescaping", `{"a\"":1,"a":2,"a!":3,"\u0062":4}`, `{"a":2,"a!":3,"a\"":1,"b":4}`},
	{
		"escapes",
		`"\u0041\u00e9\/\"\\\b\f\n\r\t\u0001\u001F\u007f\u2028<>&"`,
		"\"Aé/\\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\u2028<>&\"",
	},
	{"surrogate pair decoded", `"\ud83d\uDE00"`, `"😀"`},
	{"literal non-ASCII kept", `"Hyvää päivää, 日本"`, `"Hyvää päivää, 日本"`},
	{"integers", `[0,-1,42,9007199254740991,-9007199254740991]`, `[0,-1,42,9007199254740991,-9007199254740991]`},
	{"literals", `[true,false,null]`, `[true,false,null]`},
	{"scalar at the top", ` "x" `, `"x"`},
}

func TestCanonical_Golden(t *testing.T) {
	for _, tc := range canonicalGolden {
		t.Run(tc.name, func(t *testing.T) {
			got, err := audit.Canonical([]byte(tc.in))
			if err != nil {
				t.Fatalf("Canonical(%s): %v", tc.in, err)
			}
			if string(got) != tc.want {
				t.Fatalf("Canonical(%s)\n got %s\nwant %s", tc.in, got, tc.want)
			}
			again, err := audit.Canonical(got)
			if err != nil || string(again) != string(got) {
				t.Fatalf("not idempotent: %s -> %s (%v)", got, again, err)
			}
		})
	}
}

func TestCanonical_Refused(t *testing.T) {
	deep := strings.Repeat("[", 65) + strings.Repeat("]", 65)
	for _, tc := range []struct {
		name, in, want string
	}{
		{"float", `{"amount":1.5}`, "number 1.5 is not an integer"},
		{"whole float", `1.0`, "number 1.0 is not an integer"},
		{"exponent", `[1e3]`, "number 1e3 is not an integer"},
		{"negative exponent", `-2E-1`, "number -2E-1 is not an integer"},
		{"beyond 2^53-1", `9007199254740992`, "integer 9007199254740992 is beyond"},
		{"below -(2^53-1)", `-9007199254740992`, "integer -9007199254740992 is beyond"},
		{"huge", `123456789012345678901234567890`, "is beyond"},
		{"minus zero", `-0`, "-0 is not allowed"},
		{"leading zero", `012`, "leading zero"},
		{"lone minus", `-`, "invalid number"},
		{"duplicate key", `{"a":1,"b":2,"a":3}`, `duplicate key "a"`},
		{"duplicate key after unescaping", `{"a":1,"\u0061":2}`, `duplicate key "a"`},
		{"escaped NUL", `"a\u0000b"`, "U+0000 is not allowed"},
		{"raw NUL", "\"a\x00b\"", "U+0000 is not allowed"},
		{"raw control", "\"a\x01b\"", "control character U+0001 must be escaped"},
		{"lone high surrogate", `"\ud800"`, "lone high surrogate"},
		{"high surrogate then non-surrogate", `"\ud800\u0041"`, "lone high surrogate"},
		{"lone low surrogate", `"\udc00"`, "lone low surrogate"},
		{"invalid UTF-8", "\"\xff\"", "invalid UTF-8"},
		{"UTF-8 encoded surrogate", "\"\xed\xa0\x80\"", "invalid UTF-8"},
		{"bad escape", `"\x41"`, `invalid escape sequence \x`},
		{"short unicode escape", `"\u12"`, `invalid \u escape`},
		{"trailing comma", `{"a":1,}`, "expected a string key"},
		{"missing comma", `[1 2]`, "expected , or ]"},
		{"missing colon", `{"a" 1}`, "expected : after an object key"},
		{"bad literal", `tru`, "invalid literal"},
		{"NaN", `NaN`, "unexpected character"},
		{"byte order mark", "\ufeff{}", "unexpected character"},
		{"single quotes", `'a'`, "unexpected character"},
		{"trailing data", `{"a":1} x`, "unexpected data after the value"},
		{"empty", ``, "unexpected end of input"},
		{"unterminated string", `"abc`, "unterminated string"},
		{"unterminated object", `{"a":1`, "unterminated object"},
		{"too deep", deep, "nested deeper than 64 levels"},
		{"path named", `{"amount":{"x":[1,2.5]}}`, "number 2.5 is not an integer; write decimals and other non-integers as strings at /amount/x/1"},
		{"path escaped as a JSON pointer", `{"a/b~c":1.5}`, "at /a~1b~0c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := audit.Canonical([]byte(tc.in))
			if err == nil {
				t.Fatalf("Canonical(%q) = %s, want an error", tc.in, got)
			}
			if !errors.Is(err, audit.ErrNotCanonical) {
				t.Errorf("error %v is not ErrNotCanonical", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

func TestCanonical_DepthLimitAllowsSixtyFour(t *testing.T) {
	in := strings.Repeat("[", 64) + strings.Repeat("]", 64)
	got, err := audit.Canonical([]byte(in))
	if err != nil || string(got) != in {
		t.Fatalf("Canonical(64 levels) = %s, %v", got, err)
	}
}

func TestMarshal(t *testing.T) {
	type admitted struct {
		MemberNo int64   `json:"member_no"`
		Decision string  `json:"decision"`
		Share    string  `json:"share"`
		Weight   float64 `json:"weight"`
		Note     string  `json:"note,omitempty"`
	}
	got, err := audit.Marshal(admitted{MemberNo: 17, Decision: "<b>&</b>", Share: "12.50", Weight: 3})
	if err != nil {
		t.Fatal(err)
	}
	// encoding/json escapes <, > and & as \u003c...; the canonical form
	// writes them as themselves.
	want := `{"decision":"<b>&</b>","member_no":17,"share":"12.50","weight":3}`
	if string(got) != want {
		t.Fatalf("Marshal = %s, want %s", got, want)
	}

	for name, v := range map[string]any{
		"fractional float": map[string]any{"weight": 0.5},
		"large uint64":     map[string]any{"n": uint64(1) << 60},
		"NUL in a key":     map[string]any{"a\x00": 1},
	} {
		if _, err := audit.Marshal(v); !errors.Is(err, audit.ErrNotCanonical) {
			t.Errorf("Marshal(%s) error = %v, want ErrNotCanonical", name, err)
		}
	}
	if _, err := audit.Marshal(map[string]any{"ch": make(chan int)}); err == nil || errors.Is(err, audit.ErrNotCanonical) {
		t.Errorf("Marshal(channel) error = %v, want a marshalling error", err)
	}
}

func TestFormatTime(t *testing.T) {
	helsinki := time.FixedZone("EET", 2*60*60)
	for _, tc := range []struct {
		in   time.Time
		want string
	}{
		{time.Date(2025, 3, 14, 11, 26, 53, 589793999, helsinki), "2025-03-14T09:26:53.589793Z"},
		{time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC), "2025-03-14T10:00:00.000000Z"},
		{time.Date(2025, 12, 31, 23, 59, 59, 999, time.UTC), "2025-12-31T23:59:59.000000Z"},
	} {
		if got := audit.FormatTime(tc.in); got != tc.want {
			t.Errorf("FormatTime(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestHash_JSONIsHex(t *testing.T) {
	h := audit.Hash{0x00, 0x01, 0xab, 0xff}
	b, err := json.Marshal(h)
	if err != nil || string(b) != `"0001abff"` {
		t.Fatalf("Marshal(Hash) = %s, %v", b, err)
	}
	var back audit.Hash
	full := `"` + strings.Repeat("ab", 32) + `"`
	if err := json.Unmarshal([]byte(full), &back); err != nil || back.String() != strings.Repeat("ab", 32) {
		t.Fatalf("Unmarshal(%s) = %s, %v", full, back, err)
	}
	if err := json.Unmarshal(b, &back); err == nil {
		t.Fatal("a hash of 4 bytes was accepted")
	}
}
