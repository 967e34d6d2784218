package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/citizen-network/osk/internal/config"
	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/pgcluster"
)

// DatabaseName is the database Osk uses inside its private cluster.
const DatabaseName = "osk"

// Database is Osk's connection pool, and the private PostgreSQL behind it
// when there is one.
type Database struct {
	*sqlx.DB
	URL     string
	cluster *pgcluster.Cluster
}

// OpenDatabase connects to DATABASE_URL, or in development without one to the
// private PostgreSQL under DATA_DIR, starting it when nobody runs it yet.
// serve is true for `osk serve`, which may run only once per data directory.
func OpenDatabase(ctx context.Context, cfg config.Config, logger *slog.Logger, serve bool) (*Database, error) {
	pool := db.DefaultPool
	pool.MaxOpen = cfg.DBMaxConns
	pool.MaxIdle = max(2, cfg.DBMaxConns/2)
	if cfg.DatabaseURL != "" {
		conn, err := db.Open(ctx, cfg.DatabaseURL, pool)
		if err != nil {
			return nil, err
		}
		return &Database{DB: conn, URL: cfg.DatabaseURL}, nil
	}
	if !cfg.IsDevelopment() {
		return nil, fmt.Errorf("server: DATABASE_URL is required outside development")
	}
	dir, err := filepath.Abs(filepath.Join(cfg.DataDir, "postgres"))
	if err != nil {
		return nil, fmt.Errorf("server: data directory: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, fmt.Errorf("server: data directory: %w", err)
	}
	cluster, err := pgcluster.Start(ctx, pgcluster.Options{Dir: dir, Durable: true, Exclusive: serve})
	if err != nil {
		return nil, err
	}
	if cluster.Owned() {
		logger.Info("private PostgreSQL started", "dir", dir)
	}
	fail := func(err error) (*Database, error) {
		_ = cluster.Stop(context.WithoutCancel(ctx))
		return nil, err
	}
	if err := ensureDatabase(ctx, cluster.URL("postgres"), DatabaseName); err != nil {
		return fail(err)
	}
	u := cluster.URL(DatabaseName)
	conn, err := db.Open(ctx, u, pool)
	if err != nil {
		return fail(err)
	}
	return &Database{DB: conn, URL: u, cluster: cluster}, nil
}

// Close closes the pool and stops the private PostgreSQL if this process
// started it.
func (d *Database) Close(ctx context.Context) error {
	err := d.DB.Close()
	if d.cluster != nil {
		if stopErr := d.cluster.Stop(ctx); stopErr != nil {
			return fmt.Errorf("server: stop PostgreSQL: %w", stopErr)
		}
	}
	return err
}

// ensureDatabase creates the named database on first use of a new cluster.
func ensureDatabase(ctx context.Context, adminURL, name string) error {
	conn, err := db.Open(ctx, adminURL, db.Pool{MaxOpen: 1, MaxIdle: 1})
	if err != nil {
		return err
	}
	defer conn.Close()
	exists := func() (bool, error) {
		var ok bool
		if err := conn.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name); err != nil {
			return false, fmt.Errorf("server: look for database %s: %w", name, err)
		}
		return ok, nil
	}
	if ok, err := exists(); ok || err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name))
	if err == nil {
		return nil
	}
	// Another command (make run beside an operator command, say) may be
	// creating it too. PostgreSQL answers 42P04 when the other one finished
	// before this one began, and a unique violation on pg_database when both
	// were under way at once; either way the database must now be there.
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || (pqErr.Code != "42P04" && pqErr.Code != "23505") {
		return fmt.Errorf("server: create database %s: %w", name, err)
	}
	if ok, lookErr := exists(); !ok || lookErr != nil {
		return errors.Join(fmt.Errorf("server: create database %s: %w", name, err), lookErr)
	}
	return nil
}
