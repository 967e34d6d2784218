package web

import "testing"

func TestLoggedPath_HidesTheSecretsOfPaths(t *testing.T) {
	for path, want := range map[string]string{
		"/api/v1/receipts/abcdefghijklmnopqrstuvwxyz":   "/api/v1/receipts/-",
		"/meetings/calendar/oskcal_N9b2aVeryLongSecret": "/meetings/calendar/-",
		"/api/v1/RECEIPTS/abcdefghijklmnopqrstuvwxyz":   "/api/v1/receipts/-",
		"/Meetings/Calendar/oskcal_N9b2aVeryLongSecret": "/meetings/calendar/-",
		"/api/v1/receipts/":                             "/api/v1/receipts/",
		"/meetings/12/calendar.ics":                     "/meetings/12/calendar.ics",
		"/api/v1/ballots/3/votes":                       "/api/v1/ballots/3/votes",
	} {
		if got := loggedPath(path); got != want {
			t.Errorf("loggedPath(%q) = %q, want %q", path, got, want)
		}
	}
}
