package minutes

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
)

// MeetingRecord is what the minutes quote from a meeting's motions,
// elections and ballots, read with the rights of the secretary who drafts
// them. It is the only way this package reaches those domains;
// NewMeetingRecord reads them from internal/motions, internal/elections
// and internal/ballots.
type MeetingRecord interface {
	// Motions lists the meeting's motions and amendments in the order
	// they were proposed, each with its final text.
	Motions(ctx context.Context, p auth.Principal, meetingID int64) ([]PrefillMotion, error)
	// Ballots lists the ballots on the meeting's motions with their
	// results and voting lists.
	Ballots(ctx context.Context, p auth.Principal, meetingID int64) ([]PrefillBallot, error)
	// Elections lists the meeting's elections in the order they were
	// added, each with its candidates and, once put to the vote, its
	// ballot and count.
	Elections(ctx context.Context, p auth.Principal, meetingID int64) ([]PrefillElection, error)
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

// PrefillBallot is a ballot as the minutes state it: a motion's
// (MotionID) or an election's (ElectionID, whose count is its
// PrefillElection's Result).
type PrefillBallot struct {
	ID         int64
	MotionID   *int64
	ElectionID *int64
	// CandidateIDs are an election's candidates on the ballot.
	CandidateIDs []int64
	Secret       bool
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
	Voters []int
	Votes  []PrefillVote
	// List is the whole voting list, for a reader who may see it (the
	// meeting's officers): who was on it, who cast their vote, and
	// whether they voted. It is nil for other readers.
	List []PrefillVoter
	// VotingListHash is the hex SHA-256 of the voting list, as the
	// ballot's record states it.
	VotingListHash string
	RecordHash     string
	ChainHead      ChainHead
}

// PrefillVote is one named vote of an open ballot: a motion's Choice, in
// words, or the Candidates an election's vote marks (none when blank).
type PrefillVote struct {
	MemberNo   int
	Choice     string
	Election   bool
	Candidates []int64
}

// PrefillVoter is one member on a voting list.
type PrefillVoter struct {
	MemberID int64
	MemberNo int
	// CastBy is ballots.CastBySelf, CastByRepresentative or CastByProxy.
	CastBy string
	Voted  bool
}

// PrefillElection is an election as the minutes state it.
type PrefillElection struct {
	ID           int64
	AgendaItemID *int64
	Title        string
	Seats        int
	// Status is in words.
	Status string
	// Candidates are everyone nominated, in the order of nomination;
	// only those who consented were on the ballot.
	Candidates []PrefillCandidate
	// Ballot is the election's ballot once it was put to the vote, and
	// Result its count once decided.
	Ballot *PrefillBallot
	Result *PrefillElectionResult
}

// PrefillCandidate is one candidate: a member, or a person or firm the
// board entered (MemberID nil).
type PrefillCandidate struct {
	ID        int64
	MemberID  *int64
	Name      string
	Consented bool
}

// PrefillElectionResult is an election's count: votes marking at least
// one candidate (Cast), blank votes, and each candidate on the ballot, the
// most votes first.
type PrefillElectionResult struct {
	Cast, Blank, Eligible int
	QuorumMet             bool
	Candidates            []PrefillCount
	// Lot is the drawing of lots for a tie for the last seats, if one was
	// drawn.
	Lot *PrefillLot
}

// PrefillCount is one candidate's votes.
type PrefillCount struct {
	CandidateID int64
	Name        string
	Votes       int
	Elected     bool
}

// PrefillLot is a drawing of lots: the seed (hex, the audit chain head
// just before the close) and the candidates it elected, in the order
// drawn.
type PrefillLot struct {
	Seed  string
	Drawn []int64
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
	elections  []PrefillElection
	// longList is the size above which writeTurnout summarises a voting
	// list rather than print it; printed holds the lists printed so far,
	// by hash, with the ballot each was printed for.
	longList int
	printed  map[string]int64
}

// maxPrintedList is the longest voting list the draft prints. A list of a
// thousand members takes some 50,000 characters, a fifth of MaxBody: the
// draft gives a longer one's size and hashes, and says where it is kept.
const maxPrintedList = 500

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
	// Without a record, the draft leaves the motions, the elections and
	// the ballots to the secretary.
	if s.record != nil {
		if in.motions, err = s.record.Motions(ctx, p, m.ID); err != nil {
			return "", err
		}
		if in.ballots, err = s.record.Ballots(ctx, p, m.ID); err != nil {
			return "", err
		}
		if in.elections, err = s.record.Elections(ctx, p, m.ID); err != nil {
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
	listed := func(bl *PrefillBallot) {
		for _, v := range bl.List {
			ids = append(ids, v.MemberID)
		}
	}
	for i := range in.ballots {
		listed(&in.ballots[i])
	}
	for _, e := range in.elections {
		for _, c := range e.Candidates {
			if c.MemberID != nil {
				ids = append(ids, *c.MemberID)
			}
		}
		if e.Ballot != nil {
			listed(e.Ballot)
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
//
// The secretary must be able to save the draft as it is offered, so it
// stays within MaxBody where the voting lists would take it beyond: a
// list is printed once, however many ballots it served; a list longer
// than maxPrintedList is summarised; and when many shorter lists that
// differ (members coming and going between ballots) would still make the
// draft too long, every list is summarised.
func writePrefill(in prefillInput) string {
	in.longList = maxPrintedList
	if out := writeDraft(in); utf8.RuneCountInString(out) <= MaxBody {
		return out
	}
	in.longList = 0
	return writeDraft(in)
}

func writeDraft(in prefillInput) string {
	in.printed = map[string]int64{}
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
	electionsBy := map[int64][]PrefillElection{}
	var looseElections []PrefillElection
	for _, e := range in.elections {
		if e.AgendaItemID != nil && known[*e.AgendaItemID] {
			electionsBy[*e.AgendaItemID] = append(electionsBy[*e.AgendaItemID], e)
		} else {
			looseElections = append(looseElections, e)
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
		for _, e := range electionsBy[it.ID] {
			writeElection(&b, in, e)
		}
	}
	if len(loose) > 0 {
		line("## Motions on no item of the agenda")
		line("")
		for _, mo := range loose {
			writeMotion(&b, in, mo)
		}
	}
	if len(looseElections) > 0 {
		line("## Elections on no item of the agenda")
		line("")
		for _, e := range looseElections {
			writeElection(&b, in, e)
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
	// A proxy represents its grantor only through a holder who is present,
	// and only while the grantor is not, as the quorum counts it
	// (internal/meetings): a member who gave a proxy and then took part
	// themselves was not represented by it, nor was one whose holder never
	// came, unless a ballot used it (which only a holder present can, and
	// after the grantor had left).
	present := map[int64]bool{}
	for _, a := range in.attendance {
		present[a.MemberID] = true
	}
	var used, unused, holderAway []meetings.Proxy
	for _, px := range in.proxies {
		switch {
		case px.WithdrawnAt != nil:
		case px.UsedAt != nil:
			used = append(used, px)
		case present[px.MemberID]:
			unused = append(unused, px)
		case present[px.HolderMemberID]:
			used = append(used, px)
		default:
			holderAway = append(holderAway, px)
		}
	}
	if len(in.attendance) == 0 {
		line("Nobody registered as present.")
		line("")
	} else {
		line("Members registered as present: %d. Members represented by proxy: %d.", len(in.attendance), len(used))
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
	if len(unused) > 0 {
		names := make([]string, len(unused))
		for i, px := range unused {
			names[i] = esc(personText(in.people[px.MemberID]))
		}
		line("%s gave a proxy but took part themselves, so the proxy was not used.", strings.Join(names, ", "))
		line("")
	}
	for _, px := range holderAway {
		line("%s gave a proxy to %s, who did not take part, so the proxy was not used.",
			esc(personText(in.people[px.MemberID])), esc(personText(in.people[px.HolderMemberID])))
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
		writeBallotHeading(b, bl)
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
		writeTurnout(b, in, bl, nil)
	}
}

func writeBallotHeading(b *strings.Builder, bl PrefillBallot) {
	kind := "open ballot"
	if bl.Secret {
		kind = "secret ballot"
	}
	fmt.Fprintf(b, "#### Vote (%s %d)\n\n", kind, bl.ID)
}

// writeTurnout writes who voted in a decided ballot: their member
// numbers, the whole voting list when the reader may see it, each named
// vote of an open ballot, and the hash of the ballot's record. candidates
// names an election's candidates, in Markdown, by id. A list already
// printed for an earlier ballot is named rather than printed again, and a
// list longer than in.longList is summarised with its hashes.
func writeTurnout(b *strings.Builder, in prefillInput, bl PrefillBallot, candidates map[int64]string) {
	line := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	if size := max(bl.Eligible, len(bl.List)); size > in.longList {
		line("The voting list is not printed in these minutes: it has %d members, of whom %d voted. Its SHA-256 is `%s`, and the ballot record's is `%s` (audit event %d, `%s`).",
			size, len(bl.Voters), bl.VotingListHash, bl.RecordHash, bl.ChainHead.Seq, bl.ChainHead.Hash)
		line("")
		line("The ballot record, [/ballots/%d/record](/ballots/%d/record), lists the member numbers of those who voted and every vote. Auditors read the whole voting list there, and in the meeting's audit bundle.", bl.ID, bl.ID)
		line("")
		return
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
	first, again := in.printed[bl.VotingListHash]
	switch {
	case len(bl.List) == 0:
	case again && bl.VotingListHash != "":
		line("The voting list (%d members) is that of ballot %d above, with the same SHA-256 `%s`; who voted in this ballot is given just above.",
			len(bl.List), first, bl.VotingListHash)
		line("")
	default:
		in.printed[bl.VotingListHash] = bl.ID
		line("The voting list (%d members):", len(bl.List))
		line("")
		line("| Member no. | Member | Vote cast by | Voted |")
		line("| ---: | --- | --- | --- |")
		for _, v := range bl.List {
			voted := "no"
			if v.Voted {
				voted = "yes"
			}
			line("| %s | %s | %s | %s |", memberNo(v.MemberNo), esc(nameOf(in.people[v.MemberID])), castByText(v.CastBy), voted)
		}
		line("")
	}
	if len(bl.Votes) > 0 {
		line("| Member no. | Vote |")
		line("| ---: | --- |")
		votes := slices.Clone(bl.Votes)
		slices.SortFunc(votes, func(a, c PrefillVote) int { return a.MemberNo - c.MemberNo })
		for _, v := range votes {
			line("| %d | %s |", v.MemberNo, voteText(v, candidates))
		}
		line("")
	}
	if bl.RecordHash != "" {
		line("Ballot record SHA-256 `%s`, audit event %d (`%s`).", bl.RecordHash, bl.ChainHead.Seq, bl.ChainHead.Hash)
		line("")
	}
}

// voteText says a named vote: a motion's choice, or the candidates an
// election's vote marks.
func voteText(v PrefillVote, candidates map[int64]string) string {
	if !v.Election {
		return esc(v.Choice)
	}
	if len(v.Candidates) == 0 {
		return "Blank"
	}
	marked := make([]string, len(v.Candidates))
	for i, id := range v.Candidates {
		marked[i] = candidates[id]
		if marked[i] == "" {
			marked[i] = "candidate " + strconv.FormatInt(id, 10)
		}
	}
	return strings.Join(marked, "; ")
}

func castByText(castBy string) string {
	switch castBy {
	case ballots.CastBySelf:
		return "themself"
	case ballots.CastByRepresentative:
		return "the organisation's representative"
	case ballots.CastByProxy:
		return "a proxy holder"
	}
	return esc(castBy)
}

// writeElection writes an election: its seats and candidates and, once
// decided, each candidate's votes, the blank votes, who was elected, the
// lot if one was drawn, and its ballot's voting list.
func writeElection(b *strings.Builder, in prefillInput, e PrefillElection) {
	line := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	line("### Election: %s", esc(e.Title))
	line("")
	line("- Seats: %d", e.Seats)
	line("- Outcome: %s", esc(e.Status))
	line("")
	names := map[int64]string{}
	var standing, leftOff, withdrawn []string
	for _, c := range e.Candidates {
		names[c.ID] = candidateText(in, c)
		switch {
		case !c.Consented:
			withdrawn = append(withdrawn, names[c.ID])
		case e.Ballot != nil && !slices.Contains(e.Ballot.CandidateIDs, c.ID):
			leftOff = append(leftOff, names[c.ID])
		default:
			standing = append(standing, names[c.ID])
		}
	}
	switch {
	case len(e.Candidates) == 0:
		line("Nobody was nominated.")
		line("")
	case len(standing) > 0:
		line("Candidates: %s.", strings.Join(standing, ", "))
		line("")
	}
	if len(leftOff) > 0 {
		line("Consented to stand, but left off the ballot as no longer active members: %s.", strings.Join(leftOff, ", "))
		line("")
	}
	if len(withdrawn) > 0 {
		line("Nominated, but did not consent to stand and so were not on the ballot: %s.", strings.Join(withdrawn, ", "))
		line("")
	}
	bl := e.Ballot
	if bl == nil {
		line("_The election was not put to the vote when this draft was written._")
		line("")
		return
	}
	writeBallotHeading(b, *bl)
	r := e.Result
	if r == nil || !bl.Decided {
		line("_The ballot was not decided when this draft was written._")
		line("")
		return
	}
	for _, c := range r.Candidates {
		if names[c.CandidateID] == "" {
			names[c.CandidateID] = esc(c.Name)
		}
	}
	drawn := map[int64]bool{}
	if r.Lot != nil {
		for _, id := range r.Lot.Drawn {
			drawn[id] = true
		}
	}
	line("| Candidate | Votes | Elected |")
	line("| --- | ---: | --- |")
	var elected []string
	for _, c := range r.Candidates {
		mark := "no"
		switch {
		case c.Elected && drawn[c.CandidateID]:
			mark = "yes, by lot"
		case c.Elected:
			mark = "yes"
		}
		if c.Elected {
			elected = append(elected, names[c.CandidateID])
		}
		line("| %s | %d | %s |", names[c.CandidateID], c.Votes, mark)
	}
	line("")
	line("Votes marking a candidate: %d. Blank votes: %d. Members on the voting list: %d.", r.Cast, r.Blank, r.Eligible)
	line("")
	switch {
	case !r.QuorumMet:
		line("Too few votes were cast for the ballot quorum: nobody was elected.")
	case len(elected) == 0:
		line("Nobody was elected: no candidate received a vote.")
	case len(elected) < e.Seats:
		line("Elected: %s. %d of the %d seats remain empty: too few candidates received votes.", strings.Join(elected, ", "), e.Seats-len(elected), e.Seats)
	default:
		line("Elected: %s.", strings.Join(elected, ", "))
	}
	line("")
	if r.Lot != nil {
		won := make([]string, len(r.Lot.Drawn))
		for i, id := range r.Lot.Drawn {
			won[i] = names[id]
		}
		seats := "the last seat, and the lot decided it"
		if n := len(r.Lot.Drawn); n > 1 {
			seats = fmt.Sprintf("the last %d seats, and the lot decided them", n)
		}
		line("Candidates were tied for %s. The lot was drawn from the seed `%s`, the audit chain head just before the close, so that anyone can draw it again; it elected %s.",
			seats, r.Lot.Seed, strings.Join(won, ", "))
		line("")
	}
	writeTurnout(b, in, *bl, names)
}

// candidateText names a candidate in Markdown: a member with their
// member number, anyone else as not a member.
func candidateText(in prefillInput, c PrefillCandidate) string {
	if c.MemberID == nil {
		return esc(c.Name + " (not a member)")
	}
	if no := in.people[*c.MemberID].MemberNo; no > 0 {
		return esc(fmt.Sprintf("%s (member %d)", c.Name, no))
	}
	return esc(c.Name)
}

func proposerText(in prefillInput, mo PrefillMotion) string {
	if mo.ByBoard || mo.ProposerMemberID == nil {
		return "Proposed by the board"
	}
	return "Proposed by " + esc(personText(in.people[*mo.ProposerMemberID]))
}

func personText(s members.Summary) string {
	if s.MemberNo > 0 {
		return fmt.Sprintf("%s (member %d)", nameOf(s), s.MemberNo)
	}
	return nameOf(s)
}

func nameOf(s members.Summary) string {
	if s.Name == "" {
		return "a former member"
	}
	return s.Name
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
