-- Nothing to do: `record_values_num` is WITHOUT ROWID, so its index already holds the primary key's
-- columns, `row_id` among them (see the PostgreSQL migration of the same name).
SELECT 1;
