// Package server is Osk's composition root: it builds every domain service
// over one database, mounts their pages and API on the web app, and runs the
// HTTP server and the background work until it is told to stop.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auditor"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/clock"
	"github.com/citizen-network/osk/internal/config"
	"github.com/citizen-network/osk/internal/devoidc"
	"github.com/citizen-network/osk/internal/devtools"
	"github.com/citizen-network/osk/internal/elections"
	"github.com/citizen-network/osk/internal/live"
	"github.com/citizen-network/osk/internal/mail"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/minutes"
	"github.com/citizen-network/osk/internal/motions"
	"github.com/citizen-network/osk/internal/rules"
	"github.com/citizen-network/osk/internal/web"
)

// Server is a wired Osk.
type Server struct {
	App       *fiber.App
	Clock     clock.Clock
	Audit     *audit.Log
	Auth      *auth.Service
	Rules     *rules.Service
	Members   *members.Service
	Meetings  *meetings.Service
	Ballots   *ballots.Service
	Motions   *motions.Service
	Elections *elections.Service
	Minutes   *minutes.Service
	// Live fans live updates out to this instance's pages.
	Live   *live.Hub
	cfg    config.Config
	logger *slog.Logger
	db     *Database
	// background runs for as long as the server serves.
	background []func(ctx context.Context)
	// stopping runs when a shutdown begins, before the server waits for
	// requests in flight: long-lived responses (live streams) end there.
	stopping []func()
}

// New wires Osk over an open database.
func New(cfg config.Config, logger *slog.Logger, database *Database) (*Server, error) {
	var (
		clk clock.Clock = clock.Real{}
		adj *clock.Adjustable
	)
	if cfg.IsDevelopment() {
		adj = &clock.Adjustable{}
		clk = adj
	}
	app, err := web.New(cfg, logger, database.PingContext)
	if err != nil {
		return nil, err
	}
	s := &Server{App: app, Clock: clk, cfg: cfg, logger: logger, db: database}
	s.Audit = audit.New(clk)
	s.Auth = auth.NewService(database.DB, s.Audit, clk)
	s.Rules = rules.NewService(database.DB, s.Audit, clk)
	s.Members = members.NewService(database.DB, s.Audit, clk, s.Auth, members.Config{
		BaseURL: cfg.BaseURL.String(),
		ShareDefault: func(ctx context.Context) (string, string, error) {
			r, err := s.Rules.Current(ctx)
			return r.ShareContribution.Amount, r.ShareContribution.Currency, err
		},
	})

	s.Live = live.NewHub(database.DB, database.URL, logger)
	s.Meetings = meetings.NewService(database.DB, s.Audit, clk, s.Rules, s.Members, s.Auth, meetings.Config{
		BaseURL: cfg.BaseURL.String(), Organizer: cfg.MailFrom,
	})
	s.Ballots = ballots.NewService(database.DB, s.Audit, clk, s.Rules, s.Members, s.Meetings, logger)
	// A session cannot end while one of its ballots is undecided.
	s.Meetings.BeforeClose(ballots.RefuseUndecided)
	s.Members.OnRepresentativeChanged(s.Meetings.KeepProxyLimits)
	s.Members.OnRepresentativeChanged(ballots.HandOver)
	s.Motions = motions.NewService(database.DB, s.Audit, clk, s.Members, s.Meetings, s.Ballots)
	s.Ballots.OnDecided(ballots.KindMotion, s.Motions.Decided)
	s.Ballots.OnDescribe(ballots.KindMotion, s.Motions.DescribeBallot)
	s.Elections = elections.NewService(database.DB, s.Audit, clk, s.Members, s.Meetings, s.Ballots, elections.Config{BaseURL: cfg.BaseURL.String()})
	s.Ballots.OnDecided(ballots.KindElection, s.Elections.Decided)
	s.Ballots.OnDescribe(ballots.KindElection, s.Elections.DescribeBallot)
	s.Ballots.OnNames(s.Elections.CandidateNames)
	s.Minutes = minutes.NewService(database.DB, s.Audit, clk, s.Rules, s.Members, s.Meetings, s.Auth,
		minutes.NewMeetingRecord(s.Motions, s.Ballots, s.Elections), minutes.Config{BaseURL: cfg.BaseURL.String()})

	var dev auth.DevClient
	var provider *devoidc.Provider
	if cfg.IsDevelopment() {
		dev = auth.DevClient{Issuer: cfg.BaseURL.String() + devtools.OIDCPath, ClientID: "osk-development", Secret: randomSecret()}
		provider, err = devoidc.New(dev.Issuer, clk)
		if err != nil {
			return nil, err
		}
		if err := provider.RegisterClient(dev.ClientID, dev.Secret, cfg.BaseURL.String()+"/auth/dev/callback"); err != nil {
			return nil, err
		}
	}
	authHandlers := auth.NewHandlers(s.Auth, database.DB, cfg, logger, dev)
	memberHandlers := members.NewHandlers(s.Members, authHandlers.RateLimit("apply", 20, time.Hour))
	authHandlers.MemberOf = memberHandlers.MemberOf
	authHandlers.Represents = memberHandlers.Represents

	if cfg.IsDevelopment() {
		// Mounted before sign-in and CSRF: the development provider is a
		// separate party with OAuth's own protections (its bearer tokens
		// are not Osk's), and the clock and mail viewer need nobody.
		devtools.Mount(app, adj, provider, func(c *fiber.Ctx, limit int) (any, error) {
			return mail.List(c.UserContext(), database.DB, limit)
		})
	}
	app.Use(authHandlers.Authenticate())
	app.Use(authHandlers.CSRF())
	app.Use(memberHandlers.Standing)
	app.Get("/", func(c *fiber.Ctx) error {
		// Members are shown their way in, not an invitation to apply; the
		// register has told every page how the viewer stands.
		member := web.ViewerOf(c).Standing == web.StandingMember
		return web.Render(c, "home/index", fiber.Map{"Title": "Welcome", "Member": member})
	})
	app.Get("/api/v1/openapi.json", serveOpenAPI(cfg.BaseURL.String()))
	authHandlers.Mount(app)
	rules.NewHandlers(s.Rules).Mount(app)
	auditor.NewHandlers(database.DB, s.Audit, Checks()...).Mount(app)
	memberHandlers.Mount(app)
	meetings.NewHandlers(s.Meetings, s.Live).WithSections(s.Ballots.MeetingSection, s.Elections.MeetingSection, s.Minutes.MeetingSection).Mount(app)
	ballots.NewHandlers(s.Ballots, ballots.VoteLimit(60, time.Minute)).Mount(app)
	motions.NewHandlers(s.Motions).Mount(app)
	elections.NewHandlers(s.Elections).Mount(app)
	minutes.NewHandlers(s.Minutes).Mount(app)
	web.Finish(app)

	s.background = append(s.background,
		func(ctx context.Context) { auth.PurgeEvery(ctx, database.DB, "sessions", 10*time.Minute, logger) },
		func(ctx context.Context) { auth.PurgeEvery(ctx, database.DB, "rate_limits", time.Minute, logger) },
		func(ctx context.Context) { s.Auth.RecordTokenUses(ctx, logger) },
		s.Auth.RunReads,
		authHandlers.RunReads,
		s.Live.Run,
		s.Ballots.RunTurnout,
		s.Ballots.RunVotes,
	)
	s.stopping = append(s.stopping, s.Live.Close)
	sender, err := mailSender(cfg, logger)
	if err != nil {
		return nil, err
	}
	if sender != nil {
		worker := mail.NewWorker(database.DB, sender, cfg.MailFrom, logger)
		// The worker reads the same clock as those who enqueue, so that
		// mail dated by a moved development clock is due, and listens for
		// new mail instead of waiting for its next poll.
		worker.Clock = clk
		worker.ListenURL = database.URL
		s.background = append(s.background, worker.Run)
	}
	return s, nil
}

// Checks are the verifications beyond the audit chain that the auditor's
// page, the API and `osk verify` run: each domain that keeps records of its
// own recounts or rehashes them, or compares its rows with the events that
// recorded them (motions, elections).
func Checks() []auditor.Check {
	return []auditor.Check{{Name: "ballots", Run: ballots.Check}, {Name: "minutes", Run: minutes.Check},
		{Name: "motions", Run: motions.Check}, {Name: "elections", Run: elections.Check}}
}

// mailSender chooses how the outbox is delivered: SMTP when configured;
// in development without SMTP, kept for GET /dev/mail; in production
// without SMTP, not at all, so that messages wait in the outbox until it is
// configured rather than being lost.
func mailSender(cfg config.Config, logger *slog.Logger) (mail.Sender, error) {
	switch {
	case cfg.SMTPURL != nil:
		return mail.NewSMTPSender(cfg.SMTPURL)
	case cfg.IsDevelopment():
		return mail.KeepSender{}, nil
	default:
		logger.Warn("SMTP_URL is not set: mail waits in the outbox until it is")
		return nil, nil
	}
}

// Listen opens the configured port. It is apart from Serve so that the
// caller can tell people where Osk runs only once the port is Osk's.
func (s *Server) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort("", strconv.Itoa(s.cfg.Port)))
	if err != nil {
		return nil, fmt.Errorf("server: listen on port %d: %w", s.cfg.Port, err)
	}
	return ln, nil
}

// Serve serves HTTP on ln until ctx is cancelled, then stops taking new
// connections and lets requests in flight finish within the configured
// grace period.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	bgCtx, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	for _, run := range s.background {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run(bgCtx)
		}()
	}
	defer func() {
		stopBackground()
		wg.Wait()
	}()

	served := make(chan error, 1)
	go func() { served <- s.App.Listener(ln) }()
	s.logger.Info("Osk is listening", "address", s.cfg.BaseURL.String(), "port", s.cfg.Port, "env", s.cfg.Env)
	select {
	case err := <-served:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	s.logger.Info("shutting down", "grace", s.cfg.ShutdownGrace.String())
	for _, stop := range s.stopping {
		stop()
	}
	if err := s.App.ShutdownWithTimeout(s.cfg.ShutdownGrace); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("server: shutdown: %w", err)
	}
	return nil
}
