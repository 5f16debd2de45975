-- Text extracted from attached files, kept so that re-indexing (a record edit, a deploy, a rebuild)
-- never extracts the same file twice. Keyed by the file key: a key's bytes never change. `error` is
-- the reason extraction failed (shown in the index status); then `text` is empty.
CREATE TABLE file_texts (
    file_key TEXT PRIMARY KEY NOT NULL,
    file_type TEXT NOT NULL,
    text TEXT NOT NULL,
    error TEXT,
    extracted_at BIGINT NOT NULL
);
