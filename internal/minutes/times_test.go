package minutes_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/minutes"
	"github.com/citizen-network/osk/internal/osktest"
)

// losAngeles is where the meeting of these tests is held: its evening is
// the next day in UTC, and further east.
const losAngeles = "America/Los_Angeles"

// eveningInLosAngeles holds a meeting at 18:00 in Los Angeles ten days
// ahead, with the fixture's officers present, and closes its session at
// 19:30 there. The clock is left at the close.
func (f *fixture) eveningInLosAngeles(title string) meetings.Meeting {
	f.t.Helper()
	la, err := time.LoadLocation(losAngeles)
	if err != nil {
		f.t.Fatal(err)
	}
	day := f.inst.Clock.Now().Add(10 * 24 * time.Hour).In(la)
	start := time.Date(day.Year(), day.Month(), day.Day(), 18, 0, 0, 0, la)
	m := f.sessionAt(title, start, meetings.Draft{TimeZone: losAngeles, Location: "1 Main Street, Los Angeles",
		Agenda: []meetings.ItemInput{{Title: "Opening of the meeting"}, {Title: "Closing of the meeting"}}})
	return f.closeSession(m)
}

func TestPages_MinutesTimesInTheMeetingsZoneAndUTC(t *testing.T) {
	f := newFixture(t)
	m := f.eveningInLosAngeles("Evening meeting in Los Angeles")
	script := `src="/static/js/osk.js`

	// The board's deadlines: the session closed at 19:30 in Los Angeles,
	// the next day in UTC, and the minutes are due two weeks later.
	board := f.Client(f.board)
	deadlines, err := f.svc.Deadlines(f.ctx, f.board)
	if err != nil {
		t.Fatal(err)
	}
	var due time.Time
	for _, d := range deadlines {
		if d.MeetingID == m.ID {
			due = d.Deadline
		}
	}
	if due.IsZero() {
		t.Fatalf("no deadline for meeting %d: %+v", m.ID, deadlines)
	}
	overdue := board.Get("/minutes/overdue")
	if overdue.StatusCode != 200 {
		t.Fatalf("/minutes/overdue: %d", overdue.StatusCode)
	}
	osktest.WantOnPage(t, "/minutes/overdue", string(overdue.Body), osktest.ShownAt(t, *m.ClosedAt, losAngeles)...)
	osktest.WantOnPage(t, "/minutes/overdue", string(overdue.Body), osktest.ShownAt(t, due, losAngeles)...)
	osktest.WantOnPage(t, "/minutes/overdue", string(overdue.Body), "<dt>Session closed</dt><dd><time ", "<dt>Deadline</dt><dd><time ", script)

	// The sealed minutes: the meeting's time, each signature's, the seal's.
	f.submitted(m, "# Minutes\n\nThe meeting was opened and closed.\n")
	var sealed minutes.Minutes
	for _, p := range []auth.Principal{f.chair, f.checker1, f.checker2} {
		f.inst.Clock.Advance(time.Hour)
		if sealed, err = f.svc.Sign(f.ctx, p, minutes.Main(m.ID), nil); err != nil {
			t.Fatal(err)
		}
	}
	if !sealed.Sealed() {
		t.Fatalf("the minutes are %s after every signature", sealed.Status)
	}
	path := fmt.Sprintf("/meetings/%d/minutes", m.ID)
	show := f.Client(f.member).Get(path)
	if show.StatusCode != 200 {
		t.Fatalf("%s: %d", path, show.StatusCode)
	}
	body := string(show.Body)
	osktest.WantOnPage(t, "the minutes' page", body, osktest.ShownAt(t, m.StartsAt, losAngeles)...)
	for _, s := range sealed.Signatures {
		osktest.WantOnPage(t, "the minutes' page", body, osktest.ShownAt(t, s.SignedAt, losAngeles)...)
	}
	osktest.WantOnPage(t, "the minutes' page", body, osktest.ShownAt(t, *sealed.SealedAt, losAngeles)...)
	osktest.WantOnPage(t, "the minutes' page", body, "<dt>Sealed</dt><dd><time ", script)

	// The archive says when the meeting was held, and the versions when
	// each was saved.
	archive := f.Client(f.member).Get("/minutes")
	osktest.WantOnPage(t, "the archive", string(archive.Body), osktest.ShownAt(t, m.StartsAt, losAngeles)...)
	osktest.WantOnPage(t, "the archive", string(archive.Body), script)
	versions, err := f.svc.Versions(f.ctx, f.secretary, minutes.Main(m.ID))
	if err != nil || len(versions) != 1 {
		t.Fatalf("versions: %v, %d", err, len(versions))
	}
	secretary := f.Client(f.secretary)
	for _, p := range []string{path + "/versions", path + "/versions/1"} {
		resp := secretary.Get(p)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", p, resp.StatusCode)
		}
		osktest.WantOnPage(t, p, string(resp.Body), osktest.ShownAt(t, versions[0].CreatedAt, losAngeles)...)
		osktest.WantOnPage(t, p, string(resp.Body), script)
	}
}
