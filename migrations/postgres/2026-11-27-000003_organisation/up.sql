-- Organisation: departments (a tree), groups (roles), memberships with each user's primary department,
-- per-user API tokens, the append-only audit log, and disabling users (a user is never deleted: their
-- code stays in records, history and the audit log).
ALTER TABLE users ADD COLUMN is_active BOOLEAN NOT NULL DEFAULT true;

-- Codes are permanent (records store them); names, parents and order may change.
CREATE TABLE departments (
    code TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    -- NULL for a top-level department; the engine refuses cycles
    parent_code TEXT REFERENCES departments (code),
    sort BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX departments_by_parent ON departments (parent_code, sort);

CREATE TABLE groups (
    code TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL
);

CREATE TABLE user_departments (
    user_code TEXT NOT NULL REFERENCES users (code),
    department_code TEXT NOT NULL REFERENCES departments (code) ON DELETE CASCADE,
    -- at most one per user (the engine keeps it so)
    is_primary BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (user_code, department_code)
);
CREATE INDEX user_departments_by_department ON user_departments (department_code, user_code);

CREATE TABLE user_groups (
    user_code TEXT NOT NULL REFERENCES users (code),
    group_code TEXT NOT NULL REFERENCES groups (code) ON DELETE CASCADE,
    PRIMARY KEY (user_code, group_code)
);
CREATE INDEX user_groups_by_group ON user_groups (group_code, user_code);

-- Per-user API tokens (per-app tokens are `api_tokens`). Only a SHA-256 of the secret is stored; the
-- token string is shown once when created.
CREATE TABLE user_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    user_code TEXT NOT NULL REFERENCES users (code),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- NULL: does not expire
    expires_at BIGINT
);
CREATE INDEX user_tokens_by_user ON user_tokens (user_code);

-- Who did what, from where, with what outcome. Append-only: no code updates or deletes rows, and the
-- triggers below refuse it to anyone with SQL access through the application's connection.
CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    peer TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    -- a JSON object
    detail TEXT NOT NULL,
    -- 'success' or 'failure'
    outcome TEXT NOT NULL
);
CREATE INDEX audit_log_by_at ON audit_log (at);
CREATE INDEX audit_log_by_actor ON audit_log (actor, id);
CREATE INDEX audit_log_by_action ON audit_log (action, id);
CREATE INDEX audit_log_by_target ON audit_log (target, id);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;

CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
