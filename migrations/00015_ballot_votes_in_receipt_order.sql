-- +goose Up
-- The record lists a ballot's votes in order of receipt hash. With the
-- hash in the ballot's index the close reads them in that order from the
-- index, instead of sorting a hundred thousand rows on disk.
CREATE INDEX ballot_votes_ballot_receipt_idx ON ballot_votes (ballot_id, receipt_hash);
DROP INDEX ballot_votes_ballot_idx;

-- +goose Down
CREATE INDEX ballot_votes_ballot_idx ON ballot_votes (ballot_id);
DROP INDEX ballot_votes_ballot_receipt_idx;
