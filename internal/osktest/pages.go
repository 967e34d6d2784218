package osktest

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// ShownAt is how a page shows the moment at of a meeting in the zone,
// without JavaScript (views/meetings/_time.html): the local time in a
// <time> element with the zone's name, and the time in UTC with its date
// when that is another day.
func ShownAt(t testing.TB, at time.Time, zone string) []string {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	utc := at.UTC().Format("15:04")
	if at.UTC().Format(time.DateOnly) != at.In(loc).Format(time.DateOnly) {
		utc = at.UTC().Format("Monday 2 January 2006, 15:04")
	}
	return []string{
		fmt.Sprintf(`<time datetime="%s" data-local-time data-zone="%s">%s</time>`, at.UTC().Format(time.RFC3339), zone, at.In(loc).Format("Monday 2 January 2006, 15:04 MST")),
		fmt.Sprintf(`(%s; %s UTC)`, zone, utc),
	}
}

// WantOnPage fails the test for each fragment the page, named name in the
// failure, lacks.
func WantOnPage(t testing.TB, name, page string, fragments ...string) {
	t.Helper()
	for _, want := range fragments {
		if !strings.Contains(page, want) {
			t.Errorf("%s lacks %s", name, want)
		}
	}
}
