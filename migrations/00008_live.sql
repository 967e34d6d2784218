-- +goose Up
-- Live updates (internal/live): every event published on a topic, such as
-- one meeting's page, numbered without gaps per topic, so that a client
-- that reconnects with Last-Event-ID gets exactly what it missed. The
-- counter row of a topic is locked by the publishing transaction until it
-- commits, so numbers become visible in order.
CREATE TABLE live_topics (
    topic    text   PRIMARY KEY CHECK (length(topic) BETWEEN 1 AND 100),
    last_seq bigint NOT NULL CHECK (last_seq > 0)
);

CREATE TABLE live_events (
    topic text        NOT NULL REFERENCES live_topics (topic),
    seq   bigint      NOT NULL CHECK (seq > 0),
    name  text        NOT NULL CHECK (name ~ '^[a-z][a-z_]{0,39}$'),
    -- json, not jsonb: clients get the text exactly as published.
    data  json        NOT NULL,
    at    timestamptz NOT NULL,
    PRIMARY KEY (topic, seq)
);

-- +goose Down
DROP TABLE live_events;
DROP TABLE live_topics;
