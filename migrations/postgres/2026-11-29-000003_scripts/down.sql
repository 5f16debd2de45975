DROP INDEX script_logs_app;
DROP TABLE script_logs;
DROP TABLE script_counters;
