package ballots

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/web"
)

// Handlers serves the ballots' pages and their JSON API (API.md,
// "Ballots"); both call the same service methods, which decide access.
type Handlers struct {
	svc *Service
	// limit guards the doors that cast votes (SPEC.md: rate limits
	// protect voting).
	limit fiber.Handler
}

// NewHandlers returns the ballots' handlers; limit is the rate limit of
// voting.
func NewHandlers(svc *Service, limit fiber.Handler) *Handlers {
	return &Handlers{svc: svc, limit: limit}
}

// Mount registers the pages and the API.
func (h *Handlers) Mount(r fiber.Router) {
	r.Get("/api/v1/ballots/:id", h.apiGet)
	r.Post("/api/v1/ballots/:id/votes", h.limit, h.apiVote)
	r.Post("/api/v1/ballots/:id/close", h.apiClose)
	r.Post("/api/v1/ballots/:id/casting-vote", h.apiCastingVote)
	r.Get("/api/v1/ballots/:id/record", h.apiRecord)
	r.Get("/api/v1/receipts/:receipt", h.apiReceipt)
	h.mountPages(r)
}

// VoteLimit allows max vote requests per window per account (per client
// address for requests nobody signed in to), counted in this instance's
// memory. It is per instance by design: a vote is already one short
// transaction, and a limit kept in PostgreSQL would add two round trips
// and a process-wide lock to every vote, the hottest path of a meeting.
// With several instances a voter may reach each limit once.
func VoteLimit(max int, window time.Duration) fiber.Handler {
	return limiter.New(limiter.Config{
		Max:        max,
		Expiration: window,
		KeyGenerator: func(c *fiber.Ctx) string {
			if p := auth.PrincipalOf(c); p.SignedIn() {
				return "account:" + strconv.FormatInt(p.AccountID, 10)
			}
			return "ip:" + web.ClientIP(c)
		},
		LimitReached: func(c *fiber.Ctx) error {
			return errs.Wrap(errs.TooMany, "Too many votes sent too quickly. Please wait a minute and try again.")
		},
	})
}

func ballotID(raw string) (int64, error) {
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, ErrNotFound
	}
	return id, nil
}

func (h *Handlers) apiGet(c *fiber.Ctx) error {
	id, err := ballotID(c.Params("id"))
	if err != nil {
		return err
	}
	b, err := h.svc.GetAs(c.UserContext(), auth.PrincipalOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(b)
}

type voteBody struct {
	Choice     string  `json:"choice"`
	Candidates []int64 `json:"candidates"`
	OnBehalfOf *int64  `json:"on_behalf_of_member_id"`
}

// recordedBody answers a retried vote: the first request's vote stands,
// and its receipt was shown only to the first request.
type recordedBody struct {
	BallotID int64   `json:"ballot_id"`
	MemberID int64   `json:"on_behalf_of_member_id"`
	Recorded bool    `json:"recorded"`
	Receipt  *string `json:"receipt"`
	Detail   string  `json:"detail"`
}

// RecordedDetail tells a voter whose request was retried that the vote is
// recorded.
const RecordedDetail = "Your vote is recorded. This request was a retry of the one that cast it, so no second vote was made; the receipt was shown once, in the answer to that first request."

func (h *Handlers) apiVote(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	id, err := ballotID(c.Params("id"))
	if err != nil {
		return err
	}
	var b voteBody
	if err := web.DecodeJSON(c, &b); err != nil {
		return err
	}
	cast, err := h.svc.Vote(c.UserContext(), p, id, VoteInput{
		Choice: b.Choice, Candidates: b.Candidates, OnBehalfOf: b.OnBehalfOf, IdempotencyKey: c.Get("Idempotency-Key"),
	})
	if err != nil {
		return err
	}
	if cast.Replayed {
		return c.JSON(recordedBody{BallotID: cast.BallotID, MemberID: cast.MemberID, Recorded: true, Detail: RecordedDetail})
	}
	return c.Status(fiber.StatusCreated).JSON(cast)
}

func (h *Handlers) apiClose(c *fiber.Ctx) error {
	id, err := ballotID(c.Params("id"))
	if err != nil {
		return err
	}
	var body struct{}
	if err := web.DecodeOptionalJSON(c, &body); err != nil {
		return err
	}
	b, err := h.svc.Close(c.UserContext(), auth.PrincipalOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(b)
}

func (h *Handlers) apiCastingVote(c *fiber.Ctx) error {
	id, err := ballotID(c.Params("id"))
	if err != nil {
		return err
	}
	var body struct {
		Choice string `json:"choice"`
	}
	if err := web.DecodeJSON(c, &body); err != nil {
		return err
	}
	b, err := h.svc.CastingVote(c.UserContext(), auth.PrincipalOf(c), id, body.Choice)
	if err != nil {
		return err
	}
	return c.JSON(b)
}

func (h *Handlers) apiRecord(c *fiber.Ctx) error {
	id, err := ballotID(c.Params("id"))
	if err != nil {
		return err
	}
	rec, err := h.svc.RecordAs(c.UserContext(), auth.PrincipalOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(rec)
}

// apiReceipt checks a receipt; the access log never writes it (web's
// loggedPath).
func (h *Handlers) apiReceipt(c *fiber.Ctx) error {
	out, err := h.svc.CheckReceipt(c.UserContext(), c.Params("receipt"))
	if err != nil {
		return err
	}
	return c.JSON(out)
}
