DROP INDEX record_values_text_by_value;
ALTER TABLE record_values_text ALTER COLUMN value TYPE TEXT COLLATE "default";
CREATE INDEX record_values_text_by_value ON record_values_text (app_id, field_id, value, record_id);
CREATE INDEX record_values_text_walk ON record_values_text (app_id, field_id, value COLLATE "C", record_id)
    WHERE row_id = 0;
ANALYZE record_values_text;
