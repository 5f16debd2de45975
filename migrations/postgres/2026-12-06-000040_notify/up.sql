-- Issue 13, notifications: the bell's producer `notify` is a consumer of the change log. It is
-- registered here, at the log's current end, so that no change made between this migration and the
-- consumer's first run is pruned before it notifies, and so that an existing server does not
-- notify people of its whole history.
INSERT INTO change_consumers (name, position, updated_at)
SELECT 'notify', COALESCE(MAX(seq), 0), 0 FROM change_log WHERE TRUE
-- A running server's runner may have registered it already (it registers at start).
ON CONFLICT (name) DO NOTHING;
-- The bell lists a user's unread notifications first.
CREATE INDEX notifications_unread ON notifications (user_code, read_at, id);
