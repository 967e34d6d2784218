package elections_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/elections"
	"github.com/citizen-network/osk/internal/errs"
)

// events reads the payloads of an election's events of one action.
func (f *fixture) events(e elections.Election, action string) []map[string]any {
	f.t.Helper()
	var raw []json.RawMessage
	if err := f.inst.DB.Select(&raw, `SELECT payload FROM audit_events WHERE action = $1 AND subject = $2 ORDER BY seq`,
		action, fmt.Sprintf("election:%d", e.ID)); err != nil {
		f.t.Fatal(err)
	}
	out := make([]map[string]any, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal(r, &out[i]); err != nil {
			f.t.Fatal(err)
		}
	}
	return out
}

func candidateIDs(e elections.Election) []int64 {
	var out []int64
	for _, c := range e.Candidates {
		out = append(out, c.ID)
	}
	return out
}

func TestWithdraw_ByTheCandidateOrForAFirmByTheBoard(t *testing.T) {
	f := newFixture(t)
	closeAt := f.inst.Clock.Now().Add(time.Hour)
	e := f.election(1, &closeAt)
	own := f.stand(e, 0)
	other := f.stand(e, 1)
	firm, err := f.svc.Nominate(f.ctx, f.board, e.ID, elections.Nomination{Name: "Tilintarkastus Oy"})
	if err != nil {
		t.Fatal(err)
	}
	nominee, err := f.svc.Nominate(f.ctx, f.voters[2], e.ID, elections.Nomination{MemberID: &f.members[3].ID})
	if err != nil {
		t.Fatal(err)
	}
	api := func(cid int64) string { return fmt.Sprintf("/api/v1/elections/%d/candidates/%d/withdraw", e.ID, cid) }
	member, board := f.Client(f.voters[0]), f.Client(f.board)

	for what, tc := range map[string]struct {
		who    int
		cid    int64
		status int
	}{
		"another member withdraws a member":   {1, own.ID, http.StatusForbidden},
		"the nominator withdraws the nominee": {2, nominee.ID, http.StatusForbidden},
		"a member withdraws the board's firm": {0, firm.ID, http.StatusForbidden},
		"a candidate who does not exist":      {0, own.ID + 1000, http.StatusNotFound},
	} {
		wantStatus(t, what, f.Client(f.voters[tc.who]).Do(http.MethodPost, api(tc.cid), nil), tc.status)
	}
	wantStatus(t, "the board withdraws a member", board.Do(http.MethodPost, api(other.ID), nil), http.StatusForbidden)
	wantStatus(t, "someone who may not see the meeting", f.Client(f.Person("Outsider")).Do(http.MethodPost, api(own.ID), nil), http.StatusNotFound)
	if n := f.count(`SELECT count(*) FROM election_candidates WHERE election_id = $1`, e.ID); n != 4 {
		t.Fatalf("%d candidates after refused withdrawals, want 4", n)
	}

	r := member.Do(http.MethodPost, api(own.ID), nil)
	wantStatus(t, "the candidate withdraws", r, http.StatusOK)
	var got map[string]any
	r.JSON(t, &got)
	wantKeys(t, "the ELECTION answered", got, "id", "meeting_id", "agenda_item_id", "title", "seats", "method", "nominations_close_at", "status", "candidates", "ballot_id")
	if n := len(got["candidates"].([]any)); n != 3 {
		t.Fatalf("%d candidates answered, want the 3 left", n)
	}
	wantStatus(t, "the board withdraws its firm", board.Do(http.MethodPost, api(firm.ID), nil), http.StatusOK)
	// A nominee declines by withdrawing, even after nominations closed.
	f.inst.Clock.Advance(time.Hour)
	wantStatus(t, "the nominee withdraws after the close", f.Client(f.voters[3]).Do(http.MethodPost, api(nominee.ID), nil), http.StatusOK)
	wantStatus(t, "a second withdrawal", member.Do(http.MethodPost, api(own.ID), nil), http.StatusNotFound)

	left, err := f.svc.GetAs(f.ctx, f.board, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ids := candidateIDs(left); len(ids) != 1 || ids[0] != other.ID {
		t.Fatalf("candidates %v, want only %d", ids, other.ID)
	}
	withdrawn := f.events(e, "election.withdrawn")
	if len(withdrawn) != 3 || withdrawn[0]["candidate_id"] != float64(own.ID) || withdrawn[0]["member_id"] != float64(f.members[0].ID) ||
		withdrawn[1]["candidate_id"] != float64(firm.ID) || withdrawn[1]["member_id"] != nil {
		t.Fatalf("withdrawal events %v", withdrawn)
	}
	// Each withdrawal is recorded with the change, by whoever made it.
	var actors []int64
	if err := f.inst.DB.Select(&actors, `SELECT actor_account_id FROM audit_events WHERE action = 'election.withdrawn' ORDER BY seq`); err != nil {
		t.Fatal(err)
	}
	if len(actors) != 3 || actors[0] != f.voters[0].AccountID || actors[1] != f.board.AccountID || actors[2] != f.voters[3].AccountID {
		t.Fatalf("withdrawn by %v", actors)
	}
	f.wantVerified("withdrawals")

	// Too late once the ballot is open: the candidate is on it.
	b := f.open(e)
	_, err = f.svc.Withdraw(f.ctx, f.voters[1], e.ID, other.ID)
	if !isKind(err, errs.Conflict) {
		t.Fatalf("a withdrawal once the ballot is open: %v, want conflict", err)
	}
	wantStatus(t, "a withdrawal by API once the ballot is open", f.Client(f.voters[1]).Do(http.MethodPost, api(other.ID), nil), http.StatusConflict)
	if len(b.CandidateIDs) != 1 || b.CandidateIDs[0] != other.ID {
		t.Fatalf("ballot candidates %v", b.CandidateIDs)
	}
	if n := f.count(`SELECT count(*) FROM election_candidates WHERE id = $1`, other.ID); n != 1 {
		t.Fatal("a candidate on an open ballot was withdrawn")
	}

	// A withdrawn candidate who is still stored is what verify reports.
	if _, err := f.inst.DB.Exec(`INSERT INTO election_candidates (id, election_id, member_id, name, nominated_at, consented_at)
		VALUES ($1, $2, $3, 'Voter 0', now(), now())`, own.ID, e.ID, f.members[0].ID); err != nil {
		t.Fatal(err)
	}
	problems := f.verify()
	if len(problems) != 1 || problems[0].Table != "election_candidates" || problems[0].Row != fmt.Sprintf("id=%d", own.ID) ||
		!strings.Contains(problems[0].Reason, "withdrawal") {
		t.Fatalf("verify of a withdrawn candidate put back: %+v", problems)
	}
}

func TestWithdraw_AMemberMayStandAgainWhileNominationsAreOpen(t *testing.T) {
	f := newFixture(t)
	e := f.election(1, nil)
	first := f.stand(e, 0)
	if _, err := f.svc.Withdraw(f.ctx, f.voters[0], e.ID, first.ID); err != nil {
		t.Fatal(err)
	}
	again := f.stand(e, 0)
	if again.ID == first.ID {
		t.Fatal("the new candidacy has the withdrawn one's id")
	}
	b := f.open(e)
	if len(b.CandidateIDs) != 1 || b.CandidateIDs[0] != again.ID {
		t.Fatalf("ballot candidates %v, want %d", b.CandidateIDs, again.ID)
	}
	f.wantVerified("standing again")
}

func TestNominationsClose_TheBoardSetsMovesAndRemovesIt(t *testing.T) {
	f := newFixture(t)
	e := f.election(1, nil)
	path := fmt.Sprintf("/api/v1/elections/%d/nominations-close", e.ID)
	board, member := f.Client(f.board), f.Client(f.voters[0])
	soon := f.inst.Clock.Now().Add(time.Hour).Truncate(time.Second).UTC()
	body := map[string]any{"nominations_close_at": soon.Format(time.RFC3339)}

	wantStatus(t, "a member sets it", member.Do(http.MethodPut, path, body), http.StatusForbidden)
	wantStatus(t, "someone who may not see the meeting", f.Client(f.Person("Outsider")).Do(http.MethodPut, path, body), http.StatusNotFound)
	past := f.inst.Clock.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	for what, b := range map[string]any{
		"a time in the past":  map[string]any{"nominations_close_at": past},
		"no time at all":      map[string]any{},
		"a time not RFC 3339": map[string]any{"nominations_close_at": "tomorrow"},
		"a number":            map[string]any{"nominations_close_at": 5},
	} {
		r := board.Do(http.MethodPut, path, b)
		wantStatus(t, what, r, http.StatusUnprocessableEntity)
		if got := problemFields(t, r.Body); len(got) != 1 || got[0] != "nominations_close_at" {
			t.Errorf("%s: the problem names %v", what, got)
		}
	}
	if n := len(f.events(e, "election.nominations_close_set")); n != 0 {
		t.Fatalf("%d changes recorded after refused ones", n)
	}

	r := board.Do(http.MethodPut, path, body)
	wantStatus(t, "the board sets it", r, http.StatusOK)
	var got struct {
		NominationsCloseAt *time.Time `json:"nominations_close_at"`
	}
	r.JSON(t, &got)
	if got.NominationsCloseAt == nil || !got.NominationsCloseAt.Equal(soon) {
		t.Fatalf("answered closing %v, want %v", got.NominationsCloseAt, soon)
	}
	wantStatus(t, "the same time again", board.Do(http.MethodPut, path, body), http.StatusOK)
	set := f.events(e, "election.nominations_close_set")
	if len(set) != 1 || set[0]["nominations_close_at"] != audit.FormatTime(soon) {
		t.Fatalf("changes recorded %v, want the one to %s", set, audit.FormatTime(soon))
	}
	f.wantVerified("setting the close")

	// Past the close, nominations are refused; moved later, they open again.
	f.inst.Clock.Advance(time.Hour)
	if _, err := f.svc.Nominate(f.ctx, f.voters[0], e.ID, elections.Nomination{}); !isKind(err, errs.Conflict) {
		t.Fatalf("a nomination after the close: %v, want conflict", err)
	}
	later := f.inst.Clock.Now().Add(24 * time.Hour)
	if _, err := f.svc.SetNominationsClose(f.ctx, f.board, e.ID, &later); err != nil {
		t.Fatal(err)
	}
	f.stand(e, 0)
	wantStatus(t, "the board removes it", board.Do(http.MethodPut, path, map[string]any{"nominations_close_at": nil}), http.StatusOK)
	removed, err := f.svc.GetAs(f.ctx, f.board, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if removed.NominationsCloseAt != nil {
		t.Fatalf("nominations close at %v, want no set time", removed.NominationsCloseAt)
	}
	set = f.events(e, "election.nominations_close_set")
	if len(set) != 3 || set[2]["nominations_close_at"] != nil {
		t.Fatalf("changes recorded %v", set)
	}
	f.wantVerified("moving and removing the close")

	// Changed behind the log's back, the time is reported at the last
	// change the log records.
	var lastSeq int64
	if err := f.inst.DB.Get(&lastSeq, `SELECT max(seq) FROM audit_events WHERE action = 'election.nominations_close_set'`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.inst.DB.Exec(`UPDATE elections SET nominations_close_at = $2 WHERE id = $1`, e.ID, later); err != nil {
		t.Fatal(err)
	}
	problems := f.verify()
	if len(problems) != 1 || problems[0].Seq != lastSeq || problems[0].Table != "elections" {
		t.Fatalf("verify of a closing time changed in the database: %+v, want one at seq %d", problems, lastSeq)
	}
	if _, err := f.inst.DB.Exec(`UPDATE elections SET nominations_close_at = NULL WHERE id = $1`, e.ID); err != nil {
		t.Fatal(err)
	}

	f.open(e)
	wantStatus(t, "a change once the ballot is open", board.Do(http.MethodPut, path, map[string]any{"nominations_close_at": nil}), http.StatusConflict)
}

func TestPages_WithdrawAndSetTheClose(t *testing.T) {
	f := newFixture(t)
	e := f.election(1, nil)
	own := f.stand(e, 0)
	other := f.stand(e, 1)
	firm, err := f.svc.Nominate(f.ctx, f.board, e.ID, elections.Nomination{Name: "Tilintarkastus Oy"})
	if err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/elections/%d", e.ID)
	withdraw := func(cid int64) string { return fmt.Sprintf("%s/candidates/%d/withdraw", page, cid) }
	member, board := f.Client(f.voters[0]), f.Client(f.board)

	show := member.Get(page)
	has(t, "the candidate's page", show, `action="`+withdraw(own.ID)+`"`, "Withdraw the candidacy of Voter 0</button>")
	lacks(t, "the candidate's page", show, withdraw(other.ID), withdraw(firm.ID), `action="`+page+`/nominations-close"`)
	show = board.Get(page)
	has(t, "the board's page", show, `action="`+withdraw(firm.ID)+`"`, "Withdraw the candidacy of Tilintarkastus Oy</button>",
		`<h2 id="closing-title">When nominations close</h2>`, `<label for="nominations_close_at">Nominations close (optional)</label>`,
		`action="`+page+`/nominations-close"`)
	lacks(t, "the board's page", show, withdraw(own.ID), withdraw(other.ID))

	wantStatus(t, "another member's form", f.Client(f.voters[1]).Do(http.MethodPost, withdraw(own.ID), url.Values{}), http.StatusForbidden)
	ok := member.Do(http.MethodPost, withdraw(own.ID), url.Values{})
	wantStatus(t, "the candidate's form", ok, http.StatusSeeOther)
	if loc := ok.Header.Get("Location"); loc != page+"?done=withdrawn" {
		t.Fatalf("redirect to %q", loc)
	}
	after := member.Get(page + "?done=withdrawn")
	has(t, "the page after", after, "The candidacy is withdrawn")
	lacks(t, "the page after", after, withdraw(own.ID))

	closeForm := page + "/nominations-close"
	wantStatus(t, "a member's closing form", member.Do(http.MethodPost, closeForm, url.Values{"nominations_close_at": {"2099-01-01T12:00"}}), http.StatusForbidden)
	past := f.inst.Clock.Now().Add(-time.Hour).In(f.meeting.Zone()).Format("2006-01-02T15:04")
	late := board.Do(http.MethodPost, closeForm, url.Values{"nominations_close_at": {past}})
	wantStatus(t, "a closing time in the past", late, http.StatusUnprocessableEntity)
	has(t, "a closing time in the past", late, `<a href="#nominations_close_at">Choose a time in the future for nominations to close.</a>`, `value="`+past+`"`)
	bad := board.Do(http.MethodPost, closeForm, url.Values{"nominations_close_at": {"Friday"}})
	wantStatus(t, "no time at all", bad, http.StatusUnprocessableEntity)
	has(t, "no time at all", bad, `<a href="#nominations_close_at">`, `value="Friday"`)

	closes := f.inst.Clock.Now().Add(48 * time.Hour).In(f.meeting.Zone()).Truncate(time.Minute)
	set := board.Do(http.MethodPost, closeForm, url.Values{"nominations_close_at": {closes.Format("2006-01-02T15:04")}})
	wantStatus(t, "the board's closing form", set, http.StatusSeeOther)
	if loc := set.Header.Get("Location"); loc != page+"?done=closing" {
		t.Fatalf("redirect to %q", loc)
	}
	got, err := f.svc.GetAs(f.ctx, f.board, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.NominationsCloseAt == nil || !got.NominationsCloseAt.Equal(closes) {
		t.Fatalf("nominations close at %v, want %v", got.NominationsCloseAt, closes)
	}
	has(t, "the board's page after", board.Get(page+"?done=closing"), "The closing time of nominations is saved.",
		`value="`+closes.Format("2006-01-02T15:04")+`"`)
	wantStatus(t, "emptied", board.Do(http.MethodPost, closeForm, url.Values{"nominations_close_at": {""}}), http.StatusSeeOther)
	if got, err = f.svc.GetAs(f.ctx, f.board, e.ID); err != nil || got.NominationsCloseAt != nil {
		t.Fatalf("nominations close at %v (%v), want no set time", got.NominationsCloseAt, err)
	}

	f.open(e)
	tooLate := f.Client(f.voters[1]).Do(http.MethodPost, withdraw(other.ID), url.Values{})
	wantStatus(t, "a withdrawal once the ballot is open", tooLate, http.StatusConflict)
	has(t, "a withdrawal once the ballot is open", tooLate, "a candidacy can no longer be withdrawn")
	voting := board.Get(page)
	lacks(t, "the board's page once voting", voting, "Withdraw the candidacy", `<h2 id="closing-title">`)
}

// The ballot shows candidates by name: the board cannot enter a second
// one that reads like a candidate already standing.
func TestNominate_ANameAlreadyStandingIsRefused(t *testing.T) {
	f := newFixture(t)
	e := f.election(2, nil)
	f.stand(e, 0)
	first, err := f.svc.Nominate(f.ctx, f.board, e.ID, elections.Nomination{Name: "Tilintarkastus Oy"})
	if err != nil {
		t.Fatal(err)
	}
	board := f.Client(f.board)
	api := fmt.Sprintf("/api/v1/elections/%d/candidates", e.ID)
	for _, name := range []string{"Tilintarkastus Oy", "  tilintarkastus  OY ", "TILINTARKASTUS OY", "voter 0"} {
		r := board.Do(http.MethodPost, api, map[string]any{"name": name})
		wantStatus(t, fmt.Sprintf("the name %q", name), r, http.StatusConflict)
		has(t, fmt.Sprintf("the name %q", name), r, "already stands in this election")
	}
	page := board.Do(http.MethodPost, fmt.Sprintf("/elections/%d/candidates", e.ID), url.Values{"name": {"tilintarkastus oy"}})
	wantStatus(t, "the form", page, http.StatusConflict)
	has(t, "the form", page, "A candidate called “tilintarkastus oy” already stands in this election.", `value="tilintarkastus oy"`)
	if n := f.count(`SELECT count(*) FROM election_candidates WHERE election_id = $1`, e.ID); n != 2 {
		t.Fatalf("%d candidates, want 2", n)
	}
	// Another name, or the same one once the first is withdrawn, is taken.
	if _, err := f.svc.Nominate(f.ctx, f.board, e.ID, elections.Nomination{Name: "Tilintarkastus Oy, Tampere"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Withdraw(f.ctx, f.board, e.ID, first.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Nominate(f.ctx, f.board, e.ID, elections.Nomination{Name: "tilintarkastus oy"}); err != nil {
		t.Fatal(err)
	}
}
