package mail

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/citizen-network/osk/internal/clock"
	"github.com/citizen-network/osk/internal/db"
)

// The defaults of a new Worker.
const (
	DefaultPollInterval = 5 * time.Second
	DefaultBatchSize    = 10
	DefaultLease        = 5 * time.Minute
	DefaultSendTimeout  = 2 * time.Minute
	DefaultMaxAttempts  = 10
	DefaultRetryBase    = 30 * time.Second
	DefaultRetryMax     = time.Hour
)

// recordTimeout bounds writing down the outcome of an attempt, which goes
// on when the worker is being stopped: a message the server accepted must
// be marked sent if at all possible.
const recordTimeout = 30 * time.Second

// maxErrorLen bounds the error text kept for an attempt.
const maxErrorLen = 2000

// Worker sends the messages of the outbox.
//
// Any number of workers, in one process or in several app instances, share
// the outbox. A worker claims a few due messages at a time with SELECT ...
// FOR UPDATE SKIP LOCKED, so that no two claim the same message, and takes a
// lease on them (locked_until) that it renews as it starts each send. The
// lease outlasts a send (SendTimeout), so while a worker is sending nobody
// else does; when a worker dies mid-send the lease runs out and another
// worker sends the message again. Delivery is therefore at least once.
//
// Each send is an attempt in mail_attempts, written before the send starts
// and completed with its outcome; an attempt whose outcome stays unknown
// (the worker stopped first) keeps ok NULL. A failed attempt is retried
// with exponential backoff, RetryBase doubling up to RetryMax, until
// MaxAttempts attempts have failed or the server refuses the message for
// good (ErrRejected); the message is then failed.
//
// The exported fields may be changed before Run or RunOnce is called, not
// while they run.
type Worker struct {
	// Clock tells the time of the outbox. It must be the clock whose time
	// the callers of Enqueue pass as now, or new messages would not look
	// due. The default is the real clock.
	Clock clock.Clock
	// ListenURL is the database URL on which the worker LISTENs for the
	// notifications of Enqueue, so that mail goes out as soon as its
	// transaction commits. When it is empty, or listening fails, the worker
	// only polls.
	ListenURL string
	// PollInterval is how often the worker looks for due messages: retries
	// and expired leases, and new messages when it is not listening.
	PollInterval time.Duration
	// BatchSize is how many messages one claim takes.
	BatchSize int
	// Lease is how long a claimed message stays the worker's. It must be
	// longer than SendTimeout.
	Lease time.Duration
	// SendTimeout bounds one send.
	SendTimeout time.Duration
	// MaxAttempts is how many attempts a message gets.
	MaxAttempts int
	// RetryBase is the wait after the first failed attempt; it doubles
	// after each further one, up to RetryMax.
	RetryBase time.Duration
	RetryMax  time.Duration

	conn   *sqlx.DB
	sender Sender
	from   string
	logger *slog.Logger
}

// NewWorker returns a Worker that sends the outbox of conn through sender,
// from the address from (MAIL_FROM), with the defaults above.
func NewWorker(conn *sqlx.DB, sender Sender, from string, logger *slog.Logger) *Worker {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Worker{
		Clock:        clock.Real{},
		PollInterval: DefaultPollInterval,
		BatchSize:    DefaultBatchSize,
		Lease:        DefaultLease,
		SendTimeout:  DefaultSendTimeout,
		MaxAttempts:  DefaultMaxAttempts,
		RetryBase:    DefaultRetryBase,
		RetryMax:     DefaultRetryMax,
		conn:         conn,
		sender:       sender,
		from:         from,
		logger:       logger,
	}
}

// check refuses settings under which the worker would misbehave.
func (w *Worker) check() error {
	switch {
	case w.Clock == nil || w.conn == nil || w.sender == nil:
		return errors.New("mail: worker: no clock, database or sender")
	case w.PollInterval <= 0 || w.BatchSize <= 0 || w.MaxAttempts <= 0 || w.RetryBase <= 0 || w.RetryMax < w.RetryBase:
		return errors.New("mail: worker: PollInterval, BatchSize, MaxAttempts and RetryBase must be positive, and RetryMax at least RetryBase")
	case w.SendTimeout <= 0 || w.Lease <= w.SendTimeout:
		// A send outliving its lease could run alongside another worker's.
		return errors.New("mail: worker: SendTimeout must be positive and Lease longer than it")
	}
	return nil
}

// Run sends due messages until ctx ends. It wakes on Enqueue's
// notifications when it can listen for them, and every PollInterval. When
// ctx ends mid-send, the message stays pending under its lease, to be sent
// again after it.
func (w *Worker) Run(ctx context.Context) {
	if err := w.check(); err != nil {
		w.logger.Error("mail: worker not started", "err", err)
		return
	}
	notes, listening, stop := w.listen(ctx)
	defer stop()
	tick := time.NewTicker(w.PollInterval)
	defer tick.Stop()
	for {
		w.drain(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-listening:
			// Messages enqueued before LISTEN took effect sent their
			// notification to nobody.
			listening = nil
		case _, ok := <-notes:
			if !ok {
				notes = nil
			}
		}
	}
}

// drain sends batches until one comes back short: the outbox then holds no
// more due messages, for now.
func (w *Worker) drain(ctx context.Context) {
	for ctx.Err() == nil {
		claimed, _, err := w.runBatch(ctx)
		if err != nil {
			if ctx.Err() == nil {
				w.logger.Error("mail: worker", "err", err)
			}
			return
		}
		if claimed < w.BatchSize {
			return
		}
	}
}

// listen LISTENs on Channel in the background. It returns the notifications,
// a channel closed once LISTEN has taken effect, and a function that stops
// listening. Without ListenURL both channels are nil, so the worker polls.
func (w *Worker) listen(ctx context.Context) (<-chan *pq.Notification, <-chan struct{}, func()) {
	if w.ListenURL == "" {
		w.logger.Info("mail: worker polls only: it has no database URL to listen on")
		return nil, nil, func() {}
	}
	l := pq.NewListener(w.ListenURL, time.Second, time.Minute, func(ev pq.ListenerEventType, err error) {
		if err != nil {
			w.logger.Warn("mail: listen", "event", ev, "err", err)
		}
	})
	listening := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		// Listen blocks until a connection is up, which may be never; the
		// worker polls meanwhile.
		if err := l.Listen(Channel); err != nil {
			if ctx.Err() == nil {
				w.logger.Warn("mail: cannot listen for new mail; polling only", "err", err)
			}
			return
		}
		close(listening)
	})
	notes := l.NotificationChannel()
	stop := func() {
		_ = l.Close()
		wg.Wait()
		// The listener's own goroutine ends after closing notes; it must not
		// block on a full channel that nobody reads any more.
		go func() {
			for range notes {
			}
		}()
	}
	return notes, listening, stop
}

// RunOnce claims one batch of due messages and sends it. It returns how many
// were sent. A failed send is recorded, not returned: the error is that of
// the database, or of ctx.
func (w *Worker) RunOnce(ctx context.Context) (sent int, err error) {
	if err := w.check(); err != nil {
		return 0, err
	}
	_, sent, err = w.runBatch(ctx)
	return sent, err
}

// claimed is a message this worker holds the lease on; lease is the value
// of locked_until that proves it.
type claimed struct {
	ID       int64  `db:"id"`
	To       string `db:"to_address"`
	Subject  string `db:"subject"`
	Body     string `db:"body"`
	Attempts int    `db:"attempts"`
	lease    time.Time
}

func (c claimed) message() Message {
	return Message{To: c.To, Subject: c.Subject, Body: c.Body}
}

func (w *Worker) runBatch(ctx context.Context) (claimedN, sent int, err error) {
	batch, err := w.claim(ctx)
	if err != nil {
		return 0, 0, err
	}
	for i, c := range batch {
		ok, err := w.deliver(ctx, c)
		if ok {
			sent++
		}
		if err != nil {
			w.release(ctx, batch[i+1:])
			return len(batch), sent, err
		}
	}
	return len(batch), sent, nil
}

// claim takes the lease on up to BatchSize due messages. A message whose
// attempts are all used up, which happens only when the last ones were
// interrupted, is failed instead.
func (w *Worker) claim(ctx context.Context) ([]claimed, error) {
	now := w.Clock.Now()
	lease := w.leaseFrom(now)
	var batch []claimed
	err := db.WithTx(ctx, w.conn, func(tx *sqlx.Tx) error {
		var due []claimed
		if err := tx.SelectContext(ctx, &due, `
			SELECT id, to_address, subject, body, attempts
			FROM mail_outbox
			WHERE status = 'pending' AND next_attempt_at <= $1
			  AND (locked_until IS NULL OR locked_until <= $1)
			ORDER BY next_attempt_at, id
			LIMIT $2
			FOR UPDATE SKIP LOCKED`, now, w.BatchSize); err != nil {
			return fmt.Errorf("pick: %w", err)
		}
		var take, exhausted []int64
		batch = batch[:0]
		for _, c := range due {
			if c.Attempts >= w.MaxAttempts {
				exhausted = append(exhausted, c.ID)
				continue
			}
			c.lease = lease
			take = append(take, c.ID)
			batch = append(batch, c)
		}
		if len(exhausted) > 0 {
			if _, err := tx.ExecContext(ctx, `
				UPDATE mail_outbox
				SET status = 'failed', locked_until = NULL,
				    last_error = 'gave up: every attempt was used, the last interrupted before the server answered'
				WHERE id = ANY($1)`, pq.Array(exhausted)); err != nil {
				return fmt.Errorf("give up: %w", err)
			}
			w.logger.Warn("mail: gave up on interrupted messages", "ids", exhausted)
		}
		if len(take) > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET locked_until = $2 WHERE id = ANY($1)`,
				pq.Array(take), lease); err != nil {
				return fmt.Errorf("lease: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mail: claim: %w", err)
	}
	return batch, nil
}

// deliver makes one attempt at c. It reports whether the message was sent;
// its error is that of the database, or of ctx when the worker is stopping.
func (w *Worker) deliver(ctx context.Context, c claimed) (bool, error) {
	attemptID, c, ok, err := w.startAttempt(ctx, c)
	if err != nil || !ok {
		return false, err
	}
	sendCtx, cancel := context.WithTimeout(ctx, w.SendTimeout)
	sendErr := w.sender.Send(sendCtx, w.from, c.message())
	cancel()
	if sendErr != nil && ctx.Err() != nil {
		// Stopping: the server may or may not have taken the message. The
		// attempt stays open and the message under its lease, after which
		// another worker sends it again.
		w.logger.Info("mail: stopped mid-send; the message goes again when its lease ends",
			"id", c.ID, "lease_until", c.lease)
		return false, ctx.Err()
	}
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer rcancel()
	if sendErr != nil {
		return false, w.recordFailure(rctx, c, attemptID, sendErr)
	}
	return true, w.recordSent(rctx, c, attemptID)
}

// startAttempt renews the lease on c for the length of one send, counts the
// attempt and opens its row. ok is false when c is no longer this worker's:
// its lease ran out while earlier messages of the batch were being sent,
// and another worker claimed it.
func (w *Worker) startAttempt(ctx context.Context, c claimed) (attemptID int64, _ claimed, ok bool, err error) {
	now := w.Clock.Now()
	lease := w.leaseFrom(now)
	var row struct {
		AttemptID int64 `db:"attempt_id"`
		Attempts  int   `db:"attempts"`
	}
	err = w.conn.GetContext(ctx, &row, `
		WITH m AS (
			UPDATE mail_outbox
			SET attempts = attempts + 1, locked_until = $3
			WHERE id = $1 AND status = 'pending' AND locked_until = $2
			RETURNING id, attempts
		), a AS (
			INSERT INTO mail_attempts (message_id, attempted_at)
			SELECT id, $4 FROM m
			RETURNING id
		)
		SELECT a.id AS attempt_id, m.attempts FROM a, m`, c.ID, c.lease, lease, now)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, c, false, nil
	}
	if err != nil {
		return 0, c, false, fmt.Errorf("mail: start attempt on %d: %w", c.ID, err)
	}
	c.lease, c.Attempts = lease, row.Attempts
	return row.AttemptID, c, true, nil
}

func (w *Worker) recordSent(ctx context.Context, c claimed, attemptID int64) error {
	now := w.Clock.Now()
	err := db.WithTx(ctx, w.conn, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE mail_attempts SET ok = true, finished_at = $2 WHERE id = $1`,
			attemptID, now); err != nil {
			return err
		}
		// Whoever else may have touched the message, the server has taken
		// it now.
		_, err := tx.ExecContext(ctx, `
			UPDATE mail_outbox SET status = 'sent', sent_at = $2, locked_until = NULL
			WHERE id = $1 AND status <> 'sent'`, c.ID, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("mail: record %d sent: %w", c.ID, err)
	}
	w.logger.Debug("mail: sent", "id", c.ID, "attempt", c.Attempts)
	return nil
}

func (w *Worker) recordFailure(ctx context.Context, c claimed, attemptID int64, sendErr error) error {
	now := w.Clock.Now()
	msg := truncate(sendErr.Error(), maxErrorLen)
	status, next := StatusPending, now.Add(w.backoff(c.Attempts))
	if errors.Is(sendErr, ErrRejected) || c.Attempts >= w.MaxAttempts {
		status = StatusFailed
	}
	err := db.WithTx(ctx, w.conn, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `
			UPDATE mail_attempts SET ok = false, error = $2, finished_at = $3 WHERE id = $1`,
			attemptID, msg, now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `
			UPDATE mail_outbox
			SET status = $2, next_attempt_at = $3, locked_until = NULL, last_error = $4
			WHERE id = $1 AND status = 'pending' AND locked_until = $5`,
			c.ID, status, next, msg, c.lease)
		return err
	})
	if err != nil {
		return fmt.Errorf("mail: record failure of %d: %w", c.ID, err)
	}
	if status == StatusFailed {
		w.logger.Error("mail: gave up", "id", c.ID, "attempts", c.Attempts, "err", sendErr)
	} else {
		w.logger.Warn("mail: attempt failed", "id", c.ID, "attempts", c.Attempts, "retry_at", next, "err", sendErr)
	}
	return nil
}

// release gives up the lease on messages the worker claimed but will not
// send now, so that another worker need not wait for the lease to run out.
// It is a courtesy: if it fails, the lease runs out anyway.
func (w *Worker) release(ctx context.Context, batch []claimed) {
	if len(batch) == 0 {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	for _, c := range batch {
		if _, err := w.conn.ExecContext(rctx, `
			UPDATE mail_outbox SET locked_until = NULL
			WHERE id = $1 AND status = 'pending' AND locked_until = $2`, c.ID, c.lease); err != nil {
			w.logger.Warn("mail: release", "id", c.ID, "err", err)
			return
		}
	}
}

// leaseFrom is the end of a lease taken at now. PostgreSQL keeps
// microseconds, and the lease is compared for equality as proof of
// ownership, so it is cut to what the database stores.
func (w *Worker) leaseFrom(now time.Time) time.Time {
	return now.Add(w.Lease).Truncate(time.Microsecond)
}

// backoff is the wait after the attempts-th failed attempt: RetryBase,
// doubled for each further attempt, at most RetryMax.
func (w *Worker) backoff(attempts int) time.Duration {
	d := w.RetryBase
	for i := 1; i < attempts && d < w.RetryMax; i++ {
		d *= 2
	}
	return min(d, w.RetryMax)
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
