package browsertest_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/browsertest"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/motions"
	"github.com/citizen-network/osk/internal/osktest"
)

// openBallot makes a meeting in session chaired by the chair, with the
// voter present, and opens a secret ballot on a board motion. It returns
// the ballot's page.
func openBallot(t *testing.T, inst *osktest.Instance, chairEmail, voterEmail string) string {
	t.Helper()
	ctx := context.Background()
	board := newAccount(t, inst, "board@example.org", "Bo Board", auth.RoleBoard)
	chair := newMember(t, inst, board, chairEmail, "Cleo Chair")
	voter := newMember(t, inst, board, voterEmail, "Vera Voter")

	mt := inst.Server.Meetings
	m := convenedSoon(t, inst, board, chair)
	if _, err := mt.Open(ctx, chair, m.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := mt.Attend(ctx, voter, m.ID, meetings.AttendInput{Mode: meetings.ModeInPerson}); err != nil {
		t.Fatal(err)
	}
	d, err := inst.Server.Motions.Propose(ctx, board, m.ID, motions.Proposal{Title: "Buy solar panels", Body: "The co-op buys solar panels."})
	if err != nil {
		t.Fatal(err)
	}
	b, err := inst.Server.Motions.OpenBallot(ctx, chair, d.ID, motions.BallotRequest{Secret: true})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("/ballots/%d", b.ID)
}

// A member votes by keyboard alone, on a screen zoomed to 320 pixels
// wide, and keeps the receipt; the chair, in a browser without
// JavaScript, closes the ballot; the member checks the receipt against
// the count.
func TestJourney_VoteByKeyboardAndCheckTheReceipt(t *testing.T) {
	t.Parallel()
	inst := osktest.Start(t, osktest.Options{})
	ballot := openBallot(t, inst, "cleo@example.org", "vera@example.org")
	voter := browsertest.Open(t, inst.URL, browsertest.KeyboardOnly(), browsertest.As("voter"))
	chair := browsertest.Open(t, inst.URL, browsertest.WithoutJavaScript(), browsertest.As("chair"))

	voter.Narrow(320)
	voter.Visit("/")
	voter.TabTo(browsertest.Link("Sign in"))
	voter.PressAndWait(browsertest.Enter)
	voter.TabTo(browsertest.Link("Sign in with the development sign-in"))
	voter.PressAndWait(browsertest.Enter)
	voter.TabTo(browsertest.Field("Email address"))
	voter.TypeKeys("vera@example.org")
	voter.TabTo(browsertest.Field("Full name"))
	voter.TypeKeys("Vera Voter")
	voter.TabTo(browsertest.Button("Sign in"))
	voter.PressAndWait(browsertest.Enter)

	voter.Visit(ballot)
	voter.See("a receipt shown to someone else proves your choice")
	voter.TabTo(browsertest.Field("For"))
	voter.Press(browsertest.Space)
	voter.TabTo(browsertest.Button("Cast this vote"))
	voter.PressAndWait(browsertest.Enter)
	voter.See("Your vote is recorded")
	voter.See("Osk shows it only this once")
	receipt := voter.TextOf(".receipt-code code")
	if len(receipt) != 26 {
		t.Fatalf("the receipt reads %q", receipt)
	}

	// Back on the ballot: no second form, only that the vote is recorded.
	voter.Visit(ballot)
	voter.See("You have voted.")
	if voter.Has(browsertest.Button("Cast this vote")) {
		t.Fatal("the ballot offers a second vote")
	}

	chair.SignIn("cleo@example.org", "Cleo Chair")
	chair.Visit(ballot)
	chair.See("1 of 1")
	chair.Submit("Close the ballot and count")
	chair.See("The ballot is closed and counted.")
	chair.See("The motion is carried.")

	voter.Visit("/receipts")
	voter.TabTo(browsertest.Field("Your receipt"))
	voter.TypeKeys(receipt)
	voter.TabTo(browsertest.Button("Check"))
	voter.PressAndWait(browsertest.Enter)
	voter.See("This receipt belongs to a vote")
	voter.See("Yes: the ballot is closed and this vote is in its count")
	voter.TabTo(browsertest.Link("Open the ballot record"))
	voter.PressAndWait(browsertest.Enter)
	voter.See("Ballot record")
	sum := sha256.Sum256([]byte(receipt))
	voter.See(hex.EncodeToString(sum[:]))
}

// The voting journey in a browser that runs no JavaScript: a member finds
// the ballot from the meeting, votes and keeps the receipt; once the chair
// has closed the ballot, a reload shows the result, and the receipt checks
// out against the count.
func TestJourney_VoteWithoutJavaScript(t *testing.T) {
	t.Parallel()
	inst := osktest.Start(t, osktest.Options{})
	ballot := openBallot(t, inst, "cleo@example.org", "vera@example.org")
	voter := browsertest.Open(t, inst.URL, browsertest.WithoutJavaScript(), browsertest.As("voter"))
	chair := browsertest.Open(t, inst.URL, browsertest.As("chair"))

	voter.SignIn("vera@example.org", "Vera Voter")
	voter.ClickLink("Meetings")
	voter.ClickLink("Extraordinary general meeting")
	voter.ClickLink("The motions and amendments of this meeting")
	voter.ClickLink("Buy solar panels")
	voter.ClickLink("The ballot on this motion: vote here")
	if voter.Path() != ballot {
		t.Fatalf("the motion's ballot link leads to %s, want %s", voter.Path(), ballot)
	}
	voter.Check("For")
	voter.Submit("Cast this vote")
	voter.See("Your vote: recorded.")
	receipt := voter.TextOf(".receipt-code code")
	if len(receipt) != 26 {
		t.Fatalf("the receipt reads %q", receipt)
	}
	voter.ClickLink("Back to the ballot")
	voter.See("You have voted.")
	voter.See("Open for voting")

	chair.SignIn("cleo@example.org", "Cleo Chair")
	chair.Visit(ballot)
	chair.Submit("Close the ballot and count")
	chair.See("The ballot is closed and counted.")

	// Without JavaScript the page does not change by itself: the member
	// reloads it.
	voter.Reload()
	voter.See("Closed and decided")
	voter.See("The motion is carried.")
	if got := voter.Definition("For"); got != "1" {
		t.Errorf("the result shows %q votes for, want 1", got)
	}
	voter.ClickLink("Check your vote with your receipt")
	voter.Type("Your receipt", receipt)
	voter.Submit("Check")
	voter.See("This receipt belongs to a vote")
	voter.See("Yes: the ballot is closed and this vote is in its count")
}

// convenedSoon convenes a meeting with chair in the chair, brought forward
// to start half an hour from now so that the chair can open its session.
func convenedSoon(t *testing.T, inst *osktest.Instance, board, chair auth.Principal) meetings.Meeting {
	t.Helper()
	ctx := context.Background()
	now := inst.Clock.Now()
	start := now.Add(8 * 24 * time.Hour).Truncate(time.Minute)
	mt := inst.Server.Meetings
	m, err := mt.Create(ctx, board, meetings.Draft{Kind: meetings.KindExtraordinary, Title: "Extraordinary general meeting",
		StartsAt: start.Format(time.RFC3339), EndsAt: start.Add(2 * time.Hour).Format(time.RFC3339), Location: "Helsinki",
		Agenda: []meetings.ItemInput{{Title: "Solar panels"}}, Officers: &meetings.Officers{ChairAccountID: &chair.AccountID}})
	if err != nil {
		t.Fatal(err)
	}
	if m, err = mt.Convene(ctx, board, m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := inst.DB.Exec(`UPDATE meetings SET starts_at = $2, ends_at = $3 WHERE id = $1`,
		m.ID, now.Add(30*time.Minute), now.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	return m
}
