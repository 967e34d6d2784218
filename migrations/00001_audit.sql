-- +goose Up
-- The hash-chained audit log (SPEC.md, "The audit log"). Rows are appended by
-- internal/audit inside the transaction of the change they record; the hash
-- of each row covers the previous row's hash and the row's canonical form
-- (internal/audit/CANONICAL.md), which only Go computes. The triggers below
-- keep the chain's shape (append-only, contiguous, linked) even against a
-- faulty writer; the hashes let `osk verify` detect what the triggers cannot
-- stop, such as a superuser disabling them.
CREATE TABLE audit_events (
    seq              bigint      PRIMARY KEY CHECK (seq > 0),
    -- The version of the canonical encoding the hash was computed with.
    v                smallint    NOT NULL CHECK (v = 1),
    at               timestamptz NOT NULL,
    actor_account_id bigint      CHECK (actor_account_id > 0),
    action           text        NOT NULL CHECK (action <> ''),
    subject          text        NOT NULL,
    payload          jsonb       NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
    prev_hash        bytea       NOT NULL CHECK (length(prev_hash) = 32),
    hash             bytea       NOT NULL CHECK (length(hash) = 32)
);

CREATE INDEX audit_events_action_idx ON audit_events (action, seq);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_account_id, seq);
CREATE INDEX audit_events_subject_idx ON audit_events (subject, seq);

-- One row holding the chain head. Appenders lock it FOR UPDATE, which
-- serialises appends across connections and app instances so the chain
-- never forks and sequence numbers stay contiguous.
CREATE TABLE audit_head (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    seq       bigint  NOT NULL CHECK (seq >= 0),
    hash      bytea   NOT NULL CHECK (length(hash) = 32)
);
INSERT INTO audit_head (seq, hash) VALUES (0, '\x0000000000000000000000000000000000000000000000000000000000000000');

-- +goose StatementBegin
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % is not allowed: its rows are permanent', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd

-- A new event must extend the chain at its head: the next sequence number,
-- linked to the head's hash.
-- +goose StatementBegin
CREATE FUNCTION audit_events_extend_head() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head_seq  bigint;
    head_hash bytea;
BEGIN
    SELECT seq, hash INTO head_seq, head_hash FROM audit_head WHERE singleton;
    IF NOT FOUND OR NEW.seq <> head_seq + 1 OR NEW.prev_hash <> head_hash THEN
        RAISE EXCEPTION 'audit event % does not extend the chain head at %', NEW.seq, head_seq
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- The head may only move one step forward, onto the event that extends it.
-- +goose StatementBegin
CREATE FUNCTION audit_head_advance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.seq <> OLD.seq + 1 OR NOT EXISTS (
        SELECT 1 FROM audit_events
        WHERE seq = NEW.seq AND hash = NEW.hash AND prev_hash = OLD.hash
    ) THEN
        RAISE EXCEPTION 'the audit head may only move from % to the event that follows it', OLD.seq
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_events_append_only
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_events_extend
    BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_extend_head();

CREATE TRIGGER audit_head_keep
    BEFORE DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_head_no_truncate
    BEFORE TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_head_forward
    BEFORE UPDATE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_head_advance();

-- +goose Down
DROP TABLE audit_events;
DROP TABLE audit_head;
DROP FUNCTION audit_head_advance();
DROP FUNCTION audit_events_extend_head();
DROP FUNCTION refuse_change();
