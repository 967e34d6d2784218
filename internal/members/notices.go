package members

import (
	"fmt"
	"strings"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/mail"
)

// The emails of the register, in plain words. Each goes through the outbox
// in the transaction of the change it reports.

const coopName = "Citizen Network Osk"

func (s *Service) letter(m Member, subject string, paragraphs ...string) mail.Message {
	msg := letterTo(m.Name, m.Email, subject, paragraphs...)
	msg.MemberID = m.ID
	return msg
}

// personalLetter writes to the person who holds an account, as opposed to
// the member (an organisation) they act for.
func (s *Service) personalLetter(acc auth.Account, subject string, paragraphs ...string) mail.Message {
	return letterTo(acc.Name, acc.Email, subject, paragraphs...)
}

func letterTo(name, email, subject string, paragraphs ...string) mail.Message {
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\n", name)
	for _, p := range paragraphs {
		b.WriteString(p)
		b.WriteString("\n\n")
	}
	b.WriteString(coopName + "\n")
	return mail.Message{To: email, Subject: subject, Body: b.String()}
}

func (s *Service) link(path string) string { return s.cfg.BaseURL + path }

func (s *Service) applicationReceived(m Member) mail.Message {
	what := "Thank you for applying to become a member-owner of " + coopName + "."
	if m.Kind == KindOrganisation {
		what = "Thank you for applying for " + m.Name + " to become a member-owner of " + coopName +
			". You will act and vote for it as its representative."
	}
	return s.letter(m, "We have received your application to "+coopName,
		what,
		"The board decides on applications at its meetings, and we will email you when it has decided.",
		"You can see the status of your application at any time at "+s.link("/membership"))
}

func (s *Service) admitted(m Member) mail.Message {
	share := "You have no share contribution to pay."
	if cents, _ := parseCents(m.ShareDue); cents > 0 {
		share = fmt.Sprintf("Your share contribution is %s %s. The board will tell you how to pay it.", m.ShareDue, m.ShareCurrency)
	}
	return s.letter(m, fmt.Sprintf("Welcome to %s: you are member number %d", coopName, *m.MemberNo),
		fmt.Sprintf("The board has admitted %s as a member of %s. The member number is %d.", admittedWho(m), coopName, *m.MemberNo),
		share,
		"You can see your membership, and take part in general meetings, at "+s.link("/membership"))
}

func admittedWho(m Member) string {
	if m.Kind == KindOrganisation {
		return m.Name
	}
	return "you"
}

func (s *Service) decided(m Member, mv move, reason string) mail.Message {
	because := "The reason the board gave: " + reason
	switch mv.to {
	case StatusRejected:
		return s.letter(m, "Your application to "+coopName,
			"The board has decided not to admit "+admittedWho(m)+" as a member.",
			because,
			"If you have questions about this decision, please reply to this email.")
	case StatusSuspended:
		return s.letter(m, "Your membership of "+coopName+" is suspended",
			"The board has suspended the membership. While it is suspended, the member cannot vote or take part in general meetings.",
			because)
	case StatusExpelled:
		return s.letter(m, "Your membership of "+coopName+" has ended",
			"The board has decided to expel the member from the co-op.",
			because,
			"If you disagree, you may ask for the decision to be taken to a general meeting, as the Co-operatives Act allows.")
	default:
		return s.letter(m, "Your membership of "+coopName+" is active again",
			"The board has ended the suspension: the membership is active again, with all its rights.",
			because,
			"See your membership at "+s.link("/membership"))
	}
}

func (s *Service) resigned(m Member, effectiveOn string) mail.Message {
	return s.letter(m, "Your resignation from "+coopName,
		"We have recorded the resignation from "+coopName+", effective "+effectiveOn+".",
		"Any share contribution paid will be returned as the co-op's rules and the Co-operatives Act provide. Until then the register keeps the membership's details.",
		"Thank you for being part of the co-op.")
}

func (s *Service) contactChanged(m Member, fields []string) mail.Message {
	words := make([]string, len(fields))
	for i, f := range fields {
		words[i] = strings.ReplaceAll(f, "email", "email address")
	}
	return s.letter(m, "Your contact details at "+coopName+" were changed",
		"These contact details were changed: "+strings.Join(words, ", ")+".",
		"If you did not make this change, please tell the board by replying to this email.")
}

func (s *Service) representativeChanged(m Member, acc auth.Account) mail.Message {
	return s.letter(m, "A new representative for "+m.Name,
		acc.Name+" now represents "+m.Name+" in "+coopName+", acting and voting for it.",
		"If this is not right, please tell the board by replying to this email.")
}

// representativeAppointed tells the new representative what they now do.
func (s *Service) representativeAppointed(m Member, acc auth.Account) mail.Message {
	return s.personalLetter(acc, "You now represent "+m.Name,
		"The board has made you the representative of "+m.Name+" in "+coopName+": from now on you act and vote for it, in the ballots open now as well.",
		"You can see the organisation's membership at "+s.link("/membership"))
}

// representativeReplaced tells the outgoing representative that they no
// longer act for the organisation, so that a change they did not expect
// does not pass unnoticed.
func (s *Service) representativeReplaced(m Member, from, to auth.Account) mail.Message {
	return s.personalLetter(from, "You no longer represent "+m.Name,
		"The board has made "+to.Name+" the representative of "+m.Name+" in "+coopName+" in your place: you no longer act or vote for it, and the votes for it not yet cast pass to "+to.Name+".",
		"If this is not right, please tell the board by replying to this email.")
}

func (s *Service) shareRecorded(m Member, e ShareEntry) mail.Message {
	if e.Kind == ShareKindRefund {
		return s.letter(m, "Share contribution returned",
			fmt.Sprintf("We have recorded that %s %s of the share contribution was returned on %s.", e.Amount, m.ShareCurrency, e.PaidOn))
	}
	return s.letter(m, "Share contribution received",
		fmt.Sprintf("We have recorded a share contribution payment of %s %s, paid on %s. Thank you.", e.Amount, m.ShareCurrency, e.PaidOn))
}
