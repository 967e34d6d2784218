// Package errs holds the few kinds of failure that every door of Osk (page,
// API, command line) must tell apart. Domain packages wrap these kinds in their
// own sentinel errors; the web error handler maps each kind to one HTTP status
// without importing any domain.
package errs

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// The kinds. Check them with errors.Is.
var (
	// NotFound also covers things the caller may not see, so that their
	// existence does not leak.
	NotFound = errors.New("not found")
	// Unauthenticated means nobody is signed in, or the credential is bad.
	Unauthenticated = errors.New("not signed in")
	// Forbidden means the caller is known but may not do this.
	Forbidden = errors.New("not allowed")
	// Conflict means the thing is in the wrong state for the request, or it
	// already exists.
	Conflict = errors.New("conflict")
	// Invalid means the request is well formed but some values are not
	// acceptable; see Validation for per-field messages.
	Invalid = errors.New("invalid")
	// TooMany means a rate limit was hit.
	TooMany = errors.New("too many requests")
)

// Wrap returns an error of the given kind with a message meant for people.
func Wrap(kind error, format string, args ...any) error {
	return &kindError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

// FieldError names one field and what is wrong with its value.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Validation collects field errors; it is of kind Invalid.
type Validation struct {
	Fields []FieldError
}

// Add records a problem with one field.
func (v *Validation) Add(field, format string, args ...any) {
	v.Fields = append(v.Fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Has reports whether field already has a problem, so that a second, less
// useful message for the same field can be skipped.
func (v *Validation) Has(field string) bool {
	for _, f := range v.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

// Err returns nil when no field has a problem, and the Validation otherwise.
func (v *Validation) Err() error {
	if v == nil || len(v.Fields) == 0 {
		return nil
	}
	return v
}

func (v *Validation) Error() string {
	parts := make([]string, len(v.Fields))
	for i, f := range v.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid values: " + strings.Join(parts, "; ")
}

func (v *Validation) Unwrap() error { return Invalid }

// Message returns the part of err meant for people: the message given to
// Wrap, or the kind's own words for anything else.
func Message(err error) string {
	var ke *kindError
	if errors.As(err, &ke) {
		return ke.msg
	}
	var v *Validation
	if errors.As(err, &v) {
		return "Some values need correcting."
	}
	for _, k := range []error{NotFound, Unauthenticated, Forbidden, Conflict, Invalid, TooMany} {
		if errors.Is(err, k) {
			return k.Error()
		}
	}
	return "Something went wrong on our side."
}

// HasControl reports whether s holds a control character, such as NUL,
// which PostgreSQL refuses in text and no page can show; lines allows
// the line breaks (a browser's CR LF among them) and tabs of a text of
// several lines. A one-line value (a name, a title) also refuses the
// characters Invisible reports.
func HasControl(s string, lines bool) bool {
	for i, r := range s {
		switch {
		case lines && (r == '\n' || r == '\t'):
		case lines && r == '\r' && strings.HasPrefix(s[i+1:], "\n"):
		case unicode.IsControl(r) || !lines && Invisible(r):
			return true
		}
	}
	return false
}

// Invisible reports a character that changes how text shows without
// showing itself: a soft hyphen, a zero-width space or word joiner, a
// byte-order mark, a direction mark, embedding, override or isolate, which
// would print the rest of a line reversed, or the Mongolian vowel
// separator. In a name or a title it makes a blank link, or a look-alike
// of another name. Longer texts keep them, as a statement pasted from a
// word processor holds soft hyphens and one in Arabic or Hebrew direction
// marks. Other format characters show, or join what shows: the zero-width
// joiner and non-joiner that Persian and Indic names are spelled with,
// the tags of a flag such as Scotland's, Arabic number signs.
func Invisible(r rune) bool {
	switch {
	case r == '\u00ad', r == '\u061c', r == '\u180e', r == '\u200b', r == '\u200e', r == '\u200f', r == '\ufeff':
		return true
	case r >= '\u202a' && r <= '\u202e', r >= '\u2060' && r <= '\u2064', r >= '\u2066' && r <= '\u2069':
		return true
	}
	return false
}
