-- +goose Up
-- The co-op's rules (SPEC.md: every number in bold there is one of these),
-- one row, changed only by an admin through internal/rules, every change
-- audited. The values are validated in Go as a whole, since most limits
-- depend on each other (the notice window must be a window).
CREATE TABLE coop_rules (
    singleton  boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    data       jsonb       NOT NULL,
    updated_at timestamptz NOT NULL,
    updated_by bigint      REFERENCES accounts (id)
);

-- +goose Down
DROP TABLE coop_rules;
