package ballots_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/ballots"
)

// The rules below were foreign keys and row triggers until the voting
// list and the votes came to be written a million rows at a time; they
// are statement-level triggers now (migrations/00014_ballots_set_based.sql).
// Each test has PostgreSQL itself refuse the write.

// wantRefused fails unless err is PostgreSQL's refusal with the SQLSTATE
// code and a message holding words.
func wantRefused(t testing.TB, what string, err error, code, words string) {
	t.Helper()
	var pqErr *pq.Error
	switch {
	case err == nil:
		t.Errorf("%s: allowed", what)
	case !errors.As(err, &pqErr):
		t.Errorf("%s: %v, want a refusal by PostgreSQL", what, err)
	case string(pqErr.Code) != code || !strings.Contains(pqErr.Message, words):
		t.Errorf("%s: %s %q, want %s and %q", what, pqErr.Code, pqErr.Message, code, words)
	}
}

// attempt runs a statement inside tx behind a savepoint, so that tx goes
// on after a refusal, and returns its error.
func attempt(t testing.TB, tx *sqlx.Tx, stmt string, args ...any) error {
	t.Helper()
	if _, err := tx.Exec(`SAVEPOINT attempt`); err != nil {
		t.Fatal(err)
	}
	_, err := tx.Exec(stmt, args...)
	if _, rerr := tx.Exec(`ROLLBACK TO SAVEPOINT attempt`); rerr != nil {
		t.Fatal(rerr)
	}
	return err
}

// openIn opens a ballot on a new made-up motion inside tx, which may then
// write more of its voting list.
func (f *fixture) openIn(tx *sqlx.Tx, p auth.Principal, spec ballots.OpenSpec) ballots.Ballot {
	f.t.Helper()
	f.mu.Lock()
	f.subject++
	spec.Kind, spec.SubjectID, spec.Majority = ballots.KindMotion, f.subject, ballots.MajoritySimple
	f.mu.Unlock()
	b, err := f.svc.Open(f.ctx, tx, p, spec)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

func TestSchema_AVotingListNamesOnlyWhatExists(t *testing.T) {
	f := newFixture(t)
	h := newHall(f)
	tx, err := f.inst.DB.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	b := f.openIn(tx, h.chair, ballots.OpenSpec{MeetingID: h.m.ID})
	line := `INSERT INTO ballot_voters (ballot_id, member_id, member_no, voter_account_id, cast_by, proxy_id) VALUES ($1, $2, $3, $4, $5, $6)`
	grace, graceNo, alice := h.graceM.ID, *h.graceM.MemberNo, h.alice.AccountID

	// The transaction that opens the ballot may add to its list, Grace
	// voting herself, but only lines that name what exists.
	for _, c := range []struct {
		what        string
		args        []any
		code, words string
	}{
		{"a ballot that does not exist", []any{b.ID + 1000, grace, graceNo, h.grace.AccountID, "self", nil}, "23503", "ballot"},
		{"a member not in the register", []any{b.ID, int64(987654321), graceNo, h.grace.AccountID, "self", nil}, "23503", "not in the register"},
		{"a member under another's number", []any{b.ID, grace, *h.aliceM.MemberNo, h.grace.AccountID, "self", nil}, "23000", "the register gave them"},
		{"an account that does not exist", []any{b.ID, grace, graceNo, int64(987654321), "self", nil}, "23503", "account 987654321"},
		{"a proxy that does not exist", []any{b.ID, grace, graceNo, alice, "proxy", int64(987654321)}, "23503", "proxy 987654321"},
		{"a member twice", []any{b.ID, h.aliceM.ID, *h.aliceM.MemberNo, alice, "self", nil}, "23505", "ballot_voters_pkey"},
	} {
		wantRefused(t, c.what, attempt(t, tx, line, c.args...), c.code, c.words)
	}
	if err := attempt(t, tx, line, b.ID, grace, graceNo, alice, "proxy", h.bobProxy.ID); err != nil {
		t.Fatalf("a line that names what exists: %v", err)
	}
	// Many lines at once are checked alike: one bad line refuses them all.
	many := `INSERT INTO ballot_voters (ballot_id, member_id, member_no, voter_account_id, cast_by)
		SELECT $1, m.id, m.member_no, m.account_id, 'self' FROM members m WHERE m.id = ANY($2::bigint[])`
	wantRefused(t, "a list with one member under the wrong number",
		attempt(t, tx, `INSERT INTO ballot_voters (ballot_id, member_id, member_no, voter_account_id, cast_by)
			SELECT $1, m.id, m.member_no + CASE WHEN m.id = $3 THEN 1000 ELSE 0 END, m.account_id, 'self'
			FROM members m WHERE m.id = ANY($2::bigint[])`,
			b.ID, pq.Array([]int64{grace, h.henryM.ID}), h.henryM.ID), "23000", "the register gave them")
	if err := attempt(t, tx, many, b.ID, pq.Array([]int64{grace, h.henryM.ID})); err != nil {
		t.Fatalf("a list that names what exists: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	// Nobody else writes the list, with lines that are right or not, nor
	// its size and hash, which the opening set once it had written it.
	for _, args := range [][]any{{b.ID, grace, graceNo, h.grace.AccountID, "self", nil}, {b.ID, int64(987654321), graceNo, h.grace.AccountID, "self", nil}} {
		_, err := f.inst.DB.Exec(line, args...)
		wantRefused(t, "a line written after the opening", err, "42501", "frozen")
	}
	for _, stmt := range []string{
		`UPDATE ballots SET eligible = eligible + 1 WHERE id = $1`,
		`UPDATE ballots SET voting_list_hash = decode(repeat('00', 32), 'hex') WHERE id = $1`,
	} {
		_, err := f.inst.DB.Exec(stmt, b.ID)
		wantRefused(t, stmt, err, "42501", "never change")
	}
}

func TestSchema_AVoteNamesItsBallotsListedMember(t *testing.T) {
	f := newFixture(t)
	h := newHall(f)
	open := f.openBallot(h.chair, ballots.OpenSpec{MeetingID: h.m.ID})
	secret := f.openBallot(h.chair, ballots.OpenSpec{MeetingID: h.m.ID, Secret: true})
	closed := f.openBallot(h.chair, ballots.OpenSpec{MeetingID: h.m.ID})
	f.vote(h.alice, closed.ID, ballots.ChoiceFor, &h.aliceM.ID)
	f.close(h.chair, closed.ID)
	n := 0
	receipt := func() string {
		n++
		return fmt.Sprintf(`decode(lpad(to_hex(%d), 64, '0'), 'hex')`, n)
	}
	vote := func(ballotID int64, member, account any) (string, []any) {
		return `INSERT INTO ballot_votes (receipt_hash, ballot_id, choice, member_id, cast_by_account_id) VALUES (` + receipt() + `, $1, 'for', $2, $3)`,
			[]any{ballotID, member, account}
	}
	tx, err := f.inst.DB.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	for _, c := range []struct {
		what        string
		ballot      int64
		member, acc any
		code, words string
	}{
		{"a vote of a ballot that does not exist", closed.ID + 1000, nil, nil, "42501", "closed"},
		{"a vote of a closed ballot", closed.ID, h.chairM.ID, h.chair.AccountID, "42501", "closed"},
		{"a vote of a secret ballot naming its member", secret.ID, h.aliceM.ID, h.alice.AccountID, "42501", "secret"},
		{"a vote of an open ballot naming nobody", open.ID, nil, nil, "23000", "names its member"},
		{"a vote of a member not on the list", open.ID, h.henryM.ID, h.henry.AccountID, "23503", "not on its voting list"},
		{"a vote of a member not in the register", open.ID, int64(987654321), h.alice.AccountID, "23503", "not on its voting list"},
		{"a vote cast by an account that does not exist", open.ID, h.aliceM.ID, int64(987654321), "23503", "account 987654321"},
	} {
		stmt, args := vote(c.ballot, c.member, c.acc)
		wantRefused(t, c.what, attempt(t, tx, stmt, args...), c.code, c.words)
	}
	// Several ballots in one statement: the closed one refuses them all.
	wantRefused(t, "votes of an open and a closed ballot at once", attempt(t, tx,
		`INSERT INTO ballot_votes (receipt_hash, ballot_id, choice) VALUES (`+receipt()+`, $1, 'for'), (`+receipt()+`, $2, 'for')`,
		secret.ID, closed.ID), "42501", "closed")
	// What the foreign keys allowed, the triggers allow: a listed member's
	// vote cast by another account that exists, and a secret vote.
	stmt, args := vote(open.ID, h.aliceM.ID, h.chair.AccountID)
	if err := attempt(t, tx, stmt, args...); err != nil {
		t.Fatalf("a listed member's vote: %v", err)
	}
	stmt, args = vote(secret.ID, nil, nil)
	if err := attempt(t, tx, stmt, args...); err != nil {
		t.Fatalf("a secret vote: %v", err)
	}

	// A vote is final: only the close of its own ballot rewrites it.
	f.vote(h.alice, secret.ID, ballots.ChoiceFor, &h.aliceM.ID)
	f.vote(h.alice, open.ID, ballots.ChoiceFor, &h.aliceM.ID)
	for _, c := range []struct {
		what, sealing, stmt string
		ballot              int64
		code                string
	}{
		{"a vote removed", "", `DELETE FROM ballot_votes WHERE ballot_id = $1`, secret.ID, "42501"},
		{"a vote removed while sealing another ballot", fmt.Sprint(open.ID), `DELETE FROM ballot_votes WHERE ballot_id = $1`, secret.ID, "42501"},
		{"a vote of a closed ballot removed while sealing it", fmt.Sprint(closed.ID), `DELETE FROM ballot_votes WHERE ballot_id = $1`, closed.ID, "42501"},
		{"a vote changed", fmt.Sprint(secret.ID), `UPDATE ballot_votes SET choice = 'against' WHERE ballot_id = $1`, secret.ID, "42501"},
	} {
		if _, err := tx.Exec(`SELECT set_config('osk.sealing_ballot', $1, true)`, c.sealing); err != nil {
			t.Fatal(err)
		}
		wantRefused(t, c.what, attempt(t, tx, c.stmt, c.ballot), c.code, "")
	}
	if _, err := tx.Exec(`SELECT set_config('osk.sealing_ballot', $1, true)`, fmt.Sprint(secret.ID)); err != nil {
		t.Fatal(err)
	}
	if err := attempt(t, tx, `DELETE FROM ballot_votes WHERE ballot_id = $1`, secret.ID); err != nil {
		t.Fatalf("the seal of a secret ballot: %v", err)
	}
}

func TestSchema_WhatAListOrAVoteNamesStays(t *testing.T) {
	f := newFixture(t)
	h := newHall(f)
	// Accounts named by nothing else: one casts a listed member's vote, one
	// is written on a line of the list. Their deletion is left to what the
	// foreign keys into accounts used to check.
	caster, lined, spare := f.person("Caster"), f.person("Lined"), f.person("Spare")
	// A member whom no other row names, as a register imported by hand
	// could hold.
	var loneID int64
	if err := f.inst.DB.Get(&loneID, `INSERT INTO members (member_no, kind, status, account_id, name, email, country,
			rules_accepted_at, applied_at, admitted_at)
		VALUES (900001, 'individual', 'active', $1, 'Lone Member', 'lone@example.org', 'FI', now(), now(), now())
		RETURNING id`, spare.AccountID); err != nil {
		t.Fatal(err)
	}
	tx, err := f.inst.DB.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	b := f.openIn(tx, h.chair, ballots.OpenSpec{MeetingID: h.m.ID})
	if _, err := tx.Exec(`INSERT INTO ballot_voters (ballot_id, member_id, member_no, voter_account_id, cast_by)
		VALUES ($1, $2, $3, $4, 'self'), ($1, $5, 900001, $6, 'self')`,
		b.ID, h.graceM.ID, *h.graceM.MemberNo, lined.AccountID, loneID, spare.AccountID); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.inst.DB.Exec(`INSERT INTO ballot_votes (receipt_hash, ballot_id, choice, member_id, cast_by_account_id)
		VALUES (decode(repeat('ab', 32), 'hex'), $1, 'for', $2, $3)`, b.ID, h.aliceM.ID, caster.AccountID); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct{ what, stmt string }{
		{"the account that cast a vote deleted", fmt.Sprintf(`DELETE FROM accounts WHERE id = %d`, caster.AccountID)},
		{"the account that cast a vote renumbered", fmt.Sprintf(`UPDATE accounts SET id = id + 1000000 WHERE id = %d`, caster.AccountID)},
		{"an account on the voting list deleted", fmt.Sprintf(`DELETE FROM accounts WHERE id = %d`, lined.AccountID)},
		{"a member on the voting list renumbered", fmt.Sprintf(`UPDATE members SET id = id + 1000000 WHERE id = %d`, loneID)},
		{"a proxy on the voting list renumbered", fmt.Sprintf(`UPDATE meeting_proxies SET id = id + 1000000 WHERE id = %d`, h.bobProxy.ID)},
	} {
		_, err := f.inst.DB.Exec(c.stmt)
		wantRefused(t, c.what, err, "23503", "named by a voting list or a vote")
	}
	// Keys that stay, and accounts named by no list and no vote, are as
	// free as the foreign keys left them.
	for _, stmt := range []string{
		fmt.Sprintf(`UPDATE accounts SET id = id WHERE id = %d`, caster.AccountID),
		fmt.Sprintf(`UPDATE accounts SET id = id + 1000000 WHERE id = %d`, f.person("Nobody").AccountID),
		fmt.Sprintf(`DELETE FROM accounts WHERE id = %d`, f.person("Nobody Either").AccountID),
	} {
		if _, err := f.inst.DB.Exec(stmt); err != nil {
			t.Errorf("%s: %v", stmt, err)
		}
	}
}
