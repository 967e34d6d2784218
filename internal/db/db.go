// Package db opens Osk's PostgreSQL database, migrates it with the embedded
// goose migrations, and runs work in transactions.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/citizen-network/osk/migrations"
)

// Pool sizes the connection pool. A small pool suits a 2-core instance: more
// connections than PostgreSQL has cores only add contention.
type Pool struct {
	MaxOpen     int
	MaxIdle     int
	MaxLifetime time.Duration
}

// DefaultPool is what serve uses unless configured otherwise.
var DefaultPool = Pool{MaxOpen: 20, MaxIdle: 10, MaxLifetime: 30 * time.Minute}

// Open connects to url and checks that the database answers.
func Open(ctx context.Context, url string, pool Pool) (*sqlx.DB, error) {
	conn, err := sqlx.Open("postgres", url)
	if err != nil {
		return nil, fmt.Errorf("db: open: %w", err)
	}
	conn.SetMaxOpenConns(pool.MaxOpen)
	conn.SetMaxIdleConns(pool.MaxIdle)
	conn.SetConnMaxLifetime(pool.MaxLifetime)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := conn.PingContext(pingCtx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("db: connect: %w", err)
	}
	return conn, nil
}

// Migrate applies every migration not yet applied. A PostgreSQL session lock
// makes concurrent callers (several instances starting at once) take turns.
// A database migrated by a newer release is left alone with a *SchemaError:
// goose would find nothing to apply there and call it up to date.
func Migrate(ctx context.Context, conn *sqlx.DB) error {
	provider, err := newProvider(conn)
	if err != nil {
		return fmt.Errorf("db: migrate: %w", err)
	}
	database, binary, err := versions(ctx, conn, provider)
	if err != nil {
		return err
	}
	if database > binary {
		return &SchemaError{Database: database, Binary: binary}
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("db: migrate: %w", err)
	}
	return nil
}

// CheckSchema returns a *SchemaError unless the database's schema is the one
// this binary's newest migration makes. It only reads, so that a command that
// must not migrate (production's serve, the operator commands) leaves a wrong
// database as it found it.
func CheckSchema(ctx context.Context, conn *sqlx.DB) error {
	provider, err := newProvider(conn)
	if err != nil {
		return fmt.Errorf("db: check schema: %w", err)
	}
	database, binary, err := versions(ctx, conn, provider)
	if err != nil {
		return err
	}
	if database != binary {
		return &SchemaError{Database: database, Binary: binary}
	}
	return nil
}

// SchemaError is a database whose schema is not the one this binary was
// built for: behind it (not migrated yet, or half-way) or ahead of it
// (migrated by a newer release, whose tables this one does not know).
type SchemaError struct {
	Database int64 // the newest migration applied to the database; 0 for none
	Binary   int64 // the newest migration embedded in this binary
}

func (e *SchemaError) Error() string {
	if e.Database < e.Binary {
		return fmt.Sprintf("db: the database schema is at version %d, but this release of Osk needs version %d: run `osk migrate` first",
			e.Database, e.Binary)
	}
	return fmt.Sprintf("db: the database schema is at version %d, newer than version %d of this release of Osk: "+
		"a newer release migrated it, so deploy that release (or a later one) instead of this one", e.Database, e.Binary)
}

func newProvider(conn *sqlx.DB) (*goose.Provider, error) {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectPostgres, conn.DB, migrations.FS, goose.WithSessionLocker(locker))
}

// versions returns the database's goose version (0 when it was never
// migrated) and the binary's newest migration. It reads the version table
// directly: goose's own version queries first create the table, a write on
// a database that the caller may only be checking.
func versions(ctx context.Context, conn *sqlx.DB, provider *goose.Provider) (database, binary int64, err error) {
	sources := provider.ListSources()
	binary = sources[len(sources)-1].Version
	var table sql.NullString
	if err := conn.GetContext(ctx, &table, `SELECT to_regclass($1)::text`, goose.DefaultTablename); err != nil {
		return 0, 0, fmt.Errorf("db: schema version: %w", err)
	}
	if !table.Valid {
		return 0, binary, nil
	}
	if err := conn.GetContext(ctx, &database,
		`SELECT coalesce(max(version_id), 0) FROM `+pq.QuoteIdentifier(goose.DefaultTablename)+` WHERE is_applied`); err != nil {
		return 0, 0, fmt.Errorf("db: schema version: %w", err)
	}
	return database, binary, nil
}

// WithTx runs fn in a transaction. It rolls back when fn returns an error or
// panics, and otherwise returns the error of the commit itself, so that a
// failed commit is never mistaken for success.
func WithTx(ctx context.Context, conn *sqlx.DB, fn func(tx *sqlx.Tx) error) (err error) {
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("db: rollback: %w", rbErr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	return nil
}

// ViolatesRule reports whether err is the schema refusing a write by the
// named rule: a constraint, or a trigger that raises an error naming it.
func ViolatesRule(err error, name string) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Constraint == name
}

// IsUniqueViolation reports whether err is PostgreSQL's unique_violation,
// which the schema raises when a duplicate would be stored.
func IsUniqueViolation(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23505"
}
