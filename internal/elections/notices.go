package elections

import (
	"fmt"
	"strings"

	"github.com/citizen-network/osk/internal/mail"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
)

// The emails of elections, in plain words. Each goes through the outbox
// in the transaction of the change it reports.

// nominated tells a member that someone else nominated them, and where
// they consent: without their consent they are not on the ballot
// (SPEC.md, "Elections").
func (s *Service) nominated(m meetings.Meeting, e Election, nominee members.Member, by string, statement string) mail.Message {
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\n", nominee.DisplayName())
	seats := "one seat"
	if e.Seats != 1 {
		seats = fmt.Sprintf("%d seats", e.Seats)
	}
	fmt.Fprintf(&b, "%s has nominated you as a candidate in the election \"%s\" (%s) at %s, on %s.\n\n",
		by, oneLine(e.Title), seats, oneLine(m.Title), m.StartsAt.In(m.Zone()).Format("Monday 2 January 2006, 15:04 MST"))
	if statement != "" {
		b.WriteString("With the nomination they wrote:\n\n")
		for line := range strings.SplitSeq(statement, "\n") {
			fmt.Fprintf(&b, "   %s\n", strings.TrimRight(line, "\r"))
		}
		b.WriteString("\n")
	}
	b.WriteString("You are on the ballot only if you consent to stand. ")
	if e.NominationsCloseAt != nil {
		fmt.Fprintf(&b, "Nominations close on %s; you can consent until the election is put to the vote. ",
			e.NominationsCloseAt.In(m.Zone()).Format("Monday 2 January 2006, 15:04 MST"))
	} else {
		b.WriteString("You can consent until the election is put to the vote. ")
	}
	b.WriteString("If you do not wish to stand, you need do nothing: without your consent you are not on the ballot.\n\n")
	fmt.Fprintf(&b, "Consent, or read about the election and the other candidates, at %s%s\n", s.cfg.BaseURL, electionPath(e.ID))
	return mail.Message{To: nominee.Email, Subject: "You are nominated: " + oneLine(e.Title) + ", " + oneLine(m.Title), Body: b.String()}
}

// nominator names who nominated someone, for the nominee: the member
// they act for as an individual, or else their own name. Unlike
// members.Caller.Own it never names an organisation: the nominee is told
// of the person who put them forward.
func nominator(c members.Caller) string {
	for _, m := range c.Acting() {
		if m.Kind == members.KindIndividual && m.MemberNo != nil {
			return fmt.Sprintf("%s (member no. %d)", m.DisplayName(), *m.MemberNo)
		}
	}
	name := oneLine(c.Principal().Name)
	if name == "" {
		name = "Someone"
	}
	if c.Board() {
		return name + ", of the board,"
	}
	return name
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
