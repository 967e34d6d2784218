package motions_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/motions"
	"github.com/citizen-network/osk/internal/osktest"
)

// SPEC.md: motions the board marks as needing it need at least two
// thirds. The board marks a member's motion after it was proposed, until
// it is put to the vote.
func TestSetMajority_TheBoardMarksAMotionBeforeItsVote(t *testing.T) {
	f := newFixture(t)
	p, _ := f.Member("Aino Proposer")
	s, _ := f.Member("Bertta Seconder")
	chair, _ := f.Member("Chair")
	d := f.propose(p, motions.Proposal{Title: "Sell the hall", Body: "The co-op sells its hall.", AgendaItemID: &f.item})
	f.second(s, d.ID)

	_, err := f.svc.SetMajority(f.ctx, p, d.ID, motions.MajorityTwoThirds)
	osktest.WantKind(t, err, errs.Forbidden)
	_, err = f.svc.SetMajority(f.ctx, f.auditor, d.ID, motions.MajorityTwoThirds)
	osktest.WantKind(t, err, errs.Forbidden)
	_, err = f.svc.SetMajority(f.ctx, f.board, d.ID, "most")
	osktest.WantFields(t, err, "majority")

	got, err := f.svc.SetMajority(f.ctx, f.board, d.ID, motions.MajorityTwoThirds)
	if err != nil {
		t.Fatal(err)
	}
	if got.Majority != motions.MajorityTwoThirds || got.Status != motions.StatusSeconded {
		t.Errorf("marked motion %+v", got.Motion)
	}
	es := f.events(fmt.Sprintf("motion:%d", d.ID))
	if acts := actions(es); !slices.Equal(acts, []string{"motion.proposed", "motion.seconded", "motion.majority_set"}) {
		t.Fatalf("audit %v", acts)
	}
	if last := string(es[len(es)-1].Payload); !strings.Contains(last, `"majority":"two_thirds"`) || !strings.Contains(last, `"was":"simple"`) {
		t.Errorf("payload %s", last)
	}
	// The auditor's check replays the change.
	rep := audit.Report{OK: true}
	if err := motions.Check(f.ctx, f.inst.DB, &rep); err != nil || !rep.OK {
		t.Errorf("check: %v %+v", err, rep.Problems)
	}

	// The ballot takes the marked majority; after that it is fixed.
	f.inSession(chair)
	f.attend(chair)
	b, err := f.svc.OpenBallot(f.ctx, chair, d.ID, motions.BallotRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if b.Majority != motions.MajorityTwoThirds {
		t.Errorf("ballot majority %s", b.Majority)
	}
	_, err = f.svc.SetMajority(f.ctx, f.board, d.ID, motions.MajoritySimple)
	osktest.WantKind(t, err, errs.Conflict)
}

func TestSetMajority_NeverBelowTwoThirdsOnARuleChange(t *testing.T) {
	f := newFixture(t)
	d := f.propose(f.board, motions.Proposal{Title: "New section 5", Body: "Section 5 reads: ...", AgendaItemID: &f.rules})
	_, err := f.svc.SetMajority(f.ctx, f.board, d.ID, motions.MajoritySimple)
	osktest.WantFields(t, err, "majority")
	got, err := f.svc.SetMajority(f.ctx, f.board, d.ID, motions.MajorityThreeQuarters)
	if err != nil || got.Majority != motions.MajorityThreeQuarters {
		t.Fatalf("three quarters: %v %+v", err, got.Motion)
	}
	// The board lowers it again, as far as two thirds.
	if got, err = f.svc.SetMajority(f.ctx, f.board, d.ID, motions.MajorityTwoThirds); err != nil || got.Majority != motions.MajorityTwoThirds {
		t.Fatalf("two thirds: %v %+v", err, got.Motion)
	}
	w := f.propose(f.board, text("Withdrawn motion"))
	if _, err := f.svc.Withdraw(f.ctx, f.board, w.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.SetMajority(f.ctx, f.board, w.ID, motions.MajorityTwoThirds)
	osktest.WantKind(t, err, errs.Conflict)
}

func TestSetMajority_APIAndPage(t *testing.T) {
	f := newFixture(t)
	p, _ := f.Member("Aino Proposer")
	d := f.propose(p, motions.Proposal{Title: "Sell the hall", Body: "The co-op sells its hall."})
	path := fmt.Sprintf("/api/v1/motions/%d/majority", d.ID)
	bc, mc := f.Client(f.board), f.Client(p)

	if resp := mc.Do(http.MethodPut, path, map[string]any{"majority": "two_thirds"}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a member: %d %s", resp.StatusCode, resp.Body)
	}
	for _, body := range []any{map[string]any{"majority": "most"}, map[string]any{}, map[string]any{"majority": 2}} {
		resp := bc.Do(http.MethodPut, path, body)
		if resp.StatusCode != http.StatusUnprocessableEntity || !slices.Equal(problemFields(t, resp.Body), []string{"majority"}) {
			t.Errorf("bad value %v: %d %s", body, resp.StatusCode, resp.Body)
		}
	}
	resp := bc.Do(http.MethodPut, path, map[string]any{"majority": "three_quarters"})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("board: %d %s", resp.StatusCode, resp.Body)
	}
	var got motions.Detail
	resp.JSON(t, &got)
	if got.ID != d.ID || got.Majority != motions.MajorityThreeQuarters {
		t.Errorf("answer %s", resp.Body)
	}

	// The motion's page: a form for the board only.
	page := fmt.Sprintf("/motions/%d", d.ID)
	action := `action="` + page + `/majority"`
	if body := string(mc.Get(page).Body); strings.Contains(body, action) {
		t.Error("a member is offered to set the majority")
	}
	if body := string(bc.Get(page).Body); !strings.Contains(body, action) || !strings.Contains(body, `value="three_quarters" checked`) {
		t.Error("the board is not offered to set the majority, with the current one chosen")
	}
	form := bc.Do(http.MethodPost, page+"/majority", url.Values{"majority": {"unanimous"}})
	if form.StatusCode != http.StatusSeeOther || form.Header.Get("Location") != page+"?done=majority" {
		t.Fatalf("form: %d %s", form.StatusCode, form.Header.Get("Location"))
	}
	if got := f.get(d.ID); got.Majority != motions.MajorityUnanimous {
		t.Errorf("majority after the form %s", got.Majority)
	}
	form = bc.Do(http.MethodPost, page+"/majority", url.Values{"majority": {"most"}})
	if form.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(form.Body), `href="#majority"`) {
		t.Errorf("bad form: %d", form.StatusCode)
	}
	if form := mc.Do(http.MethodPost, page+"/majority", url.Values{"majority": {"simple"}}); form.StatusCode != http.StatusForbidden {
		t.Errorf("a member's form: %d", form.StatusCode)
	}

	// Once voting started: 409.
	b := f.propose(f.board, text("Adopt the budget"))
	chair, _ := f.Member("Chair")
	f.inSession(chair)
	f.attend(chair)
	if _, err := f.svc.OpenBallot(f.ctx, chair, b.ID, motions.BallotRequest{}); err != nil {
		t.Fatal(err)
	}
	if resp := bc.Do(http.MethodPut, fmt.Sprintf("/api/v1/motions/%d/majority", b.ID), map[string]any{"majority": "two_thirds"}); resp.StatusCode != http.StatusConflict {
		t.Errorf("after the vote opened: %d %s", resp.StatusCode, resp.Body)
	}
}
