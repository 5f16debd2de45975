-- The change log (outbox) that feeds derived stores such as the full-text index; see the SQLite
-- twin. On PostgreSQL a sequence value is taken before commit, so concurrent transactions can commit
-- out of seq order and a rolled-back one leaves a gap: consumers hold their position at a gap until
-- it fills or ages out (kumiki-search's indexer does).
CREATE TABLE change_log (
    seq BIGSERIAL PRIMARY KEY,
    app_id BIGINT NOT NULL,
    record_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
