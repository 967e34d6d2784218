package minutes_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/elections"
	"github.com/citizen-network/osk/internal/minutes"
	"github.com/citizen-network/osk/internal/motions"
)

func TestPrefill_QuotesEachMotionAndItsBallot(t *testing.T) {
	f := newFixture(t)
	m := f.inSession("EGM on energy")
	item := m.Agenda[1].ID
	motion, err := f.inst.Server.Motions.Propose(f.ctx, f.board, m.ID, motions.Proposal{Title: "Solar panels for the office",
		Body: "The co-op buys **solar panels** for its office.\n\nThe board chooses the supplier.", AgendaItemID: &item})
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.inst.Server.Motions.OpenBallot(f.ctx, f.chair, motion.ID, motions.BallotRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []struct {
		who    auth.Principal
		choice string
	}{{f.chair, ballots.ChoiceFor}, {f.secretary, ballots.ChoiceFor}, {f.checker1, ballots.ChoiceFor},
		{f.checker2, ballots.ChoiceAgainst}, {f.member, ballots.ChoiceAbstain}} {
		if _, err := f.inst.Server.Ballots.Vote(f.ctx, v.who, b.ID, ballots.VoteInput{Choice: v.choice}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.inst.Server.Ballots.Close(f.ctx, f.chair, b.ID); err != nil {
		t.Fatal(err)
	}
	m = f.closeSession(m)
	draft, err := f.svc.Get(f.ctx, f.secretary, minutes.Main(m.ID))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"## 2. Solar panels\n",
		"### Motion: Solar panels for the office\n\n- Proposed by the board\n- Majority needed: Simple majority",
		"- Outcome: Carried\n",
		"> The co-op buys **solar panels** for its office.\n>\n> The board chooses the supplier.",
		"| 3 | 1 | 1 | 4 | 5 | carried |",
		"Voted (5 of the 5 members on the voting list, by member number): 1, 2, 3, 4, 5.",
		"| 4 | Against |", "| 5 | Abstain |", "Ballot record SHA-256 `",
		"The voting list (5 members):", "| 2 | Secretary Person | themself | yes |",
	} {
		if !strings.Contains(draft.Body, want) {
			t.Errorf("the draft lacks %q:\n%s", want, draft.Body)
		}
	}
	if i, j := strings.Index(draft.Body, "## 2. Solar panels"), strings.Index(draft.Body, "### Motion: Solar panels"); i < 0 || j < i ||
		j > strings.Index(draft.Body, "## 3. Closing") {
		t.Errorf("the motion is not under its item:\n%s", draft.Body)
	}
}

func TestPrefill_StatesEachElectionWithItsCountAndVotingList(t *testing.T) {
	f := newFixture(t)
	m := f.inSession("AGM with elections")
	item := m.Agenda[1].ID
	el := f.inst.Server.Elections
	board, err := el.Create(f.ctx, f.board, m.ID, elections.NewElection{Title: "Members of the board", Seats: 2, AgendaItemID: &item})
	if err != nil {
		t.Fatal(err)
	}
	stand := func(e elections.Election, p auth.Principal) elections.Candidate {
		t.Helper()
		c, err := el.Nominate(f.ctx, p, e.ID, elections.Nomination{Statement: "I stand."})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	first, second, ordinary := stand(board, f.checker1), stand(board, f.checker2), stand(board, f.member)
	_, err = el.Nominate(f.ctx, f.board, board.ID, elections.Nomination{Name: "Tilintarkastus Oy"})
	if err != nil {
		t.Fatal(err)
	}
	secretary := memberOf(t, f, f.secretary)
	if _, err := el.Nominate(f.ctx, f.chair, board.ID, elections.Nomination{MemberID: &secretary}); err != nil {
		t.Fatal(err)
	}
	// An open election beside the secret one, on no item of the agenda.
	treasurer, err := el.Create(f.ctx, f.board, m.ID, elections.NewElection{Title: "Treasurer", Seats: 1})
	if err != nil {
		t.Fatal(err)
	}
	tFirst, tOrdinary := stand(treasurer, f.checker1), stand(treasurer, f.member)

	secret, err := el.OpenBallot(f.ctx, f.chair, board.ID, elections.BallotRequest{})
	if err != nil {
		t.Fatal(err)
	}
	open, err := el.OpenBallot(f.ctx, f.chair, treasurer.ID, elections.BallotRequest{Secret: ptr(false)})
	if err != nil {
		t.Fatal(err)
	}
	vote := func(p auth.Principal, b int64, candidates ...int64) {
		t.Helper()
		if candidates == nil {
			candidates = []int64{}
		}
		if _, err := f.inst.Server.Ballots.Vote(f.ctx, p, b, ballots.VoteInput{Candidates: candidates}); err != nil {
			t.Fatal(err)
		}
	}
	// First Checker 3 votes; Second Checker and Ordinary Member 2 each,
	// tied for the last seat; one blank vote.
	vote(f.chair, secret.ID, first.ID, second.ID)
	vote(f.secretary, secret.ID, first.ID, ordinary.ID)
	vote(f.checker1, secret.ID, first.ID)
	vote(f.checker2, secret.ID)
	vote(f.member, secret.ID, ordinary.ID, second.ID)
	vote(f.chair, open.ID, tFirst.ID)
	vote(f.member, open.ID, tOrdinary.ID)
	vote(f.checker2, open.ID)
	closed, err := f.inst.Server.Ballots.Close(f.ctx, f.chair, secret.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.inst.Server.Ballots.Close(f.ctx, f.chair, open.ID); err != nil {
		t.Fatal(err)
	}
	lot := closed.Result.Election.Lot
	if lot == nil || len(lot.Drawn) != 1 {
		t.Fatalf("result %+v, want a lot for the last seat", closed.Result.Election)
	}
	won, lost := "Second Checker (member 4)", "Ordinary Member (member 5)"
	if lot.Drawn[0] == ordinary.ID {
		won, lost = lost, won
	}
	m = f.closeSession(m)
	draft, err := f.svc.Get(f.ctx, f.secretary, minutes.Main(m.ID))
	if err != nil {
		t.Fatal(err)
	}
	body := draft.Body
	for _, want := range []string{
		"### Election: Members of the board\n\n- Seats: 2\n- Outcome: Decided\n",
		"Candidates: First Checker (member 3), Second Checker (member 4), Ordinary Member (member 5), Tilintarkastus Oy (not a member).",
		"Nominated, but did not consent to stand and so were not on the ballot: Secretary Person (member 2).",
		fmt.Sprintf("#### Vote (secret ballot %d)", secret.ID),
		"| First Checker (member 3) | 3 | yes |",
		"| " + won + " | 2 | yes, by lot |",
		"| " + lost + " | 2 | no |",
		"| Tilintarkastus Oy (not a member) | 0 | no |",
		"Votes marking a candidate: 4. Blank votes: 1. Members on the voting list: 5.",
		"Elected: First Checker (member 3), " + won + ".",
		"drawn from the seed `" + lot.Seed + "`",
		"Voted (5 of the 5 members on the voting list, by member number): 1, 2, 3, 4, 5.",
		"The voting list (5 members):",
		"| 1 | Chair Person | themself | yes |",
		"| 5 | Ordinary Member | themself | yes |",
		"## Elections on no item of the agenda\n\n### Election: Treasurer",
		fmt.Sprintf("#### Vote (open ballot %d)", open.ID),
		"| 1 | First Checker (member 3) |", "| 4 | Blank |", "| 5 | Ordinary Member (member 5) |",
		"Voted (3 of the 5 members on the voting list, by member number): 1, 4, 5.",
		fmt.Sprintf("The voting list (5 members) is that of ballot %d above, with the same SHA-256 `", secret.ID),
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the draft lacks %q:\n%s", want, body)
		}
	}
	// The election is stated under its item of the agenda.
	if i, j := strings.Index(body, "## 2. Solar panels"), strings.Index(body, "### Election: Members of the board"); i < 0 || j < i ||
		j > strings.Index(body, "## 3. Closing") {
		t.Errorf("the election is not under its item:\n%s", body)
	}
	// The secret ballot names nobody's choice: its section has no table of
	// votes by member.
	section := body[strings.Index(body, "### Election: Members of the board"):strings.Index(body, "## 3. Closing")]
	if strings.Contains(section, "| Member no. | Vote |") {
		t.Errorf("the secret ballot's section lists votes by member:\n%s", section)
	}
}

// memberOf returns the id of the member p acts for.
func memberOf(t *testing.T, f *fixture, p auth.Principal) int64 {
	t.Helper()
	all, err := f.inst.Server.Members.ActingFor(f.ctx, p.AccountID)
	if err != nil || len(all) != 1 {
		t.Fatalf("%s acts for %+v (%v)", p.Name, all, err)
	}
	return all[0].ID
}

// The draft Osk offers must save as it is. A voting list is printed once,
// however many ballots it served; a list of more than 500 members is
// summarised by its size, its hash and the ballot record's, since printing
// it for every ballot of a large co-op would make the draft longer than
// MaxBody.
func TestPrefill_LongVotingListsKeepTheDraftSaveable(t *testing.T) {
	f := newFixture(t)
	for i := range 500 {
		f.Member(fmt.Sprintf("Member %03d", i))
	}
	r, err := f.inst.Server.Rules.Current(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	r.AdvanceVoting = true
	if _, err := f.inst.Server.Rules.Update(f.ctx, f.admin, r); err != nil {
		t.Fatal(err)
	}
	m := f.inSession("AGM of a large co-op")
	item := m.Agenda[1].ID
	vote := func(title string, electorate string, voters ...auth.Principal) ballots.Record {
		t.Helper()
		motion, err := f.inst.Server.Motions.Propose(f.ctx, f.board, m.ID, motions.Proposal{Title: title, Body: "The co-op agrees.", AgendaItemID: &item})
		if err != nil {
			t.Fatal(err)
		}
		b, err := f.inst.Server.Motions.OpenBallot(f.ctx, f.chair, motion.ID, motions.BallotRequest{Electorate: electorate})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range voters {
			if _, err := f.inst.Server.Ballots.Vote(f.ctx, p, b.ID, ballots.VoteInput{Choice: ballots.ChoiceFor}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.inst.Server.Ballots.Close(f.ctx, f.chair, b.ID); err != nil {
			t.Fatal(err)
		}
		rec, err := f.inst.Server.Ballots.RecordAs(f.ctx, f.auditor, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	// Two ballots of the five members present: the same voting list.
	first := vote("First", ballots.ElectorateRepresented, f.chair, f.member)
	second := vote("Second", ballots.ElectorateRepresented, f.checker1)
	// Fourteen open ballots of all 505 members, with two votes each.
	var all []ballots.Record
	for i := range 14 {
		all = append(all, vote(fmt.Sprintf("Rule change %d", i+1), ballots.ElectorateAllMembers, f.chair, f.secretary))
	}
	m = f.closeSession(m)
	draft, err := f.svc.Get(f.ctx, f.secretary, minutes.Main(m.ID))
	if err != nil {
		t.Fatal(err)
	}
	body := draft.Body
	if n := utf8.RuneCountInString(body); n > minutes.MaxBody {
		t.Fatalf("the draft has %d characters, more than the %d a save takes", n, minutes.MaxBody)
	}
	if first.Ballot.VotingListHash != second.Ballot.VotingListHash {
		t.Fatalf("the two ballots of those present have lists %s and %s", first.Ballot.VotingListHash, second.Ballot.VotingListHash)
	}
	for _, want := range []string{
		"The voting list (5 members):",
		fmt.Sprintf("The voting list (5 members) is that of ballot %d above, with the same SHA-256 `%s`; who voted in this ballot is given just above.",
			first.Ballot.ID, first.Ballot.VotingListHash),
		"Voted (1 of the 5 members on the voting list, by member number): 3.",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the draft lacks %q", want)
		}
	}
	if n := strings.Count(body, "The voting list (5 members):"); n != 1 {
		t.Errorf("the list of those present is printed %d times", n)
	}
	for _, rec := range all {
		want := fmt.Sprintf("The voting list is not printed in these minutes: it has 505 members, of whom 2 voted. Its SHA-256 is `%s`, and the ballot record's is `%s` (audit event %d, `%s`).\n\n"+
			"The ballot record, [/ballots/%d/record](/ballots/%d/record), lists the member numbers of those who voted and every vote. Auditors read the whole voting list there, and in the meeting's audit bundle.\n",
			rec.Ballot.VotingListHash, rec.RecordHash, rec.ChainHead.Seq, rec.ChainHead.Hash, rec.Ballot.ID, rec.Ballot.ID)
		if !strings.Contains(body, want) {
			t.Errorf("the draft lacks the summary of ballot %d:\n%s", rec.Ballot.ID, want)
		}
	}
	for _, unwanted := range []string{"of the 505 members", "The voting list (505 members)", "| Member 001 |"} {
		if strings.Contains(body, unwanted) {
			t.Errorf("the draft prints a long list: it holds %q", unwanted)
		}
	}
	// Only the two ballots of those present print their votes by member.
	if n := strings.Count(body, "| Member no. | Vote |"); n != 2 {
		t.Errorf("%d tables of votes by member, want 2", n)
	}
	saved, err := f.svc.Save(f.ctx, f.secretary, minutes.Main(m.ID), body)
	if err != nil {
		t.Fatalf("the draft as offered does not save: %v", err)
	}
	if saved.Version != 1 {
		t.Fatalf("saved as version %d", saved.Version)
	}
}
