package server

import (
	"net/http"
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
	// anonymous is true for the routes nobody needs to sign in for.
	anonymous bool
	answers   []answer
	// request names the component schema of the JSON body, "" for none;
	// requestRequired is false when the body may be left out.
	request         string
	requestRequired bool
	query           []fiber.Map
	headers         []fiber.Map
	// conflictOnRead marks a read that answers 409 while the thing is not
	// ready, such as the record of an undecided ballot.
	conflictOnRead bool
	// rateLimited marks the routes that answer 429.
	rateLimited bool
}

// answer is one successful response.
type answer struct {
	status      int
	description string
	// media is the content type, "" for a response without a body.
	media  string
	schema schema
}

// op starts the description of a route.
func op(summary, tag, who string) operation {
	return operation{summary: summary, tag: tag, who: who}
}

// returns adds a JSON answer whose body is the named component schema.
func (o operation) returns(status int, name string) operation {
	return o.returnsMedia(status, fiber.MIMEApplicationJSON, ref(name), http.StatusText(status))
}

// returnsMedia adds an answer of another content type.
func (o operation) returnsMedia(status int, media string, s schema, description string) operation {
	o.answers = append(o.answers, answer{status: status, description: description, media: media, schema: s})
	return o
}

// returnsNothing adds an answer without a body.
func (o operation) returnsNothing(status int) operation {
	o.answers = append(o.answers, answer{status: status, description: http.StatusText(status)})
	return o
}

// takes names the schema of a body that must be sent.
func (o operation) takes(name string) operation {
	o.request, o.requestRequired = name, true
	return o
}

// mayTake names the schema of a body that may be left out, as {}.
func (o operation) mayTake(name string) operation {
	o.request, o.requestRequired = name, false
	return o
}

func (o operation) withQuery(params ...fiber.Map) operation {
	o.query = append(o.query, params...)
	return o
}

// paged adds API.md's ?cursor= and ?limit= of a list.
func (o operation) paged() operation { return o.withQuery(cursorParam, limitParam) }

func (o operation) withHeader(params ...fiber.Map) operation {
	o.headers = append(o.headers, params...)
	return o
}

func (o operation) open() operation {
	o.anonymous = true
	return o
}

func (o operation) conflictsOnRead() operation {
	o.conflictOnRead = true
	return o
}

func (o operation) limited() operation {
	o.rateLimited = true
	return o
}

// param is a query or header parameter.
func param(in, name, description string, s fiber.Map) fiber.Map {
	return fiber.Map{"name": name, "in": in, "description": description, "schema": s}
}

var (
	cursorParam = param("query", "cursor", "The next_cursor of the previous page.", str())
	limitParam  = param("query", "limit", "Items per page.", fiber.Map{"type": "integer", "minimum": 1, "maximum": 500, "default": 50})
	searchParam = param("query", "q", "Search words.", str())
	// actingForParam names the member a change is for, when the caller
	// acts for several or, as chair or secretary, for another.
	actingForParam = param("query", "member_id", "The member concerned, when not the caller's own membership.", integer())
)

// apiOperations describes every route under /api/v1, and /healthz.
// TestOpenAPI fails when a registered route is missing here or an entry
// names no route, so the document cannot drift from the code.
var apiOperations = map[string]operation{
	"GET /api/v1/openapi.json": op("This document", "meta", "anyone").open().
		returnsMedia(200, fiber.MIMEApplicationJSON, fiber.Map{"type": "object", "description": "An OpenAPI 3.1 document."}, "OK"),
	"GET /healthz": op("Whether Osk and its database answer", "meta", "anyone").open().
		returns(200, "Health").returns(503, "Health"),
	"GET /api/v1/me": op("Who you are: your account, membership and site roles", "accounts", "signed in").returns(200, "Me"),

	"GET /api/v1/rules": op("The co-op's rules", "rules", "signed in").returns(200, "Rules"),
	"PUT /api/v1/rules": op("Replace the co-op's rules (every field); audited", "rules", "admin").takes("RulesInput").returns(200, "Rules"),

	"GET /api/v1/audit/events": op("The audit log, in order", "audit", "auditor").returns(200, "AuditEventPage").withQuery(
		param("query", "after_seq", "Events after this sequence number: the next_cursor of the previous page.", fiber.Map{"type": "integer", "minimum": 0}),
		param("query", "cursor", "The same as after_seq.", fiber.Map{"type": "integer", "minimum": 0}),
		limitParam,
		param("query", "action", "Only events of this action, such as ballot.closed.", str()),
		param("query", "actor", "Only events of this account.", integer()),
		param("query", "subject", "Only events about this subject, such as meeting:7.", str()),
		param("query", "from", "Only events at or after this day (YYYY-MM-DD) or RFC 3339 time.", str()),
		param("query", "to", "Only events before this day (YYYY-MM-DD) or RFC 3339 time.", str()),
	),
	"GET /api/v1/audit/verify": op("Verify the audit chain and every record on it", "audit", "auditor").returns(200, "VerifyReport"),
	"GET /api/v1/audit/meetings/{id}/bundle": op("The export bundle of a meeting, as a JSON download: its sealed minutes with every version and signature, its closed ballots with their voting lists and votes, and the audit log from the meeting's first event to the head; `osk verify --bundle` checks it offline. Recorded in the audit log", "audit", "auditor").
		returns(200, "Bundle"),

	"POST /api/v1/applications": op("Apply to become a member; 409 if the account already has an application or membership", "members", "signed in, not yet a member or applicant").
		takes("Application").returns(201, "Member").limited(),
	"GET /api/v1/members": op("The member register, by member number with applicants last", "members", "board, auditor").returns(200, "MemberPage").paged().withQuery(
		param("query", "status", "Only members of this status.", enum(memberStatuses...)),
		param("query", "kind", "Only members of this kind.", enum(memberKinds...)),
		param("query", "q", "Part of a name or email address, or a member number.", str()),
	),
	"GET /api/v1/members/register.csv": op("The member register as CSV", "members", "board, auditor").
		returnsMedia(200, "text/csv", str(), "The register, one member a row"),
	"GET /api/v1/members/{id}":            op("One member", "members", "that member, board, auditor").returns(200, "Member"),
	"PATCH /api/v1/members/{id}":          op("Change a member's contact details", "members", "that member, board").mayTake("ContactChange").returns(200, "Member"),
	"GET /api/v1/members/{id}/history":    op("A member's full history", "members", "that member, board, auditor").returns(200, "MemberHistory"),
	"POST /api/v1/members/{id}/admit":     op("Admit an applicant; assigns the next member number", "members", "board").mayTake("Admission").returns(200, "Member"),
	"POST /api/v1/members/{id}/reject":    op("Reject an application, with a reason", "members", "board").takes("Reason").returns(200, "Member"),
	"POST /api/v1/members/{id}/suspend":   op("Suspend a member, with a reason", "members", "board").takes("Reason").returns(200, "Member"),
	"POST /api/v1/members/{id}/reinstate": op("Reinstate a suspended member, with a reason", "members", "board").takes("Reason").returns(200, "Member"),
	"POST /api/v1/members/{id}/expel":     op("Expel a member, with a reason", "members", "board").takes("Reason").returns(200, "Member"),
	"POST /api/v1/members/{id}/resign":    op("Record a resignation", "members", "that member, board").mayTake("Resignation").returns(200, "Member"),
	"POST /api/v1/members/{id}/share-payments": op("Record a share contribution payment or refund", "members", "board").
		takes("ShareEntry").returns(201, "SharePayment"),
	"PUT /api/v1/members/{id}/share-due":      op("Set the share contribution due", "members", "board").takes("ShareDue").returns(200, "Member"),
	"PUT /api/v1/members/{id}/representative": op("Change an organisation's representative", "members", "board").takes("RepresentativeChange").returns(200, "Member"),
	"POST /api/v1/members/{id}/erase":         op("Erase a former member's personal data, keeping a tombstone", "members", "board").returns(200, "Member"),

	"POST /api/v1/meetings": op("Draft a general meeting", "meetings", "board").takes("MeetingDraft").returns(201, "Meeting"),
	"GET /api/v1/meetings":  op("General meetings, newest first (drafts for the board and auditors only)", "meetings", "members, board, auditor").returns(200, "MeetingPage").paged(),
	"GET /api/v1/meetings/calendar.ics": op("The co-op's meetings as an iCalendar feed", "meetings", "members").
		returnsMedia(200, "text/calendar", str(), "An iCalendar feed"),
	"GET /api/v1/meetings/{id}":                   op("One meeting with its agenda and officers", "meetings", "members (not drafts), board, auditor").returns(200, "Meeting"),
	"PATCH /api/v1/meetings/{id}":                 op("Change a meeting (while a draft; once convened only what the rules allow)", "meetings", "board").mayTake("MeetingChange").returns(200, "Meeting"),
	"POST /api/v1/meetings/{id}/agenda":           op("Add an agenda item", "meetings", "board").takes("AgendaItemInput").returns(201, "AgendaItem"),
	"PATCH /api/v1/meetings/{id}/agenda/{item}":   op("Change an agenda item", "meetings", "board").mayTake("AgendaItemChange").returns(200, "AgendaItem"),
	"DELETE /api/v1/meetings/{id}/agenda/{item}":  op("Remove an agenda item", "meetings", "board").returnsNothing(204),
	"POST /api/v1/meetings/{id}/agenda/statutory": op("Put back on a draft annual meeting's agenda the statutory items it lacks, each in its usual place", "meetings", "board").returns(200, "Meeting"),
	"POST /api/v1/meetings/{id}/officers":         op("Appoint the chair, secretary and minute checkers", "meetings", "board").takes("OfficersInput").returns(200, "Meeting"),
	"POST /api/v1/meetings/{id}/convene":          op("Publish the notice and notify members (422 outside the notice window)", "meetings", "board").returns(200, "Meeting"),
	"POST /api/v1/meetings/{id}/cancel":           op("Cancel a meeting, with a reason", "meetings", "board").takes("Reason").returns(200, "Meeting"),
	"POST /api/v1/meetings/{id}/open":             op("Open the session (at the earliest 1 hour before the start; 409 after the notified end)", "meetings", "chair").returns(200, "Meeting"),
	"POST /api/v1/meetings/{id}/close":            op("Close the session (409 while a ballot is undecided)", "meetings", "chair").returns(200, "Meeting"),
	"POST /api/v1/meetings/{id}/attendance":       op("Register as present (in person or remotely); 200 when already registered", "meetings", "active member; chair or secretary for others").takes("AttendanceInput").returns(201, "Attendee").returns(200, "Attendee"),
	"DELETE /api/v1/meetings/{id}/attendance":     op("Leave the meeting", "meetings", "that member; chair or secretary for others").withQuery(actingForParam).returnsNothing(204),
	"GET /api/v1/meetings/{id}/attendance":        op("Who is present and whom they represent", "meetings", "chair, secretary, board, auditor").returns(200, "AttendeeList").paged(),
	"POST /api/v1/meetings/{id}/proxies":          op("Authorise another member to vote for you", "meetings", "active member").takes("ProxyInput").returns(201, "Proxy"),
	"GET /api/v1/meetings/{id}/proxies":           op("The proxies of a meeting", "meetings", "chair, secretary, board, auditor").returns(200, "ProxyList").paged(),
	"DELETE /api/v1/meetings/{id}/proxies/mine":   op("Withdraw your proxy while no ballot used it", "meetings", "that member").withQuery(actingForParam).returns(200, "Proxy"),
	"GET /api/v1/meetings/{id}/quorum":            op("Who is represented and whether the meeting is quorate", "meetings", "members, board, auditor").returns(200, "Quorum"),
	"GET /api/v1/meetings/{id}/calendar.ics":      op("The meeting as an iCalendar event", "meetings", "members").returnsMedia(200, "text/calendar", str(), "An iCalendar event"),
	"GET /api/v1/meetings/{id}/events": op("Server-Sent Events: meeting, quorum and ballot updates", "meetings", "members").
		withQuery(param("query", "last_event_id", "Start after this event, as Last-Event-ID does.", fiber.Map{"type": "integer", "minimum": 0})).
		withHeader(param("header", "Last-Event-ID", "Start after this event; after the latest when left out.", fiber.Map{"type": "integer", "minimum": 0})).
		returnsMedia(200, "text/event-stream", str(), "A stream of events named meeting, quorum and ballot, each with a JSON object as its data"),
	"POST /api/v1/meetings/{id}/item-requests": op("Ask for an item on the agenda (before the member motion deadline)", "meetings", "active member").
		takes("ItemRequestInput").returns(201, "ItemRequest"),
	"GET /api/v1/meetings/{id}/item-requests": op("Members' requests for agenda items; to the board, while the agenda may grow, also those waiting for a meeting", "meetings", "board, auditor; members see their own").returns(200, "ItemRequestList").paged(),
	"POST /api/v1/meetings/{id}/item-requests/{request}/accept": op("Accept a member's agenda request", "meetings", "board").
		mayTake("Acceptance").returns(200, "ItemRequest"),
	"POST /api/v1/meetings/{id}/item-requests/{request}/decline": op("Decline a member's agenda request, with a reason", "meetings", "board").
		takes("Reason").returns(200, "ItemRequest"),
	"POST /api/v1/item-requests": op("Ask the board for an item at the next general meeting, before any notice is out; decided on from a meeting's requests", "meetings", "active member").
		takes("ItemRequestInput").returns(201, "ItemRequest"),
	"GET /api/v1/item-requests": op("Requests waiting for a meeting; members see every request they made", "meetings", "board, auditor; members their own").returns(200, "ItemRequestList").paged(),

	"POST /api/v1/meetings/{id}/motions": op("Propose a motion or an amendment (members before the deadline; only the board sets majority)", "motions", "active member, board").
		takes("Proposal").returns(201, "MotionDetail"),
	"GET /api/v1/meetings/{id}/motions":  op("The motions and amendments of a meeting, in the order proposed", "motions", "members, board, auditor").returns(200, "MotionPage").paged(),
	"GET /api/v1/motions/{id}":           op("One motion with its amendments and versions", "motions", "members, board, auditor").returns(200, "MotionDetail"),
	"POST /api/v1/motions/{id}/second":   op("Second another member's motion", "motions", "another active member").mayTake("Seconding").returns(200, "MotionDetail"),
	"POST /api/v1/motions/{id}/withdraw": op("Withdraw a motion before it is put to a vote", "motions", "proposer; board for its motions").returns(200, "MotionDetail"),
	"POST /api/v1/motions/{id}/ballots": op("Put a motion to a vote: freezes the voting list and opens its ballot", "motions", "chair (meeting in session and quorate); board for an advance ballot").
		takes("MotionBallotInput").returns(201, "Ballot"),
	"PUT /api/v1/motions/{id}/majority": op("Set the majority a motion needs until it is put to a vote (never below two thirds on an item that changes the rules); audited", "motions", "board").
		takes("MajorityInput").returns(200, "MotionDetail"),

	"POST /api/v1/meetings/{id}/elections": op("Add an election for a number of seats to a meeting", "elections", "board").takes("ElectionInput").returns(201, "Election"),
	"GET /api/v1/meetings/{id}/elections": op("The elections of a meeting, in the order added, each with its candidates and, once put to the vote, its ballot", "elections", "members, board, auditor").
		returns(200, "ElectionPage").paged(),
	"GET /api/v1/elections/{id}": op("One election with its candidates and their consent", "elections", "members, board, auditor").returns(200, "Election"),
	"PUT /api/v1/elections/{id}/nominations-close": op("Set, move or (with null) remove the time nominations close, while the election is not yet put to the vote (409 after); a later time opens closed nominations again. Audited", "elections", "board").
		takes("NominationsClose").returns(200, "Election"),
	"POST /api/v1/elections/{id}/candidates": op("Stand, or nominate another member (who must consent) or, for the board, a person or firm; 409 after nominations close, and for a person or firm named like a candidate already standing (case and spacing aside)", "elections", "active member, board").
		mayTake("Nomination").returns(201, "Candidate"),
	"POST /api/v1/elections/{id}/candidates/{cid}/consent": op("Consent to stand as a nominee", "elections", "the nominee").returns(200, "Candidate"),
	"POST /api/v1/elections/{id}/candidates/{cid}/withdraw": op("Withdraw a candidacy, even once nominations have closed, until the election is put to the vote (409 after); answers the election without it. Audited", "elections", "the candidate; board for a person or firm it entered").
		returns(200, "Election"),
	"POST /api/v1/elections/{id}/ballots": op("Put an election to a vote: opens its ballot with the consenting candidates (secret unless \"secret\": false)", "elections", "chair (meeting in session and quorate)").
		mayTake("ElectionBallotInput").returns(201, "Ballot"),

	"GET /api/v1/ballots/{id}": op("One ballot, with its result once closed", "ballots", "members, board, auditor").returns(200, "Ballot"),
	"POST /api/v1/ballots/{id}/votes": op("Cast a vote; 409 already voted or closed, 403 not eligible", "ballots", "an eligible member, or the holder of their proxy").
		withHeader(param("header", "Idempotency-Key", "A key of the client's choosing: a retry with the same key answers 200 and makes no second vote.", str())).
		takes("Vote").returns(201, "VoteReceipt").returns(200, "VoteRecorded").limited(),
	"POST /api/v1/ballots/{id}/close":        op("Close the ballot: count, apply quorum and majority", "ballots", "chair").returns(200, "Ballot"),
	"POST /api/v1/ballots/{id}/casting-vote": op("Decide a tie under a simple majority", "ballots", "chair").takes("CastingVote").returns(200, "Ballot"),
	"GET /api/v1/ballots/{id}/record":        op("The public ballot record, once decided (409 before)", "ballots", "members, board, auditor").returns(200, "BallotRecord").conflictsOnRead(),
	"GET /api/v1/receipts/{receipt}":         op("The vote a receipt belongs to", "ballots", "anyone holding the receipt").open().returns(200, "Receipt"),

	"GET /api/v1/minutes": op("The archive of sealed minutes, latest first; a search (?q=) gives the best match first, with highlighted snippets", "minutes", "members, board, auditor").
		returns(200, "ArchivePage").withQuery(searchParam).paged(),
	"GET /api/v1/minutes/overdue":                                      op("Closed meetings whose minutes are not sealed: deadline, state and who has not signed", "minutes", "board, auditor").returns(200, "MinutesDeadlineList"),
	"GET /api/v1/meetings/{id}/minutes":                                op("A meeting's minutes (to the secretary, version 0 is the pre-filled first draft)", "minutes", "members (signed), officers, board, auditor").returns(200, "Minutes").conflictsOnRead(),
	"PUT /api/v1/meetings/{id}/minutes":                                op("Save a new version of the draft minutes: every save makes one, the text of the current version saved again included", "minutes", "secretary, while draft").takes("MinutesText").returns(200, "Minutes"),
	"POST /api/v1/meetings/{id}/minutes/submit":                        op("Submit the latest version to the chair and the minute checkers", "minutes", "secretary").returns(200, "Minutes"),
	"POST /api/v1/meetings/{id}/minutes/sign":                          op("Sign the version in review (409 unless it is the version given); the last signature seals them", "minutes", "chair, checkers").mayTake("Signing").returns(200, "Minutes"),
	"POST /api/v1/meetings/{id}/minutes/return":                        op("Send the version in review back to the secretary with a comment", "minutes", "chair, checkers").takes("MinutesComment").returns(200, "Minutes"),
	"GET /api/v1/meetings/{id}/minutes/versions":                       op("Every saved version of the minutes", "minutes", "officers, board, auditor").returns(200, "MinutesVersionList"),
	"GET /api/v1/meetings/{id}/minutes/versions/{version}":             op("One saved version with its text", "minutes", "officers, board, auditor").returns(200, "MinutesVersion"),
	"POST /api/v1/meetings/{id}/minutes/addenda":                       op("Begin an addendum that corrects sealed minutes", "minutes", "secretary").takes("MinutesText").returns(201, "Minutes"),
	"GET /api/v1/meetings/{id}/minutes/addenda/{n}":                    op("An addendum to the minutes", "minutes", "members (signed), officers, board, auditor").returns(200, "Minutes"),
	"PUT /api/v1/meetings/{id}/minutes/addenda/{n}":                    op("Save a new version of a draft addendum: every save makes one, the text of the current version saved again included", "minutes", "secretary, while draft").takes("MinutesText").returns(200, "Minutes"),
	"POST /api/v1/meetings/{id}/minutes/addenda/{n}/submit":            op("Submit an addendum for signing", "minutes", "secretary").returns(200, "Minutes"),
	"POST /api/v1/meetings/{id}/minutes/addenda/{n}/sign":              op("Sign an addendum's version in review; the last signature seals it", "minutes", "chair, checkers").mayTake("Signing").returns(200, "Minutes"),
	"POST /api/v1/meetings/{id}/minutes/addenda/{n}/return":            op("Send an addendum back to the secretary with a comment", "minutes", "chair, checkers").takes("MinutesComment").returns(200, "Minutes"),
	"GET /api/v1/meetings/{id}/minutes/addenda/{n}/versions":           op("Every saved version of an addendum", "minutes", "officers, board, auditor").returns(200, "MinutesVersionList"),
	"GET /api/v1/meetings/{id}/minutes/addenda/{n}/versions/{version}": op("One saved version of an addendum with its text", "minutes", "officers, board, auditor").returns(200, "MinutesVersion"),
}

var openAPIParam = regexp.MustCompile(`\{([A-Za-z_]+)\}`)

// serveOpenAPI answers GET /api/v1/openapi.json with the document, built
// once.
func serveOpenAPI(baseURL string) fiber.Handler {
	doc := openAPIDocument(baseURL)
	return func(c *fiber.Ctx) error {
		return c.JSON(doc)
	}
}

// problemResponses are the errors of API.md's conventions, by status.
var problemResponses = map[int]string{
	400: "The body is not one JSON object",
	401: "Not signed in, or the token is not valid",
	403: "Not allowed",
	404: "No such thing, or one the caller may not see",
	409: "Wrong state or duplicate",
	413: "The body is too large",
	415: "The body is not application/json",
	422: "Invalid values; errors names each field",
	429: "Too many requests",
}

// problems lists the errors an operation answers, as API.md's
// conventions assign them. Every other failure (405, 500, 503) is the
// operation's default answer, a problem too.
func (o operation) problems(method, path string) []int {
	var codes []int
	if o.request != "" {
		codes = append(codes, 400, 413, 415)
	}
	if !o.anonymous {
		codes = append(codes, 401)
		// Whoever may call more than "signed in" names may be refused.
		if o.who != "signed in" {
			codes = append(codes, 403)
		}
	}
	if strings.Contains(path, "{") {
		codes = append(codes, 404)
	}
	if method != fiber.MethodGet || o.conflictOnRead {
		codes = append(codes, 409)
	}
	if method != fiber.MethodGet || len(o.query) > 0 {
		codes = append(codes, 422)
	}
	if o.rateLimited {
		codes = append(codes, 429)
	}
	sort.Ints(codes)
	return codes
}

// idSchema is the schema of an id in a path.
var idSchema = fiber.Map{"type": "integer", "minimum": 1}

// pathParams are the path parameters other than an id, which is named by
// the collection before it.
var pathParams = map[string]fiber.Map{
	"item":    {"description": "The agenda item's id.", "schema": idSchema},
	"request": {"description": "The agenda request's id.", "schema": idSchema},
	"cid":     {"description": "The candidate's id.", "schema": idSchema},
	"version": {"description": "The version number.", "schema": idSchema},
	"n":       {"description": "The addendum's number.", "schema": fiber.Map{"type": "integer", "minimum": 1, "maximum": 1000}},
	"receipt": {"description": "The receipt shown when the vote was cast: 26 letters and digits (spaces and hyphens are ignored).", "schema": str()},
}

func pathParameter(path, name string) fiber.Map {
	p := fiber.Map{"name": name, "in": "path", "required": true}
	if known, ok := pathParams[name]; ok {
		p["description"], p["schema"] = known["description"], known["schema"]
		return p
	}
	before := strings.Split(path[:strings.Index(path, "/{"+name+"}")], "/")
	p["description"] = "The " + strings.TrimSuffix(before[len(before)-1], "s") + "'s id."
	p["schema"] = idSchema
	return p
}

// security is who may call: a token, or the session cookie with, on a
// change, the CSRF token.
func (o operation) security(method string) []fiber.Map {
	if o.anonymous {
		return []fiber.Map{}
	}
	session := fiber.Map{"sessionCookie": []string{}}
	if method != fiber.MethodGet {
		session["csrfToken"] = []string{}
	}
	return []fiber.Map{{"bearerToken": []string{}}, session}
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
			params = append(params, pathParameter(path, m[1]))
		}
		params = append(append(params, op.query...), op.headers...)
		responses := fiber.Map{}
		for _, a := range op.answers {
			r := fiber.Map{"description": a.description}
			if a.media != "" {
				r["content"] = fiber.Map{a.media: fiber.Map{"schema": a.schema}}
			}
			responses[strconv.Itoa(a.status)] = r
		}
		if strings.HasPrefix(path, "/api/") {
			for _, code := range op.problems(method, path) {
				responses[strconv.Itoa(code)] = fiber.Map{"$ref": "#/components/responses/Problem" + strconv.Itoa(code)}
			}
			responses["default"] = fiber.Map{"$ref": "#/components/responses/Problem"}
		}
		o := fiber.Map{
			"summary":     op.summary,
			"description": "Who may call it: " + op.who + ".",
			"tags":        []string{op.tag},
			"operationId": operationID(method, path),
			"responses":   responses,
			"security":    op.security(method),
		}
		if params != nil {
			o["parameters"] = params
		}
		if op.request != "" {
			o["requestBody"] = fiber.Map{"required": op.requestRequired, "content": fiber.Map{
				fiber.MIMEApplicationJSON: fiber.Map{"schema": ref(op.request)},
			}}
		}
		item[strings.ToLower(method)] = o
	}
	problem := func(description string) fiber.Map {
		return fiber.Map{"description": description, "content": fiber.Map{
			"application/problem+json": fiber.Map{"schema": ref("Problem")},
		}}
	}
	responses := fiber.Map{"Problem": problem("An RFC 9457 problem")}
	for code, description := range problemResponses {
		responses["Problem"+strconv.Itoa(code)] = problem(description)
	}
	return fiber.Map{
		"openapi": "3.1.0",
		"info": fiber.Map{
			"title":       "Osk API",
			"version":     "1",
			"description": "The JSON API of Osk, the governance app of Citizen Network Osk. Pages and this API are two doors onto the same services, with the same rules and access checks. Times are RFC 3339 in UTC and ids are integers; objects may gain fields, never lose them.",
		},
		"servers": []fiber.Map{{"url": baseURL}},
		"paths":   paths,
		"components": fiber.Map{
			"securitySchemes": fiber.Map{
				"bearerToken":   fiber.Map{"type": "http", "scheme": "bearer", "description": "A personal access token (osk_...), made at /account/tokens or with osk token create."},
				"sessionCookie": fiber.Map{"type": "apiKey", "in": "cookie", "name": "osk_session", "description": "The browser session (named __Host-osk_session over https)."},
				"csrfToken":     fiber.Map{"type": "apiKey", "in": "header", "name": "X-CSRF-Token", "description": "Required with the session cookie on every state-changing request."},
			},
			"schemas":   openAPISchemas(),
			"responses": responses,
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
