package live

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/citizen-network/osk/internal/errs"
)

// DefaultMaxSubscribers bounds the open streams of one instance, so that a
// flood of connections cannot exhaust it.
const DefaultMaxSubscribers = 2000

// DefaultMaxPerHolder bounds the open streams of one holder (an account) on
// one instance: enough for a person's tabs and devices, too few for one
// member to take every place and leave the others without live updates.
const DefaultMaxPerHolder = 10

// ErrClosed is returned by Subscribe once the hub has been closed.
var ErrClosed = errors.New("live: the hub is closed")

// Hub fans notifications out to this instance's subscribers: one LISTEN
// connection for the instance, any number of subscribers per topic.
type Hub struct {
	conn      *sqlx.DB
	listenURL string
	logger    *slog.Logger
	// MaxSubscribers bounds the subscriptions open at once; change it
	// before use only.
	MaxSubscribers int
	// MaxPerHolder bounds the subscriptions one holder has open at once;
	// change it before use only.
	MaxPerHolder int
	// Heartbeat is how often a stream sends a comment to keep proxies from
	// closing it, and looks for events whose notification was lost.
	Heartbeat time.Duration
	// MaxStream is how long one stream lasts. The browser then reconnects
	// on its own, from the last event it had, and the reconnection is
	// authorised again: a revoked token, an ended session or a lost right
	// to see the meeting stops the flow within MaxStream.
	MaxStream time.Duration

	// ctx ends when the hub closes; streams run their queries under it.
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	topics  map[string]map[*Subscription]struct{}
	count   int
	holders map[string]int
	closed  bool
}

// NewHub returns a hub over conn that listens through its own connection
// to listenURL (the same database). With an empty listenURL it never hears
// a notification and its streams only look for news every Heartbeat.
func NewHub(conn *sqlx.DB, listenURL string, logger *slog.Logger) *Hub {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Hub{
		conn: conn, listenURL: listenURL, logger: logger,
		MaxSubscribers: DefaultMaxSubscribers, MaxPerHolder: DefaultMaxPerHolder,
		Heartbeat: 15 * time.Second, MaxStream: 5 * time.Minute,
		ctx: ctx, cancel: cancel,
		topics:  map[string]map[*Subscription]struct{}{},
		holders: map[string]int{},
	}
}

// Subscription is one subscriber's interest in a topic. Its wake channel
// receives a signal (coalesced: at most one waits) whenever the topic may
// have news; the subscriber then reads them with Since.
type Subscription struct {
	hub    *Hub
	topic  string
	holder string
	wake   chan struct{}
	once   sync.Once
}

// Subscribe registers holder's interest in topic. The caller must Close
// the subscription. It fails with errs.TooMany when the instance, or the
// holder, has as many subscriptions as it takes, and with ErrClosed when
// the hub is closed.
func (h *Hub) Subscribe(topic, holder string) (*Subscription, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	if h.count >= h.MaxSubscribers {
		return nil, errs.Wrap(errs.TooMany, "Too many live connections are open right now. The page still works: reload it to see what has changed.")
	}
	if h.holders[holder] >= h.MaxPerHolder {
		return nil, errs.Wrap(errs.TooMany, "You have %d live connections open already: close a tab or two. The page still works: reload it to see what has changed.", h.MaxPerHolder)
	}
	s := &Subscription{hub: h, topic: topic, holder: holder, wake: make(chan struct{}, 1)}
	if h.topics[topic] == nil {
		h.topics[topic] = map[*Subscription]struct{}{}
	}
	h.topics[topic][s] = struct{}{}
	h.count++
	h.holders[holder]++
	return s, nil
}

// Wake signals that the topic may have news.
func (s *Subscription) Wake() <-chan struct{} { return s.wake }

// Done is closed when the hub closes: the subscriber must stop.
func (s *Subscription) Done() <-chan struct{} { return s.hub.ctx.Done() }

// Close ends the subscription.
func (s *Subscription) Close() {
	s.once.Do(func() {
		h := s.hub
		h.mu.Lock()
		defer h.mu.Unlock()
		if subs := h.topics[s.topic]; subs != nil {
			delete(subs, s)
			h.count--
			if h.holders[s.holder]--; h.holders[s.holder] == 0 {
				delete(h.holders, s.holder)
			}
			if len(subs) == 0 {
				delete(h.topics, s.topic)
			}
		}
	})
}

func (s *Subscription) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Subscribers returns how many subscriptions are open.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.count
}

// notify wakes the subscribers of topic, or of every topic when topic is
// empty (after the listening connection was re-established, when
// notifications may have been lost).
func (h *Hub) notify(topic string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for t, subs := range h.topics {
		if topic != "" && t != topic {
			continue
		}
		for s := range subs {
			s.signal()
		}
	}
}

// Close ends every stream and refuses new subscriptions. The server calls
// it when it begins to shut down, so that open streams do not hold the
// shutdown back.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	h.cancel()
}

// Run listens for notifications until ctx ends or the hub is closed, then
// closes the hub.
func (h *Hub) Run(ctx context.Context) {
	defer h.Close()
	if h.listenURL == "" {
		h.logger.Info("live: no database URL to listen on; streams look for news every heartbeat")
		select {
		case <-ctx.Done():
		case <-h.ctx.Done():
		}
		return
	}
	l := pq.NewListener(h.listenURL, time.Second, time.Minute, func(ev pq.ListenerEventType, err error) {
		if err != nil {
			h.logger.Warn("live: listen", "event", ev, "err", err)
		}
	})
	notes := l.NotificationChannel()
	defer func() {
		_ = l.Close()
		// The listener's goroutine ends after closing notes; it must not
		// block on a full channel nobody reads any more.
		go func() {
			for range notes {
			}
		}()
	}()
	listening := make(chan error, 1)
	go func() { listening <- l.Listen(Channel) }()
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.ctx.Done():
			return
		case err := <-listening:
			if err != nil && !errors.Is(err, pq.ErrChannelAlreadyOpen) {
				h.logger.Warn("live: cannot listen; streams look for news every heartbeat", "err", err)
			}
			// Events committed before LISTEN took effect notified nobody.
			h.notify("")
		case n, ok := <-notes:
			if !ok {
				return
			}
			if n == nil {
				// The connection was lost and is back: anything may have
				// happened meanwhile.
				h.notify("")
				continue
			}
			h.notify(n.Extra)
		}
	}
}
