DROP TRIGGER audit_log_no_delete;
DROP TRIGGER audit_log_no_update;
DROP TABLE audit_log;
DROP TABLE user_tokens;
DROP TABLE user_groups;
DROP TABLE user_departments;
DROP TABLE groups;
DROP TABLE departments;
ALTER TABLE users DROP COLUMN is_active;
