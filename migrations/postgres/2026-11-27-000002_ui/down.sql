DROP TABLE sessions;
DROP TABLE user_recent_apps;
DROP TABLE login_failures;
DROP TABLE record_history;
