package live

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// batch is how many events a stream reads at once.
const batch = 100

// writeGrace is how long one write to a client may take before the stream
// gives up on it.
const writeGrace = 30 * time.Second

// Stream answers the request of holder (who is asking, such as
// "account:7") with the events of topic as Server-Sent Events (the caller
// has checked that the requester may see the topic).
// It starts after the Last-Event-ID the browser sends on reconnecting, or
// after the "last_event_id" query parameter a page passes on its first
// connection, or else after the topic's last event. It ends when the client
// goes away or the hub closes.
func (h *Hub) Stream(c *fiber.Ctx, topic, holder string) error {
	after, ok := lastEventID(c)
	if !ok {
		latest, err := Latest(c.UserContext(), h.conn, topic)
		if err != nil {
			return err
		}
		after = latest
	}
	sub, err := h.Subscribe(topic, holder)
	if errors.Is(err, ErrClosed) {
		return fiber.NewError(fiber.StatusServiceUnavailable, "This server is restarting. The page reconnects by itself.")
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/event-stream; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Accel-Buffering", "no")
	conn := c.Context().Conn()
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer sub.Close()
		s := stream{hub: h, sub: sub, topic: topic, after: after, w: w,
			deadline: func() { _ = conn.SetWriteDeadline(time.Now().Add(writeGrace)) }}
		if err := s.run(); err != nil && h.ctx.Err() == nil {
			h.logger.Debug("live: stream ended", "topic", topic, "err", err)
		}
	})
	return nil
}

// lastEventID reads where the client left off.
func lastEventID(c *fiber.Ctx) (int64, bool) {
	raw := strings.TrimSpace(c.Get("Last-Event-ID"))
	if raw == "" {
		raw = strings.TrimSpace(c.Query("last_event_id"))
	}
	if raw == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

type stream struct {
	hub      *Hub
	sub      *Subscription
	topic    string
	after    int64
	w        *bufio.Writer
	deadline func()
}

func (s *stream) run() error {
	// The browser waits this long before reconnecting after a drop.
	if err := s.write("retry: 3000\n\n"); err != nil {
		return err
	}
	beat := time.NewTicker(s.hub.Heartbeat)
	defer beat.Stop()
	end := time.NewTimer(s.hub.MaxStream)
	defer end.Stop()
	for {
		n, err := s.send()
		if err != nil {
			return err
		}
		if n == batch {
			continue
		}
		select {
		case <-s.sub.Done():
			return nil
		case <-end.C:
			return nil
		case <-s.sub.Wake():
		case <-beat.C:
			// A comment line: it keeps proxies from timing the stream out
			// and tells us when the client has gone.
			if err := s.write(": keep-alive\n\n"); err != nil {
				return err
			}
		}
	}
}

// send writes the events after the last one sent and returns how many.
func (s *stream) send() (int, error) {
	ctx, cancel := context.WithTimeout(s.hub.ctx, 10*time.Second)
	defer cancel()
	events, err := Since(ctx, s.hub.conn, s.topic, s.after, batch)
	if err != nil {
		return 0, err
	}
	if len(events) == 0 {
		return 0, nil
	}
	var b bytes.Buffer
	for _, e := range events {
		fmt.Fprintf(&b, "id: %d\nevent: %s\n", e.Seq, e.Name)
		for line := range bytes.SplitSeq(e.Data, []byte("\n")) {
			b.WriteString("data: ")
			b.Write(line)
			b.WriteByte('\n')
		}
		b.WriteByte('\n')
		s.after = e.Seq
	}
	return len(events), s.write(b.String())
}

func (s *stream) write(text string) error {
	s.deadline()
	if _, err := s.w.WriteString(text); err != nil {
		return err
	}
	return s.w.Flush()
}
