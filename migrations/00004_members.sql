-- +goose Up
-- The member register, jäsenluettelo (SPEC.md, "Members"), owned by
-- internal/members. Register rows are never deleted: former members stay,
-- and erasing a former member's personal data leaves a tombstone that keeps
-- the member number and the history.

-- Trigram indexes let the board find a member by any part of a name or an
-- email address without reading the whole register.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE members (
    id                  bigserial     PRIMARY KEY,
    -- Assigned at admission from member_number_counter; never reused.
    member_no           integer       UNIQUE CHECK (member_no > 0),
    kind                text          NOT NULL CHECK (kind IN ('individual', 'organisation')),
    status              text          NOT NULL CHECK (status IN ('applicant', 'active', 'suspended', 'resigned', 'expelled', 'rejected')),
    -- The account that acts for the member: the person for an individual,
    -- the representative for an organisation. NULL only on a tombstone.
    account_id          bigint        REFERENCES accounts (id),
    name                text          NOT NULL,
    email               text          NOT NULL,
    address             text          NOT NULL DEFAULT '',
    country             text          NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    organisation_number text          NOT NULL DEFAULT '',
    statement           text          NOT NULL DEFAULT '',
    rules_accepted_at   timestamptz   NOT NULL,
    applied_at          timestamptz   NOT NULL,
    admitted_at         timestamptz,
    left_at             timestamptz,
    share_due           numeric(12,2) NOT NULL DEFAULT 0 CHECK (share_due >= 0),
    share_paid          numeric(12,2) NOT NULL DEFAULT 0 CHECK (share_paid >= 0),
    share_paid_on       date,
    share_currency      text          NOT NULL DEFAULT 'EUR' CHECK (share_currency ~ '^[A-Z]{3}$'),
    erased_at           timestamptz,
    CHECK ((member_no IS NULL) = (admitted_at IS NULL)),
    CHECK ((member_no IS NULL) = (status IN ('applicant', 'rejected'))),
    CHECK ((left_at IS NOT NULL) = (status IN ('resigned', 'expelled'))),
    CHECK (organisation_number = '' OR kind = 'organisation'),
    -- A tombstone keeps no personal data and no link to an account; every
    -- other row has both.
    CHECK (CASE WHEN erased_at IS NULL THEN
               account_id IS NOT NULL
               AND length(name) BETWEEN 1 AND 200
               AND length(email) BETWEEN 3 AND 254
               AND length(address) <= 500
               AND length(organisation_number) <= 50
               AND length(statement) <= 2000
           ELSE
               status IN ('resigned', 'expelled', 'rejected')
               AND account_id IS NULL AND name = '' AND email = '' AND address = ''
               AND organisation_number = '' AND statement = ''
           END)
);

-- One live individual membership or application per account.
CREATE UNIQUE INDEX members_individual_account_idx ON members (account_id)
    WHERE kind = 'individual' AND status IN ('applicant', 'active', 'suspended');
-- One live membership or application per organisation (by name, in its
-- country).
CREATE UNIQUE INDEX members_organisation_name_idx ON members (country, lower(name))
    WHERE kind = 'organisation' AND status IN ('applicant', 'active', 'suspended');
CREATE INDEX members_account_idx ON members (account_id);

-- The register's order: by member number, then applicants (who have none)
-- in order of application. The expression is the keyset of its pages and
-- must match internal/members/store.go.
CREATE INDEX members_register_order_idx ON members ((coalesce(member_no, 2147483647)), id);
CREATE INDEX members_status_order_idx ON members (status, (coalesce(member_no, 2147483647)), id);
CREATE INDEX members_name_trgm_idx ON members USING gin (name gin_trgm_ops);
CREATE INDEX members_email_trgm_idx ON members USING gin (email gin_trgm_ops);

-- Register rows are never deleted (SPEC.md), and a member number once given
-- never changes.
CREATE TRIGGER members_keep
    BEFORE DELETE ON members
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER members_no_truncate
    BEFORE TRUNCATE ON members
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- +goose StatementBegin
CREATE FUNCTION members_keep_number() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.member_no IS NOT NULL AND NEW.member_no IS DISTINCT FROM OLD.member_no THEN
        RAISE EXCEPTION 'member number % of member % cannot change', OLD.member_no, OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER members_number_fixed
    BEFORE UPDATE ON members
    FOR EACH ROW EXECUTE FUNCTION members_keep_number();

-- The last member number given. The admission transaction takes the next
-- one by updating this row, which locks it until commit: numbers are given
-- one at a time, and a rolled-back admission gives its number back, so the
-- numbers have no gaps.
CREATE TABLE member_number_counter (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_no   integer NOT NULL CHECK (last_no >= 0)
);
INSERT INTO member_number_counter (last_no) VALUES (0);

CREATE TRIGGER member_number_counter_keep
    BEFORE DELETE ON member_number_counter
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Every status a member has had and from when: who changed it and why. The
-- status in force at a time is that of the last row effective by then,
-- which answers "was this member active on that date" for voting lists.
CREATE TABLE member_status_history (
    id               bigserial   PRIMARY KEY,
    member_id        bigint      NOT NULL REFERENCES members (id),
    status           text        NOT NULL CHECK (status IN ('applicant', 'active', 'suspended', 'resigned', 'expelled', 'rejected')),
    effective_at     timestamptz NOT NULL,
    recorded_at      timestamptz NOT NULL,
    actor_account_id bigint      REFERENCES accounts (id),
    reason           text        NOT NULL DEFAULT '' CHECK (length(reason) <= 2000)
);
CREATE INDEX member_status_history_member_idx ON member_status_history (member_id, effective_at, id);
CREATE INDEX member_status_history_effective_idx ON member_status_history (effective_at);

CREATE TRIGGER member_status_history_append_only
    BEFORE UPDATE OR DELETE ON member_status_history
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER member_status_history_no_truncate
    BEFORE TRUNCATE ON member_status_history
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- Share contributions paid in and returned. A mistake is corrected by a
-- further entry, never by changing one.
CREATE TABLE member_share_payments (
    id               bigserial     PRIMARY KEY,
    member_id        bigint        NOT NULL REFERENCES members (id),
    kind             text          NOT NULL CHECK (kind IN ('payment', 'refund')),
    amount           numeric(12,2) NOT NULL CHECK (amount > 0),
    paid_on          date          NOT NULL,
    recorded_at      timestamptz   NOT NULL,
    actor_account_id bigint        REFERENCES accounts (id),
    note             text          NOT NULL DEFAULT '' CHECK (length(note) <= 500)
);
CREATE INDEX member_share_payments_member_idx ON member_share_payments (member_id, id);

CREATE TRIGGER member_share_payments_append_only
    BEFORE UPDATE OR DELETE ON member_share_payments
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER member_share_payments_no_truncate
    BEFORE TRUNCATE ON member_share_payments
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- +goose Down
DROP TABLE member_share_payments;
DROP TABLE member_status_history;
DROP TABLE member_number_counter;
DROP TABLE members;
DROP FUNCTION members_keep_number();
