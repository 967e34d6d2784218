-- +goose Up
-- An auditor reads everything and changes nothing, and no route may give
-- them write powers (SPEC.md, "People, accounts and roles"). Acting for a
-- member is such a power: voting, proposing, resigning. So an account that
-- holds the auditor role acts for no current member or applicant, as an
-- individual or as an organisation's representative, and an account that
-- acts for one is not made an auditor. internal/auth and internal/members
-- each check their side with a clear message; this holds the rule for any
-- writer, and for a grant and an application that race.
--
-- A grant and a register write that race are serialised on the account's
-- row: the grant locks it for update, and a register row comes to name an
-- account only by an insert or a change of account_id, whose foreign key
-- locks the account's row for key share. The one waits for the other to
-- commit, and its check, a later statement, then sees the other's rows.

-- +goose StatementBegin
CREATE FUNCTION account_roles_auditor_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM accounts WHERE id = NEW.account_id FOR UPDATE;
    IF EXISTS (SELECT 1 FROM members
               WHERE account_id = NEW.account_id AND status IN ('applicant', 'active', 'suspended')) THEN
        RAISE EXCEPTION 'account % acts for a member and cannot be an auditor', NEW.account_id
            USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'auditor_independent';
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER account_roles_auditor_independent
    AFTER INSERT ON account_roles
    FOR EACH ROW WHEN (NEW.role = 'auditor')
    EXECUTE FUNCTION account_roles_auditor_guard();

-- All the rows a statement wrote are checked by one query, so that a
-- register loaded by COPY costs one join rather than a lookup per member.
-- +goose StatementBegin
CREATE FUNCTION members_auditor_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad bigint;
BEGIN
    SELECT n.account_id INTO bad
    FROM new_rows n
    JOIN account_roles r ON r.account_id = n.account_id AND r.role = 'auditor'
    WHERE n.status IN ('applicant', 'active', 'suspended')
    LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'account % is an auditor and cannot act for a member', bad
            USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'auditor_independent';
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER members_inserted_auditor_independent
    AFTER INSERT ON members
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION members_auditor_guard();
CREATE TRIGGER members_updated_auditor_independent
    AFTER UPDATE ON members
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION members_auditor_guard();

-- +goose Down
DROP TRIGGER members_updated_auditor_independent ON members;
DROP TRIGGER members_inserted_auditor_independent ON members;
DROP FUNCTION members_auditor_guard();
DROP TRIGGER account_roles_auditor_independent ON account_roles;
DROP FUNCTION account_roles_auditor_guard();
