// Package faulttest runs Osk through crashes under load: a load of votes
// over HTTP while the Osk process and then the PostgreSQL postmaster are
// killed with SIGKILL and restarted. No vote Osk acknowledged may be lost,
// no member may be counted twice, and the record must verify afterwards.
package faulttest_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/dbtest"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/motions"
	"github.com/citizen-network/osk/internal/osktest"
	"github.com/citizen-network/osk/internal/pgcluster"
)

// cycles is how many times each process is killed: 3 in make test, more
// with OSK_KILL_CYCLES (make soak).
func cycles() int {
	if n, err := strconv.Atoi(os.Getenv("OSK_KILL_CYCLES")); err == nil && n > 0 {
		return n
	}
	return 3
}

type voter struct {
	memberID int64
	token    string
}

// oskProcess is one `osk serve` on the test's database.
type oskProcess struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func TestKill9_NoAcknowledgedVoteIsLost(t *testing.T) {
	ctx := context.Background()
	work, err := os.MkdirTemp("", "osk-kill-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(work) })
	if err := os.Chmod(work, 0o755); err != nil {
		t.Fatal(err)
	}

	// A durable cluster of the test's own, on a fixed port so that Osk
	// reconnects to it after it is restarted.
	pgPort := freePort(t)
	pgDir := filepath.Join(work, "postgres")
	cluster := startCluster(t, pgDir, pgPort)
	adminURL := cluster.URL("postgres")
	admin, err := db.Open(ctx, adminURL, db.Pool{MaxOpen: 1, MaxIdle: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec("CREATE DATABASE " + pq.QuoteIdentifier("osk")); err != nil {
		t.Fatal(err)
	}
	admin.Close()
	dbURL := cluster.URL("osk")
	conn, err := db.Open(ctx, dbURL, db.DefaultPool)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, conn); err != nil {
		t.Fatal(err)
	}

	// The meeting, its members and the open ballot are set up through the
	// services, as the board and chair would through the pages.
	inst := osktest.Start(t, osktest.Options{DB: &dbtest.DB{DB: conn, URL: dbURL}})
	s := inst.Server
	person := func(email, name string, roles ...string) auth.Principal {
		acc, err := s.Auth.CreateAccount(ctx, auth.Operator, email, name)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range roles {
			if err := s.Auth.Grant(ctx, auth.Operator, acc.ID, r); err != nil {
				t.Fatal(err)
			}
		}
		p, err := s.Auth.Principal(ctx, acc.ID)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	board := person("board@example.org", "Board", auth.RoleBoard)
	chair := person("chair@example.org", "Chair", auth.RoleBoard)
	const n = 120
	var voters []voter
	var principals []auth.Principal
	for i := range n {
		p := person(fmt.Sprintf("voter%03d@example.org", i), fmt.Sprintf("Voter %d", i))
		m, err := s.Members.Apply(ctx, p, members.Application{Kind: members.KindIndividual, Name: p.Name, Email: p.Email, Country: "FI", AcceptRules: true})
		if err != nil {
			t.Fatal(err)
		}
		if m, err = s.Members.Admit(ctx, board, m.ID, members.Admission{}); err != nil {
			t.Fatal(err)
		}
		token, _, err := s.Auth.CreateToken(ctx, auth.Operator, p.AccountID, "votes", 0)
		if err != nil {
			t.Fatal(err)
		}
		voters = append(voters, voter{memberID: m.ID, token: token})
		principals = append(principals, p)
	}
	chairToken, _, err := s.Auth.CreateToken(ctx, auth.Operator, chair.AccountID, "chair", 0)
	if err != nil {
		t.Fatal(err)
	}
	start := inst.Clock.Now().Add(14 * 24 * time.Hour).Truncate(time.Minute)
	meeting, err := s.Meetings.Create(ctx, board, meetings.Draft{
		Kind: meetings.KindExtraordinary, Title: "Extraordinary general meeting", TimeZone: "Europe/Helsinki",
		StartsAt: start.Format(time.RFC3339), EndsAt: start.Add(3 * time.Hour).Format(time.RFC3339),
		Location: "Helsinki", RemoteAllowed: true, OnlineURL: "https://meet.example.org/osk", Agenda: []meetings.ItemInput{{Title: "Opening"}, {Title: "The motion"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Meetings.SetOfficers(ctx, board, meeting.ID, meetings.Officers{ChairAccountID: &chair.AccountID}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Meetings.Convene(ctx, board, meeting.ID); err != nil {
		t.Fatal(err)
	}
	inst.Clock.Set(start.Add(-30 * time.Minute))
	if _, err := s.Meetings.Open(ctx, chair, meeting.ID); err != nil {
		t.Fatal(err)
	}
	for _, p := range principals {
		if _, _, err := s.Meetings.Attend(ctx, p, meeting.ID, meetings.AttendInput{Mode: meetings.ModeRemote}); err != nil {
			t.Fatal(err)
		}
	}
	motion, err := s.Motions.Propose(ctx, board, meeting.ID, motions.Proposal{Title: "Adopt the budget", Body: "The meeting adopts the budget."})
	if err != nil {
		t.Fatal(err)
	}
	ballot, err := s.Motions.OpenBallot(ctx, chair, motion.ID, motions.BallotRequest{Secret: true})
	if err != nil {
		t.Fatal(err)
	}

	bin := buildOsk(t)
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	env := append(os.Environ(), "APP_ENV=development", "DATABASE_URL="+dbURL, "PORT="+strconv.Itoa(port),
		"BASE_URL="+base, "LOG_LEVEL=warn", "DATA_DIR="+work)
	logFile, err := os.Create(filepath.Join(work, "osk.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	startOsk := func() *oskProcess {
		cmd := exec.Command(bin, "serve")
		cmd.Env, cmd.Stdout, cmd.Stderr = env, logFile, logFile
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		p := &oskProcess{cmd: cmd, done: make(chan struct{})}
		go func() { cmd.Wait(); close(p.done) }()
		waitHealthy(t, base)
		return p
	}
	osk := startOsk()
	t.Cleanup(func() { osk.cmd.Process.Kill(); <-osk.done })

	// Each acknowledged receipt goes to a file, synced before the next
	// request, as an independent witness of what Osk promised.
	ackPath := filepath.Join(work, "acknowledged")
	ackFile, err := os.OpenFile(ackPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	var ackMu sync.Mutex
	acknowledge := func(memberID int64, receipt string) {
		ackMu.Lock()
		defer ackMu.Unlock()
		if _, err := fmt.Fprintf(ackFile, "%d %s\n", memberID, receipt); err != nil {
			t.Error(err)
		}
		if err := ackFile.Sync(); err != nil {
			t.Error(err)
		}
	}

	queue := make(chan voter, n)
	for _, v := range voters {
		queue <- v
	}
	var remaining sync.WaitGroup
	remaining.Add(n)
	client := &http.Client{Timeout: 10 * time.Second}
	voteURL := fmt.Sprintf("%s/api/v1/ballots/%d/votes", base, ballot.ID)
	stop := make(chan struct{})
	var failed, recorded, acks atomic.Int64
	var statusMu sync.Mutex
	statuses := map[int]int{}
	var workers sync.WaitGroup
	for range 6 {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for {
				select {
				case <-stop:
					return
				case v := <-queue:
					// Paced, so that the load spans every crash below.
					time.Sleep(400 * time.Millisecond)
					switch status, receipt := castVote(client, voteURL, v); status {
					case http.StatusCreated:
						acknowledge(v.memberID, receipt)
						acks.Add(1)
						remaining.Done()
					case http.StatusOK, http.StatusConflict:
						// An earlier attempt was committed, but its answer
						// was lost with the process or the client gave up
						// waiting: the retry, with the same Idempotency-Key,
						// is told the vote is recorded (200), or that the
						// member has voted (409). Never acknowledged, and
						// never counted twice.
						recorded.Add(1)
						remaining.Done()
					default:
						failed.Add(1)
						statusMu.Lock()
						statuses[status]++
						statusMu.Unlock()
						time.Sleep(50 * time.Millisecond)
						queue <- v
					}
				}
			}
		}()
	}
	t.Cleanup(func() { close(stop); workers.Wait() })

	// The crashes start once the load is flowing.
	for acks.Load() < 12 {
		time.Sleep(20 * time.Millisecond)
	}
	pause := func() { time.Sleep(time.Duration(200+rand.IntN(600)) * time.Millisecond) }
	acksAtFirstCrash := acks.Load()
	for range cycles() {
		pause()
		osk.cmd.Process.Signal(syscall.SIGKILL)
		<-osk.done
		osk = startOsk()
	}
	for range cycles() {
		pause()
		pid := postmasterPID(t, pgDir)
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cluster = startCluster(t, pgDir, pgPort)
	}

	acksAtLastCrash := acks.Load()
	finished := make(chan struct{})
	go func() { remaining.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(4 * time.Minute):
		statusMu.Lock()
		defer statusMu.Unlock()
		t.Fatalf("the voters did not all get an answer within 4 minutes of the last crash; failed answers by status (0: no answer): %v", statuses)
	}

	// The chair closes the ballot; the public record must hold every
	// acknowledged receipt, and each member once.
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/api/v1/ballots/%d/close", base, ballot.ID), nil)
	req.Header.Set("Authorization", "Bearer "+chairToken)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("close: %d", resp.StatusCode)
	}
	req, _ = http.NewRequest(http.MethodGet, fmt.Sprintf("%s/api/v1/ballots/%d/record", base, ballot.ID), nil)
	req.Header.Set("Authorization", "Bearer "+voters[0].token)
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var record struct {
		Votes []struct {
			ReceiptHash string `json:"receipt_hash"`
		} `json:"votes"`
		Voters []int64 `json:"voters"`
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err := json.Unmarshal(body, &record); err != nil {
		t.Fatalf("record: %v\n%s", err, body)
	}
	inRecord := map[string]bool{}
	for _, v := range record.Votes {
		inRecord[v.ReceiptHash] = true
	}
	seen := map[int64]bool{}
	for _, no := range record.Voters {
		if seen[no] {
			t.Errorf("member number %d is counted twice", no)
		}
		seen[no] = true
	}
	if len(record.Votes) != len(record.Voters) || len(record.Votes) > n {
		t.Errorf("%d votes for %d voters of %d eligible", len(record.Votes), len(record.Voters), n)
	}

	acked := readAcknowledged(t, ackPath)
	for receipt := range acked {
		sum := sha256.Sum256([]byte(receipt))
		if !inRecord[hex.EncodeToString(sum[:])] {
			t.Errorf("acknowledged receipt %s is not in the record", receipt)
		}
	}
	t.Logf("%d votes counted, %d acknowledged (%d before the first crash, %d by the last), %d told on a retry that their lost answer's vote is recorded, %d requests failed; %d kills of osk and %d of the postmaster",
		len(record.Votes), len(acked), acksAtFirstCrash, acksAtLastCrash, recorded.Load(), failed.Load(), cycles(), cycles())
	if acksAtFirstCrash == 0 || acksAtLastCrash >= n {
		t.Fatal("the load did not overlap the crashes")
	}

	verify := exec.Command(bin, "verify")
	verify.Env = env
	if out, err := verify.CombinedOutput(); err != nil {
		t.Fatalf("osk verify after the crashes: %v\n%s", err, out)
	}
	_ = cluster
}

func castVote(client *http.Client, url string, v voter) (int, string) {
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"choice":"for"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+v.token)
	req.Header.Set("Idempotency-Key", fmt.Sprintf("member-%d", v.memberID))
	resp, err := client.Do(req)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	var out struct {
		Receipt string `json:"receipt"`
	}
	if resp.StatusCode == http.StatusCreated {
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Receipt == "" {
			return 0, ""
		}
	}
	return resp.StatusCode, out.Receipt
}

func readAcknowledged(t *testing.T, path string) map[string]int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		member, receipt, ok := strings.Cut(sc.Text(), " ")
		id, err := strconv.ParseInt(member, 10, 64)
		if !ok || err != nil {
			t.Fatalf("bad line %q", sc.Text())
		}
		out[receipt] = id
	}
	return out
}

// startCluster starts (or, after a crash, restarts) the test's cluster.
func startCluster(t *testing.T, dir string, port int) *pgcluster.Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := pgcluster.Start(ctx, pgcluster.Options{Dir: dir, Durable: true, Port: port})
	if err != nil {
		t.Fatalf("start PostgreSQL: %v", err)
	}
	t.Cleanup(func() { c.Stop(context.Background()) })
	return c
}

func postmasterPID(t *testing.T, dir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

func buildOsk(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "osk")
	out, err := exec.Command("go", "build", "-o", bin, "../../cmd/osk").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func waitHealthy(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("osk was not healthy within 30 s")
}
