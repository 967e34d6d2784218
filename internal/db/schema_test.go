package db_test

import (
	"context"
	"errors"
	"testing"

	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/dbtest"
)

func schemaError(t *testing.T, err error) db.SchemaError {
	t.Helper()
	var schemaErr *db.SchemaError
	if !errors.As(err, &schemaErr) {
		t.Fatalf("want a *db.SchemaError, got %v", err)
	}
	return *schemaErr
}

func TestCheckSchema_NamesBothVersions(t *testing.T) {
	conn := dbtest.New(t)
	ctx := context.Background()
	if err := db.CheckSchema(ctx, conn.DB); err != nil {
		t.Fatalf("a migrated database: %v", err)
	}
	newest := int64(conn.Count(t, `SELECT max(version_id) FROM goose_db_version`))

	if _, err := conn.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, true)`, newest+1); err != nil {
		t.Fatal(err)
	}
	if got := schemaError(t, db.CheckSchema(ctx, conn.DB)); got != (db.SchemaError{Database: newest + 1, Binary: newest}) {
		t.Fatalf("a newer database: %+v", got)
	}
	if got := schemaError(t, db.Migrate(ctx, conn.DB)); got != (db.SchemaError{Database: newest + 1, Binary: newest}) {
		t.Fatalf("migrating a newer database: %+v", got)
	}

	if _, err := conn.Exec(`DROP SCHEMA public CASCADE; CREATE SCHEMA public`); err != nil {
		t.Fatal(err)
	}
	if got := schemaError(t, db.CheckSchema(ctx, conn.DB)); got != (db.SchemaError{Database: 0, Binary: newest}) {
		t.Fatalf("an empty database: %+v", got)
	}
	// A check must leave a database it may not change as it was.
	if n := conn.Count(t, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`); n != 0 {
		t.Fatalf("checking an empty database made %d tables", n)
	}
	if err := db.Migrate(ctx, conn.DB); err != nil {
		t.Fatal(err)
	}
	if err := db.CheckSchema(ctx, conn.DB); err != nil {
		t.Fatalf("after migrating: %v", err)
	}
}
