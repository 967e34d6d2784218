package dbtest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"
)

func TestMain(m *testing.M) {
	Main(m)
}

func TestNew_AppliesTheMigrations(t *testing.T) {
	began := time.Now()
	d := New(t)
	t.Logf("New took %s", time.Since(began).Round(time.Millisecond))
	var exists bool
	if err := d.Get(&exists, `SELECT to_regclass('audit_events') IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	if !exists {
		t.Error("table audit_events is missing")
	}
	var head int
	if err := d.Get(&head, `SELECT seq FROM audit_head`); err != nil {
		t.Fatalf("audit_head: %v", err)
	}
}

func TestNew_GivesEachTestItsOwnDatabase(t *testing.T) {
	began := time.Now()
	a, b := New(t), New(t)
	t.Logf("two News took %s", time.Since(began).Round(time.Millisecond))
	if a.URL == b.URL {
		t.Fatalf("both databases are %s", a.URL)
	}
	if _, err := a.Exec(`CREATE TABLE only_in_a (n int)`); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Exec(`INSERT INTO audit_head (singleton, seq, hash) VALUES (false, 0, decode(repeat('00', 32), 'hex'))`); err == nil {
		t.Fatal("the schema's checks do not hold")
	}
	var inB bool
	if err := b.Get(&inB, `SELECT to_regclass('only_in_a') IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	if inB {
		t.Error("a table made in one test database shows in another")
	}
}

func TestNew_DropsTheDatabaseWhenTheTestEnds(t *testing.T) {
	var name string
	t.Run("inner", func(t *testing.T) {
		d := New(t)
		if err := d.Get(&name, `SELECT current_database()`); err != nil {
			t.Fatal(err)
		}
	})
	if !strings.HasPrefix(name, "osk_test_testnew_dropsthedatabase") {
		t.Errorf("database name %q does not show its test", name)
	}
	if databaseExists(t, name) {
		t.Errorf("database %s outlives its test", name)
	}
}

func TestNewURL_DropsTheDatabaseDespiteConnections(t *testing.T) {
	var dbURL string
	var conn *sql.DB
	t.Run("inner", func(t *testing.T) {
		dbURL = NewURL(t)
		var err error
		if conn, err = sql.Open("postgres", dbURL); err != nil {
			t.Fatal(err)
		}
		if err := conn.Ping(); err != nil {
			t.Fatal(err)
		}
	})
	defer conn.Close()
	name := dbURL[strings.LastIndex(dbURL, "/")+1:]
	if databaseExists(t, name) {
		t.Errorf("database %s outlives its test", name)
	}
}

// Test binaries of several packages build the template at once; one builds
// it and the others wait for it.
func TestEnsureTemplate_ConcurrentBuildersMakeOneTemplate(t *testing.T) {
	server, err := serverURL()
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("osk_template_race_%d", time.Now().UnixNano())
	t.Cleanup(func() {
		admin := openAdmin(t)
		for _, stmt := range []string{
			"ALTER DATABASE " + pq.QuoteIdentifier(name) + " WITH IS_TEMPLATE false",
			"DROP DATABASE " + pq.QuoteIdentifier(name),
		} {
			if _, err := admin.Exec(stmt); err != nil {
				t.Error(err)
			}
		}
	})
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			admin, err := sql.Open("postgres", server.String())
			if err != nil {
				errs[i] = err
				return
			}
			defer admin.Close()
			errs[i] = ensureTemplate(context.Background(), admin, server, name)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("builder %d: %v", i, err)
		}
	}
	admin := openAdmin(t)
	var count int
	if err := admin.QueryRow(`SELECT count(*) FROM pg_database WHERE datname = $1 AND datistemplate AND NOT datallowconn`, name).Scan(&count); err != nil {
		t.Fatal(err)
	}
	if count != 1 {
		t.Errorf("%d closed templates named %s, want 1", count, name)
	}
}

func TestTemplateName_FollowsTheMigrations(t *testing.T) {
	a, err := templateName()
	if err != nil {
		t.Fatal(err)
	}
	b, err := templateName()
	if err != nil {
		t.Fatal(err)
	}
	if a != b || len(a) > 63 || !strings.HasPrefix(a, "osk_template_") {
		t.Errorf("template names %q and %q", a, b)
	}
}

func TestDatabaseName_FitsPostgreSQL(t *testing.T) {
	name, err := databaseName("TestSomething/with a very long subtest name, punctuation and ÄÖ, beyond any limit")
	if err != nil {
		t.Fatal(err)
	}
	if len(name) > 63 || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
		t.Errorf("database name %q is not a plain identifier of at most 63 bytes", name)
	}
}

func openAdmin(t *testing.T) *sql.DB {
	t.Helper()
	server, err := serverURL()
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("postgres", server.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	return admin
}

func databaseExists(t *testing.T, name string) bool {
	t.Helper()
	var exists bool
	if err := openAdmin(t).QueryRow(`SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	return exists
}
