package live_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/dbtest"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/live"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func publish(t *testing.T, conn *sqlx.DB, topic, name string, data any) int64 {
	t.Helper()
	var seq int64
	err := db.WithTx(context.Background(), conn, func(tx *sqlx.Tx) error {
		var err error
		seq, err = live.Publish(context.Background(), tx, time.Now(), topic, name, data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

func TestPublish_NumbersEachTopicWithoutGaps(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	for i := 1; i <= 3; i++ {
		if seq := publish(t, d.DB, "meeting:1", "quorum", map[string]int{"n": i}); seq != int64(i) {
			t.Fatalf("event %d got number %d", i, seq)
		}
	}
	if seq := publish(t, d.DB, "meeting:2", "meeting", nil); seq != 1 {
		t.Fatalf("another topic starts at %d, want 1", seq)
	}
	events, err := live.Since(ctx, d.DB, "meeting:1", 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || events[0].Seq != 2 || events[1].Seq != 3 || string(events[1].Data) != `{"n":3}` {
		t.Fatalf("events after 1: %+v", events)
	}
	if latest, err := live.Latest(ctx, d.DB, "meeting:1"); err != nil || latest != 3 {
		t.Fatalf("latest = %d, %v", latest, err)
	}
}

func TestPublish_RolledBackChangeLeavesNoEvent(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	boom := errors.New("boom")
	err := db.WithTx(ctx, d.DB, func(tx *sqlx.Tx) error {
		if _, err := live.Publish(ctx, tx, time.Now(), "meeting:1", "quorum", nil); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if latest, _ := live.Latest(ctx, d.DB, "meeting:1"); latest != 0 {
		t.Fatalf("a rolled-back event is visible: %d", latest)
	}
	if seq := publish(t, d.DB, "meeting:1", "quorum", nil); seq != 1 {
		t.Fatalf("after a rollback the number is %d, want 1", seq)
	}
}

func TestPublish_RefusesMalformedTopicsAndNames(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	for _, tc := range []struct{ topic, name string }{{"meeting", "quorum"}, {"Meeting:1", "quorum"}, {"meeting:1", "Quorum"}, {"meeting:1", "new event"}} {
		err := db.WithTx(ctx, d.DB, func(tx *sqlx.Tx) error {
			_, err := live.Publish(ctx, tx, time.Now(), tc.topic, tc.name, nil)
			return err
		})
		if err == nil {
			t.Errorf("published %q on %q", tc.name, tc.topic)
		}
	}
}

// Concurrent publishers of one topic get distinct, gapless numbers, and a
// reader never sees a later number before an earlier one.
func TestPublish_ConcurrentPublishersStayInOrder(t *testing.T) {
	d := dbtest.New(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 5 {
				publish(t, d.DB, "meeting:7", "quorum", nil)
			}
		})
	}
	wg.Wait()
	events, err := live.Since(context.Background(), d.DB, "meeting:7", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 40 {
		t.Fatalf("%d events, want 40", len(events))
	}
	for i, e := range events {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has number %d", i, e.Seq)
		}
	}
}

func TestHub_WakesSubscribersOfTheTopicOnCommit(t *testing.T) {
	d := dbtest.New(t)
	hub := live.NewHub(d.DB, d.URL, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { hub.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	sub, err := hub.Subscribe("meeting:1", "account:1")
	if err != nil {
		t.Fatal(err)
	}
	other, err := hub.Subscribe("meeting:2", "account:1")
	if err != nil {
		t.Fatal(err)
	}
	// The first wake comes once LISTEN has taken effect.
	select {
	case <-sub.Wake():
	case <-time.After(10 * time.Second):
		t.Fatal("no wake once listening")
	}
	<-other.Wake()
	publish(t, d.DB, "meeting:1", "quorum", nil)
	select {
	case <-sub.Wake():
	case <-time.After(10 * time.Second):
		t.Fatal("the subscriber was not woken by a committed event")
	}
	select {
	case <-other.Wake():
		t.Fatal("a subscriber of another topic was woken")
	case <-time.After(200 * time.Millisecond):
	}

	hub.Close()
	select {
	case <-sub.Done():
	case <-time.After(time.Second):
		t.Fatal("closing the hub did not end the subscription")
	}
	if _, err := hub.Subscribe("meeting:1", "account:1"); !errors.Is(err, live.ErrClosed) {
		t.Fatalf("subscribe after close: %v", err)
	}
}

func TestHub_LimitsSubscribers(t *testing.T) {
	d := dbtest.New(t)
	hub := live.NewHub(d.DB, "", nil)
	hub.MaxSubscribers = 2
	a, _ := hub.Subscribe("meeting:1", "account:1")
	if _, err := hub.Subscribe("meeting:1", "account:1"); err != nil {
		t.Fatal(err)
	}
	if _, err := hub.Subscribe("meeting:2", "account:1"); !errors.Is(err, errs.TooMany) {
		t.Fatalf("third subscriber: %v", err)
	}
	a.Close()
	a.Close()
	if n := hub.Subscribers(); n != 1 {
		t.Fatalf("%d subscribers after one closed twice", n)
	}
	if _, err := hub.Subscribe("meeting:2", "account:1"); err != nil {
		t.Fatal(err)
	}
}

func TestHub_LimitsSubscribersPerHolder(t *testing.T) {
	d := dbtest.New(t)
	hub := live.NewHub(d.DB, "", nil)
	hub.MaxPerHolder = 2
	a, _ := hub.Subscribe("meeting:1", "account:1")
	if _, err := hub.Subscribe("meeting:2", "account:1"); err != nil {
		t.Fatal(err)
	}
	if _, err := hub.Subscribe("meeting:1", "account:1"); !errors.Is(err, errs.TooMany) {
		t.Fatalf("a third stream of one account: %v", err)
	}
	if _, err := hub.Subscribe("meeting:1", "account:2"); err != nil {
		t.Fatalf("another account, while the first holds its share: %v", err)
	}
	a.Close()
	if _, err := hub.Subscribe("meeting:1", "account:1"); err != nil {
		t.Fatalf("after one stream closed: %v", err)
	}
}
