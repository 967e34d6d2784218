-- +goose Up
-- Elections at general meetings (SPEC.md, "Elections"), owned by
-- internal/elections. The votes and the count are the election's ballot
-- (internal/ballots); these tables hold the question and who stands.
CREATE TABLE elections (
    id                   bigserial   PRIMARY KEY,
    meeting_id           bigint      NOT NULL REFERENCES meetings (id),
    agenda_item_id       bigint      REFERENCES meeting_agenda_items (id) ON DELETE SET NULL,
    title                text        NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    seats                integer     NOT NULL CHECK (seats BETWEEN 1 AND 100),
    method               text        NOT NULL DEFAULT 'plurality' CHECK (method IN ('plurality')),
    nominations_close_at timestamptz,
    status               text        NOT NULL CHECK (status IN ('nominating', 'voting', 'decided')),
    -- The ballot on the election, once it is put to a vote.
    ballot_id            bigint      UNIQUE REFERENCES ballots (id),
    created_at           timestamptz NOT NULL,
    created_by           bigint      REFERENCES accounts (id),
    decided_at           timestamptz,
    CHECK ((status = 'nominating') = (ballot_id IS NULL)),
    CHECK ((status = 'decided') = (decided_at IS NOT NULL))
);
CREATE INDEX elections_meeting_idx ON elections (meeting_id);

-- A candidate is a member, or a person or firm the board names (member_id
-- null). A member nominated by someone else stands only once they have
-- consented; candidates that stand themselves, and those the board names,
-- consent by being entered.
CREATE TABLE election_candidates (
    id                    bigserial   PRIMARY KEY,
    election_id           bigint      NOT NULL REFERENCES elections (id),
    member_id             bigint      REFERENCES members (id),
    name                  text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    statement             text        NOT NULL DEFAULT '' CHECK (length(statement) <= 4000),
    nominated_by          bigint      REFERENCES accounts (id),
    nominated_at          timestamptz NOT NULL,
    consented_at          timestamptz,
    elected               boolean,
    UNIQUE (election_id, member_id)
);
CREATE INDEX election_candidates_election_idx ON election_candidates (election_id, id);

-- +goose Down
DROP TABLE election_candidates;
DROP TABLE elections;
