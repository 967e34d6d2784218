package elections_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
)

const leftOffTag = `<span class="tag">Not on the ballot: no longer an active member</span>`

// suspend has the board suspend voter i through the API.
func (f *fixture) suspend(i int) {
	f.t.Helper()
	r := f.Client(f.board).Do(http.MethodPost, fmt.Sprintf("/api/v1/members/%d/suspend", f.members[i].ID), map[string]any{"reason": "x"})
	wantStatus(f.t, "suspending a member", r, http.StatusOK)
}

// A candidate who consented and then stopped being an active member is
// shown as left off the ballot, before it opens and after, and the chair
// is told who is on it.
func TestPages_ACandidateLeftOffTheBallotIsNotShownAsOnIt(t *testing.T) {
	f := newFixture(t)
	e := f.election(1, nil)
	page := fmt.Sprintf("/elections/%d", e.ID)
	chair, member := f.Client(f.chair), f.Client(f.voters[2])
	stays := f.stand(e, 0)
	f.stand(e, 1)
	f.suspend(1)

	before := chair.Get(page)
	wantStatus(t, "the chair's page", before, http.StatusOK)
	has(t, "the chair's page", before,
		`<li><strong>Voter 0</strong> <span class="tag">Consented</span>`,
		`<li><strong>Voter 1</strong> `+leftOffTag,
		"The candidate who has consented is on the ballot. Left off, as no longer an active member: Voter 1.")
	lacks(t, "the chair's page", before, "The 2 candidates", `<li><strong>Voter 1</strong> <span class="tag">Consented</span>`)

	ok := chair.Do(http.MethodPost, page+"/ballots", url.Values{"secret": {"yes"}, "electorate": {"represented"}})
	wantStatus(t, "opening the ballot", ok, http.StatusSeeOther)
	got, err := f.svc.GetAs(f.ctx, f.board, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.inst.Server.Ballots.Get(f.ctx, *got.BallotID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(b.CandidateIDs, []int64{stays.ID}) {
		t.Fatalf("the ballot lists %v, want only %d", b.CandidateIDs, stays.ID)
	}

	// Reinstated while the ballot is open, the member is still not on it:
	// the page reads who is on the ballot from the ballot.
	r := f.Client(f.board).Do(http.MethodPost, fmt.Sprintf("/api/v1/members/%d/reinstate", f.members[1].ID), map[string]any{"reason": "x"})
	wantStatus(t, "reinstating the member", r, http.StatusOK)
	during := member.Get(page)
	has(t, "a member's page while voting", during,
		`<li><strong>Voter 0</strong> <span class="tag">Consented</span>`, `<li><strong>Voter 1</strong> `+leftOffTag)

	f.vote(2, b, stays.ID)
	f.closeBallot(b)
	after := member.Get(page)
	has(t, "a member's page after the count", after,
		`<li><strong>Voter 0</strong> <span class="tag">Elected</span>`, `<li><strong>Voter 1</strong> `+leftOffTag)
}

// When every candidate who consented has been left off, the chair is told
// there is nobody to vote for rather than offered a ballot.
func TestPages_NobodyIsOnTheBallotWhenEveryCandidateLeft(t *testing.T) {
	f := newFixture(t)
	e := f.election(1, nil)
	page := fmt.Sprintf("/elections/%d", e.ID)
	chair := f.Client(f.chair)
	f.stand(e, 1)
	f.suspend(1)

	show := chair.Get(page)
	has(t, "the chair's page", show, `<li><strong>Voter 1</strong> `+leftOffTag,
		"Nobody is on the ballot: every candidate who consented to stand is no longer an active member (Voter 1).")
	lacks(t, "the chair's page", show, "on the ballot. Opening it ends nominations.", `action="`+page+`/ballots"`)

	r := chair.Do(http.MethodPost, fmt.Sprintf("/api/v1/elections/%d/ballots", e.ID), map[string]any{})
	wantStatus(t, "opening the ballot", r, http.StatusUnprocessableEntity)
	has(t, "opening the ballot", r, "No candidate who consented to stand is still an active member")
}
