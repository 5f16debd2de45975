-- The change log (outbox) that feeds derived stores such as the full-text index. Every write of a
-- record, its comments or its files adds a row in the same transaction, so a committed change is
-- never missed by a consumer that applies the log in `seq` order. `record_id` 0 means "the whole
-- app" (deploy, delete). AUTOINCREMENT: seq values are never reused, even after the newest rows are
-- pruned.
CREATE TABLE change_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id BIGINT NOT NULL,
    record_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
