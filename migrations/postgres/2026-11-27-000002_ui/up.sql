-- Every change of every record: who, when, which fields with old and new values (diffs, not
-- snapshots, so history grows with what changed rather than with record size).
CREATE TABLE record_history (
    app_id BIGINT NOT NULL,
    record_id BIGINT NOT NULL,
    revision BIGINT NOT NULL,
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    at BIGINT NOT NULL,
    -- JSON array of {"field": code, "old": value, "new": value}
    changes TEXT NOT NULL,
    PRIMARY KEY (app_id, record_id, revision)
);

-- Failed sign-ins, for the lockout after repeated failures.
CREATE TABLE login_failures (
    login TEXT NOT NULL,
    at BIGINT NOT NULL,
    peer TEXT NOT NULL
);
CREATE INDEX login_failures_by_login ON login_failures (login, at);

-- Apps each user opened recently (the portal's "recently used").
CREATE TABLE user_recent_apps (
    user_code TEXT NOT NULL,
    app_id BIGINT NOT NULL,
    visited_at BIGINT NOT NULL,
    PRIMARY KEY (user_code, app_id)
);

-- Browser sessions. The session cookie carries a signed token naming a row here; signing out deletes
-- the row, so a stolen cookie stops working at once.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user_code TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
