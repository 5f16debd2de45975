ALTER TABLE script_logs DROP COLUMN sources;
ALTER TABLE script_logs DROP COLUMN runner;
ALTER TABLE app_settings DROP COLUMN scripts_changed_at;
ALTER TABLE app_settings DROP COLUMN scripts_changed_by;
