-- +goose Up
-- The minutes of general meetings and their archive (SPEC.md, "Minutes and
-- the archive"), owned by internal/minutes. A meeting has one document of
-- minutes (addendum 0) and, once those are sealed, any number of addenda
-- that correct them (1, 2, ...), each drafted, signed and sealed on its
-- own. Every save is a new version and no version is ever changed; the
-- signatures name the exact version signed by its SHA-256. Once sealed, a
-- document never changes: the triggers below refuse it, and `osk verify`
-- (internal/minutes, check.go) rehashes every sealed document and its
-- signatures to find what the triggers cannot stop, such as a superuser
-- disabling them.
CREATE TABLE minutes (
    id              bigserial   PRIMARY KEY,
    meeting_id      bigint      NOT NULL REFERENCES meetings (id),
    -- 0 for the minutes themselves, 1, 2, ... for their addenda in order.
    addendum        integer     NOT NULL CHECK (addendum >= 0),
    status          text        NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'in_review', 'signed')),
    -- The latest version saved.
    version         integer     NOT NULL CHECK (version >= 1),
    -- The version submitted for signing: set while in review and once
    -- signed, when it is the version sealed.
    review_version  integer     CHECK (review_version >= 1 AND review_version <= version),
    submitted_at    timestamptz,
    sealed_at       timestamptz,
    -- SHA-256 of the canonical JSON of the sealed record: the version,
    -- the SHA-256 of its text and every signature (internal/minutes,
    -- seal.go). It is in the audit event that sealed the document, and
    -- that event is the chain head printed on it.
    sealed_hash     bytea       CHECK (length(sealed_hash) = 32),
    chain_head_seq  bigint      CHECK (chain_head_seq > 0),
    chain_head_hash bytea       CHECK (length(chain_head_hash) = 32),
    -- The archive's search: the meeting's title and the plain text of the
    -- sealed version, both written when the document is sealed.
    title           text        NOT NULL DEFAULT '',
    search_text     text        NOT NULL DEFAULT '',
    search          tsvector    GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', search_text), 'B')
    ) STORED,
    created_at      timestamptz NOT NULL,
    created_by      bigint      REFERENCES accounts (id),
    UNIQUE (meeting_id, addendum),
    CHECK ((status = 'draft') = (review_version IS NULL)),
    CHECK ((status = 'draft') = (submitted_at IS NULL)),
    CHECK ((status = 'signed') = (sealed_at IS NOT NULL)),
    CHECK ((sealed_at IS NULL) = (sealed_hash IS NULL)),
    CHECK ((sealed_at IS NULL) = (chain_head_seq IS NULL)),
    CHECK ((sealed_at IS NULL) = (chain_head_hash IS NULL))
);
-- One document of a meeting is worked on at a time: an addendum is begun
-- only once everything before it is sealed.
CREATE UNIQUE INDEX minutes_one_open_idx ON minutes (meeting_id) WHERE status <> 'signed';
CREATE INDEX minutes_sealed_idx ON minutes (sealed_at DESC, id DESC) WHERE status = 'signed';
CREATE INDEX minutes_search_idx ON minutes USING gin (search);

-- Every version of every document, as saved. body_hash is SHA-256 of the
-- text as UTF-8: what the chair and the checkers sign.
CREATE TABLE minutes_versions (
    minutes_id bigint      NOT NULL REFERENCES minutes (id),
    version    integer     NOT NULL CHECK (version >= 1),
    body       text        NOT NULL CHECK (body <> ''),
    body_hash  bytea       NOT NULL CHECK (length(body_hash) = 32),
    created_at timestamptz NOT NULL,
    created_by bigint      REFERENCES accounts (id),
    PRIMARY KEY (minutes_id, version)
);

-- The signatures of the chair and the minute checkers, each on the exact
-- version in review.
CREATE TABLE minutes_signatures (
    id         bigserial   PRIMARY KEY,
    minutes_id bigint      NOT NULL,
    version    integer     NOT NULL,
    body_hash  bytea       NOT NULL CHECK (length(body_hash) = 32),
    account_id bigint      NOT NULL REFERENCES accounts (id),
    role       text        NOT NULL CHECK (role IN ('chair', 'checker')),
    signed_at  timestamptz NOT NULL,
    FOREIGN KEY (minutes_id, version) REFERENCES minutes_versions (minutes_id, version),
    UNIQUE (minutes_id, version, account_id)
);

-- A version sent back to the secretary by the chair or a checker, with
-- what should change.
CREATE TABLE minutes_returns (
    id          bigserial   PRIMARY KEY,
    minutes_id  bigint      NOT NULL,
    version     integer     NOT NULL,
    account_id  bigint      NOT NULL REFERENCES accounts (id),
    role        text        NOT NULL CHECK (role IN ('chair', 'checker')),
    comment     text        NOT NULL CHECK (comment <> ''),
    returned_at timestamptz NOT NULL,
    FOREIGN KEY (minutes_id, version) REFERENCES minutes_versions (minutes_id, version)
);
CREATE INDEX minutes_returns_minutes_idx ON minutes_returns (minutes_id, id);

-- A sealed document never changes, and no document is ever deleted.
-- +goose StatementBegin
CREATE FUNCTION minutes_keep_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'minutes % cannot be deleted', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.status = 'signed' THEN
        RAISE EXCEPTION 'minutes % are sealed: they cannot change', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.id <> OLD.id OR NEW.meeting_id <> OLD.meeting_id OR NEW.addendum <> OLD.addendum THEN
        RAISE EXCEPTION 'minutes % cannot move to another meeting or place', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- A version is added only to a draft.
-- +goose StatementBegin
CREATE FUNCTION minutes_versions_draft_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM minutes WHERE id = NEW.minutes_id AND status = 'draft') THEN
        RAISE EXCEPTION 'minutes % are not a draft: no version can be added', NEW.minutes_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- A signature or a return is given only on the version in review, so
-- that nothing is added to sealed minutes.
-- +goose StatementBegin
CREATE FUNCTION minutes_review_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM minutes
        WHERE id = NEW.minutes_id AND status = 'in_review' AND review_version = NEW.version
    ) THEN
        RAISE EXCEPTION 'version % of minutes % is not in review', NEW.version, NEW.minutes_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER minutes_sealed
    BEFORE UPDATE OR DELETE ON minutes
    FOR EACH ROW EXECUTE FUNCTION minutes_keep_sealed();
CREATE TRIGGER minutes_no_truncate
    BEFORE TRUNCATE ON minutes
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

CREATE TRIGGER minutes_versions_draft
    BEFORE INSERT ON minutes_versions
    FOR EACH ROW EXECUTE FUNCTION minutes_versions_draft_only();
CREATE TRIGGER minutes_versions_permanent
    BEFORE UPDATE OR DELETE ON minutes_versions
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER minutes_versions_no_truncate
    BEFORE TRUNCATE ON minutes_versions
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

CREATE TRIGGER minutes_signatures_review
    BEFORE INSERT ON minutes_signatures
    FOR EACH ROW EXECUTE FUNCTION minutes_review_only();
CREATE TRIGGER minutes_signatures_permanent
    BEFORE UPDATE OR DELETE ON minutes_signatures
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER minutes_signatures_no_truncate
    BEFORE TRUNCATE ON minutes_signatures
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

CREATE TRIGGER minutes_returns_review
    BEFORE INSERT ON minutes_returns
    FOR EACH ROW EXECUTE FUNCTION minutes_review_only();
CREATE TRIGGER minutes_returns_permanent
    BEFORE UPDATE OR DELETE ON minutes_returns
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER minutes_returns_no_truncate
    BEFORE TRUNCATE ON minutes_returns
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- +goose Down
DROP TABLE minutes_returns;
DROP TABLE minutes_signatures;
DROP TABLE minutes_versions;
DROP TABLE minutes;
DROP FUNCTION minutes_review_only();
DROP FUNCTION minutes_versions_draft_only();
DROP FUNCTION minutes_keep_sealed();
