// Package ballots owns Osk's ballots (SPEC.md, "Ballots: one member, one
// vote"): one ballot mechanism for two kinds of question, a motion's (for,
// against, abstain, with a required majority) and an election's
// (candidates and seats), with its frozen voting list, its votes and
// receipts, its count and its public record.
//
// # For other domains
//
// Motions and elections put a question to the vote by calling Open
// inside their own transaction, so that the question's status and the
// ballot change together, and learn the outcome through the hook they
// register with OnDecided, which runs inside the transaction that decides
// the ballot (the close, or the chair's casting vote after a tie).
// OnDescribe names the question on the ballot's pages, and OnNames an
// election's candidates on its result. Imports flow one way: this package
// knows meetings and members, never motions or elections. MeetingSection
// lists the undecided ballots first on a meeting's page, each with a link
// to vote, while the meeting sits (or, for advance voting, is convened);
// RefuseUndecided keeps the session from closing under them, and its
// refusal links to that section.
//
// # Elections
//
// An election is counted by Plurality when its ballot closes. A tie for
// the last seat is decided by lot, drawn from the audit chain head read
// inside the closing transaction just before the close's own event: the
// event that closes the ballot chains onto it (its prev_hash), so Check
// redraws every lot from the log alone. The head is read FOR UPDATE and
// held to the commit, so that no other event can come in between.
//
// # One member, one vote
//
// The voting list (ballot_voters) is written by the transaction that
// opens the ballot and by nobody else; its primary key holds each member
// once. A vote flips its member from not voted to voted in one
// conditional UPDATE, inside a transaction that holds the ballot's row
// FOR SHARE; the close holds it FOR UPDATE, so every vote is either in the
// count or refused. Both first pass the ballot's gate, an advisory lock
// that queues fairly, so that steady voting cannot keep the close waiting.
// The same UPDATE requires the vote to stand when it is cast
// (standsToVote): the list froze who may vote, but a member suspended or
// gone since, a representative replaced since, or a proxy holder no
// longer active casts nothing, and an auditor never votes. The list froze
// an organisation's vote as its representative's to cast, not a person's:
// when the board replaces the representative, the lines not yet voted
// pass to the new one in that transaction (HandOver, migration 00018). A
// refused vote by someone who may not see the ballot is answered as
// reading it would be: there is no such ballot. The chair
// closes a ballot, an advance one too, only in the meeting's session.
// Triggers keep votes final and make votes and voting lists of a closed
// ballot permanent. Nothing of this lives in the application's memory: it
// holds across any number of instances.
//
// # Secrecy
//
// A vote row is keyed by the SHA-256 of its receipt and holds the choice;
// in a secret ballot it holds no member, no account and no time, and the
// audit event that marks the member as voted holds no receipt and no
// choice. Votes are written in order of receipt hash, and the close of a
// secret ballot rewrites all of its votes in that order, so that after the
// close neither the rows' physical order nor their transaction ids follow
// the order of voting. (An open ballot's votes are left as they are: the
// audit log records each with its member, its choice and its time.) What
// remains, and what Osk cannot remove from inside the database: while a
// ballot is open, a vote row shares its transaction id with the voting
// list lines and audit events of the votes committed with it, which
// someone reading the database's system columns can use, and
// PostgreSQL's write-ahead log and not yet vacuumed row versions keep the
// order of voting. Those who run the database must be trusted not to look
// until the close; the group commit narrows what they could learn to a
// batch.
//
// # Receipts and the record
//
// A receipt is 128 random bits, written as 26 lower-case letters and
// digits, shown once; only the SHA-256 of its text is stored. The record
// of a decided ballot (Record) lists every (receipt_hash, choice), in an
// open ballot with the member number, and the member numbers of those who
// voted. record_hash is the SHA-256 of the canonical JSON
// (internal/audit/CANONICAL.md) of the record's ballot, result, votes and
// voters as served, and is carried by the audit event that decided the
// ballot, which the record prints as its chain head. Check recounts every
// closed ballot and rehashes every record for `osk verify`.
//
// # Throughput
//
// A vote is one short transaction of index lookups only. While RunVotes
// runs, votes are committed in groups (batch.go): many votes and their
// audit events in one transaction, each caller answered after that
// commit, so that the audit chain's head is taken once per group rather
// than once per vote. The plain votes of a group are checked against the
// voting list and marked as voted by one statement each; any other vote
// goes alone, in a savepoint of its own. Two groups are under way at once,
// each on a connection of its own, so that one is checked while the
// other holds the chain's head. RunTurnout publishes the live turnout at
// most once a second per ballot, outside the votes' transactions.
//
// # Doors
//
// Handlers serves the JSON API of API.md ("Ballots") with these additions:
// BALLOT also carries meeting_id, kind, majority, record_date, closed_at,
// decided_at and record_hash; RESULT also carries voted,
// awaiting_casting_vote and casting_vote, and its outcome is null while a
// tie waits for the casting vote; a vote's answer also names ballot_id and
// on_behalf_of_member_id. A vote request may carry an Idempotency-Key
// header: a retry with the key of a recorded vote answers 200 with
// {"recorded": true, "receipt": null, "detail"} and makes no second vote
// (the choice is not compared: nothing derived from it is stored next to
// the voter); the key used for another member's vote answers 422. The
// pages are /ballots/:id (the vote forms, one per member whose vote the
// viewer casts; the chair's close and casting vote), /ballots/:id/record
// and /receipts.
package ballots
