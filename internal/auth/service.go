package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/clock"
	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/errs"
)

// Errors of this package.
var (
	ErrNoAccount     = fmt.Errorf("auth: %w", errs.Wrap(errs.NotFound, "There is no such account."))
	ErrBadToken      = errs.Wrap(errs.Unauthenticated, "The access token is malformed, expired or revoked.")
	ErrAmbiguousMail = errs.Wrap(errs.Conflict, "Several accounts have this email address.")
)

// Operator is the principal of commands run on the server's shell (osk
// grant, osk token). Whoever runs them already holds the database, so they
// may do anything; their audit events have no actor account.
var Operator = Principal{Name: "operator", operator: true}

// Service holds the rules about accounts, roles and tokens.
type Service struct {
	db    *sqlx.DB
	audit *audit.Log
	clock clock.Clock
	// tokens and principals read who is asking, a bearer token or the
	// account of a session, on every request: the reads of requests that
	// come together share one query while RunReads runs.
	tokens     *db.GroupRead[string, tokenMatch]
	principals *db.GroupRead[int64, Principal]
	uses       tokenUses
}

// NewService returns the accounts service.
func NewService(conn *sqlx.DB, log *audit.Log, clk clock.Clock) *Service {
	tokens, principals := db.NewPrepared(conn, tokenPrincipalsSQL), db.NewPrepared(conn, principalsSQL)
	return &Service{db: conn, audit: log, clock: clk,
		tokens: db.NewGroupRead(func(ctx context.Context, hashes []string) (map[string]tokenMatch, error) {
			return tokenPrincipals(ctx, tokens, hashes)
		}),
		principals: db.NewGroupRead(func(ctx context.Context, ids []int64) (map[int64]Principal, error) {
			return principalsOf(ctx, principals, ids)
		}),
	}
}

// RunReads gathers the reads of who is asking of concurrent requests into
// shared queries until ctx ends (db.GroupRead).
func (s *Service) RunReads(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { s.tokens.Run(ctx) })
	wg.Go(func() { s.principals.Run(ctx) })
	wg.Wait()
}

// Identity is what a provider asserted about the person signing in.
type Identity struct {
	Provider      string // goth provider name
	Issuer        string // OpenID Connect issuer, or the provider name
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
}

// normalised cleans what a provider says of someone. A provider may send
// any text, NUL and invalid UTF-8 included, which PostgreSQL refuses in
// text and no page can show: those are dropped, as are the invisible
// characters errs.Invisible reports, which would print a name reversed
// or blank. An email that needed it
// is not the address the provider confirmed, so it counts as unconfirmed.
func (id Identity) normalised() Identity {
	if email := printable(id.Email); email != id.Email {
		id.Email, id.EmailVerified = email, false
	}
	id.Email = strings.ToLower(strings.TrimSpace(id.Email))
	id.Name = strings.TrimSpace(printable(id.Name))
	if id.Name == "" {
		id.Name = strings.SplitN(id.Email, "@", 2)[0]
	}
	if utf8.RuneCountInString(id.Name) > 200 {
		id.Name = string([]rune(id.Name)[:200])
	}
	return id
}

// check refuses an identity that does not say who someone is: its issuer
// and subject are its key, which no cleaning may change.
func (id Identity) check() error {
	if id.Issuer == "" || id.Subject == "" || printable(id.Issuer) != id.Issuer || printable(id.Subject) != id.Subject {
		return errs.Wrap(errs.Invalid, "The sign-in provider did not say who you are.")
	}
	return nil
}

// printable is s as valid UTF-8 without control characters.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || errs.Invisible(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
}

// SignIn finds the account of a provider identity. A known identity signs
// in to its account. A new identity whose provider vouches for an email
// equal to that of an account created in advance and never signed in to
// claims that account (how the first admin and demo members arrive);
// otherwise a new account is made. Emails alone never join an identity to
// an account that already has one (SPEC.md).
func (s *Service) SignIn(ctx context.Context, id Identity) (Account, error) {
	id = id.normalised()
	if err := id.check(); err != nil {
		return Account{}, err
	}
	var acc Account
	err := db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		now := s.clock.Now()
		var accountID int64
		err := tx.GetContext(ctx, &accountID,
			`UPDATE identities SET last_used_at = $3, email = $4 WHERE issuer = $1 AND subject = $2 RETURNING account_id`,
			id.Issuer, id.Subject, now, id.Email)
		switch {
		case err == nil:
			acc, err = getAccount(ctx, tx, accountID)
			if err != nil {
				return err
			}
			_, err = s.audit.Append(ctx, tx, audit.Event{
				ActorAccountID: &acc.ID, Action: "account.signed_in", Subject: accountSubject(acc.ID),
				Payload: map[string]any{"provider": id.Provider},
			})
			return err
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("auth: find identity: %w", err)
		}

		claimed := false
		if id.EmailVerified && id.Email != "" {
			// Lock the candidate so that two first sign-ins cannot both
			// claim it.
			err := tx.GetContext(ctx, &acc,
				`SELECT `+accountColumns+` FROM accounts a
				 WHERE a.email = $1 AND NOT EXISTS (SELECT 1 FROM identities i WHERE i.account_id = a.id)
				 ORDER BY a.id LIMIT 1 FOR UPDATE`, id.Email)
			switch {
			case err == nil:
				claimed = true
				if _, err := tx.ExecContext(ctx, `UPDATE accounts SET email_verified = true WHERE id = $1`, acc.ID); err != nil {
					return fmt.Errorf("auth: claim account: %w", err)
				}
				acc.EmailVerified = true
			case !errors.Is(err, sql.ErrNoRows):
				return fmt.Errorf("auth: find account to claim: %w", err)
			}
		}
		if !claimed {
			if id.Email == "" {
				return errs.Wrap(errs.Invalid, "The sign-in provider did not give an email address; Osk needs one to reach you.")
			}
			acc, err = insertAccount(ctx, tx, id.Email, id.EmailVerified, id.Name, now)
			if err != nil {
				return err
			}
			if _, err := s.audit.Append(ctx, tx, audit.Event{
				ActorAccountID: &acc.ID, Action: "account.created", Subject: accountSubject(acc.ID),
				Payload: map[string]any{"provider": id.Provider},
			}); err != nil {
				return err
			}
		}
		if err := s.insertIdentity(ctx, tx, acc.ID, id, now); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: &acc.ID, Action: "account.signed_in", Subject: accountSubject(acc.ID),
			Payload: map[string]any{"provider": id.Provider, "claimed": claimed},
		})
		return err
	})
	return acc, err
}

func (s *Service) insertIdentity(ctx context.Context, tx *sqlx.Tx, accountID int64, id Identity, now time.Time) error {
	_, err := tx.ExecContext(ctx,
		`INSERT INTO identities (account_id, provider, issuer, subject, email, created_at, last_used_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $6)`,
		accountID, id.Provider, id.Issuer, id.Subject, id.Email, now)
	if db.IsUniqueViolation(err) {
		return errs.Wrap(errs.Conflict, "This sign-in is already linked to an account.")
	}
	if err != nil {
		return fmt.Errorf("auth: insert identity: %w", err)
	}
	_, err = s.audit.Append(ctx, tx, audit.Event{
		ActorAccountID: &accountID, Action: "identity.linked", Subject: accountSubject(accountID),
		Payload: map[string]any{"provider": id.Provider, "issuer": id.Issuer},
	})
	return err
}

// LinkIdentity adds another way to sign in to the principal's account.
func (s *Service) LinkIdentity(ctx context.Context, p Principal, id Identity) error {
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	id = id.normalised()
	if err := id.check(); err != nil {
		return err
	}
	return db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		return s.insertIdentity(ctx, tx, p.AccountID, id, s.clock.Now())
	})
}

// Identities lists how the principal can sign in.
func (s *Service) Identities(ctx context.Context, p Principal) ([]LinkedIdentity, error) {
	if err := p.RequireSignedIn(); err != nil {
		return nil, err
	}
	var out []LinkedIdentity
	err := s.db.SelectContext(ctx, &out,
		`SELECT id, provider, issuer, email, created_at, last_used_at FROM identities WHERE account_id = $1 ORDER BY id`,
		p.AccountID)
	if err != nil {
		return nil, fmt.Errorf("auth: identities: %w", err)
	}
	return out, nil
}

// Principal loads an account and its roles.
func (s *Service) Principal(ctx context.Context, accountID int64) (Principal, error) {
	p, found, err := s.principals.Get(ctx, accountID)
	if err != nil {
		return Principal{}, err
	}
	if !found {
		return Principal{}, ErrNoAccount
	}
	return p, nil
}

// Account returns one account. Anyone signed in may look up names; email
// addresses are only shown by the callers that may show them.
func (s *Service) Account(ctx context.Context, id int64) (Account, error) {
	return getAccount(ctx, s.db, id)
}

// ValidateEmail normalises an email address or says what is wrong with it.
func ValidateEmail(raw string) (string, error) {
	email := strings.ToLower(strings.TrimSpace(raw))
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || len(email) > 254 || !strings.Contains(email[strings.LastIndex(email, "@")+1:], ".") {
		return "", errors.New("Enter an email address like name@example.org.")
	}
	return email, nil
}

// CreateAccount makes an account in advance, for an operator or the board:
// the person claims it at their first sign-in with a verified email.
func (s *Service) CreateAccount(ctx context.Context, p Principal, email, name string) (Account, error) {
	if !p.operator {
		if err := p.RequireAny(RoleAdmin, RoleBoard); err != nil {
			return Account{}, err
		}
	}
	var v errs.Validation
	email, err := ValidateEmail(email)
	if err != nil {
		v.Add("email", "%s", err.Error())
	}
	name = strings.TrimSpace(name)
	switch {
	case name == "" || utf8.RuneCountInString(name) > 200:
		v.Add("name", "Enter a name of 1 to 200 characters.")
	case !utf8.ValidString(name) || errs.HasControl(name, false):
		v.Add("name", "Write the name on one line, without special characters.")
	}
	if err := v.Err(); err != nil {
		return Account{}, err
	}
	var acc Account
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		existing, err := accountsByEmail(ctx, tx, email)
		if err != nil {
			return err
		}
		if len(existing) > 0 {
			return errs.Wrap(errs.Conflict, "An account with the email %s already exists (id %d).", email, existing[0].ID)
		}
		acc, err = insertAccount(ctx, tx, email, false, name, s.clock.Now())
		if err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: "account.created", Subject: accountSubject(acc.ID),
			Payload: map[string]any{"in_advance": true},
		})
		return err
	})
	return acc, err
}

// AccountByEmail finds the one account with this email.
func (s *Service) AccountByEmail(ctx context.Context, email string) (Account, error) {
	email, err := ValidateEmail(email)
	if err != nil {
		return Account{}, errs.Wrap(errs.Invalid, "%s", err.Error())
	}
	as, err := accountsByEmail(ctx, s.db, email)
	if err != nil {
		return Account{}, err
	}
	switch len(as) {
	case 0:
		return Account{}, errs.Wrap(errs.NotFound, "There is no account with the email %s.", email)
	case 1:
		return as[0], nil
	default:
		return Account{}, ErrAmbiguousMail
	}
}

// AccountToEntrust finds the one account with this email, as
// AccountByEmail does, to entrust it with something (a role, an
// organisation's vote): only an account whose email a
// sign-in provider confirmed, or one made in advance that nobody has
// signed in to yet. Some providers (Microsoft, an OpenID provider that
// says so) let anyone sign in with any address, so the email of an
// account made that way does not say who holds it: whoever signed in
// first as a newly elected board member would get their role.
func (s *Service) AccountToEntrust(ctx context.Context, email string) (Account, error) {
	email, err := ValidateEmail(email)
	if err != nil {
		return Account{}, errs.Wrap(errs.Invalid, "%s", err.Error())
	}
	var as []struct {
		Account
		SignedIn bool `db:"signed_in"`
	}
	err = s.db.SelectContext(ctx, &as, `SELECT `+accountColumns+`,
		EXISTS (SELECT 1 FROM identities i WHERE i.account_id = a.id) AS signed_in
		FROM accounts a WHERE a.email = $1 ORDER BY a.id`, email)
	if err != nil {
		return Account{}, fmt.Errorf("auth: accounts by email: %w", err)
	}
	// Someone else's unconfirmed sign-in with the address neither gets
	// what is entrusted nor keeps the one it was meant for from getting it.
	var trusted []Account
	var unconfirmed *Account
	for _, a := range as {
		if a.EmailVerified || !a.SignedIn {
			trusted = append(trusted, a.Account)
		} else if unconfirmed == nil {
			unconfirmed = &a.Account
		}
	}
	switch {
	case len(trusted) == 1:
		return trusted[0], nil
	case len(trusted) > 1:
		return Account{}, ErrAmbiguousMail
	case unconfirmed != nil:
		return Account{}, errs.Wrap(errs.Conflict, "Nobody confirmed that %s, who signed in as %s, holds that address: their sign-in provider does not check it, so anyone could have used it. "+
			"Ask them to sign in once with a provider that confirms it, such as Google or GitHub; or, once you know account %d is theirs, "+
			"name it by its number (osk grant --account-id, or account_id in the API).", unconfirmed.Name, unconfirmed.Email, unconfirmed.ID)
	}
	return Account{}, errs.Wrap(errs.NotFound, "There is no account with the email %s.", email)
}

// Grant gives an account a site role. Only admins (and the operator) grant
// roles. An auditor must stay independent of those audited, so the auditor
// role is never combined with admin or board, in either order: no route can
// give an auditor write powers.
func (s *Service) Grant(ctx context.Context, p Principal, accountID int64, role string) error {
	return s.changeRole(ctx, p, accountID, role, true)
}

// Revoke takes a site role away.
func (s *Service) Revoke(ctx context.Context, p Principal, accountID int64, role string) error {
	return s.changeRole(ctx, p, accountID, role, false)
}

func (s *Service) changeRole(ctx context.Context, p Principal, accountID int64, role string, grant bool) error {
	if !p.operator {
		if err := p.RequireAny(RoleAdmin); err != nil {
			return err
		}
	}
	if !ValidRole(role) {
		v := errs.Validation{}
		v.Add("role", "Choose one of: %s.", strings.Join(Roles, ", "))
		return v.Err()
	}
	return db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		// Lock the account so that concurrent grants see each other and
		// the independence rule below cannot be raced.
		var id int64
		err := tx.GetContext(ctx, &id, `SELECT id FROM accounts WHERE id = $1 FOR UPDATE`, accountID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoAccount
		}
		if err != nil {
			return fmt.Errorf("auth: lock account: %w", err)
		}
		current, err := rolesOf(ctx, tx, accountID)
		if err != nil {
			return err
		}
		has := func(r string) bool {
			for _, c := range current {
				if c == r {
					return true
				}
			}
			return false
		}
		if grant {
			if has(role) {
				return errs.Wrap(errs.Conflict, "The account already has the role %s.", role)
			}
			if role == RoleAuditor && (has(RoleAdmin) || has(RoleBoard)) {
				return errs.Wrap(errs.Conflict, "An auditor must be independent: revoke the admin and board roles first.")
			}
			if role != RoleAuditor && has(RoleAuditor) {
				return errs.Wrap(errs.Conflict, "An auditor cannot also hold the %s role: auditors read everything and change nothing.", role)
			}
			_, err := tx.ExecContext(ctx,
				`INSERT INTO account_roles (account_id, role, granted_at, granted_by) VALUES ($1, $2, $3, $4)`,
				accountID, role, s.clock.Now(), p.Actor())
			if db.ViolatesRule(err, AuditorIndependent) {
				return errs.Wrap(errs.Conflict, "An auditor must be independent: this account acts for a member or has applied to be one, and an auditor reads everything and changes nothing.")
			}
			if err != nil {
				return fmt.Errorf("auth: grant: %w", err)
			}
		} else {
			if !has(role) {
				return errs.Wrap(errs.Conflict, "The account does not have the role %s.", role)
			}
			if _, err := tx.ExecContext(ctx,
				`DELETE FROM account_roles WHERE account_id = $1 AND role = $2`, accountID, role); err != nil {
				return fmt.Errorf("auth: revoke: %w", err)
			}
		}
		action := "role.revoked"
		if grant {
			action = "role.granted"
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: action, Subject: accountSubject(accountID),
			Payload: map[string]any{"role": role, "by_operator": p.operator},
		})
		return err
	})
}

// RoleHolders lists accounts matching q (name or email), with their roles,
// for the admin page; with an empty q, the accounts that hold a role.
func (s *Service) RoleHolders(ctx context.Context, p Principal, q string) ([]RoleHolder, error) {
	if err := p.RequireAny(RoleAdmin); err != nil {
		return nil, err
	}
	if !utf8.ValidString(q) || errs.HasControl(q, false) {
		v := errs.Validation{}
		v.Add("q", "Search with letters, numbers, spaces and punctuation only.")
		return nil, v.Err()
	}
	var out []RoleHolder
	const cols = `SELECT ` + accountColumns + `,
		ARRAY(SELECT r.role FROM account_roles r WHERE r.account_id = a.id ORDER BY r.role) AS roles
		FROM accounts a `
	var err error
	if q = strings.TrimSpace(q); q == "" {
		err = s.db.SelectContext(ctx, &out, cols+
			`WHERE EXISTS (SELECT 1 FROM account_roles r WHERE r.account_id = a.id) ORDER BY a.name, a.id`)
	} else {
		pattern := "%" + escapeLike(strings.ToLower(q)) + "%"
		err = s.db.SelectContext(ctx, &out, cols+
			`WHERE a.email LIKE $1 OR lower(a.name) LIKE $1 ORDER BY a.name, a.id LIMIT 50`, pattern)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: role holders: %w", err)
	}
	return out, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// tokenPrefix marks Osk's tokens so that secret scanners can find leaked
// ones.
const tokenPrefix = "osk_"

func hashToken(raw string) []byte {
	sum := sha256.Sum256([]byte(raw))
	return sum[:]
}

// wellFormedToken checks the shape before any database work.
func wellFormedToken(raw string) bool {
	if !strings.HasPrefix(raw, tokenPrefix) || len(raw) != len(tokenPrefix)+43 {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(raw[len(tokenPrefix):])
	return err == nil && len(b) == 32
}

// MaxTokens is the most tokens in use an account may hold: scripts need a
// few, and every token made is an event of the audit log, kept for ever.
const MaxTokens = 20

// CreateToken makes a personal access token for the principal's own
// account (or, for the operator, for accountID). The secret is returned
// once; only its hash is kept.
func (s *Service) CreateToken(ctx context.Context, p Principal, accountID int64, name string, ttl time.Duration) (string, Token, error) {
	if err := p.RequireSignedIn(); err != nil && !p.operator {
		return "", Token{}, err
	}
	if !p.operator && accountID != p.AccountID {
		return "", Token{}, errs.Wrap(errs.Forbidden, "You can only make tokens for your own account.")
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = "token"
	}
	if utf8.RuneCountInString(name) > 100 {
		v := errs.Validation{}
		v.Add("name", "Use at most 100 characters.")
		return "", Token{}, v.Err()
	}
	if !utf8.ValidString(name) || errs.HasControl(name, false) {
		v := errs.Validation{}
		v.Add("name", "Use letters, numbers, spaces and punctuation only.")
		return "", Token{}, v.Err()
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", Token{}, fmt.Errorf("auth: token: %w", err)
	}
	raw := tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	now := s.clock.Now()
	t := Token{AccountID: accountID, Name: name, CreatedAt: now}
	if ttl > 0 {
		exp := now.Add(ttl)
		t.ExpiresAt = &exp
	}
	err := db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		// The account's row, locked, counts its tokens one creation at a
		// time.
		if _, err := tx.ExecContext(ctx, `SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE`, accountID); err != nil {
			return fmt.Errorf("auth: lock account: %w", err)
		}
		if _, err := getAccount(ctx, tx, accountID); err != nil {
			return err
		}
		var live int
		if err := tx.GetContext(ctx, &live, `SELECT count(*) FROM api_tokens
			WHERE account_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)`, accountID, now); err != nil {
			return fmt.Errorf("auth: count tokens: %w", err)
		}
		if live >= MaxTokens {
			return errs.Wrap(errs.Conflict, "This account has %d tokens in use, the most it may have: revoke one you no longer need first.", live)
		}
		err := tx.GetContext(ctx, &t.ID,
			`INSERT INTO api_tokens (account_id, name, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			accountID, name, hashToken(raw), now, t.ExpiresAt)
		if err != nil {
			return fmt.Errorf("auth: insert token: %w", err)
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: "token.created", Subject: accountSubject(accountID),
			Payload: map[string]any{"token_id": t.ID, "name": name},
		})
		return err
	})
	if err != nil {
		return "", Token{}, err
	}
	return raw, t, nil
}

// Tokens lists the principal's own tokens, newest first.
func (s *Service) Tokens(ctx context.Context, p Principal) ([]Token, error) {
	if err := p.RequireSignedIn(); err != nil {
		return nil, err
	}
	// This instance's uses not yet written are written first, so that the
	// owner who just used a token sees it used.
	if err := s.uses.write(ctx, s.db); err != nil {
		return nil, err
	}
	var out []Token
	err := s.db.SelectContext(ctx, &out,
		`SELECT id, account_id, name, created_at, expires_at, last_used_at, revoked_at
		 FROM api_tokens WHERE account_id = $1 ORDER BY id DESC`, p.AccountID)
	if err != nil {
		return nil, fmt.Errorf("auth: tokens: %w", err)
	}
	return out, nil
}

// RevokeToken ends one of the principal's own tokens.
func (s *Service) RevokeToken(ctx context.Context, p Principal, tokenID int64) error {
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	return db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx,
			`UPDATE api_tokens SET revoked_at = $3 WHERE id = $1 AND account_id = $2 AND revoked_at IS NULL`,
			tokenID, p.AccountID, s.clock.Now())
		if err != nil {
			return fmt.Errorf("auth: revoke token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.Wrap(errs.NotFound, "You have no active token with that id.")
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: "token.revoked", Subject: accountSubject(p.AccountID),
			Payload: map[string]any{"token_id": tokenID},
		})
		return err
	})
}

// Authenticate returns the principal of a bearer token.
func (s *Service) Authenticate(ctx context.Context, raw string) (Principal, error) {
	if !wellFormedToken(raw) {
		return Principal{}, ErrBadToken
	}
	m, found, err := s.tokens.Get(ctx, string(hashToken(raw)))
	if err != nil {
		return Principal{}, fmt.Errorf("auth: authenticate: %w", err)
	}
	if !found {
		return Principal{}, ErrBadToken
	}
	row, p := m.token, m.p
	now := time.Now()
	if !row.Active(s.clock.Now()) {
		return Principal{}, ErrBadToken
	}
	// Record use at most once a minute, so that a busy script does not
	// keep the writer busy.
	if row.LastUsedAt == nil || now.Sub(*row.LastUsedAt) > time.Minute {
		s.uses.note(row.ID, now)
	}
	p.ViaToken = true
	return p, nil
}

func accountSubject(id int64) string { return "account:" + strconv.FormatInt(id, 10) }
