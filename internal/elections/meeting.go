package elections

import (
	"context"
	"strconv"
	"time"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/paging"
)

// ForMeeting lists the elections of a meeting the principal may see, with
// their candidates, in the order they were added.
func (s *Service) ForMeeting(ctx context.Context, p auth.Principal, meetingID int64) ([]Election, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return nil, err
	}
	m, err := s.meetings.Get(ctx, meetingID)
	if err != nil {
		return nil, err
	}
	if !m.VisibleTo(c) {
		return nil, meetings.ErrNotFound
	}
	return electionsOf(ctx, s.db, meetingID)
}

// ListFilter selects a page of a meeting's elections.
type ListFilter = paging.Filter

// Page is one page of a meeting's elections, in the order they were
// added.
type Page = paging.Page[Election]

// cursorTag marks the cursors of a meeting's elections.
const cursorTag = 'e'

// List returns a page of the elections of a meeting the principal may
// see, each with its candidates and its ballot once it has one.
func (s *Service) List(ctx context.Context, p auth.Principal, meetingID int64, f ListFilter) (Page, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return Page{}, err
	}
	m, err := s.meetings.Get(ctx, meetingID)
	if err != nil {
		return Page{}, err
	}
	if !m.VisibleTo(c) {
		return Page{}, meetings.ErrNotFound
	}
	size, after, err := paging.ByID(f, cursorTag)
	if err != nil {
		return Page{}, err
	}
	items, err := meetingElections(ctx, s.db, meetingID, after, size+1)
	if err != nil {
		return Page{}, err
	}
	return paging.PageByID(items, size, cursorTag, func(e Election) int64 { return e.ID }), nil
}

// MeetingSection lists a meeting's elections, with their status, on the
// meeting's page (meetings.Handlers.WithSections). A meeting without
// elections, or whose elections the principal may not see, has none.
func (s *Service) MeetingSection(ctx context.Context, p auth.Principal, m meetings.Meeting) (meetings.Section, error) {
	sec := meetings.Section{ID: "elections", Heading: "Elections"}
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return meetings.Section{}, err
	}
	if !m.VisibleTo(c) {
		return sec, nil
	}
	all, err := electionsOf(ctx, s.db, m.ID)
	if err != nil {
		return meetings.Section{}, err
	}
	now := s.clock.Now()
	for _, e := range all {
		seats := "1 seat"
		if e.Seats != 1 {
			seats = strconv.Itoa(e.Seats) + " seats"
		}
		sec.Links = append(sec.Links, meetings.Link{Text: e.Title + " (" + seats + ")", URL: electionPath(e.ID), Status: statusText(e, m, nominationsOpen(e, m, now))})
	}
	return sec, nil
}

// nominationsOpen reports whether the election takes nominations at now:
// not after their closing time, nor once the meeting is over.
func nominationsOpen(e Election, m meetings.Meeting, now time.Time) bool {
	return !m.Finished() && !e.NominationsClosed(now)
}

// statusText says an election's status in words: one still nominating
// whose nominations have closed is not said to be taking them.
func statusText(e Election, m meetings.Meeting, open bool) string {
	switch {
	case e.Status != StatusNominating || open:
		return e.StatusText()
	case m.Finished():
		return "Not put to the vote"
	}
	return "Nominations closed: waiting to be put to the vote"
}
