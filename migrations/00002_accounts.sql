-- +goose Up
-- People who have signed in, the provider identities they sign in with,
-- their site roles, personal access tokens and server-side sessions
-- (SPEC.md, "People, accounts and roles" and "Security rules").

CREATE TABLE accounts (
    id             bigserial   PRIMARY KEY,
    email          text        NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    email_verified boolean     NOT NULL DEFAULT false,
    name           text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at     timestamptz NOT NULL
);
-- Not unique: identities, not emails, say who someone is, and two people
-- may share an address (a family, an organisation's office).
CREATE INDEX accounts_email_idx ON accounts (email);

-- One row per provider identity. issuer is the OpenID Connect issuer, or
-- the provider's name for plain OAuth providers, so that (issuer, subject)
-- identifies a person everywhere.
CREATE TABLE identities (
    id         bigserial   PRIMARY KEY,
    account_id bigint      NOT NULL REFERENCES accounts (id),
    provider   text        NOT NULL CHECK (provider <> ''),
    issuer     text        NOT NULL CHECK (issuer <> ''),
    subject    text        NOT NULL CHECK (subject <> ''),
    email      text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    last_used_at timestamptz NOT NULL,
    UNIQUE (issuer, subject)
);
CREATE INDEX identities_account_idx ON identities (account_id);

CREATE TABLE account_roles (
    account_id bigint      NOT NULL REFERENCES accounts (id),
    role       text        NOT NULL CHECK (role IN ('admin', 'board', 'auditor')),
    granted_at timestamptz NOT NULL,
    granted_by bigint      REFERENCES accounts (id),
    PRIMARY KEY (account_id, role)
);

CREATE TABLE api_tokens (
    id           bigserial   PRIMARY KEY,
    account_id   bigint      NOT NULL REFERENCES accounts (id),
    name         text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    token_hash   bytea       NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_tokens_account_idx ON api_tokens (account_id);

-- Fiber's session storage. The key is a hash of the session id, so that a
-- copy of this table does not hand out live sessions.
CREATE TABLE sessions (
    key_hash   bytea       PRIMARY KEY,
    data       bytea       NOT NULL,
    expires_at timestamptz
);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- The counters of rate limits shared by every instance (sign-in), in the
-- same shape.
CREATE TABLE rate_limits (
    key_hash   bytea       PRIMARY KEY,
    data       bytea       NOT NULL,
    expires_at timestamptz
);
CREATE INDEX rate_limits_expires_idx ON rate_limits (expires_at);

-- +goose Down
DROP TABLE rate_limits;
DROP TABLE sessions;
DROP TABLE api_tokens;
DROP TABLE account_roles;
DROP TABLE identities;
DROP TABLE accounts;
