package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"time"

	"github.com/citizen-network/osk/internal/db"
)

// defaultRefConns is the reference's pool: as many connections as Osk's
// own pool (DB_MAX_CONNS, 20). On a 2-core machine the reference does
// about as well on 10 and worse on 50 or 100, which only add contention.
const defaultRefConns = 20

// refVoter is a line of the reference's voting list.
type refVoter struct {
	MemberID  int64 `db:"member_id"`
	AccountID int64 `db:"voter_account_id"`
}

// refVote is the reference: the cheapest durable transaction shaped like
// a vote, one statement and so one round trip and one commit. It checks
// that the account casts the member's vote and that the member has not
// voted, marks the member as voted, stores the vote under a receipt hash,
// and appends an audit-like row, unchained and taking no lock of its own.
const refVote = `
	WITH voter AS (
		UPDATE oskbench.voters SET voted = true
		WHERE ballot_id = $1 AND member_id = $2 AND voter_account_id = $3 AND NOT voted
		RETURNING member_id, voter_account_id
	), vote AS (
		INSERT INTO oskbench.votes (receipt_hash, ballot_id, choice)
		SELECT $4, $1, $5 FROM voter
	)
	INSERT INTO oskbench.events (at, actor_account_id, action, subject, payload)
	SELECT $6, voter_account_id, 'ballot.voted', 'ballot:' || $1::bigint,
		jsonb_build_object('member_id', member_id, 'cast_by', 'self')
	FROM voter`

// reference casts one vote per voter of the ballot's voting list, all at
// once, on conns connections, into scratch tables in a schema of their
// own (dropped afterwards, so Osk's record is untouched).
func reference(ctx context.Context, databaseURL string, ballotID int64, conns int, log *progress) (load, error) {
	conn, err := db.Open(ctx, databaseURL, db.Pool{MaxOpen: conns, MaxIdle: conns, MaxLifetime: time.Hour})
	if err != nil {
		return load{}, err
	}
	defer conn.Close()
	defer func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), `DROP SCHEMA IF EXISTS oskbench CASCADE`); err != nil {
			log.printf("reference: drop the scratch tables: %v", err)
		}
	}()
	for _, stmt := range []string{
		`CREATE SCHEMA oskbench`,
		`CREATE TABLE oskbench.voters (
			ballot_id bigint NOT NULL, member_id bigint NOT NULL, voter_account_id bigint NOT NULL,
			voted boolean NOT NULL DEFAULT false, PRIMARY KEY (ballot_id, member_id))`,
		`CREATE TABLE oskbench.votes (
			receipt_hash bytea PRIMARY KEY, ballot_id bigint NOT NULL, choice text NOT NULL)`,
		`CREATE TABLE oskbench.events (
			id bigserial PRIMARY KEY, at timestamptz NOT NULL, actor_account_id bigint, action text NOT NULL,
			subject text NOT NULL, payload jsonb NOT NULL)`,
		`INSERT INTO oskbench.voters (ballot_id, member_id, voter_account_id)
			SELECT ballot_id, member_id, voter_account_id FROM ballot_voters WHERE ballot_id = ` + strconv.FormatInt(ballotID, 10),
		`VACUUM (ANALYZE) oskbench.voters`,
	} {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return load{}, fmt.Errorf("reference: %w", err)
		}
	}
	var voters []refVoter
	if err := conn.SelectContext(ctx, &voters, `SELECT member_id, voter_account_id FROM oskbench.voters ORDER BY member_id`); err != nil {
		return load{}, fmt.Errorf("reference: %w", err)
	}
	// The pool is opened in full first, as Osk's is by the time it votes.
	warm := burst(ctx, conns, func(ctx context.Context, _ int) (time.Duration, error) {
		_, err := conn.ExecContext(ctx, `SELECT pg_sleep(0.05)`)
		return 0, err
	})
	if warm.errors > 0 {
		return load{}, fmt.Errorf("reference: open the pool: %s", warm.errorSamples[0])
	}
	log.printf("reference: %d votes at once on %d connections", len(voters), conns)
	l := burst(ctx, len(voters), func(ctx context.Context, i int) (time.Duration, error) {
		var receipt [16]byte
		if _, err := rand.Read(receipt[:]); err != nil {
			return 0, err
		}
		hash := sha256.Sum256(receipt[:])
		start := time.Now()
		res, err := conn.ExecContext(ctx, refVote, ballotID, voters[i].MemberID, voters[i].AccountID, hash[:],
			choices[mrand.IntN(len(choices))], start.UTC())
		d := time.Since(start)
		if err != nil {
			return d, fmt.Errorf("reference vote: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return d, errors.Join(errors.New("reference vote: the member is not on the list or has voted"), err)
		}
		return d, nil
	})
	return l, nil
}
