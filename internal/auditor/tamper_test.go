package auditor_test

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auditor"
	"github.com/citizen-network/osk/internal/server"
)

var (
	tamperSeed  = flag.Uint64("tamper.seed", 0, "replay TestVerify_FindsEachTamperingAtItsRow with this seed (0: a new one)")
	tamperCount = flag.Int("tamper.n", 1000, "the number of changes TestVerify_FindsEachTamperingAtItsRow makes")
)

// The tampering test changes one row of the record at a time, directly in
// the database with every trigger and foreign key off, as a superuser
// could, and requires `osk verify` (auditor.Verify with the server's
// checks) to report the change at the row changed. Each change is made in
// a transaction that is rolled back after the verification, so that every
// change meets an untouched record.
//
// The changes are edits of one column, deletions, reorders (two rows
// exchange their contents, keeping their keys) and insertions of a copied
// or forged row, in the audit log, the votes, the voting lists, the
// minutes, their versions and their signatures, the motions and their
// texts, and the elections and their candidates. Where a change is
// reported:
//
//   - an audit event at its sequence number (audit_events seq=N, or
//     audit_head at N when the change is at the head);
//   - a vote at its receipt (ballot_votes receipt_hash=…), or at its
//     ballot (ballots id=B, ballot_votes ballot_id=B) when only the count
//     or the record's hash shows it, as in a secret ballot; a vote moved
//     to another ballot, at the ballot it left;
//   - a line of a voting list at its member (ballot_voters
//     ballot_id=B,member_id=M, the old or the new member), or at its
//     ballot when only the voting list's hash shows it;
//   - a document of minutes at its id, a version at its key, or at its
//     document;
//   - a signature at its id, or, once deleted, at its document or at the
//     audit event that recorded it;
//   - a motion, an election or a candidate at its id, a version of a
//     motion's text at its key (the old one, for a version moved), or at
//     its motion.
//
// Reorders are reported at both rows.
//
// Not changed, because no hash and no event fixes them: the columns the
// database fills for its own work (a voter's idempotency_hash), the times
// of drafting steps that no event records to the microsecond (minutes'
// created_at and submitted_at, versions' created_at), the title of sealed
// minutes, and, for a member who did not vote,
// the account and the proxy through which they could have voted
// (voter_account_id and proxy_id), which the voting list's hash does not
// cover; for a member who voted they are checked against the audit log.
// Nor what no event of motions and elections records: the agenda item of
// a motion or an election (removing an item from a draft agenda unlinks
// it), the times and accounts of their steps, an election's title, a
// candidate's statement, and the name of a candidate who was never on a
// decided ballot (the record of one names its candidates).
func TestVerify_FindsEachTamperingAtItsRow(t *testing.T) {
	r := newRecord(t)
	ctx := context.Background()
	seed := *tamperSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d: replay with go test ./internal/auditor -run TestVerify_FindsEachTamperingAtItsRow -args -tamper.seed=%d", seed, seed)

	rep, err := auditor.Verify(ctx, r.inst.DB, server.Checks()...)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Fatalf("the untouched record has problems:\n%s", describe(rep))
	}
	rows := loadRows(t, r)
	tampers := []struct {
		table string
		make  func(rng *rand.Rand, kind string) *mutation
	}{
		{"audit_events", rows.event},
		{"ballot_votes", rows.vote},
		{"ballot_voters", rows.voter},
		{"minutes", rows.doc},
		{"minutes_versions", rows.version},
		{"minutes_signatures", rows.signature},
		{"motions", rows.motion},
		{"motion_versions", rows.motionText},
		{"elections", rows.election},
		{"election_candidates", rows.candidate},
	}
	kinds := []string{"edit", "delete", "reorder", "insert"}
	// Change i is drawn from a generator of its own, so that it is the
	// same whichever worker makes it; a change the schema's own
	// constraints refuse (a unique key, a CHECK, which no trigger switch
	// lets through) is drawn again.
	type outcome struct {
		key, what string
		rep       audit.Report
		refused   int
		err       error
	}
	change := func(i int) outcome {
		var o outcome
		for attempt := uint64(0); ; attempt++ {
			rng := rand.New(rand.NewPCG(seed, uint64(i)<<16|attempt))
			tm := tampers[rng.IntN(len(tampers))]
			kind := kinds[rng.IntN(len(kinds))]
			m := tm.make(rng, kind)
			o.key, o.what = tm.table+" "+kind, m.what
			rep, applied, err := verifyWith(ctx, r, m)
			switch {
			case err != nil:
				o.err = err
				return o
			case !applied && attempt < 100:
				o.refused++
				continue
			case !applied:
				o.err = errors.New("refused 100 times")
				return o
			}
			o.rep = rep
			if rep.OK {
				o.err = errors.New("verify found nothing wrong")
				return o
			}
			for _, group := range m.expect {
				if !found(rep, group) {
					o.err = fmt.Errorf("no problem names %v:\n%s", group, describe(rep))
					return o
				}
			}
			return o
		}
	}
	// Two at a time: the verifications wait on the database more than
	// they compute.
	const workers = 2
	outcomes := make([]outcome, *tamperCount)
	jobs := make(chan int)
	var wg sync.WaitGroup
	var failed atomic.Bool
	started := time.Now()
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				if !failed.Load() {
					outcomes[i] = change(i)
					failed.CompareAndSwap(false, outcomes[i].err != nil)
				}
			}
		})
	}
	for i := range outcomes {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	done := map[string]int{}
	refused := 0
	for i, o := range outcomes {
		if o.err != nil {
			t.Fatalf("change %d (seed %d), %s: %v", i, seed, o.what, o.err)
		}
		done[o.key]++
		refused += o.refused
	}
	var summary []string
	for _, tm := range tampers {
		for _, kind := range kinds {
			key := tm.table + " " + kind
			if done[key] == 0 && *tamperCount >= 500 {
				t.Errorf("no change was a %s", key)
			}
			summary = append(summary, fmt.Sprintf("%s: %d", key, done[key]))
		}
	}
	t.Logf("%d changes in %s, each reported at its row (%d refused by the schema and drawn again): %s",
		*tamperCount, time.Since(started).Round(time.Millisecond), refused, strings.Join(summary, ", "))
}

// mutation is one change of one row and where verify must report it:
// for each group, some problem naming one of its spots.
type mutation struct {
	what   string
	apply  func(ctx context.Context, tx *sqlx.Tx) error
	expect [][]spot
}

// spot is a place a problem may name: a table's row, or, with row empty,
// a table at a sequence number.
type spot struct {
	table, row string
	seq        int64
}

func (s spot) String() string {
	if s.row == "" {
		return fmt.Sprintf("%s at %d", s.table, s.seq)
	}
	return s.table + " " + s.row
}

func found(rep audit.Report, group []spot) bool {
	for _, p := range rep.Problems {
		for _, s := range group {
			if p.Table == s.table && ((s.row == "" && p.Seq == s.seq) || (s.row != "" && p.Row == s.row)) {
				return true
			}
		}
	}
	return false
}

// errRefused marks a change the schema refused.
var errRefused = errors.New("refused by the schema")

// verifyWith makes the change in a transaction with triggers and foreign
// keys off, verifies inside it, and rolls it back.
func verifyWith(ctx context.Context, r *record, m *mutation) (audit.Report, bool, error) {
	tx, err := r.inst.DB.BeginTxx(ctx, nil)
	if err != nil {
		return audit.Report{}, false, err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
		return audit.Report{}, false, err
	}
	if err := m.apply(ctx, tx); err != nil {
		var pqErr *pq.Error
		// An integrity constraint, or a deadlock with the other worker's
		// change of the same two rows.
		if errors.As(err, &pqErr) && (pqErr.Code.Class() == "23" || pqErr.Code == "40P01") {
			return audit.Report{}, false, nil
		}
		if errors.Is(err, errRefused) {
			return audit.Report{}, false, nil
		}
		return audit.Report{}, false, err
	}
	rep, err := auditor.Verify(ctx, tx, server.Checks()...)
	return rep, true, err
}

// exec runs a statement that must change exactly one row.
func exec(ctx context.Context, tx *sqlx.Tx, query string, args ...any) error {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", query, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("%s changed %d rows, want 1 (%v)", query, n, err)
	}
	return nil
}

// rowKey selects one row.
type rowKey struct {
	where string
	args  []any
}

func readRow(ctx context.Context, tx *sqlx.Tx, table string, k rowKey) (map[string]any, error) {
	var raw []byte
	if err := tx.GetContext(ctx, &raw, `SELECT to_jsonb(t) FROM `+table+` t WHERE `+k.where, k.args...); err != nil {
		return nil, fmt.Errorf("read %s %v: %w", table, k.args, err)
	}
	var row map[string]any
	if err := json.Unmarshal(raw, &row); err != nil {
		return nil, err
	}
	return row, nil
}

func insertRow(ctx context.Context, tx *sqlx.Tx, table string, row map[string]any) error {
	var columns []string
	err := tx.SelectContext(ctx, &columns, `SELECT attname FROM pg_attribute
		WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum`, table)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(row)
	if err != nil {
		return err
	}
	list := strings.Join(columns, ", ")
	_, err = tx.ExecContext(ctx, fmt.Sprintf(`INSERT INTO %s (%s) SELECT %s FROM jsonb_populate_record(NULL::%s, $1::jsonb)`,
		table, list, list, table), string(raw))
	return err
}

// copyRow inserts a copy of a row, changed by change.
func copyRow(ctx context.Context, tx *sqlx.Tx, table string, k rowKey, change func(row map[string]any)) error {
	row, err := readRow(ctx, tx, table, k)
	if err != nil {
		return err
	}
	change(row)
	return insertRow(ctx, tx, table, row)
}

// swapRows exchanges the columns of two rows, by deleting both and
// inserting them again, so that no unique key clashes half-way.
func swapRows(ctx context.Context, tx *sqlx.Tx, table string, a, b rowKey, columns ...string) error {
	ra, err := readRow(ctx, tx, table, a)
	if err != nil {
		return err
	}
	rb, err := readRow(ctx, tx, table, b)
	if err != nil {
		return err
	}
	same := true
	for _, c := range columns {
		if fmt.Sprint(ra[c]) != fmt.Sprint(rb[c]) {
			same = false
		}
		ra[c], rb[c] = rb[c], ra[c]
	}
	if same {
		return fmt.Errorf("swap of identical %s rows %v and %v: %w", table, a.args, b.args, errRefused)
	}
	for _, k := range []rowKey{a, b} {
		if err := exec(ctx, tx, `DELETE FROM `+table+` WHERE `+k.where, k.args...); err != nil {
			return err
		}
	}
	if err := insertRow(ctx, tx, table, ra); err != nil {
		return err
	}
	return insertRow(ctx, tx, table, rb)
}

// recordRows are the rows of the record the test changes, read once: each
// change is rolled back.
type recordRows struct {
	head        int64
	votes       []voteRow
	voters      []voterRow
	docs        []int64
	versions    []versionRow
	sigs        []sigRow
	ballots     []int64
	motions     []motionRow
	motionTexts []motionTextRow
	elections   []electionRow
	candidates  []candidateRow
}

type voteRow struct {
	Receipt []byte `db:"receipt_hash"`
	Ballot  int64  `db:"ballot_id"`
	Secret  bool   `db:"secret"`
	Kind    string `db:"kind"`
}

func (v voteRow) key() rowKey { return rowKey{"receipt_hash = $1", []any{v.Receipt}} }

// at is where a change of the vote is reported.
func (v voteRow) at(receipt []byte) []spot {
	return []spot{{table: "ballot_votes", row: "receipt_hash=" + hex.EncodeToString(receipt)},
		{table: "ballot_votes", row: fmt.Sprintf("ballot_id=%d", v.Ballot)}, {table: "ballots", row: fmt.Sprintf("id=%d", v.Ballot)}}
}

type voterRow struct {
	Ballot int64  `db:"ballot_id"`
	Member int64  `db:"member_id"`
	Voted  bool   `db:"voted"`
	CastBy string `db:"cast_by"`
}

func (v voterRow) key() rowKey {
	return rowKey{"ballot_id = $1 AND member_id = $2", []any{v.Ballot, v.Member}}
}

func (v voterRow) at(members ...int64) []spot {
	out := []spot{{table: "ballot_voters", row: fmt.Sprintf("ballot_id=%d", v.Ballot)}, {table: "ballots", row: fmt.Sprintf("id=%d", v.Ballot)}}
	for _, m := range append([]int64{v.Member}, members...) {
		out = append(out, spot{table: "ballot_voters", row: fmt.Sprintf("ballot_id=%d,member_id=%d", v.Ballot, m)})
	}
	return out
}

type versionRow struct {
	Doc     int64 `db:"minutes_id"`
	Version int   `db:"version"`
}

func (v versionRow) key() rowKey {
	return rowKey{"minutes_id = $1 AND version = $2", []any{v.Doc, v.Version}}
}

func (v versionRow) at() []spot {
	return []spot{{table: "minutes_versions", row: fmt.Sprintf("minutes_id=%d,version=%d", v.Doc, v.Version)}, docAt(v.Doc)}
}

type sigRow struct {
	ID      int64 `db:"id"`
	Doc     int64 `db:"minutes_id"`
	Version int   `db:"version"`
	Account int64 `db:"account_id"`
	// Event is the audit event that recorded the signature.
	Event int64 `db:"event"`
}

func (s sigRow) key() rowKey { return rowKey{"id = $1", []any{s.ID}} }

func (s sigRow) at() []spot {
	return []spot{{table: "minutes_signatures", row: fmt.Sprintf("id=%d", s.ID)}, docAt(s.Doc),
		{table: "audit_events", row: fmt.Sprintf("seq=%d", s.Event)}}
}

func docAt(id int64) spot { return spot{table: "minutes", row: fmt.Sprintf("id=%d", id)} }

func eventAt(seq int64) []spot {
	return []spot{{table: "audit_events", row: fmt.Sprintf("seq=%d", seq)}, {table: "audit_head", seq: seq}}
}

func loadRows(t *testing.T, r *record) *recordRows {
	t.Helper()
	db := r.inst.DB
	rows := &recordRows{}
	for _, q := range []struct {
		dst   any
		query string
	}{
		{&rows.votes, `SELECT v.receipt_hash, v.ballot_id, b.secret, b.kind FROM ballot_votes v JOIN ballots b ON b.id = v.ballot_id ORDER BY v.receipt_hash`},
		{&rows.voters, `SELECT ballot_id, member_id, voted, cast_by FROM ballot_voters ORDER BY ballot_id, member_id`},
		{&rows.docs, `SELECT id FROM minutes WHERE status = 'signed' ORDER BY id`},
		{&rows.versions, `SELECT minutes_id, version FROM minutes_versions ORDER BY minutes_id, version`},
		{&rows.sigs, `SELECT s.id, s.minutes_id, s.version, s.account_id,
			(SELECT e.seq FROM audit_events e WHERE e.action = 'minutes.signed' AND e.subject = 'minutes:' || s.minutes_id
			 AND (e.payload->>'version')::int = s.version AND (e.payload->>'account_id')::bigint = s.account_id) AS event
			FROM minutes_signatures s ORDER BY s.id`},
		{&rows.ballots, `SELECT id FROM ballots WHERE status = 'closed' ORDER BY id`},
		{&rows.motions, `SELECT id, status, by_board, seconder_member_id IS NOT NULL AS seconded, ballot_id IS NOT NULL AS voted,
			amends_motion_id IS NOT NULL AS amends FROM motions ORDER BY id`},
		{&rows.motionTexts, `SELECT motion_id, version FROM motion_versions ORDER BY motion_id, version`},
		{&rows.elections, `SELECT id, status FROM elections ORDER BY id`},
		{&rows.candidates, `SELECT c.id, c.election_id, EXISTS (SELECT 1 FROM ballots b WHERE b.kind = 'election' AND b.decided_at IS NOT NULL
			AND c.id = ANY (b.candidate_ids)) AS on_record FROM election_candidates c ORDER BY c.id`},
	} {
		if err := db.Select(q.dst, q.query); err != nil {
			t.Fatalf("%s: %v", q.query, err)
		}
	}
	if err := db.Get(&rows.head, `SELECT seq FROM audit_head`); err != nil {
		t.Fatal(err)
	}
	if len(rows.votes) < 20 || len(rows.voters) < 20 || len(rows.docs) < 3 || len(rows.versions) < 5 || len(rows.sigs) < 8 || len(rows.ballots) < 5 ||
		len(rows.motions) < 5 || len(rows.motionTexts) < 5 || len(rows.elections) < 3 || len(rows.candidates) < 5 {
		t.Fatalf("the record is too small to tamper with: %d votes, %d voters, %d documents, %d versions, %d signatures, %d ballots, "+
			"%d motions, %d motion texts, %d elections, %d candidates",
			len(rows.votes), len(rows.voters), len(rows.docs), len(rows.versions), len(rows.sigs), len(rows.ballots),
			len(rows.motions), len(rows.motionTexts), len(rows.elections), len(rows.candidates))
	}
	return rows
}

func pick[T any](rng *rand.Rand, from []T) T { return from[rng.IntN(len(from))] }

// other picks an element of from that is not at index i.
func other[T any](rng *rand.Rand, from []T, i int) T {
	j := rng.IntN(len(from) - 1)
	if j >= i {
		j++
	}
	return from[j]
}

// anotherAccount is an account other than the one in column col of the
// row: a signer or a voter put in someone else's place.
const anotherAccount = `(SELECT a.id FROM accounts a WHERE a.id IS DISTINCT FROM %s ORDER BY a.id LIMIT 1)`

func (rows *recordRows) event(rng *rand.Rand, kind string) *mutation {
	seq := rng.Int64N(rows.head) + 1
	m := &mutation{what: fmt.Sprintf("%s audit event %d", kind, seq), expect: [][]spot{eventAt(seq)}}
	switch kind {
	case "edit":
		set := pick(rng, []string{
			`at = at + interval '1 microsecond'`,
			`actor_account_id = CASE WHEN actor_account_id IS NULL THEN 1 END`,
			`action = action || '_again'`,
			`subject = subject || '0'`,
			`payload = payload || '{"tampered": true}'`,
			`prev_hash = sha256(prev_hash)`,
			`hash = sha256(hash)`,
		})
		m.what += ": " + set
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return exec(ctx, tx, `UPDATE audit_events SET `+set+` WHERE seq = $1`, seq)
		}
	case "delete":
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return exec(ctx, tx, `DELETE FROM audit_events WHERE seq = $1`, seq)
		}
	case "reorder":
		with := seq
		for with == seq {
			with = rng.Int64N(rows.head) + 1
		}
		m.what += fmt.Sprintf(" with %d", with)
		m.expect = append(m.expect, eventAt(with))
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return swapRows(ctx, tx, "audit_events", rowKey{"seq = $1", []any{seq}}, rowKey{"seq = $1", []any{with}},
				"v", "at", "actor_account_id", "action", "subject", "payload", "prev_hash", "hash")
		}
	case "insert":
		next := rows.head + 1
		m.what = fmt.Sprintf("insert a copy of audit event %d as %d", seq, next)
		m.expect = [][]spot{eventAt(next)}
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return copyRow(ctx, tx, "audit_events", rowKey{"seq = $1", []any{seq}}, func(row map[string]any) { row["seq"] = next })
		}
	}
	return m
}

func (rows *recordRows) vote(rng *rand.Rand, kind string) *mutation {
	i := rng.IntN(len(rows.votes))
	v := rows.votes[i]
	m := &mutation{what: fmt.Sprintf("%s a vote of ballot %d (%s, secret %v)", kind, v.Ballot, v.Kind, v.Secret), expect: [][]spot{v.at(v.Receipt)}}
	switch kind {
	case "edit":
		sets := []string{
			`receipt_hash = sha256(receipt_hash)`,
			`ballot_id = ` + fmt.Sprint(other(rng, rows.ballots, indexOf(rows.ballots, v.Ballot))),
		}
		if v.Kind == "motion" {
			sets = append(sets, `choice = CASE choice WHEN 'for' THEN 'against' WHEN 'against' THEN 'abstain' ELSE 'for' END`)
		} else {
			sets = append(sets, `candidate_ids = CASE WHEN cardinality(candidate_ids) = 0
				THEN (SELECT b.candidate_ids[1:1] FROM ballots b WHERE b.id = ballot_id) ELSE candidate_ids[2:] END`)
		}
		if v.Secret {
			// A secret vote tied to a member on its list.
			sets = append(sets, `member_id = (SELECT member_id FROM ballot_voters l WHERE l.ballot_id = ballot_votes.ballot_id ORDER BY member_no LIMIT 1),
				cast_by_account_id = (SELECT voter_account_id FROM ballot_voters l WHERE l.ballot_id = ballot_votes.ballot_id ORDER BY member_no LIMIT 1)`)
		} else {
			sets = append(sets,
				`member_id = coalesce((SELECT member_id FROM ballot_voters l WHERE l.ballot_id = ballot_votes.ballot_id AND NOT voted LIMIT 1), member_id + 1000000)`,
				`cast_by_account_id = `+fmt.Sprintf(anotherAccount, "cast_by_account_id"))
		}
		set := pick(rng, sets)
		m.what += ": " + set
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return exec(ctx, tx, `UPDATE ballot_votes SET `+set+` WHERE receipt_hash = $1`, v.Receipt)
		}
	case "delete":
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return exec(ctx, tx, `DELETE FROM ballot_votes WHERE receipt_hash = $1`, v.Receipt)
		}
	case "reorder":
		w := other(rng, rows.votes, i)
		m.what += fmt.Sprintf(" with a vote of ballot %d", w.Ballot)
		m.expect = append(m.expect, w.at(w.Receipt))
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return swapRows(ctx, tx, "ballot_votes", v.key(), w.key(), "ballot_id", "choice", "candidate_ids", "member_id", "cast_by_account_id")
		}
	case "insert":
		forged := forgedReceipt(v.Receipt)
		m.what = fmt.Sprintf("insert a copy of a vote of ballot %d (%s, secret %v)", v.Ballot, v.Kind, v.Secret)
		m.expect = [][]spot{v.at(forged)}
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			var member, account sql.NullInt64
			if !v.Secret {
				// In the name of a member who did not vote, if any.
				err := tx.QueryRowxContext(ctx, `SELECT member_id, voter_account_id FROM ballot_voters
					WHERE ballot_id = $1 AND NOT voted ORDER BY member_no LIMIT 1`, v.Ballot).Scan(&member, &account)
				if err != nil && !errors.Is(err, sql.ErrNoRows) {
					return err
				}
			}
			return copyRow(ctx, tx, "ballot_votes", v.key(), func(row map[string]any) {
				row["receipt_hash"] = `\x` + hex.EncodeToString(forged)
				row["member_id"], row["cast_by_account_id"] = nullable(member), nullable(account)
			})
		}
	}
	return m
}

// forgedReceipt is a receipt hash no vote has: the receipt's, every byte
// flipped.
func forgedReceipt(receipt []byte) []byte {
	out := make([]byte, len(receipt))
	for i, b := range receipt {
		out[i] = ^b
	}
	return out
}

func nullable(n sql.NullInt64) any {
	if !n.Valid {
		return nil
	}
	return n.Int64
}

func indexOf(ids []int64, id int64) int {
	for i, x := range ids {
		if x == id {
			return i
		}
	}
	return -1
}

func (rows *recordRows) voter(rng *rand.Rand, kind string) *mutation {
	i := rng.IntN(len(rows.voters))
	v := rows.voters[i]
	m := &mutation{what: fmt.Sprintf("%s member %d on the voting list of ballot %d (voted %v, %s)", kind, v.Member, v.Ballot, v.Voted, v.CastBy),
		expect: [][]spot{v.at()}}
	const outsider = `coalesce((SELECT m.id FROM members m WHERE m.member_no IS NOT NULL AND m.id NOT IN
		(SELECT member_id FROM ballot_voters l WHERE l.ballot_id = %d) ORDER BY m.id LIMIT 1), %d)`
	newMember := fmt.Sprintf(outsider, v.Ballot, v.Member+1000000)
	switch kind {
	case "edit":
		sets := []string{
			`voted = NOT voted, idempotency_hash = NULL`,
			`member_no = member_no + 1000`,
			`member_id = ` + newMember,
		}
		switch v.CastBy {
		case "proxy":
			sets = append(sets, `cast_by = 'self', proxy_id = NULL`)
		case "self":
			sets = append(sets, `cast_by = 'representative'`)
		default:
			sets = append(sets, `cast_by = 'self'`)
		}
		if v.Voted {
			sets = append(sets, `voter_account_id = `+fmt.Sprintf(anotherAccount, "voter_account_id"))
		}
		set := pick(rng, sets)
		m.what += ": " + set
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			var moved int64
			if set == sets[2] {
				if err := tx.GetContext(ctx, &moved, `SELECT `+newMember); err != nil {
					return err
				}
				m.expect[0] = append(m.expect[0], v.at(moved)...)
			}
			return exec(ctx, tx, `UPDATE ballot_voters SET `+set+` WHERE ballot_id = $1 AND member_id = $2`, v.Ballot, v.Member)
		}
	case "delete":
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return exec(ctx, tx, `DELETE FROM ballot_voters WHERE ballot_id = $1 AND member_id = $2`, v.Ballot, v.Member)
		}
	case "reorder":
		// Within one voting list, where member numbers are unique.
		var same []voterRow
		for _, w := range rows.voters {
			if w.Ballot == v.Ballot && w.Member != v.Member {
				same = append(same, w)
			}
		}
		w := pick(rng, same)
		m.what += fmt.Sprintf(" with member %d", w.Member)
		m.expect = append(m.expect, w.at())
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return swapRows(ctx, tx, "ballot_voters", v.key(), w.key(), "member_no", "voter_account_id", "cast_by", "proxy_id", "voted", "idempotency_hash")
		}
	case "insert":
		m.what = fmt.Sprintf("insert a member on the voting list of ballot %d, copied from member %d", v.Ballot, v.Member)
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			var member int64
			var no int
			if err := tx.GetContext(ctx, &member, `SELECT `+newMember); err != nil {
				return err
			}
			if err := tx.GetContext(ctx, &no, `SELECT max(member_no) + 1 FROM ballot_voters WHERE ballot_id = $1`, v.Ballot); err != nil {
				return err
			}
			m.expect[0] = append(m.expect[0], v.at(member)...)
			return copyRow(ctx, tx, "ballot_voters", v.key(), func(row map[string]any) {
				row["member_id"], row["member_no"], row["voted"], row["idempotency_hash"] = member, no, false, nil
			})
		}
	}
	return m
}

func (rows *recordRows) doc(rng *rand.Rand, kind string) *mutation {
	i := rng.IntN(len(rows.docs))
	id := rows.docs[i]
	key := rowKey{"id = $1", []any{id}}
	m := &mutation{what: fmt.Sprintf("%s minutes %d", kind, id), expect: [][]spot{{docAt(id)}}}
	switch kind {
	case "edit":
		set := pick(rng, []string{
			`status = 'draft', review_version = NULL, submitted_at = NULL, sealed_at = NULL, sealed_hash = NULL, chain_head_seq = NULL, chain_head_hash = NULL`,
			`version = version + 1`,
			`review_version = review_version - 1`,
			`sealed_at = sealed_at + interval '1 second'`,
			`sealed_hash = sha256(sealed_hash)`,
			`chain_head_seq = chain_head_seq - 1`,
			`chain_head_hash = sha256(chain_head_hash)`,
			`meeting_id = meeting_id + 1000`,
			`addendum = addendum + 5`,
			`created_by = ` + fmt.Sprintf(anotherAccount, "created_by"),
		})
		m.what += ": " + set
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return exec(ctx, tx, `UPDATE minutes SET `+set+` WHERE id = $1`, id)
		}
	case "delete":
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return exec(ctx, tx, `DELETE FROM minutes WHERE id = $1`, id)
		}
	case "reorder":
		with := other(rng, rows.docs, i)
		m.what += fmt.Sprintf(" with minutes %d", with)
		m.expect = append(m.expect, []spot{docAt(with)})
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return swapRows(ctx, tx, "minutes", key, rowKey{"id = $1", []any{with}}, "meeting_id", "addendum", "status", "version",
				"review_version", "submitted_at", "sealed_at", "sealed_hash", "chain_head_seq", "chain_head_hash", "title", "search_text",
				"created_at", "created_by")
		}
	case "insert":
		forged := id + 1000
		m.what = fmt.Sprintf("insert a copy of minutes %d as %d", id, forged)
		m.expect = [][]spot{{docAt(forged)}}
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return copyRow(ctx, tx, "minutes", key, func(row map[string]any) {
				row["id"], row["addendum"] = forged, row["addendum"].(float64)+10
			})
		}
	}
	return m
}

func (rows *recordRows) version(rng *rand.Rand, kind string) *mutation {
	i := rng.IntN(len(rows.versions))
	v := rows.versions[i]
	m := &mutation{what: fmt.Sprintf("%s version %d of minutes %d", kind, v.Version, v.Doc), expect: [][]spot{v.at()}}
	switch kind {
	case "edit":
		set := pick(rng, []string{
			`body = body || ' And more.'`,
			`body_hash = sha256(body_hash)`,
			`body = 'Nothing was decided.', body_hash = sha256('Nothing was decided.')`,
			`created_by = ` + fmt.Sprintf(anotherAccount, "created_by"),
			`version = version + 100`,
			`minutes_id = minutes_id + 1000`,
		})
		m.what += ": " + set
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return exec(ctx, tx, `UPDATE minutes_versions SET `+set+` WHERE minutes_id = $1 AND version = $2`, v.Doc, v.Version)
		}
	case "delete":
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return exec(ctx, tx, `DELETE FROM minutes_versions WHERE minutes_id = $1 AND version = $2`, v.Doc, v.Version)
		}
	case "reorder":
		w := other(rng, rows.versions, i)
		m.what += fmt.Sprintf(" with version %d of minutes %d", w.Version, w.Doc)
		m.expect = append(m.expect, w.at())
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return swapRows(ctx, tx, "minutes_versions", v.key(), w.key(), "body", "body_hash", "created_at", "created_by")
		}
	case "insert":
		m.what = fmt.Sprintf("insert a copy of version %d of minutes %d as a later version", v.Version, v.Doc)
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			var next int
			if err := tx.GetContext(ctx, &next, `SELECT max(version) + 1 FROM minutes_versions WHERE minutes_id = $1`, v.Doc); err != nil {
				return err
			}
			m.expect = [][]spot{versionRow{v.Doc, next}.at()}
			return copyRow(ctx, tx, "minutes_versions", v.key(), func(row map[string]any) { row["version"] = next })
		}
	}
	return m
}

func (rows *recordRows) signature(rng *rand.Rand, kind string) *mutation {
	i := rng.IntN(len(rows.sigs))
	s := rows.sigs[i]
	m := &mutation{what: fmt.Sprintf("%s signature %d (account %d on version %d of minutes %d)", kind, s.ID, s.Account, s.Version, s.Doc),
		expect: [][]spot{s.at()}}
	switch kind {
	case "edit":
		set := pick(rng, []string{
			`signed_at = signed_at - interval '3 days'`,
			`role = CASE role WHEN 'chair' THEN 'checker' ELSE 'chair' END`,
			`body_hash = sha256(body_hash)`,
			`account_id = ` + fmt.Sprintf(anotherAccount, "account_id"),
			`version = version + 100`,
			`minutes_id = ` + fmt.Sprint(other(rng, rows.docs, indexOf(rows.docs, s.Doc))),
		})
		m.what += ": " + set
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return exec(ctx, tx, `UPDATE minutes_signatures SET `+set+` WHERE id = $1`, s.ID)
		}
	case "delete":
		m.expect = [][]spot{s.at()[1:]}
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return exec(ctx, tx, `DELETE FROM minutes_signatures WHERE id = $1`, s.ID)
		}
	case "reorder":
		w := other(rng, rows.sigs, i)
		m.what += fmt.Sprintf(" with signature %d", w.ID)
		m.expect = append(m.expect, w.at())
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return swapRows(ctx, tx, "minutes_signatures", s.key(), w.key(), "body_hash", "role", "signed_at")
		}
	case "insert":
		forged := s.ID + 1000
		m.what = fmt.Sprintf("insert a copy of signature %d as %d, by another account", s.ID, forged)
		m.expect = [][]spot{{{table: "minutes_signatures", row: fmt.Sprintf("id=%d", forged)}, docAt(s.Doc)}}
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			var account int64
			err := tx.GetContext(ctx, &account, `SELECT a.id FROM accounts a WHERE a.id NOT IN
				(SELECT account_id FROM minutes_signatures WHERE minutes_id = $1 AND version = $2) ORDER BY a.id LIMIT 1`, s.Doc, s.Version)
			if err != nil {
				return err
			}
			return copyRow(ctx, tx, "minutes_signatures", s.key(), func(row map[string]any) { row["id"], row["account_id"] = forged, account })
		}
	}
	return m
}

type motionRow struct {
	ID       int64  `db:"id"`
	Status   string `db:"status"`
	ByBoard  bool   `db:"by_board"`
	Seconded bool   `db:"seconded"`
	Voted    bool   `db:"voted"`
	Amends   bool   `db:"amends"`
}

func motionAt(id int64) spot { return spot{table: "motions", row: fmt.Sprintf("id=%d", id)} }

// anotherMember is a member who is neither the motion's proposer nor its
// seconder.
const anotherMember = `(SELECT x.id FROM members x WHERE x.id IS DISTINCT FROM motions.proposer_member_id
	AND x.id IS DISTINCT FROM motions.seconder_member_id ORDER BY x.id LIMIT 1)`

func (rows *recordRows) motion(rng *rand.Rand, kind string) *mutation {
	i := rng.IntN(len(rows.motions))
	mo := rows.motions[i]
	key := rowKey{"id = $1", []any{mo.ID}}
	m := &mutation{what: fmt.Sprintf("%s motion %d (%s)", kind, mo.ID, mo.Status), expect: [][]spot{{motionAt(mo.ID)}}}
	switch kind {
	case "edit":
		sets := []string{
			`title = title || ' (changed)'`,
			`meeting_id = meeting_id + 1000`,
			`majority = CASE majority WHEN 'simple' THEN 'unanimous' ELSE 'simple' END`,
		}
		switch mo.Status {
		case "carried":
			sets = append(sets, `status = 'failed'`)
		case "failed", "no_quorum":
			sets = append(sets, `status = 'carried'`)
		case "withdrawn":
			sets = append(sets, `status = CASE WHEN by_board THEN 'seconded' ELSE 'submitted' END, withdrawn_at = NULL, withdrawn_by = NULL`)
		default:
			sets = append(sets, `status = 'withdrawn', withdrawn_at = submitted_at, withdrawn_by = proposer_account_id`)
		}
		if mo.Voted {
			sets = append(sets, `ballot_id = ballot_id + 1000`)
		}
		if !mo.Amends {
			sets = append(sets, `version = version + 1`)
		}
		if !mo.ByBoard {
			sets = append(sets, `proposer_member_id = `+anotherMember)
		}
		if mo.Seconded {
			sets = append(sets, `seconder_member_id = `+anotherMember)
		}
		set := pick(rng, sets)
		m.what += ": " + set
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return exec(ctx, tx, `UPDATE motions SET `+set+` WHERE id = $1`, mo.ID)
		}
	case "delete":
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return exec(ctx, tx, `DELETE FROM motions WHERE id = $1`, mo.ID)
		}
	case "reorder":
		with := other(rng, rows.motions, i)
		m.what += fmt.Sprintf(" with motion %d", with.ID)
		m.expect = append(m.expect, []spot{motionAt(with.ID)})
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return swapRows(ctx, tx, "motions", key, rowKey{"id = $1", []any{with.ID}}, "meeting_id", "agenda_item_id", "amends_motion_id",
				"based_on_version", "title", "version", "by_board", "proposer_member_id", "proposer_account_id", "seconder_member_id",
				"seconder_account_id", "majority", "status", "ballot_id", "submitted_at", "seconded_at", "withdrawn_at", "withdrawn_by",
				"voting_at", "decided_at")
		}
	case "insert":
		forged := mo.ID + 1000
		m.what = fmt.Sprintf("insert a copy of motion %d as %d", mo.ID, forged)
		m.expect = [][]spot{{motionAt(forged)}}
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return copyRow(ctx, tx, "motions", key, func(row map[string]any) { row["id"] = forged })
		}
	}
	return m
}

type motionTextRow struct {
	Motion  int64 `db:"motion_id"`
	Version int   `db:"version"`
}

func (v motionTextRow) key() rowKey {
	return rowKey{"motion_id = $1 AND version = $2", []any{v.Motion, v.Version}}
}

func (v motionTextRow) at() []spot {
	return []spot{{table: "motion_versions", row: fmt.Sprintf("motion_id=%d,version=%d", v.Motion, v.Version)}, motionAt(v.Motion)}
}

func (rows *recordRows) motionText(rng *rand.Rand, kind string) *mutation {
	i := rng.IntN(len(rows.motionTexts))
	v := rows.motionTexts[i]
	m := &mutation{what: fmt.Sprintf("%s version %d of motion %d", kind, v.Version, v.Motion), expect: [][]spot{v.at()}}
	switch kind {
	case "edit":
		set := pick(rng, []string{
			`body = body || ' And more.'`,
			`body = 'The co-op decides nothing.'`,
			`version = version + 100`,
			`motion_id = motion_id + 1000`,
		})
		m.what += ": " + set
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return exec(ctx, tx, `UPDATE motion_versions SET `+set+` WHERE motion_id = $1 AND version = $2`, v.Motion, v.Version)
		}
	case "delete":
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return exec(ctx, tx, `DELETE FROM motion_versions WHERE motion_id = $1 AND version = $2`, v.Motion, v.Version)
		}
	case "reorder":
		w := other(rng, rows.motionTexts, i)
		m.what += fmt.Sprintf(" with version %d of motion %d", w.Version, w.Motion)
		m.expect = append(m.expect, w.at())
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return swapRows(ctx, tx, "motion_versions", v.key(), w.key(), "body")
		}
	case "insert":
		m.what = fmt.Sprintf("insert a copy of version %d of motion %d as a later version", v.Version, v.Motion)
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			var next int
			var amendment int64
			if err := tx.GetContext(ctx, &next, `SELECT max(version) + 1 FROM motion_versions WHERE motion_id = $1`, v.Motion); err != nil {
				return err
			}
			// A later version is the text of an amendment, one that made
			// no other.
			err := tx.GetContext(ctx, &amendment, `SELECT x.id FROM motions x WHERE x.id NOT IN
				(SELECT amendment_id FROM motion_versions WHERE amendment_id IS NOT NULL) ORDER BY x.id LIMIT 1`)
			if err != nil {
				return err
			}
			m.expect = [][]spot{motionTextRow{v.Motion, next}.at()}
			return copyRow(ctx, tx, "motion_versions", v.key(), func(row map[string]any) { row["version"], row["amendment_id"] = next, amendment })
		}
	}
	return m
}

type electionRow struct {
	ID     int64  `db:"id"`
	Status string `db:"status"`
}

func electionAt(id int64) spot { return spot{table: "elections", row: fmt.Sprintf("id=%d", id)} }

func (rows *recordRows) election(rng *rand.Rand, kind string) *mutation {
	i := rng.IntN(len(rows.elections))
	e := rows.elections[i]
	key := rowKey{"id = $1", []any{e.ID}}
	m := &mutation{what: fmt.Sprintf("%s election %d (%s)", kind, e.ID, e.Status), expect: [][]spot{{electionAt(e.ID)}}}
	switch kind {
	case "edit":
		sets := []string{
			`seats = seats + 1`,
			`meeting_id = meeting_id + 1000`,
			`nominations_close_at = coalesce(nominations_close_at + interval '1 microsecond', created_at)`,
		}
		switch e.Status {
		case "decided":
			sets = append(sets, `status = 'voting', decided_at = NULL`, `ballot_id = ballot_id + 1000`)
		case "voting":
			sets = append(sets, `status = 'nominating', ballot_id = NULL`, `ballot_id = ballot_id + 1000`)
		default:
			sets = append(sets, `status = 'voting', ballot_id = (SELECT b.id FROM ballots b WHERE b.kind = 'motion' ORDER BY b.id LIMIT 1)`)
		}
		set := pick(rng, sets)
		m.what += ": " + set
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return exec(ctx, tx, `UPDATE elections SET `+set+` WHERE id = $1`, e.ID)
		}
	case "delete":
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return exec(ctx, tx, `DELETE FROM elections WHERE id = $1`, e.ID)
		}
	case "reorder":
		with := other(rng, rows.elections, i)
		m.what += fmt.Sprintf(" with election %d", with.ID)
		m.expect = append(m.expect, []spot{electionAt(with.ID)})
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return swapRows(ctx, tx, "elections", key, rowKey{"id = $1", []any{with.ID}}, "meeting_id", "agenda_item_id", "title", "seats",
				"method", "nominations_close_at", "status", "ballot_id", "created_at", "created_by", "decided_at")
		}
	case "insert":
		forged := e.ID + 1000
		m.what = fmt.Sprintf("insert a copy of election %d as %d, still nominating", e.ID, forged)
		m.expect = [][]spot{{electionAt(forged)}}
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return copyRow(ctx, tx, "elections", key, func(row map[string]any) {
				row["id"], row["status"], row["ballot_id"], row["decided_at"] = forged, "nominating", nil, nil
			})
		}
	}
	return m
}

type candidateRow struct {
	ID       int64 `db:"id"`
	Election int64 `db:"election_id"`
	// OnRecord is true when the record of a decided ballot names the
	// candidate.
	OnRecord bool `db:"on_record"`
}

func candidateAt(id int64) spot {
	return spot{table: "election_candidates", row: fmt.Sprintf("id=%d", id)}
}

// outsider is a member who is not a candidate in the candidate's election.
const outsider = `(SELECT x.id FROM members x WHERE x.id NOT IN (SELECT c.member_id FROM election_candidates c
	WHERE c.election_id = %s AND c.member_id IS NOT NULL) ORDER BY x.id LIMIT 1)`

func (rows *recordRows) candidate(rng *rand.Rand, kind string) *mutation {
	i := rng.IntN(len(rows.candidates))
	c := rows.candidates[i]
	key := rowKey{"id = $1", []any{c.ID}}
	m := &mutation{what: fmt.Sprintf("%s candidate %d", kind, c.ID), expect: [][]spot{{candidateAt(c.ID)}}}
	switch kind {
	case "edit":
		own := slices.IndexFunc(rows.elections, func(e electionRow) bool { return e.ID == c.Election })
		sets := []string{
			`member_id = ` + fmt.Sprintf(outsider, "election_candidates.election_id"),
			`election_id = ` + fmt.Sprint(other(rng, rows.elections, own).ID),
			`consented_at = CASE WHEN consented_at IS NULL THEN nominated_at END`,
			`elected = NOT coalesce(elected, false)`,
		}
		if c.OnRecord {
			sets = append(sets, `name = name || ' Junior'`)
		}
		set := pick(rng, sets)
		m.what += ": " + set
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return exec(ctx, tx, `UPDATE election_candidates SET `+set+` WHERE id = $1`, c.ID)
		}
	case "delete":
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return exec(ctx, tx, `DELETE FROM election_candidates WHERE id = $1`, c.ID)
		}
	case "reorder":
		with := other(rng, rows.candidates, i)
		m.what += fmt.Sprintf(" with candidate %d", with.ID)
		m.expect = append(m.expect, []spot{candidateAt(with.ID)})
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			return swapRows(ctx, tx, "election_candidates", key, rowKey{"id = $1", []any{with.ID}}, "member_id", "name", "statement",
				"nominated_by", "nominated_at", "consented_at", "elected")
		}
	case "insert":
		forged := c.ID + 1000
		m.what = fmt.Sprintf("insert a copy of candidate %d as %d, another member", c.ID, forged)
		m.expect = [][]spot{{candidateAt(forged)}}
		m.apply = func(ctx context.Context, tx *sqlx.Tx) error {
			var member int64
			if err := tx.GetContext(ctx, &member, `SELECT `+fmt.Sprintf(outsider, "(SELECT election_id FROM election_candidates WHERE id = $1)"), c.ID); err != nil {
				return err
			}
			return copyRow(ctx, tx, "election_candidates", key, func(row map[string]any) { row["id"], row["member_id"] = forged, member })
		}
	}
	return m
}
