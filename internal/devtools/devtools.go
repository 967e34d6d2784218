// Package devtools mounts what only development and tests may use: the
// built-in OpenID Connect provider, the adjustable clock and the list of
// sent mail (API.md, "Development only"). Osk mounts none of it in
// production, and a test proves it.
package devtools

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"

	"github.com/citizen-network/osk/internal/clock"
	"github.com/citizen-network/osk/internal/devoidc"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/web"
)

// OIDCPath is where the development provider is mounted.
const OIDCPath = "/dev/oidc"

// MailLister lists the messages Osk has sent, newest first.
type MailLister func(c *fiber.Ctx, limit int) (any, error)

// Mount registers the development routes.
func Mount(r fiber.Router, clk *clock.Adjustable, provider *devoidc.Provider, mail MailLister) {
	oidc := adaptor.HTTPHandler(http.StripPrefix(OIDCPath, provider.Handler()))
	r.Get(OIDCPath+"/*", oidc)
	r.Post(OIDCPath+"/*", oidc)
	r.Get("/dev/clock", func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"now": clk.Now().Format(time.RFC3339Nano)})
	})
	r.Post("/dev/clock", func(c *fiber.Ctx) error { return moveClock(c, clk) })
	r.Get("/dev/mail", func(c *fiber.Ctx) error {
		items, err := mail(c, 500)
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"items": items})
	})
}

// The clock runs on an offset from the real time, which a time.Duration
// holds for some 290 years either way; within these years every time it
// reads is also one Osk can record.
const minClockYear, maxClockYear = 1900, 2200

func reachable(t time.Time) bool {
	return t.Year() >= minClockYear && t.Year() < maxClockYear
}

type clockRequest struct {
	Advance string `json:"advance"`
	Set     string `json:"set"`
}

func moveClock(c *fiber.Ctx, clk *clock.Adjustable) error {
	var req clockRequest
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return web.WriteProblem(c, web.Problem{Type: "about:blank", Title: "Bad Request", Status: fiber.StatusBadRequest,
			Detail: "Send a JSON object with \"advance\" (a Go duration such as \"192h\") or \"set\" (an RFC 3339 time)."})
	}
	var v errs.Validation
	switch {
	case (req.Advance == "") == (req.Set == ""):
		v.Add("advance", "Give exactly one of \"advance\" and \"set\".")
	case req.Advance != "":
		d, err := time.ParseDuration(req.Advance)
		switch {
		case err != nil:
			v.Add("advance", "Use a Go duration such as \"192h\" or \"-30m\".")
		case !reachable(clk.Now().Add(d)):
			v.Add("advance", "The clock reads from %d to %d: move it less far.", minClockYear, maxClockYear-1)
		default:
			clk.Advance(d)
		}
	default:
		t, err := time.Parse(time.RFC3339, req.Set)
		switch {
		case err != nil:
			v.Add("set", "Use an RFC 3339 time such as \"2027-03-01T10:00:00Z\".")
		case !reachable(t):
			v.Add("set", "The clock reads from %d to %d: choose a time between.", minClockYear, maxClockYear-1)
		default:
			clk.Set(t)
		}
	}
	if len(v.Fields) > 0 {
		return web.WriteProblem(c, web.Problem{Type: "about:blank", Title: "Unprocessable Entity",
			Status: fiber.StatusUnprocessableEntity, Detail: "The clock was not moved.", Errors: v.Fields})
	}
	return c.JSON(fiber.Map{"now": clk.Now().Format(time.RFC3339Nano)})
}
