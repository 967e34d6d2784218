// Package meetings owns the co-op's general meetings (SPEC.md, "General
// meetings" and "Live meetings"): drafting a meeting with its agenda and
// officers, convening it within the notice window of the rules, members'
// requests for agenda items, attendance, proxies, the quorum, and the
// session that the chair opens and closes.
//
// # Life cycle
//
// draft → convened (Convene: the notice is emailed to every active member
// through internal/mail and kept word for word on the meeting) →
// in_session (Open, by the chair, at the earliest OpensBefore the start)
// → closed (Close, which records everyone still present as leaving; its
// confirmation page warns when the meeting lacks a secretary or a minute
// checker, who cannot be appointed after it);
// draft or convened → cancelled (Cancel, with a reason members are told).
// A change the status does not allow is refused with errs.Conflict; a
// closed or cancelled meeting changes no more. Every change runs in one
// transaction with its audit event, its emails and its live events.
//
// Time rules read the injected clock. The notice window is counted in the
// meeting's own calendar (time_zone): no earlier than NoticeMaxMonths and
// no later than NoticeMinDays before the start, NoticeWeightyMinDays when
// an item changes the rules or is flagged weighty. After the notice only
// the place and the remote link may change, and an item may still be
// added while a notice sent now would be in time for it (members get a
// supplementary notice).
//
// A meeting is held on the terms its notice announced: the member motion
// deadline and the proxies allowed are fixed when it is convened
// (Meeting.Terms, migration 00019), so that a later change of the rules
// moves no published deadline and takes away no proxy the notice allowed.
//
// An annual meeting starts with StatutoryAgenda. The board may take items
// off a draft, and is warned while it lacks one that the notice of an
// annual meeting lists (requiredStatutory, found by mark or by title);
// RestoreStatutory puts those back, each in its usual place.
//
// The record date is a moment, stored in UTC: the end of a day in the
// meeting's zone, the day the board chose or else the day the meeting is
// convened. The voting list of a ballot is the members active
// at the record date who are still active and represented when it opens.
//
// # Members' requests for agenda items
//
// A member asks for an item on a convened meeting until its member motion
// deadline (RequestItem), or, while no meeting is announced, for the next
// general meeting (AskBoard; SPEC.md: "before the notice is sent"). The
// latter names no meeting and waits, at most maxWaiting per member, until
// the board decides on it from the requests of a meeting whose agenda may
// still grow (a draft or a convened meeting); the decision attaches it to
// that meeting. Either way the member is told the decision by email.
//
// # Who is represented
//
// A member is present (in person, or remotely when the meeting allows it)
// while they have an open attendance row; an organisation is present
// through its representative, who registers for it with member_id. A
// proxy counts while its holder is present and the grantor is not. Each
// member counts once. Proxies are limited by the rules (allowed at all,
// ProxyMaxPerHolder, counted per person: an organisation's representative
// holds through their own membership and the organisations' together, and
// a change of representative that would exceed it is refused through
// KeepProxyLimits),
// are never chained, and can be withdrawn until a
// ballot used them (MarkProxyUsed). Attendance and proxy rows are never
// deleted. The quorum is counted in one statement (quorumCounts) over
// attendance, proxies and the register's active members. Once the meeting
// is closed, its page counts who was represented over the whole session
// instead (sessionOf), since the close records everyone as leaving.
//
// A member not active on the record date may take part, give and hold
// proxies, but is on no voting list: the page tells them so, and says of
// each proxy whether it carries a vote (votesAt).
//
// # For internal/ballots
//
//   - Get(ctx, id) and Lock(ctx, tx, id): the meeting, the latter FOR SHARE
//     inside the ballot's transaction so the session cannot close under it.
//   - Quorum(ctx, q, id) and Represented(ctx, q, id): the quorum and who is
//     represented now, each with the account that casts their vote.
//   - MarkProxyUsed(ctx, tx, proxyID, ballotID, at).
//   - live.Publish(ctx, tx, at, Topic(id), "ballot", data): ballot events
//     on the meeting's live topic, which the meeting's page already
//     listens to.
//
// # Doors
//
// Handlers serves the pages (/meetings, /meetings/new, /meetings/:id and
// the board's and the chair's forms under it) and API.md's "Meetings",
// with these additions: PATCH and DELETE /api/v1/meetings/{id}/agenda/{item},
// POST /api/v1/meetings/{id}/agenda/statutory,
// GET /api/v1/meetings/{id}/proxies, the agenda requests under
// /api/v1/meetings/{id}/item-requests and, before any notice,
// /api/v1/item-requests (the page /requests), the feed
// GET /api/v1/meetings/calendar.ics, and the optional "member_id" of
// attendance and proxies (an organisation the caller represents, or, for
// the chair and secretary, a member present in the room). A calendar
// program subscribes to /meetings/calendar/{token}, a secret address
// whose hash only is stored. The notice and the page link a meeting's
// calendar file at /meetings/{id}/calendar.ics, the API's file at an
// address that sends a person signed out to sign in and back. The chair
// confirms the close of the session on /meetings/{id}/close.
//
// Domains that depend on meetings write sections of its page through
// WithSections: ballots (first, while members vote), elections and
// minutes. A refusal that a section explains, such as a close refused
// while ballots are open, is marked with ExplainedIn, and the page's
// error summary links to the section.
package meetings
