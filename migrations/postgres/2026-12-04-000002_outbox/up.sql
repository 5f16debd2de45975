-- The change log becomes a general outbox; see the SQLite twin.
ALTER TABLE change_log ADD COLUMN kind TEXT NOT NULL DEFAULT 'changed';
ALTER TABLE change_log ADD COLUMN actor TEXT;
ALTER TABLE change_log ADD COLUMN field_ids TEXT;
ALTER TABLE change_log ADD COLUMN status_from TEXT;
ALTER TABLE change_log ADD COLUMN status_to TEXT;

CREATE TABLE change_consumers (
    name TEXT PRIMARY KEY NOT NULL,
    position BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
