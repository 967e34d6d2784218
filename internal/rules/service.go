package rules

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/clock"
	"github.com/citizen-network/osk/internal/db"
)

// Service reads and changes the rules.
type Service struct {
	db    *sqlx.DB
	audit *audit.Log
	clock clock.Clock
}

// NewService returns the rules service.
func NewService(conn *sqlx.DB, log *audit.Log, clk clock.Clock) *Service {
	return &Service{db: conn, audit: log, clock: clk}
}

// Current returns the rules in force: the defaults until an admin first
// saves them. Every domain reads them here, so no rule is a constant
// scattered in code.
func (s *Service) Current(ctx context.Context) (Rules, error) {
	return current(ctx, s.db)
}

func current(ctx context.Context, q sqlx.QueryerContext) (Rules, error) {
	var raw []byte
	err := sqlx.GetContext(ctx, q, &raw, `SELECT data FROM coop_rules WHERE singleton`)
	if errors.Is(err, sql.ErrNoRows) {
		return Defaults(), nil
	}
	if err != nil {
		return Rules{}, fmt.Errorf("rules: read: %w", err)
	}
	// Start from the defaults so that a rule added in a later release has
	// its default until an admin sets it.
	r := Defaults()
	if err := json.Unmarshal(raw, &r); err != nil {
		return Rules{}, fmt.Errorf("rules: decode: %w", err)
	}
	return r, nil
}

// Update replaces the rules. Only admins change them; the audit event lists
// each changed rule with its old and new value.
func (s *Service) Update(ctx context.Context, p auth.Principal, next Rules) (Rules, error) {
	if err := p.RequireAny(auth.RoleAdmin); err != nil {
		return Rules{}, err
	}
	if err := next.Validate(); err != nil {
		return Rules{}, err
	}
	data, err := json.Marshal(next)
	if err != nil {
		return Rules{}, fmt.Errorf("rules: encode: %w", err)
	}
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		// Lock the row (or the table, before the first save) so that two
		// admins saving at once are recorded one after the other.
		if _, err := tx.ExecContext(ctx, `LOCK TABLE coop_rules IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return fmt.Errorf("rules: lock: %w", err)
		}
		prev, err := current(ctx, tx)
		if err != nil {
			return err
		}
		changed := diff(prev, next)
		if len(changed) == 0 {
			return nil
		}
		actor := p.AccountID
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO coop_rules (singleton, data, updated_at, updated_by) VALUES (true, $1, $2, $3)
			 ON CONFLICT (singleton) DO UPDATE SET data = EXCLUDED.data, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`,
			data, s.clock.Now(), actor); err != nil {
			return fmt.Errorf("rules: save: %w", err)
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: &actor, Action: "rules.changed", Subject: "rules",
			Payload: map[string]any{"changed": changed},
		})
		return err
	})
	if err != nil {
		return Rules{}, err
	}
	return next, nil
}

type change struct {
	From any `json:"from"`
	To   any `json:"to"`
}

// diff names each rule that differs, by its JSON name.
func diff(a, b Rules) map[string]change {
	out := map[string]change{}
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	t := va.Type()
	for i := range t.NumField() {
		name := t.Field(i).Tag.Get("json")
		x, y := va.Field(i).Interface(), vb.Field(i).Interface()
		if reflect.DeepEqual(x, y) {
			continue
		}
		if m, ok := x.(Money); ok {
			n := y.(Money)
			x, y = m.Amount+" "+m.Currency, n.Amount+" "+n.Currency
		}
		out[name] = change{From: x, To: y}
	}
	return out
}
