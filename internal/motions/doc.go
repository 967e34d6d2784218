// Package motions owns the motions of general meetings (SPEC.md,
// "Motions"): main motions and the amendments to them, every version of a
// motion's text, and putting a motion to a vote.
//
// # Life cycle
//
// submitted → seconded → voting → carried | failed | no_quorum, and
// withdrawn from submitted or seconded. A member's motion starts
// submitted and needs a seconder: another active member, never the
// proposing member nor the account that proposed it (refused with
// errs.Forbidden). The board's motions need no seconder: they start
// seconded, with no seconder, and can go to a vote at once. A motion is
// withdrawn before its vote by whoever acts for the proposing member, or
// for a board motion by the board. A step the status does not allow is
// refused with errs.Conflict and the reason; so is any change once the
// meeting is closed or cancelled.
//
// # Proposing
//
// Members propose main motions to a convened meeting until its member
// motion deadline (internal/meetings, from the rules' member motion
// deadline days), and amendments until the motion they amend goes to a
// vote, during the session too. The board proposes at any time before the
// vote, drafts included. A caller on the board proposes for the board
// unless they name the member they propose as (member_id); an
// organisation's representative names the organisation the same way.
//
// The required majority is simple unless the board sets another (only the
// board may): when it proposes, or later with SetMajority, on any motion or
// amendment, a member's too (SPEC.md: "as do motions the board marks as
// needing it"), until the motion is put to a vote, whose ballot fixes it.
// A motion on an agenda item that changes the rules needs at least two
// thirds: that is its default, a weaker choice is refused with a
// validation error on "majority", and a motion whose item was flagged
// after it was proposed goes to its vote with two thirds.
//
// # Amendments
//
// An amendment is a motion that amends a main motion of the same meeting,
// under the same agenda item; amendments of amendments are refused. Its
// body is not a description of the change but the whole new text of the
// main motion, written against the main motion's current version
// (based_on_version). Amendments are voted on before the main motion,
// which cannot go to a vote while any of its amendments is seconded or
// voting. An amendment nobody seconded holds nothing back: when the chair
// puts the main motion to the vote it falls (it stays submitted, can be
// seconded no more, and its page says it fell), as in any meeting. When an
// amendment carries, its text becomes the main motion's next version;
// earlier versions are kept (motion_versions, which nothing may update or
// delete). As an amendment replaces the whole text, one carried over
// another's change would undo that change: so the amendments of a motion
// are voted on one at a time, and an amendment written against an earlier
// version than the current one cannot be put to a vote (errs.Conflict,
// naming the amendment that changed the text); its proposer proposes it
// again on the current text. Such an amendment holds nothing back either:
// it falls like one nobody seconded. Should the text still have changed
// under an amendment's ballot, the close refuses to carry it. Withdrawing
// a main motion withdraws its open amendments with it; it is refused while
// one of them is being voted on.
//
// # Ballots
//
// OpenBallot checks who may open the ballot (the chair in the session,
// the board for an advance ballot before it), then that the motion is
// ready, and calls internal/ballots' Open inside its own transaction, so
// that the motion becomes voting exactly when its ballot opens; Open
// applies the same rule of who may open with the rules and the quorum, and
// freezes the voting list. Decided is the hook internal/ballots calls, in the
// transaction that decides a ballot on a motion, to record the outcome.
//
// # Who sees motions
//
// The board and auditors see the motions of every meeting; members and
// the meeting's officers those of every meeting but drafts. To anyone
// else a motion does not exist (errs.NotFound).
//
// # Doors
//
// Handlers serves the JSON API of API.md ("Motions", and
// POST /api/v1/motions/{id}/ballots), answering MOTION with the additions
// of Motion and, for one motion, Detail (its amendments and versions);
// with these additions: GET /api/v1/meetings/{id}/motions lists a
// meeting's motions ({"items", "next_cursor"}, in the order proposed),
// the bodies of POST /api/v1/meetings/{id}/motions and
// POST /api/v1/motions/{id}/second take an optional member_id, and
// PUT /api/v1/motions/{id}/majority (body {"majority"}, the board's)
// sets the majority a motion needs. The pages are /meetings/:id/motions
// (the list and the form to propose) and /motions/:id (the text, its
// versions and amendments, and the forms to second, withdraw, amend, set
// the majority and put it to a vote), all usable without JavaScript.
package motions
