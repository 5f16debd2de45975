-- `like` ignores width and case as kintone does (ﾃﾚﾜｰｸ finds テレワーク, ｄｘ finds DX): text values keep
-- their folded form (engine/src/query/fold.rs, the folding of the search index) beside them, only
-- where it differs from the value by more than ASCII case; `like` compares COALESCE(folded, value).
-- Rows written before this migration are folded by the engine right after it (`fold::backfill`),
-- while a row in `like_fold_backfill` says that work is pending.
ALTER TABLE record_values_text ADD COLUMN folded TEXT;
ALTER TABLE record_values_long ADD COLUMN folded TEXT;
CREATE TABLE like_fold_backfill (pending INTEGER PRIMARY KEY NOT NULL);
INSERT INTO like_fold_backfill (pending) VALUES (1);
