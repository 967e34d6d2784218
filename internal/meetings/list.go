package meetings

import (
	"context"
	"encoding/base64"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/errs"
)

// ListFilter selects a page of meetings.
type ListFilter struct {
	Cursor string
	// Limit is the page size: 50 when 0, at most 500; negative is refused.
	Limit int
}

// Page is one page of meetings, newest first; NextCursor is nil on the
// last.
type Page struct {
	Items      []Meeting `json:"items"`
	NextCursor *string   `json:"next_cursor"`
}

// keyset is the place in a list after which its next page starts: a time
// and an id, the order of every list of this package (the meetings by
// start, newest first; attendance by arrival; proxies and requests by id
// alone).
type keyset struct {
	At time.Time
	ID int64
}

func (k keyset) String() string {
	raw := strconv.FormatInt(k.At.UnixMicro(), 10) + "." + strconv.FormatInt(k.ID, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// after reports whether k comes after o in ascending order.
func (k keyset) after(o keyset) bool {
	if !k.At.Equal(o.At) {
		return k.At.After(o.At)
	}
	return k.ID > o.ID
}

func parseKeyset(s string) (*keyset, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, false
	}
	a, b, ok := strings.Cut(string(raw), ".")
	if !ok {
		return nil, false
	}
	us, err1 := strconv.ParseInt(a, 10, 64)
	id, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || id <= 0 {
		return nil, false
	}
	return &keyset{At: time.UnixMicro(us).UTC(), ID: id}, true
}

// bounds validates the filter: the page size (50 when not given) and the
// place the page starts after, if any.
func (f ListFilter) bounds() (int, *keyset, error) {
	var v errs.Validation
	limit := f.Limit
	switch {
	case limit == 0:
		limit = defaultLimit
	case limit < 1 || limit > maxListLimit:
		v.Add("limit", "Must be a whole number from 1 to %d.", maxListLimit)
	}
	var after *keyset
	if f.Cursor != "" {
		cur, ok := parseKeyset(f.Cursor)
		if !ok {
			v.Add("cursor", "This cursor is not one Osk gave out.")
		}
		after = cur
	}
	return limit, after, v.Err()
}

// Listing is a page of one of a meeting's lists; NextCursor is nil on the
// last.
type Listing[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// pageOf cuts a page out of a list read whole, in ascending keyset order:
// the lists of one meeting, whose size the meeting bounds.
func pageOf[T any](items []T, f ListFilter, key func(T) keyset) (Listing[T], error) {
	limit, after, err := f.bounds()
	if err != nil {
		return Listing[T]{}, err
	}
	if after != nil {
		items = items[sort.Search(len(items), func(i int) bool { return key(items[i]).after(*after) }):]
	}
	page := Listing[T]{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		next := key(items[limit-1]).String()
		page.NextCursor = &next
	}
	return page, nil
}

// List returns a page of the meetings the principal may see: to members,
// every meeting but drafts; to the board and auditors, drafts too.
func (s *Service) List(ctx context.Context, p auth.Principal, f ListFilter) (Page, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return Page{}, err
	}
	staff := p.HasAny(auth.RoleBoard, auth.RoleAuditor)
	if !staff && !c.IsMember() {
		return Page{}, errs.Wrap(errs.Forbidden, "Only members of the co-op see its general meetings.")
	}
	limit, after, err := f.bounds()
	if err != nil {
		return Page{}, err
	}
	items, err := listMeetings(ctx, s.db, staff, after, limit+1)
	if err != nil {
		return Page{}, err
	}
	r, err := s.rules.Current(ctx)
	if err != nil {
		return Page{}, err
	}
	page := Page{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		last := page.Items[limit-1]
		next := keyset{At: last.StartsAt, ID: last.ID}.String()
		page.NextCursor = &next
	}
	now := s.clock.Now()
	for i := range page.Items {
		decorate(&page.Items[i], r, now)
	}
	return page, nil
}

// visibleMeetings returns every meeting the principal may see, for the
// calendar feed.
func (s *Service) visibleMeetings(ctx context.Context, p auth.Principal) ([]Meeting, error) {
	var out []Meeting
	f := ListFilter{Limit: maxListLimit}
	for {
		page, err := s.List(ctx, p, f)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if page.NextCursor == nil {
			return out, nil
		}
		f.Cursor = *page.NextCursor
	}
}

// Timeline splits meetings for the list page: those still to come or in
// session, soonest first, and the others, newest first.
func Timeline(items []Meeting, now time.Time) (upcoming, past []Meeting) {
	for _, m := range items {
		if (m.Status == StatusDraft || m.Status == StatusConvened || m.Status == StatusInSession) && m.EndsAt.After(now.Add(-24*time.Hour)) {
			upcoming = append(upcoming, m)
		} else {
			past = append(past, m)
		}
	}
	for i, j := 0, len(upcoming)-1; i < j; i, j = i+1, j-1 {
		upcoming[i], upcoming[j] = upcoming[j], upcoming[i]
	}
	return upcoming, past
}

func meetingID(raw string) (int64, error) {
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, ErrNotFound
	}
	return id, nil
}

func itemID(raw string, notFound error) (int64, error) {
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, notFound
	}
	return id, nil
}
