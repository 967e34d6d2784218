-- +goose Up
-- A group commit appends the events of many changes in one INSERT and
-- moves the head once (audit.Log.AppendAll). The chain's shape stays as
-- strict as before: each new event extends the head or, within one append,
-- the event inserted just before it; and the head may only move forward
-- over a contiguous run of events linked from the old head to the new one.

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_events_extend_head() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head_seq  bigint;
    head_hash bytea;
BEGIN
    SELECT seq, hash INTO head_seq, head_hash FROM audit_head WHERE singleton;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'audit event % has no chain head to extend', NEW.seq
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    -- A row of a statement sees the rows the statement inserted before it,
    -- and the head is locked by the appender: an event past the head can
    -- only be one this append has just written.
    IF NOT (NEW.seq = head_seq + 1 AND NEW.prev_hash = head_hash
            OR NEW.seq > head_seq + 1 AND EXISTS (
                SELECT 1 FROM audit_events WHERE seq = NEW.seq - 1 AND hash = NEW.prev_hash)) THEN
        RAISE EXCEPTION 'audit event % does not extend the chain head at %', NEW.seq, head_seq
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_head_advance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    linked boolean;
BEGIN
    IF NEW.seq > OLD.seq THEN
        SELECT count(*) = NEW.seq - OLD.seq
               AND bool_and(e.prev_hash = coalesce(e.before, OLD.hash))
               AND bool_or(e.seq = NEW.seq AND e.hash = NEW.hash)
        INTO linked
        FROM (SELECT seq, hash, prev_hash, lag(hash) OVER (ORDER BY seq) AS before
              FROM audit_events WHERE seq > OLD.seq AND seq <= NEW.seq) e;
    END IF;
    IF NOT coalesce(linked, false) THEN
        RAISE EXCEPTION 'the audit head may only move from % over the events that follow it', OLD.seq
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_events_extend_head() RETURNS trigger LANGUAGE plpgsql AS $$
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

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_head_advance() RETURNS trigger LANGUAGE plpgsql AS $$
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
