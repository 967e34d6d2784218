package motions_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/osktest"
)

// losAngeles is where the meeting of these tests is held: its evening is
// the next day in UTC, and further east.
const losAngeles = "America/Los_Angeles"

// eveningInLosAngeles convenes a meeting at 18:00 in Los Angeles six weeks
// ahead, with the fixture's agenda, and makes it the fixture's meeting.
func (f *fixture) eveningInLosAngeles() {
	f.t.Helper()
	la, err := time.LoadLocation(losAngeles)
	if err != nil {
		f.t.Fatal(err)
	}
	day := f.now().Add(42 * 24 * time.Hour).In(la)
	start := time.Date(day.Year(), day.Month(), day.Day(), 18, 0, 0, 0, la)
	m, err := f.inst.Server.Meetings.Create(f.ctx, f.board, meetings.Draft{
		Kind: meetings.KindExtraordinary, Title: "Evening meeting in Los Angeles", StartsAt: rfc(start), EndsAt: rfc(start.Add(2 * time.Hour)),
		TimeZone: losAngeles, Location: "1 Main Street, Los Angeles",
		Agenda: []meetings.ItemInput{{Title: "Opening of the meeting"}, {Title: "Membership fee"}, {Title: "Closing of the meeting"}},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	if m, err = f.inst.Server.Meetings.Convene(f.ctx, f.board, m.ID); err != nil {
		f.t.Fatal(err)
	}
	f.use(m)
}

func TestPages_MotionTimesInTheMeetingsZoneAndUTC(t *testing.T) {
	f := newFixture(t)
	f.eveningInLosAngeles()
	p, _ := f.Member("Aino Proposer")
	s, _ := f.Member("Bertta Seconder")
	// Proposed at 22:00 in Los Angeles tomorrow, seconded at 23:30 and
	// withdrawn at 00:30: each another day in UTC.
	la, err := time.LoadLocation(losAngeles)
	if err != nil {
		t.Fatal(err)
	}
	now := f.now().Add(24 * time.Hour).In(la)
	f.inst.Clock.Set(time.Date(now.Year(), now.Month(), now.Day(), 22, 0, 0, 0, la))
	d := f.propose(p, text("Plant trees"))
	f.inst.Clock.Advance(90 * time.Minute)
	d = f.second(s, d.ID)
	f.inst.Clock.Advance(time.Hour)
	if d, err = f.svc.Withdraw(f.ctx, p, d.ID); err != nil {
		t.Fatal(err)
	}
	c := f.Client(p)

	list := c.Get(fmt.Sprintf("/meetings/%d/motions", f.meeting.ID))
	if list.StatusCode != 200 {
		t.Fatalf("the motions page: %d", list.StatusCode)
	}
	osktest.WantOnPage(t, "the motions page", string(list.Body), osktest.ShownAt(t, f.meeting.StartsAt, losAngeles)...)
	osktest.WantOnPage(t, "the motions page", string(list.Body), osktest.ShownAt(t, f.meeting.MemberMotionDeadline, losAngeles)...)
	osktest.WantOnPage(t, "the motions page", string(list.Body), `src="/static/js/osk.js`)

	show := c.Get(fmt.Sprintf("/motions/%d", d.ID))
	if show.StatusCode != 200 {
		t.Fatalf("the motion's page: %d", show.StatusCode)
	}
	body := string(show.Body)
	for _, at := range []time.Time{d.SubmittedAt, *d.SecondedAt, *d.WithdrawnAt} {
		osktest.WantOnPage(t, "the motion's page", body, osktest.ShownAt(t, at, losAngeles)...)
	}
	osktest.WantOnPage(t, "the motion's page", body, "<dt>Withdrawn</dt><dd><time ", `src="/static/js/osk.js`)
}
