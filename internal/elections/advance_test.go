package elections_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/osktest"
)

// allowAdvanceVoting has an admin allow advance voting in the co-op's
// rules, as the rules page's API does it.
func (f *fixture) allowAdvanceVoting() {
	f.t.Helper()
	admin := f.Client(f.Person("Admin", auth.RoleAdmin))
	r := admin.Get("/api/v1/rules")
	wantStatus(f.t, "the rules", r, http.StatusOK)
	var rules map[string]any
	r.JSON(f.t, &rules)
	rules["advance_voting"] = true
	wantStatus(f.t, "allowing advance voting", admin.Do(http.MethodPut, "/api/v1/rules", rules), http.StatusOK)
}

// convened is a meeting the board has convened, eight days ahead and
// chaired by chair.
func (f *fixture) convened(chair auth.Principal) meetings.Meeting {
	f.t.Helper()
	mt := f.inst.Server.Meetings
	start := f.inst.Clock.Now().Add(8 * 24 * time.Hour).Truncate(time.Minute)
	m, err := mt.Create(f.ctx, f.board, meetings.Draft{Kind: meetings.KindAnnual, Title: "Next AGM",
		StartsAt: start.Format(time.RFC3339), EndsAt: start.Add(2 * time.Hour).Format(time.RFC3339), Location: "Helsinki",
		Agenda: []meetings.ItemInput{{Title: "Elections"}}, Officers: &meetings.Officers{ChairAccountID: &chair.AccountID}})
	if err != nil {
		f.t.Fatal(err)
	}
	if m, err = mt.Convene(f.ctx, f.board, m.ID); err != nil {
		f.t.Fatal(err)
	}
	return m
}

// Before the session the board opens advance voting on an election, as
// on a motion, where the rules allow it; the chair, who is not on the
// board, opens the ballots of the session.
func TestAdvanceVoting_TheBoardOpensItOnAnElection(t *testing.T) {
	f := newFixture(t)
	f.allowAdvanceVoting()
	// A member who is not on the board.
	chairP, _ := f.Member("Chair Member")
	m := f.convened(chairP)
	board, chair, member := f.Client(f.board), f.Client(chairP), f.Client(f.voters[0])

	nominationsClose := f.inst.Clock.Now().Add(24 * time.Hour).Truncate(time.Minute)
	r := board.Do(http.MethodPost, fmt.Sprintf("/api/v1/meetings/%d/elections", m.ID), map[string]any{"title": "Board", "seats": 1,
		"nominations_close_at": nominationsClose.UTC().Format(time.RFC3339)})
	wantStatus(t, "adding the election", r, http.StatusCreated)
	var e struct {
		ID int64 `json:"id"`
	}
	r.JSON(t, &e)
	api, page := fmt.Sprintf("/api/v1/elections/%d", e.ID), fmt.Sprintf("/elections/%d", e.ID)
	wantStatus(t, "standing", member.Do(http.MethodPost, api+"/candidates", map[string]any{"statement": "I stand."}), http.StatusCreated)

	// Opening the ballot ends nominations: before the session, not before
	// the time the board announced.
	during := m.StartsAt.Add(30 * time.Minute).UTC().Format(time.RFC3339)
	advance := map[string]any{"electorate": "all_members", "closes_at": during}
	early := board.Get(page)
	has(t, "the board's page while nominations are open", early, "can open advance voting, where the co-op's rules allow it, once nominations have closed at the time announced")
	lacks(t, "the board's page while nominations are open", early, `action="`+page+`/ballots"`)
	wantStatus(t, "the board opens advance voting while nominations are open", board.Do(http.MethodPost, api+"/ballots", advance), http.StatusConflict)
	f.inst.Clock.Set(nominationsClose.Add(time.Minute))

	has(t, "the board's page", board.Get(page), `<form method="post" action="`+page+`/ballots" novalidate>`,
		"Before the session, the board can open advance voting, where the co-op's rules allow it",
		`<input type="radio" id="electorate-all" name="electorate" value="all_members" checked>`,
		"Advance voting needs one, during the session.")
	chairPage := chair.Get(page)
	has(t, "the chair's page", chairPage, `<form method="post" action="`+page+`/ballots" novalidate>`,
		"The meeting must be in session, and quorate, before you can open a ballot on an election.")
	lacks(t, "the chair's page", chairPage, "Before the session, the board can open advance voting")
	lacks(t, "a member's page", member.Get(page), `action="`+page+`/ballots"`, "Put it to a vote")

	for what, tc := range map[string]struct {
		who    *osktest.Client
		body   map[string]any
		status int
	}{
		"the chair, not on the board, opens advance voting": {chair, advance, http.StatusForbidden},
		"a member opens advance voting":                     {member, advance, http.StatusForbidden},
		"the board opens a ballot for those present":        {board, map[string]any{"closes_at": during}, http.StatusForbidden},
		"the board opens advance voting without a close":    {board, map[string]any{"electorate": "all_members"}, http.StatusUnprocessableEntity},
	} {
		wantStatus(t, what, tc.who.Do(http.MethodPost, api+"/ballots", tc.body), tc.status)
	}
	if n := f.count(`SELECT count(*) FROM ballots WHERE meeting_id = $1`, m.ID); n != 0 {
		t.Fatalf("%d ballots after refused requests", n)
	}

	r = board.Do(http.MethodPost, api+"/ballots", advance)
	wantStatus(t, "the board opens advance voting", r, http.StatusCreated)
	var b ballots.Ballot
	r.JSON(t, &b)
	if b.Electorate != ballots.ElectorateAllMembers || !b.Secret || b.ClosesAt == nil || b.ClosesAt.Format(time.RFC3339) != during ||
		b.Eligible != len(f.voters)+1 || len(b.CandidateIDs) != 1 {
		t.Fatalf("ballot %+v, want a secret advance ballot of the %d members closing at %s, with one candidate", b, len(f.voters)+1, during)
	}
	has(t, "the board's page after", board.Get(page), `<span class="tag">Voting</span>`)
	lacks(t, "the board's page after", board.Get(page), "Put it to a vote")

	// Without a time announced for nominations to close, advance voting
	// ends them when it opens, as the chair's ballot does in the session.
	r = board.Do(http.MethodPost, fmt.Sprintf("/api/v1/meetings/%d/elections", m.ID), map[string]any{"title": "Auditor", "seats": 1})
	wantStatus(t, "adding an election with no close of nominations", r, http.StatusCreated)
	r.JSON(t, &e)
	api = fmt.Sprintf("/api/v1/elections/%d", e.ID)
	wantStatus(t, "standing again", member.Do(http.MethodPost, api+"/candidates", map[string]any{"statement": "I stand."}), http.StatusCreated)
	wantStatus(t, "the board opens advance voting on it", board.Do(http.MethodPost, api+"/ballots", advance), http.StatusCreated)
}
