package ballots

import (
	"context"
	"errors"
	"testing"

	"github.com/citizen-network/osk/internal/dbtest"
)

// The transaction that opens or closes a ballot may be another domain's,
// which goes on after the bulk statement with its own settings.
func TestBulkWork_SetsItsSettingsAndPutsThemBack(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	tx, err := d.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.Exec(`SET LOCAL work_mem = '7MB'; SET LOCAL jit = on`); err != nil {
		t.Fatal(err)
	}
	settings := func() (jit, workMem string) {
		t.Helper()
		if err := tx.QueryRow(`SELECT current_setting('jit'), current_setting('work_mem')`).Scan(&jit, &workMem); err != nil {
			t.Fatal(err)
		}
		return jit, workMem
	}
	err = bulkWork(ctx, tx, func() error {
		if jit, workMem := settings(); jit != "off" || workMem != "128MB" {
			t.Errorf("inside: jit %s, work_mem %s; want off, 128MB", jit, workMem)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if jit, workMem := settings(); jit != "on" || workMem != "7MB" {
		t.Errorf("after: jit %s, work_mem %s; want on, 7MB", jit, workMem)
	}

	failed := errors.New("the bulk statement failed")
	if err := bulkWork(ctx, tx, func() error { return failed }); !errors.Is(err, failed) {
		t.Errorf("bulkWork returned %v, want the statement's error", err)
	}
}
