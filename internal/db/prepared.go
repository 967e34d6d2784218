package db

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/jmoiron/sqlx"
)

// Prepared is a query that runs on nearly every request. It is prepared
// on first use, and database/sql then prepares it once on each pooled
// connection that runs it, so PostgreSQL parses and plans it once per
// connection rather than at every call: under a burst of requests the
// parsing and planning of such a query was much of the database's work.
type Prepared struct {
	conn  *sqlx.DB
	query string

	// stmt is read without the lock on every call; mu only serialises
	// the preparation.
	stmt atomic.Pointer[sqlx.Stmt]
	mu   sync.Mutex
}

// NewPrepared returns query, to be prepared on conn at its first use. A
// failed preparation (the database unreachable, say) is tried again at
// the next use.
func NewPrepared(conn *sqlx.DB, query string) *Prepared {
	return &Prepared{conn: conn, query: query}
}

func (p *Prepared) prepared(ctx context.Context) (*sqlx.Stmt, error) {
	if stmt := p.stmt.Load(); stmt != nil {
		return stmt, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if stmt := p.stmt.Load(); stmt != nil {
		return stmt, nil
	}
	stmt, err := p.conn.PreparexContext(ctx, p.query)
	if err != nil {
		return nil, fmt.Errorf("db: prepare: %w", err)
	}
	p.stmt.Store(stmt)
	return stmt, nil
}

// Get runs the query and scans its one row into dest, as sqlx.Get does:
// sql.ErrNoRows when there is none.
func (p *Prepared) Get(ctx context.Context, dest any, args ...any) error {
	stmt, err := p.prepared(ctx)
	if err != nil {
		return err
	}
	return stmt.GetContext(ctx, dest, args...)
}

// Select runs the query and scans its rows into dest, a pointer to a
// slice, as sqlx.Select does.
func (p *Prepared) Select(ctx context.Context, dest any, args ...any) error {
	stmt, err := p.prepared(ctx)
	if err != nil {
		return err
	}
	return stmt.SelectContext(ctx, dest, args...)
}
