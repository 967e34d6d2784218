package minutes

import (
	"context"
	"strconv"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/meetings"
)

// MeetingSection links a meeting's page to its minutes
// (meetings.Handlers.WithSections), once the session has opened: for
// those who read drafts, whatever their state, except minutes not yet
// started, which only their secretary opens; for members, once sealed,
// and until then a word on when they will be.
func (s *Service) MeetingSection(ctx context.Context, p auth.Principal, m meetings.Meeting) (meetings.Section, error) {
	sec := meetings.Section{ID: "minutes", Heading: "Minutes"}
	if m.Status != meetings.StatusInSession && m.Status != meetings.StatusClosed {
		return sec, nil
	}
	d, found, err := s.lookup(ctx, Main(m.ID))
	if err != nil {
		return meetings.Section{}, err
	}
	v := viewer{p: p, meeting: m}
	link := meetings.Link{Text: "The minutes of this meeting", URL: docPath(Main(m.ID))}
	switch {
	case found && d.Status == StatusSigned:
		link.Status = StatusLabel(d.Status)
	case !v.seesDrafts():
		sec.Empty = "The minutes are published here once the chair and the minute checkers have signed them."
		return sec, nil
	case !found && !v.meeting.IsSecretary(p.AccountID):
		// Minutes nobody has begun have no page but their secretary's
		// editor (Service.Get): a link would lead the others to Not Found.
		sec.Empty = "The secretary has not started the minutes yet."
		if v.meeting.SecretaryAccountID == nil {
			sec.Empty = "The meeting has no secretary to write its minutes."
		}
		return sec, nil
	case !found:
		link.Status = StatusLabel("")
	case d.Status == StatusDraft:
		link.Status = StatusLabel(d.Status) + ", version " + strconv.Itoa(d.Version)
	default:
		link.Status = StatusLabel(d.Status)
	}
	sec.Links = []meetings.Link{link}
	return sec, nil
}
