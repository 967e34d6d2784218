package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/pgcluster"
	"github.com/citizen-network/osk/internal/server"
)

// database is where the benchmark runs: a private durable cluster made
// for the run, or the database that DATABASE_URL names.
type database struct {
	url     string
	cluster *pgcluster.Cluster
	// root is the private cluster's directory, removed at the end.
	root string
}

// openDatabase starts a private durable cluster under /tmp, which the
// postgres system user can reach when the benchmark runs as root, unless
// DATABASE_URL names a database.
func openDatabase(ctx context.Context, o options, log *progress) (*database, error) {
	if o.databaseURL != "" {
		log.printf("using the database of DATABASE_URL")
		return &database{url: o.databaseURL}, nil
	}
	root, err := os.MkdirTemp("/tmp", "osk-bench-")
	if err != nil {
		return nil, fmt.Errorf("private PostgreSQL: %w", err)
	}
	if err := os.Chmod(root, 0o711); err != nil {
		_ = os.RemoveAll(root)
		return nil, fmt.Errorf("private PostgreSQL: %w", err)
	}
	log.printf("starting a private durable PostgreSQL in %s", root)
	cluster, err := pgcluster.Start(ctx, pgcluster.Options{Dir: filepath.Join(root, "data"), Durable: true})
	if err != nil {
		_ = os.RemoveAll(root)
		return nil, err
	}
	d := &database{cluster: cluster, root: root, url: cluster.URL(server.DatabaseName)}
	admin, err := db.Open(ctx, cluster.URL("postgres"), db.Pool{MaxOpen: 1, MaxIdle: 1})
	if err == nil {
		_, err = admin.ExecContext(ctx, `CREATE DATABASE `+server.DatabaseName)
		admin.Close()
	}
	if err != nil {
		d.close()
		return nil, fmt.Errorf("private PostgreSQL: create database: %w", err)
	}
	return d, nil
}

// close stops and removes the private cluster.
func (d *database) close() {
	if d.cluster == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_ = d.cluster.Stop(ctx)
	_ = os.RemoveAll(d.root)
}

// connect opens the benchmark's own pool on the migrated database and
// checks that it may seed there: an empty register, and a superuser, which
// the seeding of the audit chain needs (see the package comment).
func (d *database) connect(ctx context.Context) (*sqlx.DB, error) {
	conn, err := db.Open(ctx, d.url, db.Pool{MaxOpen: 8, MaxIdle: 8, MaxLifetime: time.Hour})
	if err != nil {
		return nil, err
	}
	var st struct {
		Members  int  `db:"members"`
		Accounts int  `db:"accounts"`
		Super    bool `db:"super"`
	}
	err = conn.GetContext(ctx, &st, `SELECT (SELECT count(*) FROM members) AS members, (SELECT count(*) FROM accounts) AS accounts,
		(SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS super`)
	switch {
	case err != nil:
		err = fmt.Errorf("inspect the database: %w", err)
	case st.Members > 0 || st.Accounts > 0:
		err = errors.New("the database already has accounts or members: give the benchmark an empty database of its own")
	case !st.Super:
		err = errors.New("the database role is not a superuser, which seeding the audit chain needs")
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}
