package minutes_test

import (
	"strings"
	"testing"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/ballots"
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
