package rules

import (
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/web"
)

// Handlers serves the rules page and API.
type Handlers struct {
	svc *Service
}

// NewHandlers returns the rules handlers.
func NewHandlers(svc *Service) *Handlers { return &Handlers{svc: svc} }

// Mount registers the routes.
func (h *Handlers) Mount(r fiber.Router) {
	r.Get("/rules", h.page)
	r.Post("/rules", h.save)
	r.Get("/api/v1/rules", h.apiGet)
	r.Put("/api/v1/rules", h.apiPut)
}

func (h *Handlers) apiGet(c *fiber.Ctx) error {
	if err := auth.PrincipalOf(c).RequireSignedIn(); err != nil {
		return err
	}
	r, err := h.svc.Current(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(r)
}

// apiPut takes the whole set of rules: a missing field is an error, not a
// silent default.
func (h *Handlers) apiPut(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireAny(auth.RoleAdmin); err != nil {
		return err
	}
	var present map[string]json.RawMessage
	if err := web.DecodeJSON(c, &present); err != nil {
		return err
	}
	var v errs.Validation
	for _, name := range fieldNames() {
		if _, ok := present[name]; !ok {
			v.Add(name, "Missing: send every rule.")
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	var next Rules
	if err := web.DecodeJSON(c, &next); err != nil {
		return err
	}
	saved, err := h.svc.Update(c.UserContext(), p, next)
	if err != nil {
		return err
	}
	return c.JSON(saved)
}

func fieldNames() []string {
	b, _ := json.Marshal(Defaults())
	var m map[string]json.RawMessage
	_ = json.Unmarshal(b, &m)
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

func (h *Handlers) page(c *fiber.Ctx) error {
	if err := auth.PrincipalOf(c).RequireSignedIn(); err != nil {
		return err
	}
	r, err := h.svc.Current(c.UserContext())
	if err != nil {
		return err
	}
	return h.render(c, r, nil, false)
}

func (h *Handlers) render(c *fiber.Ctx, r Rules, formErr error, saved bool) error {
	data := fiber.Map{"Title": "Settings from the co-op's rules", "Rules": r, "Saved": saved,
		"CanEdit": auth.PrincipalOf(c).Has(auth.RoleAdmin)}
	web.AddFormErrors(data, web.InFormOrder(formErr, "notice_min_days", "notice_max_months", "notice_weighty_min_days",
		"member_motion_deadline_days", "agm_within_months", "financial_year_end", "proxies_allowed", "proxy_max_per_holder",
		"advance_voting", "quorum_min_members", "quorum_min_percent", "ballot_min_votes", "minutes_deadline_days",
		"share_amount", "share_currency"))
	if formErr != nil {
		data["Title"] = "Error: " + data["Title"].(string)
		c.Status(web.StatusOf(formErr))
	}
	return web.Render(c, "rules/show", data)
}

// save takes the admin's form. Numbers that are not numbers are reported
// on their field, and nothing is saved unless everything is right.
func (h *Handlers) save(c *fiber.Ctx) error {
	p := auth.PrincipalOf(c)
	if err := p.RequireAny(auth.RoleAdmin); err != nil {
		return err
	}
	var v errs.Validation
	num := func(field string) int {
		raw := strings.TrimSpace(c.FormValue(field))
		n, err := strconv.Atoi(raw)
		if err != nil {
			v.Add(field, "Enter a whole number.")
		}
		return n
	}
	next := Rules{
		NoticeMinDays:            num("notice_min_days"),
		NoticeMaxMonths:          num("notice_max_months"),
		NoticeWeightyMinDays:     num("notice_weighty_min_days"),
		MemberMotionDeadlineDays: num("member_motion_deadline_days"),
		ProxiesAllowed:           c.FormValue("proxies_allowed") == "true",
		AdvanceVoting:            c.FormValue("advance_voting") == "true",
		ProxyMaxPerHolder:        num("proxy_max_per_holder"),
		QuorumMinMembers:         num("quorum_min_members"),
		QuorumMinPercent:         num("quorum_min_percent"),
		BallotMinVotes:           num("ballot_min_votes"),
		MinutesDeadlineDays:      num("minutes_deadline_days"),
		FinancialYearEnd:         strings.TrimSpace(c.FormValue("financial_year_end")),
		AGMWithinMonths:          num("agm_within_months"),
		ShareContribution: Money{
			Amount:   strings.TrimSpace(c.FormValue("share_amount")),
			Currency: strings.ToUpper(strings.TrimSpace(c.FormValue("share_currency"))),
		},
	}
	if v.Err() != nil {
		// Every problem at once: those of the values that were read too.
		var val *errs.Validation
		if errors.As(next.Validate(), &val) {
			for _, f := range formFields(val).Fields {
				if !v.Has(f.Field) {
					v.Fields = append(v.Fields, f)
				}
			}
		}
		return h.render(c, next, v.Err(), false)
	}
	if _, err := h.svc.Update(c.UserContext(), p, next); err != nil {
		var val *errs.Validation
		if errors.As(err, &val) {
			return h.render(c, next, formFields(val), false)
		}
		return err
	}
	return h.render(c, next, nil, true)
}

// formFields names the problems of the rules by the form's fields, where
// the API's names differ.
func formFields(val *errs.Validation) *errs.Validation {
	for i, f := range val.Fields {
		switch f.Field {
		case "share_contribution.amount":
			val.Fields[i].Field = "share_amount"
		case "share_contribution.currency":
			val.Fields[i].Field = "share_currency"
		}
	}
	return val
}
