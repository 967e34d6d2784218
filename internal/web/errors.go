package web

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/citizen-network/osk/internal/errs"
)

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type   string            `json:"type"`
	Title  string            `json:"title"`
	Status int               `json:"status"`
	Detail string            `json:"detail"`
	Errors []errs.FieldError `json:"errors,omitempty"`
}

// ProblemContentType is the media type of RFC 9457 bodies.
const ProblemContentType = "application/problem+json"

// IsAPI reports whether the request is for the JSON API, which answers
// errors with problem+json rather than a page.
func IsAPI(c *fiber.Ctx) bool {
	return strings.HasPrefix(c.Path(), "/api/")
}

// statusOf maps an error to the HTTP status people should see. Domain
// errors carry one of the kinds of internal/errs.
func statusOf(err error) int {
	var fe *fiber.Error
	switch {
	case errors.As(err, &fe):
		return fe.Code
	case errors.Is(err, errs.NotFound):
		return fiber.StatusNotFound
	case errors.Is(err, errs.Unauthenticated):
		return fiber.StatusUnauthorized
	case errors.Is(err, errs.Forbidden):
		return fiber.StatusForbidden
	case errors.Is(err, errs.Conflict):
		return fiber.StatusConflict
	case errors.Is(err, errs.Invalid):
		return fiber.StatusUnprocessableEntity
	case errors.Is(err, errs.TooMany):
		return fiber.StatusTooManyRequests
	default:
		return fiber.StatusInternalServerError
	}
}

// messageOf returns what people are told. Internal errors say nothing of
// their cause; that goes to the log with the request id.
func messageOf(err error, status int) string {
	if status == fiber.StatusInternalServerError {
		return "Something went wrong on our side. It has been logged; please try again, and quote the request id if it happens again."
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		if fe.Message == http.StatusText(fe.Code) {
			return defaultDetail(fe.Code)
		}
		return fe.Message
	}
	return errs.Message(err)
}

func defaultDetail(status int) string {
	switch status {
	case fiber.StatusNotFound:
		return "There is nothing at this address, or you may not see it."
	case fiber.StatusRequestEntityTooLarge:
		return "The request body is larger than Osk accepts."
	case fiber.StatusMethodNotAllowed:
		return "This address does not accept that method."
	default:
		return http.StatusText(status)
	}
}

func errorHandler(logger *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		status := statusOf(err)
		if status >= 500 {
			logger.Error("request failed", "request_id", RequestID(c), "path", loggedPath(c.Path()), "error", err)
		}
		detail := messageOf(err, status)
		if IsAPI(c) {
			p := Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail}
			var v *errs.Validation
			if errors.As(err, &v) {
				p.Errors = v.Fields
			}
			return WriteProblem(c, p)
		}
		if status == fiber.StatusUnauthorized && c.Method() == fiber.MethodGet {
			// A page that needs someone signed in sends people to sign in
			// and brings them back afterwards.
			return c.Redirect("/signin?return="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
		}
		c.Status(status)
		return Render(c, "errors/show", fiber.Map{
			"Title":     http.StatusText(status),
			"Status":    status,
			"Detail":    detail,
			"RequestID": RequestID(c),
		})
	}
}

// WriteProblem sends p as application/problem+json.
func WriteProblem(c *fiber.Ctx, p Problem) error {
	c.Status(p.Status)
	if err := c.JSON(p); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, ProblemContentType)
	return nil
}

// StatusOf is the HTTP status an error maps to.
func StatusOf(err error) int { return statusOf(err) }

// InFormOrder puts the problems of a validation error in the order the
// form asks for its fields, so that its summary reads as the page does;
// problems of fields not listed come after, in their own order. Other
// errors pass unchanged.
func InFormOrder(err error, fields ...string) error {
	var v *errs.Validation
	if errors.As(err, &v) {
		rank := func(f errs.FieldError) int {
			if i := slices.Index(fields, f.Field); i >= 0 {
				return i
			}
			return len(fields)
		}
		slices.SortStableFunc(v.Fields, func(a, b errs.FieldError) int { return rank(a) - rank(b) })
	}
	return err
}

// AddFormErrors puts a failed form's messages into a page's data: "Errors"
// for the summary at the top, and "FieldErrors" (field name to message) for
// the messages next to each field. Errors that concern no field appear in
// the summary alone.
func AddFormErrors(data fiber.Map, err error) {
	if err == nil {
		return
	}
	var v *errs.Validation
	var list []errs.FieldError
	if errors.As(err, &v) {
		list = v.Fields
	} else {
		list = []errs.FieldError{{Message: errs.Message(err)}}
	}
	byField := map[string]string{}
	for _, f := range list {
		if f.Field != "" {
			if _, seen := byField[f.Field]; !seen {
				byField[f.Field] = f.Message
			}
		}
	}
	data["Errors"] = list
	data["FieldErrors"] = byField
}
