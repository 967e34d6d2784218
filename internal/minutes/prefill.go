package minutes

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
)

// MeetingRecord is what the minutes quote from a meeting's motions and
// ballots, read with the rights of the secretary who drafts them. It is
// the only way this package reaches those domains; NewMeetingRecord
// reads them from internal/motions and internal/ballots.
type MeetingRecord interface {
	// Motions lists the meeting's motions and amendments in the order
	// they were proposed, each with its final text.
	Motions(ctx context.Context, p auth.Principal, meetingID int64) ([]PrefillMotion, error)
	// Ballots lists the meeting's ballots with their results and voting
	// lists.
	Ballots(ctx context.Context, p auth.Principal, meetingID int64) ([]PrefillBallot, error)
}

// PrefillMotion is a motion or an amendment as the minutes state it.
type PrefillMotion struct {
	ID             int64
	AgendaItemID   *int64
	AmendsMotionID *int64
	Title          string
	// Text is the motion's final text, in Markdown, and Version its
	// number (above 1 when carried amendments changed it).
	Text             string
	Version          int
	ProposerMemberID *int64
	ByBoard          bool
	// Majority and Status are in words.
	Majority string
	Status   string
}

// PrefillBallot is a ballot as the minutes state it.
type PrefillBallot struct {
	ID       int64
	MotionID *int64
	Secret   bool
	// Decided is false while the ballot is open or waits for the chair's
	// casting vote; the counts below are then not known.
	Decided               bool
	Outcome               string
	For, Against, Abstain int
	Cast, Eligible        int
	QuorumRequired        int
	QuorumMet             bool
	TieBrokenByChair      bool
	CastingVote           string
	// Voters are the member numbers of those on the voting list who
	// voted; Votes, in an open ballot, each vote by member number.
	Voters     []int
	Votes      []PrefillVote
	RecordHash string
	ChainHead  ChainHead
}

// PrefillVote is one named vote of an open ballot.
type PrefillVote struct {
	MemberNo int
	Choice   string
}

// prefillInput is everything the pre-filled text is written from.
type prefillInput struct {
	meeting    meetings.Meeting
	officers   officerNames
	attendance []meetings.Attendee
	proxies    []meetings.Proxy
	people     map[int64]members.Summary
	motions    []PrefillMotion
	ballots    []PrefillBallot
}

type officerNames struct {
	chair, secretary string
	checkers         []string
}

// prefill gathers the meeting's record with the secretary's rights.
func (s *Service) prefill(ctx context.Context, p auth.Principal, m meetings.Meeting) (string, error) {
	in := prefillInput{meeting: m}
	var err error
	if in.officers, err = s.officerNames(ctx, m); err != nil {
		return "", err
	}
	if in.attendance, err = s.meetings.Attendance(ctx, p, m.ID); err != nil {
		return "", err
	}
	if in.proxies, err = s.meetings.Proxies(ctx, p, m.ID); err != nil {
		return "", err
	}
	// Without a record, the draft leaves the motions and ballots to the
	// secretary.
	if s.record != nil {
		if in.motions, err = s.record.Motions(ctx, p, m.ID); err != nil {
			return "", err
		}
		if in.ballots, err = s.record.Ballots(ctx, p, m.ID); err != nil {
			return "", err
		}
	}
	var ids []int64
	for _, a := range in.attendance {
		ids = append(ids, a.MemberID)
	}
	for _, px := range in.proxies {
		ids = append(ids, px.MemberID, px.HolderMemberID)
	}
	for _, mo := range in.motions {
		if mo.ProposerMemberID != nil {
			ids = append(ids, *mo.ProposerMemberID)
		}
	}
	if in.people, err = s.members.SummariesOf(ctx, ids); err != nil {
		return "", err
	}
	return writePrefill(in), nil
}

func (s *Service) officerNames(ctx context.Context, m meetings.Meeting) (officerNames, error) {
	var out officerNames
	var err error
	if m.Officers.ChairAccountID != nil {
		if out.chair, err = s.accountName(ctx, *m.Officers.ChairAccountID); err != nil {
			return officerNames{}, err
		}
	}
	if m.Officers.SecretaryAccountID != nil {
		if out.secretary, err = s.accountName(ctx, *m.Officers.SecretaryAccountID); err != nil {
			return officerNames{}, err
		}
	}
	for _, id := range m.Officers.CheckerAccountIDs {
		name, err := s.accountName(ctx, id)
		if err != nil {
			return officerNames{}, err
		}
		out.checkers = append(out.checkers, name)
	}
	return out, nil
}

// writePrefill writes the first draft of the minutes: the meeting, its
// officers, who attended and by whose proxy, then each agenda item with
// its motions' final texts and their ballots' results and voting lists.
// Every name and title is escaped, so that the text says exactly what the
// record says whatever characters it holds.
func writePrefill(in prefillInput) string {
	m := in.meeting
	zone := m.Zone()
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }

	line("# Minutes: %s", esc(m.Title))
	line("")
	when := m.StartsAt.In(zone).Format("Monday 2 January 2006, 15:04")
	if m.OpenedAt != nil && m.ClosedAt != nil {
		when = fmt.Sprintf("%s, from %s to %s", m.OpenedAt.In(zone).Format("Monday 2 January 2006"),
			m.OpenedAt.In(zone).Format("15:04"), m.ClosedAt.In(zone).Format("15:04"))
	}
	place := "online"
	if m.Location != "" {
		place = esc(oneLine(m.Location))
		if m.RemoteAllowed {
			place += ", and online"
		}
	}
	line("%s of Citizen Network Osk, held on %s (%s time), at %s.", meetings.KindLabel(m.Kind), when, esc(m.TimeZone), place)
	line("")
	line("- Chair: %s", nameOr(in.officers.chair))
	line("- Secretary: %s", nameOr(in.officers.secretary))
	checkers := "not appointed"
	if len(in.officers.checkers) > 0 {
		escaped := make([]string, len(in.officers.checkers))
		for i, c := range in.officers.checkers {
			escaped[i] = esc(c)
		}
		checkers = strings.Join(escaped, ", ")
	}
	line("- Minute checkers: %s", checkers)
	line("")

	writeAttendance(&b, in, zone)

	byItem := map[int64][]PrefillMotion{}
	var loose []PrefillMotion
	known := map[int64]bool{}
	for _, it := range m.Agenda {
		known[it.ID] = true
	}
	for _, mo := range in.motions {
		if mo.AmendsMotionID != nil {
			continue
		}
		if mo.AgendaItemID != nil && known[*mo.AgendaItemID] {
			byItem[*mo.AgendaItemID] = append(byItem[*mo.AgendaItemID], mo)
		} else {
			loose = append(loose, mo)
		}
	}
	for i, it := range m.Agenda {
		line("## %d. %s", i+1, esc(it.Title))
		line("")
		if it.Description != "" {
			line("%s", escBlock(it.Description))
			line("")
		}
		line("_Write here what the meeting discussed and decided._")
		line("")
		for _, mo := range byItem[it.ID] {
			writeMotion(&b, in, mo)
		}
	}
	if len(loose) > 0 {
		line("## Motions on no item of the agenda")
		line("")
		for _, mo := range loose {
			writeMotion(&b, in, mo)
		}
	}
	line("## Signatures")
	line("")
	line("The chair and the minute checkers sign these minutes in Osk. Their signatures and the seal are printed with them.")
	return b.String()
}

func writeAttendance(b *strings.Builder, in prefillInput, zone *time.Location) {
	line := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	line("## Attendance")
	line("")
	var used []meetings.Proxy
	for _, px := range in.proxies {
		if px.WithdrawnAt == nil {
			used = append(used, px)
		}
	}
	if len(in.attendance) == 0 {
		line("Nobody registered as present.")
		line("")
	} else {
		line("%d members registered as present; %d members were represented by proxy.", len(in.attendance), len(used))
		line("")
		line("| Member no. | Member | Took part | Arrived | Left |")
		line("| ---: | --- | --- | --- | --- |")
		list := slices.Clone(in.attendance)
		slices.SortFunc(list, func(a, c meetings.Attendee) int { return a.MemberNo - c.MemberNo })
		for _, a := range list {
			left := "at the close"
			if a.LeftAt != nil {
				left = clockTime(*a.LeftAt, zone)
			}
			line("| %s | %s | %s | %s | %s |", memberNo(a.MemberNo), esc(in.people[a.MemberID].Name), meetings.ModeLabel(a.Mode),
				clockTime(a.ArrivedAt, zone), left)
		}
		line("")
	}
	if len(used) > 0 {
		line("### Proxies")
		line("")
		line("| Member represented | Represented by |")
		line("| --- | --- |")
		for _, px := range used {
			line("| %s | %s |", esc(personText(in.people[px.MemberID])), esc(personText(in.people[px.HolderMemberID])))
		}
		line("")
	}
}

func writeMotion(b *strings.Builder, in prefillInput, mo PrefillMotion) {
	line := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	line("### Motion: %s", esc(mo.Title))
	line("")
	writeMotionFacts(b, in, mo)
	if mo.Version > 1 {
		line("The text as amended (version %d):", mo.Version)
	} else {
		line("The text:")
	}
	line("")
	line("%s", quote(mo.Text))
	line("")
	for _, am := range in.motions {
		if am.AmendsMotionID == nil || *am.AmendsMotionID != mo.ID {
			continue
		}
		line("#### Amendment: %s", esc(am.Title))
		line("")
		writeMotionFacts(b, in, am)
		line("%s", quote(am.Text))
		line("")
		writeBallots(b, in, am.ID)
	}
	writeBallots(b, in, mo.ID)
}

// writeMotionFacts lists who proposed a motion, the majority it needs and
// where it stands.
func writeMotionFacts(b *strings.Builder, in prefillInput, mo PrefillMotion) {
	fmt.Fprintf(b, "- %s\n- Majority needed: %s\n- Outcome: %s\n\n", proposerText(in, mo), esc(mo.Majority), esc(mo.Status))
}

func writeBallots(b *strings.Builder, in prefillInput, motionID int64) {
	line := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	for _, bl := range in.ballots {
		if bl.MotionID == nil || *bl.MotionID != motionID {
			continue
		}
		kind := "Open ballot"
		if bl.Secret {
			kind = "Secret ballot"
		}
		line("#### Vote (%s %d)", strings.ToLower(kind), bl.ID)
		line("")
		if !bl.Decided {
			line("_The ballot was not decided when this draft was written._")
			line("")
			continue
		}
		line("| For | Against | Abstaining | Votes cast | On the voting list | Outcome |")
		line("| ---: | ---: | ---: | ---: | ---: | --- |")
		line("| %d | %d | %d | %d | %d | %s |", bl.For, bl.Against, bl.Abstain, bl.Cast, bl.Eligible, esc(bl.Outcome))
		line("")
		if bl.QuorumRequired > 0 {
			met := "was met"
			if !bl.QuorumMet {
				met = "was not met"
			}
			line("The ballot quorum of %d votes cast %s.", bl.QuorumRequired, met)
			line("")
		}
		if bl.TieBrokenByChair {
			line("The votes were tied; the chair's casting vote was %s.", esc(bl.CastingVote))
			line("")
		}
		numbers := make([]string, len(bl.Voters))
		for i, n := range bl.Voters {
			numbers[i] = strconv.Itoa(n)
		}
		if len(numbers) == 0 {
			line("Nobody on the voting list voted.")
		} else {
			line("Voted (%d of the %d members on the voting list, by member number): %s.", len(numbers), bl.Eligible, strings.Join(numbers, ", "))
		}
		line("")
		if len(bl.Votes) > 0 {
			line("| Member no. | Vote |")
			line("| ---: | --- |")
			votes := slices.Clone(bl.Votes)
			slices.SortFunc(votes, func(a, c PrefillVote) int { return a.MemberNo - c.MemberNo })
			for _, v := range votes {
				line("| %d | %s |", v.MemberNo, esc(v.Choice))
			}
			line("")
		}
		if bl.RecordHash != "" {
			line("Ballot record SHA-256 `%s`, audit event %d (`%s`).", bl.RecordHash, bl.ChainHead.Seq, bl.ChainHead.Hash)
			line("")
		}
	}
}

func proposerText(in prefillInput, mo PrefillMotion) string {
	if mo.ByBoard || mo.ProposerMemberID == nil {
		return "Proposed by the board"
	}
	return "Proposed by " + esc(personText(in.people[*mo.ProposerMemberID]))
}

func personText(s members.Summary) string {
	name := s.Name
	if name == "" {
		name = "a former member"
	}
	if s.MemberNo > 0 {
		return fmt.Sprintf("%s (member %d)", name, s.MemberNo)
	}
	return name
}

func memberNo(n int) string {
	if n == 0 {
		return "–"
	}
	return strconv.Itoa(n)
}

func nameOr(name string) string {
	if name == "" {
		return "not appointed"
	}
	return esc(name)
}

func clockTime(t time.Time, zone *time.Location) string { return t.In(zone).Format("15:04") }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// markdownSpecial are the characters that could make a name or a title
// into Markdown: emphasis, code, links, tables, raw HTML, entities.
var markdownSpecial = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`, `<`, `\<`, `>`, `\>`,
	`|`, `\|`, `~`, `\~`, `#`, `\#`, `&`, `\&`, `!`, `\!`,
)

// listStart is what would begin a list, a heading underline or a quote
// at the start of a line.
var listStart = regexp.MustCompile(`^(\s*)([-+=]|\d+[.)])`)

// esc makes one line of plain text say exactly itself in Markdown.
func esc(s string) string {
	s = markdownSpecial.Replace(oneLine(s))
	return listStart.ReplaceAllStringFunc(s, func(m string) string {
		trimmed := strings.TrimLeft(m, " \t")
		last := len(trimmed) - 1
		return trimmed[:last] + `\` + trimmed[last:]
	})
}

// escBlock is esc for a text of several lines: each line keeps its
// place, and blank lines still part paragraphs.
func escBlock(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = esc(l)
	}
	return strings.Join(lines, "\n")
}

// quote sets a Markdown text as a block quote, keeping its own Markdown.
func quote(text string) string {
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(text, "\r\n", "\n"), "\n"), "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) == "" {
			lines[i] = ">"
		} else {
			lines[i] = "> " + l
		}
	}
	return strings.Join(lines, "\n")
}
