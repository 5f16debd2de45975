DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE user_tokens;
DROP TABLE user_groups;
DROP TABLE user_departments;
DROP TABLE groups;
DROP TABLE departments;
ALTER TABLE users DROP COLUMN is_active;
