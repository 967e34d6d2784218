package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/dbtest"
)

// productionEnv is what Fly gives an instance, over the database at dbURL.
func productionEnv(t *testing.T, dbURL string, port int) []string {
	t.Helper()
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	return []string{"APP_ENV=production", "DATABASE_URL=" + dbURL, "PORT=" + strconv.Itoa(port),
		"BASE_URL=https://osk.example.org", "SESSION_SECRET=" + hex.EncodeToString(secret)}
}

// newestMigration is the newest migration applied to db: for a database
// that dbtest migrated, the binary's newest.
func newestMigration(t *testing.T, db *dbtest.DB) int64 {
	t.Helper()
	var v int64
	if err := db.Get(&v, `SELECT max(version_id) FROM goose_db_version`); err != nil {
		t.Fatal(err)
	}
	return v
}

// emptySchema makes db a database that nothing has migrated.
func emptySchema(t *testing.T, db *dbtest.DB) {
	t.Helper()
	if _, err := db.Exec(`DROP SCHEMA public CASCADE; CREATE SCHEMA public`); err != nil {
		t.Fatal(err)
	}
}

// waitExit waits for a process that must stop by itself.
func waitExit(t *testing.T, p *proc, within time.Duration) error {
	t.Helper()
	select {
	case err := <-p.done:
		return err
	case <-time.After(within):
		t.Fatalf("osk still runs after %s\n%s", within, p.stderr.String())
		return nil
	}
}

func TestServe_ProductionRefusesToStartOnAnotherSchema(t *testing.T) {
	bin := buildOsk(t)
	// Each change leaves the database at the version it returns.
	cases := []struct {
		name   string
		change func(t *testing.T, db *dbtest.DB, newest int64) int64
		advice string
	}{
		{"empty", func(t *testing.T, db *dbtest.DB, _ int64) int64 {
			emptySchema(t, db)
			return 0
		}, "run `osk migrate`"},
		{"half migrated", func(t *testing.T, db *dbtest.DB, newest int64) int64 {
			if _, err := db.Exec(`DELETE FROM goose_db_version WHERE version_id = $1`, newest); err != nil {
				t.Fatal(err)
			}
			return newestMigration(t, db)
		}, "run `osk migrate`"},
		{"migrated by a newer release", func(t *testing.T, db *dbtest.DB, newest int64) int64 {
			if _, err := db.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, true)`, newest+1); err != nil {
				t.Fatal(err)
			}
			return newest + 1
		}, "deploy that release"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db := dbtest.New(t)
			newest := newestMigration(t, db)
			was := tc.change(t, db, newest)
			p := startOsk(t, bin, productionEnv(t, db.URL, freePort(t)), "serve")
			err := waitExit(t, p, 30*time.Second)
			errOut := p.stderr.String()
			if err == nil || strings.Contains(p.stdout.String(), "is running") {
				t.Fatalf("serve on a database at version %d: %v\n%s%s", was, err, p.stdout.String(), errOut)
			}
			for _, want := range []string{fmt.Sprintf("version %d", was), fmt.Sprintf("version %d", newest), tc.advice} {
				if !strings.Contains(errOut, want) {
					t.Errorf("serve's refusal does not say %q:\n%s", want, errOut)
				}
			}
		})
	}
}

func TestServe_AnnouncesItselfOnlyOnceListening(t *testing.T) {
	bin := buildOsk(t)
	taken, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := taken.Addr().(*net.TCPAddr).Port
	p := startOsk(t, bin, productionEnv(t, dbtest.NewURL(t), port), "serve")
	err = waitExit(t, p, 30*time.Second)
	if err == nil || !strings.Contains(p.stderr.String(), strconv.Itoa(port)) {
		t.Fatalf("serve on a port in use: %v\n%s", err, p.stderr.String())
	}
	if out := p.stdout.String(); strings.Contains(out, "is running") {
		t.Fatalf("serve announced itself on a port it could not have:\n%s", out)
	}
}

func TestMigrate_RefusesADatabaseOfANewerRelease(t *testing.T) {
	db := dbtest.New(t)
	newest := newestMigration(t, db)
	if _, err := db.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, true)`, newest+1); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := osk(t, db.URL, "migrate")
	if code == 0 || strings.Contains(out, "up to date") {
		t.Fatalf("migrate on a newer database: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{fmt.Sprintf("version %d", newest+1), fmt.Sprintf("version %d", newest), "deploy that release"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("migrate's refusal does not say %q:\n%s", want, errOut)
		}
	}
	if _, errOut, code := osk(t, db.URL, "account", "create", "--email", "a@example.org", "--name", "A"); code == 0 || !strings.Contains(errOut, "newer") {
		t.Fatalf("account create on a newer database: exit %d\n%s", code, errOut)
	}
}

func TestOperatorCommands_OnAnUnmigratedDatabaseSayToMigrate(t *testing.T) {
	db := dbtest.New(t)
	emptySchema(t, db)
	for _, args := range [][]string{
		{"account", "create", "--email", "a@example.org", "--name", "A"},
		{"grant", "--email", "a@example.org", "--role", "admin"},
		{"revoke", "--email", "a@example.org", "--role", "admin"},
		{"token", "create", "--email", "a@example.org"},
		{"verify"},
	} {
		_, errOut, code := osk(t, db.URL, args...)
		if code == 0 || !strings.Contains(errOut, "run `osk migrate`") || strings.Contains(errOut, "does not exist") {
			t.Errorf("%s on an unmigrated database: exit %d\n%s", args[0], code, errOut)
		}
	}
	if out, errOut, code := osk(t, db.URL, "migrate"); code != 0 || !strings.Contains(out, "up to date") {
		t.Fatalf("migrate: exit %d\n%s%s", code, out, errOut)
	}
	if _, errOut, code := osk(t, db.URL, "account", "create", "--email", "a@example.org", "--name", "A"); code != 0 {
		t.Fatalf("account create after migrate: %s", errOut)
	}
}
