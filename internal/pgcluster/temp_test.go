package pgcluster

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestStartTemp_StopRemovesDirectory(t *testing.T) {
	c, err := StartTemp(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	root := c.removeOnStop
	if filepath.Dir(root) != tempParent {
		t.Errorf("throwaway cluster in %s, want under %s", root, tempParent)
	}
	queryString(t, open(t, c.URL("postgres")), "SELECT 1")
	if err := c.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(root); !os.IsNotExist(err) {
		t.Errorf("%s after Stop: %v, want it removed", root, err)
	}
}

func TestStartTemp_SweepsAbandonedClusters(t *testing.T) {
	old := time.Now().Add(-time.Hour)
	age := func(root string) {
		t.Helper()
		if err := os.Chtimes(root, old, old); err != nil {
			t.Fatal(err)
		}
	}

	// A cluster whose process died: its server still runs, its locks are free.
	orphanRoot, err := os.MkdirTemp(tempParent, tempPrefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(orphanRoot) })
	if err := os.Chmod(orphanRoot, 0o711); err != nil {
		t.Fatal(err)
	}
	orphan, err := Start(context.Background(), Options{Dir: filepath.Join(orphanRoot, "data")})
	if err != nil {
		t.Fatal(err)
	}
	orphan.releaseLocks()
	age(orphanRoot)

	// A cluster in use, however old its directory looks.
	live, err := StartTemp(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = live.Stop(context.Background()) })
	age(live.removeOnStop)

	c, err := StartTemp(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop(context.Background())

	if _, err := os.Stat(orphanRoot); !os.IsNotExist(err) {
		t.Errorf("abandoned %s: %v, want it removed", orphanRoot, err)
	}
	if alive(orphan.server.pid) {
		t.Errorf("the abandoned server (pid %d) still runs", orphan.server.pid)
	}
	if !answers(context.Background(), filepath.Join(live.removeOnStop, "data"), live.server.port) {
		t.Error("the sweep stopped a throwaway cluster in use")
	}
}
