// Package minutes owns the minutes of general meetings and their archive
// (SPEC.md, "Minutes and the archive"): drafting them in Markdown, signing
// them, sealing them, correcting them with addenda, the board's deadline
// warnings, and the members' archive with its full-text search.
//
// # Life cycle
//
// A meeting has one document of minutes and, once they are sealed, any
// number of addenda that correct them, one after the other. Each goes
// draft → in_review (Submit, by the secretary, once the session is
// closed) → signed (the last of the chair's and the minute checkers'
// signatures seals it); in_review → draft when the chair or a checker
// sends it back with a comment (Return). A sent-back version is not
// submitted again: the secretary saves a corrected one.
//
// Every save is a new version (Save); none is ever overwritten, and any
// two can be compared line by line (Diff). Line ends are stored as \n and
// a text ends with one, so that the same text has the same SHA-256
// whichever browser sent it.
//
// The secretary's first draft is pre-filled from the meeting's record:
// the officers, the attendance list and proxies (internal/meetings), and
// each agenda item with its motions' final texts and its elections'
// candidates, counts, elected candidates and lots, with every ballot's
// result and voting list (who was on it, who cast each vote, who voted;
// never a secret ballot's choices), read through MeetingRecord
// (NewMeetingRecord reads internal/motions, internal/elections and
// internal/ballots). MeetingSection links a meeting's page to its
// minutes.
//
// # Signing and the seal
//
// The chair and each checker sign the exact version in review: a
// signature stores the version and its SHA-256 (BodyHash), and a signer
// who names the version they read is refused with errs.Conflict when it
// is not the one in review. When all have signed, the document is sealed
// in the same transaction: the SHA-256 of the canonical JSON of the
// sealed record (seal.go: the version, its text's hash and every
// signature) goes into the audit event minutes.sealed, and that event's
// sequence number and hash, the chain head at that moment, are printed
// on the document. Triggers keep versions, signatures and sealed
// documents from changing (migrations/00011_minutes.sql); Check, run by
// `osk verify`, rehashes everything sealed and compares every version and
// signature, sealed or not, with the audit events that recorded them, to
// find what the triggers cannot stop.
//
// # Who sees what
//
// Sealed documents are for the co-op's members, the board and auditors;
// drafts, versions and comments for the meeting's officers, the board and
// auditors. Only the secretary writes and submits, only the chair and the
// checkers sign or send back. To anyone else, what they may not see does
// not exist (errs.NotFound), and what they may see but not do is
// errs.Forbidden.
//
// The board's dashboard (Deadlines, /minutes/overdue) lists every meeting
// held whose minutes are not sealed, against the deadline of the rules
// (MinutesDeadlineDays after the meeting: the session's close, or its
// notified end if that came first; a session never closed counts from
// that end and shows as still open), read on the injected clock, and
// names who has not signed.
//
// # Doors
//
// Handlers serves API.md's "Minutes", with these additions: the fields of
// Minutes, POST /api/v1/meetings/{id}/minutes/return, GET
// /api/v1/meetings/{id}/minutes/versions and .../versions/{version}, GET
// /api/v1/minutes/overdue, POST /api/v1/meetings/{id}/minutes/addenda,
// and the same routes as the minutes' under
// /api/v1/meetings/{id}/minutes/addenda/{n} for an addendum. The pages
// are /minutes (the archive and its search), /minutes/overdue, and
// /meetings/:id/minutes with its editor, versions and comparison, all
// usable without JavaScript, and printable on A4 with their signatures
// and voting lists.
package minutes
