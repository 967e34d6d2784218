package auth

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/web"
)

// rateCounts counts requests by key in fixed windows, in the table
// rate_limits, which every instance shares.
type rateCounts struct {
	db *sqlx.DB
}

// hit counts one request under key and returns how many the key's current
// window has counted, this one included, and when the window ends. One
// statement reads and raises the count under the row's lock, so that
// requests arriving together, on one instance or several, each get their
// own number and none is lost.
func (r rateCounts) hit(ctx context.Context, key string, window time.Duration) (int, time.Time, error) {
	var out struct {
		Hits int       `db:"hits"`
		Ends time.Time `db:"expires_at"`
	}
	err := r.db.GetContext(ctx, &out, `
		INSERT INTO rate_limits AS r (key_hash, hits, expires_at)
		VALUES ($1, 1, now() + $2 * interval '1 microsecond')
		ON CONFLICT (key_hash) DO UPDATE SET
			hits = CASE WHEN r.expires_at > now() THEN least(r.hits + 1, $3) ELSE 1 END,
			expires_at = CASE WHEN r.expires_at > now() THEN r.expires_at ELSE EXCLUDED.expires_at END
		RETURNING hits, expires_at`,
		hashKey(key), window.Microseconds(), math.MaxInt32)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("auth: rate limit: %w", err)
	}
	return out.Hits, out.Ends, nil
}

// RateLimit allows limit requests per window per client address (or account,
// when signed in), counted in PostgreSQL so that every instance shares the
// count. A refused request is answered 429 with Retry-After.
func (h *Handlers) RateLimit(name string, limit int, window time.Duration) fiber.Handler {
	return func(c *fiber.Ctx) error {
		key := name + ":ip:" + web.ClientIP(c)
		if p := PrincipalOf(c); p.SignedIn() {
			key = fmt.Sprintf("%s:account:%d", name, p.AccountID)
		}
		hits, ends, err := h.limits.hit(c.UserContext(), key, window)
		if err != nil {
			return err
		}
		if hits > limit {
			wait := max(1, int(math.Ceil(time.Until(ends).Seconds())))
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(wait))
			return errs.Wrap(errs.TooMany, "Too many attempts. Please wait a minute and try again.")
		}
		return c.Next()
	}
}
