-- +goose Up
-- An election that elected nobody (its ballot short of the quorum, or
-- every vote blank) stored NULL rather than false as the result of each
-- candidate on it, and verify reports each of those rows. The event that
-- decided the election (election.decided) lists whom it elected: a
-- candidate who had consented and is not on that list was not elected,
-- which this sets. The candidates' table has no guard trigger, and no
-- event is added: the log already holds the decision, and the rows are
-- brought in line with it. Rows of undecided elections, and of nominees
-- who never consented, keep their NULL, which is their true value.
UPDATE election_candidates c SET elected = false
FROM elections e,
     LATERAL (SELECT a.payload->'elected' AS elected FROM audit_events a
              WHERE a.action = 'election.decided' AND a.subject = 'election:' || e.id
              ORDER BY a.seq DESC LIMIT 1) d
WHERE e.id = c.election_id AND e.status = 'decided'
  AND c.elected IS NULL AND c.consented_at IS NOT NULL
  AND NOT (jsonb_typeof(d.elected) = 'array' AND d.elected @> to_jsonb(c.id));

-- +goose Down
-- Nothing to undo: NULL was never the result of a candidate of a decided
-- election, and setting it back would only make verify fail again.
