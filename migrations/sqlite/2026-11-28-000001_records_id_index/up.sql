-- A narrow copy of the records' keys. `records` is WITHOUT ROWID, so its primary key B-tree holds the
-- whole row (JSON data included); scans that only need ids (list queries walking an app's records,
-- totalCount, records without a value for a sort field) read this index instead of every row.
CREATE INDEX records_ids ON records (app_id, id);
