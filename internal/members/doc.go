// Package members owns the member register of the co-op, its jäsenluettelo
// (SPEC.md, "Members"): applications, the board's admissions and other
// decisions, organisations and their representatives, share contributions,
// former members and the tombstones of erased personal data.
//
// # Life cycle
//
// applicant → active (Admit, which gives the next member number) or
// rejected (Reject); active ↔ suspended (Suspend, Reinstate); active or
// suspended → resigned (Resign) or expelled (Expel). Each transition runs
// in one transaction with its status history row, its email (through
// internal/mail's outbox) and its audit event; a transition the status does
// not allow is refused with errs.Conflict and the reason. A board member
// never decides on a member they act for.
//
// Member numbers are gapless and never reused: the admission transaction
// takes the next one from a single counter row, whose lock it holds until
// it commits, and a trigger keeps a number from changing once given.
// Register rows are never deleted. Erase turns a former member's entry into
// a tombstone: it keeps the member number, the status history and the
// share record but no personal data. To make that possible, audit events
// of this package carry ids, statuses, amounts, dates and reasons, but no
// names or contact details.
//
// # For other domains
//
// Meetings, ballots and notices use these without access checks:
//
//   - Get(ctx, id): one member.
//   - ActingFor(ctx, accountID): the members an account acts for, any
//     status: its own individual membership and the organisations it
//     represents. IndividualOf(ctx, accountID) is the individual one.
//   - ActiveActingFor(ctx, accountID): the active members among them.
//     CallerOf(ctx, p) reads them for a signed-in principal as a Caller,
//     whose IsMember, ActsFor, Own and ActingAs are the member's rights
//     as meetings, motions and elections decide them.
//   - ActiveCount(ctx) and ActiveMembers(ctx): the active members now, the
//     latter with number, kind, name, email and account in one query, for
//     notices to every member.
//   - StatusAt(ctx, id, t), ActiveAt(ctx, id, t) and ActiveIDsAt(ctx, t):
//     who was active at a moment, from member_status_history, so that
//     suspended periods and backdated resignations count. DayStart gives
//     the first moment of a day in the co-op's zone (Europe/Helsinki), for
//     record dates.
//
// The doors of people and scripts use the access-checked methods: GetAs,
// Mine, List, Counts, History, Export (the register as CSV, audited),
// Apply, Admit, Reject, Suspend, Reinstate, Expel, Resign, UpdateContact,
// ChangeRepresentative, RecordShare, SetShareDue and Erase.
//
// # Doors
//
// Handlers serves the pages (/apply, /membership, /members, /members/:id
// and one page per board action) and the JSON API of API.md ("Members"),
// with these additions: PATCH /api/v1/members/{id} (contact details),
// GET /api/v1/members/{id}/history, POST /api/v1/members/{id}/share-payments,
// PUT /api/v1/members/{id}/share-due, PUT /api/v1/members/{id}/representative
// and POST /api/v1/members/{id}/erase. Lists answer
// {"items": [...], "next_cursor": "..." or null}, in order of member number
// with applicants last, paged by keyset. MemberOf is the hook of
// GET /api/v1/me.
package members
