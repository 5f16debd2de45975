-- Process management. Under a state whose assignees must all act (ALL), who has run which action is
-- kept here until the status moves; the rows of a record are deleted when it leaves the state.
CREATE TABLE record_process_acts (
    app_id BIGINT NOT NULL,
    record_id BIGINT NOT NULL,
    user_code TEXT NOT NULL,
    action TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (app_id, record_id, user_code)
);

-- The name of the process action a STATUS history entry records (NULL for other entries).
ALTER TABLE record_history ADD COLUMN process_action TEXT;
