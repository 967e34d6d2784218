-- +goose Up
-- General meetings (SPEC.md, "General meetings"), owned by internal/meetings:
-- the meeting with its notice, agenda and officers, the items members ask
-- for, attendance and proxies. Attendance and proxies are evidence of who
-- took part: their rows are never deleted, only closed (left_at,
-- withdrawn_at).
CREATE TABLE meetings (
    id                   bigserial   PRIMARY KEY,
    kind                 text        NOT NULL CHECK (kind IN ('annual', 'extraordinary')),
    title                text        NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    starts_at            timestamptz NOT NULL,
    ends_at              timestamptz NOT NULL,
    -- The IANA zone the meeting is held in, for its notice and pages.
    time_zone            text        NOT NULL CHECK (time_zone <> ''),
    location             text        NOT NULL DEFAULT '' CHECK (length(location) <= 500),
    online_url           text        NOT NULL DEFAULT '' CHECK (length(online_url) <= 2000),
    remote_allowed       boolean     NOT NULL DEFAULT false,
    -- The moment whose active members make up the voting lists; set at the
    -- latest when the meeting is convened (internal/meetings/doc.go).
    record_date          timestamptz,
    quorum_min_members   integer     NOT NULL DEFAULT 0 CHECK (quorum_min_members >= 0),
    quorum_min_percent   integer     NOT NULL DEFAULT 0 CHECK (quorum_min_percent BETWEEN 0 AND 100),
    status               text        NOT NULL DEFAULT 'draft'
                         CHECK (status IN ('draft', 'convened', 'in_session', 'closed', 'cancelled')),
    chair_account_id     bigint      REFERENCES accounts (id),
    secretary_account_id bigint      REFERENCES accounts (id),
    created_at           timestamptz NOT NULL,
    created_by           bigint      REFERENCES accounts (id),
    convened_at          timestamptz,
    opened_at            timestamptz,
    closed_at            timestamptz,
    cancelled_at         timestamptz,
    cancel_reason        text        NOT NULL DEFAULT '' CHECK (length(cancel_reason) <= 2000),
    -- The notice as published and emailed, kept word for word.
    notice               text        NOT NULL DEFAULT '',
    -- Bumped on every change members were told about after the notice, so
    -- that calendar programs replace their copy (RFC 5545 SEQUENCE).
    revision             integer     NOT NULL DEFAULT 0 CHECK (revision >= 0),
    CHECK (ends_at > starts_at),
    CHECK ((convened_at IS NOT NULL) = (status IN ('convened', 'in_session', 'closed') OR (status = 'cancelled' AND notice <> ''))),
    CHECK ((opened_at IS NOT NULL) = (status IN ('in_session', 'closed'))),
    CHECK ((closed_at IS NOT NULL) = (status = 'closed')),
    CHECK ((cancelled_at IS NOT NULL) = (status = 'cancelled')),
    CHECK (status <> 'cancelled' OR cancel_reason <> ''),
    CHECK (status = 'draft' OR status = 'cancelled' OR record_date IS NOT NULL)
);
CREATE INDEX meetings_starts_idx ON meetings (starts_at DESC, id DESC);

CREATE TABLE meeting_checkers (
    meeting_id bigint  NOT NULL REFERENCES meetings (id),
    account_id bigint  NOT NULL REFERENCES accounts (id),
    position   integer NOT NULL CHECK (position > 0),
    PRIMARY KEY (meeting_id, account_id),
    UNIQUE (meeting_id, position)
);

CREATE TABLE meeting_agenda_items (
    id          bigserial PRIMARY KEY,
    meeting_id  bigint    NOT NULL REFERENCES meetings (id),
    position    integer   NOT NULL CHECK (position > 0),
    title       text      NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description text      NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
    rule_change boolean   NOT NULL DEFAULT false,
    weighty     boolean   NOT NULL DEFAULT false,
    -- Which statutory item of an annual meeting this is ('' for others).
    statutory   text      NOT NULL DEFAULT '',
    -- Items are renumbered within one transaction, so the order is checked
    -- at its end.
    CONSTRAINT meeting_agenda_items_position_key UNIQUE (meeting_id, position) DEFERRABLE INITIALLY DEFERRED
);

-- Items a member asks the board to put on the agenda (SPEC.md: before the
-- member motion deadline).
CREATE TABLE meeting_item_requests (
    id             bigserial   PRIMARY KEY,
    meeting_id     bigint      NOT NULL REFERENCES meetings (id),
    member_id      bigint      NOT NULL REFERENCES members (id),
    account_id     bigint      NOT NULL REFERENCES accounts (id),
    title          text        NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description    text        NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
    requested_at   timestamptz NOT NULL,
    status         text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'declined')),
    decided_at     timestamptz,
    decided_by     bigint      REFERENCES accounts (id),
    reason         text        NOT NULL DEFAULT '' CHECK (length(reason) <= 2000),
    agenda_item_id bigint      REFERENCES meeting_agenda_items (id),
    CHECK ((status = 'pending') = (decided_at IS NULL)),
    CHECK ((status = 'accepted') = (agenda_item_id IS NOT NULL)),
    CHECK (status <> 'declined' OR reason <> '')
);
CREATE INDEX meeting_item_requests_meeting_idx ON meeting_item_requests (meeting_id, id);

-- One row per stay: arriving opens a row, leaving closes it. A member has
-- at most one open row per meeting.
CREATE TABLE meeting_attendance (
    id            bigserial   PRIMARY KEY,
    meeting_id    bigint      NOT NULL REFERENCES meetings (id),
    member_id     bigint      NOT NULL REFERENCES members (id),
    mode          text        NOT NULL CHECK (mode IN ('in_person', 'remote')),
    arrived_at    timestamptz NOT NULL,
    registered_by bigint      REFERENCES accounts (id),
    left_at       timestamptz,
    left_by       bigint      REFERENCES accounts (id),
    CHECK (left_at IS NULL OR left_at >= arrived_at)
);
CREATE UNIQUE INDEX meeting_attendance_present_idx ON meeting_attendance (meeting_id, member_id) WHERE left_at IS NULL;
CREATE INDEX meeting_attendance_member_idx ON meeting_attendance (meeting_id, member_id, id);

-- Proxy authorisations (SPEC.md: kept as evidence; withdrawn only until a
-- ballot used them). used_at and used_in_ballot are filled by
-- internal/ballots.
CREATE TABLE meeting_proxies (
    id                bigserial   PRIMARY KEY,
    meeting_id        bigint      NOT NULL REFERENCES meetings (id),
    grantor_member_id bigint      NOT NULL REFERENCES members (id),
    holder_member_id  bigint      NOT NULL REFERENCES members (id),
    granted_at        timestamptz NOT NULL,
    granted_by        bigint      NOT NULL REFERENCES accounts (id),
    withdrawn_at      timestamptz,
    withdrawn_by      bigint      REFERENCES accounts (id),
    used_at           timestamptz,
    used_in_ballot    bigint,
    CHECK (grantor_member_id <> holder_member_id),
    CHECK ((used_at IS NULL) = (used_in_ballot IS NULL)),
    -- A used proxy stays; a withdrawn one is never used.
    CHECK (withdrawn_at IS NULL OR used_at IS NULL)
);
CREATE UNIQUE INDEX meeting_proxies_live_idx ON meeting_proxies (meeting_id, grantor_member_id) WHERE withdrawn_at IS NULL;
CREATE INDEX meeting_proxies_holder_idx ON meeting_proxies (meeting_id, holder_member_id) WHERE withdrawn_at IS NULL;

-- Secret addresses of members' calendar subscriptions: only a hash is kept.
CREATE TABLE meeting_calendar_tokens (
    account_id bigint      PRIMARY KEY REFERENCES accounts (id),
    token_hash bytea       NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at timestamptz NOT NULL
);

CREATE TRIGGER meeting_attendance_keep
    BEFORE DELETE ON meeting_attendance
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER meeting_attendance_no_truncate
    BEFORE TRUNCATE ON meeting_attendance
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER meeting_proxies_keep
    BEFORE DELETE ON meeting_proxies
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER meeting_proxies_no_truncate
    BEFORE TRUNCATE ON meeting_proxies
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER meetings_keep
    BEFORE DELETE ON meetings
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- +goose Down
DROP TABLE meeting_calendar_tokens;
DROP TABLE meeting_proxies;
DROP TABLE meeting_attendance;
DROP TABLE meeting_item_requests;
DROP TABLE meeting_agenda_items;
DROP TABLE meeting_checkers;
DROP TABLE meetings;
