-- App scripts: counters for next_number(key), incremented inside the save transaction (so a
-- number is never handed out twice, and a rolled-back save gives its number back), and the log
-- that scripts write with log()/print and that failures are recorded in; capped per app by the
-- writer (kumiki-scripting logs.rs).
CREATE TABLE script_counters (
    app_id BIGINT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    counter_key TEXT NOT NULL,
    value BIGINT NOT NULL,
    PRIMARY KEY (app_id, counter_key)
);
CREATE TABLE script_logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id BIGINT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    script TEXT NOT NULL,
    level TEXT NOT NULL,
    message TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX script_logs_app ON script_logs (app_id, id);
