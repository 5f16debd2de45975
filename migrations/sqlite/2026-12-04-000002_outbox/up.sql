-- The change log becomes a general outbox: each row says what kind of change it was, who made it,
-- which fields (stable field ids of the definition, a JSON array; NULL where it does not apply) and,
-- for process actions, the status before and after. Rows written before this migration keep the
-- kind `changed` (unknown). Consumers (the search index of each node, later notifications and
-- webhooks) register in `change_consumers` with their position; rows are pruned only once the
-- slowest registered consumer has passed them.
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
