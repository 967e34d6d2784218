package meetings_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/osktest"
	"github.com/citizen-network/osk/internal/rules"
)

func (f *fixture) count(query string, args ...any) int {
	f.t.Helper()
	return f.inst.DB.Count(f.t, query, args...)
}

func TestCreate_AnnualMeetingHasTheStatutoryAgendaAndAWarningWhenLate(t *testing.T) {
	f := newFixture(t)
	year := f.now().Year() + 1
	late := time.Date(year, time.September, 15, 15, 0, 0, 0, time.UTC)
	m, err := f.svc.Create(f.ctx, f.board, meetings.Draft{Kind: meetings.KindAnnual, Title: "AGM", StartsAt: rfc(late), EndsAt: rfc(late.Add(3 * time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != meetings.StatusDraft || m.TimeZone != meetings.DefaultTimeZone {
		t.Fatalf("status %s, zone %s", m.Status, m.TimeZone)
	}
	keys := map[string]bool{}
	for i, it := range m.Agenda {
		if it.Position != i+1 {
			t.Errorf("item %d at position %d", i, it.Position)
		}
		keys[it.Statutory] = true
	}
	for _, k := range []string{"financial_statements", "surplus", "discharge", "board_election", "auditor_election", "opening", "closing"} {
		if !keys[k] {
			t.Errorf("the statutory item %s is missing", k)
		}
	}
	if !hasWarning(m, "must be held within 6 months") {
		t.Errorf("no warning for an AGM in September: %v", m.Warnings)
	}

	inTime := time.Date(year, time.May, 15, 15, 0, 0, 0, time.UTC)
	m, err = f.svc.Create(f.ctx, f.board, meetings.Draft{Kind: meetings.KindAnnual, Title: "AGM", StartsAt: rfc(inTime), EndsAt: rfc(inTime.Add(3 * time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	if hasWarning(m, "must be held within") {
		t.Errorf("a warning for an AGM in May: %v", m.Warnings)
	}
	if !hasWarning(m, "can go out from") {
		t.Errorf("no word that it is too early to convene: %v", m.Warnings)
	}
	extra, err := f.svc.Create(f.ctx, f.board, meetings.Draft{Kind: meetings.KindExtraordinary, Title: "EGM", StartsAt: rfc(inTime), EndsAt: rfc(inTime.Add(time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	if len(extra.Agenda) != 0 {
		t.Errorf("an extraordinary meeting got %d items", len(extra.Agenda))
	}
}

func hasWarning(m meetings.Meeting, part string) bool {
	for _, w := range m.Warnings {
		if strings.Contains(w, part) {
			return true
		}
	}
	return false
}

func TestCreate_RefusesBadInputNamingTheFieldAndChangesNothing(t *testing.T) {
	f := newFixture(t)
	start := f.now().Add(30 * 24 * time.Hour)
	ok := func() meetings.Draft {
		return meetings.Draft{Kind: meetings.KindExtraordinary, Title: "EGM", StartsAt: rfc(start), EndsAt: rfc(start.Add(time.Hour)), TimeZone: "Europe/Helsinki"}
	}
	cases := []struct {
		name  string
		edit  func(*meetings.Draft)
		field string
	}{
		{"start in the past", func(d *meetings.Draft) { d.StartsAt = rfc(f.now().Add(-time.Hour)) }, "starts_at"},
		{"start unreadable", func(d *meetings.Draft) { d.StartsAt = "next Tuesday" }, "starts_at"},
		{"end before start", func(d *meetings.Draft) { d.EndsAt = rfc(start.Add(-time.Minute)) }, "ends_at"},
		{"end at the start", func(d *meetings.Draft) { d.EndsAt = rfc(start) }, "ends_at"},
		{"unknown time zone", func(d *meetings.Draft) { d.TimeZone = "Europe/Atlantis" }, "time_zone"},
		{"local time zone", func(d *meetings.Draft) { d.TimeZone = "Local" }, "time_zone"},
		{"no title", func(d *meetings.Draft) { d.Title = " " }, "title"},
		{"over-long title", func(d *meetings.Draft) { d.Title = strings.Repeat("x", 201) }, "title"},
		{"over-long place", func(d *meetings.Draft) { d.Location = strings.Repeat("x", 501) }, "location"},
		{"link not https", func(d *meetings.Draft) { d.OnlineURL = "javascript:alert(1)" }, "online_url"},
		{"link without encryption", func(d *meetings.Draft) { d.OnlineURL = "http://meet.example.org/osk" }, "online_url"},
		{"a time the clocks skip", func(d *meetings.Draft) { d.StartsAt = "2027-03-28T03:30" }, "starts_at"},
		{"unknown kind", func(d *meetings.Draft) { d.Kind = "secret" }, "kind"},
		{"record date after the start", func(d *meetings.Draft) { d.RecordDate = start.Add(48 * time.Hour).Format(time.DateOnly) }, "record_date"},
		{"record date unreadable", func(d *meetings.Draft) { d.RecordDate = "soon" }, "record_date"},
		{"quorum percent over 100", func(d *meetings.Draft) { d.Quorum = &meetings.QuorumRule{MinPercent: 101} }, "quorum.min_percent"},
		{"quorum members negative", func(d *meetings.Draft) { d.Quorum = &meetings.QuorumRule{MinMembers: -1} }, "quorum.min_members"},
		{"agenda position out of range", func(d *meetings.Draft) {
			d.Agenda = []meetings.ItemInput{{Title: "A"}, {Title: "B", Position: ptr(3)}}
		}, "agenda[1].position"},
		{"agenda item without title", func(d *meetings.Draft) { d.Agenda = []meetings.ItemInput{{Title: ""}} }, "agenda[0].title"},
		{"over-long agenda description", func(d *meetings.Draft) {
			d.Agenda = []meetings.ItemInput{{Title: "A", Description: strings.Repeat("x", 5001)}}
		}, "agenda[0].description"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := ok()
			tc.edit(&d)
			_, err := f.svc.Create(f.ctx, f.board, d)
			osktest.WantFields(t, err, tc.field)
		})
	}
	if n := f.count(`SELECT count(*) FROM meetings`); n != 0 {
		t.Fatalf("%d meetings were made", n)
	}
	if _, err := f.svc.Create(f.ctx, f.board, ok()); err != nil {
		t.Fatalf("the valid draft: %v", err)
	}
}

func TestConvene_RefusesOutsideTheWindowAndNotifiesEveryActiveMember(t *testing.T) {
	f := newFixture(t)
	_, a := f.Member("Ada Member")
	_, b := f.Member("Bo Member")
	_, gone := f.Member("Suspended Member")
	f.suspend(gone)

	late := f.draftAt(f.now().Add(6*24*time.Hour + 23*time.Hour))
	_, err := f.svc.Convene(f.ctx, f.board, late.ID)
	osktest.WantFields(t, err, "starts_at")
	if got, _ := f.svc.Get(f.ctx, late.ID); got.Status != meetings.StatusDraft || got.Notice != "" {
		t.Fatalf("a refused convening changed the meeting: %s", got.Status)
	}
	early := f.draftAt(f.now().AddDate(0, 2, 2))
	_, err = f.svc.Convene(f.ctx, f.board, early.ID)
	osktest.WantFields(t, err, "starts_at")
	weighty := f.draftAt(f.now().Add(20*24*time.Hour), meetings.ItemInput{Title: "Merger", Weighty: true})
	_, err = f.svc.Convene(f.ctx, f.board, weighty.ID)
	osktest.WantFields(t, err, "starts_at")
	ruleChange := f.draftAt(f.now().Add(40*24*time.Hour), meetings.ItemInput{Title: "Change of the rules", RuleChange: true})
	_, err = f.svc.Convene(f.ctx, f.board, ruleChange.ID)
	osktest.WantFields(t, err, "agenda")
	empty := f.draftAt(f.now().Add(20*24*time.Hour), []meetings.ItemInput{}...)
	_, err = f.svc.Convene(f.ctx, f.board, empty.ID)
	osktest.WantFields(t, err, "agenda")
	if n := len(f.mailTo(a.Email)); n != 0 {
		t.Fatalf("refused notices sent %d emails", n)
	}

	m := f.draftAt(f.now().Add(7*24*time.Hour + time.Minute))
	m, err = f.svc.Convene(f.ctx, f.board, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != meetings.StatusConvened || m.ConvenedAt == nil || m.RecordDate == nil {
		t.Fatalf("convened meeting: %+v", m)
	}
	// By default the record date is the day of convening (SPEC.md): to its
	// end, in the meeting's time zone.
	helsinki, _ := time.LoadLocation("Europe/Helsinki")
	rec, convened := m.RecordDate.In(helsinki), m.ConvenedAt.In(helsinki)
	if rec.Format(time.DateOnly) != convened.Format(time.DateOnly) || rec.Format("15:04:05.000000") != "23:59:59.999999" {
		t.Fatalf("record date %s for a meeting convened at %s, want the end of that day", rec, convened)
	}
	if !strings.Contains(m.Notice, "Opening of the meeting") || !strings.Contains(m.Notice, "Europe/Helsinki") {
		t.Fatalf("notice: %s", m.Notice)
	}
	for _, who := range []string{a.Email, b.Email} {
		sent := f.mailTo(who)
		if len(sent) != 1 || !strings.HasPrefix(sent[0].Subject, "Notice: ") || sent[0].Body != m.Notice {
			t.Errorf("mail to %s: %+v", who, sent)
		}
	}
	if n := len(f.mailTo(gone.Email)); n != 0 {
		t.Errorf("a suspended member got %d notices", n)
	}
	es := f.events(subjectOf(m))
	if last := es[len(es)-1]; last.Action != "meeting.convened" || !strings.Contains(string(last.Payload), `"recipients":2`) {
		t.Fatalf("audit: %s %s", last.Action, last.Payload)
	}
	_, err = f.svc.Convene(f.ctx, f.board, m.ID)
	osktest.WantKind(t, err, errs.Conflict)
}

func TestTransitions_FollowTheLifeCycleAndRefuseTheRest(t *testing.T) {
	f := newFixture(t)
	chair, _ := f.Member("Chair Person")
	m := f.convened()

	_, err := f.svc.Open(f.ctx, chair, m.ID)
	osktest.WantKind(t, err, errs.Forbidden) // not yet the chair
	if _, err := f.svc.SetOfficers(f.ctx, f.board, m.ID, f.officers(chair)); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Open(f.ctx, f.board, m.ID)
	osktest.WantKind(t, err, errs.Forbidden)
	f.inst.Clock.Set(m.StartsAt.Add(-time.Hour - time.Minute))
	_, err = f.svc.Open(f.ctx, chair, m.ID)
	osktest.WantKind(t, err, errs.Conflict)
	_, err = f.svc.Close(f.ctx, chair, m.ID)
	osktest.WantKind(t, err, errs.Conflict)

	f.inst.Clock.Set(m.StartsAt.Add(-time.Hour + time.Second))
	open, err := f.svc.Open(f.ctx, chair, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if open.Status != meetings.StatusInSession || open.OpenedAt == nil {
		t.Fatalf("opened: %+v", open)
	}
	_, err = f.svc.Open(f.ctx, chair, m.ID)
	osktest.WantKind(t, err, errs.Conflict)
	_, err = f.svc.Cancel(f.ctx, f.board, m.ID, "Too few came.")
	osktest.WantKind(t, err, errs.Conflict)
	_, err = f.svc.Convene(f.ctx, f.board, m.ID)
	osktest.WantKind(t, err, errs.Conflict)

	closed, err := f.svc.Close(f.ctx, chair, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if closed.Status != meetings.StatusClosed || closed.ClosedAt == nil {
		t.Fatalf("closed: %+v", closed)
	}
	_, err = f.svc.Close(f.ctx, chair, m.ID)
	osktest.WantKind(t, err, errs.Conflict)
	_, err = f.svc.Open(f.ctx, chair, m.ID)
	osktest.WantKind(t, err, errs.Conflict)
	_, err = f.svc.Cancel(f.ctx, f.board, m.ID, "Late.")
	osktest.WantKind(t, err, errs.Conflict)
	_, err = f.svc.Update(f.ctx, f.board, m.ID, meetings.Change{Location: ptr("Elsewhere")})
	osktest.WantKind(t, err, errs.Conflict)
	_, err = f.svc.AddItem(f.ctx, f.board, m.ID, meetings.ItemInput{Title: "More"})
	osktest.WantKind(t, err, errs.Conflict)
	_, err = f.svc.SetOfficers(f.ctx, f.board, m.ID, meetings.Officers{})
	osktest.WantKind(t, err, errs.Conflict)
	_, _, err = f.svc.Attend(f.ctx, chair, m.ID, meetings.AttendInput{Mode: meetings.ModeInPerson})
	osktest.WantKind(t, err, errs.Conflict)

	var actions []string
	for _, e := range f.events(subjectOf(m)) {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, " "); got != "meeting.drafted meeting.convened meeting.officers_set meeting.opened meeting.closed" {
		t.Fatalf("audit trail: %s", got)
	}
}

func TestCancel_NeedsAReasonAndTellsMembersOfAConvenedMeeting(t *testing.T) {
	f := newFixture(t)
	_, a := f.Member("Ada Member")
	d := f.draftAt(f.now().Add(20 * 24 * time.Hour))
	_, err := f.svc.Cancel(f.ctx, f.board, d.ID, "  ")
	osktest.WantFields(t, err, "reason")
	if _, err := f.svc.Cancel(f.ctx, f.board, d.ID, "Planned twice."); err != nil {
		t.Fatal(err)
	}
	if n := len(f.mailTo(a.Email)); n != 0 {
		t.Fatalf("cancelling a draft sent %d emails", n)
	}
	_, err = f.svc.Convene(f.ctx, f.board, d.ID)
	osktest.WantKind(t, err, errs.Conflict)

	m := f.convened()
	member := f.Person("Not On The Board")
	_, err = f.svc.Cancel(f.ctx, member, m.ID, "No.")
	osktest.WantKind(t, err, errs.Forbidden)
	c, err := f.svc.Cancel(f.ctx, f.board, m.ID, "The venue burnt down.")
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != meetings.StatusCancelled || c.CancelReason != "The venue burnt down." || c.Revision != 1 {
		t.Fatalf("cancelled: %+v", c)
	}
	sent := f.mailTo(a.Email)
	if len(sent) != 2 || !strings.Contains(sent[0].Body, "The venue burnt down.") {
		t.Fatalf("mail: %+v", sent)
	}
	_, err = f.svc.Cancel(f.ctx, f.board, m.ID, "Again.")
	osktest.WantKind(t, err, errs.Conflict)
}

func TestUpdate_AfterTheNoticeOnlyThePlaceChangesAndMembersAreTold(t *testing.T) {
	f := newFixture(t)
	_, a := f.Member("Ada Member")
	d := f.draftAt(f.now().Add(20 * 24 * time.Hour))
	d, err := f.svc.Update(f.ctx, f.board, d.ID, meetings.Change{Title: ptr("Renamed"), StartsAt: ptr(rfc(d.StartsAt.Add(time.Hour)))})
	if err != nil {
		t.Fatal(err)
	}
	if d.Title != "Renamed" || !d.EndsAt.After(d.StartsAt) {
		t.Fatalf("updated draft: %+v", d)
	}
	_, err = f.svc.Update(f.ctx, f.board, d.ID, meetings.Change{EndsAt: ptr(rfc(d.StartsAt.Add(-time.Hour)))})
	osktest.WantFields(t, err, "ends_at")
	_, err = f.svc.Update(f.ctx, f.board, d.ID, meetings.Change{TimeZone: ptr("Mars/Olympus")})
	osktest.WantFields(t, err, "time_zone")

	m := f.convened()
	_, err = f.svc.Update(f.ctx, f.board, m.ID, meetings.Change{StartsAt: ptr(rfc(m.StartsAt.Add(time.Hour)))})
	osktest.WantKind(t, err, errs.Conflict)
	moved, err := f.svc.Update(f.ctx, f.board, m.ID, meetings.Change{Location: ptr("Room 2, Kaisaniemenkatu 1")})
	if err != nil {
		t.Fatal(err)
	}
	if moved.Location != "Room 2, Kaisaniemenkatu 1" || moved.Revision != 1 {
		t.Fatalf("moved: %+v", moved)
	}
	if sent := f.mailTo(a.Email); len(sent) != 2 || !strings.HasPrefix(sent[0].Subject, "Changed: ") {
		t.Fatalf("mail: %+v", sent)
	}

	// The notice promised a way to take part: a change cannot leave none,
	// nor take away the remote participation it offered.
	_, err = f.svc.Update(f.ctx, f.board, m.ID, meetings.Change{Location: ptr(""), RemoteAllowed: ptr(false)})
	osktest.WantFields(t, err, "location", "remote_allowed")
	_, err = f.svc.Update(f.ctx, f.board, m.ID, meetings.Change{RemoteAllowed: ptr(false)})
	osktest.WantFields(t, err, "remote_allowed")
	relinked, err := f.svc.Update(f.ctx, f.board, m.ID, meetings.Change{OnlineURL: ptr("https://meet.example.org/osk-2")})
	if err != nil || relinked.OnlineURL != "https://meet.example.org/osk-2" || relinked.Revision != 2 {
		t.Fatalf("a new link: %+v %v", relinked, err)
	}
	moved = relinked
	if again, _ := f.svc.Get(f.ctx, m.ID); again.Location != moved.Location || again.Revision != 2 {
		t.Fatalf("a refused change changed the meeting: %+v", again)
	}
	if sent := f.mailTo(a.Email); len(sent) != 3 {
		t.Fatalf("a refused change was mailed: %d messages", len(sent))
	}
}

// Officers named with a draft are recorded as officers set later are: the
// minutes' signatures are checked against that event.
func TestCreate_RecordsTheOfficersItNames(t *testing.T) {
	f := newFixture(t)
	chair, _ := f.Member("Chair From The Start")
	start := f.now().Add(14 * 24 * time.Hour).Truncate(time.Minute)
	m, err := f.svc.Create(f.ctx, f.board, meetings.Draft{
		Kind: meetings.KindExtraordinary, Title: "Extraordinary general meeting", StartsAt: rfc(start), EndsAt: rfc(start.Add(2 * time.Hour)),
		TimeZone: "Europe/Helsinki", Location: "Kaisaniemenkatu 1, Helsinki",
		Officers: &meetings.Officers{ChairAccountID: &chair.AccountID, CheckerAccountIDs: []int64{f.board2.AccountID}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	var officers string
	for _, e := range f.events(fmt.Sprintf("meeting:%d", m.ID)) {
		actions = append(actions, e.Action)
		if e.Action == "meeting.officers_set" {
			officers = string(e.Payload)
		}
	}
	want := fmt.Sprintf(`{"chair_account_id":%d,"checker_account_ids":[%d],"secretary_account_id":null}`, chair.AccountID, f.board2.AccountID)
	if !slices.Equal(actions, []string{"meeting.drafted", "meeting.officers_set"}) || officers != want {
		t.Fatalf("events %v, officers %s, want %s", actions, officers, want)
	}
}

func TestOfficers_OnlyActiveMembersOrStaffAndNeverAnAuditor(t *testing.T) {
	f := newFixture(t)
	m := f.convened()
	member, _ := f.Member("Active Member")
	suspended, sm := f.Member("Suspended Member")
	f.suspend(sm)
	outsider := f.Person("Outsider")
	checker, _ := f.Member("Checker One")
	checker2, _ := f.Member("Checker Two")

	refused := []struct {
		name  string
		o     meetings.Officers
		field string
	}{
		{"an outsider as chair", meetings.Officers{ChairAccountID: &outsider.AccountID}, "chair_account_id"},
		{"an auditor as chair", meetings.Officers{ChairAccountID: &f.auditor.AccountID}, "chair_account_id"},
		{"a suspended member as secretary", meetings.Officers{SecretaryAccountID: &suspended.AccountID}, "secretary_account_id"},
		{"no such account", meetings.Officers{ChairAccountID: ptr(int64(999999))}, "chair_account_id"},
		{"the chair as checker", meetings.Officers{ChairAccountID: &member.AccountID, CheckerAccountIDs: []int64{member.AccountID}}, "checker_account_ids"},
		{"a checker twice", meetings.Officers{CheckerAccountIDs: []int64{checker.AccountID, checker.AccountID}}, "checker_account_ids"},
		{"an outsider as checker", meetings.Officers{CheckerAccountIDs: []int64{outsider.AccountID}}, "checker_account_ids"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.SetOfficers(f.ctx, f.board, m.ID, tc.o)
			osktest.WantFields(t, err, tc.field)
		})
	}
	_, err := f.svc.SetOfficers(f.ctx, member, m.ID, meetings.Officers{ChairAccountID: &member.AccountID})
	osktest.WantKind(t, err, errs.Forbidden)

	got, err := f.svc.SetOfficers(f.ctx, f.board, m.ID, meetings.Officers{ChairAccountID: &member.AccountID,
		SecretaryAccountID: &f.board2.AccountID, CheckerAccountIDs: []int64{checker2.AccountID, checker.AccountID}})
	if err != nil {
		t.Fatal(err)
	}
	o := got.Officers
	if *o.ChairAccountID != member.AccountID || *o.SecretaryAccountID != f.board2.AccountID || len(o.CheckerAccountIDs) != 2 || o.CheckerAccountIDs[0] != checker2.AccountID {
		t.Fatalf("officers: %+v", o)
	}
	if !got.IsChair(member.AccountID) || !got.IsSecretary(f.board2.AccountID) || !got.IsChecker(checker.AccountID) {
		t.Fatal("roles not recognised")
	}
	if _, err := f.svc.SetOfficers(f.ctx, f.board, m.ID, meetings.Officers{ChairAccountID: &f.admin.AccountID}); err != nil {
		t.Fatalf("an admin as chair: %v", err)
	}
}

func TestAttend_IsIdempotentAndFollowsTheMeeting(t *testing.T) {
	f := newFixture(t)
	ada, a := f.Member("Ada Member")
	m := f.convened()

	_, _, err := f.svc.Attend(f.ctx, ada, m.ID, meetings.AttendInput{Mode: meetings.ModeInPerson})
	osktest.WantKind(t, err, errs.Conflict) // attendance opens an hour before the start
	f.inst.Clock.Set(m.StartsAt.Add(-time.Hour))

	first, created, err := f.svc.Attend(f.ctx, ada, m.ID, meetings.AttendInput{Mode: meetings.ModeInPerson})
	if err != nil || !created {
		t.Fatalf("first registration: %v, created %v", err, created)
	}
	if first.MemberID != a.ID || first.Name != "Ada Member" || first.MemberNo != *a.MemberNo || !first.Present {
		t.Fatalf("attendee: %+v", first)
	}
	again, created, err := f.svc.Attend(f.ctx, ada, m.ID, meetings.AttendInput{Mode: meetings.ModeInPerson})
	if err != nil || created || !again.ArrivedAt.Equal(first.ArrivedAt) {
		t.Fatalf("second registration: %v, created %v, %+v", err, created, again)
	}
	if n := f.count(`SELECT count(*) FROM meeting_attendance WHERE meeting_id = $1`, m.ID); n != 1 {
		t.Fatalf("%d attendance rows after registering twice", n)
	}
	if q := f.quorum(m.ID); q.Present != 1 {
		t.Fatalf("quorum: %+v", q)
	}
	_, _, err = f.svc.Attend(f.ctx, ada, m.ID, meetings.AttendInput{Mode: "by_carrier_pigeon"})
	osktest.WantFields(t, err, "mode")
	remote, _, err := f.svc.Attend(f.ctx, ada, m.ID, meetings.AttendInput{Mode: meetings.ModeRemote})
	if err != nil || remote.Mode != meetings.ModeRemote {
		t.Fatalf("switching to remote: %v %+v", err, remote)
	}
	if err := f.svc.Leave(f.ctx, ada, m.ID, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Leave(f.ctx, ada, m.ID, nil); err != nil {
		t.Fatalf("leaving twice: %v", err)
	}
	if q := f.quorum(m.ID); q.Present != 0 {
		t.Fatalf("quorum after leaving: %+v", q)
	}
	var actions []string
	for _, e := range f.events(subjectOf(m)) {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, " "); !strings.HasSuffix(got, "meeting.convened meeting.attended meeting.attended meeting.left") {
		t.Fatalf("audit trail: %s", got)
	}

	outsider := f.Person("Outsider")
	_, _, err = f.svc.Attend(f.ctx, outsider, m.ID, meetings.AttendInput{Mode: meetings.ModeInPerson})
	osktest.WantKind(t, err, errs.NotFound)
	bo, b := f.Member("Bo Member")
	f.suspend(b)
	_, _, err = f.svc.Attend(f.ctx, bo, m.ID, meetings.AttendInput{Mode: meetings.ModeInPerson})
	osktest.WantKind(t, err, errs.NotFound)
	_, _, err = f.svc.Attend(f.ctx, ada, m.ID, meetings.AttendInput{Mode: meetings.ModeInPerson, MemberID: &b.ID})
	osktest.WantKind(t, err, errs.Forbidden)

	noRemote := f.draftAt(f.now().Add(10 * 24 * time.Hour))
	if _, err := f.svc.Convene(f.ctx, f.board, noRemote.ID); err != nil {
		t.Fatal(err)
	}
	f.inst.Clock.Set(noRemote.StartsAt)
	_, _, err = f.svc.Attend(f.ctx, ada, noRemote.ID, meetings.AttendInput{Mode: meetings.ModeRemote})
	osktest.WantFields(t, err, "mode")

	// A meeting whose session was never opened takes no attendance after
	// its notified end.
	f.inst.Clock.Set(noRemote.EndsAt.Add(time.Minute))
	_, _, err = f.svc.Attend(f.ctx, ada, noRemote.ID, meetings.AttendInput{Mode: meetings.ModeInPerson})
	osktest.WantKind(t, err, errs.Conflict)
	if !strings.Contains(errs.Message(err), "never opened") {
		t.Fatalf("after the end: %v", err)
	}
}

func TestAttend_OrganisationsAndTheChairRegisteringTheRoom(t *testing.T) {
	f := newFixture(t)
	rep, own := f.Member("Rep Resentative")
	org := f.Organisation(rep, "Helsinki Friends")
	chair, _ := f.Member("Chair Person")
	_, walkIn := f.Member("Walk In")
	m := f.inSession(chair)

	f.attend(rep, m.ID, meetings.ModeInPerson, nil)
	f.attend(rep, m.ID, meetings.ModeInPerson, &org.ID)
	list, err := f.svc.Attendance(f.ctx, chair, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].MemberID != own.ID || list[1].MemberID != org.ID || list[1].Kind != "organisation" {
		t.Fatalf("attendance: %+v", list)
	}
	_, err = f.svc.Attendance(f.ctx, rep, m.ID)
	osktest.WantKind(t, err, errs.Forbidden)

	a, created, err := f.svc.Attend(f.ctx, chair, m.ID, meetings.AttendInput{Mode: meetings.ModeInPerson, MemberID: &walkIn.ID})
	if err != nil || !created || a.MemberID != walkIn.ID || a.RegisteredBy == nil || *a.RegisteredBy != chair.AccountID {
		t.Fatalf("the chair registering: %v %+v", err, a)
	}
	_, _, err = f.svc.Attend(f.ctx, chair, m.ID, meetings.AttendInput{Mode: meetings.ModeInPerson, MemberID: ptr(int64(999999))})
	osktest.WantFields(t, err, "member_id")
	if err := f.svc.Leave(f.ctx, chair, m.ID, &walkIn.ID); err != nil {
		t.Fatal(err)
	}
	if q := f.quorum(m.ID); q.Present != 2 {
		t.Fatalf("quorum: %+v", q)
	}
	if _, err := f.svc.Close(f.ctx, chair, m.ID); err != nil {
		t.Fatal(err)
	}
	if n := f.count(`SELECT count(*) FROM meeting_attendance WHERE meeting_id = $1 AND left_at IS NULL`, m.ID); n != 0 {
		t.Fatalf("%d still present after the close", n)
	}
}

func TestProxies_LimitsOfTheRulesAndTheLaw(t *testing.T) {
	f := newFixture(t)
	holder, h := f.Member("Holder")
	grantors := make([]auth.Principal, 4)
	for i := range grantors {
		grantors[i], _ = f.Member("Grantor " + string(rune('A'+i)))
	}
	_, susp := f.Member("Suspended")
	f.suspend(susp)
	m := f.convened()

	_, err := f.svc.GrantProxy(f.ctx, holder, m.ID, meetings.ProxyInput{HolderMemberID: h.ID})
	osktest.WantFields(t, err, "holder_member_id")
	_, err = f.svc.GrantProxy(f.ctx, grantors[0], m.ID, meetings.ProxyInput{HolderMemberID: 999999})
	osktest.WantFields(t, err, "holder_member_id")
	_, err = f.svc.GrantProxy(f.ctx, grantors[0], m.ID, meetings.ProxyInput{HolderMemberID: susp.ID})
	osktest.WantFields(t, err, "holder_member_id")
	_, err = f.svc.GrantProxy(f.ctx, f.Person("Outsider"), m.ID, meetings.ProxyInput{HolderMemberID: h.ID})
	osktest.WantKind(t, err, errs.NotFound)

	var proxies []meetings.Proxy
	for i := 0; i < 3; i++ {
		px, err := f.svc.GrantProxy(f.ctx, grantors[i], m.ID, meetings.ProxyInput{HolderMemberID: h.ID})
		if err != nil {
			t.Fatalf("proxy %d: %v", i+1, err)
		}
		proxies = append(proxies, px)
	}
	_, err = f.svc.GrantProxy(f.ctx, grantors[3], m.ID, meetings.ProxyInput{HolderMemberID: h.ID})
	osktest.WantKind(t, err, errs.Conflict) // a fourth
	_, err = f.svc.GrantProxy(f.ctx, grantors[0], m.ID, meetings.ProxyInput{HolderMemberID: h.ID})
	osktest.WantKind(t, err, errs.Conflict) // a second from the same member
	_, err = f.svc.GrantProxy(f.ctx, holder, m.ID, meetings.ProxyInput{HolderMemberID: proxies[0].MemberID})
	osktest.WantKind(t, err, errs.Conflict) // a holder giving their own vote away
	if sent := f.mailTo(holder.Email); len(sent) != 4 || !strings.HasPrefix(sent[0].Subject, "You hold a proxy") {
		t.Fatalf("the holder's mail: %d messages", len(sent))
	}

	// Withdrawn before use: allowed, and the place is free again.
	if _, err := f.svc.WithdrawProxy(f.ctx, grantors[2], m.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.GrantProxy(f.ctx, grantors[3], m.ID, meetings.ProxyInput{HolderMemberID: h.ID}); err != nil {
		t.Fatalf("after a withdrawal: %v", err)
	}
	_, err = f.svc.WithdrawProxy(f.ctx, grantors[2], m.ID, nil)
	osktest.WantKind(t, err, errs.NotFound)

	// Used in a ballot: it stands.
	err = db.WithTx(f.ctx, f.inst.DB.DB, func(tx *sqlx.Tx) error {
		return f.svc.MarkProxyUsed(f.ctx, tx, proxies[0].ID, 77, f.now())
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.WithdrawProxy(f.ctx, grantors[0], m.ID, nil)
	osktest.WantKind(t, err, errs.Conflict)
	err = db.WithTx(f.ctx, f.inst.DB.DB, func(tx *sqlx.Tx) error {
		return f.svc.MarkProxyUsed(f.ctx, tx, proxies[2].ID, 77, f.now())
	})
	osktest.WantKind(t, err, errs.Conflict) // withdrawn earlier
	if _, err := f.inst.DB.Exec(`DELETE FROM meeting_proxies WHERE id = $1`, proxies[2].ID); err == nil {
		t.Fatal("a proxy row was deleted")
	}

	// The rules change after the notice: this meeting keeps the proxies
	// its notice announced, a meeting convened since has the new rules.
	f.setRules(func(r *rules.Rules) { r.ProxiesAllowed = false })
	_, o := f.Member("Other Holder")
	if _, err := f.svc.GrantProxy(f.ctx, grantors[2], m.ID, meetings.ProxyInput{HolderMemberID: o.ID}); err != nil {
		t.Fatal(err)
	}
	next := f.convened()
	_, err = f.svc.GrantProxy(f.ctx, grantors[2], next.ID, meetings.ProxyInput{HolderMemberID: o.ID})
	osktest.WantKind(t, err, errs.Conflict)
	f.setRules(func(r *rules.Rules) { r.ProxiesAllowed, r.ProxyMaxPerHolder = true, 1 })
	_, err = f.svc.GrantProxy(f.ctx, grantors[2], next.ID, meetings.ProxyInput{HolderMemberID: o.ID})
	osktest.WantKind(t, err, errs.Conflict)
	last := f.convened()
	if _, err := f.svc.GrantProxy(f.ctx, grantors[2], last.ID, meetings.ProxyInput{HolderMemberID: o.ID}); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.GrantProxy(f.ctx, grantors[1], last.ID, meetings.ProxyInput{HolderMemberID: o.ID})
	osktest.WantKind(t, err, errs.Conflict)
}

// A change of the rules after the notice does not move the deadline the
// notice published.
func TestConvene_FixesTheDeadlineTheNoticePublished(t *testing.T) {
	f := newFixture(t)
	m, err := f.svc.Convene(f.ctx, f.board, f.draftAt(f.now().Add(45*24*time.Hour)).ID)
	if err != nil {
		t.Fatal(err)
	}
	published := m.MemberMotionDeadline
	if !strings.Contains(m.Notice, published.In(m.Zone()).Format("2 January 2006")) {
		t.Fatalf("the notice does not give the deadline %s:\n%s", published, m.Notice)
	}
	f.setRules(func(r *rules.Rules) { r.MemberMotionDeadlineDays = 0 })
	if got, _ := f.svc.Get(f.ctx, m.ID); !got.MemberMotionDeadline.Equal(published) {
		t.Fatalf("deadline %s after the rules changed, published %s", got.MemberMotionDeadline, published)
	}
	d := f.draftAt(f.now().Add(45 * 24 * time.Hour))
	if !d.MemberMotionDeadline.Equal(d.StartsAt) {
		t.Fatalf("a draft's deadline %s, start %s", d.MemberMotionDeadline, d.StartsAt)
	}
}

// Each member counts once, whether present or by proxy; proxies count
// only while their holder is present; suspended members count not at all.
func TestQuorum_MixedAttendanceAndProxiesCountEachMemberOnce(t *testing.T) {
	f := newFixture(t)
	chair, _ := f.Member("Chair Person")
	ann, a := f.Member("Ann Present")
	ben, b := f.Member("Ben Remote")
	cat, c := f.Member("Cat By Proxy")
	dan, d := f.Member("Dan Both")
	eve, _ := f.Member("Eve Holder Absent")
	_, fay := f.Member("Fay Absent Holder")
	gil, g := f.Member("Gil Suspended Later")
	org := f.Organisation(ann, "Ann's Association")
	_, _ = f.Member("Hal Absent")
	m := f.inSession(chair)

	f.attend(ann, m.ID, meetings.ModeInPerson, nil)
	f.attend(ann, m.ID, meetings.ModeInPerson, &org.ID)
	f.attend(ben, m.ID, meetings.ModeRemote, nil)
	for _, g := range []struct {
		p      auth.Principal
		holder int64
	}{{cat, a.ID}, {dan, b.ID}, {eve, fay.ID}} {
		if _, err := f.svc.GrantProxy(f.ctx, g.p, m.ID, meetings.ProxyInput{HolderMemberID: g.holder}); err != nil {
			t.Fatal(err)
		}
	}
	f.attend(dan, m.ID, meetings.ModeInPerson, nil)
	f.attend(gil, m.ID, meetings.ModeInPerson, nil)
	f.suspend(g)

	q := f.quorum(m.ID)
	// Present: Ann, the association, Ben, Dan (Gil is suspended now).
	// By proxy: Cat (held by Ann); Dan is present himself; Eve's holder
	// Fay is absent. Active: chair, Ann, Ben, Cat, Dan, Eve, Fay, Hal and
	// the association.
	want := meetings.Quorum{Present: 4, ByProxy: 1, Represented: 5, Eligible: 9, Required: 0, Met: true}
	if q != want {
		t.Fatalf("quorum %+v, want %+v", q, want)
	}

	reps, err := f.svc.Represented(f.ctx, f.inst.DB, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	byMember := map[int64]meetings.Representation{}
	for _, r := range reps {
		if _, twice := byMember[r.MemberID]; twice {
			t.Fatalf("member %d represented twice", r.MemberID)
		}
		byMember[r.MemberID] = r
	}
	if len(reps) != 5 {
		t.Fatalf("%d represented: %+v", len(reps), reps)
	}
	if r := byMember[c.ID]; r.Via != meetings.ViaProxy || *r.HolderMemberID != a.ID || r.VoterAccountID != ann.AccountID {
		t.Fatalf("Cat: %+v", r)
	}
	if r := byMember[org.ID]; r.Via != meetings.ViaPresent || r.VoterAccountID != ann.AccountID {
		t.Fatalf("the association: %+v", r)
	}
	if r := byMember[d.ID]; r.Via != meetings.ViaPresent || r.VoterAccountID != dan.AccountID {
		t.Fatalf("Dan: %+v", r)
	}
	if r := byMember[b.ID]; r.Mode != meetings.ModeRemote {
		t.Fatalf("Ben: %+v", r)
	}

	// The meeting's own quorum: 60 % of 9 is 6 (rounded up).
	if _, err := f.inst.DB.Exec(`UPDATE meetings SET quorum_min_percent = 60 WHERE id = $1`, m.ID); err != nil {
		t.Fatal(err)
	}
	if q := f.quorum(m.ID); q.Required != 6 || q.Met {
		t.Fatalf("with 60 %%: %+v", q)
	}
	if err := f.svc.Leave(f.ctx, ann, m.ID, nil); err != nil {
		t.Fatal(err)
	}
	// Ann left: she and Cat, whose proxy she holds, no longer count.
	if q := f.quorum(m.ID); q.Present != 3 || q.ByProxy != 0 || q.Represented != 3 {
		t.Fatalf("after Ann left: %+v", q)
	}
}

func TestItemRequests_BeforeTheDeadlineTheBoardDecides(t *testing.T) {
	f := newFixture(t)
	ada, a := f.Member("Ada Member")
	_, bo := f.Member("Bo Member")
	start := f.now().Add(45 * 24 * time.Hour)
	m, err := f.svc.Create(f.ctx, f.board, meetings.Draft{Kind: meetings.KindAnnual, Title: "AGM", StartsAt: rfc(start),
		EndsAt: rfc(start.Add(3 * time.Hour)), Location: "Helsinki"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.RequestItem(f.ctx, ada, m.ID, meetings.ItemRequestInput{Title: "Solar panels"})
	osktest.WantKind(t, err, errs.NotFound) // members do not see drafts
	m, err = f.svc.Convene(f.ctx, f.board, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.RequestItem(f.ctx, ada, m.ID, meetings.ItemRequestInput{Title: strings.Repeat("x", 201)})
	osktest.WantFields(t, err, "title")
	req, err := f.svc.RequestItem(f.ctx, ada, m.ID, meetings.ItemRequestInput{Title: "Solar panels on the roof", Description: "Let us vote on it."})
	if err != nil {
		t.Fatal(err)
	}
	second, err := f.svc.RequestItem(f.ctx, ada, m.ID, meetings.ItemRequestInput{Title: "A party"})
	if err != nil {
		t.Fatal(err)
	}
	if req.Status != meetings.RequestPending || req.MemberID != a.ID {
		t.Fatalf("request: %+v", req)
	}
	_, err = f.svc.AcceptRequest(f.ctx, ada, m.ID, req.ID, meetings.Acceptance{})
	osktest.WantKind(t, err, errs.Forbidden)

	accepted, err := f.svc.AcceptRequest(f.ctx, f.board, m.ID, req.ID, meetings.Acceptance{})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := f.svc.Get(f.ctx, m.ID)
	n := len(got.Agenda)
	if accepted.Status != meetings.RequestAccepted || n != 13 || got.Agenda[n-2].Title != "Solar panels on the roof" || got.Agenda[n-1].Statutory != "closing" {
		t.Fatalf("agenda after accepting: %+v", got.Agenda)
	}
	if !strings.Contains(got.Notice, "SUPPLEMENTARY NOTICE") || got.Revision != 1 {
		t.Fatalf("notice: %s", got.Notice)
	}
	if sent := f.mailTo(bo.Email); len(sent) != 2 || !strings.HasPrefix(sent[0].Subject, "Agenda item added") {
		t.Fatalf("Bo's mail: %+v", sent)
	}
	_, err = f.svc.AcceptRequest(f.ctx, f.board, m.ID, req.ID, meetings.Acceptance{})
	osktest.WantKind(t, err, errs.Conflict)
	_, err = f.svc.DeclineRequest(f.ctx, f.board, m.ID, second.ID, "")
	osktest.WantFields(t, err, "reason")
	declined, err := f.svc.DeclineRequest(f.ctx, f.board, m.ID, second.ID, "Not a matter for the general meeting.")
	if err != nil || declined.Status != meetings.RequestDeclined {
		t.Fatalf("decline: %v %+v", err, declined)
	}
	if sent := f.mailTo(a.Email); !strings.Contains(sent[0].Body, "Not a matter for the general meeting.") {
		t.Fatalf("Ada's latest mail: %+v", sent[0])
	}
	mine, err := f.svc.ItemRequests(f.ctx, ada, m.ID)
	if err != nil || len(mine) != 2 {
		t.Fatalf("Ada's requests: %v %d", err, len(mine))
	}

	f.inst.Clock.Set(got.MemberMotionDeadline.Add(time.Minute))
	_, err = f.svc.RequestItem(f.ctx, ada, m.ID, meetings.ItemRequestInput{Title: "Too late"})
	osktest.WantKind(t, err, errs.Conflict)
}

func TestAgenda_PositionsAndTheNoticePeriod(t *testing.T) {
	f := newFixture(t)
	d := f.draftAt(f.now().Add(20 * 24 * time.Hour))
	_, err := f.svc.AddItem(f.ctx, f.board, d.ID, meetings.ItemInput{Title: "Middle", Position: ptr(4)})
	osktest.WantFields(t, err, "position")
	_, err = f.svc.AddItem(f.ctx, f.board, d.ID, meetings.ItemInput{Title: "Middle", Position: ptr(0)})
	osktest.WantFields(t, err, "position")
	it, err := f.svc.AddItem(f.ctx, f.board, d.ID, meetings.ItemInput{Title: "Middle", Position: ptr(2)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.UpdateItem(f.ctx, f.board, d.ID, it.ID, meetings.ItemChange{Position: ptr(1)}); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.UpdateItem(f.ctx, f.board, d.ID, it.ID, meetings.ItemChange{Position: ptr(9)})
	osktest.WantFields(t, err, "position")
	got, _ := f.svc.Get(f.ctx, d.ID)
	if titles := []string{got.Agenda[0].Title, got.Agenda[1].Title, got.Agenda[2].Title}; strings.Join(titles, "|") != "Middle|Opening of the meeting|Closing of the meeting" {
		t.Fatalf("agenda: %v", titles)
	}
	if err := f.svc.RemoveItem(f.ctx, f.board, d.ID, got.Agenda[1].ID); err != nil {
		t.Fatal(err)
	}
	got, _ = f.svc.Get(f.ctx, d.ID)
	if len(got.Agenda) != 2 || got.Agenda[1].Position != 2 {
		t.Fatalf("after removing: %+v", got.Agenda)
	}

	// After the notice, a weighty item needs 30 days' notice: too late
	// for a meeting in 14 days; an ordinary one is still in time.
	m := f.convened()
	_, err = f.svc.AddItem(f.ctx, f.board, m.ID, meetings.ItemInput{Title: "Merger", Weighty: true})
	osktest.WantKind(t, err, errs.Conflict)
	if _, err := f.svc.AddItem(f.ctx, f.board, m.ID, meetings.ItemInput{Title: "Any other business"}); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.UpdateItem(f.ctx, f.board, m.ID, m.Agenda[0].ID, meetings.ItemChange{Title: ptr("Changed")})
	osktest.WantKind(t, err, errs.Conflict)
	err = f.svc.RemoveItem(f.ctx, f.board, m.ID, m.Agenda[0].ID)
	osktest.WantKind(t, err, errs.Conflict)
}

// VisibleTo is the one rule of who sees a meeting, asked by motions and
// elections too: the board and auditors see drafts, members and the
// meeting's officers every other meeting, and nobody else any.
func TestVisibleTo_DraftsForTheBoardAndAuditorsTheRestForMembersAndOfficers(t *testing.T) {
	f := newFixture(t)
	member, _ := f.Member("Member")
	representative := f.Person("Representative")
	f.Organisation(representative, "Edustaja Oy")
	checker := f.Person("Checker")
	outsider := f.Person("Outsider")
	for _, tc := range []struct {
		name  string
		p     auth.Principal
		draft bool
		other bool
	}{
		{"board", f.board, true, true},
		{"auditor", f.auditor, true, true},
		{"member", member, false, true},
		{"representative", representative, false, true},
		{"checker", checker, false, true},
		{"outsider", outsider, false, false},
		{"admin", f.admin, false, false},
	} {
		c, err := f.inst.Server.Members.CallerOf(f.ctx, tc.p)
		if err != nil {
			t.Fatal(err)
		}
		officers := meetings.Officers{CheckerAccountIDs: []int64{checker.AccountID}}
		for _, status := range []string{meetings.StatusDraft, meetings.StatusCancelled} {
			unnoticed := meetings.Meeting{Status: status, Officers: officers}
			if got := unnoticed.VisibleTo(c); got != tc.draft {
				t.Errorf("%s sees a %s meeting never convened: %v", tc.name, status, got)
			}
		}
		convenedAt := time.Now()
		for _, status := range []string{meetings.StatusConvened, meetings.StatusInSession, meetings.StatusClosed, meetings.StatusCancelled} {
			m := meetings.Meeting{Status: status, Officers: officers, ConvenedAt: &convenedAt}
			if got := m.VisibleTo(c); got != tc.other {
				t.Errorf("%s sees a %s meeting: %v", tc.name, status, got)
			}
		}
	}
}

func TestVisibility_DraftsAreForTheBoardAndAuditors(t *testing.T) {
	f := newFixture(t)
	ada, _ := f.Member("Ada Member")
	outsider := f.Person("Outsider")
	d := f.draftAt(f.now().Add(20 * 24 * time.Hour))
	m := f.convened()
	for _, tc := range []struct {
		p     auth.Principal
		draft bool
	}{{f.board, true}, {f.auditor, true}, {ada, false}} {
		page, err := f.svc.List(f.ctx, tc.p, meetings.ListFilter{})
		if err != nil {
			t.Fatal(err)
		}
		sawDraft := false
		for _, it := range page.Items {
			sawDraft = sawDraft || it.ID == d.ID
		}
		if sawDraft != tc.draft || len(page.Items) < 1 {
			t.Errorf("%s sees the draft: %v", tc.p.Name, sawDraft)
		}
	}
	_, err := f.svc.GetAs(f.ctx, ada, d.ID)
	osktest.WantKind(t, err, errs.NotFound)
	if _, err := f.svc.GetAs(f.ctx, ada, m.ID); err != nil {
		t.Fatal(err)
	}

	_, err = f.svc.List(f.ctx, outsider, meetings.ListFilter{})
	osktest.WantKind(t, err, errs.Forbidden)
	_, err = f.svc.GetAs(f.ctx, outsider, m.ID)
	osktest.WantKind(t, err, errs.NotFound)
	_, err = f.svc.List(f.ctx, f.board, meetings.ListFilter{Limit: 501})
	osktest.WantFields(t, err, "limit")

	page, err := f.svc.List(f.ctx, f.board, meetings.ListFilter{Limit: 1})
	if err != nil || len(page.Items) != 1 || page.NextCursor == nil {
		t.Fatalf("first page: %v %+v", err, page)
	}
	next, err := f.svc.List(f.ctx, f.board, meetings.ListFilter{Limit: 1, Cursor: *page.NextCursor})
	if err != nil || len(next.Items) != 1 || next.Items[0].ID == page.Items[0].ID || next.NextCursor != nil {
		t.Fatalf("second page: %v %+v", err, next)
	}

	// A draft cancelled before its notice went out stays the board's.
	dropped := f.draftAt(f.now().Add(25 * 24 * time.Hour))
	if _, err := f.svc.Cancel(f.ctx, f.board, dropped.ID, "Planned twice."); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.GetAs(f.ctx, ada, dropped.ID)
	osktest.WantKind(t, err, errs.NotFound)
	seen, err := f.svc.List(f.ctx, ada, meetings.ListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range seen.Items {
		if it.ID == dropped.ID {
			t.Error("a member sees a meeting cancelled before its notice in the list")
		}
	}
	feed, err := f.svc.Feed(f.ctx, ada)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(feed), "BEGIN:VEVENT") != 1 {
		t.Errorf("a member's calendar feed has other than the one convened meeting:\n%s", feed)
	}
	if _, err := f.svc.GetAs(f.ctx, f.board, dropped.ID); err != nil {
		t.Errorf("the board lost the cancelled draft: %v", err)
	}
}

// A chair made an auditor since no longer runs the meeting.
func TestOpen_NotByAChairMadeAnAuditorSince(t *testing.T) {
	f := newFixture(t)
	chair, own := f.Member("Chair")
	m := f.convened()
	if _, err := f.svc.SetOfficers(f.ctx, f.board, m.ID, meetings.Officers{ChairAccountID: &chair.AccountID}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.inst.Server.Members.Resign(f.ctx, chair, own.ID, members.Resignation{}); err != nil {
		t.Fatal(err)
	}
	if err := f.inst.Server.Auth.Grant(f.ctx, auth.Operator, chair.AccountID, auth.RoleAuditor); err != nil {
		t.Fatal(err)
	}
	auditor, err := f.inst.Server.Auth.Principal(f.ctx, chair.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	f.inst.Clock.Set(m.StartsAt.Add(-30 * time.Minute))
	_, err = f.svc.Open(f.ctx, auditor, m.ID)
	osktest.WantKind(t, err, errs.Forbidden)
	if got, _ := f.svc.Get(f.ctx, m.ID); got.Status != meetings.StatusConvened {
		t.Fatalf("the meeting is %s", got.Status)
	}
}

// The board may take statutory items off an annual meeting's draft (an
// auditor elected until further notice needs no election), is warned of
// what the notice then lacks, and can put them back where they belong.
func TestStatutoryItems_WarnedOfAndPutBackInPlace(t *testing.T) {
	f := newFixture(t)
	ada, _ := f.Member("Ada Member")
	start := f.now().Add(30 * 24 * time.Hour)
	m, err := f.svc.Create(f.ctx, f.board, meetings.Draft{Kind: meetings.KindAnnual, Title: "AGM", StartsAt: rfc(start),
		EndsAt: rfc(start.Add(3 * time.Hour)), Location: "Helsinki"})
	if err != nil {
		t.Fatal(err)
	}
	want := titlesOf(m.Agenda)
	_, err = f.svc.RestoreStatutory(f.ctx, f.board, m.ID)
	osktest.WantKind(t, err, errs.Conflict)
	for _, key := range []string{"surplus", "auditor_election"} {
		for _, it := range m.Agenda {
			if it.Statutory == key {
				if err := f.svc.RemoveItem(f.ctx, f.board, m.ID, it.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	m, _ = f.svc.Get(f.ctx, m.ID)
	if w := statutoryWarning(m); !strings.Contains(w, "lacks: Use of the surplus shown on the balance sheet; Election of the auditors.") {
		t.Fatalf("warnings: %q", m.Warnings)
	}
	_, err = f.svc.RestoreStatutory(f.ctx, ada, m.ID)
	osktest.WantKind(t, err, errs.Forbidden)
	before := len(f.events(subjectOf(m)))
	m, err = f.svc.RestoreStatutory(f.ctx, f.board, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := titlesOf(m.Agenda); got != want || statutoryWarning(m) != "" {
		t.Fatalf("agenda put back:\n%s\nwant\n%s\nwarnings %q", got, want, m.Warnings)
	}
	if es := f.events(subjectOf(m)); len(es) != before+2 || es[len(es)-1].Action != "meeting.agenda_item_added" {
		t.Fatalf("audit: %d events after %d", len(es), before)
	}

	// An agenda written whole has the items by their titles, or lacks them.
	own, err := f.svc.Create(f.ctx, f.board, meetings.Draft{Kind: meetings.KindAnnual, Title: "AGM", StartsAt: rfc(start),
		EndsAt: rfc(start.Add(3 * time.Hour)), Location: "Helsinki", Agenda: []meetings.ItemInput{
			{Title: "Adopting the financial statements"}, {Title: "Use of the surplus shown on the balance sheet"},
			{Title: "Discharge from liability of the board and the managing director"}, {Title: "Election of the board members"},
			{Title: "Closing"}}})
	if err != nil {
		t.Fatal(err)
	}
	if w := statutoryWarning(own); !strings.Contains(w, "lacks: Election of the auditors.") {
		t.Fatalf("warnings of an agenda written whole: %q", own.Warnings)
	}
	if own, err = f.svc.RestoreStatutory(f.ctx, f.board, own.ID); err != nil {
		t.Fatal(err)
	}
	if got := titlesOf(own.Agenda); !strings.HasSuffix(got, "Election of the board members\nElection of the auditors\nClosing") {
		t.Fatalf("agenda written whole, put back:\n%s", got)
	}

	egm := f.draftAt(start)
	_, err = f.svc.RestoreStatutory(f.ctx, f.board, egm.ID)
	osktest.WantKind(t, err, errs.Conflict)
}

func titlesOf(agenda []meetings.AgendaItem) string {
	titles := make([]string, len(agenda))
	for i, it := range agenda {
		titles[i] = it.Title
	}
	return strings.Join(titles, "\n")
}

func statutoryWarning(m meetings.Meeting) string {
	for _, w := range m.Warnings {
		if strings.Contains(w, "statutory items") {
			return w
		}
	}
	return ""
}

// With a weighty item on the agenda, the notice of any item added later
// must go out as early as that item's: the refusal says so, with the
// longer period its date comes from.
func TestAgenda_LateItemRefusedWithTheWeightyPeriod(t *testing.T) {
	f := newFixture(t)
	start := f.now().Add(40 * 24 * time.Hour).Truncate(time.Minute)
	d := f.draftAt(start, meetings.ItemInput{Title: "Opening"}, meetings.ItemInput{Title: "Merger", Weighty: true})
	m, err := f.svc.Convene(f.ctx, f.board, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.inst.Clock.Set(start.Add(-15 * 24 * time.Hour))
	_, err = f.svc.AddItem(f.ctx, f.board, m.ID, meetings.ItemInput{Title: "Any other business"})
	osktest.WantKind(t, err, errs.Conflict)
	if !strings.Contains(err.Error(), "the agenda has a rule change or a weighty item") || !strings.Contains(err.Error(), "at least 30 days") {
		t.Fatalf("refusal: %v", err)
	}
}

// Officers cannot be appointed after the close, and the Co-operatives
// Act (5:19) has the minutes checked and signed by a checker the meeting
// chose. The meeting's page and the close's confirmation say what is
// missing before the chair closes; the close itself stays the chair's, as
// the API's contract has it.
func TestClose_WarnsOfAMissingSecretaryOrMinuteChecker(t *testing.T) {
	f := newFixture(t)
	chair, _ := f.Member("Cleo Chair")
	m := f.inSession(chair)
	page := fmt.Sprintf("/meetings/%d", m.ID)
	cases := []struct {
		officers meetings.Officers
		want     string
	}{
		{meetings.Officers{ChairAccountID: &chair.AccountID}, "The meeting has no secretary and no minute checker"},
		{meetings.Officers{ChairAccountID: &chair.AccountID, SecretaryAccountID: &f.admin.AccountID}, "The meeting has no minute checker"},
		{meetings.Officers{ChairAccountID: &chair.AccountID, CheckerAccountIDs: []int64{f.board2.AccountID}}, "The meeting has no secretary to write its minutes"},
	}
	for _, tc := range cases {
		if _, err := f.svc.SetOfficers(f.ctx, f.board, m.ID, tc.officers); err != nil {
			t.Fatal(err)
		}
		body := string(f.Client(chair).Get(page + "/close").Body)
		osktest.WantOnPage(t, "the confirmation", body, "Before you close: "+tc.want, `<form method="post" action="`+page+`/close">`)
	}
	osktest.WantOnPage(t, "the meeting's page", string(f.Client(chair).Get(page).Body),
		"<dt>Secretary</dt><dd>Not appointed yet: the minutes need one, appointed before the session closes</dd>")
	if _, err := f.svc.SetOfficers(f.ctx, f.board, m.ID, f.officers(chair)); err != nil {
		t.Fatal(err)
	}
	if body := string(f.Client(chair).Get(page + "/close").Body); strings.Contains(body, "Before you close:") {
		t.Error("the confirmation warns of officers the meeting has")
	}
	if _, err := f.svc.Close(f.ctx, chair, m.ID); err != nil {
		t.Fatal(err)
	}
}

// A session closes without a minute checker all the same: the chair then
// signs its minutes alone.
func TestClose_WithoutAMinuteCheckerAsTheAPIHasIt(t *testing.T) {
	f := newFixture(t)
	chair, _ := f.Member("Cleo Chair")
	m := f.inSession(chair)
	if _, err := f.svc.SetOfficers(f.ctx, f.board, m.ID, meetings.Officers{ChairAccountID: &chair.AccountID}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Close(f.ctx, chair, m.ID); err != nil {
		t.Fatal(err)
	}
}

// The close's audit event records who was represented when the chair
// closed the meeting, before the close records them as leaving.
func TestClose_RecordsTheQuorumAsItStood(t *testing.T) {
	f := newFixture(t)
	chair, _ := f.Member("Cleo Chair")
	ada, _ := f.Member("Ada Member")
	m := f.inSession(chair)
	f.attend(chair, m.ID, meetings.ModeInPerson, nil)
	f.attend(ada, m.ID, meetings.ModeRemote, nil)
	if _, err := f.svc.Close(f.ctx, chair, m.ID); err != nil {
		t.Fatal(err)
	}
	es := f.events(subjectOf(m))
	last := es[len(es)-1]
	var q struct {
		Present int `json:"present"`
	}
	if err := json.Unmarshal(last.Payload, &q); err != nil || last.Action != "meeting.closed" || q.Present != 2 {
		t.Fatalf("%s %s: %v", last.Action, last.Payload, err)
	}
	if now := f.quorum(m.ID); now.Present != 0 {
		t.Fatalf("after the close: %+v", now)
	}
}

// A vote that uses a proxy while its grantor withdraws it: the vote marks
// the proxy without the meeting's lock, and once it commits, the
// withdrawal waiting on the proxy's row is refused as too late.
func TestWithdrawProxy_LosesToAVoteThatUsedItMeanwhile(t *testing.T) {
	f := newFixture(t)
	ada, _ := f.Member("Ada Member")
	_, bo := f.Member("Bo Member")
	m := f.convened()
	px, err := f.svc.GrantProxy(f.ctx, ada, m.ID, meetings.ProxyInput{HolderMemberID: bo.ID})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := f.inst.DB.BeginTxx(f.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := f.svc.MarkProxyUsed(f.ctx, tx, px.ID, 1, f.now()); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := f.svc.WithdrawProxy(f.ctx, ada, m.ID, nil)
		done <- err
	}()
	for deadline := time.Now().Add(10 * time.Second); f.inst.DB.Count(t, `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the withdrawal never waited for the vote")
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	osktest.WantKind(t, <-done, errs.Conflict)
}

// Members were told when the meeting sits. Once its notified end has
// passed without a session, the chair cannot open one: decisions then
// would be taken at a time nobody was given notice of.
func TestOpen_NotAfterTheNotifiedEnd(t *testing.T) {
	f := newFixture(t)
	chair, _ := f.Member("Cleo Chair")
	m := f.convened()
	if _, err := f.svc.SetOfficers(f.ctx, f.board, m.ID, f.officers(chair)); err != nil {
		t.Fatal(err)
	}
	f.inst.Clock.Set(m.EndsAt.Add(time.Minute))
	_, err := f.svc.Open(f.ctx, chair, m.ID)
	osktest.WantKind(t, err, errs.Conflict)
	if !strings.Contains(errs.Message(err), "its session can no longer be opened") {
		t.Errorf("refusal: %q", errs.Message(err))
	}
	page := string(f.Client(chair).Get(fmt.Sprintf("/meetings/%d", m.ID)).Body)
	osktest.WantOnPage(t, "the chair's page", page, "its session can no longer be opened. The board can cancel it and convene a new meeting")
	if strings.Contains(page, "Open the session") {
		t.Error("the page offers to open the session after its end")
	}
	if n := f.count(`SELECT count(*) FROM meetings WHERE id = $1 AND status = 'convened'`, m.ID); n != 1 {
		t.Fatal("a refused opening changed the meeting")
	}
	// Until its end, a late start is still the meeting members were told of.
	f.inst.Clock.Set(m.EndsAt.Add(-time.Minute))
	if _, err := f.svc.Open(f.ctx, chair, m.ID); err != nil {
		t.Fatal(err)
	}
}

// The rules limit the proxies one person holds. An organisation's
// representative holds through their own membership and through every
// organisation they act for, and the limit counts them all together.
func TestGrantProxy_TheLimitIsAPersonsThroughEveryMembership(t *testing.T) {
	f := newFixture(t)
	f.setRules(func(r *rules.Rules) { r.ProxiesAllowed, r.ProxyMaxPerHolder = true, 2 })
	m := f.convened()
	rep, own := f.Member("Rhea Representative")
	first := f.Organisation(rep, "First Co-op")
	second := f.Organisation(rep, "Second Co-op")
	var grantors []auth.Principal
	for _, name := range []string{"Gia Grantor", "Gus Grantor", "Gil Grantor"} {
		p, _ := f.Member(name)
		grantors = append(grantors, p)
	}
	if _, err := f.svc.GrantProxy(f.ctx, grantors[0], m.ID, meetings.ProxyInput{HolderMemberID: own.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.GrantProxy(f.ctx, grantors[1], m.ID, meetings.ProxyInput{HolderMemberID: first.ID}); err != nil {
		t.Fatal(err)
	}
	before := f.count(`SELECT count(*) FROM audit_events`)
	_, err := f.svc.GrantProxy(f.ctx, grantors[2], m.ID, meetings.ProxyInput{HolderMemberID: second.ID})
	osktest.WantKind(t, err, errs.Conflict)
	if !strings.Contains(errs.Message(err), "Second Co-op already holds 2 proxies for this meeting, counting those held through every membership the same person acts for; the rules allow one person at most 2.") {
		t.Errorf("refusal: %q", errs.Message(err))
	}
	if after := f.count(`SELECT count(*) FROM audit_events`); after != before {
		t.Fatalf("a refused proxy wrote %d audit events", after-before)
	}
	// Once one is withdrawn, the person has room again.
	if _, err := f.svc.WithdrawProxy(f.ctx, grantors[0], m.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.GrantProxy(f.ctx, grantors[2], m.ID, meetings.ProxyInput{HolderMemberID: second.ID}); err != nil {
		t.Fatal(err)
	}
}

// A new representative takes on the proxies their organisation holds: a
// change that would take them beyond the person's limit is refused.
func TestChangeRepresentative_KeepsThePersonsProxyLimit(t *testing.T) {
	f := newFixture(t)
	f.setRules(func(r *rules.Rules) { r.ProxiesAllowed, r.ProxyMaxPerHolder = true, 2 })
	m := f.convened()
	rhea, own := f.Member("Rhea Representative")
	rex, _ := f.Member("Rex Representative")
	org := f.Organisation(rex, "Third Co-op")
	var grantors []auth.Principal
	for i, holder := range []int64{own.ID, org.ID, org.ID} {
		p, _ := f.Member(fmt.Sprintf("Grantor %d", i))
		if _, err := f.svc.GrantProxy(f.ctx, p, m.ID, meetings.ProxyInput{HolderMemberID: holder}); err != nil {
			t.Fatal(err)
		}
		grantors = append(grantors, p)
	}
	_, err := f.inst.Server.Members.ChangeRepresentative(f.ctx, f.board, org.ID, members.Representative{AccountID: rhea.AccountID})
	osktest.WantKind(t, err, errs.Conflict)
	if !strings.Contains(errs.Message(err), "The new representative would hold 3 proxies at "+m.Title) {
		t.Errorf("refusal: %q", errs.Message(err))
	}
	if got, _ := f.inst.Server.Members.Get(f.ctx, org.ID); got.AccountID == nil || *got.AccountID != rex.AccountID {
		t.Fatalf("a refused change changed the representative: %v", got.AccountID)
	}
	// Within the limit, the organisation changes hands.
	if _, err := f.svc.WithdrawProxy(f.ctx, grantors[0], m.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.inst.Server.Members.ChangeRepresentative(f.ctx, f.board, org.ID, members.Representative{AccountID: rhea.AccountID}); err != nil {
		t.Fatal(err)
	}
}

// A change of representative locks the organisation, then the meetings
// where it holds proxies; a grant locks the meeting, then points at the
// organisation. Neither may wait for the other for ever.
func TestChangeRepresentative_WaitsForAGrantWithoutDeadlock(t *testing.T) {
	f := newFixture(t)
	f.setRules(func(r *rules.Rules) { r.ProxiesAllowed, r.ProxyMaxPerHolder = true, 3 })
	m := f.convened()
	rex, _ := f.Member("Rex Representative")
	rhea, _ := f.Member("Rhea Representative")
	org := f.Organisation(rex, "Fourth Co-op")
	first, _ := f.Member("First Grantor")
	if _, err := f.svc.GrantProxy(f.ctx, first, m.ID, meetings.ProxyInput{HolderMemberID: org.ID}); err != nil {
		t.Fatal(err)
	}
	_, second := f.Member("Second Grantor")

	grant, err := f.inst.DB.BeginTxx(f.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer grant.Rollback()
	if _, err := grant.ExecContext(f.ctx, `SELECT 1 FROM meetings WHERE id = $1 FOR UPDATE`, m.ID); err != nil {
		t.Fatal(err)
	}
	changed := make(chan error, 1)
	go func() {
		_, err := f.inst.Server.Members.ChangeRepresentative(f.ctx, f.board, org.ID, members.Representative{AccountID: rhea.AccountID})
		changed <- err
	}()
	f.inst.WaitForLock(t, "the change of representative")
	if _, err := grant.ExecContext(f.ctx, `INSERT INTO meeting_proxies (meeting_id, grantor_member_id, holder_member_id, granted_at, granted_by)
		VALUES ($1, $2, $3, now(), $4)`, m.ID, second.ID, org.ID, f.board.AccountID); err != nil {
		t.Fatalf("the grant: %v", err)
	}
	if err := grant.Commit(); err != nil {
		t.Fatalf("the grant: %v", err)
	}
	if err := <-changed; err != nil {
		t.Fatalf("the change of representative: %v", err)
	}
}
