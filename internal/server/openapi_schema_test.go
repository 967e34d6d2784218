package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/osktest"
)

// openAPIDoc is the served OpenAPI document, decoded with its numbers kept
// as written so that an integer can be told from a number.
type openAPIDoc struct {
	root map[string]any
}

func fetchDocument(t *testing.T, inst *osktest.Instance) openAPIDoc {
	t.Helper()
	resp := inst.Client(t).Get("/api/v1/openapi.json")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("openapi.json: %d", resp.StatusCode)
	}
	root, err := decodeNumbers(resp.Body)
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return openAPIDoc{root: root.(map[string]any)}
}

func decodeNumbers(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// jsonObject reads a member of a JSON object as an object, nil when it is
// not one.
func jsonObject(v any, name string) map[string]any {
	m, _ := v.(map[string]any)
	out, _ := m[name].(map[string]any)
	return out
}

// stringList reads a JSON list of strings.
func stringList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// resolve follows a local reference such as #/components/schemas/Member.
func (d openAPIDoc) resolve(ref string) (map[string]any, error) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("%s is not a reference within the document", ref)
	}
	var at any = d.root
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		part = strings.NewReplacer("~1", "/", "~0", "~").Replace(part)
		m, ok := at.(map[string]any)
		if !ok || m[part] == nil {
			return nil, fmt.Errorf("%s does not resolve", ref)
		}
		at = m[part]
	}
	target, ok := at.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s is not an object", ref)
	}
	return target, nil
}

// deref follows m's $ref, if it has one.
func (d openAPIDoc) deref(m map[string]any) map[string]any {
	if ref, ok := m["$ref"].(string); ok {
		if target, err := d.resolve(ref); err == nil {
			return target
		}
	}
	return m
}

func (d openAPIDoc) operation(method, path string) map[string]any {
	return jsonObject(jsonObject(d.root["paths"], path), strings.ToLower(method))
}

// response is the documented answer of an operation for a status, or its
// default answer.
func (d openAPIDoc) response(op map[string]any, status int) map[string]any {
	responses := jsonObject(op, "responses")
	if r := jsonObject(responses, fmt.Sprint(status)); r != nil {
		return d.deref(r)
	}
	if r := jsonObject(responses, "default"); r != nil {
		return d.deref(r)
	}
	return nil
}

// schemaKeywords are those the checker understands. A schema that uses
// another fails the test rather than being half checked.
var schemaKeywords = map[string]bool{
	"$ref": true, "anyOf": true, "type": true, "enum": true, "format": true,
	"properties": true, "required": true, "additionalProperties": true, "items": true,
	"minimum": true, "maximum": true,
	// Annotations, which constrain nothing.
	"description": true, "default": true,
}

var jsonTypes = []string{"null", "boolean", "string", "integer", "number", "array", "object"}

// validate checks a JSON value, decoded by decodeJSON, against a schema
// of the document, and returns what does not match, each prefixed with
// where in the value it is.
//
// It is stricter than JSON Schema on one point: an object may carry only
// the properties its schema declares, unless additionalProperties allows
// more. Clients must accept new fields (API.md), but the document must
// list every field Osk sends, so a field added to the code alone fails.
func (d openAPIDoc) validate(s map[string]any, v any, at string) []string {
	var problems []string
	fail := func(format string, args ...any) {
		problems = append(problems, at+": "+fmt.Sprintf(format, args...))
	}
	for k := range s {
		if !schemaKeywords[k] {
			fail("the checker does not know the keyword %q", k)
		}
	}
	if ref, ok := s["$ref"].(string); ok {
		target, err := d.resolve(ref)
		if err != nil {
			fail("%v", err)
		} else {
			problems = append(problems, d.validate(target, v, at)...)
		}
	}
	if alternatives, ok := s["anyOf"].([]any); ok {
		var why []string
		for _, alt := range alternatives {
			altSchema, _ := alt.(map[string]any)
			p := d.validate(altSchema, v, at)
			if len(p) == 0 {
				why = nil
				break
			}
			why = append(why, strings.Join(p, "; "))
		}
		if why != nil {
			fail("matches no alternative of anyOf: [%s]", strings.Join(why, "] or ["))
		}
	}
	if t, ok := s["type"]; ok {
		types := stringList(t)
		if name, ok := t.(string); ok {
			types = []string{name}
		}
		if !slices.ContainsFunc(types, func(name string) bool { return isJSONType(v, name) }) {
			fail("%s is not of type %s", showJSON(v), strings.Join(types, " or "))
			return problems
		}
	}
	if values, ok := s["enum"].([]any); ok && !slices.ContainsFunc(values, func(e any) bool { return reflect.DeepEqual(e, v) }) {
		fail("%s is not one of %s", showJSON(v), showJSON(values))
	}
	if format, ok := s["format"].(string); ok {
		if text, isString := v.(string); isString {
			checkJSONFormat(format, text, fail)
		}
	}
	if n, ok := v.(json.Number); ok {
		f, _ := n.Float64()
		if min, ok := s["minimum"].(json.Number); ok {
			if m, _ := min.Float64(); f < m {
				fail("%s is below the minimum %s", n, min)
			}
		}
		if max, ok := s["maximum"].(json.Number); ok {
			if m, _ := max.Float64(); f > m {
				fail("%s is above the maximum %s", n, max)
			}
		}
	}
	if obj, ok := v.(map[string]any); ok {
		props, _ := s["properties"].(map[string]any)
		for _, name := range stringList(s["required"]) {
			if _, ok := obj[name]; !ok {
				fail("%s is missing", name)
			}
		}
		for name, value := range obj {
			if ps, ok := props[name].(map[string]any); ok {
				problems = append(problems, d.validate(ps, value, at+"."+name)...)
				continue
			}
			switch extra := s["additionalProperties"].(type) {
			case bool:
				if !extra {
					fail("%s is not allowed", name)
				}
			case map[string]any:
				problems = append(problems, d.validate(extra, value, at+"."+name)...)
			default:
				if props != nil {
					fail("%s is sent but not in the document", name)
				}
			}
		}
	}
	if list, ok := v.([]any); ok {
		if items, ok := s["items"].(map[string]any); ok {
			for i, item := range list {
				problems = append(problems, d.validate(items, item, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	}
	return problems
}

func isJSONType(v any, name string) bool {
	switch x := v.(type) {
	case nil:
		return name == "null"
	case bool:
		return name == "boolean"
	case string:
		return name == "string"
	case json.Number:
		return name == "number" || (name == "integer" && !strings.ContainsAny(x.String(), ".eE"))
	case []any:
		return name == "array"
	case map[string]any:
		return name == "object"
	}
	return false
}

// checkFormat checks the formats the document uses. API.md: times are
// RFC 3339 in UTC.
func checkJSONFormat(format, text string, fail func(string, ...any)) {
	switch format {
	case "date-time":
		t, err := time.Parse(time.RFC3339Nano, text)
		if err != nil {
			fail("%q is not an RFC 3339 time", text)
		} else if _, offset := t.Zone(); offset != 0 || !strings.HasSuffix(text, "Z") {
			fail("%q is not in UTC", text)
		}
	case "date":
		if _, err := time.Parse(time.DateOnly, text); err != nil {
			fail("%q is not a date (YYYY-MM-DD)", text)
		}
	default:
		fail("the checker does not know the format %q", format)
	}
}

func showJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 120 {
		return string(b[:117]) + "..."
	}
	return string(b)
}

// lintSchema checks that a schema of the document is one the checker can
// read: known keywords, valid types, a list for required, and required
// properties that are declared (in the schema or, for an alternative of
// anyOf, in the schema around it).
func (d openAPIDoc) lintSchema(s map[string]any, around map[string]any, at string) []string {
	var problems []string
	fail := func(format string, args ...any) {
		problems = append(problems, at+": "+fmt.Sprintf(format, args...))
	}
	for k := range s {
		if !schemaKeywords[k] {
			fail("unknown keyword %q", k)
		}
	}
	if t, ok := s["type"]; ok {
		types := stringList(t)
		if name, ok := t.(string); ok {
			types = []string{name}
		}
		if len(types) == 0 {
			fail("type %s names no type", showJSON(t))
		}
		for _, name := range types {
			if !slices.Contains(jsonTypes, name) {
				fail("type %q is not a JSON Schema type", name)
			}
		}
	}
	props, _ := s["properties"].(map[string]any)
	if r, ok := s["required"]; ok {
		if _, isList := r.([]any); !isList {
			fail("required is not a list")
		}
		for _, name := range stringList(r) {
			_, declared := props[name]
			_, declaredAround := around[name]
			if !declared && !declaredAround {
				fail("%s is required but not declared", name)
			}
		}
	}
	for name, p := range props {
		problems = append(problems, d.lintSchema(p.(map[string]any), nil, at+"."+name)...)
	}
	for _, key := range []string{"items", "additionalProperties"} {
		if sub, ok := s[key].(map[string]any); ok {
			problems = append(problems, d.lintSchema(sub, nil, at+"."+key)...)
		}
	}
	if alternatives, ok := s["anyOf"].([]any); ok {
		for i, alt := range alternatives {
			problems = append(problems, d.lintSchema(alt.(map[string]any), props, fmt.Sprintf("%s.anyOf[%d]", at, i))...)
		}
	}
	return problems
}

// refs lists every $ref in v, with where it is.
func collectRefs(v any, at string, found map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, sub := range x {
			if ref, ok := sub.(string); ok && k == "$ref" {
				found[at] = ref
				continue
			}
			collectRefs(sub, at+"/"+k, found)
		}
	case []any:
		for i, sub := range x {
			collectRefs(sub, fmt.Sprintf("%s/%d", at, i), found)
		}
	}
}
