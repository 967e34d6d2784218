package server_test

import (
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/citizen-network/osk/internal/osktest"
)

// apiBody is a request body as API.md gives it: the fields it requires,
// those it marks optional with ?, and, for a vote, the fields of which
// one must be given.
type apiBody struct {
	required, optional, oneOf []string
}

var ruleFields = []string{"notice_min_days", "notice_max_months", "notice_weighty_min_days",
	"member_motion_deadline_days", "proxies_allowed", "advance_voting", "proxy_max_per_holder",
	"quorum_min_members", "quorum_min_percent", "ballot_min_votes", "minutes_deadline_days",
	"financial_year_end", "agm_within_months", "share_contribution"}

// apiBodies are the request bodies API.md describes field by field.
var apiBodies = map[string]apiBody{
	"POST /api/v1/applications":               {required: []string{"kind", "name", "email", "country", "accept_rules"}, optional: []string{"organisation_number", "statement"}},
	"POST /api/v1/members/{id}/admit":         {optional: []string{"decision"}},
	"POST /api/v1/members/{id}/reject":        {required: []string{"reason"}},
	"POST /api/v1/members/{id}/suspend":       {required: []string{"reason"}},
	"POST /api/v1/members/{id}/reinstate":     {required: []string{"reason"}},
	"POST /api/v1/members/{id}/expel":         {required: []string{"reason"}},
	"POST /api/v1/members/{id}/resign":        {optional: []string{"effective_on"}},
	"POST /api/v1/meetings/{id}/agenda":       {required: []string{"title"}, optional: []string{"description", "position", "rule_change", "weighty"}},
	"POST /api/v1/meetings/{id}/officers":     {required: []string{"chair_account_id", "secretary_account_id", "checker_account_ids"}},
	"POST /api/v1/meetings/{id}/cancel":       {required: []string{"reason"}},
	"POST /api/v1/meetings/{id}/attendance":   {required: []string{"mode"}},
	"POST /api/v1/meetings/{id}/proxies":      {required: []string{"holder_member_id"}},
	"POST /api/v1/meetings/{id}/motions":      {required: []string{"title", "body"}, optional: []string{"agenda_item_id", "amends_motion_id", "majority"}},
	"POST /api/v1/motions/{id}/ballots":       {required: []string{"secret"}, optional: []string{"closes_at", "electorate"}},
	"POST /api/v1/ballots/{id}/votes":         {optional: []string{"on_behalf_of_member_id"}, oneOf: []string{"choice", "candidates"}},
	"POST /api/v1/ballots/{id}/casting-vote":  {required: []string{"choice"}},
	"POST /api/v1/meetings/{id}/elections":    {required: []string{"title", "seats"}, optional: []string{"agenda_item_id", "nominations_close_at"}},
	"POST /api/v1/elections/{id}/candidates":  {optional: []string{"member_id", "name", "statement"}},
	"POST /api/v1/elections/{id}/ballots":     {optional: []string{"secret", "closes_at", "electorate"}},
	"PUT /api/v1/meetings/{id}/minutes":       {required: []string{"body"}},
	"POST /api/v1/meetings/{id}/minutes/sign": {optional: []string{"version"}},
	"PUT /api/v1/rules":                       {required: ruleFields},
}

// apiNoBody are API.md's routes that take no body: the document may
// accept one, but never require it.
var apiNoBody = []string{
	"POST /api/v1/meetings/{id}/convene", "POST /api/v1/meetings/{id}/open", "POST /api/v1/meetings/{id}/close",
	"DELETE /api/v1/meetings/{id}/attendance", "DELETE /api/v1/meetings/{id}/proxies/mine",
	"POST /api/v1/motions/{id}/second", "POST /api/v1/motions/{id}/withdraw", "POST /api/v1/ballots/{id}/close",
	"POST /api/v1/elections/{id}/candidates/{cid}/consent", "POST /api/v1/meetings/{id}/minutes/submit",
}

// apiEnums are enumerations as API.md lists them: a field of an answer
// (or, with request set, of the body) of a route.
var apiEnums = []struct {
	route, field string
	request      bool
	values       []string
}{
	{route: "GET /api/v1/me", field: "roles[]", values: []string{"admin", "board", "auditor"}},
	{route: "GET /api/v1/members/{id}", field: "kind", values: []string{"individual", "organisation"}},
	{route: "GET /api/v1/members/{id}", field: "status", values: []string{"applicant", "active", "suspended", "resigned", "expelled", "rejected"}},
	{route: "GET /api/v1/meetings/{id}", field: "kind", values: []string{"annual", "extraordinary"}},
	{route: "GET /api/v1/meetings/{id}", field: "status", values: []string{"draft", "convened", "in_session", "closed", "cancelled"}},
	{route: "POST /api/v1/meetings/{id}/attendance", field: "mode", request: true, values: []string{"in_person", "remote"}},
	{route: "GET /api/v1/motions/{id}", field: "majority", values: []string{"simple", "two_thirds", "three_quarters", "unanimous"}},
	{route: "GET /api/v1/motions/{id}", field: "status", values: []string{"submitted", "seconded", "voting", "carried", "failed", "withdrawn", "no_quorum"}},
	{route: "GET /api/v1/ballots/{id}", field: "status", values: []string{"open", "closed"}},
	{route: "GET /api/v1/ballots/{id}", field: "result.outcome", values: []string{"carried", "failed", "no_quorum"}},
	{route: "POST /api/v1/motions/{id}/ballots", field: "electorate", request: true, values: []string{"represented", "all_members"}},
	{route: "POST /api/v1/ballots/{id}/votes", field: "choice", request: true, values: []string{"for", "against", "abstain"}},
	{route: "POST /api/v1/ballots/{id}/casting-vote", field: "choice", request: true, values: []string{"for", "against"}},
	{route: "GET /api/v1/elections/{id}", field: "method", values: []string{"plurality"}},
	{route: "GET /api/v1/elections/{id}", field: "status", values: []string{"nominating", "voting", "decided"}},
	{route: "GET /api/v1/meetings/{id}/minutes", field: "status", values: []string{"draft", "in_review", "signed"}},
}

// apiPagedLists are the lists that take ?cursor= and ?limit=.
var apiPagedLists = []string{"GET /api/v1/members", "GET /api/v1/meetings", "GET /api/v1/meetings/{id}/motions",
	"GET /api/v1/meetings/{id}/elections", "GET /api/v1/minutes"}

// apiMedia are the answers that are not JSON.
var apiMedia = map[string]string{
	"GET /api/v1/members/register.csv":       "text/csv",
	"GET /api/v1/meetings/calendar.ics":      "text/calendar",
	"GET /api/v1/meetings/{id}/calendar.ics": "text/calendar",
	"GET /api/v1/meetings/{id}/events":       "text/event-stream",
}

// apiAnonymous are the routes nobody signs in for.
var apiAnonymous = []string{"GET /api/v1/openapi.json", "GET /api/v1/receipts/{receipt}", "GET /healthz"}

// TestOpenAPI keeps /api/v1/openapi.json in step with the registered routes
// and with API.md: every API route is documented and the document names no
// route that does not exist; the document is well-formed OpenAPI 3.1; and
// request bodies, enumerations, lists and content types are as API.md
// gives them.
func TestOpenAPI(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	doc := fetchDocument(t, inst)
	if v := doc.root["openapi"]; v != "3.1.0" {
		t.Fatalf("openapi = %v", v)
	}
	paths := jsonObject(doc.root, "paths")
	ops := map[string]map[string]any{}
	for path := range paths {
		for method, op := range jsonObject(paths, path) {
			ops[strings.ToUpper(method)+" "+path] = op.(map[string]any)
		}
	}

	t.Run("routes", func(t *testing.T) {
		param := regexp.MustCompile(`:([A-Za-z_]+)`)
		registered := map[string]bool{}
		for _, r := range inst.Server.App.GetRoutes(true) {
			if r.Method == http.MethodHead || !(strings.HasPrefix(r.Path, "/api/v1/") || r.Path == "/healthz") {
				continue
			}
			key := r.Method + " " + param.ReplaceAllString(r.Path, "{$1}")
			registered[key] = true
			op, ok := ops[key]
			if !ok {
				t.Errorf("%s is registered but not in openapi.json", key)
				continue
			}
			if s, _ := op["summary"].(string); s == "" {
				t.Errorf("%s has no summary", key)
			}
		}
		for key := range ops {
			if !registered[key] {
				t.Errorf("openapi.json documents %s, which is not registered", key)
			}
		}
	})

	t.Run("well-formed", func(t *testing.T) {
		info := jsonObject(doc.root, "info")
		if title, _ := info["title"].(string); title == "" {
			t.Error("info.title is empty")
		}
		if version, _ := info["version"].(string); version == "" {
			t.Error("info.version is empty")
		}
		found := map[string]string{}
		collectRefs(doc.root, "#", found)
		for at, ref := range found {
			if _, err := doc.resolve(ref); err != nil {
				t.Errorf("%s: %v", at, err)
			}
		}
		for name, s := range jsonObject(jsonObject(doc.root, "components"), "schemas") {
			for _, p := range doc.lintSchema(s.(map[string]any), nil, name) {
				t.Error(p)
			}
		}
		problem := doc.deref(map[string]any{"$ref": "#/components/schemas/Problem"})
		if got := stringList(problem["required"]); !sameSet(got, []string{"type", "title", "status", "detail"}) {
			t.Errorf("Problem requires %v", got)
		}
		fieldError := doc.deref(jsonObject(jsonObject(jsonObject(problem, "properties"), "errors"), "items"))
		if got := stringList(fieldError["required"]); !sameSet(got, []string{"field", "message"}) {
			t.Errorf("Problem's errors require %v", got)
		}
		schemes := jsonObject(jsonObject(doc.root, "components"), "securitySchemes")
		ids := map[string]string{}
		for key, op := range ops {
			checkOperation(t, doc, key, op, schemes)
			id, _ := op["operationId"].(string)
			if other, taken := ids[id]; taken || id == "" {
				t.Errorf("%s: operationId %q is empty or also %s's", key, id, other)
			}
			ids[id] = key
		}
	})

	t.Run("request bodies as API.md marks them", func(t *testing.T) {
		for key, want := range apiBodies {
			method, path, _ := strings.Cut(key, " ")
			rb := jsonObject(doc.operation(method, path), "requestBody")
			if rb == nil {
				t.Errorf("%s documents no body", key)
				continue
			}
			mustSend := len(want.required) > 0 || len(want.oneOf) > 0
			if required, _ := rb["required"].(bool); required != mustSend {
				t.Errorf("%s: requestBody.required = %v, API.md: %v", key, required, mustSend)
			}
			s := doc.deref(jsonObject(jsonObject(jsonObject(rb, "content"), "application/json"), "schema"))
			if got := stringList(s["required"]); !sameSet(got, want.required) {
				t.Errorf("%s requires %v, API.md: %v", key, got, want.required)
			}
			props := jsonObject(s, "properties")
			for _, f := range slices.Concat(want.required, want.optional, want.oneOf) {
				if props[f] == nil {
					t.Errorf("%s: the body has no field %s", key, f)
				}
			}
			var alternatives []string
			for _, alt := range anyList(s["anyOf"]) {
				alternatives = append(alternatives, stringList(alt.(map[string]any)["required"])...)
			}
			if !sameSet(alternatives, want.oneOf) {
				t.Errorf("%s needs one of %v, API.md: one of %v", key, alternatives, want.oneOf)
			}
		}
		for _, key := range apiNoBody {
			method, path, _ := strings.Cut(key, " ")
			if rb := jsonObject(doc.operation(method, path), "requestBody"); rb != nil && rb["required"] == true {
				t.Errorf("%s requires a body; API.md gives it none", key)
			}
		}
	})

	t.Run("enumerations as API.md lists them", func(t *testing.T) {
		for _, e := range apiEnums {
			method, path, _ := strings.Cut(e.route, " ")
			op := doc.operation(method, path)
			var s map[string]any
			if e.request {
				s = jsonObject(jsonObject(jsonObject(jsonObject(op, "requestBody"), "content"), "application/json"), "schema")
			} else {
				s = jsonObject(jsonObject(jsonObject(doc.response(op, successOf(op)), "content"), "application/json"), "schema")
			}
			field := doc.field(s, e.field)
			var got []string
			for _, v := range anyList(field["enum"]) {
				if v != nil {
					got = append(got, v.(string))
				}
			}
			if !sameSet(got, e.values) {
				t.Errorf("%s %s: enum %v, API.md: %v", e.route, e.field, got, e.values)
			}
		}
	})

	t.Run("lists", func(t *testing.T) {
		check := func(key, cursorName string) {
			method, path, _ := strings.Cut(key, " ")
			op := doc.operation(method, path)
			params := map[string]map[string]any{}
			for _, p := range anyList(op["parameters"]) {
				p := p.(map[string]any)
				if p["in"] == "query" {
					params[p["name"].(string)] = doc.deref(jsonObject(p, "schema"))
				}
			}
			if params[cursorName] == nil {
				t.Errorf("%s has no ?%s=", key, cursorName)
			}
			limit := params["limit"]
			if limit == nil || limit["type"] != "integer" || fmt.Sprint(limit["default"]) != "50" || fmt.Sprint(limit["maximum"]) != "500" {
				t.Errorf("%s: ?limit= is %v, want an integer, 50 by default, at most 500", key, limit)
			}
			s := doc.deref(jsonObject(jsonObject(jsonObject(doc.response(op, 200), "content"), "application/json"), "schema"))
			if !sameSet(stringList(s["required"]), []string{"items", "next_cursor"}) || jsonObject(jsonObject(s, "properties"), "items")["type"] != "array" {
				t.Errorf("%s answers %v, not {items, next_cursor}", key, showJSON(s))
			}
		}
		for _, key := range apiPagedLists {
			check(key, "cursor")
		}
		check("GET /api/v1/audit/events", "after_seq")
	})
}

// checkOperation checks one operation of the document: its path
// parameters, responses and their content types, security and body.
func checkOperation(t *testing.T, doc openAPIDoc, key string, op map[string]any, schemes map[string]any) {
	t.Helper()
	method, path, _ := strings.Cut(key, " ")
	anonymous := slices.Contains(apiAnonymous, key)
	inPath := map[string]bool{}
	for _, m := range regexp.MustCompile(`\{([A-Za-z_]+)\}`).FindAllStringSubmatch(path, -1) {
		inPath[m[1]] = true
	}
	for _, p := range anyList(op["parameters"]) {
		p := doc.deref(p.(map[string]any))
		name, _ := p["name"].(string)
		s := doc.deref(jsonObject(p, "schema"))
		if s == nil || name == "" {
			t.Errorf("%s: parameter %v has no name or schema", key, showJSON(p))
			continue
		}
		for _, problem := range doc.lintSchema(s, nil, key+" ?"+name) {
			t.Error(problem)
		}
		switch p["in"] {
		case "path":
			if !inPath[name] {
				t.Errorf("%s declares the path parameter %s, which the path does not have", key, name)
			}
			delete(inPath, name)
			want := "integer"
			if name == "receipt" {
				want = "string"
			}
			if p["required"] != true || s["type"] != want {
				t.Errorf("%s: path parameter %s is %v, want a required %s", key, name, showJSON(p), want)
			}
		case "query", "header":
		default:
			t.Errorf("%s: parameter %s is in %v", key, name, p["in"])
		}
	}
	for name := range inPath {
		t.Errorf("%s does not declare its path parameter %s", key, name)
	}

	responses := jsonObject(op, "responses")
	success := 0
	for code, r := range responses {
		r := doc.deref(r.(map[string]any))
		content := jsonObject(r, "content")
		media := slices.Sorted(maps.Keys(content))
		for _, m := range media {
			for _, problem := range doc.lintSchema(jsonObject(jsonObject(content, m), "schema"), nil, key+" "+code) {
				t.Error(problem)
			}
		}
		switch {
		case code == "204":
			success++
			if content != nil {
				t.Errorf("%s: 204 documented with a body %v", key, media)
			}
		case strings.HasPrefix(code, "2"):
			success++
			want := mediaJSON
			if m, ok := apiMedia[key]; ok {
				want = m
			}
			if !slices.Equal(media, []string{want}) {
				t.Errorf("%s %s: documented as %v, want %s", key, code, media, want)
			}
		case code == "503" && path == "/healthz":
		default:
			if !slices.Equal(media, []string{"application/problem+json"}) {
				t.Errorf("%s %s: documented as %v, want application/problem+json", key, code, media)
			} else if ref := jsonObject(jsonObject(content, "application/problem+json"), "schema")["$ref"]; ref != "#/components/schemas/Problem" {
				t.Errorf("%s %s: the problem's schema is %v", key, code, ref)
			}
		}
		if d, _ := r["description"].(string); d == "" {
			t.Errorf("%s %s has no description", key, code)
		}
	}
	if success == 0 {
		t.Errorf("%s documents no success", key)
	}
	if strings.HasPrefix(path, "/api/") {
		want := []string{}
		if !anonymous {
			want = append(want, "401")
		}
		if strings.Contains(path, "{") {
			want = append(want, "404")
		}
		if op["requestBody"] != nil {
			want = append(want, "400", "422")
		}
		for _, code := range want {
			if responses[code] == nil {
				t.Errorf("%s does not document %s", key, code)
			}
		}
		if anonymous && responses["401"] != nil {
			t.Errorf("%s documents 401, but anyone may call it", key)
		}
	}

	security := anyList(op["security"])
	if _, stated := op["security"]; !stated || anonymous != (len(security) == 0) {
		t.Errorf("%s: security %v; anonymous: %v", key, showJSON(op["security"]), anonymous)
	}
	for _, requirement := range security {
		for name := range requirement.(map[string]any) {
			if schemes[name] == nil {
				t.Errorf("%s: security scheme %s is not declared", key, name)
			}
		}
		if _, csrf := requirement.(map[string]any)["csrfToken"]; csrf && method == http.MethodGet {
			t.Errorf("%s: a GET needs no CSRF token", key)
		}
	}

	if rb := jsonObject(op, "requestBody"); rb != nil {
		content := jsonObject(rb, "content")
		if media := slices.Sorted(maps.Keys(content)); !slices.Equal(media, []string{mediaJSON}) {
			t.Errorf("%s takes %v, want application/json", key, media)
		}
		if _, ok := rb["required"].(bool); !ok {
			t.Errorf("%s: requestBody.required is not stated", key)
		}
	}
}

const mediaJSON = "application/json"

// successOf is the first success status an operation documents.
func successOf(op map[string]any) int {
	for _, code := range []int{200, 201, 204} {
		if jsonObject(jsonObject(op, "responses"), fmt.Sprint(code)) != nil {
			return code
		}
	}
	return 0
}

// field finds a property of a schema by a path such as "result.outcome"
// or "roles[]" (the items of roles), through references and the non-null
// alternatives of anyOf.
func (d openAPIDoc) field(s map[string]any, path string) map[string]any {
	for _, part := range strings.Split(path, ".") {
		name, items := strings.CutSuffix(part, "[]")
		s = d.withProperty(s, name)
		s = d.deref(jsonObject(jsonObject(s, "properties"), name))
		if items {
			s = d.deref(jsonObject(s, "items"))
		}
	}
	return s
}

// withProperty is s or, when s is a choice, the alternative that has the
// property.
func (d openAPIDoc) withProperty(s map[string]any, name string) map[string]any {
	s = d.deref(s)
	if jsonObject(jsonObject(s, "properties"), name) != nil {
		return s
	}
	for _, alt := range anyList(s["anyOf"]) {
		if found := d.withProperty(alt.(map[string]any), name); found != nil {
			return found
		}
	}
	return nil
}

func anyList(v any) []any {
	list, _ := v.([]any)
	return list
}

func sameSet(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

// TestOpenAPI_CheckerCatchesDrift proves that the checker of
// TestOpenAPI_AnswersMatchTheDocument fails when the document and what
// Osk sends part: a field dropped from either, a wrong type, a value
// outside an enumeration.
func TestOpenAPI_CheckerCatchesDrift(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	people := inst.People(t)
	people.Person("Board", "board")
	who, _ := people.Member("Alice")
	me := people.Client(who).Get("/api/v1/me")
	if me.StatusCode != http.StatusOK {
		t.Fatalf("/api/v1/me: %d %s", me.StatusCode, me.Body)
	}
	answer := func() map[string]any {
		v, err := decodeNumbers(me.Body)
		if err != nil {
			t.Fatal(err)
		}
		return v.(map[string]any)
	}
	check := func(doc openAPIDoc, v any) []string {
		op := doc.operation(http.MethodGet, "/api/v1/me")
		return doc.validate(jsonObject(jsonObject(jsonObject(doc.response(op, 200), "content"), mediaJSON), "schema"), v, "body")
	}
	if p := check(fetchDocument(t, inst), answer()); len(p) > 0 {
		t.Fatalf("the real answer does not match the document: %v", p)
	}
	member := func(doc openAPIDoc) map[string]any {
		return jsonObject(jsonObject(jsonObject(doc.root, "components"), "schemas"), "Member")
	}
	cases := []struct {
		name   string
		change func(doc openAPIDoc, body map[string]any)
		want   string
	}{
		{"a field documented with the wrong type", func(doc openAPIDoc, _ map[string]any) {
			jsonObject(member(doc), "properties")["email"] = map[string]any{"type": "integer"}
		}, "body.member.email"},
		{"a field Osk sends missing from the document", func(doc openAPIDoc, _ map[string]any) {
			m := member(doc)
			delete(jsonObject(m, "properties"), "status")
			m["required"] = slices.DeleteFunc(anyList(m["required"]), func(v any) bool { return v == "status" })
		}, "status is sent but not in the document"},
		{"a required field Osk does not send", func(doc openAPIDoc, _ map[string]any) {
			m := member(doc)
			jsonObject(m, "properties")["nickname"] = map[string]any{"type": "string"}
			m["required"] = append(anyList(m["required"]), "nickname")
		}, "nickname is missing"},
		{"a value outside the enumeration", func(doc openAPIDoc, _ map[string]any) {
			jsonObject(jsonObject(member(doc), "properties"), "status")["enum"] = []any{"applicant"}
		}, "body.member.status"},
		{"a field Osk stops sending", func(_ openAPIDoc, body map[string]any) {
			delete(jsonObject(body, "member"), "email")
		}, "email is missing"},
		{"an id sent as a string", func(_ openAPIDoc, body map[string]any) {
			jsonObject(body, "account")["id"] = "1"
		}, "body.account.id"},
		{"a time not in RFC 3339", func(_ openAPIDoc, body map[string]any) {
			jsonObject(body, "member")["applied_at"] = "yesterday"
		}, "body.member.applied_at"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc, body := fetchDocument(t, inst), answer()
			c.change(doc, body)
			problems := check(doc, body)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, c.want) }) {
				t.Errorf("no problem names %q: %v", c.want, problems)
			}
		})
	}
}
