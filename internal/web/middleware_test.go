package web

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

func TestLoggedPath_HidesTheSecretsOfPaths(t *testing.T) {
	for path, want := range map[string]string{
		"/api/v1/receipts/abcdefghijklmnopqrstuvwxyz":   "/api/v1/receipts/-",
		"/meetings/calendar/oskcal_N9b2aVeryLongSecret": "/meetings/calendar/-",
		"/api/v1/RECEIPTS/abcdefghijklmnopqrstuvwxyz":   "/api/v1/receipts/-",
		"/Meetings/Calendar/oskcal_N9b2aVeryLongSecret": "/meetings/calendar/-",
		"/api/v1/receipts/":                             "/api/v1/receipts/",
		"/meetings/12/calendar.ics":                     "/meetings/12/calendar.ics",
		"/api/v1/ballots/3/votes":                       "/api/v1/ballots/3/votes",
		// Mangled on the way to a 404, the secret is still a secret.
		"/api/v1//receipts/abcdefghijklmnopqrstuvwxyz":                "/api/v1/receipts/-",
		"/api/v1/./receipts/abcdefghijklmnopqrstuvwxyz":               "/api/v1/receipts/-",
		"/api/v1/x/../receipts/abcdefghijklmnopqrstuvwx":              "/api/v1/receipts/-",
		"/receipts/abcdefghijklmnopqrstuvwxyz":                        "/receipts/-",
		"/api/v1%2Freceipts%2Fabcdefghijklmnopqrstuvwxyz":             "/api/v1/receipts/-",
		"/api/v1/receipts%2Fabcdefghijklmnopqrstuvwxyz":               "/api/v1/receipts/-",
		"/x/receipts/abcd-efgh-ijkl":                                  "/x/receipts/-",
		"//meetings//calendar/oskcal_secret":                          "/meetings/calendar/-",
		"/receipts":                                                   "/receipts",
		"/api/v1/receipts%25252525252Fabcdefghijklmnopqrstuvwxyz":     "/api/v1/receipts/-",
		"/api/v1/receipts%00/abcdefghijklmnopqrstuvwxyz":              "/api/v1/receipts/-",
		"/api/v1/receipts%20/abcdefghijklmnopqrstuvwxyz":              "/api/v1/receipts/-",
		"/api/v1/receipts%09/abcdefghijklmnopqrstuvwxyz":              "/api/v1/receipts/-",
		"/api/v1/receipts.json/abcdefghijklmnopqrstuvwxyz":            "/api/v1/receipts/-",
		"/api/v1/receipts%2f%2e%2e%2fabcdefghijklmnopqrstuvwxyz":      "/api/v1/receipts/-",
		"/api/v1/receipts%2525252525252525252Fabcdefghijklmnopqrstuv": "-",
		"/api/v1/receipts%252Fabcdefghijklmnopqrstuvwxyz":             "/api/v1/receipts/-",
		"/api/v1%2Freceipts%2Fabcdefghijklmnopqrstuvwxyz%zz":          "/api/v1/receipts/-",
		"/api/v1/receipts;/abcdefghijklmnopqrstuvwxyz":                "/api/v1/receipts/-",
		`/api/v1/receipts\abcdefghijklmnopqrstuvwxyz`:                 "/api/v1/receipts/-",
		"/api/v1/receipts%5cabcdefghijklmnopqrstuvwxyz":               "/api/v1/receipts/-",
	} {
		if got := loggedPath(path); got != want {
			t.Errorf("loggedPath(%q) = %q, want %q", path, got, want)
		}
	}
}

// A receipt's request that fails is logged twice, by the access log and
// as a failure: neither line holds the receipt.
func TestLogs_NeverHoldAReceipt(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	app := fiber.New(fiber.Config{ErrorHandler: errorHandler(logger)})
	app.Use(accessLog(logger))
	app.Get("/api/v1/receipts/:receipt", func(*fiber.Ctx) error { return errors.New("the database is down") })
	const receipt = "ctooavd3rbv6f5erqcgpqsxv6a"
	for _, path := range []string{"/api/v1/receipts/" + receipt, "/api/v1//receipts/" + receipt} {
		resp, err := app.Test(httptest.NewRequest(http.MethodGet, path, nil))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if strings.Contains(buf.String(), receipt) {
		t.Errorf("the log holds the receipt:\n%s", buf.String())
	}
	if n := strings.Count(buf.String(), "\n"); n < 3 {
		t.Errorf("%d log lines, want the failure and two requests:\n%s", n, buf.String())
	}
}
