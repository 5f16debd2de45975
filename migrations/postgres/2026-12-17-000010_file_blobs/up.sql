-- Issue 19: attachment bytes kept in the database itself (`--files-store database`), so that every
-- node reaching the database reaches them without a shared directory. A file's bytes are split in
-- chunks of 1 MiB (engine/src/records/files.rs) so no single value is huge; a `files` row whose
-- storage_path is `db:<key>` has them here, chunk 0 always present (empty for an empty file).
-- Deleting the `files` row deletes its chunks in the same transaction.
CREATE TABLE file_blobs (
    file_key TEXT NOT NULL REFERENCES files (file_key) ON DELETE CASCADE,
    chunk BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    PRIMARY KEY (file_key, chunk)
);
-- Attachments are mostly compressed already (PDF, xlsx, images): TOAST them out of line without
-- spending CPU on a compression that would gain nothing.
ALTER TABLE file_blobs ALTER COLUMN bytes SET STORAGE EXTERNAL;
