-- The list planner walks a text field's values in byte order (`ORDER BY value COLLATE "C"`, the
-- order SQLite uses), but `record_values_text_by_value` is in the database's default collation, so
-- PostgreSQL could not walk it and sorted every valued record instead. This index is in that order;
-- comparisons in conditions keep the default collation and `record_values_text_by_value`.
-- Only row 0 (the record's own values): subtable rows are never walked.
CREATE INDEX record_values_text_walk ON record_values_text (app_id, field_id, value COLLATE "C", record_id)
    WHERE row_id = 0;
