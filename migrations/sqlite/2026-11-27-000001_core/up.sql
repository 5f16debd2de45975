-- Core tables. Records of every app live in `records`; filterable values are copied into the typed
-- pivot tables `record_values_num` / `record_values_text` (see docs/architecture.md, "Storage").
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_admin BOOLEAN NOT NULL DEFAULT 0,
    locale TEXT NOT NULL DEFAULT 'ja',
    timezone TEXT NOT NULL DEFAULT 'Asia/Tokyo',
    created_at BIGINT NOT NULL
);

CREATE TABLE spaces (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    is_guest BOOLEAN NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE apps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    space_id BIGINT REFERENCES spaces (id),
    thread_id BIGINT,
    creator TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    modifier TEXT NOT NULL,
    modified_at BIGINT NOT NULL,
    -- next `$id` to hand out; bumped in the writing transaction
    next_record_id BIGINT NOT NULL DEFAULT 1,
    -- next subtable row id
    next_row_id BIGINT NOT NULL DEFAULT 1,
    -- highest deployed version, 0 while the app exists only pre-live
    live_version BIGINT NOT NULL DEFAULT 0,
    deploy_status TEXT NOT NULL DEFAULT 'SUCCESS'
);

-- Two working copies of every app's settings: stage 'preview' (pre-live) and 'live'.
CREATE TABLE app_settings (
    app_id BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    revision BIGINT NOT NULL,
    definition TEXT NOT NULL,
    PRIMARY KEY (app_id, stage)
);

-- Every deployed version, kept for diff and rollback.
CREATE TABLE app_versions (
    app_id BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    definition TEXT NOT NULL,
    deployed_by TEXT NOT NULL,
    deployed_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, version)
);

CREATE TABLE api_tokens (
    token TEXT PRIMARY KEY NOT NULL,
    app_id BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    can_view BOOLEAN NOT NULL,
    can_add BOOLEAN NOT NULL,
    can_edit BOOLEAN NOT NULL,
    can_delete BOOLEAN NOT NULL,
    can_manage BOOLEAN NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE records (
    app_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    revision BIGINT NOT NULL,
    creator TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    modifier TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    -- field values as a JSON object keyed by field code (kintone `value` shapes)
    data TEXT NOT NULL,
    PRIMARY KEY (app_id, id)
) WITHOUT ROWID;

-- Typed pivot index rows. row_id 0 is the record itself; a subtable row uses its row id.
-- The primary key answers "value of field F of record R" (probe, sort key); the second index answers
-- "records whose field F is in a range" and walks in sort order.
CREATE TABLE record_values_num (
    app_id BIGINT NOT NULL,
    field_id INTEGER NOT NULL,
    record_id BIGINT NOT NULL,
    row_id BIGINT NOT NULL,
    value DOUBLE PRECISION,
    PRIMARY KEY (app_id, field_id, record_id, row_id)
) WITHOUT ROWID;
CREATE INDEX record_values_num_by_value ON record_values_num (app_id, field_id, value, record_id);

CREATE TABLE record_values_text (
    app_id BIGINT NOT NULL,
    field_id INTEGER NOT NULL,
    record_id BIGINT NOT NULL,
    row_id BIGINT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (app_id, field_id, record_id, row_id, value)
) WITHOUT ROWID;
CREATE INDEX record_values_text_by_value ON record_values_text (app_id, field_id, value, record_id);

-- Long text (MULTI_LINE_TEXT, RICH_TEXT, file names) for `like`: probed per record, never range-scanned.
CREATE TABLE record_values_long (
    app_id BIGINT NOT NULL,
    field_id INTEGER NOT NULL,
    record_id BIGINT NOT NULL,
    row_id BIGINT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (app_id, field_id, record_id, row_id)
) WITHOUT ROWID;

CREATE TABLE files (
    file_key TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    -- path relative to the data directory's files/ folder
    storage_path TEXT NOT NULL,
    -- NULL while only uploaded; set once a record references it
    app_id BIGINT,
    record_id BIGINT,
    uploaded_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX files_by_record ON files (app_id, record_id);

CREATE TABLE record_comments (
    app_id BIGINT NOT NULL,
    record_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    text TEXT NOT NULL,
    mentions TEXT NOT NULL,
    creator TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, record_id, id)
) WITHOUT ROWID;

CREATE TABLE cursors (
    id TEXT PRIMARY KEY NOT NULL,
    app_id BIGINT NOT NULL,
    owner TEXT NOT NULL,
    fields TEXT NOT NULL,
    query TEXT NOT NULL,
    size BIGINT NOT NULL,
    position BIGINT NOT NULL,
    total_count BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Server-wide values shared by every node (e.g. the JWT signing secret).
CREATE TABLE server_settings (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
