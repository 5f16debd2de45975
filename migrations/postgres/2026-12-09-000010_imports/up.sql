-- Record imports from CSV/XLSX (engine/src/import/store.rs). One row per uploaded file: who imports
-- into which app (and through which guest space), the file kept under the data directory until
-- the import ends, the chosen encoding/sheet and settings (mapping, mode, key; JSON), the state
-- (uploaded, checked, queued, running, done, failed), the last report (JSON) and counts.
-- The records and the 'done' state are committed in one transaction by the job that runs it.
CREATE TABLE imports (
    id BIGSERIAL PRIMARY KEY,
    app_id BIGINT NOT NULL,
    user_code TEXT NOT NULL,
    guest_space BIGINT,
    file_name TEXT NOT NULL,
    file_path TEXT NOT NULL,
    format TEXT NOT NULL,
    encoding TEXT,
    sheet TEXT,
    settings TEXT NOT NULL,
    state TEXT NOT NULL,
    report TEXT NOT NULL,
    total_rows BIGINT NOT NULL DEFAULT 0,
    error_count BIGINT NOT NULL DEFAULT 0,
    records_written BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT
);
-- The record list shows a user's running import of its app.
CREATE INDEX imports_app_user ON imports (app_id, user_code, state);
