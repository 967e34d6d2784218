package auditor_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auditor"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/elections"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/minutes"
	"github.com/citizen-network/osk/internal/motions"
	"github.com/citizen-network/osk/internal/osktest"
	"github.com/citizen-network/osk/internal/server"
)

// record is a running Osk holding the record of a held general meeting,
// made through the services as a co-op would make it: members, one an
// organisation voting through its representative and one voting by proxy;
// four closed ballots (a secret and an open motion, a secret and an open
// election); sealed minutes with a returned version and a signature on
// it, and a sealed addendum. A second meeting, held while the first was
// being prepared, has a ballot and sealed minutes of its own, so that the
// events of the two meetings interleave in the log.
//
// The first meeting's motions and elections also take every other course
// the record must verify as it is: an amendment that carries (a fifth
// ballot) and makes the motion's second version, one that nobody seconds
// and that falls, a motion withdrawn with a seconded amendment to it, a
// motion never put to a vote; a candidate nominated by another member who
// consents, one who never does, and an election with a closing time for
// nominations that is never put to the vote.
type record struct {
	t       testing.TB
	ctx     context.Context
	inst    *osktest.Instance
	board   auth.Principal
	auditor auth.Principal
	// meeting is the first meeting, other the second.
	meeting, other meetings.Meeting
	ballots        []ballots.Ballot
	n              int
}

type voter struct {
	p auth.Principal
	m members.Member
}

func newRecord(t testing.TB) *record {
	t.Helper()
	r := &record{t: t, ctx: context.Background(), inst: osktest.Start(t, osktest.Options{})}
	r.board = r.person("Board Member", auth.RoleBoard)
	r.auditor = r.person("Auditor", auth.RoleAuditor)
	chair := r.member("Chair Person")
	secretary := r.member("Secretary Person")
	checker1 := r.member("First Checker")
	checker2 := r.member("Second Checker")
	var voters []voter
	for _, name := range []string{"Aino", "Eero", "Helmi", "Ilmari", "Kaisa", "Lauri"} {
		voters = append(voters, r.member(name))
	}
	rep := r.person("Org Representative")
	org := r.admit(r.apply(rep, members.KindOrganisation, "Osuuskauppa Esimerkki"))
	grantor := r.member("Proxy Grantor")

	ms := r.inst.Server.Meetings
	m := r.convene("Extraordinary general meeting on energy", chair, secretary, checker1, checker2)
	// The proxy holder is Aino, who attends.
	if _, err := ms.GrantProxy(r.ctx, grantor.p, m.ID, meetings.ProxyInput{HolderMemberID: voters[0].m.ID}); err != nil {
		t.Fatal(err)
	}
	el := r.inst.Server.Elections
	board, err := el.Create(r.ctx, r.board, m.ID, elections.NewElection{Title: "Members of the board", Seats: 2})
	if err != nil {
		t.Fatal(err)
	}
	auditors, err := el.Create(r.ctx, r.board, m.ID, elections.NewElection{Title: "Auditor", Seats: 1})
	if err != nil {
		t.Fatal(err)
	}
	stand := func(e elections.Election, v voter) int64 {
		c, err := el.Nominate(r.ctx, v.p, e.ID, elections.Nomination{Statement: "I stand for " + e.Title + "."})
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	boardCands := []int64{stand(board, voters[1]), stand(board, voters[2]), stand(board, voters[3])}
	nominee, err := el.Nominate(r.ctx, voters[0].p, board.ID, elections.Nomination{MemberID: &voters[5].m.ID})
	if err != nil {
		t.Fatal(err)
	}
	r.must(el.Consent(r.ctx, voters[5].p, board.ID, nominee.ID))
	r.must(el.Nominate(r.ctx, voters[1].p, board.ID, elections.Nomination{MemberID: &voters[4].m.ID}))
	firm, err := el.Nominate(r.ctx, r.board, auditors.ID, elections.Nomination{Name: "Tilintarkastus Oy"})
	if err != nil {
		t.Fatal(err)
	}
	auditorCands := []int64{firm.ID, stand(auditors, voters[4])}
	closeAt := r.inst.Clock.Now().Add(5*24*time.Hour + 123456789)
	committee, err := el.Create(r.ctx, r.board, m.ID, elections.NewElection{Title: "Nomination committee", Seats: 3, NominationsCloseAt: &closeAt})
	if err != nil {
		t.Fatal(err)
	}
	stand(committee, voters[2])
	r.must(el.Nominate(r.ctx, voters[0].p, committee.ID, elections.Nomination{MemberID: &voters[3].m.ID}))

	// The second meeting is held and minuted before the first opens.
	r.other = r.convene("Extraordinary general meeting on the office", chair, secretary, checker1, checker2)
	r.other = r.open(r.other, chair, append([]voter{chair, secretary, checker1, checker2}, voters[:3]...))
	ob := r.motionBallot(r.other, chair, "Rent a new office", true)
	r.votes(ob, chair.votes("for"), secretary.votes("for"), checker1.votes("against"), voters[0].votes("for"), voters[1].votes("abstain"))
	r.closeBallot(chair, ob)
	r.other = r.closeSession(r.other, chair)
	r.seal(minutes.Main(r.other.ID), secretary, []string{"The meeting decided to rent a new office."}, chair, checker1, checker2)

	r.meeting = r.open(m, chair, append([]voter{chair, secretary, checker1, checker2}, voters...))
	if _, _, err := ms.Attend(r.ctx, rep, m.ID, meetings.AttendInput{Mode: meetings.ModeInPerson, MemberID: &org.ID}); err != nil {
		t.Fatal(err)
	}
	// The representative casts the organisation's vote, Aino the
	// grantor's.
	byOrg := func(choice string, cands ...int64) cast { return cast{rep, org.ID, choice, cands} }
	byProxy := func(choice string, cands ...int64) cast { return cast{voters[0].p, grantor.m.ID, choice, cands} }

	secret := r.motionBallot(m, chair, "Solar panels on the roof", true)
	r.votes(secret, chair.votes("for"), secretary.votes("for"), checker1.votes("against"), checker2.votes("abstain"),
		voters[0].votes("for"), voters[1].votes("for"), voters[2].votes("against"), voters[4].votes("for"),
		byOrg("for"), byProxy("against"))
	r.closeBallot(chair, secret)

	heatPump := r.propose(r.board, m, "A heat pump for the sauna", nil)
	amendment := r.propose(voters[1].p, m, "A heat pump for the sauna and the office", &heatPump)
	r.must(r.inst.Server.Motions.Second(r.ctx, voters[2].p, amendment, nil))
	carried := r.putToVote(amendment, chair, false)
	r.votes(carried, chair.votes("for"), secretary.votes("for"), checker1.votes("for"), voters[0].votes("against"))
	r.closeBallot(chair, carried)
	r.propose(voters[3].p, m, "A heat pump for the sauna and a wind turbine", &heatPump)
	open := r.putToVote(heatPump, chair, false)
	r.votes(open, chair.votes("against"), secretary.votes("for"), checker1.votes("for"), voters[0].votes("for"),
		voters[1].votes("against"), voters[3].votes("abstain"), voters[5].votes("for"), byOrg("against"), byProxy("for"))
	r.closeBallot(chair, open)

	electBoard := r.electionBallot(board, chair, true)
	r.votes(electBoard, chair.elects(boardCands[0], boardCands[1]), secretary.elects(boardCands[1]),
		checker1.elects(boardCands[2], boardCands[0]), checker2.elects(), voters[0].elects(boardCands[0]),
		voters[2].elects(boardCands[1], boardCands[2]), voters[5].elects(boardCands[0], boardCands[2]),
		byOrg("", boardCands[1]), byProxy("", boardCands[0]))
	r.closeBallot(chair, electBoard)

	electAuditor := r.electionBallot(auditors, chair, false)
	r.votes(electAuditor, chair.elects(auditorCands[0]), secretary.elects(auditorCands[0]), checker1.elects(auditorCands[1]),
		voters[1].elects(auditorCands[0]), voters[3].elects(), voters[4].elects(auditorCands[1]), byOrg("", auditorCands[0]))
	r.closeBallot(chair, electAuditor)
	r.ballots = []ballots.Ballot{secret, open, electBoard, electAuditor}

	van := r.propose(r.board, m, "Sell the old van", nil)
	auction := r.propose(voters[4].p, m, "Sell the old van at auction", &van)
	r.must(r.inst.Server.Motions.Second(r.ctx, voters[5].p, auction, nil))
	r.must(r.inst.Server.Motions.Withdraw(r.ctx, r.board, van))
	r.propose(r.board, m, "Paint the office", nil)
	r.meeting = r.closeSession(r.meeting, chair)

	// The minutes: a draft saved twice and submitted; the chair signs,
	// a checker sends it back; a third version is signed by all.
	doc := minutes.Main(m.ID)
	mn := r.inst.Server.Minutes
	r.save(doc, secretary, "The meeting decided on solar panels.")
	r.save(doc, secretary, "The meeting decided on solar panels and a heat pump.")
	r.must(mn.Submit(r.ctx, secretary.p, doc))
	r.must(mn.Sign(r.ctx, chair.p, doc, nil))
	r.must(mn.Return(r.ctx, checker1.p, doc, nil, "The election results are missing."))
	r.seal(doc, secretary, []string{"The meeting decided on solar panels, rejected the heat pump and elected the board and the auditor."},
		chair, checker1, checker2)
	r.inst.Clock.Advance(24 * time.Hour)
	if _, err := mn.StartAddendum(r.ctx, secretary.p, m.ID, "Correction: the heat pump was carried."); err != nil {
		t.Fatal(err)
	}
	r.seal(minutes.Doc{MeetingID: m.ID, Addendum: 1}, secretary, nil, chair, checker1, checker2)
	return r
}

// cast is one vote: a motion's choice, or else the candidates marked.
type cast struct {
	p      auth.Principal
	member int64
	choice string
	cands  []int64
}

func (v voter) votes(choice string) cast { return cast{v.p, v.m.ID, choice, nil} }

func (v voter) elects(cands ...int64) cast { return cast{v.p, v.m.ID, "", cands} }

func (r *record) must(_ any, err error) {
	r.t.Helper()
	if err != nil {
		r.t.Fatal(err)
	}
}

// person makes an account with the given roles.
func (r *record) person(name string, roles ...string) auth.Principal {
	r.t.Helper()
	r.n++
	email := fmt.Sprintf("%s-%d@example.org", strings.ToLower(strings.ReplaceAll(name, " ", ".")), r.n)
	acc, err := r.inst.Server.Auth.CreateAccount(r.ctx, auth.Operator, email, name)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, role := range roles {
		if err := r.inst.Server.Auth.Grant(r.ctx, auth.Operator, acc.ID, role); err != nil {
			r.t.Fatal(err)
		}
	}
	p, err := r.inst.Server.Auth.Principal(r.ctx, acc.ID)
	if err != nil {
		r.t.Fatal(err)
	}
	return p
}

func (r *record) apply(p auth.Principal, kind, name string) members.Member {
	r.t.Helper()
	email := p.Email
	if kind == members.KindOrganisation {
		email = "office@" + strings.ToLower(strings.ReplaceAll(name, " ", "")) + ".example.org"
	}
	m, err := r.inst.Server.Members.Apply(r.ctx, p, members.Application{Kind: kind, Name: name, Email: email, Country: "FI", AcceptRules: true})
	if err != nil {
		r.t.Fatal(err)
	}
	return m
}

func (r *record) admit(m members.Member) members.Member {
	r.t.Helper()
	m, err := r.inst.Server.Members.Admit(r.ctx, r.board, m.ID, members.Admission{})
	if err != nil {
		r.t.Fatal(err)
	}
	return m
}

// member makes an active individual member.
func (r *record) member(name string) voter {
	r.t.Helper()
	p := r.person(name)
	return voter{p, r.admit(r.apply(p, members.KindIndividual, name))}
}

// convene drafts and convenes a meeting ten days from now with these
// officers.
func (r *record) convene(title string, chair, secretary, checker1, checker2 voter) meetings.Meeting {
	r.t.Helper()
	ms := r.inst.Server.Meetings
	start := r.inst.Clock.Now().Add(10 * 24 * time.Hour).Truncate(time.Minute)
	m, err := ms.Create(r.ctx, r.board, meetings.Draft{
		Kind: meetings.KindExtraordinary, Title: title, StartsAt: start.Format(time.RFC3339), EndsAt: start.Add(3 * time.Hour).Format(time.RFC3339),
		TimeZone: "Europe/Helsinki", Location: "Kaisaniemenkatu 1, Helsinki",
		Agenda: []meetings.ItemInput{{Title: "Opening of the meeting"}, {Title: "Decisions"}, {Title: "Closing of the meeting"}},
	})
	if err != nil {
		r.t.Fatal(err)
	}
	r.must(ms.SetOfficers(r.ctx, r.board, m.ID, meetings.Officers{ChairAccountID: &chair.p.AccountID, SecretaryAccountID: &secretary.p.AccountID,
		CheckerAccountIDs: []int64{checker1.p.AccountID, checker2.p.AccountID}}))
	if m, err = ms.Convene(r.ctx, r.board, m.ID); err != nil {
		r.t.Fatal(err)
	}
	return m
}

// open moves the clock to half an hour before the meeting, opens its
// session and has these members attend.
func (r *record) open(m meetings.Meeting, chair voter, present []voter) meetings.Meeting {
	r.t.Helper()
	ms := r.inst.Server.Meetings
	r.inst.Clock.Set(m.StartsAt.Add(-30 * time.Minute))
	r.must(ms.Open(r.ctx, chair.p, m.ID))
	for _, v := range present {
		if _, _, err := ms.Attend(r.ctx, v.p, m.ID, meetings.AttendInput{Mode: meetings.ModeInPerson}); err != nil {
			r.t.Fatal(err)
		}
	}
	m, err := ms.Get(r.ctx, m.ID)
	if err != nil {
		r.t.Fatal(err)
	}
	return m
}

func (r *record) closeSession(m meetings.Meeting, chair voter) meetings.Meeting {
	r.t.Helper()
	r.inst.Clock.Set(m.OpenedAt.Add(2 * time.Hour))
	m, err := r.inst.Server.Meetings.Close(r.ctx, chair.p, m.ID)
	if err != nil {
		r.t.Fatal(err)
	}
	return m
}

func (r *record) motionBallot(m meetings.Meeting, chair voter, title string, secret bool) ballots.Ballot {
	r.t.Helper()
	return r.putToVote(r.propose(r.board, m, title, nil), chair, secret)
}

// propose proposes a motion, or an amendment of the motion amends, as p:
// for the board when p is on it.
func (r *record) propose(p auth.Principal, m meetings.Meeting, title string, amends *int64) int64 {
	r.t.Helper()
	d, err := r.inst.Server.Motions.Propose(r.ctx, p, m.ID, motions.Proposal{Title: title, Body: "The co-op decides: " + title + ".", AmendsMotionID: amends})
	if err != nil {
		r.t.Fatal(err)
	}
	return d.ID
}

func (r *record) putToVote(motionID int64, chair voter, secret bool) ballots.Ballot {
	r.t.Helper()
	b, err := r.inst.Server.Motions.OpenBallot(r.ctx, chair.p, motionID, motions.BallotRequest{Secret: secret})
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

func (r *record) electionBallot(e elections.Election, chair voter, secret bool) ballots.Ballot {
	r.t.Helper()
	b, err := r.inst.Server.Elections.OpenBallot(r.ctx, chair.p, e.ID, elections.BallotRequest{Secret: &secret})
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

func (r *record) vote(p auth.Principal, b ballots.Ballot, in ballots.VoteInput) {
	r.t.Helper()
	r.inst.Clock.Advance(time.Second)
	if _, err := r.inst.Server.Ballots.Vote(r.ctx, p, b.ID, in); err != nil {
		r.t.Fatalf("vote in ballot %d: %v", b.ID, err)
	}
}

func (r *record) votes(b ballots.Ballot, casts ...cast) {
	r.t.Helper()
	for _, c := range casts {
		in := ballots.VoteInput{Choice: c.choice, OnBehalfOf: &c.member}
		if b.Kind == ballots.KindElection {
			in.Candidates = append([]int64{}, c.cands...)
		}
		r.vote(c.p, b, in)
	}
}

func (r *record) closeBallot(chair voter, b ballots.Ballot) {
	r.t.Helper()
	r.inst.Clock.Advance(time.Minute)
	closed, err := r.inst.Server.Ballots.Close(r.ctx, chair.p, b.ID)
	if err != nil {
		r.t.Fatal(err)
	}
	if closed.RecordHash == nil {
		r.t.Fatalf("ballot %d is closed undecided", b.ID)
	}
}

func (r *record) save(doc minutes.Doc, secretary voter, body string) {
	r.t.Helper()
	r.inst.Clock.Advance(time.Hour)
	r.must(r.inst.Server.Minutes.Save(r.ctx, secretary.p, doc, body))
}

// seal saves each body as a new version, submits the last and has the
// signers sign it.
func (r *record) seal(doc minutes.Doc, secretary voter, bodies []string, signers ...voter) {
	r.t.Helper()
	mn := r.inst.Server.Minutes
	for _, body := range bodies {
		r.save(doc, secretary, body)
	}
	r.must(mn.Submit(r.ctx, secretary.p, doc))
	var out minutes.Minutes
	for _, s := range signers {
		r.inst.Clock.Advance(time.Hour)
		var err error
		if out, err = mn.Sign(r.ctx, s.p, doc, nil); err != nil {
			r.t.Fatal(err)
		}
	}
	if !out.Sealed() {
		r.t.Fatalf("the minutes of meeting %d are %s after every signature", doc.MeetingID, out.Status)
	}
}

// id runs a query that selects one id or sequence number of the record.
func (r *record) id(query string, args ...any) int64 {
	r.t.Helper()
	var id int64
	if err := r.inst.DB.Get(&id, query, args...); err != nil {
		r.t.Fatalf("%s: %v", query, err)
	}
	return id
}

// tamper changes one row of the live record for good, as someone with the
// database could, with every trigger and foreign key off.
func (r *record) tamper(t *testing.T, query string, args ...any) {
	t.Helper()
	tx, err := r.inst.DB.BeginTxx(r.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(r.ctx, `SET LOCAL session_replication_role = replica`); err != nil {
		t.Fatal(err)
	}
	if err := exec(r.ctx, tx, query, args...); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// verifyLive verifies the live record as `osk verify` does.
func (r *record) verifyLive(t *testing.T) audit.Report {
	t.Helper()
	rep, err := auditor.VerifyLive(r.ctx, r.inst.DB.DB, auditor.Options{}, server.Checks()...)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}
