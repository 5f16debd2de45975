ALTER TABLE record_history DROP COLUMN process_action;
DROP TABLE record_process_acts;
