DROP TABLE change_consumers;
ALTER TABLE change_log DROP COLUMN status_to;
ALTER TABLE change_log DROP COLUMN status_from;
ALTER TABLE change_log DROP COLUMN field_ids;
ALTER TABLE change_log DROP COLUMN actor;
ALTER TABLE change_log DROP COLUMN kind;
