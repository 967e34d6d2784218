package ballots_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/osktest"
)

// losAngeles is where the meetings of these tests are held: their evening
// is the next day in UTC, and further east.
const losAngeles = "America/Los_Angeles"

// eveningInLosAngeles convenes a meeting at 18:00 in Los Angeles two weeks
// ahead, chaired by chair, and opens its session with the chair present.
func (f *fixture) eveningInLosAngeles(chair auth.Principal) meetings.Meeting {
	f.t.Helper()
	la, err := time.LoadLocation(losAngeles)
	if err != nil {
		f.t.Fatal(err)
	}
	day := f.now().Add(14 * 24 * time.Hour).In(la)
	start := time.Date(day.Year(), day.Month(), day.Day(), 18, 0, 0, 0, la)
	svc := f.inst.Server.Meetings
	m, err := svc.Create(f.ctx, f.board, meetings.Draft{
		Kind: meetings.KindExtraordinary, Title: "Evening meeting in Los Angeles", StartsAt: rfc(start), EndsAt: rfc(start.Add(5 * time.Hour)),
		TimeZone: losAngeles, Location: "1 Main Street, Los Angeles",
		Agenda: []meetings.ItemInput{{Title: "Opening of the meeting"}, {Title: "Closing of the meeting"}},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	if m, err = svc.Convene(f.ctx, f.board, m.ID); err != nil {
		f.t.Fatal(err)
	}
	f.withChair(m, chair)
	m = f.open(m, chair)
	f.attend(chair, m.ID, nil)
	return m
}

func TestPages_BallotTimesInTheMeetingsZoneAndUTC(t *testing.T) {
	f := newFixture(t)
	chair, _ := f.member("Chair")
	m := f.eveningInLosAngeles(chair)
	// Voting ends at 21:00 in Los Angeles: the next day in UTC.
	closes := m.StartsAt.Add(3 * time.Hour)
	b := f.openBallot(chair, ballots.OpenSpec{MeetingID: m.ID, ClosesAt: &closes})
	c := f.client(chair)
	page := fmt.Sprintf("/ballots/%d", b.ID)

	show := c.Get(page)
	if show.StatusCode != 200 {
		t.Fatalf("the ballot's page: %d", show.StatusCode)
	}
	body := string(show.Body)
	osktest.WantOnPage(t, "the open ballot's page", body, osktest.ShownAt(t, closes, losAngeles)...)
	osktest.WantOnPage(t, "the open ballot's page", body, osktest.ShownAt(t, b.OpenedAt, losAngeles)...)
	osktest.WantOnPage(t, "the open ballot's page", body, "<dt>Voting ends</dt><dd>No later than <time ", `src="/static/js/osk.js`)

	f.vote(chair, b.ID, ballots.ChoiceFor, nil)
	f.inst.Clock.Advance(time.Hour)
	closed := f.close(chair, b.ID)
	for _, p := range []string{page, page + "/record"} {
		resp := c.Get(p)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", p, resp.StatusCode)
		}
		body := string(resp.Body)
		osktest.WantOnPage(t, p, body, osktest.ShownAt(t, *closed.ClosedAt, losAngeles)...)
		osktest.WantOnPage(t, p, body, osktest.ShownAt(t, closed.OpenedAt, losAngeles)...)
		osktest.WantOnPage(t, p, body, "<dt>Closed</dt><dd><time ", `src="/static/js/osk.js`)
	}
}

// The meeting's own page gives the UTC date when it is not the meeting's
// local date: a reader without JavaScript must not be a day off.
func TestPages_MeetingPageGivesTheUTCDateWhenItDiffers(t *testing.T) {
	f := newFixture(t)
	chair, _ := f.member("Chair")
	m := f.eveningInLosAngeles(chair)
	resp := f.client(chair).Get(fmt.Sprintf("/meetings/%d", m.ID))
	if resp.StatusCode != 200 {
		t.Fatalf("the meeting's page: %d", resp.StatusCode)
	}
	// 18:00 in Los Angeles is 01:00 or 02:00 the next day in UTC.
	next := m.StartsAt.UTC().Format("Monday 2 January 2006")
	osktest.WantOnPage(t, "the meeting's page", string(resp.Body), osktest.ShownAt(t, m.StartsAt, losAngeles)...)
	osktest.WantOnPage(t, "the meeting's page", string(resp.Body), "(America/Los_Angeles; "+next+", ")
}
