-- +goose Up
-- A line of a voting list names the account that casts its vote. For an
-- organisation's line, and for the line of a member whose proxy an
-- organisation holds, that is the organisation's representative: when the
-- board changes the representative while a ballot is open, the line not
-- yet voted passes to the new one (internal/ballots HandOver). That is the
-- one change a line may have besides being marked as voted, and only to
-- the account that represents the organisation now.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION ballot_voters_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    st  text;
    rep bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the voting list of ballot % is permanent', OLD.ballot_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT status INTO st FROM ballots WHERE id = OLD.ballot_id;
    IF st IS DISTINCT FROM 'open' THEN
        RAISE EXCEPTION 'ballot % is closed: its voting list is permanent', OLD.ballot_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT OLD.voted AND NOT NEW.voted AND OLD.cast_by IN ('representative', 'proxy')
       AND NEW.voter_account_id IS DISTINCT FROM OLD.voter_account_id
       AND ROW(NEW.ballot_id, NEW.member_id, NEW.member_no, NEW.cast_by, NEW.proxy_id, NEW.idempotency_hash)
           IS NOT DISTINCT FROM
           ROW(OLD.ballot_id, OLD.member_id, OLD.member_no, OLD.cast_by, OLD.proxy_id, OLD.idempotency_hash) THEN
        IF OLD.cast_by = 'proxy' THEN
            SELECT h.account_id INTO rep FROM meeting_proxies p JOIN members h ON h.id = p.holder_member_id
            WHERE p.id = OLD.proxy_id AND h.kind = 'organisation';
        ELSE
            SELECT account_id INTO rep FROM members WHERE id = OLD.member_id AND kind = 'organisation';
        END IF;
        IF rep IS NULL OR rep IS DISTINCT FROM NEW.voter_account_id THEN
            RAISE EXCEPTION 'member % of ballot %: a line passes only to the organisation''s representative', OLD.member_id, OLD.ballot_id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.voted OR NOT NEW.voted
       OR ROW(NEW.ballot_id, NEW.member_id, NEW.member_no, NEW.voter_account_id, NEW.cast_by, NEW.proxy_id)
          IS DISTINCT FROM
          ROW(OLD.ballot_id, OLD.member_id, OLD.member_no, OLD.voter_account_id, OLD.cast_by, OLD.proxy_id) THEN
        RAISE EXCEPTION 'member % of ballot % can only be marked as voted, once', OLD.member_id, OLD.ballot_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION ballot_voters_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    st text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the voting list of ballot % is permanent', OLD.ballot_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT status INTO st FROM ballots WHERE id = OLD.ballot_id;
    IF st IS DISTINCT FROM 'open' THEN
        RAISE EXCEPTION 'ballot % is closed: its voting list is permanent', OLD.ballot_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.voted OR NOT NEW.voted
       OR ROW(NEW.ballot_id, NEW.member_id, NEW.member_no, NEW.voter_account_id, NEW.cast_by, NEW.proxy_id)
          IS DISTINCT FROM
          ROW(OLD.ballot_id, OLD.member_id, OLD.member_no, OLD.voter_account_id, OLD.cast_by, OLD.proxy_id) THEN
        RAISE EXCEPTION 'member % of ballot % can only be marked as voted, once', OLD.member_id, OLD.ballot_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
