-- Nothing to do: SQLite compares text in byte order (BINARY) and has one value index
-- (see the PostgreSQL migration of the same name).
SELECT 1;
