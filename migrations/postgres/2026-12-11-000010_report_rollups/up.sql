-- Charts kept current on write (engine/src/reports/rollup.rs). A state row says that the report's
-- numbers in one time zone are maintained: every record write adds its change as signed rows to
-- `report_rollups`, and reading the chart sums those rows instead of visiting every record.
-- `report_text` is the report as it was when the rollup was built; a different one is rebuilt.
CREATE TABLE report_rollup_states (
    app_id BIGINT NOT NULL,
    report_id TEXT NOT NULL,
    timezone TEXT NOT NULL,
    report_text TEXT NOT NULL,
    built_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, report_id, timezone)
);

-- Signed contributions: `n` records (negative when records left the group), sums `v1..v5` and value
-- counts `c1..c5` of the report's aggregations; `is_total` rows ignore the groups (a record with
-- two check-box choices counts once there). Compacted into one row per group from time to time.
CREATE TABLE report_rollups (
    id BIGSERIAL PRIMARY KEY,
    app_id BIGINT NOT NULL,
    report_id TEXT NOT NULL,
    timezone TEXT NOT NULL,
    is_total INTEGER NOT NULL,
    k1 TEXT,
    k2 TEXT,
    k3 TEXT,
    n BIGINT NOT NULL,
    v1 DOUBLE PRECISION, c1 DOUBLE PRECISION,
    v2 DOUBLE PRECISION, c2 DOUBLE PRECISION,
    v3 DOUBLE PRECISION, c3 DOUBLE PRECISION,
    v4 DOUBLE PRECISION, c4 DOUBLE PRECISION,
    v5 DOUBLE PRECISION, c5 DOUBLE PRECISION
);
CREATE INDEX report_rollups_by_report ON report_rollups (app_id, report_id, timezone, id);
