package auth

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/citizen-network/osk/internal/db"
)

// Storage implements fiber.Storage over a PostgreSQL table of the shape
// (key_hash bytea, data bytea, expires_at timestamptz), so that sessions and
// shared rate-limit counters are seen by every instance. Keys are stored as
// SHA-256 hashes: the table never holds a usable session id.
type Storage struct {
	db    *sqlx.DB
	table string
	// timeout bounds each call, since fiber.Storage passes no context.
	timeout time.Duration
	// reads reads values by key hash: a session is read on every request,
	// and the reads of requests that come together share one query while
	// RunReads runs.
	reads *db.GroupRead[string, []byte]
}

// The tables a Storage may use.
const (
	SessionsTable   = "sessions"
	RateLimitsTable = "rate_limits"
)

// NewStorage returns a Storage over one of the tables above.
func NewStorage(conn *sqlx.DB, table string) *Storage {
	if table != SessionsTable && table != RateLimitsTable {
		panic("auth: no storage table " + table)
	}
	s := &Storage{db: conn, table: table, timeout: 5 * time.Second}
	s.reads = db.NewGroupRead(s.readMany)
	return s
}

// RunReads gathers the reads of concurrent requests into shared queries
// until ctx ends (db.GroupRead).
func (s *Storage) RunReads(ctx context.Context) { s.reads.Run(ctx) }

// readMany returns the live values of the keys whose hashes are given, by
// hash.
func (s *Storage) readMany(ctx context.Context, hashes []string) (map[string][]byte, error) {
	var rows []struct {
		Hash []byte `db:"key_hash"`
		Data []byte `db:"data"`
	}
	err := s.db.SelectContext(ctx, &rows,
		`SELECT key_hash, data FROM `+s.table+` WHERE key_hash = ANY($1::bytea[]) AND (expires_at IS NULL OR expires_at > now())`,
		hashArray(hashes))
	if err != nil {
		return nil, fmt.Errorf("auth: storage get: %w", err)
	}
	found := make(map[string][]byte, len(rows))
	for _, r := range rows {
		found[string(r.Hash)] = r.Data
	}
	return found, nil
}

// hashArray passes hashes, kept as strings to be map keys (db.GroupRead),
// as a bytea[] parameter.
func hashArray(hashes []string) pq.ByteaArray {
	out := make(pq.ByteaArray, len(hashes))
	for i, h := range hashes {
		out[i] = []byte(h)
	}
	return out
}

func hashKey(key string) []byte {
	sum := sha256.Sum256([]byte(key))
	return sum[:]
}

func (s *Storage) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.timeout)
}

// Get returns the value of key, or nil when it is missing or expired.
func (s *Storage) Get(key string) ([]byte, error) {
	if key == "" {
		return nil, nil
	}
	ctx, cancel := s.ctx()
	defer cancel()
	data, _, err := s.reads.Get(ctx, string(hashKey(key)))
	return data, err
}

// Set stores val under key for exp (0: no expiry).
func (s *Storage) Set(key string, val []byte, exp time.Duration) error {
	if key == "" || len(val) == 0 {
		return nil
	}
	ctx, cancel := s.ctx()
	defer cancel()
	var expires any
	if exp > 0 {
		expires = time.Now().Add(exp).UTC()
	}
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO `+s.table+` (key_hash, data, expires_at) VALUES ($1, $2, $3)
		 ON CONFLICT (key_hash) DO UPDATE SET data = EXCLUDED.data, expires_at = EXCLUDED.expires_at`,
		hashKey(key), val, expires)
	if err != nil {
		return fmt.Errorf("auth: storage set: %w", err)
	}
	return nil
}

// Delete removes key.
func (s *Storage) Delete(key string) error {
	if key == "" {
		return nil
	}
	ctx, cancel := s.ctx()
	defer cancel()
	if _, err := s.db.ExecContext(ctx, `DELETE FROM `+s.table+` WHERE key_hash = $1`, hashKey(key)); err != nil {
		return fmt.Errorf("auth: storage delete: %w", err)
	}
	return nil
}

// Reset removes every key.
func (s *Storage) Reset() error {
	ctx, cancel := s.ctx()
	defer cancel()
	if _, err := s.db.ExecContext(ctx, `DELETE FROM `+s.table); err != nil {
		return fmt.Errorf("auth: storage reset: %w", err)
	}
	return nil
}

// Close does nothing: the pool belongs to the caller.
func (s *Storage) Close() error { return nil }

// Purge deletes expired rows.
func (s *Storage) Purge(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM `+s.table+` WHERE expires_at <= now()`)
	if err != nil {
		return 0, fmt.Errorf("auth: storage purge: %w", err)
	}
	return res.RowsAffected()
}

// PurgeEvery runs Purge at the interval until ctx ends. Every instance may
// run it; the deletes do not conflict.
func (s *Storage) PurgeEvery(ctx context.Context, interval time.Duration, logger *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.Purge(ctx); err != nil {
				logger.Warn("purging expired rows", "table", s.table, "error", err)
			} else if n > 0 {
				logger.Debug("purged expired rows", "table", s.table, "rows", n)
			}
		}
	}
}
