package auth

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// TokenUseEvery is how often the uses of bearer tokens are written.
const TokenUseEvery = 5 * time.Second

// tokenUses holds the bearer-token uses not yet written. When a token was
// last used is shown to its owner to the minute; writing it on the
// request would add a durable commit to every first request of a token,
// which in a live vote by script is every vote. A use that an instance
// dies holding is lost, and the token's next use records it again.
type tokenUses struct {
	mu      sync.Mutex
	pending map[int64]time.Time
}

// note remembers that the token was used at the time given.
func (u *tokenUses) note(tokenID int64, at time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.pending == nil {
		u.pending = map[int64]time.Time{}
	}
	if at.After(u.pending[tokenID]) {
		u.pending[tokenID] = at
	}
}

// write writes every pending use in one statement. Uses that fail to be
// written are kept for the next try.
func (u *tokenUses) write(ctx context.Context, db *sqlx.DB) error {
	u.mu.Lock()
	taken := u.pending
	u.pending = nil
	u.mu.Unlock()
	if len(taken) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(taken))
	ats := make([]string, 0, len(taken))
	for id, at := range taken {
		ids = append(ids, id)
		ats = append(ats, at.UTC().Format(time.RFC3339Nano))
	}
	// The latest use wins when two instances write the same token.
	_, err := db.ExecContext(ctx, `
		UPDATE api_tokens t SET last_used_at = u.at
		FROM unnest($1::bigint[], $2::timestamptz[]) AS u (id, at)
		WHERE t.id = u.id AND (t.last_used_at IS NULL OR t.last_used_at < u.at)`,
		pq.Array(ids), pq.Array(ats))
	if err != nil {
		for id, at := range taken {
			u.note(id, at)
		}
		return fmt.Errorf("auth: record %d token uses: %w", len(taken), err)
	}
	return nil
}

// RecordTokenUses writes the uses of bearer tokens every TokenUseEvery
// until ctx ends, and once more then.
func (s *Service) RecordTokenUses(ctx context.Context, logger *slog.Logger) {
	tick := time.NewTicker(TokenUseEvery)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			if err := s.uses.write(ctx, s.db); err != nil {
				logger.Warn("auth: token uses not written yet", "error", err)
			}
		case <-ctx.Done():
			last, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			err := s.uses.write(last, s.db)
			cancel()
			if err != nil {
				logger.Error("auth: token uses lost at shutdown", "error", err)
			}
			return
		}
	}
}
