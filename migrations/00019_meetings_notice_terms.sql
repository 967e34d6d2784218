-- +goose Up
-- A meeting is held on the terms its notice announced: the deadline for
-- members' items, and whether and how many proxies a member may hold.
-- They are fixed when the meeting is convened, so that a later change of
-- the co-op's rules neither moves a published deadline nor takes away a
-- proxy the notice allowed. NULL while the meeting is a draft, and for
-- meetings convened before these columns: the rules of the day apply.
ALTER TABLE meetings
    ADD COLUMN member_motion_deadline timestamptz,
    ADD COLUMN proxies_allowed        boolean,
    ADD COLUMN proxy_max_per_holder   integer CHECK (proxy_max_per_holder > 0),
    ADD CONSTRAINT meetings_terms_with_the_notice CHECK (convened_at IS NOT NULL
        OR (member_motion_deadline IS NULL AND proxies_allowed IS NULL AND proxy_max_per_holder IS NULL));

-- +goose Down
ALTER TABLE meetings
    DROP CONSTRAINT meetings_terms_with_the_notice,
    DROP COLUMN proxy_max_per_holder,
    DROP COLUMN proxies_allowed,
    DROP COLUMN member_motion_deadline;
