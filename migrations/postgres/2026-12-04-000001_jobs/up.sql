-- Durable jobs (engine/src/jobs.rs): background work that must survive a restart and run once across
-- nodes. `dedupe_key` is unique, so planning the same run twice (two nodes, a retry of the planner)
-- makes one row. A runner claims due rows by setting `state = 'running'` and a lease
-- (`lease_owner`, `lease_until`, unix seconds); a job whose lease ran out (its node died) is claimed
-- again. States: queued, running, done, failed. Times are unix seconds.
CREATE TABLE jobs (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    run_at BIGINT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
-- Claiming reads queued rows by run_at and running rows by lease end; pruning reads finished rows.
CREATE INDEX jobs_state_run_at ON jobs (state, run_at);
