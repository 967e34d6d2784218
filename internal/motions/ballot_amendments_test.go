package motions_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/motions"
	"github.com/citizen-network/osk/internal/osktest"
)

// Two amendments written against the same text: once one carries, the
// other would put its whole text in place of the carried change, so it is
// voted on neither alongside the first nor after it.
func TestOpenBallot_OneAmendmentAtATimeOnTheCurrentText(t *testing.T) {
	r := newRoom(t)
	main := r.propose(r.p, motions.Proposal{Title: "Plant trees", Body: "Plant ten trees in the yard.", AgendaItemID: &r.item})
	r.second(r.s, main.ID)
	oaks := r.propose(r.s, motions.Proposal{Title: "Oaks", Body: "Plant ten oaks in the yard.", AmendsMotionID: &main.ID})
	r.second(r.p, oaks.ID)
	birches := r.propose(r.v, motions.Proposal{Title: "Birches", Body: "Plant ten birches in the yard.", AmendsMotionID: &main.ID})
	r.second(r.p, birches.ID)
	r.open()
	cc := r.Client(r.chair)
	birchesBallot := fmt.Sprintf("/api/v1/motions/%d/ballots", birches.ID)

	b, err := r.svc.OpenBallot(r.ctx, r.chair, oaks.ID, motions.BallotRequest{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.svc.OpenBallot(r.ctx, r.chair, birches.ID, motions.BallotRequest{})
	osktest.WantKind(t, err, errs.Conflict)
	if msg := errs.Message(err); !strings.Contains(msg, fmt.Sprintf(`Amendment %d, "Oaks"`, oaks.ID)) || !strings.Contains(msg, "being voted on") {
		t.Errorf("message while another amendment is voted on: %q", msg)
	}
	if resp := cc.Do(http.MethodPost, birchesBallot, map[string]any{"secret": false}); resp.StatusCode != http.StatusConflict {
		t.Errorf("API, while another amendment is voted on: %d %s", resp.StatusCode, resp.Body)
	}
	for _, voter := range []auth.Principal{r.chair, r.p, r.s, r.v} {
		if _, err := r.inst.Server.Ballots.Vote(r.ctx, voter, b.ID, ballots.VoteInput{Choice: ballots.ChoiceFor}); err != nil {
			t.Fatal(err)
		}
	}
	if closed, err := r.inst.Server.Ballots.Close(r.ctx, r.chair, b.ID); err != nil || closed.Result.Outcome != ballots.OutcomeCarried {
		t.Fatalf("close: %v", err)
	}

	// The birches were written against version 1; the text is version 2.
	resp := cc.Do(http.MethodPost, birchesBallot, map[string]any{"secret": false})
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("API, on a stale amendment: %d %s", resp.StatusCode, resp.Body)
	}
	var p problem
	resp.JSON(t, &p)
	for _, want := range []string{fmt.Sprintf(`amendment %d, "Oaks", carried`, oaks.ID), "version 2", "version 1", "propose it again on the current text"} {
		if !strings.Contains(p.Detail, want) {
			t.Errorf("the refusal %q does not say %q", p.Detail, want)
		}
	}
	got := r.get(main.ID)
	if got.Version != 2 || got.Body != oaks.Body {
		t.Fatalf("main motion: version %d %q", got.Version, got.Body)
	}
	if a := r.get(birches.ID); a.Status != motions.StatusSeconded || a.BallotID != nil {
		t.Errorf("refused amendment %+v", a.Motion)
	}
	// The JSON of the main motion shows it: its version, and what each
	// amendment was written against.
	var raw struct {
		Version    int `json:"version"`
		Amendments []struct {
			ID             int64 `json:"id"`
			BasedOnVersion int   `json:"based_on_version"`
		} `json:"amendments"`
	}
	if err := json.Unmarshal(cc.Get(fmt.Sprintf("/api/v1/motions/%d", main.ID)).Body, &raw); err != nil {
		t.Fatal(err)
	}
	if raw.Version != 2 || len(raw.Amendments) != 2 || raw.Amendments[1].ID != birches.ID || raw.Amendments[1].BasedOnVersion != 1 {
		t.Errorf("main motion's JSON %+v", raw)
	}

	// The amendment's page says why it cannot be voted on, and offers no
	// ballot.
	page := string(cc.Get(fmt.Sprintf("/motions/%d", birches.ID)).Body)
	if !strings.Contains(page, "propose it again on the current text") || strings.Contains(page, fmt.Sprintf(`action="/motions/%d/ballots"`, birches.ID)) {
		t.Error("the stale amendment's page offers a ballot or does not say why it cannot have one")
	}
	// It holds nothing back: the main motion goes to the vote and it
	// falls.
	mainPage := string(cc.Get(fmt.Sprintf("/motions/%d", main.ID)).Body)
	if !strings.Contains(mainPage, fmt.Sprintf(`action="/motions/%d/ballots"`, main.ID)) {
		t.Error("the chair is not offered the ballot on the main motion")
	}
	if r.ballot(main.ID, "for", "for", "for", "against").Result.Outcome != ballots.OutcomeCarried {
		t.Fatal("the amended motion did not carry")
	}
	if final := r.get(main.ID); final.Version != 2 || final.Body != oaks.Body {
		t.Errorf("carried motion: version %d %q", final.Version, final.Body)
	}
	if page := string(cc.Get(fmt.Sprintf("/motions/%d", birches.ID)).Body); !strings.Contains(page, "Fell: written against an earlier text") {
		t.Error("the stale amendment's page does not say it fell")
	}
}

// However the text came to change while an amendment was being voted on,
// the close never puts a text written against the old one in its place.
func TestClose_AStaleAmendmentDoesNotReplaceTheText(t *testing.T) {
	r := newRoom(t)
	main := r.propose(r.board, motions.Proposal{Title: "Plant trees", Body: "Plant ten trees in the yard."})
	oaks := r.propose(r.board, motions.Proposal{Title: "Oaks", Body: "Plant ten oaks in the yard.", AmendsMotionID: &main.ID})
	birches := r.propose(r.board, motions.Proposal{Title: "Birches", Body: "Plant ten birches in the yard.", AmendsMotionID: &main.ID})
	r.open()
	b, err := r.svc.OpenBallot(r.ctx, r.chair, oaks.ID, motions.BallotRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.inst.DB.ExecContext(r.ctx, `INSERT INTO motion_versions (motion_id, version, body, created_at, amendment_id)
		VALUES ($1, 2, $2, now(), $3)`, main.ID, birches.Body, birches.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.inst.DB.ExecContext(r.ctx, `UPDATE motions SET version = 2 WHERE id = $1`, main.ID); err != nil {
		t.Fatal(err)
	}
	for _, voter := range []auth.Principal{r.chair, r.p, r.s, r.v} {
		if _, err := r.inst.Server.Ballots.Vote(r.ctx, voter, b.ID, ballots.VoteInput{Choice: ballots.ChoiceFor}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = r.inst.Server.Ballots.Close(r.ctx, r.chair, b.ID)
	osktest.WantKind(t, err, errs.Conflict)
	if msg := errs.Message(err); !strings.Contains(msg, "version 1") || !strings.Contains(msg, "version 2") {
		t.Errorf("message %q", msg)
	}
	if got := r.get(main.ID); got.Version != 2 || got.Body != birches.Body {
		t.Errorf("main motion after the refused close: version %d %q", got.Version, got.Body)
	}
	if got := r.get(oaks.ID); got.Status != motions.StatusVoting {
		t.Errorf("amendment after the refused close: %s", got.Status)
	}
}

// A board member who does not chair the session is told so, whatever the
// motion still lacks.
func TestOpenBallot_WhoMayOpenComesBeforeReadiness(t *testing.T) {
	r := newRoom(t)
	main := r.propose(r.board, text("Adopt the budget"))
	r.propose(r.board, motions.Proposal{Title: "Smaller budget", Body: "Adopt a smaller budget.", AmendsMotionID: &main.ID})
	r.open()

	_, err := r.svc.OpenBallot(r.ctx, r.board, main.ID, motions.BallotRequest{})
	osktest.WantKind(t, err, errs.Forbidden)
	if msg := errs.Message(err); msg != "Only the meeting's chair opens a ballot." {
		t.Errorf("message %q", msg)
	}
	resp := r.Client(r.board).Do(http.MethodPost, fmt.Sprintf("/api/v1/motions/%d/ballots", main.ID), map[string]any{"secret": false})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("API: %d %s", resp.StatusCode, resp.Body)
	}
	if page := string(r.Client(r.board).Get(fmt.Sprintf("/motions/%d", main.ID)).Body); strings.Contains(page, "Amendments are voted on first") {
		t.Error("a board member who does not chair is told about the order of the ballots")
	}
	// The chair is told what the motion lacks.
	_, err = r.svc.OpenBallot(r.ctx, r.chair, main.ID, motions.BallotRequest{})
	osktest.WantKind(t, err, errs.Conflict)
}

// Before the session the board opens advance voting, as the rules allow;
// whether the motion is ready is what it is told then.
func TestOpenBallot_TheBoardOpensAdvanceVoting(t *testing.T) {
	r := newRoom(t)
	admin := r.Person("Admin", auth.RoleAdmin)
	cur, err := r.inst.Server.Rules.Current(r.ctx)
	if err != nil {
		t.Fatal(err)
	}
	cur.AdvanceVoting = true
	if _, err := r.inst.Server.Rules.Update(r.ctx, admin, cur); err != nil {
		t.Fatal(err)
	}
	if _, err := r.inst.Server.Meetings.SetOfficers(r.ctx, r.board, r.meeting.ID, meetings.Officers{ChairAccountID: &r.chair.AccountID}); err != nil {
		t.Fatal(err)
	}
	advance := motions.BallotRequest{Electorate: ballots.ElectorateAllMembers, ClosesAt: rfc(r.meeting.StartsAt.Add(30 * time.Minute))}
	held := r.propose(r.board, text("Adopt the budget"))
	r.propose(r.board, motions.Proposal{Title: "Smaller budget", Body: "Adopt a smaller budget.", AmendsMotionID: &held.ID})
	_, err = r.svc.OpenBallot(r.ctx, r.board, held.ID, advance)
	osktest.WantKind(t, err, errs.Conflict)
	if !strings.Contains(errs.Message(err), "Amendments are voted on first") {
		t.Errorf("message %q", errs.Message(err))
	}
	// The chair, not on the board, opens no advance ballot.
	ready := r.propose(r.board, text("Adopt the accounts"))
	_, err = r.svc.OpenBallot(r.ctx, r.chair, held.ID, advance)
	osktest.WantKind(t, err, errs.Forbidden)
	b, err := r.svc.OpenBallot(r.ctx, r.board, ready.ID, advance)
	if err != nil {
		t.Fatal(err)
	}
	if b.Electorate != ballots.ElectorateAllMembers || b.Eligible == 0 {
		t.Errorf("advance ballot %+v", b)
	}
}
