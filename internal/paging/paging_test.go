package paging

import (
	"errors"
	"testing"

	"github.com/citizen-network/osk/internal/errs"
)

func TestByID_ReadsAPageAndRefusesWhatOskNeverGaveOut(t *testing.T) {
	items := []int64{3, 5, 8}
	page := PageByID(items, 2, 'm', func(id int64) int64 { return id })
	if len(page.Items) != 2 || page.NextCursor == nil {
		t.Fatalf("first page %+v", page)
	}
	size, after, err := ByID(Filter{Cursor: *page.NextCursor, Limit: 2}, 'm')
	if err != nil || size != 2 || after != 5 {
		t.Fatalf("the next page reads size %d after %d: %v", size, after, err)
	}
	if last := PageByID(items[2:], 2, 'm', func(id int64) int64 { return id }); last.NextCursor != nil {
		t.Fatalf("the last page has a next cursor %q", *last.NextCursor)
	}
	if size, _, err := ByID(Filter{}, 'm'); err != nil || size != DefaultLimit {
		t.Fatalf("no limit: %d %v", size, err)
	}
	for name, f := range map[string]Filter{
		"limit":  {Limit: MaxLimit + 1},
		"cursor": {Cursor: *page.NextCursor},
	} {
		tag := byte('m')
		if name == "cursor" {
			tag = 'e' // another list's cursor
		}
		_, _, err := ByID(f, tag)
		var v *errs.Validation
		if !errors.As(err, &v) || len(v.Fields) != 1 || v.Fields[0].Field != name {
			t.Errorf("a bad %s: %v", name, err)
		}
	}
}
