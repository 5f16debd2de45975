DROP TABLE like_fold_backfill;
ALTER TABLE record_values_long DROP COLUMN folded;
ALTER TABLE record_values_text DROP COLUMN folded;
