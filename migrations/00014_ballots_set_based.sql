-- +goose Up
-- Opening a ballot writes its whole voting list in one statement, a row per
-- member, and closing a secret ballot rewrites all of its votes
-- (internal/ballots). The checks of 00010 ran once per row: a foreign key
-- is a query per row that also locks the row it points at (FOR KEY SHARE,
-- which dirties every member's and every account's page), and the
-- triggers on the votes read the ballot again for each vote. At a million
-- members those checks cost many times the writing itself. The same rules
-- are held here by statement-level triggers, which check all the rows a
-- statement wrote with one query, ballot by ballot.
--
-- The foreign keys go. What they held on the writing side is checked by the
-- triggers below; what they held on the other side (a row pointed at is
-- not deleted, and its id does not change) is held as follows:
--   ballots: never deleted (ballots_keep), and their id never changes
--     (ballots_permanent);
--   ballot_voters, pointed at by the votes: never deleted, and a line's
--     ballot and member never change (ballot_voters_once);
--   members and meeting_proxies: never deleted (members_keep,
--     meeting_proxies_keep) nor truncated; the id of one that a voting
--     list names does not change (ballots_referenced_members,
--     ballots_referenced_proxies below);
--   accounts: nothing else keeps them, so one that a voting list or a vote
--     names is neither deleted, truncated nor renumbered
--     (ballots_referenced_accounts, ballots_accounts_no_truncate below).
-- The foreign keys' row locks kept such a row from going while a list or a
-- vote naming it was being written; these guards, the rare side, wait for
-- the writers in flight instead (a table lock), so that the rows being
-- written need no lock.
ALTER TABLE ballot_voters
    DROP CONSTRAINT ballot_voters_ballot_id_fkey,
    DROP CONSTRAINT ballot_voters_member_id_fkey,
    DROP CONSTRAINT ballot_voters_voter_account_id_fkey,
    DROP CONSTRAINT ballot_voters_proxy_id_fkey;
ALTER TABLE ballot_votes
    DROP CONSTRAINT ballot_votes_ballot_id_fkey,
    DROP CONSTRAINT ballot_votes_ballot_id_member_id_fkey,
    DROP CONSTRAINT ballot_votes_cast_by_account_id_fkey;

-- The opening transaction writes the voting list after the ballot's row,
-- which the list points at, and learns the list's size and hash from the
-- rows it wrote: it alone may then set them. Otherwise unchanged from
-- 00010.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION ballots_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.record_hash IS NOT NULL THEN
        RAISE EXCEPTION 'ballot % is decided: its record is permanent', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF ROW(NEW.id, NEW.meeting_id, NEW.kind, NEW.subject_id, NEW.majority, NEW.seats, NEW.candidate_ids,
           NEW.secret, NEW.electorate, NEW.record_date, NEW.min_votes, NEW.opened_at, NEW.opened_by,
           NEW.opened_xact, NEW.closes_at)
       IS DISTINCT FROM
       ROW(OLD.id, OLD.meeting_id, OLD.kind, OLD.subject_id, OLD.majority, OLD.seats, OLD.candidate_ids,
           OLD.secret, OLD.electorate, OLD.record_date, OLD.min_votes, OLD.opened_at, OLD.opened_by,
           OLD.opened_xact, OLD.closes_at)
       OR (ROW(NEW.eligible, NEW.voting_list_hash) IS DISTINCT FROM ROW(OLD.eligible, OLD.voting_list_hash)
           AND OLD.opened_xact <> pg_current_xact_id()) THEN
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

-- A line of a voting list gives its member the number the register gave
-- them, which never changes (members_number_fixed). The register's
-- numbers being unique, so are a list's: the unique index that held that
-- goes, for it was a sixth of the cost of writing a list's rows.
ALTER TABLE ballot_voters DROP CONSTRAINT ballot_voters_ballot_id_member_no_key;

-- The voting list is written by the transaction that opens the ballot and
-- by nobody else; every line names a ballot, a member (with the member's
-- number), an account and, for a proxy's line, a proxy that exist. All the
-- lines of a statement are checked by one query, planned afresh each time
-- (EXECUTE) so that its plan fits their number: a million lines want
-- joins that read each table once, and the memory to hash the register
-- (about 64 MB a million members), a few lines index lookups. A line's
-- account is most often the member's own, which the register's foreign
-- key already vouches for: only other accounts are looked up. JIT
-- compiling such a query takes longer than running it.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION ballot_voters_insert_guard() RETURNS trigger LANGUAGE plpgsql
SET jit = off
SET work_mem = '128MB'
AS $$
DECLARE
    bad record;
BEGIN
    EXECUTE 'SELECT n.ballot_id, n.member_id, n.member_no, n.voter_account_id, n.proxy_id,
                    b.opened_xact, m.id IS NOT NULL AS registered, m.member_no AS register_no,
                    n.voter_account_id IS DISTINCT FROM m.account_id AS other_account
             FROM new_rows n
             LEFT JOIN ballots b ON b.id = n.ballot_id
             LEFT JOIN members m ON m.id = n.member_id
             WHERE b.opened_xact IS DISTINCT FROM $1
                OR m.member_no IS DISTINCT FROM n.member_no
                OR n.voter_account_id IS DISTINCT FROM m.account_id
                   AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = n.voter_account_id)
                OR n.proxy_id IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM meeting_proxies p WHERE p.id = n.proxy_id)'
        INTO bad USING pg_current_xact_id();
    IF bad IS NULL THEN
        RETURN NULL;
    END IF;
    IF bad.opened_xact IS NULL THEN
        RAISE EXCEPTION 'a voting list names ballot %, which does not exist', bad.ballot_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF bad.opened_xact <> pg_current_xact_id() THEN
        RAISE EXCEPTION 'a voting list is frozen when its ballot opens'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT bad.registered THEN
        RAISE EXCEPTION 'the voting list of ballot % names member %, who is not in the register', bad.ballot_id, bad.member_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF bad.register_no IS DISTINCT FROM bad.member_no THEN
        RAISE EXCEPTION 'the voting list of ballot % gives member % the number %; the register gave them %',
            bad.ballot_id, bad.member_id, bad.member_no, bad.register_no
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF bad.other_account AND NOT EXISTS (SELECT 1 FROM accounts WHERE id = bad.voter_account_id) THEN
        RAISE EXCEPTION 'the voting list of ballot % names account %, which does not exist', bad.ballot_id, bad.voter_account_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RAISE EXCEPTION 'the voting list of ballot % names proxy %, which does not exist', bad.ballot_id, bad.proxy_id
        USING ERRCODE = 'foreign_key_violation';
END;
$$;
-- +goose StatementEnd

-- A vote is cast while its ballot is open, with a member exactly when the
-- ballot is open rather than secret, that member on the ballot's voting
-- list, and an account that exists. Checked once per ballot written to;
-- JIT compiling the checks of a large write, a close's or a copy's, would
-- take longer than running them.
-- +goose StatementBegin
CREATE FUNCTION ballot_votes_insert_guard() RETURNS trigger LANGUAGE plpgsql
SET jit = off
AS $$
DECLARE
    b   record;
    bad record;
BEGIN
    FOR b IN SELECT w.id, s.status, s.secret, w.named, w.unnamed
             FROM (SELECT ballot_id AS id,
                          bool_or(member_id IS NOT NULL OR cast_by_account_id IS NOT NULL) AS named,
                          bool_or(member_id IS NULL) AS unnamed
                   FROM new_rows GROUP BY ballot_id) w
             LEFT JOIN ballots s ON s.id = w.id LOOP
        IF b.status IS DISTINCT FROM 'open' THEN
            RAISE EXCEPTION 'ballot % is closed: its votes are permanent', b.id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF b.secret AND b.named THEN
            RAISE EXCEPTION 'ballot % is secret: a vote names no member and no account', b.id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NOT b.secret AND b.unnamed THEN
            RAISE EXCEPTION 'ballot % is open: a vote names its member', b.id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF NOT b.secret THEN
            -- The account that cast a vote is most often the one its
            -- member's line names, which the list's check found to exist
            -- and ballots_referenced_accounts keeps: only another account
            -- is looked up. Votes come a few at a time, so this query's
            -- plan of index lookups is kept from one write to the next.
            SELECT n.member_id, n.cast_by_account_id, l.member_id IS NULL AS unlisted INTO bad
            FROM new_rows n
            LEFT JOIN ballot_voters l ON l.ballot_id = b.id AND l.member_id = n.member_id
            WHERE n.ballot_id = b.id
              AND (l.member_id IS NULL
                   OR n.cast_by_account_id <> l.voter_account_id
                      AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = n.cast_by_account_id));
            IF FOUND THEN
                IF bad.unlisted THEN
                    RAISE EXCEPTION 'ballot %: a vote names member %, who is not on its voting list', b.id, bad.member_id
                        USING ERRCODE = 'foreign_key_violation';
                END IF;
                RAISE EXCEPTION 'ballot %: a vote names account %, which does not exist', b.id, bad.cast_by_account_id
                    USING ERRCODE = 'foreign_key_violation';
            END IF;
        END IF;
    END LOOP;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- The only removal of votes is the close of their own ballot rewriting
-- them in receipt order (SET LOCAL osk.sealing_ballot to the ballot's id),
-- before the ballot is marked closed; internal/ballots rewrites a secret
-- ballot's votes so.
-- +goose StatementBegin
CREATE FUNCTION ballot_votes_delete_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    b record;
BEGIN
    FOR b IN SELECT d.id, s.status
             FROM (SELECT DISTINCT ballot_id AS id FROM old_rows) d
             LEFT JOIN ballots s ON s.id = d.id LOOP
        IF b.status IS DISTINCT FROM 'open' THEN
            RAISE EXCEPTION 'ballot % is closed: its votes are permanent', b.id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF current_setting('osk.sealing_ballot', true) IS DISTINCT FROM b.id::text THEN
            RAISE EXCEPTION 'a vote is final'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END LOOP;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION ballot_votes_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a vote is final'
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd

-- What the foreign keys held on the side of the rows pointed at, as they
-- held it: at the end of the statement, a key that is gone (deleted, or
-- its id changed) must not be named by a voting list or a vote. The lock
-- waits for the transactions writing lists or votes to end, and holds new
-- ones off until this one ends, so that no list or vote naming the key can
-- be committed unseen. No index leads with these columns, as none led the
-- foreign keys' own checks: Osk deletes and renumbers none of these rows.
-- +goose StatementBegin
CREATE FUNCTION ballots_keep_referenced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    named boolean;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.id = OLD.id THEN
            RETURN NULL;
        END IF;
    END IF;
    LOCK TABLE ballot_voters, ballot_votes IN SHARE MODE;
    CASE TG_TABLE_NAME
    WHEN 'accounts' THEN
        named := NOT EXISTS (SELECT 1 FROM accounts WHERE id = OLD.id)
                 AND (EXISTS (SELECT 1 FROM ballot_voters WHERE voter_account_id = OLD.id)
                      OR EXISTS (SELECT 1 FROM ballot_votes WHERE cast_by_account_id = OLD.id));
    WHEN 'members' THEN
        named := NOT EXISTS (SELECT 1 FROM members WHERE id = OLD.id)
                 AND EXISTS (SELECT 1 FROM ballot_voters WHERE member_id = OLD.id);
    WHEN 'meeting_proxies' THEN
        named := NOT EXISTS (SELECT 1 FROM meeting_proxies WHERE id = OLD.id)
                 AND EXISTS (SELECT 1 FROM ballot_voters WHERE proxy_id = OLD.id);
    END CASE;
    IF named THEN
        RAISE EXCEPTION '% % is named by a voting list or a vote', TG_TABLE_NAME, OLD.id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION ballots_accounts_truncate_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE ballot_voters, ballot_votes IN SHARE MODE;
    IF EXISTS (SELECT 1 FROM ballot_voters) OR EXISTS (SELECT 1 FROM ballot_votes WHERE cast_by_account_id IS NOT NULL) THEN
        RAISE EXCEPTION 'accounts are named by voting lists and votes'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

DROP TRIGGER ballot_votes_final ON ballot_votes;
DROP FUNCTION ballot_votes_guard();
CREATE TRIGGER ballot_votes_final
    BEFORE UPDATE ON ballot_votes
    FOR EACH ROW EXECUTE FUNCTION ballot_votes_final();
CREATE TRIGGER ballot_votes_cast
    AFTER INSERT ON ballot_votes
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ballot_votes_insert_guard();
CREATE TRIGGER ballot_votes_sealed
    AFTER DELETE ON ballot_votes
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ballot_votes_delete_guard();

CREATE TRIGGER ballots_referenced_accounts
    AFTER DELETE OR UPDATE OF id ON accounts
    FOR EACH ROW EXECUTE FUNCTION ballots_keep_referenced();
CREATE TRIGGER ballots_accounts_no_truncate
    BEFORE TRUNCATE ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION ballots_accounts_truncate_guard();
CREATE TRIGGER ballots_referenced_members
    AFTER DELETE OR UPDATE OF id ON members
    FOR EACH ROW EXECUTE FUNCTION ballots_keep_referenced();
CREATE TRIGGER ballots_referenced_proxies
    AFTER DELETE OR UPDATE OF id ON meeting_proxies
    FOR EACH ROW EXECUTE FUNCTION ballots_keep_referenced();

-- +goose Down
DROP TRIGGER ballots_referenced_proxies ON meeting_proxies;
DROP TRIGGER ballots_referenced_members ON members;
DROP TRIGGER ballots_accounts_no_truncate ON accounts;
DROP TRIGGER ballots_referenced_accounts ON accounts;
DROP TRIGGER ballot_votes_sealed ON ballot_votes;
DROP TRIGGER ballot_votes_cast ON ballot_votes;
DROP TRIGGER ballot_votes_final ON ballot_votes;
DROP FUNCTION ballots_accounts_truncate_guard();
DROP FUNCTION ballots_keep_referenced();
DROP FUNCTION ballot_votes_final();
DROP FUNCTION ballot_votes_delete_guard();
DROP FUNCTION ballot_votes_insert_guard();

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
CREATE TRIGGER ballot_votes_final
    BEFORE INSERT OR UPDATE OR DELETE ON ballot_votes
    FOR EACH ROW EXECUTE FUNCTION ballot_votes_guard();

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION ballot_voters_insert_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION ballots_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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

ALTER TABLE ballot_votes
    ADD CONSTRAINT ballot_votes_ballot_id_fkey FOREIGN KEY (ballot_id) REFERENCES ballots (id),
    ADD CONSTRAINT ballot_votes_ballot_id_member_id_fkey FOREIGN KEY (ballot_id, member_id) REFERENCES ballot_voters (ballot_id, member_id),
    ADD CONSTRAINT ballot_votes_cast_by_account_id_fkey FOREIGN KEY (cast_by_account_id) REFERENCES accounts (id);
ALTER TABLE ballot_voters
    ADD CONSTRAINT ballot_voters_ballot_id_member_no_key UNIQUE (ballot_id, member_no),
    ADD CONSTRAINT ballot_voters_ballot_id_fkey FOREIGN KEY (ballot_id) REFERENCES ballots (id),
    ADD CONSTRAINT ballot_voters_member_id_fkey FOREIGN KEY (member_id) REFERENCES members (id),
    ADD CONSTRAINT ballot_voters_voter_account_id_fkey FOREIGN KEY (voter_account_id) REFERENCES accounts (id),
    ADD CONSTRAINT ballot_voters_proxy_id_fkey FOREIGN KEY (proxy_id) REFERENCES meeting_proxies (id);
