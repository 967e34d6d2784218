// Package paging reads the pages of the lists that are kept in order of
// id (API.md, "Conventions": {"items","next_cursor"}, ?limit= and
// ?cursor=), the same way for every domain that serves one.
package paging

import (
	"encoding/base64"
	"strconv"

	"github.com/citizen-network/osk/internal/errs"
)

// A list answers DefaultLimit items unless asked for another number, and
// at most MaxLimit.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// Filter selects a page of a list.
type Filter struct {
	Cursor string
	// Limit is the page size: DefaultLimit when 0, at most MaxLimit;
	// negative is refused.
	Limit int
}

// Page is one page of a list; NextCursor is nil on the last.
type Page[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// ByID reads the filter of a list in order of id, whose cursors carry the
// last id of a page and tag, a letter naming the list: one list's cursor
// is refused by another. It returns the page size and the id the page
// starts after (0 for the first), or a validation error naming the limit
// or the cursor.
func ByID(f Filter, tag byte) (size int, after int64, err error) {
	var v errs.Validation
	size = f.Limit
	switch {
	case size == 0:
		size = DefaultLimit
	case size < 1 || size > MaxLimit:
		v.Add("limit", "Must be a whole number from 1 to %d.", MaxLimit)
	}
	if f.Cursor != "" {
		id, ok := parseIDCursor(f.Cursor, tag)
		if !ok {
			v.Add("cursor", "This cursor is not one Osk gave out.")
		}
		after = id
	}
	return size, after, v.Err()
}

// PageByID makes a page of size items from items, read one more than size
// so that a next page is known to exist; id gives an item's id.
func PageByID[T any](items []T, size int, tag byte, id func(T) int64) Page[T] {
	page := Page[T]{Items: items}
	if len(items) > size {
		page.Items = items[:size]
		next := idCursor(id(page.Items[size-1]), tag)
		page.NextCursor = &next
	}
	return page
}

// A cursor is opaque to callers.
func idCursor(id int64, tag byte) string {
	return base64.RawURLEncoding.EncodeToString(append([]byte{tag}, strconv.FormatInt(id, 10)...))
}

func parseIDCursor(s string, tag byte) (int64, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) < 2 || raw[0] != tag {
		return 0, false
	}
	id, err := strconv.ParseInt(string(raw[1:]), 10, 64)
	return id, err == nil && id > 0
}
