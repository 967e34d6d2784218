package server

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// operation documents one route of the JSON API for the OpenAPI document.
type operation struct {
	summary string
	tag     string
	// who may call it, in the words of API.md.
	who string
	// success is the status of a successful answer.
	success int
	// body is true when the operation takes a JSON body.
	body bool
}

// apiOperations describes every route under /api/v1. TestOpenAPI fails when
// a registered route is missing here or an entry names no route, so the
// document cannot drift from the code.
var apiOperations = map[string]operation{
	"GET /api/v1/openapi.json": {"This document", "meta", "anyone", 200, false},
	"GET /api/v1/me":           {"Who you are: your account, membership and site roles", "accounts", "signed in", 200, false},

	"GET /api/v1/rules": {"The co-op's rules", "rules", "signed in", 200, false},
	"PUT /api/v1/rules": {"Replace the co-op's rules (every field)", "rules", "admin", 200, true},

	"GET /api/v1/audit/events":               {"The audit log, in order (?after_seq=&limit=&action=&actor=&subject=&from=&to=)", "audit", "auditor", 200, false},
	"GET /api/v1/audit/verify":               {"Verify the audit chain and every record on it", "audit", "auditor", 200, false},
	"GET /api/v1/audit/meetings/{id}/bundle": {"The export bundle of a meeting, as a JSON download: its sealed minutes with every version and signature, its closed ballots with their voting lists and votes, and the audit log from the meeting's first event to the head; `osk verify --bundle` checks it offline. Recorded in the audit log", "audit", "auditor", 200, false},

	"POST /api/v1/applications":                {"Apply to become a member", "members", "signed in, not yet a member or applicant", 201, true},
	"GET /api/v1/members":                      {"The member register (?status=&kind=&q=&cursor=&limit=)", "members", "board, auditor", 200, false},
	"GET /api/v1/members/register.csv":         {"The member register as CSV", "members", "board, auditor", 200, false},
	"GET /api/v1/members/{id}":                 {"One member", "members", "that member, board, auditor", 200, false},
	"PATCH /api/v1/members/{id}":               {"Change a member's contact details", "members", "that member, board", 200, true},
	"GET /api/v1/members/{id}/history":         {"A member's full history", "members", "that member, board, auditor", 200, false},
	"POST /api/v1/members/{id}/admit":          {"Admit an applicant; assigns the next member number", "members", "board", 200, true},
	"POST /api/v1/members/{id}/reject":         {"Reject an application, with a reason", "members", "board", 200, true},
	"POST /api/v1/members/{id}/suspend":        {"Suspend a member, with a reason", "members", "board", 200, true},
	"POST /api/v1/members/{id}/reinstate":      {"Reinstate a suspended member, with a reason", "members", "board", 200, true},
	"POST /api/v1/members/{id}/expel":          {"Expel a member, with a reason", "members", "board", 200, true},
	"POST /api/v1/members/{id}/resign":         {"Record a resignation", "members", "that member, board", 200, true},
	"POST /api/v1/members/{id}/share-payments": {"Record a share contribution payment or refund", "members", "board", 201, true},
	"PUT /api/v1/members/{id}/share-due":       {"Set the share contribution due", "members", "board", 200, true},
	"PUT /api/v1/members/{id}/representative":  {"Change an organisation's representative", "members", "board", 200, true},
	"POST /api/v1/members/{id}/erase":          {"Erase a former member's personal data, keeping a tombstone", "members", "board", 200, true},

	"POST /api/v1/meetings":                                      {"Draft a general meeting", "meetings", "board", 201, true},
	"GET /api/v1/meetings":                                       {"General meetings (drafts for the board and auditors only)", "meetings", "members, board, auditor", 200, false},
	"GET /api/v1/meetings/calendar.ics":                          {"The co-op's meetings as an iCalendar feed", "meetings", "members", 200, false},
	"GET /api/v1/meetings/{id}":                                  {"One meeting with its agenda and officers", "meetings", "members (not drafts), board, auditor", 200, false},
	"PATCH /api/v1/meetings/{id}":                                {"Change a meeting (while a draft; once convened only what the rules allow)", "meetings", "board", 200, true},
	"POST /api/v1/meetings/{id}/agenda":                          {"Add an agenda item", "meetings", "board", 201, true},
	"PATCH /api/v1/meetings/{id}/agenda/{item}":                  {"Change an agenda item", "meetings", "board", 200, true},
	"DELETE /api/v1/meetings/{id}/agenda/{item}":                 {"Remove an agenda item", "meetings", "board", 204, false},
	"POST /api/v1/meetings/{id}/officers":                        {"Appoint the chair, secretary and minute checkers", "meetings", "board", 200, true},
	"POST /api/v1/meetings/{id}/convene":                         {"Publish the notice (422 outside the notice window)", "meetings", "board", 200, false},
	"POST /api/v1/meetings/{id}/cancel":                          {"Cancel a meeting, with a reason", "meetings", "board", 200, true},
	"POST /api/v1/meetings/{id}/open":                            {"Open the session (at the earliest 1 hour before the start)", "meetings", "chair", 200, false},
	"POST /api/v1/meetings/{id}/close":                           {"Close the session", "meetings", "chair", 200, false},
	"POST /api/v1/meetings/{id}/attendance":                      {"Register as present (in person or remotely)", "meetings", "active member; chair or secretary for others", 201, true},
	"DELETE /api/v1/meetings/{id}/attendance":                    {"Leave the meeting", "meetings", "that member", 204, false},
	"GET /api/v1/meetings/{id}/attendance":                       {"Who is present and whom they represent", "meetings", "chair, secretary, board, auditor", 200, false},
	"POST /api/v1/meetings/{id}/proxies":                         {"Authorise another member as your proxy", "meetings", "active member", 201, true},
	"GET /api/v1/meetings/{id}/proxies":                          {"The proxies of a meeting", "meetings", "chair, secretary, board, auditor", 200, false},
	"DELETE /api/v1/meetings/{id}/proxies/mine":                  {"Withdraw your proxy while no ballot used it", "meetings", "that member", 200, false},
	"GET /api/v1/meetings/{id}/quorum":                           {"Who is represented and whether the meeting is quorate", "meetings", "members, board, auditor", 200, false},
	"GET /api/v1/meetings/{id}/calendar.ics":                     {"The meeting as an iCalendar event", "meetings", "members", 200, false},
	"GET /api/v1/meetings/{id}/events":                           {"Server-Sent Events: meeting, quorum and ballot updates", "meetings", "members", 200, false},
	"POST /api/v1/meetings/{id}/item-requests":                   {"Ask for an item on the agenda (before the member motion deadline)", "meetings", "active member", 201, true},
	"GET /api/v1/meetings/{id}/item-requests":                    {"Members' requests for agenda items", "meetings", "board, auditor; members see their own", 200, false},
	"POST /api/v1/meetings/{id}/item-requests/{request}/accept":  {"Accept a member's agenda request", "meetings", "board", 200, true},
	"POST /api/v1/meetings/{id}/item-requests/{request}/decline": {"Decline a member's agenda request, with a reason", "meetings", "board", 200, true},

	"POST /api/v1/meetings/{id}/motions": {"Propose a motion or an amendment (members before the deadline; only the board sets majority)", "motions", "active member, board", 201, true},
	"GET /api/v1/meetings/{id}/motions":  {"The motions and amendments of a meeting, in the order proposed", "motions", "members, board, auditor", 200, false},
	"GET /api/v1/motions/{id}":           {"One motion with its amendments and versions", "motions", "members, board, auditor", 200, false},
	"POST /api/v1/motions/{id}/second":   {"Second another member's motion", "motions", "another active member", 200, true},
	"POST /api/v1/motions/{id}/withdraw": {"Withdraw a motion before it is put to a vote", "motions", "proposer; board for its motions", 200, false},
	"POST /api/v1/motions/{id}/ballots":  {"Put a motion to a vote: opens its ballot", "motions", "chair (meeting in session and quorate); board for an advance ballot", 201, true},

	"POST /api/v1/meetings/{id}/elections":                 {"Add an election for a number of seats to a meeting", "elections", "board", 201, true},
	"GET /api/v1/elections/{id}":                           {"One election with its candidates and their consent", "elections", "members, board, auditor", 200, false},
	"POST /api/v1/elections/{id}/candidates":               {"Stand, or nominate another member (who must consent) or, for the board, a person or firm; 409 after nominations close", "elections", "active member, board", 201, true},
	"POST /api/v1/elections/{id}/candidates/{cid}/consent": {"Consent to stand as a nominee", "elections", "the nominee", 200, false},
	"POST /api/v1/elections/{id}/ballots":                  {"Put an election to a vote: opens its ballot with the consenting candidates (secret unless \"secret\": false)", "elections", "chair (meeting in session and quorate)", 201, true},

	"GET /api/v1/ballots/{id}":               {"One ballot, with its result once closed", "ballots", "members, board, auditor", 200, false},
	"POST /api/v1/ballots/{id}/votes":        {"Cast a vote (Idempotency-Key header: a retry answers 200 and makes no second vote)", "ballots", "an eligible member, or the holder of their proxy", 201, true},
	"POST /api/v1/ballots/{id}/close":        {"Close the ballot: count, apply quorum and majority", "ballots", "chair", 200, false},
	"POST /api/v1/ballots/{id}/casting-vote": {"Decide a tie under a simple majority", "ballots", "chair", 200, true},
	"GET /api/v1/ballots/{id}/record":        {"The public ballot record, once decided", "ballots", "members, board, auditor", 200, false},
	"GET /api/v1/receipts/{receipt}":         {"The vote a receipt belongs to", "ballots", "anyone holding the receipt", 200, false},

	"GET /api/v1/minutes":                                              {"The archive of sealed minutes (?q= full-text search, best match first, with highlighted snippets; ?cursor=&limit=)", "minutes", "members, board, auditor", 200, false},
	"GET /api/v1/minutes/overdue":                                      {"Closed meetings whose minutes are not sealed: deadline, state and who has not signed", "minutes", "board, auditor", 200, false},
	"GET /api/v1/meetings/{id}/minutes":                                {"A meeting's minutes (to the secretary, version 0 is the pre-filled first draft)", "minutes", "members (signed), officers, board, auditor", 200, false},
	"PUT /api/v1/meetings/{id}/minutes":                                {"Save a new version of the draft minutes", "minutes", "secretary, while draft", 200, true},
	"POST /api/v1/meetings/{id}/minutes/submit":                        {"Submit the latest version to the chair and the minute checkers", "minutes", "secretary", 200, false},
	"POST /api/v1/meetings/{id}/minutes/sign":                          {"Sign the version in review (409 unless it is the version given); the last signature seals them", "minutes", "chair, checkers", 200, true},
	"POST /api/v1/meetings/{id}/minutes/return":                        {"Send the version in review back to the secretary with a comment", "minutes", "chair, checkers", 200, true},
	"GET /api/v1/meetings/{id}/minutes/versions":                       {"Every saved version of the minutes", "minutes", "officers, board, auditor", 200, false},
	"GET /api/v1/meetings/{id}/minutes/versions/{version}":             {"One saved version with its text", "minutes", "officers, board, auditor", 200, false},
	"POST /api/v1/meetings/{id}/minutes/addenda":                       {"Begin an addendum that corrects sealed minutes", "minutes", "secretary", 201, true},
	"GET /api/v1/meetings/{id}/minutes/addenda/{n}":                    {"An addendum to the minutes", "minutes", "members (signed), officers, board, auditor", 200, false},
	"PUT /api/v1/meetings/{id}/minutes/addenda/{n}":                    {"Save a new version of a draft addendum", "minutes", "secretary, while draft", 200, true},
	"POST /api/v1/meetings/{id}/minutes/addenda/{n}/submit":            {"Submit an addendum for signing", "minutes", "secretary", 200, false},
	"POST /api/v1/meetings/{id}/minutes/addenda/{n}/sign":              {"Sign an addendum's version in review; the last signature seals it", "minutes", "chair, checkers", 200, true},
	"POST /api/v1/meetings/{id}/minutes/addenda/{n}/return":            {"Send an addendum back to the secretary with a comment", "minutes", "chair, checkers", 200, true},
	"GET /api/v1/meetings/{id}/minutes/addenda/{n}/versions":           {"Every saved version of an addendum", "minutes", "officers, board, auditor", 200, false},
	"GET /api/v1/meetings/{id}/minutes/addenda/{n}/versions/{version}": {"One saved version of an addendum with its text", "minutes", "officers, board, auditor", 200, false},
}

var (
	pathParam    = regexp.MustCompile(`:([A-Za-z_]+)`)
	openAPIParam = regexp.MustCompile(`\{([A-Za-z_]+)\}`)
)

// openAPIPath turns Fiber's /members/:id into OpenAPI's /members/{id}.
func openAPIPath(route string) string {
	return pathParam.ReplaceAllString(route, "{$1}")
}

// serveOpenAPI answers GET /api/v1/openapi.json with the document, built
// once.
func serveOpenAPI(baseURL string) fiber.Handler {
	doc := openAPIDocument(baseURL)
	return func(c *fiber.Ctx) error {
		return c.JSON(doc)
	}
}

// openAPIDocument builds the OpenAPI 3.1 description of the JSON API.
func openAPIDocument(baseURL string) fiber.Map {
	paths := fiber.Map{}
	keys := make([]string, 0, len(apiOperations))
	for k := range apiOperations {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		op := apiOperations[key]
		method, path, _ := strings.Cut(key, " ")
		item, _ := paths[path].(fiber.Map)
		if item == nil {
			item = fiber.Map{}
			paths[path] = item
		}
		var params []fiber.Map
		for _, m := range openAPIParam.FindAllStringSubmatch(path, -1) {
			params = append(params, fiber.Map{
				"name": m[1], "in": "path", "required": true,
				"schema": fiber.Map{"type": "string"},
			})
		}
		responses := fiber.Map{
			strconv.Itoa(op.success): fiber.Map{"description": "Success", "content": fiber.Map{
				"application/json": fiber.Map{"schema": fiber.Map{"type": "object"}},
			}},
		}
		for _, code := range []int{400, 401, 403, 404, 409, 413, 422, 429} {
			responses[strconv.Itoa(code)] = fiber.Map{"$ref": "#/components/responses/Problem"}
		}
		o := fiber.Map{
			"summary":     op.summary,
			"description": "Who may call it: " + op.who + ".",
			"tags":        []string{op.tag},
			"operationId": operationID(method, path),
			"responses":   responses,
		}
		if params != nil {
			o["parameters"] = params
		}
		if op.body {
			o["requestBody"] = fiber.Map{"required": true, "content": fiber.Map{
				"application/json": fiber.Map{"schema": fiber.Map{"type": "object"}},
			}}
		}
		if op.who != "anyone" {
			o["security"] = []fiber.Map{{"bearerToken": []string{}}, {"sessionCookie": []string{}, "csrfToken": []string{}}}
		}
		item[strings.ToLower(method)] = o
	}
	return fiber.Map{
		"openapi": "3.1.0",
		"info": fiber.Map{
			"title":       "Osk API",
			"version":     "1",
			"description": "The JSON API of Osk, the governance app of Citizen Network Osk. Pages and this API are two doors onto the same services, with the same rules and access checks.",
		},
		"servers": []fiber.Map{{"url": baseURL}},
		"paths":   paths,
		"components": fiber.Map{
			"securitySchemes": fiber.Map{
				"bearerToken":   fiber.Map{"type": "http", "scheme": "bearer", "description": "A personal access token (osk_...), made at /account/tokens or with osk token create."},
				"sessionCookie": fiber.Map{"type": "apiKey", "in": "cookie", "name": "osk_session", "description": "The browser session (named __Host-osk_session over https)."},
				"csrfToken":     fiber.Map{"type": "apiKey", "in": "header", "name": "X-CSRF-Token", "description": "Required with the session cookie on every state-changing request."},
			},
			"schemas": fiber.Map{
				"Problem": fiber.Map{
					"type":     "object",
					"required": []string{"type", "title", "status", "detail"},
					"properties": fiber.Map{
						"type":   fiber.Map{"type": "string"},
						"title":  fiber.Map{"type": "string"},
						"status": fiber.Map{"type": "integer"},
						"detail": fiber.Map{"type": "string"},
						"errors": fiber.Map{"type": "array", "items": fiber.Map{
							"type":       "object",
							"properties": fiber.Map{"field": fiber.Map{"type": "string"}, "message": fiber.Map{"type": "string"}},
						}},
					},
				},
			},
			"responses": fiber.Map{
				"Problem": fiber.Map{"description": "An RFC 9457 problem", "content": fiber.Map{
					"application/problem+json": fiber.Map{"schema": fiber.Map{"$ref": "#/components/schemas/Problem"}},
				}},
			},
		},
	}
}

func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, part := range strings.Split(strings.TrimPrefix(path, "/api/v1/"), "/") {
		part = strings.Trim(part, "{}")
		part = strings.NewReplacer("-", "_", ".", "_").Replace(part)
		if part == "" {
			continue
		}
		b.WriteString("_" + part)
	}
	return b.String()
}
