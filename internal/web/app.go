// Package web is Osk's HTTP plumbing: the Fiber app with its middleware, the
// one error handler, the template renderer and the static files. It knows no
// domain; domain packages mount their pages and API handlers on it.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/template/html/v2"
	"github.com/valyala/fasthttp"

	"github.com/citizen-network/osk/internal/config"
	"github.com/citizen-network/osk/public"
	"github.com/citizen-network/osk/views"
)

// HealthFunc reports whether the database answers.
type HealthFunc func(ctx context.Context) error

// New builds the Fiber app with Osk's middleware, the static files and the
// health check, which need to know nobody. Domain packages add their
// middleware and routes to it; the 404 fallback is added by Finish once they
// have.
func New(cfg config.Config, logger *slog.Logger, health HealthFunc) (*fiber.App, error) {
	engine := html.NewFileSystem(http.FS(views.FS), ".html")
	assets, err := newAssets(public.FS)
	if err != nil {
		return nil, err
	}
	engine.AddFuncMap(templateFuncs(assets))
	// Parse every template now, so that a broken view stops the start
	// instead of failing a member's request later.
	if err := engine.Load(); err != nil {
		return nil, err
	}

	fcfg := fiber.Config{
		AppName: "Osk",
		// One address per page: the access log and the API's error format
		// recognise paths by their prefix, which a case variant would evade.
		CaseSensitive:         true,
		Immutable:             true,
		Views:                 engine,
		ViewsLayout:           "layouts/main",
		ErrorHandler:          errorHandler(logger),
		BodyLimit:             cfg.BodyLimit,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          60 * time.Second,
		IdleTimeout:           120 * time.Second,
		DisableStartupMessage: true,
	}
	if len(cfg.TrustedProxies) > 0 {
		// Forwarded headers are believed only when the request comes from
		// one of these peers (ClientIP); from anyone else they are
		// ignored, so a client cannot spoof its address past the limits.
		fcfg.EnableTrustedProxyCheck = true
		fcfg.TrustedProxies = cfg.TrustedProxies
	}
	app := fiber.New(fcfg)

	app.Use(requestID())
	app.Use(accessLog(logger))
	app.Use(recoverPanics(logger))
	app.Use(securityHeaders(cfg.HTTPS()))
	app.Use(refuseCompressedBodies())

	app.Get("/static/*", assets.handler())
	app.Get("/healthz", healthz(health))
	return app, nil
}

// Finish adds the fallback that answers every unknown path with 404. It must
// be the last handler registered.
func Finish(app *fiber.App) {
	app.Use(func(c *fiber.Ctx) error {
		return fiber.ErrNotFound
	})
	// Fiber fills its table of mounted apps on the first render, and reads
	// it when a connection fails; filled now, before any request, it is
	// never written while requests run.
	c := app.AcquireCtx(&fasthttp.RequestCtx{})
	defer app.ReleaseCtx(c)
	// What the page renders does not matter, only that Render ran.
	_ = c.Render("errors/show", fiber.Map{})
}

func healthz(health HealthFunc) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
		defer cancel()
		c.Set(fiber.HeaderCacheControl, "no-store")
		if err := health(ctx); err != nil {
			return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable"})
		}
		return c.JSON(fiber.Map{"status": "ok"})
	}
}
