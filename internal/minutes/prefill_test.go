package minutes

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
)

// Members coming and going between ballots give each ballot a voting list
// of its own, each short enough to print: printed for forty ballots of 400
// members they would still take the draft past MaxBody, so every list is
// summarised instead.
func TestWritePrefill_SummarisesEveryListWhenTheyWouldNotFit(t *testing.T) {
	item := int64(1)
	in := prefillInput{
		meeting: meetings.Meeting{Title: "AGM", TimeZone: "UTC", StartsAt: time.Date(2026, 5, 21, 9, 0, 0, 0, time.UTC),
			Agenda: []meetings.AgendaItem{{ID: item, Title: "Rules"}}},
		people: map[int64]members.Summary{},
	}
	for i := range 420 {
		id := int64(i + 1)
		in.people[id] = members.Summary{ID: id, MemberNo: i + 1, Name: fmt.Sprintf("Member %03d", i+1)}
	}
	for i := range 40 {
		motion := int64(100 + i)
		in.motions = append(in.motions, PrefillMotion{ID: motion, AgendaItemID: &item, Title: fmt.Sprintf("Rule %d", i+1),
			Text: "The co-op agrees.", Version: 1, ByBoard: true, Majority: "Simple majority", Status: "Carried"})
		bl := PrefillBallot{ID: int64(200 + i), MotionID: &motion, Decided: true, Outcome: "carried", For: 1, Cast: 1, Eligible: 400,
			Voters: []int{i + 1}, VotingListHash: fmt.Sprintf("%064x", i), RecordHash: fmt.Sprintf("%064x", 1000+i)}
		for j := range 400 {
			id := int64(i + j + 1)
			bl.List = append(bl.List, PrefillVoter{MemberID: id, MemberNo: int(id), CastBy: "self", Voted: j == 0})
		}
		in.ballots = append(in.ballots, bl)
	}
	out := writePrefill(in)
	if n := utf8.RuneCountInString(out); n > MaxBody {
		t.Fatalf("the draft has %d characters, more than MaxBody", n)
	}
	for _, bl := range in.ballots {
		want := fmt.Sprintf("The voting list is not printed in these minutes: it has 400 members, of whom 1 voted. Its SHA-256 is `%s`, and the ballot record's is `%s`",
			bl.VotingListHash, bl.RecordHash)
		if !strings.Contains(out, want) {
			t.Fatalf("the draft lacks the summary of ballot %d:\n%s", bl.ID, out)
		}
	}
	if strings.Contains(out, "| Member no. | Member |") {
		t.Fatalf("the draft still prints a voting list")
	}

	// Ten such ballots fit: their lists are printed.
	in.motions, in.ballots = in.motions[:10], in.ballots[:10]
	out = writePrefill(in)
	if n := strings.Count(out, "| Member no. | Member |"); n != 10 || utf8.RuneCountInString(out) > MaxBody {
		t.Fatalf("%d voting lists printed in %d characters, want 10", n, utf8.RuneCountInString(out))
	}
}

// A candidate who consented but was left off the ballot, as no longer an
// active member, is not listed as standing.
func TestWriteElection_NamesCandidatesLeftOffTheBallot(t *testing.T) {
	in := prefillInput{people: map[int64]members.Summary{}}
	e := PrefillElection{Title: "Board", Seats: 1, Status: "Voting", Candidates: []PrefillCandidate{
		{ID: 1, Name: "Ana Lima", Consented: true},
		{ID: 2, Name: "Ben Okafor", Consented: true},
		{ID: 3, Name: "Cy Tan"},
	}, Ballot: &PrefillBallot{ID: 9, CandidateIDs: []int64{1}}}
	var b strings.Builder
	writeElection(&b, in, e)
	out := b.String()
	for _, want := range []string{
		"Candidates: Ana Lima (not a member).",
		"Consented to stand, but left off the ballot as no longer active members: Ben Okafor (not a member).",
		"Nominated, but did not consent to stand and so were not on the ballot: Cy Tan (not a member).",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the draft lacks %q:\n%s", want, out)
		}
	}
}
