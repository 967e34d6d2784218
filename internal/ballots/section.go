package ballots

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/meetings"
)

// SectionID is the fragment id of the ballots' section on a meeting's
// page, where a refused close of the session points.
const SectionID = "voting"

// MeetingSection lists on a meeting's page (meetings.Handlers.WithSections)
// the ballots that are undecided, while the meeting is in session and, for
// advance voting, while it is convened: each with a link to vote for one
// who still has a vote to cast in it, and whether they have voted. The
// page shows it first, so that members present need not look for the
// ballot through the motions. A meeting in session without such ballots
// says so; a convened one leaves the section out.
func (s *Service) MeetingSection(ctx context.Context, p auth.Principal, m meetings.Meeting) (meetings.Section, error) {
	sec := meetings.Section{ID: SectionID, Heading: "Voting now", Now: true}
	switch m.Status {
	case meetings.StatusInSession:
		sec.Empty = "No ballot is open. When the chair opens one, it is listed here with a link to vote."
	case meetings.StatusConvened:
	default:
		return sec, nil
	}
	v, err := s.viewerOf(ctx, p)
	if err != nil {
		return meetings.Section{}, err
	}
	list, err := undecidedBallots(ctx, s.db, m.ID)
	if err != nil {
		return meetings.Section{}, err
	}
	now := s.clock.Now()
	for _, b := range list {
		ok, err := s.sees(ctx, s.db, v, b, m)
		if err != nil {
			return meetings.Section{}, err
		}
		if !ok {
			continue
		}
		subj, err := s.Describe(ctx, b)
		if err != nil {
			return meetings.Section{}, err
		}
		mine, err := votersFor(ctx, s.db, b.ID, p.AccountID)
		if err != nil {
			return meetings.Section{}, err
		}
		sec.Links = append(sec.Links, sectionLink(b, subj, mine, m.IsChair(p.AccountID), now))
	}
	return sec, nil
}

// sectionLink is an undecided ballot as the meeting's page lists it to
// the viewer, who casts the votes of mine.
func sectionLink(b Ballot, subj Subject, mine []Voter, chair bool, now time.Time) meetings.Link {
	l := meetings.Link{Text: "The ballot on “" + subj.Title + "”", URL: ballotPath(b.ID)}
	voted := 0
	for _, vt := range mine {
		if vt.Voted {
			voted++
		}
	}
	switch {
	case b.AwaitingCastingVote():
		if chair {
			l.Text = "Give the casting vote on “" + subj.Title + "”"
		}
		l.Status = "Tied: waiting for the chair's casting vote"
	case b.ClosingPassed(now):
		l.Status = "Voting has ended: waiting for the chair to close the ballot"
	case voted < len(mine):
		l.Text = "Vote on “" + subj.Title + "”"
		l.Status = "Open for voting"
		if voted > 0 {
			l.Status = fmt.Sprintf("You have cast %d of your %d votes", voted, len(mine))
		}
	case len(mine) == 1:
		l.Status = "You have voted"
	case len(mine) > 1:
		l.Status = fmt.Sprintf("You have cast all your %d votes", len(mine))
	default:
		l.Status = "Open for voting: you are not on its voting list"
	}
	return l
}

// undecidedBallots lists the meeting's ballots that are open or wait for
// the chair's casting vote, in the order they were opened.
func undecidedBallots(ctx context.Context, q sqlx.QueryerContext, meetingID int64) ([]Ballot, error) {
	var rows []ballotRow
	err := sqlx.SelectContext(ctx, q, &rows, `SELECT `+ballotColumns+` FROM ballots
		WHERE meeting_id = $1 AND decided_at IS NULL ORDER BY id`, meetingID)
	if err != nil {
		return nil, fmt.Errorf("ballots: undecided in meeting %d: %w", meetingID, err)
	}
	out := make([]Ballot, len(rows))
	for i, r := range rows {
		if out[i], err = r.ballot(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
