DROP INDEX jobs_state_run_at;
DROP TABLE jobs;
