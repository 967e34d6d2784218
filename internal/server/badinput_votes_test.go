package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/motions"
	"github.com/citizen-network/osk/internal/osktest"
)

// newPerson makes an account with the roles, as the operator would.
func newPerson(t *testing.T, inst *osktest.Instance, email string, roles ...string) auth.Principal {
	t.Helper()
	ctx := context.Background()
	acc, err := inst.Server.Auth.CreateAccount(ctx, auth.Operator, email, email)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles {
		if err := inst.Server.Auth.Grant(ctx, auth.Operator, acc.ID, r); err != nil {
			t.Fatal(err)
		}
	}
	p, err := inst.Server.Auth.Principal(ctx, acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// sessionIn convenes an extraordinary meeting starting at start, of the
// length, in the zone and place, with chair as its chair, moves the clock
// to half an hour before the start and opens the session.
func sessionIn(t *testing.T, inst *osktest.Instance, board, chair auth.Principal, start time.Time, length time.Duration, zone, place string) meetings.Meeting {
	t.Helper()
	ctx, s := context.Background(), inst.Server
	m, err := s.Meetings.Create(ctx, board, meetings.Draft{
		Kind: meetings.KindExtraordinary, Title: "Extraordinary general meeting", TimeZone: zone,
		StartsAt: start.Format(time.RFC3339), EndsAt: start.Add(length).Format(time.RFC3339),
		Location: place, Agenda: []meetings.ItemInput{{Title: "Opening"}, {Title: "Motions"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Meetings.SetOfficers(ctx, board, m.ID, meetings.Officers{ChairAccountID: &chair.AccountID}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Meetings.Convene(ctx, board, m.ID); err != nil {
		t.Fatal(err)
	}
	inst.Clock.Set(start.Add(-30 * time.Minute))
	if m, err = s.Meetings.Open(ctx, chair, m.ID); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestBadInput_Votes sends the hostile votes: after the close, by people
// who may not vote, twice, with a reused idempotency key, and malformed;
// each is refused and no table changes.
func TestBadInput_Votes(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	ctx := context.Background()
	s := inst.Server
	person := func(email string, roles ...string) auth.Principal { return newPerson(t, inst, email, roles...) }
	board := person("board@example.org", auth.RoleBoard)
	chair := person("chair@example.org", auth.RoleBoard)
	apply := func(p auth.Principal) members.Member {
		m, err := s.Members.Apply(ctx, p, members.Application{Kind: members.KindIndividual, Name: p.Name, Email: p.Email, Country: "FI", AcceptRules: true})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	admitted := func(p auth.Principal) members.Member {
		m, err := s.Members.Admit(ctx, board, apply(p).ID, members.Admission{})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	voter, closedVoter := person("voter@example.org"), person("closed@example.org")
	absent, applicant := person("absent@example.org"), person("applicant@example.org")
	voterM := admitted(voter)
	closedM := admitted(closedVoter)
	admitted(absent)
	apply(applicant)

	start := inst.Clock.Now().Add(14 * 24 * time.Hour).Truncate(time.Minute)
	m := sessionIn(t, inst, board, chair, start, 3*time.Hour, "Europe/Helsinki", "Helsinki")
	for _, p := range []auth.Principal{voter, closedVoter} {
		if _, _, err := s.Meetings.Attend(ctx, p, m.ID, meetings.AttendInput{Mode: meetings.ModeInPerson}); err != nil {
			t.Fatal(err)
		}
	}
	ballotOn := func(title string) int64 {
		mo, err := s.Motions.Propose(ctx, board, m.ID, motions.Proposal{Title: title, Body: "The meeting resolves so."})
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.Motions.OpenBallot(ctx, chair, mo.ID, motions.BallotRequest{Secret: true})
		if err != nil {
			t.Fatal(err)
		}
		return b.ID
	}
	open, closed := ballotOn("Open question"), ballotOn("Closed question")
	if _, err := s.Ballots.Close(ctx, chair, closed); err != nil {
		t.Fatal(err)
	}

	client := func(email string) *osktest.Client {
		c := inst.Client(t)
		c.SignIn(email, email)
		c.Get("/account")
		return c
	}
	voterC := client("voter@example.org")
	voterC.Header = http.Header{"Idempotency-Key": {"vote-1"}}
	if r := voterC.Do(http.MethodPost, fmt.Sprintf("/api/v1/ballots/%d/votes", open), map[string]any{"choice": "for"}); r.StatusCode != http.StatusCreated {
		t.Fatalf("the one good vote: %d %s", r.StatusCode, r.Body)
	}
	votes := func(id int64) string { return fmt.Sprintf("/api/v1/ballots/%d/votes", id) }
	others := map[string]*osktest.Client{
		"closed":    client("closed@example.org"),
		"absent":    client("absent@example.org"),
		"applicant": client("applicant@example.org"),
		"outsider":  client("outsider@example.org"),
		"voter":     voterC,
	}
	cases := []struct {
		name   string
		who    string
		path   string
		body   any
		header map[string]string
		status int
	}{
		{"vote after the close", "closed", votes(closed), map[string]any{"choice": "for"}, nil, 409},
		{"second vote", "voter", votes(open), map[string]any{"choice": "against"}, nil, 409},
		{"vote by a member not represented", "absent", votes(open), map[string]any{"choice": "for"}, nil, 403},
		{"vote by an applicant, who cannot see the ballot", "applicant", votes(open), map[string]any{"choice": "for"}, nil, 404},
		{"vote by a non-member, who cannot see the ballot", "outsider", votes(open), map[string]any{"choice": "for"}, nil, 404},
		{"vote for someone not represented by the caller", "closed", votes(open), map[string]any{"choice": "for", "on_behalf_of_member_id": voterM.ID}, nil, 403},
		{"unknown choice", "closed", votes(open), map[string]any{"choice": "maybe"}, nil, 422},
		{"candidates on a motion", "closed", votes(open), map[string]any{"candidates": []int64{1}}, nil, 422},
		{"malformed vote", "closed", votes(open), `{"choice":`, nil, 400},
		{"vote on a ballot that does not exist", "closed", votes(999999), map[string]any{"choice": "for"}, nil, 404},
		// A secret ballot keeps nothing derived from the choice, so a retry
		// with the same key is answered as the vote already recorded,
		// whatever it says.
		{"same Idempotency-Key, another choice", "voter", votes(open), map[string]any{"choice": "against"}, map[string]string{"Idempotency-Key": "vote-1"}, 200},
		{"same Idempotency-Key, another member", "voter", votes(open), map[string]any{"choice": "for", "on_behalf_of_member_id": closedM.ID}, map[string]string{"Idempotency-Key": "vote-1"}, 422},
		{"malformed Idempotency-Key", "closed", votes(open), map[string]any{"choice": "for"}, map[string]string{"Idempotency-Key": "not a key"}, 422},
	}
	before := tableChecksums(t, inst.DB.DB)
	for _, tc := range cases {
		c := others[tc.who]
		c.Header = http.Header{}
		for name, value := range tc.header {
			c.Header.Set(name, value)
		}
		r := c.Do(http.MethodPost, tc.path, tc.body)
		wantType := "application/problem+json"
		if tc.status < 400 {
			wantType = "application/json"
		}
		if r.StatusCode != tc.status || !strings.HasPrefix(r.Header.Get("Content-Type"), wantType) {
			t.Errorf("%s: %d %s %s, want %d", tc.name, r.StatusCode, r.Header.Get("Content-Type"), r.Body, tc.status)
		}
	}
	after := tableChecksums(t, inst.DB.DB)
	for table, sum := range before {
		if after[table] != sum {
			t.Errorf("table %s changed under refused votes", table)
		}
	}
}
