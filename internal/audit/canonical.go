package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// CanonicalVersion is the version of the canonical encoding described in
// CANONICAL.md. It is written into every hashed envelope as "v", so that a
// future encoding can be introduced without making old events unverifiable.
const CanonicalVersion = 1

// MaxSafeInteger is the largest magnitude a number may have in canonical
// JSON: 2^53-1, the largest integer that every JSON reader (including those
// that hold numbers as IEEE 754 doubles) reads exactly.
const MaxSafeInteger = 1<<53 - 1

// maxDepth bounds the nesting of arrays and objects, so that a hostile or
// broken payload cannot exhaust the stack of the encoder or of PostgreSQL.
const maxDepth = 64

// timeLayout is RFC 3339 in UTC with exactly six fractional digits: the
// precision of a PostgreSQL timestamptz, so that a time survives the round
// trip through the database unchanged.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// ErrNotCanonical is the kind of every error about a value that has no
// canonical encoding (a float, an integer beyond MaxSafeInteger, a duplicate
// key, U+0000, invalid UTF-8, malformed JSON). Check it with errors.Is.
var ErrNotCanonical = errors.New("no canonical JSON encoding")

// Canonical returns the canonical encoding of the JSON text src, as specified
// in CANONICAL.md.
func Canonical(src []byte) ([]byte, error) {
	var c canonicalizer
	out, err := c.append(nil, src)
	if err != nil {
		return nil, fmt.Errorf("audit: canonical: %w", err)
	}
	return out, nil
}

// Marshal encodes v with encoding/json and returns the canonical encoding of
// the result. Decimal amounts and other non-integers must be given as
// strings: Marshal refuses floats with a fractional part.
func Marshal(v any) ([]byte, error) {
	src, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("audit: marshal: %w", err)
	}
	return Canonical(src)
}

// FormatTime writes t the way the audit log writes times: RFC 3339 in UTC
// with exactly six fractional digits, truncated to the microsecond like a
// PostgreSQL timestamptz. Payloads that carry times should use it, so that
// every time in the log reads alike.
func FormatTime(t time.Time) string {
	return string(appendTime(nil, t))
}

// appendTime is FormatTime without the allocation. It writes the digits
// itself: Verify formats a time for every event, and time.Time.AppendFormat
// would be a good part of its cost.
func appendTime(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		// Outside RFC 3339; Append refuses such times, and a stored one
		// can only fail to match its hash, however it is written.
		return t.Truncate(time.Microsecond).AppendFormat(dst, timeLayout)
	}
	hour, minute, second := t.Clock()
	dst = appendDigits(dst, year, 4)
	dst = append(dst, '-')
	dst = appendDigits(dst, int(month), 2)
	dst = append(dst, '-')
	dst = appendDigits(dst, day, 2)
	dst = append(dst, 'T')
	dst = appendDigits(dst, hour, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, minute, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, second, 2)
	dst = append(dst, '.')
	dst = appendDigits(dst, t.Nanosecond()/1000, 6)
	return append(dst, 'Z')
}

// appendDigits writes n, 0 <= n < 10^width, as exactly width (at most 6)
// digits.
func appendDigits(dst []byte, n, width int) []byte {
	start := len(dst)
	dst = append(dst, "000000"[:width]...)
	for i := len(dst) - 1; i >= start; i-- {
		dst[i] = byte('0' + n%10)
		n /= 10
	}
	return dst
}

// encodeError says what makes a value impossible to encode and where.
type encodeError struct {
	path   []string // keys and indexes, innermost first
	offset int
	msg    string
}

func (e *encodeError) Error() string {
	var b strings.Builder
	b.WriteString(ErrNotCanonical.Error())
	b.WriteString(": ")
	b.WriteString(e.msg)
	if len(e.path) > 0 {
		b.WriteString(" at ")
		for _, p := range slices.Backward(e.path) {
			b.WriteByte('/')
			b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(p))
		}
	}
	fmt.Fprintf(&b, " (byte %d)", e.offset)
	return b.String()
}

func (e *encodeError) Unwrap() error { return ErrNotCanonical }

// within records that err happened inside the member or element named p.
func within(err error, p string) error {
	var e *encodeError
	if errors.As(err, &e) {
		e.path = append(e.path, p)
	}
	return err
}

// member locates one encoded "key":value of the object being encoded.
type member struct {
	keyStart, keyEnd int // the decoded key, in canonicalizer.keys
	start, end       int // the encoded member, in the output
}

// canonicalizer parses JSON text and writes its canonical encoding in one
// pass. Its buffers are reused from one call to the next, so that Verify can
// re-encode a million payloads without allocating for each.
type canonicalizer struct {
	src     []byte
	pos     int
	depth   int
	keys    []byte   // decoded keys of the objects being encoded, as a stack
	members []member // members of the objects being encoded, as a stack
	scratch []byte
}

// append appends the canonical encoding of src to dst. On error dst is
// returned as it was.
func (c *canonicalizer) append(dst, src []byte) ([]byte, error) {
	c.src, c.pos, c.depth = src, 0, 0
	c.keys, c.members = c.keys[:0], c.members[:0]
	start := len(dst)
	c.skipSpace()
	dst, err := c.value(dst)
	if err != nil {
		return dst[:start], err
	}
	c.skipSpace()
	if c.pos != len(c.src) {
		return dst[:start], c.fail("unexpected data after the value")
	}
	return dst, nil
}

func (c *canonicalizer) fail(format string, args ...any) error {
	return &encodeError{offset: c.pos, msg: fmt.Sprintf(format, args...)}
}

func (c *canonicalizer) skipSpace() {
	for c.pos < len(c.src) {
		switch c.src[c.pos] {
		case ' ', '\t', '\n', '\r':
			c.pos++
		default:
			return
		}
	}
}

func (c *canonicalizer) value(dst []byte) ([]byte, error) {
	if c.pos >= len(c.src) {
		return dst, c.fail("unexpected end of input")
	}
	switch b := c.src[c.pos]; {
	case b == '{':
		return c.object(dst)
	case b == '[':
		return c.array(dst)
	case b == '"':
		return c.string(dst, true)
	case b == '-' || ('0' <= b && b <= '9'):
		return c.number(dst)
	case b == 't':
		return c.literal(dst, "true")
	case b == 'f':
		return c.literal(dst, "false")
	case b == 'n':
		return c.literal(dst, "null")
	default:
		return dst, c.fail("unexpected character %q", b)
	}
}

func (c *canonicalizer) literal(dst []byte, word string) ([]byte, error) {
	if !bytes.HasPrefix(c.src[c.pos:], []byte(word)) {
		return dst, c.fail("invalid literal, expected %s", word)
	}
	c.pos += len(word)
	return append(dst, word...), nil
}

// number accepts only integers written plainly (no fraction, no exponent, no
// leading zero, no minus zero) within ±MaxSafeInteger, and writes them
// unchanged: such a literal is already in its one canonical form.
func (c *canonicalizer) number(dst []byte) ([]byte, error) {
	start := c.pos
	if c.src[c.pos] == '-' {
		c.pos++
	}
	digits := c.pos
	for c.pos < len(c.src) && '0' <= c.src[c.pos] && c.src[c.pos] <= '9' {
		c.pos++
	}
	if c.pos == digits {
		return dst, c.fail("invalid number")
	}
	if c.pos < len(c.src) {
		switch c.src[c.pos] {
		case '.', 'e', 'E':
			for c.pos < len(c.src) && strings.IndexByte("0123456789.eE+-", c.src[c.pos]) >= 0 {
				c.pos++
			}
			return dst, c.fail("number %s is not an integer; write decimals and other non-integers as strings", c.src[start:c.pos])
		}
	}
	lit := c.src[start:c.pos]
	switch {
	case c.src[digits] == '0' && c.pos-digits > 1:
		return dst, c.fail("number %s has a leading zero", lit)
	case string(lit) == "-0":
		return dst, c.fail("number -0 is not allowed; write 0")
	case c.pos-digits > 16:
		return dst, c.fail("integer %s is beyond ±%d; write it as a string", lit, MaxSafeInteger)
	}
	n, err := strconv.ParseInt(string(lit), 10, 64)
	if err != nil || n > MaxSafeInteger || n < -MaxSafeInteger {
		return dst, c.fail("integer %s is beyond ±%d; write it as a string", lit, MaxSafeInteger)
	}
	return append(dst, lit...), nil
}

// string reads the string at c.pos. With escape it appends the canonical
// encoding of the string (quotes included); without, its decoded UTF-8.
func (c *canonicalizer) string(dst []byte, escape bool) ([]byte, error) {
	c.pos++ // the opening quote
	if escape {
		dst = append(dst, '"')
	}
	for {
		// Copy the longest run of characters that need no attention at once.
		run := c.pos
		for run < len(c.src) {
			b := c.src[run]
			if b >= utf8.RuneSelf {
				r, size := utf8.DecodeRune(c.src[run:])
				if r == utf8.RuneError && size == 1 {
					break
				}
				run += size
				continue
			}
			if b < 0x20 || b == '"' || b == '\\' {
				break
			}
			run++
		}
		dst = append(dst, c.src[c.pos:run]...)
		c.pos = run
		if c.pos >= len(c.src) {
			return dst, c.fail("unterminated string")
		}
		switch b := c.src[c.pos]; {
		case b == '"':
			c.pos++
			if escape {
				dst = append(dst, '"')
			}
			return dst, nil
		case b == '\\':
			r, err := c.escapeSequence()
			if err != nil {
				return dst, err
			}
			if escape {
				dst = appendRune(dst, r)
			} else {
				dst = utf8.AppendRune(dst, r)
			}
		case b < 0x20:
			if b == 0 {
				return dst, c.fail("U+0000 is not allowed in a string (PostgreSQL cannot store it)")
			}
			return dst, c.fail("control character U+%04X must be escaped", b)
		default:
			return dst, c.fail("invalid UTF-8 in a string")
		}
	}
}

// escapeSequence decodes the escape sequence at c.pos, joining a UTF-16
// surrogate pair into one rune.
func (c *canonicalizer) escapeSequence() (rune, error) {
	if c.pos+1 >= len(c.src) {
		return 0, c.fail("unterminated string")
	}
	e := c.src[c.pos+1]
	c.pos += 2
	switch e {
	case '"', '\\', '/':
		return rune(e), nil
	case 'b':
		return '\b', nil
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'u':
		return c.unicodeEscape()
	}
	c.pos -= 2
	return 0, c.fail("invalid escape sequence \\%c", e)
}

// unicodeEscape decodes the four hex digits of a \u escape at c.pos, and the
// low half that must follow a high surrogate.
func (c *canonicalizer) unicodeEscape() (rune, error) {
	r, ok := c.hex4()
	if !ok {
		return 0, c.fail("invalid \\u escape")
	}
	switch {
	case r == 0:
		return 0, c.fail("U+0000 is not allowed in a string (PostgreSQL cannot store it)")
	case 0xDC00 <= r && r <= 0xDFFF:
		return 0, c.fail("lone low surrogate \\u%04x", r)
	case 0xD800 <= r && r <= 0xDBFF:
		if c.pos+1 < len(c.src) && c.src[c.pos] == '\\' && c.src[c.pos+1] == 'u' {
			c.pos += 2
			lo, ok := c.hex4()
			if ok && 0xDC00 <= lo && lo <= 0xDFFF {
				return 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00), nil
			}
		}
		return 0, c.fail("lone high surrogate \\u%04x", r)
	}
	return r, nil
}

func (c *canonicalizer) hex4() (rune, bool) {
	if c.pos+4 > len(c.src) {
		return 0, false
	}
	var r rune
	for _, b := range c.src[c.pos : c.pos+4] {
		switch {
		case '0' <= b && b <= '9':
			r = r<<4 | rune(b-'0')
		case 'a' <= b && b <= 'f':
			r = r<<4 | rune(b-'a'+10)
		case 'A' <= b && b <= 'F':
			r = r<<4 | rune(b-'A'+10)
		default:
			return 0, false
		}
	}
	c.pos += 4
	return r, true
}

func (c *canonicalizer) array(dst []byte) ([]byte, error) {
	if c.depth++; c.depth > maxDepth {
		return dst, c.fail("nested deeper than %d levels", maxDepth)
	}
	c.pos++ // [
	dst = append(dst, '[')
	c.skipSpace()
	if c.pos < len(c.src) && c.src[c.pos] == ']' {
		c.pos++
		c.depth--
		return append(dst, ']'), nil
	}
	for i := 0; ; i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		c.skipSpace()
		var err error
		if dst, err = c.value(dst); err != nil {
			return dst, within(err, strconv.Itoa(i))
		}
		c.skipSpace()
		if c.pos >= len(c.src) {
			return dst, c.fail("unterminated array")
		}
		switch c.src[c.pos] {
		case ',':
			c.pos++
		case ']':
			c.pos++
			c.depth--
			return append(dst, ']'), nil
		default:
			return dst, c.fail("expected , or ] in an array, found %q", c.src[c.pos])
		}
	}
}

// object writes each member as it is read, then reorders the members by
// their decoded keys' UTF-8 bytes.
func (c *canonicalizer) object(dst []byte) ([]byte, error) {
	if c.depth++; c.depth > maxDepth {
		return dst, c.fail("nested deeper than %d levels", maxDepth)
	}
	c.pos++ // {
	c.skipSpace()
	if c.pos < len(c.src) && c.src[c.pos] == '}' {
		c.pos++
		c.depth--
		return append(dst, '{', '}'), nil
	}
	start, keysBase, membersBase := len(dst), len(c.keys), len(c.members)
	for {
		c.skipSpace()
		if c.pos >= len(c.src) || c.src[c.pos] != '"' {
			return dst, c.fail("expected a string key in an object")
		}
		keyStart := len(c.keys)
		var err error
		if c.keys, err = c.string(c.keys, false); err != nil {
			return dst, err
		}
		keyEnd := len(c.keys)
		memberStart := len(dst)
		dst = appendString(dst, c.keys[keyStart:keyEnd])
		dst = append(dst, ':')
		c.skipSpace()
		if c.pos >= len(c.src) || c.src[c.pos] != ':' {
			return dst, c.fail("expected : after an object key")
		}
		c.pos++
		c.skipSpace()
		if dst, err = c.value(dst); err != nil {
			return dst, within(err, string(c.keys[keyStart:keyEnd]))
		}
		c.members = append(c.members, member{keyStart, keyEnd, memberStart, len(dst)})
		c.skipSpace()
		if c.pos >= len(c.src) {
			return dst, c.fail("unterminated object")
		}
		if c.src[c.pos] == ',' {
			c.pos++
			continue
		}
		if c.src[c.pos] != '}' {
			return dst, c.fail("expected , or } in an object, found %q", c.src[c.pos])
		}
		c.pos++
		break
	}

	ms := c.members[membersBase:]
	slices.SortFunc(ms, func(a, b member) int {
		return bytes.Compare(c.keys[a.keyStart:a.keyEnd], c.keys[b.keyStart:b.keyEnd])
	})
	for i := 1; i < len(ms); i++ {
		if k := c.keys[ms[i].keyStart:ms[i].keyEnd]; bytes.Equal(k, c.keys[ms[i-1].keyStart:ms[i-1].keyEnd]) {
			// PostgreSQL's jsonb silently keeps the last of duplicate keys,
			// so the stored payload would no longer say what was hashed.
			return dst, c.fail("duplicate key %q", k)
		}
	}
	c.scratch = append(c.scratch[:0], dst[start:]...)
	dst = append(dst[:start], '{')
	for i, m := range ms {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, c.scratch[m.start-start:m.end-start]...)
	}
	dst = append(dst, '}')
	c.keys, c.members = c.keys[:keysBase], c.members[:membersBase]
	c.depth--
	return dst, nil
}

// appendString appends s, valid UTF-8, as a canonical JSON string.
func appendString[T string | []byte](dst []byte, s T) []byte {
	dst = append(dst, '"')
	last := 0
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < 0x20 || b == '"' || b == '\\' {
			dst = append(dst, s[last:i]...)
			dst = appendEscape(dst, b)
			last = i + 1
		}
	}
	dst = append(dst, s[last:]...)
	return append(dst, '"')
}

// appendRune appends r as it appears inside a canonical JSON string.
func appendRune(dst []byte, r rune) []byte {
	if r < 0x20 || r == '"' || r == '\\' {
		return appendEscape(dst, byte(r))
	}
	return utf8.AppendRune(dst, r)
}

// appendEscape writes the one escape the canonical encoding allows for b:
// the two-character form where JSON has one, \u00xx otherwise.
func appendEscape(dst []byte, b byte) []byte {
	switch b {
	case '"':
		return append(dst, '\\', '"')
	case '\\':
		return append(dst, '\\', '\\')
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	const hex = "0123456789abcdef"
	return append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
}
