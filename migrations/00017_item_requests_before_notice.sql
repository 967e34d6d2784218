-- +goose Up
-- A member may ask for an item to be handled at a general meeting by
-- writing to the board before the notice is sent (SPEC.md, "General
-- meetings"), that is before the meeting is visible to members at all. Such
-- a request names no meeting: it waits for the next general meeting until
-- the board decides on it from a meeting that is still open to new items,
-- and the decision names that meeting.
ALTER TABLE meeting_item_requests
    ALTER COLUMN meeting_id DROP NOT NULL,
    ADD CONSTRAINT meeting_item_requests_decided_for_a_meeting CHECK (status = 'pending' OR meeting_id IS NOT NULL);

CREATE INDEX meeting_item_requests_waiting_idx ON meeting_item_requests (id) WHERE meeting_id IS NULL;

-- +goose Down
DROP INDEX meeting_item_requests_waiting_idx;
ALTER TABLE meeting_item_requests
    DROP CONSTRAINT meeting_item_requests_decided_for_a_meeting,
    ALTER COLUMN meeting_id SET NOT NULL;
