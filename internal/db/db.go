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
func Migrate(ctx context.Context, conn *sqlx.DB) error {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return fmt.Errorf("db: migrate: %w", err)
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, conn.DB, migrations.FS,
		goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("db: migrate: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("db: migrate: %w", err)
	}
	return nil
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
