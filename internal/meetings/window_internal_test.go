package meetings

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/clock"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/rules"
)

func helsinki(t *testing.T, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v.UTC()
}

func meetingAt(t *testing.T, start string, weighty, ruleChange bool) Meeting {
	t.Helper()
	m := Meeting{StartsAt: helsinki(t, start), TimeZone: "Europe/Helsinki", Location: "Helsinki",
		Agenda: []AgendaItem{{Position: 1, Title: "Opening"}, {Position: 2, Title: "Item", Weighty: weighty, RuleChange: ruleChange, Description: "The rules, article 5."}}}
	m.EndsAt = m.StartsAt.Add(2 * time.Hour)
	m.normalise()
	return m
}

// The notice window of SPEC.md at its edges: no later than 7 days and no
// earlier than 2 months before the meeting, 30 days for a rule change or a
// weighty item.
func TestNoticeWindow_Edges(t *testing.T) {
	r := rules.Defaults()
	const start = "2026-06-15 18:00"
	cases := []struct {
		name       string
		now        string
		weighty    bool
		ruleChange bool
		ok         bool
	}{
		{"exactly 7 days before", "2026-06-08 18:00", false, false, true},
		{"6 days 23 hours before", "2026-06-08 19:00", false, false, false},
		{"exactly 2 months before", "2026-04-15 18:00", false, false, true},
		{"2 months and one day before", "2026-04-14 18:00", false, false, false},
		{"a minute within 2 months", "2026-04-15 18:01", false, false, true},
		{"weighty: exactly 30 days before", "2026-05-16 18:00", true, false, true},
		{"weighty: 29 days before", "2026-05-17 18:00", true, false, false},
		{"rule change: 29 days 23 hours before", "2026-05-16 19:00", false, true, false},
		{"rule change: exactly 30 days before", "2026-05-16 18:00", false, true, true},
		{"weighty: 7 days before is too late", "2026-06-08 18:00", true, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := meetingAt(t, start, tc.weighty, tc.ruleChange)
			err := readyToConvene(m, r, helsinki(t, tc.now))
			if tc.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.ok {
				var v *errs.Validation
				if !errors.As(err, &v) || len(v.Fields) != 1 || v.Fields[0].Field != "starts_at" {
					t.Fatalf("error %v, want one on starts_at", err)
				}
			}
		})
	}
}

// A week before is counted in the meeting's calendar: across the end of
// summer time it is the same wall-clock time, not 168 hours.
func TestNoticeWindow_CountsDaysInTheMeetingsZone(t *testing.T) {
	m := meetingAt(t, "2026-10-27 18:00", false, false)
	_, latest := noticeWindow(m, rules.Defaults())
	if want := helsinki(t, "2026-10-20 18:00"); !latest.Equal(want) {
		t.Fatalf("latest notice %s, want %s", latest, want)
	}
	if got := m.StartsAt.Sub(latest); got != 7*24*time.Hour+time.Hour {
		t.Fatalf("the week spans %s, want 169h across the change of time", got)
	}
}

// Two months before the last day of April is the last day of February,
// not the second of March.
func TestNoticeWindow_MonthsEndAtTheShorterMonthsLastDay(t *testing.T) {
	cases := map[string]string{
		"2027-04-30 18:00": "2027-02-28 18:00",
		"2028-04-30 18:00": "2028-02-29 18:00",
		"2027-04-29 18:00": "2027-02-28 18:00",
		"2027-04-28 18:00": "2027-02-28 18:00",
		"2027-05-31 18:00": "2027-03-31 18:00",
		"2027-01-31 09:30": "2026-11-30 09:30",
	}
	for start, want := range cases {
		earliest, _ := noticeWindow(meetingAt(t, start, false, false), rules.Defaults())
		if !earliest.Equal(helsinki(t, want)) {
			t.Errorf("two months before %s: %s, want %s", start, earliest.In(time.FixedZone("", 2*3600)), want)
		}
	}
}

func TestNoticeWindow_FollowsTheRules(t *testing.T) {
	r := rules.Defaults()
	r.NoticeMinDays, r.NoticeMaxMonths = 14, 1
	m := meetingAt(t, "2026-06-15 18:00", false, false)
	if err := readyToConvene(m, r, helsinki(t, "2026-06-02 18:00")); err == nil {
		t.Fatal("13 days before accepted under a 14-day rule")
	}
	if err := readyToConvene(m, r, helsinki(t, "2026-05-14 18:00")); err == nil {
		t.Fatal("a month and a day before accepted under a 1-month rule")
	}
	if err := readyToConvene(m, r, helsinki(t, "2026-05-20 18:00")); err != nil {
		t.Fatalf("within the window refused: %v", err)
	}
}

func TestQuorumRule_Required(t *testing.T) {
	cases := []struct {
		rule     QuorumRule
		eligible int
		want     int
	}{
		{QuorumRule{}, 100, 0},
		{QuorumRule{MinMembers: 5}, 100, 5},
		{QuorumRule{MinPercent: 10}, 100, 10},
		{QuorumRule{MinPercent: 10}, 101, 11},
		{QuorumRule{MinMembers: 3, MinPercent: 10}, 101, 11},
		{QuorumRule{MinMembers: 20, MinPercent: 10}, 101, 20},
		{QuorumRule{MinPercent: 100}, 7, 7},
	}
	for _, tc := range cases {
		if got := tc.rule.Required(tc.eligible); got != tc.want {
			t.Errorf("%+v of %d: %d, want %d", tc.rule, tc.eligible, got, tc.want)
		}
	}
}

func TestICS_FoldsLongLinesWithoutSplittingCharacters(t *testing.T) {
	var b bytes.Buffer
	long := "SUMMARY:" + strings.Repeat("Yhdistyksen kokouksen pöytäkirja ", 10)
	writeFolded(&b, long)
	lines := strings.Split(strings.TrimSuffix(b.String(), "\r\n"), "\r\n")
	if len(lines) < 2 {
		t.Fatalf("not folded: %q", b.String())
	}
	var joined strings.Builder
	for i, l := range lines {
		if len(l) > 75 {
			t.Errorf("line %d has %d octets", i, len(l))
		}
		if i > 0 {
			if !strings.HasPrefix(l, " ") {
				t.Errorf("continuation line %d does not start with a space", i)
			}
			l = l[1:]
		}
		joined.WriteString(l)
	}
	if joined.String() != long {
		t.Fatal("unfolding does not give the line back")
	}
	if got := icsText("a,b;c\\d\ne"); got != `a\,b\;c\\d\ne` {
		t.Fatalf("escaped %q", got)
	}
}

// Each published event names its organizer (RFC 5546, 3.2.1): the address
// that sends the notices, with a name that cannot break the line.
func TestICS_OrganizerIsTheSenderOfTheNotices(t *testing.T) {
	for from, want := range map[string]string{
		"Osk <osk@example.org>":                       `ORGANIZER;CN="Osk":mailto:osk@example.org`,
		"osk@example.org":                             "ORGANIZER:mailto:osk@example.org",
		`"Citizen \"Network\" Osk" <osk@example.org>`: `ORGANIZER;CN="Citizen Network Osk":mailto:osk@example.org`,
		"not an address":                              "",
	} {
		if got := icsOrganizer(from); got != want {
			t.Errorf("%q: %q, want %q", from, got, want)
		}
	}
	s := &Service{cfg: Config{BaseURL: "https://osk.example.org", Organizer: "Osk <osk@example.org>"}, clock: clock.Real{}}
	m := meetingAt(t, "2026-06-15 18:00", false, false)
	if cal := string(s.ics([]Meeting{m})); !strings.Contains(cal, "\r\nORGANIZER;CN=\"Osk\":mailto:osk@example.org\r\n") {
		t.Fatalf("the calendar:\n%s", cal)
	}
}
