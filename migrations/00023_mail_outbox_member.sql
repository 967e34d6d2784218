-- +goose Up
-- The member a message was written to, when it went to one as a member:
-- the erasure of a former member's personal data blanks their messages
-- (internal/mail, ForgetMember). Addresses cannot tell them apart, since
-- two members may share one (a family, an organisation's office). No
-- foreign key: the outbox belongs to internal/mail, below the register,
-- and a member is never deleted (members_keep).
ALTER TABLE mail_outbox ADD COLUMN member_id bigint;
CREATE INDEX mail_outbox_member_idx ON mail_outbox (member_id) WHERE member_id IS NOT NULL;

-- +goose Down
DROP INDEX mail_outbox_member_idx;
ALTER TABLE mail_outbox DROP COLUMN member_id;
