package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// results are the figures of a run. The JSON keys are those of the issue;
// the others say what the figures were measured on.
type results struct {
	VoteThroughput      float64 `json:"vote_throughput"`
	ReferenceThroughput float64 `json:"reference_throughput"`
	VoteRatio           float64 `json:"vote_ratio"`
	VoteP50Ms           float64 `json:"vote_p50_ms"`
	VoteP95Ms           float64 `json:"vote_p95_ms"`
	VoteP99Ms           float64 `json:"vote_p99_ms"`
	VoteErrors          int     `json:"vote_errors"`
	Freeze1MS           float64 `json:"freeze_1m_s"`
	Tally100kS          float64 `json:"tally_100k_s"`
	Verify1MS           float64 `json:"verify_1m_s"`
	RegisterP50Ms       float64 `json:"register_p50_ms"`
	RegisterP99Ms       float64 `json:"register_p99_ms"`
	PeakRSSMB           float64 `json:"peak_rss_mb"`
	Members             int     `json:"members"`
	Voters              int     `json:"voters"`
	// Rounds are each live vote and its reference; the figures above are
	// their medians (summarise).
	Rounds  []roundFigures `json:"rounds"`
	Machine machine        `json:"machine"`

	ReferenceP50Ms  float64 `json:"reference_p50_ms"`
	ReferenceP99Ms  float64 `json:"reference_p99_ms"`
	ReferenceErrors int     `json:"reference_errors"`
	ReferenceConns  int     `json:"reference_conns"`
	// FreezeMembers, TallyVotes and VerifyEvents are the sizes the three
	// timings were taken at.
	FreezeMembers int       `json:"freeze_members"`
	TallyVotes    int       `json:"tally_votes"`
	VerifyEvents  int64     `json:"verify_events"`
	PostgreSQL    string    `json:"postgresql"`
	Database      string    `json:"database"`
	StartedAt     time.Time `json:"started_at"`
	DurationS     float64   `json:"duration_s"`
}

// machine describes where the figures come from. The load averages, read
// at the start and at the end, tell whether others were using it.
type machine struct {
	Cores         int    `json:"cores"`
	GOOS          string `json:"goos"`
	GOARCH        string `json:"goarch"`
	CPUModel      string `json:"cpu_model"`
	MemoryMB      int64  `json:"memory_mb"`
	LoadAtStart   string `json:"load_at_start"`
	LoadAtEnd     string `json:"load_at_end"`
	GoVersion     string `json:"go_version"`
	Hostname      string `json:"hostname"`
	KernelRelease string `json:"kernel_release"`
}

func describeMachine() machine {
	m := machine{Cores: runtime.NumCPU(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, GoVersion: runtime.Version(),
		LoadAtStart: loadAverage()}
	m.Hostname, _ = os.Hostname()
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.KernelRelease = strings.TrimSpace(string(b))
	}
	m.CPUModel = procField("/proc/cpuinfo", "model name")
	var kb int64
	if _, err := fmt.Sscanf(procField("/proc/meminfo", "MemTotal"), "%d", &kb); err == nil {
		m.MemoryMB = kb / 1024
	}
	return m
}

// procField reads the first "name: value" line of a /proc file.
func procField(path, name string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

func (r results) writeJSON(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// writeTable prints the figures with the targets.
func (r results) writeTable(w io.Writer) {
	met := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**missed**"
	}
	fmt.Fprintln(w, "| Measure | Result | Target | |")
	fmt.Fprintln(w, "| --- | --- | --- | --- |")
	row := func(measure, result, target, verdict string) {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", measure, result, target, verdict)
	}
	var each []string
	for _, f := range r.Rounds {
		each = append(each, fmt.Sprintf("%.0f / %.0f = %.2f", f.VoteThroughput, f.ReferenceThroughput, f.VoteRatio))
	}
	row(fmt.Sprintf("Votes through HTTP, %d voters at once (median of %d rounds)", r.Voters, len(r.Rounds)), fmt.Sprintf("%.0f votes/s", r.VoteThroughput), "", "")
	row(fmt.Sprintf("Reference: one durable SQL transaction per vote, %d connections (median)", r.ReferenceConns),
		fmt.Sprintf("%.0f votes/s", r.ReferenceThroughput), "", "")
	row("Each round: Osk / reference votes/s", strings.Join(each, "; "), "", "")
	row("Ratio Osk / reference (median of the rounds' ratios)", fmt.Sprintf("%.2f", r.VoteRatio), "≥ 1.0", met(r.VoteRatio >= 1))
	row("Vote latency p50 / p95 / p99, every vote of every round", fmt.Sprintf("%.1f / %.1f / %.1f ms", r.VoteP50Ms, r.VoteP95Ms, r.VoteP99Ms), "p99 < 100 ms", met(r.VoteP99Ms < 100))
	row("Reference latency p50 / p99", fmt.Sprintf("%.1f / %.1f ms", r.ReferenceP50Ms, r.ReferenceP99Ms), "", "")
	row("Vote errors", fmt.Sprint(r.VoteErrors), "0", met(r.VoteErrors == 0))
	row(fmt.Sprintf("Voting list of %d members frozen (ballot opened over HTTP)", r.FreezeMembers), fmt.Sprintf("%.2f s", r.Freeze1MS), "< 3 s", met(r.Freeze1MS < 3))
	row(fmt.Sprintf("Close and tally of %d votes (over HTTP)", r.TallyVotes), fmt.Sprintf("%.3f s", r.Tally100kS), "< 0.5 s", met(r.Tally100kS < 0.5))
	row(fmt.Sprintf("`osk verify` of %d events", r.VerifyEvents), fmt.Sprintf("%.2f s", r.Verify1MS), "< 10 s", met(r.Verify1MS < 10))
	row(fmt.Sprintf("Member register page at %d members, p50 / p99", r.Members), fmt.Sprintf("%.1f / %.1f ms", r.RegisterP50Ms, r.RegisterP99Ms),
		"p50 < 20 ms", met(r.RegisterP50Ms < 20))
	row("Osk's peak RSS during the votes", fmt.Sprintf("%.0f MB", r.PeakRSSMB), "< 200 MB", met(r.PeakRSSMB < 200))
	m := r.Machine
	fmt.Fprintf(w, "\nMachine: %d cores (%s), %d MB, %s/%s, %s; PostgreSQL %s (%s); load average %s at the start, %s at the end. Run of %.0f s started %s.\n",
		m.Cores, m.CPUModel, m.MemoryMB, m.GOOS, m.GOARCH, m.GoVersion, r.PostgreSQL, r.Database, m.LoadAtStart, m.LoadAtEnd,
		r.DurationS, r.StartedAt.Format(time.RFC3339))
}
