-- Per (app, field): how many of the app's records have no non-empty value of the field (no row-0
-- pivot row with a non-NULL value). Kept exact on every record write (engine/src/records/gaps.rs);
-- written at deploy for the sortable top-level fields. A missing row means "not known": the list
-- planner then looks for records without a value record by record, as before.
-- The ascending walk (query/plan.rs) lists those records first; knowing there are none lets it skip
-- a NOT EXISTS probe of every record of the app.
CREATE TABLE record_value_gaps (
    app_id BIGINT NOT NULL,
    field_id INTEGER NOT NULL,
    missing BIGINT NOT NULL,
    PRIMARY KEY (app_id, field_id)
);
