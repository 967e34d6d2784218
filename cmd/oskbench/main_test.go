package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildOsk compiles the osk command that the benchmark runs.
func buildOsk(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "osk")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/citizen-network/osk/cmd/osk").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// logWriter passes the benchmark's progress to the test log.
type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestBench_TinyRunWritesEveryFigure runs the whole benchmark at a scale
// of a few hundred members, so that `make bench` keeps working; it checks
// the figures are all there and that no vote failed, not how fast anything
// was.
func TestBench_TinyRunWritesEveryFigure(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a durable PostgreSQL and Osk")
	}
	out := filepath.Join(t.TempDir(), "bench.json")
	o, err := parseOptions([]string{
		"-members", "300", "-voters", "30", "-rounds", "2", "-freeze-members", "400", "-tally-votes", "120",
		"-verify-events", "2000", "-register-requests", "20", "-reference-conns", "4", "-osk", buildOsk(t),
	}, func(k string) string { return map[string]string{"BENCH_OUT": out}[k] }, logWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	res, err := run(context.Background(), o, logWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.writeJSON(o.out); err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	res.writeTable(&table)
	t.Log("\n" + table.String())

	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"vote_throughput", "reference_throughput", "vote_ratio", "vote_p50_ms", "vote_p95_ms",
		"vote_p99_ms", "vote_errors", "freeze_1m_s", "tally_100k_s", "verify_1m_s", "register_p50_ms", "register_p99_ms",
		"peak_rss_mb", "members", "voters", "rounds", "machine"} {
		if _, ok := got[key]; !ok {
			t.Errorf("%s has no %q", out, key)
		}
	}
	machine, _ := got["machine"].(map[string]any)
	for _, key := range []string{"cores", "goos", "goarch", "cpu_model"} {
		if _, ok := machine[key]; !ok {
			t.Errorf("%s has no machine.%s", out, key)
		}
	}
	if res.VoteErrors != 0 || res.ReferenceErrors != 0 {
		t.Errorf("%d votes and %d reference votes failed", res.VoteErrors, res.ReferenceErrors)
	}
	for name, v := range map[string]float64{
		"vote_throughput": res.VoteThroughput, "reference_throughput": res.ReferenceThroughput, "freeze_1m_s": res.Freeze1MS,
		"tally_100k_s": res.Tally100kS, "verify_1m_s": res.Verify1MS, "register_p50_ms": res.RegisterP50Ms, "peak_rss_mb": res.PeakRSSMB,
	} {
		if v <= 0 {
			t.Errorf("%s = %v, want a measure", name, v)
		}
	}
	if len(res.Rounds) != 2 {
		t.Errorf("%d rounds measured, want 2", len(res.Rounds))
	}
	if res.Members != 300 || res.Voters != 30 || res.FreezeMembers != 400 || res.TallyVotes != 120 || res.VerifyEvents < 2000 {
		t.Errorf("measured at %d members, %d voters, %d frozen, %d counted, %d verified", res.Members, res.Voters,
			res.FreezeMembers, res.TallyVotes, res.VerifyEvents)
	}
}
