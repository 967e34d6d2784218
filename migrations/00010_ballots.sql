-- +goose Up
-- Ballots (SPEC.md, "Ballots: one member, one vote"), owned by
-- internal/ballots: one ballot mechanism for two kinds of question, a
-- motion (for, against or abstain) and an election (candidates), with its
-- frozen voting list and its votes. The rules that decide an election or a
-- motion live in Go; the rules below are those the database can hold on
-- its own, so that no writer, faulty or not, can count a member twice,
-- change a vote, or change a voting list once it is frozen.
CREATE TABLE ballots (
    id               bigserial   PRIMARY KEY,
    meeting_id       bigint      NOT NULL REFERENCES meetings (id),
    kind             text        NOT NULL CHECK (kind IN ('motion', 'election')),
    -- The motion or the election voted on. The motions and elections own
    -- their tables and point back here.
    subject_id       bigint      NOT NULL CHECK (subject_id > 0),
    -- The question, frozen at opening: a motion's required majority, an
    -- election's seats and candidates.
    majority         text        CHECK (majority IN ('simple', 'two_thirds', 'three_quarters', 'unanimous')),
    seats            integer     CHECK (seats > 0),
    candidate_ids    bigint[],
    secret           boolean     NOT NULL,
    electorate       text        NOT NULL CHECK (electorate IN ('represented', 'all_members')),
    status           text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    record_date      timestamptz NOT NULL,
    -- The ballot quorum of the rules when the ballot opened.
    min_votes        integer     NOT NULL CHECK (min_votes >= 0),
    -- The size and the SHA-256 of the voting list (internal/ballots,
    -- record.go), also in the audit event of the opening.
    eligible         integer     NOT NULL CHECK (eligible >= 0),
    voting_list_hash bytea       NOT NULL CHECK (length(voting_list_hash) = 32),
    opened_at        timestamptz NOT NULL,
    opened_by        bigint      REFERENCES accounts (id),
    -- The transaction that opened the ballot: the only one that may write
    -- its voting list.
    opened_xact      xid8        NOT NULL DEFAULT pg_current_xact_id(),
    closes_at        timestamptz,
    closed_at        timestamptz,
    closed_by        bigint      REFERENCES accounts (id),
    -- API.md's RESULT, from the count at the close.
    result           jsonb,
    casting_vote     text        CHECK (casting_vote IN ('for', 'against')),
    -- When the outcome became final: at the close, or at the chair's
    -- casting vote after a tie. The record is hashed then, and the audit
    -- event that carries its hash is the chain head printed on it.
    decided_at       timestamptz,
    record_hash      bytea       CHECK (length(record_hash) = 32),
    chain_head_seq   bigint      CHECK (chain_head_seq > 0),
    chain_head_hash  bytea       CHECK (length(chain_head_hash) = 32),
    CHECK ((kind = 'motion') = (majority IS NOT NULL)),
    CHECK ((kind = 'election') = (seats IS NOT NULL)),
    CHECK ((kind = 'election') = (candidate_ids IS NOT NULL)),
    CHECK ((status = 'closed') = (closed_at IS NOT NULL)),
    CHECK ((status = 'closed') = (result IS NOT NULL)),
    CHECK (decided_at IS NULL OR status = 'closed'),
    CHECK ((decided_at IS NULL) = (record_hash IS NULL)),
    CHECK ((record_hash IS NULL) = (chain_head_seq IS NULL)),
    CHECK ((record_hash IS NULL) = (chain_head_hash IS NULL)),
    CHECK (casting_vote IS NULL OR decided_at IS NOT NULL)
);
-- One ballot at a time on a question.
CREATE UNIQUE INDEX ballots_open_subject_idx ON ballots (kind, subject_id) WHERE status = 'open';
CREATE INDEX ballots_subject_idx ON ballots (kind, subject_id, id);
CREATE INDEX ballots_meeting_idx ON ballots (meeting_id, id);
CREATE INDEX ballots_open_idx ON ballots (id) WHERE status = 'open';

-- The voting list (ääniluettelo): every member who may be counted, with
-- the account that casts their vote. Its primary key is the rule "each
-- member on the list can be counted once": a vote flips voted from false
-- to true in one conditional UPDATE, which two requests can never both do.
CREATE TABLE ballot_voters (
    ballot_id        bigint  NOT NULL REFERENCES ballots (id),
    member_id        bigint  NOT NULL REFERENCES members (id),
    member_no        integer NOT NULL CHECK (member_no > 0),
    voter_account_id bigint  NOT NULL REFERENCES accounts (id),
    -- Who casts the vote: the member themself, an organisation's
    -- representative, or the holder of the member's proxy.
    cast_by          text    NOT NULL CHECK (cast_by IN ('self', 'representative', 'proxy')),
    proxy_id         bigint  REFERENCES meeting_proxies (id),
    voted            boolean NOT NULL DEFAULT false,
    -- SHA-256 of the Idempotency-Key of the request that voted, so that a
    -- retry is told the vote is recorded. Nothing derived from the choice
    -- is kept here.
    idempotency_hash bytea   CHECK (length(idempotency_hash) = 32),
    PRIMARY KEY (ballot_id, member_id),
    UNIQUE (ballot_id, member_no),
    CHECK ((cast_by = 'proxy') = (proxy_id IS NOT NULL)),
    CHECK (voted OR idempotency_hash IS NULL)
);
CREATE INDEX ballot_voters_account_idx ON ballot_voters (ballot_id, voter_account_id);
-- An Idempotency-Key stands for one vote of its account in a ballot.
CREATE UNIQUE INDEX ballot_voters_key_idx ON ballot_voters (ballot_id, voter_account_id, idempotency_hash)
    WHERE idempotency_hash IS NOT NULL;
-- Turnout, counted from the index alone.
CREATE INDEX ballot_voters_voted_idx ON ballot_voters (ballot_id) WHERE voted;

-- The votes. A vote row is keyed by the SHA-256 of its receipt, a random
-- code: it has no sequence that follows the order of voting and no time.
-- In a secret ballot it carries no member and no account; in an open
-- ballot it names both. At the close the votes are rewritten in the order
-- of their receipt hashes, so that neither their physical order nor their
-- transaction ids follow the order in which members voted.
CREATE TABLE ballot_votes (
    receipt_hash       bytea  PRIMARY KEY CHECK (length(receipt_hash) = 32),
    ballot_id          bigint NOT NULL REFERENCES ballots (id),
    choice             text   CHECK (choice IN ('for', 'against', 'abstain')),
    -- An election's vote: the candidates marked, none for a blank vote.
    candidate_ids      bigint[],
    member_id          bigint,
    cast_by_account_id bigint REFERENCES accounts (id),
    CHECK ((choice IS NULL) <> (candidate_ids IS NULL)),
    CHECK ((member_id IS NULL) = (cast_by_account_id IS NULL)),
    FOREIGN KEY (ballot_id, member_id) REFERENCES ballot_voters (ballot_id, member_id)
);
CREATE INDEX ballot_votes_ballot_idx ON ballot_votes (ballot_id);
CREATE UNIQUE INDEX ballot_votes_member_idx ON ballot_votes (ballot_id, member_id) WHERE member_id IS NOT NULL;

-- When the live turnout of a ballot was last published, and what it was
-- (internal/ballots, turnout.go): instances take turns through its row.
CREATE TABLE ballot_turnout (
    ballot_id    bigint      PRIMARY KEY REFERENCES ballots (id),
    voted        integer     NOT NULL CHECK (voted >= 0),
    published_at timestamptz NOT NULL
);

-- A ballot's question, voting list and opening never change; once closed
-- only its decision is written, and once decided nothing.
-- +goose StatementBegin
CREATE FUNCTION ballots_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.record_hash IS NOT NULL THEN
        RAISE EXCEPTION 'ballot % is decided: its record is permanent', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF ROW(NEW.id, NEW.meeting_id, NEW.kind, NEW.subject_id, NEW.majority, NEW.seats, NEW.candidate_ids,
           NEW.secret, NEW.electorate, NEW.record_date, NEW.min_votes, NEW.eligible, NEW.voting_list_hash,
           NEW.opened_at, NEW.opened_by, NEW.opened_xact, NEW.closes_at)
       IS DISTINCT FROM
       ROW(OLD.id, OLD.meeting_id, OLD.kind, OLD.subject_id, OLD.majority, OLD.seats, OLD.candidate_ids,
           OLD.secret, OLD.electorate, OLD.record_date, OLD.min_votes, OLD.eligible, OLD.voting_list_hash,
           OLD.opened_at, OLD.opened_by, OLD.opened_xact, OLD.closes_at) THEN
        RAISE EXCEPTION 'ballot %: the question, the voting list and the opening never change', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.status = 'closed' AND (NEW.status <> 'closed' OR NEW.closed_at IS DISTINCT FROM OLD.closed_at
                                  OR NEW.closed_by IS DISTINCT FROM OLD.closed_by) THEN
        RAISE EXCEPTION 'ballot % is closed', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- The voting list is written by the transaction that opens the ballot and
-- by nobody else.
-- +goose StatementBegin
CREATE FUNCTION ballot_voters_insert_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows n JOIN ballots b ON b.id = n.ballot_id
               WHERE b.opened_xact <> pg_current_xact_id()) THEN
        RAISE EXCEPTION 'a voting list is frozen when its ballot opens'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- A member on the list goes from not voted to voted once, while the ballot
-- is open; nothing else about the list changes.
-- +goose StatementBegin
CREATE FUNCTION ballot_voters_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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

-- A vote is cast while its ballot is open, with a member exactly when the
-- ballot is open rather than secret, and is never changed. The only
-- removal is the close of its own ballot rewriting the votes in receipt
-- order (SET LOCAL osk.sealing_ballot to the ballot's id), before the
-- ballot is marked closed.
-- +goose StatementBegin
CREATE FUNCTION ballot_votes_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    st  text;
    sec boolean;
    bid bigint;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'a vote is final'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN
        bid := OLD.ballot_id;
    ELSE
        bid := NEW.ballot_id;
    END IF;
    SELECT status, secret INTO st, sec FROM ballots WHERE id = bid;
    IF st IS DISTINCT FROM 'open' THEN
        RAISE EXCEPTION 'ballot % is closed: its votes are permanent', bid
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN
        IF current_setting('osk.sealing_ballot', true) IS DISTINCT FROM bid::text THEN
            RAISE EXCEPTION 'a vote is final'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN OLD;
    END IF;
    IF sec AND (NEW.member_id IS NOT NULL OR NEW.cast_by_account_id IS NOT NULL) THEN
        RAISE EXCEPTION 'ballot % is secret: a vote names no member and no account', bid
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT sec AND NEW.member_id IS NULL THEN
        RAISE EXCEPTION 'ballot % is open: a vote names its member', bid
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER ballots_keep
    BEFORE DELETE ON ballots
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER ballots_no_truncate
    BEFORE TRUNCATE ON ballots
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER ballots_permanent
    BEFORE UPDATE ON ballots
    FOR EACH ROW EXECUTE FUNCTION ballots_guard();

CREATE TRIGGER ballot_voters_frozen
    AFTER INSERT ON ballot_voters
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ballot_voters_insert_guard();
CREATE TRIGGER ballot_voters_once
    BEFORE UPDATE OR DELETE ON ballot_voters
    FOR EACH ROW EXECUTE FUNCTION ballot_voters_guard();
CREATE TRIGGER ballot_voters_no_truncate
    BEFORE TRUNCATE ON ballot_voters
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

CREATE TRIGGER ballot_votes_final
    BEFORE INSERT OR UPDATE OR DELETE ON ballot_votes
    FOR EACH ROW EXECUTE FUNCTION ballot_votes_guard();
CREATE TRIGGER ballot_votes_no_truncate
    BEFORE TRUNCATE ON ballot_votes
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- +goose Down
DROP TABLE ballot_turnout;
DROP TABLE ballot_votes;
DROP TABLE ballot_voters;
DROP TABLE ballots;
DROP FUNCTION ballot_votes_guard();
DROP FUNCTION ballot_voters_guard();
DROP FUNCTION ballot_voters_insert_guard();
DROP FUNCTION ballots_guard();
