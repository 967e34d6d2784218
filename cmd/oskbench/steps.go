package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/citizen-network/osk/internal/auditor"
	"github.com/citizen-network/osk/internal/server"
)

// openBallot has the chair put a motion to the vote over HTTP, and says
// how long Osk took to open it and freeze its voting list.
func openBallot(ctx context.Context, cl *client, c *coop, motion int64, electorate string, secret bool) (ballotView, time.Duration, error) {
	var b ballotView
	d, err := cl.call(ctx, "POST", "/api/v1/motions/"+strconv.FormatInt(motion, 10)+"/ballots", c.boardToken,
		map[string]any{"electorate": electorate, "secret": secret}, 201, &b)
	return b, d, err
}

// closeBallot has the chair close a ballot over HTTP, and says how long
// the close and the count took. A tie under a simple majority, which a
// few random votes may make, is then decided by the chair's casting vote.
func closeBallot(ctx context.Context, cl *client, c *coop, ballotID int64) (ballotView, time.Duration, error) {
	var b ballotView
	path := "/api/v1/ballots/" + strconv.FormatInt(ballotID, 10)
	d, err := cl.call(ctx, "POST", path+"/close", c.boardToken, nil, 200, &b)
	if err == nil && b.Result != nil && b.Result.AwaitingCastingVote {
		_, err = cl.call(ctx, "POST", path+"/casting-vote", c.boardToken, map[string]string{"choice": "for"}, 200, &b)
	}
	if err == nil && (b.Status != "closed" || b.Result == nil || b.Result.Outcome == nil) {
		err = fmt.Errorf("ballot %d closed without an outcome", ballotID)
	}
	return b, d, err
}

// registerPage requests the member register page as a board member, one
// request after another, after a few that warm Osk up as a day's use
// would have.
func registerPage(ctx context.Context, cl *client, c *coop, n int) (load, error) {
	for range 5 {
		if _, err := cl.call(ctx, "GET", "/members", c.boardToken, nil, 200, nil); err != nil {
			return load{}, err
		}
	}
	l := load{latencies: make([]time.Duration, 0, n)}
	t0 := time.Now()
	for range n {
		d, err := cl.call(ctx, "GET", "/members", c.boardToken, nil, 200, nil)
		if err != nil {
			return load{}, err
		}
		l.ok++
		l.latencies = append(l.latencies, d)
	}
	l.elapsed = time.Since(t0)
	return l, nil
}

var receiptEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// seedVotes casts n votes in an open ballot directly in the database, as
// Osk's vote transaction writes them: the first n members of the voting
// list marked as voted, their votes (with member and account, the ballot
// being open) in order of receipt hash, and the audit events marking them
// as voted, with their choice.
func seedVotes(ctx context.Context, conn *sqlx.DB, ballotID int64, n int, log *progress) error {
	type voter struct {
		MemberID  int64  `db:"member_id"`
		AccountID int64  `db:"voter_account_id"`
		CastBy    string `db:"cast_by"`
		hash      []byte
		choice    string
	}
	var voters []*voter
	err := func() error {
		tx, err := conn.BeginTxx(ctx, nil)
		if err != nil {
			return err
		}
		defer func() { _ = tx.Rollback() }()
		if err := tx.SelectContext(ctx, &voters, `SELECT member_id, voter_account_id, cast_by FROM ballot_voters
			WHERE ballot_id = $1 AND NOT voted ORDER BY member_no LIMIT $2`, ballotID, n); err != nil {
			return err
		}
		if len(voters) != n {
			return fmt.Errorf("the voting list has %d members who have not voted, not %d", len(voters), n)
		}
		ids := make([]int64, n)
		for i, v := range voters {
			var b [16]byte
			if _, err := rand.Read(b[:]); err != nil {
				return err
			}
			sum := sha256.Sum256([]byte(strings.ToLower(receiptEncoding.EncodeToString(b[:]))))
			v.hash, v.choice, ids[i] = sum[:], choices[mrand.IntN(len(choices))], v.MemberID
		}
		log.printf("seeding %d votes: marking the voters", n)
		if _, err := tx.ExecContext(ctx, `UPDATE ballot_voters SET voted = true WHERE ballot_id = $1 AND member_id = ANY($2::bigint[])`,
			ballotID, pq.Array(ids)); err != nil {
			return err
		}
		byHash := slices.Clone(voters)
		slices.SortFunc(byHash, func(a, b *voter) int { return bytes.Compare(a.hash, b.hash) })
		if err := copyRows(ctx, tx, log, "seeding votes", n,
			pq.CopyIn("ballot_votes", "receipt_hash", "ballot_id", "choice", "member_id", "cast_by_account_id"),
			func(i int) []any {
				v := byHash[i]
				return []any{v.hash, ballotID, v.choice, v.MemberID, v.AccountID}
			}); err != nil {
			return err
		}
		return tx.Commit()
	}()
	if err != nil {
		return fmt.Errorf("seed votes: %w", err)
	}
	slices.SortFunc(voters, func(a, b *voter) int { return cmp.Compare(a.MemberID, b.MemberID) })
	subject := "ballot:" + strconv.FormatInt(ballotID, 10)
	if err := appendChain(ctx, conn, n, "seeding the votes' audit events", log, func(i int) chainEvent {
		v := voters[i]
		return chainEvent{actor: v.AccountID, action: "ballot.voted", subject: subject,
			payload: map[string]any{"member_id": v.MemberID, "cast_by": v.CastBy, "choice": v.choice}}
	}); err != nil {
		return err
	}
	return vacuum(ctx, conn, log, "ballot_voters", "ballot_votes", "audit_events")
}

// padChain appends sign-in events of seeded members, the most frequent
// event of a co-op's log, until the chain holds at least target events.
func padChain(ctx context.Context, conn *sqlx.DB, target int64, members cohort, log *progress) error {
	n, err := chainLength(ctx, conn)
	if err != nil || n >= target {
		return err
	}
	if err := appendChain(ctx, conn, int(target-n), "padding the chain with sign-ins", log, func(i int) chainEvent {
		acc := members.account(i % members.count)
		return chainEvent{actor: acc, action: "account.signed_in", subject: "account:" + strconv.FormatInt(acc, 10),
			payload: map[string]any{"provider": "oidc"}}
	}); err != nil {
		return err
	}
	return vacuum(ctx, conn, log, "audit_events")
}

// verify runs what `osk verify` runs, and fails on any problem: a wrongly
// seeded chain, or a record Osk wrote that does not add up.
func verify(ctx context.Context, conn *sqlx.DB) (time.Duration, int64, error) {
	t0 := time.Now()
	report, err := auditor.VerifyLive(ctx, conn, auditor.Options{}, server.Checks()...)
	d := time.Since(t0)
	if err != nil {
		return d, 0, err
	}
	if !report.OK {
		var b strings.Builder
		for _, p := range report.Problems[:min(len(report.Problems), 5)] {
			fmt.Fprintf(&b, "\n  event %d, %s %s: %s", p.Seq, p.Table, p.Row, p.Reason)
		}
		return d, report.Events, fmt.Errorf("verify found %d problems:%s", len(report.Problems)+int(report.ProblemsOmitted), b.String())
	}
	return d, report.Events, nil
}
