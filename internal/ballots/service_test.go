package ballots_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/live"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/osktest"
	"github.com/citizen-network/osk/internal/rules"
)

// hall is a meeting in session with members taking part in every way.
type hall struct {
	m                  meetings.Meeting
	chair, alice, bob  auth.Principal
	carol, dave, frank auth.Principal
	grace, henry       auth.Principal
	chairM, aliceM     members.Member
	bobM, orgM, daveM  members.Member
	frankM, graceM     members.Member
	henryM             members.Member
	erin               auth.Principal
	bobProxy           meetings.Proxy
}

// newHall: the chair and Alice present; Bob represented by Alice's proxy;
// an organisation present through Carol, its representative; Dave present
// but suspended since; Erin an applicant; Frank admitted after the record
// date and present; Grace active but away; Henry arrives after the ballot
// opens.
func newHall(f *fixture) *hall {
	f.t.Helper()
	h := &hall{}
	h.chair, h.chairM = f.member("Chair")
	h.alice, h.aliceM = f.member("Alice")
	h.bob, h.bobM = f.member("Bob")
	h.carol = f.person("Carol")
	h.orgM = f.organisation(h.carol, "Osuuskauppa Example")
	h.dave, h.daveM = f.member("Dave")
	h.grace, h.graceM = f.member("Grace")
	h.henry, h.henryM = f.member("Henry")
	h.erin = f.person("Erin")
	f.apply(h.erin, members.KindIndividual, "Erin")
	h.frank = f.person("Frank")
	frankApp := f.apply(h.frank, members.KindIndividual, "Frank")

	h.m = f.convened()
	f.withChair(h.m, h.chair)
	// The record date is the day of convening: Frank joins the day after.
	f.inst.Clock.Advance(24 * time.Hour)
	h.frankM = f.admitMember(frankApp)
	h.bobProxy = f.proxy(h.bob, h.m.ID, h.aliceM.ID)
	h.m = f.open(h.m, h.chair)
	f.attend(h.chair, h.m.ID, nil)
	f.attend(h.alice, h.m.ID, nil)
	f.attend(h.carol, h.m.ID, &h.orgM.ID)
	f.attend(h.dave, h.m.ID, nil)
	f.attend(h.frank, h.m.ID, nil)
	if _, err := f.inst.Server.Members.Suspend(f.ctx, f.board, h.daveM.ID, "Did not answer the board's letters."); err != nil {
		f.t.Fatal(err)
	}
	return h
}

func TestOpen_FreezesTheVotingList(t *testing.T) {
	f := newFixture(t)
	h := newHall(f)
	b := f.openBallot(h.chair, ballots.OpenSpec{MeetingID: h.m.ID, Secret: true})
	if b.Status != ballots.StatusOpen || b.Eligible != 4 || b.Voted != 0 || b.MotionID == nil || b.Result != nil {
		t.Fatalf("opened: %+v", b)
	}
	f.attend(h.henry, h.m.ID, nil)

	rec := map[int64]ballots.Voter{}
	var rows []ballots.Voter
	if err := f.inst.DB.Select(&rows, `SELECT ballot_id, member_id, member_no, voter_account_id, cast_by, proxy_id, voted
		FROM ballot_voters WHERE ballot_id = $1`, b.ID); err != nil {
		t.Fatal(err)
	}
	for _, v := range rows {
		rec[v.MemberID] = v
	}
	want := map[int64]struct {
		account int64
		castBy  string
	}{
		h.chairM.ID: {h.chair.AccountID, ballots.CastBySelf},
		h.aliceM.ID: {h.alice.AccountID, ballots.CastBySelf},
		h.bobM.ID:   {h.alice.AccountID, ballots.CastByProxy},
		h.orgM.ID:   {h.carol.AccountID, ballots.CastByRepresentative},
	}
	if len(rec) != len(want) {
		t.Fatalf("voting list %+v", rows)
	}
	for id, w := range want {
		v, ok := rec[id]
		if !ok || v.VoterAccountID != w.account || v.CastBy != w.castBy || v.Voted {
			t.Errorf("member %d on the list: %+v, want %+v", id, v, w)
		}
	}
	if v := rec[h.bobM.ID]; v.ProxyID == nil || *v.ProxyID != h.bobProxy.ID {
		t.Errorf("Bob's line names proxy %v", v.ProxyID)
	}

	// Henry arrived after the opening and votes in a later ballot only.
	_, err := f.svc.Vote(f.ctx, h.henry, b.ID, ballots.VoteInput{Choice: ballots.ChoiceFor})
	wantKind(t, err, errs.Forbidden)
	later := f.openBallot(h.chair, ballots.OpenSpec{MeetingID: h.m.ID})
	if later.Eligible != 5 {
		t.Fatalf("the later ballot lists %d members", later.Eligible)
	}

	// The voting list is frozen: nobody adds to it, removes from it or
	// changes it, even with SQL.
	for _, stmt := range []string{
		`INSERT INTO ballot_voters (ballot_id, member_id, member_no, voter_account_id, cast_by) VALUES ($1, ` + itoa(h.henryM.ID) + `, ` + itoa(int64(*h.henryM.MemberNo)) + `, ` + itoa(h.henry.AccountID) + `, 'self')`,
		`DELETE FROM ballot_voters WHERE ballot_id = $1`,
		`UPDATE ballot_voters SET voter_account_id = ` + itoa(h.chair.AccountID) + ` WHERE ballot_id = $1`,
		`UPDATE ballots SET majority = 'unanimous' WHERE id = $1`,
		`DELETE FROM ballots WHERE id = $1`,
	} {
		if _, err := f.inst.DB.Exec(stmt, b.ID); err == nil {
			t.Errorf("%s: allowed", stmt)
		}
	}

	opened := f.events(ballotSubject(b.ID))
	if len(opened) != 1 || opened[0].Action != "ballot.opened" || *opened[0].ActorAccountID != h.chair.AccountID {
		t.Fatalf("audit events %+v", opened)
	}
	var payload map[string]any
	if err := json.Unmarshal(opened[0].Payload, &payload); err != nil {
		t.Fatal(err)
	}
	if payload["eligible"] != float64(4) || payload["majority"] != "simple" || payload["secret"] != true || len(payload["voting_list_hash"].(string)) != 64 {
		t.Fatalf("opened payload %v", payload)
	}
	evs, err := live.Since(f.ctx, f.inst.DB, meetings.Topic(h.m.ID), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range evs {
		var data ballots.Event
		if e.Name == "ballot" && json.Unmarshal(e.Data, &data) == nil && data.BallotID == b.ID && data.Change == "opened" && data.Eligible == 4 {
			found = true
		}
	}
	if !found {
		t.Fatal("no live event for the opening")
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestOpen_RefusesWhoAndWhen(t *testing.T) {
	f := newFixture(t)
	chair, chairM := f.member("Chair")
	other, _ := f.member("Other")
	m := f.convenedWith(&meetings.QuorumRule{MinMembers: 2})
	f.withChair(m, chair)

	_, err := f.tryOpen(chair, ballots.OpenSpec{MeetingID: m.ID})
	wantKind(t, err, errs.Conflict)
	_, err = f.tryOpen(f.board, ballots.OpenSpec{MeetingID: m.ID, Electorate: ballots.ElectorateAllMembers, ClosesAt: ptr(m.StartsAt.Add(time.Hour))})
	wantKind(t, err, errs.Conflict)

	m = f.open(m, chair)
	f.attend(chair, m.ID, &chairM.ID)
	_, err = f.tryOpen(other, ballots.OpenSpec{MeetingID: m.ID})
	wantKind(t, err, errs.Forbidden)
	_, err = f.tryOpen(f.board, ballots.OpenSpec{MeetingID: m.ID})
	wantKind(t, err, errs.Forbidden)
	_, err = f.tryOpen(auth.Principal{}, ballots.OpenSpec{MeetingID: m.ID})
	wantKind(t, err, errs.Unauthenticated)
	_, err = f.tryOpen(chair, ballots.OpenSpec{MeetingID: m.ID, Majority: "most"})
	wantFields(t, err, "majority")
	_, err = f.tryOpen(chair, ballots.OpenSpec{MeetingID: m.ID, Kind: ballots.KindElection, CandidateIDs: []int64{1, 1}})
	wantFields(t, err, "seats", "candidate_ids")
	_, err = f.tryOpen(chair, ballots.OpenSpec{MeetingID: m.ID, ClosesAt: ptr(f.now().Add(-time.Minute))})
	wantFields(t, err, "closes_at")

	// Not quorate: the quorum asks for two members and one is present.
	_, err = f.tryOpen(chair, ballots.OpenSpec{MeetingID: m.ID})
	wantKind(t, err, errs.Conflict)
	f.attend(other, m.ID, nil)

	b := f.openBallot(chair, ballots.OpenSpec{MeetingID: m.ID, SubjectID: 77})
	_, err = f.tryOpen(chair, ballots.OpenSpec{MeetingID: m.ID, SubjectID: 77})
	wantKind(t, err, errs.Conflict)
	f.close(chair, b.ID)
	if n := f.count(`SELECT count(*) FROM ballots`); n != 1 {
		t.Fatalf("%d ballots", n)
	}
}

func TestOpen_AdvanceVotingByTheBoard(t *testing.T) {
	f := newFixture(t)
	chair, _ := f.member("Chair")
	alice, aliceM := f.member("Alice")
	_, _ = f.member("Bob")
	m := f.convened()
	f.withChair(m, chair)

	during := m.StartsAt.Add(time.Hour)
	_, err := f.tryOpen(f.board, ballots.OpenSpec{MeetingID: m.ID, Electorate: ballots.ElectorateAllMembers, ClosesAt: &during})
	wantKind(t, err, errs.Conflict)
	f.setRules(func(r *rules.Rules) { r.AdvanceVoting = true })

	_, err = f.tryOpen(chair, ballots.OpenSpec{MeetingID: m.ID, Electorate: ballots.ElectorateAllMembers, ClosesAt: &during})
	wantKind(t, err, errs.Forbidden)
	_, err = f.tryOpen(f.board, ballots.OpenSpec{MeetingID: m.ID, Electorate: ballots.ElectorateAllMembers})
	wantFields(t, err, "closes_at")
	_, err = f.tryOpen(f.board, ballots.OpenSpec{MeetingID: m.ID, Electorate: ballots.ElectorateAllMembers, ClosesAt: ptr(m.EndsAt.Add(time.Minute))})
	wantFields(t, err, "closes_at")

	b := f.openBallot(f.board, ballots.OpenSpec{MeetingID: m.ID, Electorate: ballots.ElectorateAllMembers, ClosesAt: &during, Secret: true})
	if b.Eligible != 3 || b.Electorate != ballots.ElectorateAllMembers {
		t.Fatalf("advance ballot %+v", b)
	}
	// A member votes before the session, from anywhere.
	f.vote(alice, b.ID, ballots.ChoiceFor, nil)
	_, err = f.svc.Vote(f.ctx, alice, b.ID, ballots.VoteInput{Choice: ballots.ChoiceAgainst, OnBehalfOf: &aliceM.ID})
	wantKind(t, err, errs.Conflict)

	// Not before the session does the chair close it.
	_, err = f.svc.Close(f.ctx, chair, b.ID)
	wantKind(t, err, errs.Conflict)

	// Voting ends at the closing time; the chair closes in the session.
	m = f.open(m, chair)
	f.inst.Clock.Set(during)
	_, err = f.svc.Vote(f.ctx, chair, b.ID, ballots.VoteInput{Choice: ballots.ChoiceAgainst})
	wantKind(t, err, errs.Conflict)
	_, err = f.svc.Close(f.ctx, f.board, b.ID)
	wantKind(t, err, errs.Forbidden)
	closed := f.close(chair, b.ID)
	if closed.Result == nil || closed.Result.For != 1 || closed.Result.Outcome != ballots.OutcomeCarried || closed.Result.Eligible != 3 {
		t.Fatalf("closed %+v", closed.Result)
	}
}

// An advance ballot of a meeting cancelled before its session takes no
// more votes, and nobody can close it into a decision.
func TestOpen_AdvanceBallotOfACancelledMeeting(t *testing.T) {
	f := newFixture(t)
	chair, _ := f.member("Chair")
	alice, _ := f.member("Alice")
	bob, _ := f.member("Bob")
	m := f.convened()
	f.withChair(m, chair)
	f.setRules(func(r *rules.Rules) { r.AdvanceVoting = true })
	during := m.StartsAt.Add(time.Hour)
	b := f.openBallot(f.board, ballots.OpenSpec{MeetingID: m.ID, Electorate: ballots.ElectorateAllMembers, ClosesAt: &during, Secret: true})
	f.vote(alice, b.ID, ballots.ChoiceFor, nil)
	if _, err := f.inst.Server.Meetings.Cancel(f.ctx, f.board, m.ID, "The venue burned down."); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.Vote(f.ctx, bob, b.ID, ballots.VoteInput{Choice: ballots.ChoiceFor})
	wantKind(t, err, errs.Conflict)
	_, err = f.svc.Close(f.ctx, chair, b.ID)
	wantKind(t, err, errs.Conflict)
	if n := f.count(`SELECT count(*) FROM ballot_votes WHERE ballot_id = $1`, b.ID); n != 1 {
		t.Fatalf("%d votes after the cancellation, want the 1 before", n)
	}
}

func TestVote_OneMemberOneVote(t *testing.T) {
	f := newFixture(t)
	h := newHall(f)
	b := f.openBallot(h.chair, ballots.OpenSpec{MeetingID: h.m.ID, Secret: true})

	// Alice casts her own vote and, as proxy holder, Bob's; she must say
	// whose vote each is once she holds two.
	own := f.vote(h.alice, b.ID, ballots.ChoiceFor, nil)
	if own.MemberID != h.aliceM.ID || len(own.Receipt) != 26 {
		t.Fatalf("own vote %+v", own)
	}
	f.vote(h.alice, b.ID, ballots.ChoiceAgainst, &h.bobM.ID)
	var proxyUsed *int64
	if err := f.inst.DB.Get(&proxyUsed, `SELECT used_in_ballot FROM meeting_proxies WHERE id = $1`, h.bobProxy.ID); err != nil {
		t.Fatal(err)
	}
	if proxyUsed == nil || *proxyUsed != b.ID {
		t.Fatalf("the proxy was not marked as used: %v", proxyUsed)
	}
	// Carol votes for the organisation she represents.
	f.vote(h.carol, b.ID, ballots.ChoiceAbstain, nil)

	votes := f.count(`SELECT count(*) FROM ballot_votes WHERE ballot_id = $1`, b.ID)
	events := len(f.events(ballotSubject(b.ID)))
	refusals := []struct {
		name string
		who  auth.Principal
		in   ballots.VoteInput
		kind error
	}{
		{"a second vote of one's own", h.alice, ballots.VoteInput{Choice: ballots.ChoiceAgainst, OnBehalfOf: &h.aliceM.ID}, errs.Conflict},
		{"a second vote by proxy", h.alice, ballots.VoteInput{Choice: ballots.ChoiceFor, OnBehalfOf: &h.bobM.ID}, errs.Conflict},
		{"the member themself after the proxy holder", h.bob, ballots.VoteInput{Choice: ballots.ChoiceFor}, errs.Forbidden},
		{"the member themself, naming themself", h.bob, ballots.VoteInput{Choice: ballots.ChoiceFor, OnBehalfOf: &h.bobM.ID}, errs.Forbidden},
		{"the organisation a second time", h.carol, ballots.VoteInput{Choice: ballots.ChoiceFor, OnBehalfOf: &h.orgM.ID}, errs.Conflict},
		{"someone else's vote", h.chair, ballots.VoteInput{Choice: ballots.ChoiceFor, OnBehalfOf: &h.aliceM.ID}, errs.Forbidden},
		// Those who may not see the ballot are told there is none, as
		// when they read it.
		{"a non-member", f.person("Outsider"), ballots.VoteInput{Choice: ballots.ChoiceFor}, errs.NotFound},
		{"an applicant", h.erin, ballots.VoteInput{Choice: ballots.ChoiceFor}, errs.NotFound},
		{"a suspended member", h.dave, ballots.VoteInput{Choice: ballots.ChoiceFor}, errs.NotFound},
		{"a member admitted after the record date", h.frank, ballots.VoteInput{Choice: ballots.ChoiceFor}, errs.Forbidden},
		{"a member not represented", h.grace, ballots.VoteInput{Choice: ballots.ChoiceFor}, errs.Forbidden},
		{"nobody", auth.Principal{}, ballots.VoteInput{Choice: ballots.ChoiceFor}, errs.Unauthenticated},
		{"a choice that is none", h.chair, ballots.VoteInput{Choice: "maybe"}, errs.Invalid},
		{"candidates on a motion", h.chair, ballots.VoteInput{Choice: ballots.ChoiceFor, Candidates: []int64{1}}, errs.Invalid},
	}
	for _, r := range refusals {
		_, err := f.svc.Vote(f.ctx, r.who, b.ID, r.in)
		if !errors.Is(err, r.kind) {
			t.Errorf("%s: %v, want %v", r.name, err, r.kind)
		}
	}
	_, err := f.svc.Vote(f.ctx, h.chair, b.ID+100, ballots.VoteInput{Choice: ballots.ChoiceFor})
	wantKind(t, err, errs.NotFound)
	if n := f.count(`SELECT count(*) FROM ballot_votes WHERE ballot_id = $1`, b.ID); n != votes {
		t.Fatalf("%d votes after the refusals, %d before", n, votes)
	}
	if n := len(f.events(ballotSubject(b.ID))); n != events {
		t.Fatalf("%d audit events after the refusals, %d before", n, events)
	}
	got, err := f.svc.GetAs(f.ctx, h.chair, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Voted != 3 || got.Eligible != 4 {
		t.Fatalf("turnout %d of %d", got.Voted, got.Eligible)
	}
	// A proxy used in a ballot stands.
	if _, err := f.inst.Server.Meetings.WithdrawProxy(f.ctx, h.bob, h.m.ID, nil); err == nil {
		t.Fatal("a used proxy was withdrawn")
	}
}

func TestVote_IdempotencyKey(t *testing.T) {
	f := newFixture(t)
	h := newHall(f)
	b := f.openBallot(h.chair, ballots.OpenSpec{MeetingID: h.m.ID, Secret: true})

	first, err := f.svc.Vote(f.ctx, h.alice, b.ID, ballots.VoteInput{Choice: ballots.ChoiceFor, OnBehalfOf: &h.aliceM.ID, IdempotencyKey: "k-1"})
	if err != nil || first.Receipt == "" || first.Replayed {
		t.Fatalf("first: %+v %v", first, err)
	}
	again, err := f.svc.Vote(f.ctx, h.alice, b.ID, ballots.VoteInput{Choice: ballots.ChoiceFor, OnBehalfOf: &h.aliceM.ID, IdempotencyKey: "k-1"})
	if err != nil || !again.Replayed || again.Receipt != "" {
		t.Fatalf("retry: %+v %v", again, err)
	}
	// The choice is not compared: nothing derived from it is kept.
	changed, err := f.svc.Vote(f.ctx, h.alice, b.ID, ballots.VoteInput{Choice: ballots.ChoiceAgainst, OnBehalfOf: &h.aliceM.ID, IdempotencyKey: "k-1"})
	if err != nil || !changed.Replayed {
		t.Fatalf("retry with another choice: %+v %v", changed, err)
	}
	// The same key for another member's vote is a mistake.
	_, err = f.svc.Vote(f.ctx, h.alice, b.ID, ballots.VoteInput{Choice: ballots.ChoiceFor, OnBehalfOf: &h.bobM.ID, IdempotencyKey: "k-1"})
	wantFields(t, err, "Idempotency-Key")
	// Without the key, or with another, a second vote is refused.
	_, err = f.svc.Vote(f.ctx, h.alice, b.ID, ballots.VoteInput{Choice: ballots.ChoiceFor, OnBehalfOf: &h.aliceM.ID, IdempotencyKey: "k-2"})
	wantKind(t, err, errs.Conflict)
	_, err = f.svc.Vote(f.ctx, h.alice, b.ID, ballots.VoteInput{Choice: ballots.ChoiceFor, OnBehalfOf: &h.aliceM.ID, IdempotencyKey: "bad key"})
	wantFields(t, err, "Idempotency-Key")
	if n := f.count(`SELECT count(*) FROM ballot_votes WHERE ballot_id = $1`, b.ID); n != 1 {
		t.Fatalf("%d votes", n)
	}

	// Through the API: 201 with the receipt, then 200 "recorded".
	c := f.tokenClient(f.inst, h.carol)
	send := func(key string) *osktest.Response {
		req, err := http.NewRequest(http.MethodPost, f.inst.URL+"/api/v1/ballots/"+itoa(b.ID)+"/votes", strings.NewReader(`{"choice":"against"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+c.Token)
		req.Header.Set("Idempotency-Key", key)
		return c.Send(req)
	}
	r1 := send("org-vote")
	if r1.StatusCode != 201 {
		t.Fatalf("first: %d %s", r1.StatusCode, r1.Body)
	}
	var cast struct {
		Receipt string    `json:"receipt"`
		CastAt  time.Time `json:"cast_at"`
	}
	r1.JSON(t, &cast)
	if len(cast.Receipt) != 26 || cast.CastAt.IsZero() {
		t.Fatalf("first: %s", r1.Body)
	}
	r2 := send("org-vote")
	var recorded struct {
		Recorded bool    `json:"recorded"`
		Receipt  *string `json:"receipt"`
		Detail   string  `json:"detail"`
	}
	r2.JSON(t, &recorded)
	if r2.StatusCode != 200 || !recorded.Recorded || recorded.Receipt != nil || recorded.Detail == "" {
		t.Fatalf("retry: %d %s", r2.StatusCode, r2.Body)
	}
	if r3 := send("another"); r3.StatusCode != 409 {
		t.Fatalf("new key: %d %s", r3.StatusCode, r3.Body)
	}

	// A retry whose first answer was lost is told the vote is recorded
	// even once the ballot is closed: "no longer taken" would make the
	// voter believe it was lost.
	f.close(h.chair, b.ID)
	after, err := f.svc.Vote(f.ctx, h.alice, b.ID, ballots.VoteInput{Choice: ballots.ChoiceFor, OnBehalfOf: &h.aliceM.ID, IdempotencyKey: "k-1"})
	if err != nil || !after.Replayed {
		t.Fatalf("retry after the close: %+v %v", after, err)
	}
	if r4 := send("org-vote"); r4.StatusCode != 200 {
		t.Fatalf("API retry after the close: %d %s", r4.StatusCode, r4.Body)
	}
	if r5 := send("late"); r5.StatusCode != 409 || !strings.Contains(string(r5.Body), "The ballot is closed") {
		t.Fatalf("a new vote after the close: %d %s", r5.StatusCode, r5.Body)
	}
}

func TestClose_CountsAndDecides(t *testing.T) {
	f := newFixture(t)
	h := newHall(f)
	b := f.openBallot(h.chair, ballots.OpenSpec{MeetingID: h.m.ID, Majority: ballots.MajorityTwoThirds})
	r1 := f.vote(h.alice, b.ID, ballots.ChoiceFor, &h.aliceM.ID)
	r2 := f.vote(h.alice, b.ID, ballots.ChoiceFor, &h.bobM.ID)
	r3 := f.vote(h.chair, b.ID, ballots.ChoiceAgainst, nil)
	r4 := f.vote(h.carol, b.ID, ballots.ChoiceAbstain, nil)

	_, err := f.svc.Close(f.ctx, h.alice, b.ID)
	wantKind(t, err, errs.Forbidden)
	closed := f.close(h.chair, b.ID)
	res := closed.Result
	if closed.Status != ballots.StatusClosed || res == nil || res.For != 2 || res.Against != 1 || res.Abstain != 1 || res.Cast != 3 ||
		res.Voted != 4 || res.Eligible != 4 || !res.QuorumMet || res.Outcome != ballots.OutcomeCarried || res.Majority != ballots.MajorityTwoThirds ||
		res.TieBrokenByChair || closed.RecordHash == nil || closed.DecidedAt == nil {
		t.Fatalf("closed: %+v %+v", closed, res)
	}
	if got, ok := f.decidedResult(b.ID); !ok || got.Outcome != ballots.OutcomeCarried {
		t.Fatalf("the motion was told %+v %v", got, ok)
	}
	_, err = f.svc.Close(f.ctx, h.chair, b.ID)
	wantKind(t, err, errs.Conflict)
	_, err = f.svc.Vote(f.ctx, h.carol, b.ID, ballots.VoteInput{Choice: ballots.ChoiceFor})
	wantKind(t, err, errs.Conflict)

	rec, err := f.svc.RecordAs(f.ctx, h.alice, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Votes) != 4 || len(rec.Voters) != 4 || rec.RecordHash != *closed.RecordHash || rec.Eligible != nil {
		t.Fatalf("record %+v", rec)
	}
	sum, err := rec.Hash()
	if err != nil || hexOf(sum) != rec.RecordHash {
		t.Fatalf("record hash %x, stored %s", sum, rec.RecordHash)
	}
	// An open ballot's record says who voted how.
	byReceipt := map[string]ballots.RecordVote{}
	for _, v := range rec.Votes {
		byReceipt[v.ReceiptHash] = v
	}
	for receipt, want := range map[string]struct {
		choice string
		no     int
	}{r1.Receipt: {"for", *h.aliceM.MemberNo}, r2.Receipt: {"for", *h.bobM.MemberNo}, r3.Receipt: {"against", *h.chairM.MemberNo}, r4.Receipt: {"abstain", *h.orgM.MemberNo}} {
		v, ok := byReceipt[hexOf(ballots.ReceiptHash(receipt))]
		if !ok || v.Choice != want.choice || v.MemberNo != want.no {
			t.Errorf("receipt %s: %+v, want %+v", receipt, v, want)
		}
	}
	// The chain head printed on the record is the audit event that
	// carries its hash.
	es, err := audit.List(f.ctx, f.inst.DB, audit.Filter{AfterSeq: rec.ChainHead.Seq - 1, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	var payload struct {
		RecordHash string `json:"record_hash"`
		Outcome    string `json:"outcome"`
	}
	if err := json.Unmarshal(es[0].Payload, &payload); err != nil {
		t.Fatal(err)
	}
	if es[0].Action != "ballot.closed" || es[0].Hash.String() != rec.ChainHead.Hash || payload.RecordHash != rec.RecordHash || payload.Outcome != "carried" {
		t.Fatalf("chain head %+v %+v", es[0], payload)
	}
	auditorRec, err := f.svc.RecordAs(f.ctx, f.auditor, b.ID)
	if err != nil || len(auditorRec.Eligible) != 4 {
		t.Fatalf("auditor's record: %+v %v", auditorRec.Eligible, err)
	}

	// Votes and the voting list of a closed ballot never change.
	for _, stmt := range []string{
		`UPDATE ballot_votes SET choice = 'against' WHERE ballot_id = $1`,
		`DELETE FROM ballot_votes WHERE ballot_id = $1`,
		`INSERT INTO ballot_votes (receipt_hash, ballot_id, choice, member_id, cast_by_account_id) VALUES (decode(repeat('ab', 32), 'hex'), $1, 'for', ` + itoa(h.aliceM.ID) + `, ` + itoa(h.alice.AccountID) + `)`,
		`UPDATE ballot_voters SET voted = true WHERE ballot_id = $1`,
		`UPDATE ballots SET result = '{}' WHERE id = $1`,
		`UPDATE ballots SET status = 'open', closed_at = NULL WHERE id = $1`,
	} {
		if _, err := f.inst.DB.Exec(stmt, b.ID); err == nil {
			t.Errorf("%s: allowed", stmt)
		}
	}
}

func TestClose_TieUnderSimpleMajorityWaitsForTheCastingVote(t *testing.T) {
	f := newFixture(t)
	h := newHall(f)
	b := f.openBallot(h.chair, ballots.OpenSpec{MeetingID: h.m.ID, Secret: true})
	f.vote(h.alice, b.ID, ballots.ChoiceFor, &h.aliceM.ID)
	f.vote(h.alice, b.ID, ballots.ChoiceAgainst, &h.bobM.ID)
	f.vote(h.carol, b.ID, ballots.ChoiceAbstain, nil)

	_, err := f.svc.CastingVote(f.ctx, h.chair, b.ID, ballots.ChoiceFor)
	wantKind(t, err, errs.Conflict)
	closed := f.close(h.chair, b.ID)
	if !closed.AwaitingCastingVote() || closed.Decided() || closed.Result.Outcome != "" || closed.RecordHash != nil {
		t.Fatalf("tie: %+v %+v", closed, closed.Result)
	}
	if _, ok := f.decidedResult(b.ID); ok {
		t.Fatal("the motion was decided before the casting vote")
	}
	_, err = f.svc.RecordAs(f.ctx, h.alice, b.ID)
	wantKind(t, err, errs.Conflict)
	_, err = f.svc.CastingVote(f.ctx, h.alice, b.ID, ballots.ChoiceFor)
	wantKind(t, err, errs.Forbidden)
	_, err = f.svc.CastingVote(f.ctx, h.chair, b.ID, ballots.ChoiceAbstain)
	wantFields(t, err, "choice")

	decided, err := f.svc.CastingVote(f.ctx, h.chair, b.ID, ballots.ChoiceAgainst)
	if err != nil {
		t.Fatal(err)
	}
	r := decided.Result
	if r.Outcome != ballots.OutcomeFailed || !r.TieBrokenByChair || r.CastingVote == nil || *r.CastingVote != "against" || !decided.Decided() {
		t.Fatalf("decided: %+v", r)
	}
	if got, ok := f.decidedResult(b.ID); !ok || got.Outcome != ballots.OutcomeFailed {
		t.Fatalf("the motion was told %+v", got)
	}
	_, err = f.svc.CastingVote(f.ctx, h.chair, b.ID, ballots.ChoiceFor)
	wantKind(t, err, errs.Conflict)
	rec, err := f.svc.RecordAs(f.ctx, h.alice, b.ID)
	if err != nil || !rec.Result.TieBrokenByChair || rec.RecordHash != *decided.RecordHash {
		t.Fatalf("record %+v %v", rec.Result, err)
	}
	actions := []string{}
	for _, e := range f.events(ballotSubject(b.ID)) {
		actions = append(actions, e.Action)
	}
	if got := join(actions); got != "ballot.opened ballot.voted ballot.voted ballot.voted ballot.closed ballot.decided" {
		t.Fatalf("audit trail: %s", got)
	}
}

func TestClose_BallotQuorumOfTheRules(t *testing.T) {
	f := newFixture(t)
	h := newHall(f)
	f.setRules(func(r *rules.Rules) { r.BallotMinVotes = 3 })
	b := f.openBallot(h.chair, ballots.OpenSpec{MeetingID: h.m.ID})
	// A change of rules after the opening does not change the ballot.
	f.setRules(func(r *rules.Rules) { r.BallotMinVotes = 1 })
	f.vote(h.alice, b.ID, ballots.ChoiceFor, &h.aliceM.ID)
	f.vote(h.alice, b.ID, ballots.ChoiceFor, &h.bobM.ID)
	f.vote(h.carol, b.ID, ballots.ChoiceAbstain, nil)
	closed := f.close(h.chair, b.ID)
	if r := closed.Result; r.Outcome != ballots.OutcomeNoQuorum || r.QuorumMet || r.QuorumRequired != 3 || r.Cast != 2 {
		t.Fatalf("result %+v", r)
	}
	if got, _ := f.decidedResult(b.ID); got.Outcome != ballots.OutcomeNoQuorum {
		t.Fatalf("the motion was told %+v", got)
	}
}

func TestClose_AFailingHookUndoesTheClose(t *testing.T) {
	f := newFixture(t)
	h := newHall(f)
	b := f.openBallot(h.chair, ballots.OpenSpec{MeetingID: h.m.ID})
	f.vote(h.alice, b.ID, ballots.ChoiceFor, &h.aliceM.ID)
	f.svc.OnDecided(ballots.KindMotion, func(context.Context, *sqlx.Tx, ballots.Ballot, ballots.Result) error {
		return errs.Wrap(errs.Conflict, "The motion cannot take this outcome.")
	})
	before := f.count(`SELECT count(*) FROM audit_events`)
	_, err := f.svc.Close(f.ctx, h.chair, b.ID)
	wantKind(t, err, errs.Conflict)
	got, err := f.svc.Get(f.ctx, b.ID)
	if err != nil || got.Status != ballots.StatusOpen || got.Voted != 1 {
		t.Fatalf("after a failed close: %+v %v", got, err)
	}
	if after := f.count(`SELECT count(*) FROM audit_events`); after != before {
		t.Fatalf("%d audit events, %d before", after, before)
	}
	// The votes are still there, and still count.
	f.hook(f.inst)
	if closed := f.close(h.chair, b.ID); closed.Result.For != 1 {
		t.Fatalf("closed %+v", closed.Result)
	}
}

func TestGet_WhoSeesABallot(t *testing.T) {
	f := newFixture(t)
	h := newHall(f)
	b := f.openBallot(h.chair, ballots.OpenSpec{MeetingID: h.m.ID})
	for name, p := range map[string]auth.Principal{"member": h.grace, "board": f.board, "auditor": f.auditor, "chair": h.chair, "representative": h.carol} {
		if _, err := f.svc.GetAs(f.ctx, p, b.ID); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, p := range map[string]auth.Principal{"outsider": f.person("Outsider"), "admin": f.admin, "applicant": h.erin, "suspended": h.dave} {
		_, err := f.svc.GetAs(f.ctx, p, b.ID)
		if !errors.Is(err, errs.NotFound) {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, err := f.svc.GetAs(f.ctx, auth.Principal{}, b.ID)
	wantKind(t, err, errs.Unauthenticated)
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(out)
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}

// The voting list is frozen at the opening, but a vote is cast later: a
// member suspended since has no vote to cast, by themself or by proxy, a
// representative the organisation has replaced casts its vote no more
// (the new one does: TestVote_ANewRepresentativeCastsTheOrganisationsVotes),
// and an auditor votes for no one, even on a line frozen before they
// became one. Who may no longer see the ballot is told there is none, as
// when they read it; the others are told why. Nothing is marked or stored
// for a refused vote; the others still vote.
func TestVote_OnlyWhileTheVoteStillStands(t *testing.T) {
	f := newFixture(t)
	h := newHall(f)
	f.attend(h.grace, h.m.ID, nil)
	b := f.openBallot(h.chair, ballots.OpenSpec{MeetingID: h.m.ID, Secret: true})
	register := f.inst.Server.Members

	if _, err := register.Suspend(f.ctx, f.board, h.bobM.ID, "Did not pay."); err != nil {
		t.Fatal(err)
	}
	successor := f.person("Successor")
	if _, err := register.ChangeRepresentative(f.ctx, f.board, h.orgM.ID, members.Representative{Email: successor.Email}); err != nil {
		t.Fatal(err)
	}
	if _, err := register.Resign(f.ctx, h.grace, h.graceM.ID, members.Resignation{}); err != nil {
		t.Fatal(err)
	}
	if err := f.inst.Server.Auth.Grant(f.ctx, auth.Operator, h.grace.AccountID, auth.RoleAuditor); err != nil {
		t.Fatal(err)
	}
	grace, err := f.inst.Server.Auth.Principal(f.ctx, h.grace.AccountID)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		who  auth.Principal
		in   ballots.VoteInput
		kind error
		want string
	}{
		{"a member suspended since the opening, by proxy", h.alice, ballots.VoteInput{Choice: ballots.ChoiceFor, OnBehalfOf: &h.bobM.ID}, errs.Forbidden, "membership is suspended"},
		{"a member suspended since the opening, themself", h.bob, ballots.VoteInput{Choice: ballots.ChoiceFor}, errs.NotFound, "no such ballot"},
		{"a representative replaced since", h.carol, ballots.VoteInput{Choice: ballots.ChoiceFor}, errs.NotFound, "no such ballot"},
		{"an auditor on a line frozen before", grace, ballots.VoteInput{Choice: ballots.ChoiceFor}, errs.Forbidden, "auditor"},
	} {
		_, err := f.svc.Vote(f.ctx, tc.who, b.ID, tc.in)
		wantKind(t, err, tc.kind)
		if !strings.Contains(errs.Message(err), tc.want) {
			t.Errorf("%s: %q, want it to say %q", tc.name, errs.Message(err), tc.want)
		}
	}
	if n := f.count(`SELECT count(*) FROM ballot_votes WHERE ballot_id = $1`, b.ID); n != 0 {
		t.Fatalf("%d votes stored for refused voters", n)
	}
	if n := f.count(`SELECT count(*) FROM ballot_voters WHERE ballot_id = $1 AND voted`, b.ID); n != 0 {
		t.Fatalf("%d lines marked as voted for refused voters", n)
	}
	f.vote(h.chair, b.ID, ballots.ChoiceFor, nil)
}

// An organisation votes through its representative of the moment: when
// the board replaces the representative while a ballot is open, the new
// one casts the organisation's vote and those of the members whose proxy
// it holds, the former one none of them, and a line already voted keeps
// who cast it. Only the hand-over may change a line's account.
func TestVote_ANewRepresentativeCastsTheOrganisationsVotes(t *testing.T) {
	f := newFixture(t)
	h := newHall(f)
	f.proxy(h.grace, h.m.ID, h.orgM.ID)
	f.proxy(h.henry, h.m.ID, h.orgM.ID)
	b := f.openBallot(h.chair, ballots.OpenSpec{MeetingID: h.m.ID})
	f.vote(h.carol, b.ID, ballots.ChoiceAgainst, &h.graceM.ID)

	successor := f.person("Successor")
	if _, err := f.inst.Server.Members.ChangeRepresentative(f.ctx, f.board, h.orgM.ID, members.Representative{Email: successor.Email}); err != nil {
		t.Fatal(err)
	}
	for _, m := range []int64{h.orgM.ID, h.henryM.ID} {
		_, err := f.svc.Vote(f.ctx, h.carol, b.ID, ballots.VoteInput{Choice: ballots.ChoiceFor, OnBehalfOf: &m})
		wantKind(t, err, errs.Forbidden)
	}
	if _, err := f.inst.DB.Exec(`UPDATE ballot_voters SET voter_account_id = $3 WHERE ballot_id = $1 AND member_id = $2`,
		b.ID, h.orgM.ID, h.alice.AccountID); err == nil || !strings.Contains(err.Error(), "passes only to the organisation's representative") {
		t.Fatalf("a line passed to an account that does not represent the organisation: %v", err)
	}
	f.vote(successor, b.ID, ballots.ChoiceFor, &h.orgM.ID)
	f.vote(successor, b.ID, ballots.ChoiceFor, &h.henryM.ID)

	cast := map[int64]int64{}
	rows, err := f.inst.DB.Query(`SELECT member_id, cast_by_account_id FROM ballot_votes WHERE ballot_id = $1`, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var member, account int64
		if err := rows.Scan(&member, &account); err != nil {
			t.Fatal(err)
		}
		cast[member] = account
	}
	if cast[h.graceM.ID] != h.carol.AccountID || cast[h.orgM.ID] != successor.AccountID || cast[h.henryM.ID] != successor.AccountID {
		t.Fatalf("votes cast by: %v (Carol %d, successor %d)", cast, h.carol.AccountID, successor.AccountID)
	}
	if closed := f.close(h.chair, b.ID); closed.Result.For != 2 || closed.Result.Against != 1 {
		t.Fatalf("result: %+v", closed.Result)
	}
	if r := f.verify(); len(r.Problems) != 0 {
		t.Fatalf("verification after a hand-over: %+v", r.Problems)
	}
}
