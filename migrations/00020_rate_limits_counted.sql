-- +goose Up
-- Rate limits are counted by one statement that raises a window's count
-- and reads it back (internal/auth, ratelimit.go), so that instances
-- counting at the same moment never overwrite each other's counts. The
-- table holds counts, not serialised values; its rows are windows a minute
-- or an hour long, so the counts in flight are dropped with the old shape.
DROP TABLE rate_limits;
CREATE TABLE rate_limits (
    key_hash   bytea       PRIMARY KEY CHECK (length(key_hash) = 32),
    hits       integer     NOT NULL CHECK (hits > 0),
    expires_at timestamptz NOT NULL
);
CREATE INDEX rate_limits_expires_idx ON rate_limits (expires_at);

-- +goose Down
DROP TABLE rate_limits;
CREATE TABLE rate_limits (
    key_hash   bytea       PRIMARY KEY,
    data       bytea       NOT NULL,
    expires_at timestamptz
);
CREATE INDEX rate_limits_expires_idx ON rate_limits (expires_at);
