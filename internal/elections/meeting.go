package elections

import (
	"context"
	"strconv"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/meetings"
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
	for _, e := range all {
		seats := "1 seat"
		if e.Seats != 1 {
			seats = strconv.Itoa(e.Seats) + " seats"
		}
		sec.Links = append(sec.Links, meetings.Link{Text: e.Title + " (" + seats + ")", URL: electionPath(e.ID), Status: e.StatusText()})
	}
	return sec, nil
}
