package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// cohort is a run of seeded members with consecutive ids and numbers:
// member i of the cohort (from 0) has account firstAccount+i, member id
// firstMember+i and member number firstNo+i.
type cohort struct {
	firstAccount int64
	firstMember  int64
	firstNo      int
	count        int
}

func (c cohort) account(i int) int64 { return c.firstAccount + int64(i) }
func (c cohort) member(i int) int64  { return c.firstMember + int64(i) }

var (
	firstNames = []string{"Aino", "Eino", "Helmi", "Väinö", "Sofia", "Leo", "Aada", "Oliver", "Emma", "Elias",
		"Ella", "Onni", "Lilja", "Toivo", "Venla", "Eetu", "Kerttu", "Niilo", "Iida", "Lauri", "Saara", "Juho", "Anni"}
	lastNames = []string{"Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine", "Heikkinen",
		"Koskinen", "Järvinen", "Lehtonen", "Lehtinen", "Saarinen", "Salminen", "Heinonen", "Niemi", "Heikkilä",
		"Kinnunen", "Salonen", "Turunen", "Salo", "Laitinen", "Tuominen", "Rantanen", "Karjalainen", "Jokinen"}
)

// personName gives member number no a name; names repeat, as they do.
func personName(no int) string {
	return firstNames[no%len(firstNames)] + " " + lastNames[(no/len(firstNames))%len(lastNames)]
}

// admissionDecision is the board decision a seeded admission refers to.
func admissionDecision(no int) string {
	return "Board " + strconv.Itoa(2024+no/500_000) + "/" + strconv.Itoa(1+no/1000%500) + " §3"
}

// seedMembers adds count active individual members to the register, as
// an operator importing it would: an account made in advance for each,
// the member with the next member numbers, applied and admitted more than
// a year ago (so active at any record date of the benchmark), the status
// history of both steps, and their audit events.
func seedMembers(ctx context.Context, conn *sqlx.DB, count int, boardID int64, log *progress) (cohort, error) {
	var c cohort
	err := func() error {
		tx, err := conn.BeginTxx(ctx, nil)
		if err != nil {
			return err
		}
		defer func() { _ = tx.Rollback() }()
		// Ids and numbers are taken in one go: nobody else may add
		// accounts or members meanwhile.
		if _, err := tx.ExecContext(ctx, `LOCK TABLE accounts, members, member_status_history IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		var last struct {
			Account int64 `db:"account"`
			Member  int64 `db:"member"`
			No      int   `db:"no"`
		}
		if err := tx.GetContext(ctx, &last, `SELECT (SELECT coalesce(max(id), 0) FROM accounts) AS account,
			(SELECT coalesce(max(id), 0) FROM members) AS member,
			(SELECT last_no FROM member_number_counter FOR UPDATE) AS no`); err != nil {
			return err
		}
		c = cohort{firstAccount: last.Account + 1, firstMember: last.Member + 1, firstNo: last.No + 1, count: count}
		origin := time.Now().UTC().Add(-730 * 24 * time.Hour).Truncate(time.Second)
		applied := func(i int) time.Time { return origin.Add(time.Duration(c.firstNo+i) * 30 * time.Second) }
		admitted := func(i int) time.Time { return applied(i).Add(7 * 24 * time.Hour) }
		email := func(i int) string { return "member" + strconv.Itoa(c.firstNo+i) + "@bench.example.org" }

		if err := copyRows(ctx, tx, log, "seeding accounts", count, pq.CopyIn("accounts", "id", "email", "email_verified", "name", "created_at"),
			func(i int) []any {
				return []any{c.account(i), email(i), false, personName(c.firstNo + i), applied(i).Add(-time.Hour)}
			}); err != nil {
			return err
		}
		if err := copyRows(ctx, tx, log, "seeding members", count, pq.CopyIn("members", "id", "member_no", "kind", "status", "account_id",
			"name", "email", "country", "rules_accepted_at", "applied_at", "admitted_at", "share_due", "share_currency"),
			func(i int) []any {
				return []any{c.member(i), c.firstNo + i, "individual", "active", c.account(i), personName(c.firstNo + i), email(i), "FI",
					applied(i), applied(i), admitted(i), "0.00", "EUR"}
			}); err != nil {
			return err
		}
		if err := copyRows(ctx, tx, log, "seeding status history", 2*count, pq.CopyIn("member_status_history", "member_id", "status",
			"effective_at", "recorded_at", "actor_account_id", "reason"),
			func(j int) []any {
				i := j / 2
				if j%2 == 0 {
					return []any{c.member(i), "applicant", applied(i), applied(i), c.account(i), ""}
				}
				return []any{c.member(i), "active", admitted(i), admitted(i), boardID, admissionDecision(c.firstNo + i)}
			}); err != nil {
			return err
		}
		lastNo := c.firstNo + count - 1
		if _, err := tx.ExecContext(ctx, `UPDATE member_number_counter SET last_no = $1`, lastNo); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('accounts', 'id'), $1),
			setval(pg_get_serial_sequence('members', 'id'), $2)`, c.account(count-1), c.member(count-1)); err != nil {
			return err
		}
		return tx.Commit()
	}()
	if err != nil {
		return cohort{}, fmt.Errorf("seed members: %w", err)
	}
	err = appendChain(ctx, conn, 3*count, "seeding their audit events", log, func(j int) chainEvent {
		i := j / 3
		switch j % 3 {
		case 0:
			return chainEvent{action: "account.created", subject: "account:" + strconv.FormatInt(c.account(i), 10),
				payload: map[string]any{"email": "member" + strconv.Itoa(c.firstNo+i) + "@bench.example.org", "name": personName(c.firstNo + i), "in_advance": true}}
		case 1:
			return chainEvent{actor: c.account(i), action: "member.applied", subject: "member:" + strconv.FormatInt(c.member(i), 10),
				payload: map[string]any{"kind": "individual", "country": "FI"}}
		}
		return chainEvent{actor: boardID, action: "member.admitted", subject: "member:" + strconv.FormatInt(c.member(i), 10),
			payload: map[string]any{"member_no": c.firstNo + i, "decision": admissionDecision(c.firstNo + i), "share_due": "0.00", "currency": "EUR"}}
	})
	if err != nil {
		return cohort{}, err
	}
	return c, vacuum(ctx, conn, log, "accounts", "members", "member_status_history", "audit_events")
}

// copyRows copies n rows into a table inside tx.
func copyRows(ctx context.Context, tx *sqlx.Tx, log *progress, what string, n int, copyStmt string, row func(i int) []any) error {
	stmt, err := tx.PrepareContext(ctx, copyStmt)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer stmt.Close()
	report := log.counter(what, n)
	for i := range n {
		if _, err := stmt.ExecContext(ctx, row(i)...); err != nil {
			return fmt.Errorf("%s: row %d: %w", what, i, err)
		}
		report(i + 1)
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return stmt.Close()
}

// vacuum vacuums and analyses seeded tables, as autovacuum would long
// have done in a database of that size, so that the measures that follow
// find the tables in their steady state.
func vacuum(ctx context.Context, conn *sqlx.DB, log *progress, tables ...string) error {
	for _, t := range tables {
		log.printf("vacuuming %s", t)
		if _, err := conn.ExecContext(ctx, `VACUUM (ANALYZE) `+pq.QuoteIdentifier(t)); err != nil {
			return fmt.Errorf("vacuum %s: %w", t, err)
		}
	}
	return nil
}
