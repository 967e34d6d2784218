package meetings

import (
	"fmt"
	"strings"
	"time"

	"github.com/citizen-network/osk/internal/mail"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/rules"
)

// KindLabel says the kind of meeting in words.
func KindLabel(kind string) string {
	if kind == KindAnnual {
		return "Annual general meeting"
	}
	return "Extraordinary general meeting"
}

// StatusLabel says a meeting's status in words.
func StatusLabel(status string) string {
	switch status {
	case StatusDraft:
		return "Draft: not yet convened"
	case StatusConvened:
		return "Convened: the notice has been sent"
	case StatusInSession:
		return "In session now"
	case StatusClosed:
		return "Closed"
	case StatusCancelled:
		return "Cancelled"
	}
	return status
}

// ModeLabel says a way of taking part in words.
func ModeLabel(mode string) string {
	if mode == ModeRemote {
		return "remotely"
	}
	return "in person"
}

// Summary says the quorum in words.
func (q Quorum) Summary() string {
	represented := fmt.Sprintf("%d of %d active members represented (%d present, %d by proxy)", q.Represented, q.Eligible, q.Present, q.ByProxy)
	switch {
	case q.Required == 0:
		return represented + ". The meeting has no quorum requirement."
	case q.Met:
		return fmt.Sprintf("%s. Quorate: at least %d needed.", represented, q.Required)
	default:
		return fmt.Sprintf("%s. Not quorate: at least %d needed.", represented, q.Required)
	}
}

// whenText gives a meeting's time in its zone and in UTC.
func whenText(m Meeting) string {
	loc := m.Zone()
	start, end := m.StartsAt.In(loc), m.EndsAt.In(loc)
	endLayout := "15:04 MST"
	if start.Format(time.DateOnly) != end.Format(time.DateOnly) {
		endLayout = "Monday 2 January 2006, 15:04 MST"
	}
	return fmt.Sprintf("%s to %s (%s time)\n      %s to %s UTC",
		start.Format("Monday 2 January 2006, 15:04 MST"), end.Format(endLayout), m.TimeZone,
		m.StartsAt.UTC().Format("2 January 2006, 15:04"), m.EndsAt.UTC().Format("2 January 2006, 15:04"))
}

// remoteLine says how to take part remotely. A draft may allow it before
// its link is known; its notice, previewed before convening, says the link
// is missing rather than end on "at" and nothing.
func remoteLine(m Meeting) string {
	switch {
	case !m.RemoteAllowed:
		return "Taking part remotely: not offered for this meeting\n"
	case m.OnlineURL == "":
		return "Taking part remotely: allowed, but the link is missing: the meeting cannot be convened without it\n"
	}
	return fmt.Sprintf("Taking part remotely: allowed, at %s\n", m.OnlineURL)
}

func (s *Service) meetingURL(id int64) string {
	return fmt.Sprintf("%s/meetings/%d", s.cfg.BaseURL, id)
}

// noticeText is the notice of the meeting (SPEC.md: the time, the place
// and how to take part remotely, every agenda item and, for a rule change,
// the rules being changed).
func (s *Service) noticeText(m Meeting, r rules.Rules) string {
	var b strings.Builder
	fmt.Fprintf(&b, "NOTICE OF THE %s OF CITIZEN NETWORK OSK\n\n", strings.ToUpper(KindLabel(m.Kind)))
	fmt.Fprintf(&b, "The board convenes the members to the %s: %s.\n\n", strings.ToLower(KindLabel(m.Kind)), m.Title)
	fmt.Fprintf(&b, "When: %s\n", whenText(m))
	if m.Location != "" {
		fmt.Fprintf(&b, "Where: %s\n", m.Location)
	}
	b.WriteString(remoteLine(m))
	if r.ProxiesAllowed {
		fmt.Fprintf(&b, "Proxies: a member may authorise another member to act for them; one person may hold at most %d proxies, counting those held through the organisations they represent.\n", r.ProxyMaxPerHolder)
	} else {
		b.WriteString("Proxies: the co-op's rules do not allow proxies.\n")
	}
	if m.RecordDate != nil {
		fmt.Fprintf(&b, "Record date: members active on %s may vote.\n", formatIn(*m.RecordDate, m.Zone()))
	}
	if s.clock.Now().Before(m.MemberMotionDeadline) {
		fmt.Fprintf(&b, "Members' items: a member may ask the board to put a matter on the agenda until %s, on the meeting's page.\n",
			formatIn(m.MemberMotionDeadline, m.Zone()))
	}
	b.WriteString("\nAGENDA\n")
	for _, it := range m.Agenda {
		fmt.Fprintf(&b, "%d. %s", it.Position, it.Title)
		switch {
		case it.RuleChange:
			b.WriteString(" (changes the co-op's rules)")
		case it.Weighty:
			b.WriteString(" (weighty matter)")
		}
		b.WriteByte('\n')
		if it.Description != "" {
			for line := range strings.SplitSeq(it.Description, "\n") {
				fmt.Fprintf(&b, "   %s\n", strings.TrimRight(line, "\r"))
			}
		}
	}
	fmt.Fprintf(&b, "\nThe notice, the agenda and the forms to register your attendance or authorise a proxy are at %s.\n", s.meetingURL(m.ID))
	fmt.Fprintf(&b, "Add the meeting to your calendar: %s/calendar.ics\n", s.meetingURL(m.ID))
	return b.String()
}

func (s *Service) toAll(recipients []members.Summary, subject, body string) []mail.Message {
	out := make([]mail.Message, 0, len(recipients))
	for _, r := range recipients {
		if r.Email == "" {
			continue
		}
		out = append(out, mail.Message{To: r.Email, Subject: subject, Body: body, MemberID: r.ID})
	}
	return out
}

func (s *Service) notices(m Meeting, notice string, recipients []members.Summary) []mail.Message {
	subject := fmt.Sprintf("Notice: %s, %s", m.Title, m.StartsAt.In(m.Zone()).Format("2 January 2006"))
	return s.toAll(recipients, subject, notice)
}

func (s *Service) changeNotices(m Meeting, recipients []members.Summary) []mail.Message {
	var b strings.Builder
	fmt.Fprintf(&b, "The board has changed how to take part in %s.\n\n", m.Title)
	fmt.Fprintf(&b, "When: %s\n", whenText(m))
	if m.Location != "" {
		fmt.Fprintf(&b, "Where: %s\n", m.Location)
	}
	b.WriteString(remoteLine(m))
	fmt.Fprintf(&b, "\nThe notice and the agenda are unchanged: %s\n", s.meetingURL(m.ID))
	return s.toAll(recipients, "Changed: "+m.Title, b.String())
}

func (s *Service) cancellations(m Meeting, recipients []members.Summary) []mail.Message {
	body := fmt.Sprintf("The board has cancelled %s, which was to be held on %s.\n\nThe reason: %s\n\n%s\n",
		m.Title, formatIn(m.StartsAt, m.Zone()), m.CancelReason, s.meetingURL(m.ID))
	return s.toAll(recipients, "Cancelled: "+m.Title, body)
}

func (s *Service) supplementText(m Meeting, it AgendaItem, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "SUPPLEMENTARY NOTICE, %s\nThe board adds an item to the agenda:\n%d. %s", formatIn(now, m.Zone()), it.Position, it.Title)
	switch {
	case it.RuleChange:
		b.WriteString(" (changes the co-op's rules)")
	case it.Weighty:
		b.WriteString(" (weighty matter)")
	}
	b.WriteByte('\n')
	if it.Description != "" {
		for line := range strings.SplitSeq(it.Description, "\n") {
			fmt.Fprintf(&b, "   %s\n", strings.TrimRight(line, "\r"))
		}
	}
	return b.String()
}

func (s *Service) supplements(m Meeting, text string, recipients []members.Summary) []mail.Message {
	body := fmt.Sprintf("%s\n%s\nThe whole agenda: %s\n", m.Title, text, s.meetingURL(m.ID))
	return s.toAll(recipients, "Agenda item added: "+m.Title, body)
}

func (s *Service) decisionMessage(m Meeting, req ItemRequest, mem members.Member) mail.Message {
	// A draft is not the members' to read yet: the message names the
	// next general meeting, whose notice will come.
	meeting, link, subject := m.Title, "\n"+s.meetingURL(m.ID)+"\n", "Your agenda item: "+m.Title
	if m.Status == StatusDraft {
		meeting, link, subject = "the next general meeting", "\nIts notice will reach you when the board convenes it.\n", "Your agenda item"
	}
	var body string
	if req.Status == RequestAccepted {
		body = fmt.Sprintf("The board has put the item you asked for on the agenda of %s:\n\n%s\n%s", meeting, req.Title, link)
	} else {
		body = fmt.Sprintf("The board has decided not to put the item you asked for on the agenda of %s:\n\n%s\n\nThe reason: %s\n%s",
			meeting, req.Title, req.Reason, link)
	}
	return mail.Message{To: mem.Email, Subject: subject, Body: body, MemberID: mem.ID}
}

func (s *Service) proxyMessage(m Meeting, grantor, holder members.Member) mail.Message {
	body := fmt.Sprintf("%s (member %s) has authorised you to act for them as their proxy at %s, on %s.\n\n"+
		"Register your own attendance at the meeting: the proxy counts while you are present.\n%s\n",
		grantor.DisplayName(), memberNo(grantor), m.Title, formatIn(m.StartsAt, m.Zone()), s.meetingURL(m.ID))
	return mail.Message{To: holder.Email, Subject: "You hold a proxy: " + m.Title, Body: body, MemberID: holder.ID}
}

func memberNo(m members.Member) string {
	if m.MemberNo == nil {
		return "without a number"
	}
	return fmt.Sprintf("no. %d", *m.MemberNo)
}
