-- +goose Up
-- Motions at general meetings (SPEC.md, "Motions"), owned by
-- internal/motions: main motions and the amendments to them, and every
-- version of a motion's text. Rows are never deleted: what happened to a
-- motion is its status with the moments and people beside it, and its
-- texts stay in motion_versions as they were.
CREATE TABLE motions (
    id                  bigserial   PRIMARY KEY,
    meeting_id          bigint      NOT NULL REFERENCES meetings (id),
    -- Removing an item from a draft agenda leaves its motions on the
    -- meeting without an item.
    agenda_item_id      bigint      REFERENCES meeting_agenda_items (id) ON DELETE SET NULL,
    -- An amendment amends a main motion of the same meeting.
    amends_motion_id    bigint,
    -- The version of the main motion's text an amendment was written
    -- against.
    based_on_version    integer     CHECK (based_on_version > 0),
    title               text        NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    -- The current version of the text (motion_versions).
    version             integer     NOT NULL DEFAULT 1 CHECK (version > 0),
    -- Board motions have no proposing member and need no seconder.
    by_board            boolean     NOT NULL,
    proposer_member_id  bigint      REFERENCES members (id),
    proposer_account_id bigint      NOT NULL REFERENCES accounts (id),
    seconder_member_id  bigint      REFERENCES members (id),
    seconder_account_id bigint      REFERENCES accounts (id),
    majority            text        NOT NULL
                        CHECK (majority IN ('simple', 'two_thirds', 'three_quarters', 'unanimous')),
    status              text        NOT NULL
                        CHECK (status IN ('submitted', 'seconded', 'voting', 'carried', 'failed', 'withdrawn', 'no_quorum')),
    -- The ballot on the motion (internal/ballots), once it is put to a vote.
    ballot_id           bigint      UNIQUE,
    submitted_at        timestamptz NOT NULL,
    seconded_at         timestamptz,
    withdrawn_at        timestamptz,
    withdrawn_by        bigint      REFERENCES accounts (id),
    voting_at           timestamptz,
    decided_at          timestamptz,
    UNIQUE (id, meeting_id),
    FOREIGN KEY (amends_motion_id, meeting_id) REFERENCES motions (id, meeting_id),
    CHECK (amends_motion_id <> id),
    CHECK ((amends_motion_id IS NULL) = (based_on_version IS NULL)),
    CHECK (amends_motion_id IS NULL OR version = 1),
    CHECK (by_board = (proposer_member_id IS NULL)),
    CHECK ((seconder_member_id IS NULL) = (seconder_account_id IS NULL)),
    CHECK ((seconder_member_id IS NULL) = (seconded_at IS NULL)),
    CHECK (NOT by_board OR seconder_member_id IS NULL),
    -- Nobody seconds their own motion, as the member or as the person.
    CHECK (seconder_member_id <> proposer_member_id),
    CHECK (seconder_account_id <> proposer_account_id),
    -- A board motion starts seconded; a member's motion goes further than
    -- submitted only with a seconder.
    CHECK (status <> 'submitted' OR NOT by_board),
    CHECK (by_board OR status IN ('submitted', 'withdrawn') OR seconder_member_id IS NOT NULL),
    CHECK ((withdrawn_at IS NOT NULL) = (status = 'withdrawn')),
    CHECK ((withdrawn_at IS NULL) = (withdrawn_by IS NULL)),
    CHECK ((voting_at IS NOT NULL) = (status IN ('voting', 'carried', 'failed', 'no_quorum'))),
    CHECK ((ballot_id IS NOT NULL) = (voting_at IS NOT NULL)),
    CHECK ((decided_at IS NOT NULL) = (status IN ('carried', 'failed', 'no_quorum')))
);
CREATE INDEX motions_meeting_idx ON motions (meeting_id, id);
CREATE INDEX motions_amends_idx ON motions (amends_motion_id, id) WHERE amends_motion_id IS NOT NULL;

-- Every text a motion has had. Version 1 is the text as proposed; each
-- carried amendment of a main motion adds the next version, which is the
-- amendment's text.
CREATE TABLE motion_versions (
    motion_id    bigint      NOT NULL REFERENCES motions (id),
    version      integer     NOT NULL CHECK (version > 0),
    body         text        NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
    created_at   timestamptz NOT NULL,
    amendment_id bigint      UNIQUE REFERENCES motions (id),
    PRIMARY KEY (motion_id, version),
    CHECK ((version = 1) = (amendment_id IS NULL))
);

-- A motion's current version exists; checked at commit, as the motion and
-- its first version are inserted one after the other.
ALTER TABLE motions ADD CONSTRAINT motions_version_fkey
    FOREIGN KEY (id, version) REFERENCES motion_versions (motion_id, version)
    DEFERRABLE INITIALLY DEFERRED;

CREATE TRIGGER motions_keep
    BEFORE DELETE ON motions
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER motions_no_truncate
    BEFORE TRUNCATE ON motions
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER motion_versions_keep
    BEFORE UPDATE OR DELETE ON motion_versions
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER motion_versions_no_truncate
    BEFORE TRUNCATE ON motion_versions
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- +goose Down
ALTER TABLE motions DROP CONSTRAINT motions_version_fkey;
DROP TABLE motion_versions;
DROP TABLE motions;
