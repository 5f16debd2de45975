-- Issue 16, dashboards (engine/src/dashboards): charts and record lists pinned to a board.
-- A board is one user's own portal (scope USER, owner = the user's code), a space's page (SPACE,
-- owner = the space id as text) or the shared portal (PORTAL, owner = ''). kind CHART names a
-- report id in item, kind LIST a view id ('' = every record, newest first); row_count is how many
-- records a list shows. What a pin shows is always computed with the viewer's rights, so nothing
-- about the records is stored here. Deleting the app deletes its pins.
CREATE TABLE dashboard_pins (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scope TEXT NOT NULL,
    owner TEXT NOT NULL,
    kind TEXT NOT NULL,
    app_id BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    item TEXT NOT NULL,
    row_count BIGINT NOT NULL,
    position BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
-- A board's pins in their order.
CREATE INDEX dashboard_pins_board ON dashboard_pins (scope, owner, position);
