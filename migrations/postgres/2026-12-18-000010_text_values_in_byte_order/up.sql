-- Text index values compare in byte order (`COLLATE "C"`), as SQLite's BINARY collation does, so
-- that sorts by text and ranges of dates and times stored as text behave the same on both
-- databases whatever the database's own collation. It also leaves one value index where there were two in the same order
-- (`record_values_text_by_value` in the database collation, `record_values_text_walk` in "C"; under
-- this machine's `C.UTF-8` both the same, 1.6 GB each at 1M records, both written on every text row).
-- The one index keeps row 0 only: every statement that reads text values by value (list drivers,
-- walks, sifts, counts, lookups by unique value and import keys) is about the record's own values
-- (`row_id = 0`); subtable rows are only ever probed per record, through the primary key.
-- Same type, new collation: the table is not rewritten, its indexes are rebuilt (200,000 records,
-- 3.7M text rows: 6 s). The column's statistics go with its old collation; without the ANALYZE the planner
-- misjudged list statements until enough rows changed for the server's own ANALYZE (a selective
-- list went 10 -> 69 ms).
DROP INDEX record_values_text_walk;
DROP INDEX record_values_text_by_value;
ALTER TABLE record_values_text ALTER COLUMN value TYPE TEXT COLLATE "C";
CREATE INDEX record_values_text_by_value ON record_values_text (app_id, field_id, value, record_id)
    WHERE row_id = 0;
ANALYZE record_values_text;
