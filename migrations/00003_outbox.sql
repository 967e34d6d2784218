-- +goose Up
-- The email outbox (internal/mail). A message is inserted in the same
-- transaction as the change it reports, so that mail goes out exactly when
-- the change is committed and never for a change that was rolled back. A
-- background worker sends it later and records every attempt.
CREATE TABLE mail_outbox (
    id              bigserial   PRIMARY KEY,
    -- CR and LF would let a value end its header and start another.
    to_address      text        NOT NULL CHECK (to_address <> '' AND to_address !~ '[\r\n]'),
    subject         text        NOT NULL CHECK (subject <> '' AND subject !~ '[\r\n]'),
    body            text        NOT NULL,
    created_at      timestamptz NOT NULL,
    status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    -- Attempts started, counted when a worker claims the message.
    attempts        integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL,
    -- The lease of the worker sending the message. A worker that dies
    -- mid-send leaves it pending, and another picks it up once the lease
    -- has run out.
    locked_until    timestamptz,
    sent_at         timestamptz,
    last_error      text,
    CHECK ((status = 'sent') = (sent_at IS NOT NULL)),
    CHECK (status = 'pending' OR locked_until IS NULL)
);

-- The worker's pick: pending messages that are due, oldest first.
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at, id) WHERE status = 'pending';

-- One row per attempt, started when a worker claims the message. ok stays
-- NULL (outcome unknown) when the worker stopped before it learnt the
-- server's answer.
CREATE TABLE mail_attempts (
    id           bigserial   PRIMARY KEY,
    message_id   bigint      NOT NULL REFERENCES mail_outbox (id),
    attempted_at timestamptz NOT NULL,
    finished_at  timestamptz,
    ok           boolean,
    error        text,
    CHECK ((ok IS NULL) = (finished_at IS NULL)),
    CHECK (ok IS NOT false OR error IS NOT NULL),
    CHECK (ok IS NOT true OR error IS NULL)
);

CREATE INDEX mail_attempts_message_idx ON mail_attempts (message_id, id);

-- +goose Down
DROP TABLE mail_attempts;
DROP TABLE mail_outbox;
