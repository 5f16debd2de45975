-- Nothing to do: PostgreSQL keeps rows in the heap, so the primary key index of `records` is already
-- narrow (SQLite needs `records_ids`, see the SQLite migration of the same name).
SELECT 1;
