package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/clock"
	"github.com/citizen-network/osk/internal/config"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/motions"
	"github.com/citizen-network/osk/internal/server"
)

// coop is the co-op's people and meeting, set up through Osk's own
// services wired over the benchmark's database: a second instance of Osk
// in this process that never serves HTTP. Its clock is adjustable, so
// that the board can convene the meeting within the notice period the
// rules require, as it would have two weeks before.
type coop struct {
	srv   *server.Server
	clock *clock.Adjustable
	// board sits on the board and chairs the meeting.
	board      auth.Principal
	boardToken string
	meetingID  int64
	// motions are the board's motions put to the vote: one live vote per
	// round, then the vote that is closed and counted, and the vote of a
	// million members.
	motions []int64
}

func newCoop(ctx context.Context, conn *sqlx.DB, databaseURL string) (*coop, error) {
	env := map[string]string{"APP_ENV": config.Development, "DATABASE_URL": databaseURL, "LOG_LEVEL": "error"}
	cfg, err := config.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		return nil, err
	}
	srv, err := server.New(cfg, slog.New(slog.DiscardHandler), &server.Database{DB: conn, URL: databaseURL})
	if err != nil {
		return nil, err
	}
	clk, ok := srv.Clock.(*clock.Adjustable)
	if !ok {
		return nil, fmt.Errorf("set up: the development clock is not adjustable")
	}
	c := &coop{srv: srv, clock: clk}
	if c.board, err = c.person(ctx, "board@bench.example.org", "Board Chair", auth.RoleBoard); err != nil {
		return nil, err
	}
	admin, err := c.person(ctx, "admin@bench.example.org", "Site Admin", auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	// Ballots of all members (the tally and the freeze) need the rules to
	// allow advance and electronic voting.
	r, err := srv.Rules.Current(ctx)
	if err != nil {
		return nil, err
	}
	r.AdvanceVoting = true
	if _, err := srv.Rules.Update(ctx, admin, r); err != nil {
		return nil, err
	}
	if c.boardToken, _, err = srv.Auth.CreateToken(ctx, auth.Operator, c.board.AccountID, "oskbench", 0); err != nil {
		return nil, err
	}
	return c, nil
}

// person makes an account with a site role, as `osk account create` and
// `osk grant` do.
func (c *coop) person(ctx context.Context, email, name, role string) (auth.Principal, error) {
	acc, err := c.srv.Auth.CreateAccount(ctx, auth.Operator, email, name)
	if err != nil {
		return auth.Principal{}, err
	}
	if err := c.srv.Auth.Grant(ctx, auth.Operator, acc.ID, role); err != nil {
		return auth.Principal{}, err
	}
	return c.srv.Auth.Principal(ctx, acc.ID)
}

// holdMeeting convenes an extraordinary general meeting that starts within
// the hour, chaired by the board member, with a motion for each live vote
// and two more, and opens its session.
func (c *coop) holdMeeting(ctx context.Context, liveVotes int) error {
	now := time.Now().UTC()
	start := now.Add(40 * time.Minute).Truncate(time.Minute)
	c.clock.Set(now.Add(-14 * 24 * time.Hour))
	defer func() { c.clock.Set(time.Now()) }()
	m, err := c.srv.Meetings.Create(ctx, c.board, meetings.Draft{
		Kind: meetings.KindExtraordinary, Title: "Extraordinary general meeting",
		StartsAt: start.Format(time.RFC3339), EndsAt: start.Add(8 * time.Hour).Format(time.RFC3339),
		TimeZone: "Europe/Helsinki", Location: "Kaisaniemenkatu 1, Helsinki", RemoteAllowed: true, OnlineURL: "https://meet.example.org/osk",
		Agenda: []meetings.ItemInput{{Title: "Opening of the meeting"}, {Title: "Decisions of the meeting"}, {Title: "Closing of the meeting"}},
	})
	if err != nil {
		return fmt.Errorf("set up: meeting: %w", err)
	}
	c.meetingID = m.ID
	if _, err := c.srv.Meetings.Convene(ctx, c.board, m.ID); err != nil {
		return fmt.Errorf("set up: convene: %w", err)
	}
	if _, err := c.srv.Meetings.SetOfficers(ctx, c.board, m.ID, meetings.Officers{ChairAccountID: &c.board.AccountID}); err != nil {
		return fmt.Errorf("set up: chair: %w", err)
	}
	var titles []string
	for i := range liveVotes {
		titles = append(titles, fmt.Sprintf("Adopt part %d of the new energy purchase policy", i+1))
	}
	titles = append(titles, "Elect the auditors for the coming year", "Amend the co-op's rules on remote participation")
	c.motions = make([]int64, len(titles))
	for i, title := range titles {
		d, err := c.srv.Motions.Propose(ctx, c.board, m.ID, motions.Proposal{
			Title: title, Body: "The board proposes that the meeting decides as follows.\n\n" + title + ".",
		})
		if err != nil {
			return fmt.Errorf("set up: motion: %w", err)
		}
		c.motions[i] = d.ID
	}
	// The session opens in the present, within the hour before the start.
	c.clock.Set(time.Now())
	if _, err := c.srv.Meetings.Open(ctx, c.board, m.ID); err != nil {
		return fmt.Errorf("set up: open the session: %w", err)
	}
	return nil
}

// voterSetup registers each account's member as present at the meeting
// and makes each account a personal access token, as a member would on
// their account page. It returns the tokens in the order of accounts.
func (c *coop) voterSetup(ctx context.Context, accounts []int64, log *progress) ([]string, error) {
	tokens := make([]string, len(accounts))
	report := log.counter("voters arriving at the meeting", len(accounts))
	var (
		mu   sync.Mutex
		done int
	)
	err := parallel(ctx, 4, len(accounts), func(i int) error {
		p, err := c.srv.Auth.Principal(ctx, accounts[i])
		if err != nil {
			return err
		}
		if _, _, err := c.srv.Meetings.Attend(ctx, p, c.meetingID, meetings.AttendInput{Mode: meetings.ModeRemote}); err != nil {
			return fmt.Errorf("set up: attendance of account %d: %w", accounts[i], err)
		}
		if tokens[i], _, err = c.srv.Auth.CreateToken(ctx, auth.Operator, accounts[i], "oskbench", 0); err != nil {
			return fmt.Errorf("set up: token of account %d: %w", accounts[i], err)
		}
		mu.Lock()
		done++
		report(done)
		mu.Unlock()
		return nil
	})
	return tokens, err
}

// parallel runs fn for 0..n-1 on workers goroutines and returns the first
// error.
func parallel(ctx context.Context, workers, n int, fn func(i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					cancel(err)
				}
			}
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}
