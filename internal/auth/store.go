package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/citizen-network/osk/internal/db"
)

// Account is a person who can sign in.
type Account struct {
	ID            int64     `db:"id" json:"id"`
	Email         string    `db:"email" json:"email"`
	EmailVerified bool      `db:"email_verified" json:"-"`
	Name          string    `db:"name" json:"name"`
	CreatedAt     time.Time `db:"created_at" json:"-"`
}

// LinkedIdentity is one way an account signs in.
type LinkedIdentity struct {
	ID         int64     `db:"id"`
	Provider   string    `db:"provider"`
	Issuer     string    `db:"issuer"`
	Email      string    `db:"email"`
	CreatedAt  time.Time `db:"created_at"`
	LastUsedAt time.Time `db:"last_used_at"`
}

// Token is a personal access token as listed to its owner; the secret
// itself is shown once at creation and never stored.
type Token struct {
	ID         int64      `db:"id"`
	AccountID  int64      `db:"account_id"`
	Name       string     `db:"name"`
	CreatedAt  time.Time  `db:"created_at"`
	ExpiresAt  *time.Time `db:"expires_at"`
	LastUsedAt *time.Time `db:"last_used_at"`
	RevokedAt  *time.Time `db:"revoked_at"`
}

// Active reports whether the token still works at now.
func (t Token) Active(now time.Time) bool {
	return t.RevokedAt == nil && (t.ExpiresAt == nil || t.ExpiresAt.After(now))
}

// RoleHolder is an account with its site roles, for the admin page.
type RoleHolder struct {
	Account
	Roles pq.StringArray `db:"roles"`
}

const accountColumns = `a.id, a.email, a.email_verified, a.name, a.created_at`

func getAccount(ctx context.Context, q sqlx.QueryerContext, id int64) (Account, error) {
	var a Account
	err := sqlx.GetContext(ctx, q, &a, `SELECT `+accountColumns+` FROM accounts a WHERE a.id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, ErrNoAccount
	}
	if err != nil {
		return Account{}, fmt.Errorf("auth: account %d: %w", id, err)
	}
	return a, nil
}

// principalRow is an account with its site roles, read in one statement
// because every request that carries a session or a token needs both.
type principalRow struct {
	ID    int64          `db:"id"`
	Email string         `db:"email"`
	Name  string         `db:"name"`
	Roles pq.StringArray `db:"roles"`
}

const principalColumns = `a.id, a.email, a.name,
	ARRAY(SELECT r.role FROM account_roles r WHERE r.account_id = a.id ORDER BY r.role) AS roles`

func (r principalRow) principal() Principal {
	p := Principal{AccountID: r.ID, Email: r.Email, Name: r.Name}
	if len(r.Roles) > 0 {
		p.Roles = r.Roles
	}
	return p
}

// principalsSQL reads the accounts whose ids are the values of $1, each
// with its roles: the account of a session is read on every request.
const principalsSQL = `SELECT ` + principalColumns + ` FROM accounts a WHERE a.id = ANY($1::bigint[])`

// principalsOf runs principalsSQL, prepared, and returns the principals
// it found by account id.
func principalsOf(ctx context.Context, q *db.Prepared, ids []int64) (map[int64]Principal, error) {
	var rows []principalRow
	if err := q.Select(ctx, &rows, pq.Array(ids)); err != nil {
		return nil, fmt.Errorf("auth: accounts: %w", err)
	}
	found := make(map[int64]Principal, len(rows))
	for _, r := range rows {
		found[r.ID] = r.principal()
	}
	return found, nil
}

// tokenPrincipalsSQL reads the tokens whose secrets hash to the values of
// $1, each with its account and the account's roles, in one statement:
// bearers of tokens are authenticated on every request, many at once.
const tokenPrincipalsSQL = `
	SELECT t.token_hash, t.id AS token_id, t.name AS token_name, t.created_at, t.expires_at, t.last_used_at, t.revoked_at,
		` + principalColumns + `
	FROM api_tokens t JOIN accounts a ON a.id = t.account_id
	WHERE t.token_hash = ANY($1::bytea[])`

// tokenMatch is a token found by its hash, with its bearer.
type tokenMatch struct {
	token Token
	p     Principal
}

// tokenPrincipals runs tokenPrincipalsSQL, prepared, and returns what it
// found by hash, given as a string.
func tokenPrincipals(ctx context.Context, q *db.Prepared, hashes []string) (map[string]tokenMatch, error) {
	var rows []struct {
		Hash       []byte     `db:"token_hash"`
		TokenID    int64      `db:"token_id"`
		CreatedAt  time.Time  `db:"created_at"`
		ExpiresAt  *time.Time `db:"expires_at"`
		LastUsedAt *time.Time `db:"last_used_at"`
		RevokedAt  *time.Time `db:"revoked_at"`
		TokenName  string     `db:"token_name"`
		principalRow
	}
	if err := q.Select(ctx, &rows, hashArray(hashes)); err != nil {
		return nil, fmt.Errorf("auth: tokens: %w", err)
	}
	found := make(map[string]tokenMatch, len(rows))
	for _, r := range rows {
		t := Token{ID: r.TokenID, AccountID: r.ID, Name: r.TokenName, CreatedAt: r.CreatedAt,
			ExpiresAt: r.ExpiresAt, LastUsedAt: r.LastUsedAt, RevokedAt: r.RevokedAt}
		found[string(r.Hash)] = tokenMatch{token: t, p: r.principal()}
	}
	return found, nil
}

func accountsByEmail(ctx context.Context, q sqlx.QueryerContext, email string) ([]Account, error) {
	var as []Account
	err := sqlx.SelectContext(ctx, q, &as, `SELECT `+accountColumns+` FROM accounts a WHERE a.email = $1 ORDER BY a.id`, email)
	if err != nil {
		return nil, fmt.Errorf("auth: accounts by email: %w", err)
	}
	return as, nil
}

func rolesOf(ctx context.Context, q sqlx.QueryerContext, accountID int64) ([]string, error) {
	var roles []string
	err := sqlx.SelectContext(ctx, q, &roles,
		`SELECT role FROM account_roles WHERE account_id = $1 ORDER BY role`, accountID)
	if err != nil {
		return nil, fmt.Errorf("auth: roles of %d: %w", accountID, err)
	}
	return roles, nil
}

func insertAccount(ctx context.Context, tx *sqlx.Tx, email string, verified bool, name string, now time.Time) (Account, error) {
	a := Account{Email: email, EmailVerified: verified, Name: name, CreatedAt: now}
	err := tx.GetContext(ctx, &a.ID,
		`INSERT INTO accounts (email, email_verified, name, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		email, verified, name, now)
	if err != nil {
		return Account{}, fmt.Errorf("auth: insert account: %w", err)
	}
	return a, nil
}
