package audit_test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/citizen-network/osk/internal/audit"
)

// FuzzCanonical checks, for any input, that the canonical encoding is a
// fixed point, says the same as its input, and is reached again from any
// other rendering of the same value, including the one PostgreSQL's jsonb
// produces. That last property is what lets Verify hash a payload read back
// from jsonb. The seed corpus is in testdata/fuzz/FuzzCanonical.
func FuzzCanonical(f *testing.F) {
	for _, tc := range canonicalGolden {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := audit.Canonical(in)
		if err != nil {
			if !errors.Is(err, audit.ErrNotCanonical) {
				t.Fatalf("error %v is not ErrNotCanonical", err)
			}
			return
		}
		if !json.Valid(in) {
			t.Fatalf("accepted invalid JSON %q", in)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, out); err != nil || !bytes.Equal(compact.Bytes(), out) {
			t.Fatalf("output %q has insignificant whitespace or is invalid (%v)", out, err)
		}
		again, err := audit.Canonical(out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("not a fixed point: %q -> %q (%v)", out, again, err)
		}
		v := decode(t, in)
		if w := decode(t, out); !reflect.DeepEqual(v, w) {
			t.Fatalf("meaning changed: %q -> %q", in, out)
		}
		for name, render := range map[string]func(any) []byte{
			"jsonb text":         jsonbText,
			"encoding/json":      goJSON,
			"indented, shuffled": indentedReversed,
		} {
			other := render(v)
			back, err := audit.Canonical(other)
			if err != nil || !bytes.Equal(back, out) {
				t.Fatalf("%s rendering %q canonicalises to %q, want %q (%v)", name, other, back, out, err)
			}
		}
	})
}

func decode(t *testing.T, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	return v
}

// jsonbText renders v as PostgreSQL prints a jsonb value: keys ordered by
// length and then bytes, a space after each ':' and ',', and its own string
// escapes.
func jsonbText(v any) []byte {
	var b bytes.Buffer
	var write func(any)
	write = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			slices.SortFunc(keys, func(a, b string) int {
				return cmp.Or(cmp.Compare(len(a), len(b)), cmp.Compare(a, b))
			})
			b.WriteByte('{')
			for i, k := range keys {
				if i > 0 {
					b.WriteString(", ")
				}
				writePostgresString(&b, k)
				b.WriteString(": ")
				write(v[k])
			}
			b.WriteByte('}')
		case []any:
			b.WriteByte('[')
			for i, e := range v {
				if i > 0 {
					b.WriteString(", ")
				}
				write(e)
			}
			b.WriteByte(']')
		case string:
			writePostgresString(&b, v)
		case json.Number:
			b.WriteString(v.String())
		default:
			fmt.Fprint(&b, jsonLiteral(v))
		}
	}
	write(v)
	return b.Bytes()
}

// writePostgresString escapes as PostgreSQL's escape_json does.
func writePostgresString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		default:
			if c < 0x20 {
				fmt.Fprintf(b, `\u%04x`, c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
}

func jsonLiteral(v any) string {
	switch v {
	case true:
		return "true"
	case false:
		return "false"
	}
	return "null"
}

// goJSON renders v with encoding/json, which escapes <, >, &, U+2028 and
// U+2029 as \u sequences.
func goJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// indentedReversed renders v with keys in reverse order, every escape
// spelled as \u, and generous whitespace.
func indentedReversed(v any) []byte {
	var b bytes.Buffer
	var write func(any, string)
	write = func(v any, indent string) {
		switch v := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			slices.Reverse(keys)
			b.WriteString("{\n")
			for i, k := range keys {
				if i > 0 {
					b.WriteString(" ,\n")
				}
				b.WriteString(indent + "\t")
				writeUnicodeEscaped(&b, k)
				b.WriteString(" :\r\n ")
				write(v[k], indent+"\t")
			}
			b.WriteString("\n" + indent + "}")
		case []any:
			b.WriteString("[ ")
			for i, e := range v {
				if i > 0 {
					b.WriteString(" , ")
				}
				write(e, indent)
			}
			b.WriteString(" ]")
		case string:
			writeUnicodeEscaped(&b, v)
		case json.Number:
			b.WriteString(v.String())
		default:
			b.WriteString(jsonLiteral(v))
		}
	}
	write(v, "")
	return b.Bytes()
}

// writeUnicodeEscaped writes every character of s as \uXXXX, with surrogate
// pairs above U+FFFF.
func writeUnicodeEscaped(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for _, r := range s {
		if r > 0xFFFF {
			r -= 0x10000
			fmt.Fprintf(b, `\u%04X\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
			continue
		}
		fmt.Fprintf(b, `\u%04x`, r)
	}
	b.WriteByte('"')
}
