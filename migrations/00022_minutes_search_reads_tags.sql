-- +goose Up
-- The archive's search text is the plain text of the sealed minutes as the
-- page reads it, so "<draft>" stays "<draft>"; PostgreSQL's text search
-- takes such a word for an XML tag and leaves it out of the index, and a
-- member searching for "draft" would not find it. The index reads each
-- "<" as a space; the text itself, and the snippets made from it, keep it.
DROP INDEX minutes_search_idx;
ALTER TABLE minutes DROP COLUMN search;
ALTER TABLE minutes ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', replace(title, '<', ' ')), 'A')
    || setweight(to_tsvector('english', replace(search_text, '<', ' ')), 'B')
) STORED;
CREATE INDEX minutes_search_idx ON minutes USING gin (search);

-- +goose Down
DROP INDEX minutes_search_idx;
ALTER TABLE minutes DROP COLUMN search;
ALTER TABLE minutes ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', search_text), 'B')
) STORED;
CREATE INDEX minutes_search_idx ON minutes USING gin (search);
