// Package dbtest gives each test a fresh PostgreSQL database of its own with
// Osk's migrations applied. Databases are cloned from a template database
// that is migrated once per set of migrations, which takes a fraction of the
// time of migrating each one.
//
// The databases live on the server that TEST_DATABASE_URL names, on which the
// tests may create databases. `make test` runs the suite under cmd/pgtemp,
// which starts one throwaway server for every test package; a test binary
// run on its own starts its own from Main.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/pgcluster"
	"github.com/citizen-network/osk/migrations"
)

// serverEnv names the variable holding the URL of the server that tests
// create their databases on.
const serverEnv = "TEST_DATABASE_URL"

// setupTimeout bounds making a test's database, the template's migration
// included.
const setupTimeout = 2 * time.Minute

// Main runs a package's tests; call it from TestMain. When TEST_DATABASE_URL
// is unset it first starts a throwaway server for them, and afterwards stops
// and removes it. It exits with the tests' status.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Getenv(serverEnv) != "" {
		return m.Run()
	}
	cluster, err := pgcluster.StartTemp(context.Background())
	if err != nil {
		fmt.Fprintf(os.Stderr, "dbtest: %v\n", err)
		return 1
	}
	stop := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		return cluster.Stop(ctx)
	}
	// The server runs in a process group of its own, out of reach of the
	// terminal's Ctrl-C, so an interrupted test binary stops it itself.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-signals
		if err := stop(); err != nil {
			fmt.Fprintf(os.Stderr, "dbtest: %v\n", err)
		}
		os.Exit(128 + int(sig.(syscall.Signal)))
	}()
	code := 1
	if err := os.Setenv(serverEnv, cluster.URL("postgres")); err != nil {
		fmt.Fprintf(os.Stderr, "dbtest: %v\n", err)
	} else {
		code = m.Run()
	}
	signal.Stop(signals)
	if err := stop(); err != nil {
		fmt.Fprintf(os.Stderr, "dbtest: %v\n", err)
		code = max(code, 1)
	}
	return code
}

// DB is a test's own migrated database.
type DB struct {
	*sqlx.DB
	URL string
}

// Count runs a query that counts rows, and fails t if it cannot.
func (d *DB) Count(t testing.TB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Get(&n, query, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

// New creates a fresh migrated database for t and connects to it. The pool
// closes and the database is dropped when t ends.
func New(t testing.TB) *DB {
	t.Helper()
	dbURL := NewURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	conn, err := db.Open(ctx, dbURL, db.Pool{MaxOpen: 10, MaxIdle: 10})
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	// Cleanups run last first: the pool closes before the database drops.
	t.Cleanup(func() { _ = conn.Close() })
	return &DB{DB: conn, URL: dbURL}
}

// NewURL creates a fresh migrated database for t and returns its URL,
// without connecting: for a test that hands the database to another
// process, such as a real osk serve. The database is dropped when t ends,
// whoever is still connected to it.
func NewURL(t testing.TB) string {
	t.Helper()
	server, err := serverURL()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	admin, err := sql.Open("postgres", server.String())
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	defer admin.Close()
	template, err := templateName()
	if err != nil {
		t.Fatal(err)
	}
	if err := ensureTemplate(ctx, admin, server, template); err != nil {
		t.Fatal(err)
	}
	name, err := databaseName(t.Name())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)+
		" TEMPLATE "+pq.QuoteIdentifier(template)); err != nil {
		t.Fatalf("dbtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := dropDatabase(server, name); err != nil {
			t.Error(err)
		}
	})
	return databaseURL(server, name)
}

// serverURL reads TEST_DATABASE_URL. Tests never skip for want of a
// database: a missing server is a failure that says how to provide one.
func serverURL() (*url.URL, error) {
	raw := os.Getenv(serverEnv)
	if raw == "" {
		return nil, fmt.Errorf("dbtest: %s is not set: call dbtest.Main from the package's TestMain, "+
			"or run the tests with `go run ./cmd/pgtemp -- go test ./...`", serverEnv)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("dbtest: %s must be a postgres:// URL", serverEnv)
	}
	return u, nil
}

// databaseURL is the server's URL with another database.
func databaseURL(server *url.URL, name string) string {
	u := *server
	u.Path, u.RawPath = "/"+name, ""
	return u.String()
}

// templateName names the template after the migrations it holds, so that a
// changed or added migration gets a template of its own.
func templateName() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("dbtest: read migrations: %w", err)
	}
	return "osk_template_" + hex.EncodeToString(h.Sum(nil))[:16], nil
}

// ensureTemplate makes the template database name unless it exists. Test
// binaries run in parallel against one server, so a PostgreSQL advisory lock
// lets one of them build it while the others wait. The template counts as
// made only once it is marked a template, after its migration, so a builder
// that died half-way leaves nothing that passes for one.
func ensureTemplate(ctx context.Context, admin *sql.DB, server *url.URL, name string) error {
	if ok, err := templateReady(ctx, admin, name); ok || err != nil {
		return err
	}
	conn, err := admin.Conn(ctx)
	if err != nil {
		return fmt.Errorf("dbtest: template: %w", err)
	}
	defer conn.Close()
	key := lockKey(name)
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return fmt.Errorf("dbtest: template: lock: %w", err)
	}
	defer func() { _, _ = conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, key) }()
	if ok, err := templateReady(ctx, conn, name); ok || err != nil {
		return err
	}
	quoted := pq.QuoteIdentifier(name)
	for _, stmt := range []string{
		"DROP DATABASE IF EXISTS " + quoted + " WITH (FORCE)",
		"CREATE DATABASE " + quoted + " TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'",
	} {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("dbtest: template: %s: %w", stmt, err)
		}
	}
	if err := migrate(ctx, databaseURL(server, name)); err != nil {
		return err
	}
	// Closed to connections: CREATE DATABASE refuses to copy a database
	// that anyone is connected to.
	stmt := "ALTER DATABASE " + quoted + " WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"
	if _, err := conn.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("dbtest: template: %s: %w", stmt, err)
	}
	return nil
}

func migrate(ctx context.Context, dbURL string) error {
	conn, err := db.Open(ctx, dbURL, db.Pool{MaxOpen: 4, MaxIdle: 4})
	if err != nil {
		return fmt.Errorf("dbtest: template: %w", err)
	}
	defer conn.Close()
	if err := db.Migrate(ctx, conn); err != nil {
		return fmt.Errorf("dbtest: template: %w", err)
	}
	return nil
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func templateReady(ctx context.Context, q queryer, name string) (bool, error) {
	var ready bool
	err := q.QueryRowContext(ctx,
		`SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)`, name).Scan(&ready)
	if err != nil {
		return false, fmt.Errorf("dbtest: look for template %s: %w", name, err)
	}
	return ready, nil
}

// lockKey is the advisory lock guarding the making of template name.
func lockKey(name string) int64 {
	sum := sha256.Sum256([]byte("dbtest template " + name))
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

// databaseName makes a unique database name that shows which test it
// belongs to, within PostgreSQL's 63 bytes.
func databaseName(test string) (string, error) {
	label := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		default:
			return '_'
		}
	}, test)
	if len(label) > 36 {
		label = label[:36]
	}
	suffix := make([]byte, 6)
	if _, err := rand.Read(suffix); err != nil {
		return "", fmt.Errorf("dbtest: database name: %w", err)
	}
	return "osk_test_" + label + "_" + hex.EncodeToString(suffix), nil
}

func dropDatabase(server *url.URL, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := sql.Open("postgres", server.String())
	if err != nil {
		return fmt.Errorf("dbtest: drop database %s: %w", name, err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("dbtest: drop database %s: %w", name, err)
	}
	return nil
}
