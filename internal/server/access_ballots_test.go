package server_test

import (
	"context"
	"maps"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/motions"
	"github.com/citizen-network/osk/internal/osktest"
)

// Who may do what with ballots. The member caller chairs a meeting in
// session and is present at it with two other members; each route has a
// ballot of its own on a board motion: open ({ballotGet}, {ballotVoteApi},
// {ballotVotePage}, {ballotCloseApi}, {ballotClosePage}), closed on a tie
// ({ballotTieApi}, {ballotTiePage}) or decided ({ballotDone}, whose
// {receipt} is a vote's). Everyone may check a receipt they hold; the
// page's form is tried with a receipt of no vote.
var ballotRoutes = map[string]expect{
	"GET /api/v1/ballots/:id":               {path: "/api/v1/ballots/{ballotGet}", want: callers(401, 404, 200, 200, 200, 404)},
	"POST /api/v1/ballots/:id/votes":        {path: "/api/v1/ballots/{ballotVoteApi}/votes", body: map[string]any{"choice": "for"}, want: callers(401, 404, 201, 403, 403, 404)},
	"POST /api/v1/ballots/:id/close":        {path: "/api/v1/ballots/{ballotCloseApi}/close", want: callers(401, 404, 200, 403, 403, 404)},
	"POST /api/v1/ballots/:id/casting-vote": {path: "/api/v1/ballots/{ballotTieApi}/casting-vote", body: map[string]any{"choice": "for"}, want: callers(401, 404, 200, 403, 403, 404)},
	"GET /api/v1/ballots/:id/record":        {path: "/api/v1/ballots/{ballotDone}/record", want: callers(401, 404, 200, 200, 200, 404)},
	"GET /api/v1/receipts/:receipt":         {path: "/api/v1/receipts/{receipt}", want: all(200)},

	"GET /ballots/:id":               {path: "/ballots/{ballotGet}", want: callers(toSignIn, 404, 200, 200, 200, 404)},
	"POST /ballots/:id/vote":         {path: "/ballots/{ballotVotePage}/vote", form: url.Values{"choice": {"for"}}, want: callers(401, 404, 201, 403, 403, 404)},
	"POST /ballots/:id/close":        {path: "/ballots/{ballotClosePage}/close", form: url.Values{}, want: callers(401, 404, 303, 403, 403, 404)},
	"POST /ballots/:id/casting-vote": {path: "/ballots/{ballotTiePage}/casting-vote", form: url.Values{"choice": {"against"}}, want: callers(401, 404, 303, 403, 403, 404)},
	"GET /ballots/:id/record":        {path: "/ballots/{ballotDone}/record", want: callers(toSignIn, 404, 200, 200, 200, 404)},
	"GET /receipts":                  {path: "/receipts", want: all(200)},
	"POST /receipts":                 {path: "/receipts", form: url.Values{"receipt": {"aaaaaaaaaaaaaaaaaaaaaaaaaa"}}, want: all(404)},
}

func init() { maps.Copy(accessTable, ballotRoutes) }

// makeBallots makes the meeting and the ballots the access table's paths
// name, once the callers exist, and returns the replacer that puts their
// ids in paths.
func makeBallots(t *testing.T, inst *osktest.Instance) *strings.Replacer {
	t.Helper()
	ctx := context.Background()
	principal := func(email, name string) auth.Principal {
		acc, err := inst.Server.Auth.AccountByEmail(ctx, email)
		if err != nil {
			if acc, err = inst.Server.Auth.CreateAccount(ctx, auth.Operator, email, name); err != nil {
				t.Fatal(err)
			}
		}
		p, err := inst.Server.Auth.Principal(ctx, acc.ID)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	boardMember := principal(callerNames[board]+"@example.org", callerNames[board])
	chair := principal(callerNames[member]+"@example.org", callerNames[member])
	voter := func(name string) (auth.Principal, members.Member) {
		p := principal(name+"@example.org", name)
		m, err := inst.Server.Members.Apply(ctx, p, members.Application{Kind: members.KindIndividual, Name: name, Email: p.Email, Country: "FI", AcceptRules: true})
		if err != nil {
			t.Fatal(err)
		}
		if m, err = inst.Server.Members.Admit(ctx, boardMember, m.ID, members.Admission{}); err != nil {
			t.Fatal(err)
		}
		return p, m
	}
	yes, _ := voter("ballot-voter-yes")
	no, _ := voter("ballot-voter-no")

	// Convened a week ahead, then brought forward to half an hour from
	// now, so that its chair can open the session.
	mt := inst.Server.Meetings
	now := inst.Clock.Now()
	start := now.Add(8 * 24 * time.Hour).Truncate(time.Minute)
	m, err := mt.Create(ctx, boardMember, meetings.Draft{Kind: meetings.KindExtraordinary, Title: "EGM with ballots",
		StartsAt: start.Format(time.RFC3339), EndsAt: start.Add(2 * time.Hour).Format(time.RFC3339), Location: "Helsinki",
		Agenda: []meetings.ItemInput{{Title: "Decisions"}}, Officers: &meetings.Officers{ChairAccountID: &chair.AccountID}})
	if err != nil {
		t.Fatal(err)
	}
	if m, err = mt.Convene(ctx, boardMember, m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := inst.DB.Exec(`UPDATE meetings SET starts_at = $2, ends_at = $3 WHERE id = $1`,
		m.ID, now.Add(30*time.Minute), now.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := mt.Open(ctx, chair, m.ID); err != nil {
		t.Fatal(err)
	}
	for _, p := range []auth.Principal{chair, yes, no} {
		if _, _, err := mt.Attend(ctx, p, m.ID, meetings.AttendInput{Mode: meetings.ModeInPerson}); err != nil {
			t.Fatal(err)
		}
	}

	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	open := func(title string) ballots.Ballot {
		d, err := inst.Server.Motions.Propose(ctx, boardMember, m.ID, motions.Proposal{Title: title, Body: title + "."})
		if err != nil {
			t.Fatal(err)
		}
		b, err := inst.Server.Motions.OpenBallot(ctx, chair, d.ID, motions.BallotRequest{Secret: true})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	vote := func(p auth.Principal, b ballots.Ballot, choice string) string {
		c, err := inst.Server.Ballots.Vote(ctx, p, b.ID, ballots.VoteInput{Choice: choice})
		if err != nil {
			t.Fatal(err)
		}
		return c.Receipt
	}
	tie := func(title string) string {
		b := open(title)
		vote(yes, b, ballots.ChoiceFor)
		vote(no, b, ballots.ChoiceAgainst)
		if _, err := inst.Server.Ballots.Close(ctx, chair, b.ID); err != nil {
			t.Fatal(err)
		}
		return id(b.ID)
	}
	done := open("Decided")
	receipt := vote(yes, done, ballots.ChoiceFor)
	if _, err := inst.Server.Ballots.Close(ctx, chair, done.ID); err != nil {
		t.Fatal(err)
	}
	return strings.NewReplacer(
		"{ballotGet}", id(open("Looked at").ID),
		"{ballotVoteApi}", id(open("Voted through the API").ID),
		"{ballotVotePage}", id(open("Voted on the page").ID),
		"{ballotCloseApi}", id(open("Closed through the API").ID),
		"{ballotClosePage}", id(open("Closed on the page").ID),
		"{ballotTieApi}", tie("Tied, decided through the API"),
		"{ballotTiePage}", tie("Tied, decided on the page"),
		"{ballotDone}", id(done.ID),
		"{receipt}", receipt,
	)
}
