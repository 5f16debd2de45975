-- Nothing to do: SQLite compares text byte by byte (BINARY), the order the list planner walks, so
-- `record_values_text_by_value` already serves (see the PostgreSQL migration of the same name).
SELECT 1;
