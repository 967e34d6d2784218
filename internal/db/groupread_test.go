package db_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/lib/pq"

	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/dbtest"
)

// Reads that come together share a query, and each caller gets the
// answer for its own key; a failed query fails the reads of its group;
// before Run and after it stops, each read goes alone.
func TestGroupRead(t *testing.T) {
	conn := dbtest.New(t)
	ctx := context.Background()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE things (id bigint PRIMARY KEY, name text NOT NULL);
		INSERT INTO things SELECT i, 'thing ' || i FROM generate_series(1, 50) AS i`); err != nil {
		t.Fatal(err)
	}
	// Run's context carries inGroup, which its queries keep: a query
	// without it is a read alone.
	type inGroupKey struct{}
	var queries, grouped atomic.Int64
	var failing atomic.Bool
	var sizes sync.Map
	broken := errors.New("the query failed")
	// Each query takes a few milliseconds, as on a busy database, so that
	// the reads that come meanwhile wait for the next.
	g := db.NewGroupRead(func(ctx context.Context, ids []int64) (map[int64]string, error) {
		n := queries.Add(1)
		sizes.Store(n, len(ids))
		if ctx.Value(inGroupKey{}) != nil {
			grouped.Add(1)
		}
		if slices.Contains(ids, 0) {
			return nil, broken
		}
		var rows []struct {
			ID   int64  `db:"id"`
			Name string `db:"name"`
		}
		if err := conn.SelectContext(ctx, &rows, `SELECT id, name FROM things, pg_sleep(0.005) WHERE id = ANY($1)`, pq.Array(ids)); err != nil {
			return nil, err
		}
		found := map[int64]string{}
		for _, r := range rows {
			found[r.ID] = r.Name
		}
		return found, nil
	})
	// Keys 1 to 50 are found and 51 to 59 are not; 0 fails its group's
	// query, and every read in that group fails with it, but no read is
	// answered for another key.
	check := func(id int64) error {
		name, found, err := g.Get(ctx, id)
		switch {
		case errors.Is(err, broken):
			if !failing.Load() {
				return fmt.Errorf("read of %d failed with a query it was not in", id)
			}
		case id == 0:
			return fmt.Errorf("read of 0: %q, %v, %v; want the query's failure", name, found, err)
		case id > 50:
			if err != nil || found {
				return fmt.Errorf("read of %d: %q, %v, %v; want nothing found", id, name, found, err)
			}
		case err != nil || !found || name != fmt.Sprintf("thing %d", id):
			return fmt.Errorf("read of %d: %q, %v, %v", id, name, found, err)
		}
		return nil
	}
	all := func(n int, withFailure bool) {
		t.Helper()
		failing.Store(withFailure)
		var wg sync.WaitGroup
		failures := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id := int64(1 + i%59)
				if withFailure && i%100 == 0 {
					id = 0
				}
				if err := check(id); err != nil {
					failures <- err
				}
			}()
		}
		wg.Wait()
		close(failures)
		for err := range failures {
			t.Error(err)
		}
	}

	all(30, false)
	if n := queries.Load(); n != 30 {
		t.Fatalf("before Run, 30 reads made %d queries, want one each", n)
	}

	running, stop := context.WithCancel(context.WithValue(ctx, inGroupKey{}, true))
	stopped := make(chan struct{})
	go func() {
		g.Run(running)
		close(stopped)
	}()
	// Reads go alone until Run takes over; the reads below come to the
	// group.
	for grouped.Load() == 0 {
		if err := check(1); err != nil {
			t.Fatal(err)
		}
	}
	queries.Store(0)
	grouped.Store(0)
	sizes.Clear()
	all(600, false)
	// 600 reads at once fill a few groups of up to GroupMax, and each
	// caller was answered for its own key.
	if n, g := queries.Load(), grouped.Load(); n > 60 || n != g {
		t.Errorf("600 reads at once made %d queries, %d of them for groups; want them gathered", n, g)
	}
	sizes.Range(func(_, size any) bool {
		if size.(int) > db.GroupMax {
			t.Errorf("a query read %d keys, more than %d", size, db.GroupMax)
		}
		return true
	})

	all(600, true)

	stop()
	<-stopped
	queries.Store(0)
	grouped.Store(0)
	all(20, false)
	if n := queries.Load(); n != 20 || grouped.Load() != 0 {
		t.Errorf("after Run stopped, 20 reads made %d queries, want one each", n)
	}
}
