package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/citizen-network/osk/internal/errs"
)

// DecodeJSON reads the request body into v strictly: a body that is not
// one JSON value is 400; a field of the wrong type or one v does not know
// is 422 naming the field. Nothing is changed by a refused body.
func DecodeJSON(c *fiber.Ctx, v any) error {
	return decodeJSON(c.Body(), c.Get(fiber.HeaderContentType), v)
}

// PathID reads a positive whole number from the path parameter name;
// anything else names nothing, and notFound is returned, as for a thing
// that does not exist.
func PathID(c *fiber.Ctx, name string, notFound error) (int64, error) {
	id, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, notFound
	}
	return id, nil
}

// DecodeOptionalJSON is DecodeJSON for bodies that may be left out: an
// empty body leaves v as it is, as if it were {}.
func DecodeOptionalJSON(c *fiber.Ctx, v any) error {
	if len(bytes.TrimSpace(c.Body())) == 0 {
		return nil
	}
	return DecodeJSON(c, v)
}

func decodeJSON(body []byte, contentType string, v any) error {
	ct := strings.ToLower(contentType)
	if ct != "" && !strings.HasPrefix(ct, fiber.MIMEApplicationJSON) {
		return fiber.NewError(fiber.StatusUnsupportedMediaType, "Send the body as application/json.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			return fiber.NewError(fiber.StatusBadRequest, "The body must be one JSON object.")
		}
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		var val errs.Validation
		field := typeErr.Field
		if field == "" {
			return fiber.NewError(fiber.StatusBadRequest, "The body must be a JSON object.")
		}
		val.Add(field, "Must be a %s.", jsonKind(typeErr.Type.Kind().String()))
		return val.Err()
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		var val errs.Validation
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		val.Add(name, "This field is not known here.")
		return val.Err()
	case errors.As(err, &syntaxErr), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fiber.NewError(fiber.StatusBadRequest, "The body is not valid JSON.")
	default:
		return fiber.NewError(fiber.StatusBadRequest, fmt.Sprintf("The body could not be read: %v", err))
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "true or false"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "whole number"
	case "float32", "float64":
		return "number"
	case "slice", "array":
		return "list"
	default:
		return "JSON object"
	}
}
