package server

import (
	"maps"
	"slices"

	"github.com/gofiber/fiber/v2"
)

// schema is a JSON Schema (2020-12, the dialect of OpenAPI 3.1).
type schema = fiber.Map

func ref(name string) schema { return schema{"$ref": "#/components/schemas/" + name} }

func str() schema     { return schema{"type": "string"} }
func integer() schema { return schema{"type": "integer"} }
func boolean() schema { return schema{"type": "boolean"} }
func number() schema  { return schema{"type": "number"} }

// dateTime is a time as Osk writes it: RFC 3339 in UTC.
func dateTime() schema { return schema{"type": "string", "format": "date-time"} }

// date is a day, YYYY-MM-DD.
func date() schema { return schema{"type": "string", "format": "date"} }

func enum(values ...string) schema { return schema{"type": "string", "enum": values} }

func arrayOf(items schema) schema { return schema{"type": "array", "items": items} }

// about adds a description to s.
func about(s schema, description string) schema {
	out := maps.Clone(s)
	out["description"] = description
	return out
}

// nullable lets s also be null: a type becomes [type, "null"] and an
// enumeration gains null; a reference becomes one of itself or null.
func nullable(s schema) schema {
	if _, isRef := s["$ref"]; isRef {
		return schema{"anyOf": []schema{s, {"type": "null"}}}
	}
	out := maps.Clone(s)
	out["type"] = []string{s["type"].(string), "null"}
	if values, ok := s["enum"].([]string); ok {
		withNull := make([]any, 0, len(values)+1)
		for _, v := range values {
			withNull = append(withNull, v)
		}
		out["enum"] = append(withNull, nil)
	}
	return out
}

// object is an object Osk sends: every property is always present but
// those named in sometimes, which Osk leaves out when they do not apply.
// Further properties may come (API.md: fields are added freely).
func object(props schema, sometimes ...string) schema {
	var required []string
	for name := range props {
		if !slices.Contains(sometimes, name) {
			required = append(required, name)
		}
	}
	slices.Sort(required)
	return schema{"type": "object", "required": required, "properties": props}
}

// input is a request body: required names the fields that must be given,
// and Osk refuses a field it does not know (422).
func input(props schema, required ...string) schema {
	s := schema{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// with returns base's properties with more added, for an object that
// extends another.
func with(base schema, more schema) schema {
	out := maps.Clone(base)
	maps.Copy(out, more)
	return out
}

// page is the answer of a list route: API.md's {"items", "next_cursor"}.
func page(item string, cursor schema) schema {
	return object(schema{"items": arrayOf(ref(item)), "next_cursor": cursor})
}

// nextCursor is null on the last page.
var nextCursor = about(nullable(str()), "Pass it as ?cursor= for the next page; null on the last page.")

// wholeList is the next_cursor of a list Osk answers in one page.
var wholeList = about(schema{"type": "null"}, "Always null: the whole list comes in one page.")

var (
	memberKinds      = []string{"individual", "organisation"}
	memberStatuses   = []string{"applicant", "active", "suspended", "resigned", "expelled", "rejected"}
	meetingStatuses  = []string{"draft", "convened", "in_session", "closed", "cancelled"}
	modes            = []string{"in_person", "remote"}
	majorities       = []string{"simple", "two_thirds", "three_quarters", "unanimous"}
	motionStatuses   = []string{"submitted", "seconded", "voting", "carried", "failed", "withdrawn", "no_quorum"}
	electorates      = []string{"represented", "all_members"}
	choices          = []string{"for", "against", "abstain"}
	castingChoices   = []string{"for", "against"}
	signerRoles      = []string{"chair", "checker"}
	minutesStatuses  = []string{"draft", "in_review", "signed"}
	ballotStatuses   = []string{"open", "closed"}
	electionStatuses = []string{"nominating", "voting", "decided"}
)

// Properties shared by several schemas.
var (
	memberProps = schema{
		"id":                        integer(),
		"member_no":                 about(nullable(integer()), "Null until admitted."),
		"kind":                      enum(memberKinds...),
		"name":                      str(),
		"email":                     str(),
		"country":                   about(str(), "ISO 3166-1 alpha-2, such as FI."),
		"status":                    enum(memberStatuses...),
		"account_id":                about(nullable(integer()), "The account acting for the member: the person, or an organisation's representative; null once erased."),
		"applied_at":                dateTime(),
		"admitted_at":               nullable(dateTime()),
		"left_at":                   nullable(dateTime()),
		"representative_account_id": about(nullable(integer()), "Set for organisations."),
		"address":                   str(),
		"organisation_number":       str(),
		"statement":                 str(),
		"rules_accepted_at":         dateTime(),
		"share_due":                 about(str(), "A decimal amount, such as \"50.00\"."),
		"share_paid":                about(str(), "A decimal amount, such as \"50.00\"."),
		"share_paid_on":             nullable(date()),
		"share_currency":            about(str(), "ISO 4217, such as EUR."),
		"erased_at":                 about(nullable(dateTime()), "Set on the tombstone of a former member whose personal data was erased."),
	}
	motionProps = schema{
		"id":                 integer(),
		"meeting_id":         integer(),
		"agenda_item_id":     nullable(integer()),
		"amends_motion_id":   nullable(integer()),
		"title":              str(),
		"body":               about(str(), "Markdown. An amendment's body is the whole text the main motion would have if it carries."),
		"proposer_member_id": about(nullable(integer()), "Null for the board's own motions."),
		"seconder_member_id": nullable(integer()),
		"majority":           enum(majorities...),
		"status":             enum(motionStatuses...),
		"by_board":           boolean(),
		"version":            about(integer(), "The version of the text in body."),
		"based_on_version":   about(nullable(integer()), "An amendment's: the main motion's version it was written against."),
		"ballot_id":          nullable(integer()),
		"submitted_at":       dateTime(),
		"seconded_at":        nullable(dateTime()),
		"withdrawn_at":       nullable(dateTime()),
		"voting_at":          nullable(dateTime()),
		"decided_at":         nullable(dateTime()),
	}
	minutesVersionProps = schema{
		"version":               integer(),
		"body_hash":             about(str(), "Hex SHA-256 of the text."),
		"created_at":            dateTime(),
		"created_by_account_id": nullable(integer()),
		"returned":              about(boolean(), "True when the version was sent back to the secretary."),
	}
	ruleProps = schema{
		"notice_min_days":             integer(),
		"notice_max_months":           integer(),
		"notice_weighty_min_days":     integer(),
		"member_motion_deadline_days": integer(),
		"proxies_allowed":             boolean(),
		"advance_voting":              boolean(),
		"proxy_max_per_holder":        integer(),
		"quorum_min_members":          integer(),
		"quorum_min_percent":          integer(),
		"ballot_min_votes":            integer(),
		"minutes_deadline_days":       integer(),
		"financial_year_end":          about(str(), "MM-DD."),
		"agm_within_months":           integer(),
		"share_contribution":          ref("Money"),
	}
	ballotBodyProps = schema{
		"closes_at":  nullable(dateTime()),
		"electorate": about(nullable(enum(electorates...)), "represented (the default): those represented when the ballot opens; all_members: every member active on the record date."),
	}
	agendaInputProps = schema{
		"title":       str(),
		"description": str(),
		"position":    about(nullable(integer()), "From 1; the end of the agenda when left out."),
		"rule_change": boolean(),
		"weighty":     boolean(),
	}
	actingFor = about(nullable(integer()), "The member acted for, when the caller acts for several (an organisation's representative) or, for the chair and secretary, registers another.")
)

// openAPISchemas are the document's component schemas: the bodies of
// API.md field by field, with what Osk sends beyond them.
func openAPISchemas() schema {
	motion := object(motionProps)
	motionVersion := object(schema{
		"version":      integer(),
		"body":         str(),
		"created_at":   dateTime(),
		"amendment_id": about(nullable(integer()), "The carried amendment that made this version; null for the text as proposed."),
	})
	chainHead := object(schema{"seq": integer(), "hash": about(str(), "Hex SHA-256.")})
	return schema{
		"Problem": about(object(schema{
			"type":   str(),
			"title":  str(),
			"status": integer(),
			"detail": str(),
			"errors": about(arrayOf(ref("FieldError")), "On validation failures: what is wrong with each field."),
		}, "errors"), "An RFC 9457 problem."),
		"FieldError": object(schema{"field": str(), "message": str()}),

		"Health": object(schema{"status": enum("ok", "unavailable")}),
		"Me": object(schema{
			"account":    object(schema{"id": integer(), "email": str(), "name": str()}),
			"member":     about(nullable(ref("Member")), "The caller's individual membership, or null."),
			"represents": about(arrayOf(ref("Member")), "The organisations the caller represents, whatever their status."),
			"roles":      arrayOf(enum("admin", "board", "auditor")),
		}),

		"Member":     object(memberProps),
		"MemberPage": page("Member", nextCursor),
		"MemberHistory": object(schema{
			"member":         ref("Member"),
			"status_history": arrayOf(ref("StatusChange")),
			"share_payments": arrayOf(ref("SharePayment")),
			"events":         arrayOf(ref("AuditEvent")),
		}),
		"StatusChange": object(schema{
			"id":               integer(),
			"status":           enum(memberStatuses...),
			"effective_at":     dateTime(),
			"recorded_at":      dateTime(),
			"actor_account_id": nullable(integer()),
			"reason":           str(),
		}),
		"SharePayment": object(schema{
			"id":               integer(),
			"member_id":        integer(),
			"kind":             enum("payment", "refund"),
			"amount":           about(str(), "A decimal amount, such as \"50.00\"."),
			"paid_on":          date(),
			"recorded_at":      dateTime(),
			"actor_account_id": nullable(integer()),
			"note":             str(),
		}),
		"Application": input(schema{
			"kind":                enum(memberKinds...),
			"name":                str(),
			"email":               str(),
			"country":             about(str(), "ISO 3166-1 alpha-2, such as FI."),
			"accept_rules":        about(schema{"type": "boolean", "enum": []bool{true}}, "Must be true: the applicant accepts the co-op's rules."),
			"organisation_number": str(),
			"statement":           str(),
			"address":             str(),
		}, "kind", "name", "email", "country", "accept_rules"),
		"ContactChange": input(schema{"name": str(), "email": str(), "address": str(), "country": str()}),
		"Admission": input(schema{
			"decision":  about(str(), "The board's minutes reference, such as \"Board 2025/4 §6\"."),
			"share_due": about(str(), "The share contribution due, such as \"50.00\"; the rules' default when left out."),
		}),
		"Reason":      input(schema{"reason": str()}, "reason"),
		"Resignation": input(schema{"effective_on": about(date(), "The day it takes effect; today when left out. Only the board records an earlier day.")}),
		"ShareEntry": input(schema{
			"kind":    about(enum("payment", "refund"), "payment when left out."),
			"amount":  about(str(), "A positive decimal amount, such as \"50.00\"."),
			"paid_on": date(),
			"note":    str(),
		}, "amount", "paid_on"),
		"ShareDue": input(schema{"amount": about(str(), "A decimal amount, such as \"50.00\", or \"0.00\" for none.")}, "amount"),
		"RepresentativeChange": about(schema{
			"type":                 "object",
			"properties":           schema{"email": str(), "account_id": integer()},
			"additionalProperties": false,
			"anyOf":                []schema{{"required": []string{"email"}}, {"required": []string{"account_id"}}},
		}, "The new representative's account, by email or by id."),

		"Meeting": object(schema{
			"id":             integer(),
			"kind":           enum("annual", "extraordinary"),
			"title":          str(),
			"starts_at":      dateTime(),
			"ends_at":        dateTime(),
			"location":       str(),
			"online_url":     str(),
			"remote_allowed": boolean(),
			"time_zone":      about(str(), "IANA, such as Europe/Helsinki."),
			"status":         enum(meetingStatuses...),
			"convened_at":    nullable(dateTime()),
			"record_date":    nullable(dateTime()),
			"quorum":         ref("QuorumRule"),
			"agenda":         arrayOf(ref("AgendaItem")),
			"officers":       ref("Officers"),

			"opened_at":              nullable(dateTime()),
			"closed_at":              nullable(dateTime()),
			"cancelled_at":           nullable(dateTime()),
			"cancel_reason":          str(),
			"member_motion_deadline": about(dateTime(), "The last moment members may ask for an agenda item."),
			"notice":                 about(str(), "The text published when the meeting was convened."),
			"revision":               integer(),
			"warnings":               about(arrayOf(str()), "What the board should know before convening."),
		}),
		"MeetingPage": page("Meeting", nextCursor),
		"QuorumRule":  object(schema{"min_members": integer(), "min_percent": integer()}),
		"AgendaItem": object(schema{
			"id":          integer(),
			"position":    integer(),
			"title":       str(),
			"description": str(),
			"rule_change": boolean(),
			"weighty":     boolean(),
			"statutory":   about(str(), "The statutory item of an annual meeting this is, such as financial_statements."),
		}, "statutory"),
		"Officers": object(schema{
			"chair_account_id":     nullable(integer()),
			"secretary_account_id": nullable(integer()),
			"checker_account_ids":  arrayOf(integer()),
		}),
		"MeetingDraft": input(schema{
			"kind":           enum("annual", "extraordinary"),
			"title":          str(),
			"starts_at":      dateTime(),
			"ends_at":        dateTime(),
			"location":       str(),
			"online_url":     str(),
			"remote_allowed": boolean(),
			"time_zone":      about(str(), "IANA; Europe/Helsinki when left out."),
			"record_date":    about(nullable(str()), "A day (YYYY-MM-DD) or an RFC 3339 time."),
			"quorum":         nullable(ref("QuorumRule")),
			"agenda":         about(nullable(arrayOf(ref("AgendaItemInput"))), "An annual meeting without one gets the statutory agenda."),
			"officers":       nullable(ref("OfficersInput")),
		}, "kind", "title", "starts_at", "ends_at"),
		"MeetingChange": input(schema{
			"kind":           enum("annual", "extraordinary"),
			"title":          str(),
			"starts_at":      dateTime(),
			"ends_at":        dateTime(),
			"time_zone":      str(),
			"location":       str(),
			"online_url":     str(),
			"remote_allowed": boolean(),
			"record_date":    about(nullable(str()), "A day (YYYY-MM-DD) or an RFC 3339 time; empty for none."),
			"quorum":         ref("QuorumRule"),
		}),
		"AgendaItemInput": input(agendaInputProps, "title"),
		"AgendaItemChange": input(schema{
			"title":       str(),
			"description": str(),
			"position":    integer(),
			"rule_change": boolean(),
			"weighty":     boolean(),
		}),
		"OfficersInput": input(schema{
			"chair_account_id":     nullable(integer()),
			"secretary_account_id": nullable(integer()),
			"checker_account_ids":  arrayOf(integer()),
		}, "chair_account_id", "secretary_account_id", "checker_account_ids"),
		"AttendanceInput": input(schema{"mode": enum(modes...), "member_id": actingFor}, "mode"),
		"Attendee": object(schema{
			"member_id":                integer(),
			"member_no":                integer(),
			"name":                     str(),
			"kind":                     enum(memberKinds...),
			"mode":                     enum(modes...),
			"proxy_for":                about(arrayOf(integer()), "The member ids this attendee holds proxies for."),
			"arrived_at":               dateTime(),
			"left_at":                  nullable(dateTime()),
			"present":                  boolean(),
			"registered_by_account_id": nullable(integer()),
		}),
		"AttendeeList": page("Attendee", nextCursor),
		"ProxyInput":   input(schema{"holder_member_id": integer(), "member_id": actingFor}, "holder_member_id"),
		"Proxy": object(schema{
			"id":                    integer(),
			"meeting_id":            integer(),
			"member_id":             about(integer(), "The member who authorises."),
			"holder_member_id":      integer(),
			"granted_at":            dateTime(),
			"granted_by_account_id": integer(),
			"withdrawn_at":          nullable(dateTime()),
			"used_at":               nullable(dateTime()),
			"used_in_ballot":        nullable(integer()),
		}),
		"ProxyList": page("Proxy", nextCursor),
		"Quorum": object(schema{
			"present":     about(integer(), "Members present, in person or remotely."),
			"by_proxy":    about(integer(), "Members represented by a present proxy holder and not present themselves."),
			"represented": integer(),
			"eligible":    about(integer(), "Active members."),
			"required":    integer(),
			"met":         boolean(),
		}),
		"ItemRequestInput": input(schema{"title": str(), "description": str(), "member_id": actingFor}, "title"),
		"ItemRequest": object(schema{
			"id":             integer(),
			"meeting_id":     nullable(integer()),
			"member_id":      integer(),
			"account_id":     integer(),
			"title":          str(),
			"description":    str(),
			"requested_at":   dateTime(),
			"status":         enum("pending", "accepted", "declined"),
			"decided_at":     nullable(dateTime()),
			"reason":         str(),
			"agenda_item_id": nullable(integer()),
		}),
		"ItemRequestList": page("ItemRequest", nextCursor),
		"Acceptance": input(schema{"position": about(nullable(integer()), "Where the item goes on the agenda; the end when left out."),
			"rule_change": about(boolean(), "The item changes the co-op's rules, with the longer notice that asks for."),
			"weighty":     about(boolean(), "The item is weighty, with the longer notice that asks for."),
			"description": about(str(), "The item's text on the agenda in place of the member's; a rule change must say which rules change and how.")}),

		"Motion":     motion,
		"MotionPage": page("Motion", nextCursor),
		"MotionDetail": object(with(motionProps, schema{
			"amendments": about(arrayOf(ref("Motion")), "A main motion's amendments, oldest first."),
			"versions":   about(arrayOf(ref("MotionVersion")), "Every text the motion has had, oldest first."),
		})),
		"MotionVersion": motionVersion,
		"Proposal": input(schema{
			"title":            str(),
			"body":             about(str(), "Markdown."),
			"agenda_item_id":   nullable(integer()),
			"amends_motion_id": nullable(integer()),
			"majority":         about(nullable(enum(majorities...)), "Only the board sets it."),
			"member_id":        actingFor,
		}, "title", "body"),
		"Seconding":         input(schema{"member_id": actingFor}),
		"MajorityInput":     input(schema{"majority": enum(majorities...)}, "majority"),
		"MotionBallotInput": input(with(ballotBodyProps, schema{"secret": boolean()}), "secret"),
		"ElectionBallotInput": input(with(ballotBodyProps, schema{
			"secret": about(nullable(boolean()), "True when left out."),
		})),

		"Ballot": object(schema{
			"id":          integer(),
			"motion_id":   nullable(integer()),
			"election_id": nullable(integer()),
			"secret":      boolean(),
			"electorate":  enum(electorates...),
			"status":      enum(ballotStatuses...),
			"opened_at":   dateTime(),
			"closes_at":   nullable(dateTime()),
			"eligible":    integer(),
			"voted":       integer(),
			"result":      about(ref("Result"), "Once closed."),

			"meeting_id":    integer(),
			"kind":          enum("motion", "election"),
			"majority":      about(enum(majorities...), "A motion's."),
			"seats":         about(integer(), "An election's."),
			"candidate_ids": about(arrayOf(integer()), "An election's candidates on the ballot."),
			"record_date":   dateTime(),
			"closed_at":     nullable(dateTime()),
			"decided_at":    nullable(dateTime()),
			"record_hash":   about(nullable(str()), "Hex SHA-256 of the ballot record, once decided."),
		}, "result", "majority", "seats", "candidate_ids"),
		"Result": schema{"anyOf": []schema{ref("MotionResult"), ref("ElectionResult")}},
		"MotionResult": object(schema{
			"for":                   integer(),
			"against":               integer(),
			"abstain":               integer(),
			"cast":                  about(integer(), "Votes for and against."),
			"voted":                 about(integer(), "Every vote, abstentions too."),
			"eligible":              integer(),
			"quorum_required":       integer(),
			"quorum_met":            boolean(),
			"majority":              enum(majorities...),
			"outcome":               about(nullable(enum("carried", "failed", "no_quorum")), "Null while a tie waits for the chair's casting vote."),
			"tie_broken_by_chair":   boolean(),
			"awaiting_casting_vote": boolean(),
			"casting_vote":          nullable(enum(castingChoices...)),
		}),
		"ElectionResult": object(schema{
			"cast":       about(integer(), "Votes that mark at least one candidate."),
			"blank":      integer(),
			"eligible":   integer(),
			"quorum_met": boolean(),
			"candidates": arrayOf(object(schema{"id": integer(), "name": str(), "votes": integer(), "elected": boolean()})),
			"lot":        about(nullable(ref("Lot")), "The drawing of lots for the last seats, when there was one."),
		}),
		"Lot": object(schema{
			"seed":  about(str(), "Hex: the audit chain head just before the close."),
			"drawn": about(arrayOf(integer()), "The candidate ids it elected, in the order drawn."),
		}),
		"Vote": about(schema{
			"type": "object",
			"properties": schema{
				"choice":                 about(enum(choices...), "A motion's."),
				"candidates":             about(arrayOf(integer()), "An election's: at most seats candidate ids, or [] for a blank vote."),
				"on_behalf_of_member_id": nullable(integer()),
			},
			"additionalProperties": false,
			"anyOf":                []schema{{"required": []string{"choice"}}, {"required": []string{"candidates"}}},
		}, "A motion's vote gives choice, an election's gives candidates."),
		"VoteReceipt": object(schema{
			"ballot_id":              integer(),
			"on_behalf_of_member_id": integer(),
			"receipt":                about(str(), "Shown this once and kept nowhere."),
			"cast_at":                dateTime(),
		}),
		"VoteRecorded": about(object(schema{
			"ballot_id":              integer(),
			"on_behalf_of_member_id": integer(),
			"recorded":               boolean(),
			"receipt":                about(schema{"type": "null"}, "The receipt was shown only to the first request."),
			"detail":                 str(),
		}), "The answer to a retry with the same Idempotency-Key: the first request's vote stands."),
		"CastingVote": input(schema{"choice": enum(castingChoices...)}, "choice"),
		"BallotRecord": object(schema{
			"ballot":      ref("RecordBallot"),
			"result":      ref("Result"),
			"votes":       arrayOf(ref("RecordVote")),
			"voters":      about(arrayOf(integer()), "The member numbers of those who voted."),
			"record_hash": about(str(), "Hex SHA-256 of the canonical JSON of ballot, result, votes and voters."),
			"chain_head":  ref("ChainHead"),
			"eligible":    about(arrayOf(object(schema{"member_no": integer(), "cast_by": enum("self", "representative", "proxy")})), "The voting list; auditors only."),
		}, "eligible"),
		"RecordBallot": object(schema{
			"id":               integer(),
			"meeting_id":       integer(),
			"kind":             enum("motion", "election"),
			"motion_id":        nullable(integer()),
			"election_id":      nullable(integer()),
			"majority":         enum(majorities...),
			"seats":            integer(),
			"candidate_ids":    arrayOf(integer()),
			"secret":           boolean(),
			"electorate":       enum(electorates...),
			"status":           enum(ballotStatuses...),
			"record_date":      dateTime(),
			"opened_at":        dateTime(),
			"closes_at":        nullable(dateTime()),
			"closed_at":        dateTime(),
			"decided_at":       dateTime(),
			"eligible":         integer(),
			"voted":            integer(),
			"voting_list_hash": about(str(), "Hex SHA-256."),
		}, "majority", "seats", "candidate_ids"),
		"RecordVote": object(schema{
			"receipt_hash": str(),
			"choice":       about(enum(choices...), "A motion's."),
			"candidates":   about(arrayOf(integer()), "An election's."),
			"member_no":    about(integer(), "In an open ballot."),
		}, "choice", "candidates", "member_no"),
		"ChainHead": chainHead,
		"Receipt": object(schema{
			"ballot_id":    integer(),
			"choice":       about(enum(choices...), "A motion's vote."),
			"candidates":   about(arrayOf(integer()), "An election's vote."),
			"counted":      about(boolean(), "True for every recorded vote: a vote is final and in the count; status says whether the ballot is closed and the count done."),
			"status":       enum(ballotStatuses...),
			"receipt_hash": about(str(), "The receipt's hash as the ballot record lists it."),
		}, "choice", "candidates"),

		"Election": object(schema{
			"id":                   integer(),
			"meeting_id":           integer(),
			"agenda_item_id":       nullable(integer()),
			"title":                str(),
			"seats":                integer(),
			"method":               enum("plurality"),
			"nominations_close_at": nullable(dateTime()),
			"status":               enum(electionStatuses...),
			"candidates":           arrayOf(ref("Candidate")),
			"ballot_id":            about(nullable(integer()), "The election's ballot, where votes are cast and the result read; null until it is put to the vote."),
		}),
		"ElectionPage": page("Election", nextCursor),
		"Candidate": object(schema{
			"id":        integer(),
			"member_id": about(nullable(integer()), "Null for a person or firm the board entered."),
			"name":      str(),
			"statement": str(),
			"consented": boolean(),
		}),
		"ElectionInput": input(schema{
			"title":                str(),
			"seats":                integer(),
			"agenda_item_id":       nullable(integer()),
			"nominations_close_at": nullable(dateTime()),
		}, "title", "seats"),
		"NominationsClose": input(schema{
			"nominations_close_at": about(nullable(dateTime()), "Null for no set time: nominations then stay open until the election is put to the vote."),
		}, "nominations_close_at"),
		"Nomination": input(schema{
			"member_id": about(nullable(integer()), "The member nominated; the caller's own membership when neither this nor name is given."),
			"name":      about(str(), "A person or firm who is not a member; the board only."),
			"statement": str(),
		}),

		"Minutes": object(schema{
			"meeting_id":     integer(),
			"version":        about(integer(), "0 while nothing is saved: only the secretary sees that, with the text pre-filled."),
			"status":         enum(minutesStatuses...),
			"body":           about(str(), "Markdown."),
			"signatures":     arrayOf(ref("Signature")),
			"sealed_hash":    nullable(str()),
			"addendum":       about(integer(), "0 for the minutes themselves."),
			"body_hash":      about(str(), "Hex SHA-256 of body."),
			"review_version": nullable(integer()),
			"submitted_at":   nullable(dateTime()),
			"sealed_at":      nullable(dateTime()),
			"chain_head":     about(nullable(ref("ChainHead")), "The audit event that sealed them."),
			"signers":        arrayOf(ref("Signer")),
			"returns":        about(arrayOf(ref("MinutesReturn")), "The versions sent back, with their comments; for the officers, the board and auditors."),
			"addenda":        about(arrayOf(ref("AddendumSummary")), "On the minutes themselves: the addenda the caller may see."),
			"title":          str(),
		}, "addenda"),
		"Signature": object(schema{"account_id": integer(), "role": enum(signerRoles...), "signed_at": dateTime(), "name": str()}),
		"Signer":    object(schema{"account_id": integer(), "role": enum(signerRoles...), "name": str(), "signed": boolean()}),
		"MinutesReturn": object(schema{
			"version":     integer(),
			"account_id":  integer(),
			"role":        enum(signerRoles...),
			"name":        str(),
			"comment":     str(),
			"returned_at": dateTime(),
		}),
		"AddendumSummary": object(schema{
			"addendum":    integer(),
			"status":      enum(minutesStatuses...),
			"version":     integer(),
			"sealed_hash": nullable(str()),
			"sealed_at":   nullable(dateTime()),
		}),
		"MinutesText":        input(schema{"body": about(str(), "Markdown.")}, "body"),
		"Signing":            input(schema{"version": about(nullable(integer()), "The version signed; 409 unless it is the one in review.")}),
		"MinutesComment":     input(schema{"version": nullable(integer()), "comment": str()}, "comment"),
		"MinutesVersionInfo": object(minutesVersionProps),
		"MinutesVersionList": page("MinutesVersionInfo", wholeList),
		"MinutesVersion":     object(with(minutesVersionProps, schema{"body": str()})),
		"ArchiveItem": object(schema{
			"meeting_id":        integer(),
			"addendum":          integer(),
			"title":             str(),
			"meeting_starts_at": dateTime(),
			"time_zone":         str(),
			"sealed_at":         dateTime(),
			"sealed_hash":       str(),
			"rank":              about(number(), "A search's."),
			"snippet":           about(str(), "A search's: HTML in which everything is escaped but the <mark> elements around the words that matched."),
		}, "rank", "snippet"),
		"ArchivePage": page("ArchiveItem", nextCursor),
		"MinutesDeadline": object(schema{
			"meeting_id": integer(),
			"title":      str(),
			"time_zone":  str(),
			"held_until": about(dateTime(), "When the meeting ended, which the deadline counts from: the session's close, or its notified end if that came first or the session was never closed."),
			"closed_at":  nullable(dateTime()),
			"deadline":   dateTime(),
			"state":      enum("in_time", "due_soon", "overdue"),
			"status":     enum("not_started", "draft", "in_review"),
			"secretary":  str(),
			"unsigned":   arrayOf(ref("Signer")),
		}),
		"MinutesDeadlineList": page("MinutesDeadline", wholeList),

		"AuditEvent": object(schema{
			"seq":              integer(),
			"at":               dateTime(),
			"actor_account_id": nullable(integer()),
			"action":           str(),
			"subject":          str(),
			"payload":          schema{"type": "object", "additionalProperties": true},
			"prev_hash":        about(str(), "Hex."),
			"hash":             about(str(), "Hex."),
		}),
		"AuditEventPage": page("AuditEvent", about(nullable(str()), "Pass it as ?after_seq= for the next page; null on the last page.")),
		"VerifyReport": object(schema{
			"ok":               boolean(),
			"events":           about(integer(), "Events walked."),
			"head_hash":        about(str(), "Hex; 64 zeros for an empty log."),
			"problems":         arrayOf(ref("VerifyProblem")),
			"problems_omitted": about(integer(), "Problems found beyond those listed."),
			"checked": about(schema{"type": "object", "additionalProperties": integer()},
				"How many records the checks beyond the chain read, by kind: ballots (closed ballots recounted), minutes (documents), motions, elections."),
			"anchor":     ref("ChainHead"),
			"meeting_id": integer(),
		}, "anchor", "meeting_id"),
		"VerifyProblem": object(schema{"seq": integer(), "table": str(), "row": str(), "reason": str()}),
		"Bundle": object(schema{
			"format":         enum("osk-meeting-bundle"),
			"version":        integer(),
			"exported_at":    dateTime(),
			"exported_by":    nullable(integer()),
			"schema_version": integer(),
			"meeting_id":     integer(),
			"chain":          object(schema{"after": ref("ChainHead"), "head": ref("ChainHead")}),
			"tables":         about(schema{"type": "object", "additionalProperties": arrayOf(schema{"type": "object", "additionalProperties": true})}, "Each table's rows, by table name, as PostgreSQL writes them with to_jsonb."),
		}, "tables"),

		"Rules":      object(ruleProps),
		"RulesInput": input(ruleProps, slices.Sorted(maps.Keys(ruleProps))...),
		"Money": object(schema{
			"amount":   about(str(), "A decimal amount, such as \"50.00\"."),
			"currency": about(str(), "ISO 4217, such as EUR."),
		}),
	}
}
