package server

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"

	"github.com/lib/pq"

	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/dbtest"
)

// Two commands started at once on a fresh data directory (make run and an
// operator command, say) both find no database and both create it.
func TestEnsureDatabase_ToleratesAnotherCreatingItAtOnce(t *testing.T) {
	ctx := context.Background()
	adminURL := dbtest.NewURL(t)
	admin, err := db.Open(ctx, adminURL, db.Pool{MaxOpen: 1, MaxIdle: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	// The window between looking and creating is narrow: several rounds of
	// several creators meet it.
	for round := range 5 {
		name := fmt.Sprintf("osk_ensure_%d_%s", round, rand.Text()[:10])
		t.Cleanup(func() {
			if _, err := admin.Exec(`DROP DATABASE IF EXISTS ` + pq.QuoteIdentifier(name) + ` WITH (FORCE)`); err != nil {
				t.Error(err)
			}
		})
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Go(func() { errs[i] = ensureDatabase(ctx, adminURL, name) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	}
}
