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

// Storage implements fiber.Storage over the table sessions (key_hash bytea,
// data bytea, expires_at timestamptz), so that sessions are seen by every
// instance. Keys are stored as SHA-256 hashes: the table never holds a
// usable session id.
//
// A key's end never moves later once set: saving a session again, for
// whatever reason, cannot keep a stolen cookie alive past the end it was
// given at sign-in. A new end comes only with a new key (a new session id).
type Storage struct {
	db *sqlx.DB
	// timeout bounds each call, since fiber.Storage passes no context.
	timeout time.Duration
	// reads reads values by key hash: a session is read on every request,
	// and the reads of requests that come together share one query while
	// RunReads runs.
	reads *db.GroupRead[string, []byte]
}

// NewStorage returns the Storage of sessions.
func NewStorage(conn *sqlx.DB) *Storage {
	s := &Storage{db: conn, timeout: 5 * time.Second}
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
		`SELECT key_hash, data FROM sessions WHERE key_hash = ANY($1::bytea[]) AND (expires_at IS NULL OR expires_at > now())`,
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

// Set stores val under key for exp (0: no expiry), or until the key's
// current end if that is sooner.
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
		`INSERT INTO sessions AS s (key_hash, data, expires_at) VALUES ($1, $2, $3)
		 ON CONFLICT (key_hash) DO UPDATE SET data = EXCLUDED.data,
			expires_at = CASE WHEN s.expires_at <= now() THEN EXCLUDED.expires_at
			                  ELSE least(s.expires_at, EXCLUDED.expires_at) END`,
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
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE key_hash = $1`, hashKey(key)); err != nil {
		return fmt.Errorf("auth: storage delete: %w", err)
	}
	return nil
}

// Reset removes every key.
func (s *Storage) Reset() error {
	ctx, cancel := s.ctx()
	defer cancel()
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions`); err != nil {
		return fmt.Errorf("auth: storage reset: %w", err)
	}
	return nil
}

// Close does nothing: the pool belongs to the caller.
func (s *Storage) Close() error { return nil }

// PurgeEvery deletes the expired rows of table (sessions or rate_limits)
// at the interval until ctx ends. Every instance may run it; the deletes
// do not conflict.
func PurgeEvery(ctx context.Context, conn *sqlx.DB, table string, interval time.Duration, logger *slog.Logger) {
	if table != "sessions" && table != "rate_limits" {
		panic("auth: nothing to purge in " + table)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			res, err := conn.ExecContext(ctx, `DELETE FROM `+table+` WHERE expires_at <= now()`)
			if err != nil {
				logger.Warn("purging expired rows", "table", table, "error", err)
				continue
			}
			if n, _ := res.RowsAffected(); n > 0 {
				logger.Debug("purged expired rows", "table", table, "rows", n)
			}
		}
	}
}
