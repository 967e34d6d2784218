package elections_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
)

type listedElection struct {
	ID         int64  `json:"id"`
	Status     string `json:"status"`
	BallotID   *int64 `json:"ballot_id"`
	Candidates []struct {
		ID int64 `json:"id"`
	} `json:"candidates"`
}

type electionList struct {
	Items      []listedElection `json:"items"`
	NextCursor *string          `json:"next_cursor"`
}

// A script finds a meeting's elections, and through each its ballot, to
// vote in it and to read its result.
func TestAPI_AMeetingsElectionsListTheirBallots(t *testing.T) {
	f := newFixture(t)
	voting := f.election(1, nil)
	cand := f.stand(voting, 0)
	bal := f.open(voting)
	nominating := f.election(2, nil)
	f.stand(nominating, 1)
	third := f.election(1, nil)

	member := f.Client(f.voters[2])
	path := fmt.Sprintf("/api/v1/meetings/%d/elections", f.meeting.ID)
	r := member.Get(path + "?limit=2")
	wantStatus(t, "the first page", r, http.StatusOK)
	var raw map[string]any
	r.JSON(t, &raw)
	wantKeys(t, "the list", raw, "items", "next_cursor")
	first := raw["items"].([]any)[0].(map[string]any)
	wantKeys(t, "a listed ELECTION", first, "id", "meeting_id", "agenda_item_id", "title", "seats", "method", "nominations_close_at", "status", "candidates", "ballot_id")
	var page electionList
	r.JSON(t, &page)
	if len(page.Items) != 2 || page.NextCursor == nil {
		t.Fatalf("first page %+v, want two elections and a cursor", page)
	}
	if got := page.Items[0]; got.ID != voting.ID || got.Status != "voting" || got.BallotID == nil || *got.BallotID != bal.ID ||
		len(got.Candidates) != 1 || got.Candidates[0].ID != cand.ID {
		t.Fatalf("the first election %+v, want %d voting on ballot %d with candidate %d", got, voting.ID, bal.ID, cand.ID)
	}
	if got := page.Items[1]; got.ID != nominating.ID || got.BallotID != nil || len(got.Candidates) != 1 {
		t.Fatalf("the second election %+v, want %d without a ballot", got, nominating.ID)
	}
	r = member.Get(path + "?limit=2&cursor=" + url.QueryEscape(*page.NextCursor))
	wantStatus(t, "the second page", r, http.StatusOK)
	page = electionList{}
	r.JSON(t, &page)
	if len(page.Items) != 1 || page.Items[0].ID != third.ID || page.NextCursor != nil || page.Items[0].Candidates == nil {
		t.Fatalf("second page %+v, want election %d alone and no cursor", page, third.ID)
	}

	// The ballot the list names is the one to vote in.
	vote := member.Do(http.MethodPost, fmt.Sprintf("/api/v1/ballots/%d/votes", bal.ID), map[string]any{"candidates": []int64{cand.ID}})
	wantStatus(t, "a vote in the listed ballot", vote, http.StatusCreated)

	for what, q := range map[string]string{"a limit of 0": "?limit=0", "a limit of 501": "?limit=501", "a made-up cursor": "?cursor=abc"} {
		wantStatus(t, what, member.Get(path+q), http.StatusUnprocessableEntity)
	}
	wantStatus(t, "someone who is not a member", f.Client(f.Person("Outsider")).Get(path), http.StatusNotFound)
	wantStatus(t, "a meeting that does not exist", member.Get("/api/v1/meetings/999999/elections"), http.StatusNotFound)
	wantStatus(t, "nobody signed in", f.inst.Client(t).Get(path), http.StatusUnauthorized)

	r = f.Client(f.board).Get(path)
	wantStatus(t, "the board's list", r, http.StatusOK)
	page = electionList{}
	r.JSON(t, &page)
	if len(page.Items) != 3 || page.NextCursor != nil {
		t.Fatalf("the whole list %+v, want the three elections in one page", page)
	}
}
