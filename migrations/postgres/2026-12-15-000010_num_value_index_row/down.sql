CREATE INDEX record_values_num_by_value_plain ON record_values_num (app_id, field_id, value NULLS FIRST, record_id);
DROP INDEX record_values_num_by_value;
ALTER INDEX record_values_num_by_value_plain RENAME TO record_values_num_by_value;
