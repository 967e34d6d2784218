package live_test

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/citizen-network/osk/internal/dbtest"
	"github.com/citizen-network/osk/internal/live"
)

// A stream ends after MaxStream, having sent what happened, so that the
// browser reconnects from its last event and is authorised again.
func TestStream_EndsAfterMaxStreamForTheReconnectionToBeAuthorised(t *testing.T) {
	d := dbtest.New(t)
	hub := live.NewHub(d.DB, "", nil)
	hub.MaxStream = 300 * time.Millisecond
	hub.Heartbeat = 50 * time.Millisecond
	t.Cleanup(hub.Close)
	publish(t, d.DB, "meeting:1", "quorum", map[string]int{"present": 1})

	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/events", func(c *fiber.Ctx) error { return hub.Stream(c, "meeting:1", "account:1") })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })

	req, _ := http.NewRequest(http.MethodGet, "http://"+ln.Addr().String()+"/events", nil)
	req.Header.Set("Last-Event-ID", "0")
	started := time.Now()
	// Bounded, so that a stream that never ends fails the test rather than
	// hanging it.
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got []string
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		got = append(got, lines.Text())
	}
	took := time.Since(started)
	if took < hub.MaxStream || took > 4*time.Second {
		t.Fatalf("the stream lasted %s, want about %s", took, hub.MaxStream)
	}
	if !strings.Contains(strings.Join(got, "\n"), "event: quorum") {
		t.Fatalf("the stream ended without sending its event: %q", got)
	}
}
