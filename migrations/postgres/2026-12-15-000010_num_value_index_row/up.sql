-- The list planner reads a number condition's matching records from this index (a driver, its
-- bounded count, the sifted walk's candidates, counts from the indexes), always with `row_id = 0`.
-- Without `row_id` in the index every entry cost a visit of the table row (10,000 random heap
-- reads for a 1% range at 1M records: ~160 ms warm, ~700 ms cold); with it the scan is index-only
-- once VACUUM has marked the pages all-visible (docs/benchmarks.md, "PostgreSQL list queries at
-- 1M"). Same key, so every other use of the index is unchanged.
CREATE INDEX record_values_num_by_value_row ON record_values_num (app_id, field_id, value NULLS FIRST, record_id)
    INCLUDE (row_id);
DROP INDEX record_values_num_by_value;
ALTER INDEX record_values_num_by_value_row RENAME TO record_values_num_by_value;
