package db_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// A prepared query answers like a plain one, keeps answering when the
// connection it was prepared on is gone, and a preparation that failed is
// tried again.
func TestPrepared(t *testing.T) {
	conn := dbtest.New(t)
	ctx := context.Background()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE things (id bigint PRIMARY KEY, name text NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO things VALUES (1, 'one'), (2, 'two')`); err != nil {
		t.Fatal(err)
	}
	q := db.NewPrepared(conn.DB, `SELECT name FROM things WHERE id = $1`)
	get := func(id int64) (string, error) {
		var name string
		err := q.Get(ctx, &name, id)
		return name, err
	}
	if name, err := get(2); err != nil || name != "two" {
		t.Fatalf("get 2 = %q, %v", name, err)
	}
	if _, err := get(3); !errors.Is(err, sql.ErrNoRows) {
		t.Fatalf("get 3 gave %v, want sql.ErrNoRows", err)
	}

	// Every connection of the pool is ended by the server, as a restart
	// or a failover would.
	if _, err := conn.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	conn.SetMaxIdleConns(0)
	conn.SetMaxIdleConns(2)
	var name string
	var err error
	for range 3 {
		if name, err = get(1); err == nil {
			break
		}
	}
	if err != nil || name != "one" {
		t.Fatalf("after the connections ended, get 1 = %q, %v", name, err)
	}

	missing := db.NewPrepared(conn.DB, `SELECT name FROM later WHERE id = $1`)
	if err := missing.Get(ctx, &name, 1); err == nil {
		t.Fatal("a query on a missing table was prepared")
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE later (id bigint, name text)`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO later VALUES (1, 'late')`); err != nil {
		t.Fatal(err)
	}
	if err := missing.Get(ctx, &name, 1); err != nil || name != "late" {
		t.Fatalf("once the table exists, get = %q, %v", name, err)
	}
}
