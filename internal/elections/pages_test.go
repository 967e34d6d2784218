package elections_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/elections"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/osktest"
)

var (
	voteForm    = regexp.MustCompile(`name="member_id" value="(\d+)">\s*<input type="hidden" name="key" value="([0-9a-f]+)">`)
	receiptCode = regexp.MustCompile(`<p class="receipt-code"><code>([a-z2-7]{26})</code></p>`)
	electionURL = regexp.MustCompile(`^/elections/(\d+)\?done=created$`)
)

func has(t *testing.T, what string, r *osktest.Response, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("%s lacks %q", what, want)
		}
	}
	if t.Failed() {
		t.Fatalf("%s: %d\n%s", what, r.StatusCode, r.Body)
	}
}

func lacks(t *testing.T, what string, r *osktest.Response, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if strings.Contains(string(r.Body), u) {
			t.Errorf("%s has %q", what, u)
		}
	}
	if t.Failed() {
		t.Fatalf("%s: %d\n%s", what, r.StatusCode, r.Body)
	}
}

func wantStatus(t *testing.T, what string, r *osktest.Response, status int) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s: %d, want %d\n%s", what, r.StatusCode, status, r.Body)
	}
}

func (f *fixture) count(query string, args ...any) int {
	f.t.Helper()
	return f.inst.DB.Count(f.t, query, args...)
}

func TestPages_BoardAddsAnElectionToAMeeting(t *testing.T) {
	f := newFixture(t)
	board, member := f.Client(f.board), f.Client(f.voters[0])
	meeting := fmt.Sprintf("/meetings/%d", f.meeting.ID)
	form := meeting + "/elections/new"

	has(t, "the board's meeting page", board.Get(meeting), `<a href="`+form+`">Add an election</a>`)
	lacks(t, "a member's meeting page", member.Get(meeting), form)
	wantStatus(t, "a member asks for the form", member.Get(form), http.StatusForbidden)
	wantStatus(t, "a member sends the form", member.Do(http.MethodPost, meeting+"/elections", url.Values{"title": {"Board"}, "seats": {"1"}}), http.StatusForbidden)

	item := f.meeting.Agenda[len(f.meeting.Agenda)-1]
	page := board.Get(form)
	wantStatus(t, "the form", page, http.StatusOK)
	has(t, "the form", page,
		`<label for="title">Title</label>`, `<label for="seats">Number of seats</label>`,
		`<label for="agenda_item_id">Agenda item (optional)</label>`, `<label for="nominations_close_at">Nominations close (optional)</label>`,
		fmt.Sprintf(`<option value="%d">%d. %s</option>`, item.ID, item.Position, item.Title),
		`type="datetime-local" id="nominations_close_at"`, f.meeting.TimeZone)

	// Every problem at once, by its field, with what was typed kept.
	bad := board.Do(http.MethodPost, meeting+"/elections", url.Values{
		"title": {"  "}, "seats": {"two"}, "agenda_item_id": {strconv.FormatInt(item.ID, 10)}, "nominations_close_at": {"next Friday"}})
	wantStatus(t, "a bad form", bad, http.StatusUnprocessableEntity)
	has(t, "a bad form", bad, `class="error-summary"`,
		`<a href="#title">Give a title of 1 to 200 characters.</a>`,
		`<a href="#seats">Give the number of seats, from 1 to 100.</a>`,
		`<a href="#nominations_close_at">Enter a date and time such as 2026-06-01T18:00, or an RFC 3339 time such as 2026-06-01T15:00:00Z.</a>`,
		`id="seats" name="seats" value="two" inputmode="numeric"`,
		`value="next Friday"`, `aria-describedby="nominations_close_at-hint nominations_close_at-error" aria-invalid="true"`,
		fmt.Sprintf(`<option value="%d" selected>`, item.ID))
	summary := string(bad.Body)
	if strings.Index(summary, `href="#title"`) > strings.Index(summary, `href="#seats"`) ||
		strings.Index(summary, `href="#seats"`) > strings.Index(summary, `href="#nominations_close_at"`) {
		t.Error("the error summary is not in the order of the form")
	}
	past := f.inst.Clock.Now().Add(-time.Hour).In(f.meeting.Zone()).Format("2006-01-02T15:04")
	late := board.Do(http.MethodPost, meeting+"/elections", url.Values{"title": {"Board"}, "seats": {"2"}, "nominations_close_at": {past}})
	wantStatus(t, "nominations closing in the past", late, http.StatusUnprocessableEntity)
	has(t, "nominations closing in the past", late, `<a href="#nominations_close_at">Choose a time in the future for nominations to close.</a>`, `value="Board"`)
	if n := f.count(`SELECT count(*) FROM elections WHERE meeting_id = $1`, f.meeting.ID); n != 0 {
		t.Fatalf("%d elections after refused forms", n)
	}

	// The closing time is read in the meeting's zone, as the form says.
	closes := f.inst.Clock.Now().Add(48 * time.Hour).In(f.meeting.Zone()).Truncate(time.Minute)
	ok := board.Do(http.MethodPost, meeting+"/elections", url.Values{"title": {"Members of the board"}, "seats": {"3"},
		"agenda_item_id": {strconv.FormatInt(item.ID, 10)}, "nominations_close_at": {closes.Format("2006-01-02T15:04")}})
	wantStatus(t, "the form", ok, http.StatusSeeOther)
	m := electionURL.FindStringSubmatch(ok.Header.Get("Location"))
	if m == nil {
		t.Fatalf("redirect to %q", ok.Header.Get("Location"))
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	e, err := f.svc.GetAs(f.ctx, f.board, id)
	if err != nil {
		t.Fatal(err)
	}
	if e.Title != "Members of the board" || e.Seats != 3 || e.AgendaItemID == nil || *e.AgendaItemID != item.ID ||
		e.NominationsCloseAt == nil || !e.NominationsCloseAt.Equal(closes) || e.MeetingID != f.meeting.ID {
		t.Fatalf("election %+v, want it as the form gave it, closing %v", e, closes)
	}
	has(t, "the new election's page", board.Get(ok.Header.Get("Location")),
		"The election is added to the meeting.", fmt.Sprintf("%d. %s", item.Position, item.Title), "Taking nominations")
}

func TestPages_NominationByMemberNumber(t *testing.T) {
	f := newFixture(t)
	e := f.election(1, nil)
	page := fmt.Sprintf("/elections/%d", e.ID)
	// An application left undecided takes an id but no number, so that
	// the nominee's number and id differ.
	who := f.Person("Undecided Applicant")
	if _, err := f.inst.Server.Members.Apply(f.ctx, who, osktest.Individual(who)); err != nil {
		t.Fatal(err)
	}
	_, nominee := f.Member("Nina Nominee")
	if int64(*nominee.MemberNo) == nominee.ID {
		t.Fatalf("member %d has the number %d: the test cannot tell them apart", nominee.ID, *nominee.MemberNo)
	}
	c := f.Client(f.voters[0])
	show := c.Get(page)
	has(t, "the nomination form", show, `<label for="member_no">Member number of the member you nominate (optional)</label>`,
		`id="member_no" name="member_no" value="" inputmode="numeric" aria-describedby="member_no-hint"`)
	lacks(t, "the nomination form", show, `name="member_id"`, "Member id")

	statement := "She knows the budget\nand the rules."
	unknown := c.Do(http.MethodPost, page+"/candidates", url.Values{"member_no": {"99999"}, "statement": {statement}})
	wantStatus(t, "an unknown number", unknown, http.StatusUnprocessableEntity)
	has(t, "an unknown number", unknown, `<a href="#member_no">There is no member with the number 99999.</a>`,
		`Error: There is no member with the number 99999.`, `value="99999"`, ">She knows the budget\nand the rules.</textarea>",
		`aria-describedby="member_no-hint member_no-error" aria-invalid="true"`)
	notNumber := c.Do(http.MethodPost, page+"/candidates", url.Values{"member_no": {"Nina"}})
	wantStatus(t, "a name for a number", notNumber, http.StatusUnprocessableEntity)
	has(t, "a name for a number", notNumber, `<a href="#member_no">Enter the member number in digits`, `value="Nina"`)
	if n := f.count(`SELECT count(*) FROM election_candidates WHERE election_id = $1`, e.ID); n != 0 {
		t.Fatalf("%d candidates after refused nominations", n)
	}

	ok := c.Do(http.MethodPost, page+"/candidates", url.Values{"member_no": {strconv.Itoa(*nominee.MemberNo)}, "statement": {statement}})
	wantStatus(t, "a nomination by number", ok, http.StatusSeeOther)
	if loc := ok.Header.Get("Location"); loc != page+"?done=pending" {
		t.Fatalf("redirect to %q", loc)
	}
	got, err := f.svc.GetAs(f.ctx, f.board, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Candidates) != 1 || got.Candidates[0].MemberID == nil || *got.Candidates[0].MemberID != nominee.ID || got.Candidates[0].Consented {
		t.Fatalf("candidates %+v, want Nina waiting for her consent", got.Candidates)
	}

	// The board names a member and a non-member at once: both are kept.
	board := f.Client(f.board)
	both := board.Do(http.MethodPost, page+"/candidates", url.Values{"member_no": {strconv.Itoa(*f.members[2].MemberNo)}, "name": {"Tarkastus Oy"}})
	wantStatus(t, "a member and a name", both, http.StatusUnprocessableEntity)
	has(t, "a member and a name", both, `<a href="#name">`, `value="Tarkastus Oy"`, fmt.Sprintf(`value="%d"`, *f.members[2].MemberNo))
}

func TestPages_ChairPutsTheElectionToAVote(t *testing.T) {
	f := newFixture(t)
	e := f.election(1, nil)
	page := fmt.Sprintf("/elections/%d", e.ID)
	chair, board, member := f.Client(f.chair), f.Client(f.board), f.Client(f.voters[2])

	// Without a consenting candidate there is nothing to vote on.
	has(t, "the chair's page without candidates", chair.Get(page), `<h2 id="ballot-title">Put it to a vote</h2>`, "Nobody has consented to stand yet.")
	lacks(t, "the chair's page without candidates", chair.Get(page), `action="`+page+`/ballots"`)

	f.stand(e, 0)
	f.stand(e, 1)
	show := chair.Get(page)
	has(t, "the chair's page", show, `<form method="post" action="`+page+`/ballots" novalidate>`,
		"<legend>Is the ballot secret?</legend>",
		`<input type="radio" id="secret" name="secret" value="yes" checked><label for="secret">Yes, a secret ballot</label>`,
		`<input type="radio" id="secret-no" name="secret" value="no"><label for="secret-no">No, an open ballot</label>`,
		"<legend>Who votes?</legend>", `<label for="electorate">The members represented at the meeting now</label>`,
		`<label for="closes_at">Closing time (optional)</label>`, "The 2 candidates who have consented are on the ballot.",
		`<button type="submit" class="button">Open the ballot</button>`)
	for what, c := range map[string]*osktest.Client{"the board's page": board, "a member's page": member} {
		lacks(t, what, c.Get(page), `action="`+page+`/ballots"`, "Put it to a vote")
	}
	wantStatus(t, "a member opens the ballot", member.Do(http.MethodPost, page+"/ballots", url.Values{"secret": {"yes"}}), http.StatusForbidden)

	past := f.inst.Clock.Now().Add(-time.Hour).In(f.meeting.Zone()).Format("2006-01-02T15:04")
	for name, tc := range map[string]struct {
		form  url.Values
		field string
		kept  string
	}{
		"a closing time in the past": {url.Values{"secret": {"no"}, "closes_at": {past}}, "closes_at", `value="` + past + `"`},
		"no closing time at all":     {url.Values{"secret": {"no"}, "closes_at": {"soon"}}, "closes_at", `value="soon"`},
		"no answer on secrecy":       {url.Values{"closes_at": {"soon"}}, "secret", `value="soon"`},
	} {
		r := chair.Do(http.MethodPost, page+"/ballots", tc.form)
		wantStatus(t, name, r, http.StatusUnprocessableEntity)
		has(t, name, r, `class="error-summary"`, `href="#`+tc.field+`"`, tc.kept)
		if tc.form.Get("secret") == "no" {
			has(t, name, r, `id="secret-no" name="secret" value="no" checked`)
		}
	}
	if n := f.count(`SELECT count(*) FROM ballots WHERE meeting_id = $1`, f.meeting.ID); n != 0 {
		t.Fatalf("%d ballots after refused forms", n)
	}

	closes := f.inst.Clock.Now().Add(2 * time.Hour).In(f.meeting.Zone()).Truncate(time.Minute)
	ok := chair.Do(http.MethodPost, page+"/ballots", url.Values{"secret": {"yes"}, "electorate": {"represented"}, "closes_at": {closes.Format("2006-01-02T15:04")}})
	wantStatus(t, "opening the ballot", ok, http.StatusSeeOther)
	if loc := ok.Header.Get("Location"); loc != page+"?done=ballot" {
		t.Fatalf("redirect to %q", loc)
	}
	got, err := f.svc.GetAs(f.ctx, f.board, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != elections.StatusVoting || got.BallotID == nil {
		t.Fatalf("election %+v, want voting", got)
	}
	b, err := f.inst.Server.Ballots.Get(f.ctx, *got.BallotID)
	if err != nil {
		t.Fatal(err)
	}
	if !b.Secret || b.Electorate != ballots.ElectorateRepresented || b.ClosesAt == nil || !b.ClosesAt.Equal(closes) || len(b.CandidateIDs) != 2 {
		t.Fatalf("ballot %+v, want secret, closing at %v, with two candidates", b, closes)
	}
	after := member.Get(page + "?done=ballot")
	has(t, "the page after", after, "The ballot is open.", fmt.Sprintf(`<a href="/ballots/%d">The ballot: vote here</a>`, b.ID), `<span class="tag">Voting</span>`)
	lacks(t, "the chair's page after", chair.Get(page), "Put it to a vote")
}

func TestPages_ElectionStatusFollowsTheNominationsClose(t *testing.T) {
	f := newFixture(t)
	closeAt := f.inst.Clock.Now().Add(time.Hour)
	e := f.election(1, &closeAt)
	page := fmt.Sprintf("/elections/%d", e.ID)
	c := f.Client(f.voters[0])
	has(t, "the page while nominating", c.Get(page), `<span class="tag">Taking nominations</span>`, "<dt>Nominations</dt><dd>Open until")
	m, err := f.inst.Server.Meetings.Get(f.ctx, e.MeetingID)
	if err != nil {
		t.Fatal(err)
	}
	has(t, "the page while nominating", c.Get(page), osktest.ShownAt(t, closeAt.Truncate(time.Second), m.TimeZone)...)

	f.inst.Clock.Advance(time.Hour)
	closed := c.Get(page)
	has(t, "the page after the close", closed, `<span class="tag">Nominations closed: waiting to be put to the vote</span>`, "<dt>Nominations</dt><dd>Closed</dd>")
	lacks(t, "the page after the close", closed, "Taking nominations", `<h2 id="nominate-title">`)
	meeting := c.Get(fmt.Sprintf("/meetings/%d", f.meeting.ID))
	has(t, "the meeting's page", meeting, `<span class="tag">Nominations closed: waiting to be put to the vote</span>`)
	lacks(t, "the meeting's page", meeting, "Taking nominations")
}

// withProxy has voter 3 leave the meeting and give their proxy to voter
// 0, and puts an election to the vote.
func (f *fixture) withProxy() (members.Member, elections.Election, ballots.Ballot) {
	f.t.Helper()
	mt := f.inst.Server.Meetings
	if err := mt.Leave(f.ctx, f.voters[3], f.meeting.ID, nil); err != nil {
		f.t.Fatal(err)
	}
	if _, err := mt.GrantProxy(f.ctx, f.voters[3], f.meeting.ID, meetings.ProxyInput{HolderMemberID: f.members[0].ID}); err != nil {
		f.t.Fatal(err)
	}
	e := f.election(1, nil)
	f.stand(e, 1)
	f.stand(e, 2)
	return f.members[3], e, f.open(e)
}

func TestPages_ElectionVoteIsExplicitAboutBlankAndKeepsTheMarks(t *testing.T) {
	f := newFixture(t)
	absent, e, b := f.withProxy()
	page := fmt.Sprintf("/ballots/%d", b.ID)
	holder := f.Client(f.voters[0])
	show := holder.Get(page)
	wantStatus(t, "the proxy holder's ballot page", show, http.StatusOK)
	theirs := fmt.Sprintf("Voter 3 (member %d)", *absent.MemberNo)
	own := fmt.Sprintf("(member %d)", *f.members[0].MemberNo)
	has(t, "the proxy holder's ballot page", show,
		`<button type="submit" class="button">Cast the vote of `+theirs+`</button>`,
		`<button type="submit" name="cast" value="blank" class="button secondary">Vote blank for `+theirs+`</button>`,
		`<button type="submit" class="button">Cast your own vote `+own+`</button>`,
		`<button type="submit" name="cast" value="blank" class="button secondary">Vote blank with your own vote `+own+`</button>`,
		"Mark at most 1 candidate, then cast the vote.")
	lacks(t, "the proxy holder's ballot page", show, "Cast this vote", "Mark none to vote blank")

	keys := map[string]string{}
	for _, m := range voteForm.FindAllStringSubmatch(string(show.Body), -1) {
		keys[m[1]] = m[2]
	}
	absentID := strconv.FormatInt(absent.ID, 10)
	if len(keys) != 2 || keys[absentID] == "" {
		t.Fatalf("vote forms %v, want the holder's own and voter 3's", keys)
	}
	cands := []string{strconv.FormatInt(b.CandidateIDs[0], 10), strconv.FormatInt(b.CandidateIDs[1], 10)}
	send := func(extra url.Values) *osktest.Response {
		form := url.Values{"kind": {"election"}, "member_id": {absentID}, "key": {keys[absentID]}}
		for k, v := range extra {
			form[k] = v
		}
		return holder.Do(http.MethodPost, page+"/vote", form)
	}
	field := fmt.Sprintf("candidates-%d", absent.ID)

	// The ordinary button with nothing marked is no vote.
	empty := send(nil)
	wantStatus(t, "nothing marked", empty, http.StatusUnprocessableEntity)
	has(t, "nothing marked", empty, `<a href="#`+field+`">Mark the candidates you vote for. To vote for nobody, choose to vote blank.</a>`)

	// Too many marks: the error says so for one seat, and the marks stay.
	over := send(url.Values{"candidates": cands})
	wantStatus(t, "two marks for one seat", over, http.StatusUnprocessableEntity)
	has(t, "two marks for one seat", over, `<a href="#`+field+`">Mark at most 1 candidate.</a>`,
		`id="`+field+`" name="candidates" value="`+cands[0]+`" checked>`,
		`id="`+field+`-`+cands[1]+`" name="candidates" value="`+cands[1]+`" checked>`)
	lacks(t, "two marks for one seat", over, "1 candidates")
	// Only the form that was sent keeps its marks.
	if n := strings.Count(string(over.Body), " checked>"); n != 2 {
		t.Errorf("%d boxes ticked on the page, want the 2 sent", n)
	}

	// Blank with a mark is neither.
	mixed := send(url.Values{"candidates": cands[:1], "cast": {"blank"}})
	wantStatus(t, "a mark and blank", mixed, http.StatusUnprocessableEntity)
	has(t, "a mark and blank", mixed, `<a href="#`+field+`">You marked candidates and chose to vote blank.`,
		`value="`+cands[0]+`" checked>`)
	if n := f.count(`SELECT count(*) FROM ballot_votes WHERE ballot_id = $1`, b.ID); n != 0 {
		t.Fatalf("%d votes after refused forms", n)
	}

	blank := send(url.Values{"cast": {"blank"}})
	wantStatus(t, "a blank vote", blank, http.StatusCreated)
	has(t, "a blank vote", blank, "Your vote for "+theirs+", as the holder of their proxy: recorded.")
	if n := f.count(`SELECT count(*) FROM ballot_votes WHERE ballot_id = $1 AND cardinality(candidate_ids) = 0`, b.ID); n != 1 {
		t.Fatalf("%d blank votes, want the one cast", n)
	}

	// The voter's own vote, for a candidate, from the ordinary button.
	ownKey := ""
	for id, key := range keys {
		if id != absentID {
			ownKey = key
		}
	}
	voted := holder.Do(http.MethodPost, page+"/vote", url.Values{"kind": {"election"}, "member_id": {strconv.FormatInt(f.members[0].ID, 10)},
		"key": {ownKey}, "candidates": {cands[1]}})
	wantStatus(t, "a vote for a candidate", voted, http.StatusCreated)
	receipt := receiptCode.FindStringSubmatch(string(voted.Body))
	if receipt == nil {
		t.Fatalf("no receipt:\n%s", voted.Body)
	}

	// The receipt names the election and the candidate, not their ids.
	check := f.inst.Client(t).Do(http.MethodPost, "/receipts", url.Values{"receipt": {receipt[1]}})
	wantStatus(t, "the receipt check", check, http.StatusOK)
	has(t, "the receipt check", check, fmt.Sprintf(`<dt>Voted on</dt><dd><a href="/ballots/%d">Election: %s</a></dd>`, b.ID, e.Title),
		"<dt>The vote</dt><dd>For Voter 2</dd>")
	lacks(t, "the receipt check", check, "Ballot Ballot", "Candidates "+cands[1])
}

func TestPages_TheLotNamesTheCandidatesItDrew(t *testing.T) {
	f := newFixture(t)
	e := f.election(2, nil)
	a, b, c := f.stand(e, 0), f.stand(e, 1), f.stand(e, 2)
	bal := f.open(e)
	f.vote(0, bal, a.ID, b.ID)
	f.vote(1, bal, a.ID, c.ID)
	closed, err := f.inst.Server.Ballots.Close(f.ctx, f.chair, bal.ID)
	if err != nil {
		t.Fatal(err)
	}
	lot := closed.Result.Election.Lot
	if lot == nil || len(lot.Drawn) != 1 {
		t.Fatalf("result %+v, want one seat drawn by lot", closed.Result.Election)
	}
	drawn := map[int64]string{b.ID: b.Name, c.ID: c.Name}[lot.Drawn[0]]
	voter := f.Client(f.voters[3])
	record := voter.Get(fmt.Sprintf("/ballots/%d/record", bal.ID))
	wantStatus(t, "the record", record, http.StatusOK)
	has(t, "the record", record, fmt.Sprintf("<dt>Drawn by lot</dt><dd>%s (candidate %d), from the seed", drawn, lot.Drawn[0]))
	lacks(t, "the record", record, "Candidates "+strconv.FormatInt(lot.Drawn[0], 10))
	has(t, "the ballot's page", voter.Get(fmt.Sprintf("/ballots/%d", bal.ID)), "<dt>Drawn by lot</dt><dd>"+drawn+". The last seat was tied")
}

// The ballot page says what is true now: past its closing time the
// ballot waits for the chair, a closed ballot no longer says when voting
// ends, and the chair's heading goes with the chair's last task.
func TestPages_BallotStatusAfterItsClosingTime(t *testing.T) {
	f := newFixture(t)
	e := f.election(1, nil)
	f.stand(e, 0)
	closes := f.inst.Clock.Now().Add(time.Hour)
	b, err := f.svc.OpenBallot(f.ctx, f.chair, e.ID, elections.BallotRequest{ClosesAt: closes.Format(time.RFC3339)})
	if err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/ballots/%d", b.ID)
	voter, chair := f.Client(f.voters[1]), f.Client(f.chair)
	has(t, "the open ballot", voter.Get(page), `data-live="status">Open for voting</span>`, "<dt>Voting ends</dt>",
		"Who fills the 1 seat? Each voter marks at most 1 candidate, or votes blank", "members on the voting list have voted")

	f.inst.Clock.Advance(time.Hour)
	late := voter.Get(page)
	has(t, "the ballot past its closing time", late, `data-live="status">Voting has ended: waiting for the chair to close the ballot</span>`,
		"<dt>Voting ended</dt>", "Voting has ended at the closing time.")
	lacks(t, "the ballot past its closing time", late, "Open for voting", "<dt>Voting ends</dt>", "Cast this vote")
	has(t, "the chair's page past the closing time", chair.Get(page), `<h2 id="chair-title">Chairing the ballot</h2>`, "Close the ballot and count")

	wantStatus(t, "the close", chair.Do(http.MethodPost, page+"/close", url.Values{}), http.StatusSeeOther)
	for who, c := range map[string]*osktest.Client{"a voter": voter, "the chair": chair} {
		done := c.Get(page)
		has(t, who+"'s closed ballot", done, `data-live="status">Closed and decided</span>`, "<dt>Closed</dt>")
		lacks(t, who+"'s closed ballot", done, "Voting ends", "Voting ended", "Chairing the ballot")
	}
	has(t, "a voter's closed ballot", voter.Get(page), "You did not vote before the ballot closed.")
}

func TestPages_OneVoterReadsInTheSingular(t *testing.T) {
	f := newFixture(t)
	for _, p := range f.voters[1:] {
		if err := f.inst.Server.Meetings.Leave(f.ctx, p, f.meeting.ID, nil); err != nil {
			t.Fatal(err)
		}
	}
	e := f.election(1, nil)
	f.stand(e, 0)
	b := f.open(e)
	page := f.Client(f.voters[0]).Get(fmt.Sprintf("/ballots/%d", b.ID))
	has(t, "a ballot of one voter", page, `<span data-live="turnout">0 of 1</span> member on the voting list has voted`)
	lacks(t, "a ballot of one voter", page, "1</span> members")
}

// A decided election's page says who was elected, with the votes, and
// links to the record; a statement a nominator wrote says so.
func TestPages_ADecidedElectionShowsItsResult(t *testing.T) {
	f := newFixture(t)
	e := f.election(1, nil)
	own := f.stand(e, 0)
	nominee, err := f.svc.Nominate(f.ctx, f.voters[1], e.ID, elections.Nomination{MemberID: &f.members[2].ID, Statement: "She has kept our accounts for years."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Consent(f.ctx, f.voters[2], e.ID, nominee.ID); err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/elections/%d", e.ID)
	voter := f.Client(f.voters[3])
	has(t, "the page while nominating", voter.Get(page), "Statement written by Voter 1, who nominated Voter 2:</p><p class=\"pre-line\">She has kept our accounts for years.</p>")
	lacks(t, "the page while nominating", voter.Get(page), "who nominated Voter 0")

	b := f.open(e)
	f.vote(0, b, own.ID)
	f.vote(1, b, own.ID)
	f.vote(3, b, nominee.ID)
	f.closeBallot(b)

	decided := voter.Get(page)
	wantStatus(t, "the decided election", decided, http.StatusOK)
	has(t, "the decided election", decided, "<strong>Elected: Voter 0.</strong>",
		`<tr><th scope="row">Voter 0</th><td>2</td><td>Elected</td></tr>`,
		`<tr><th scope="row">Voter 2</th><td>1</td><td>Not elected</td></tr>`,
		"<dt>Votes cast</dt><dd>3 of 4 on the voting list</dd>",
		fmt.Sprintf(`<a href="/ballots/%d/record">Open the ballot record: every vote, by receipt</a>`, b.ID),
		`<strong>Voter 0</strong> <span class="tag">Elected</span>`, `<strong>Voter 2</strong> <span class="tag">Not elected</span>`)
	lacks(t, "the decided election", decided, `<span class="tag">Consented</span>`)
}
