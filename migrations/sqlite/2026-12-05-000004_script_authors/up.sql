-- Who last changed an app's scripts, and when, per stage (issue 12, the confused deputy): a script
-- reads and writes other apps only within the rights of this person AND of the user it runs for,
-- and scheduled scripts run as this person. Set by the server whenever a change to the pre-live
-- settings changes the scripts (never taken from a request or a package), copied to live on deploy.
-- Existing apps: the app's creator, at the app's creation time (docs/security/scripts.md).
ALTER TABLE app_settings ADD COLUMN scripts_changed_by TEXT;
ALTER TABLE app_settings ADD COLUMN scripts_changed_at BIGINT;
UPDATE app_settings SET
    scripts_changed_by = (SELECT a.creator FROM apps a WHERE a.id = app_settings.app_id),
    scripts_changed_at = (SELECT a.created_at FROM apps a WHERE a.id = app_settings.app_id);
-- Script log lines remember whom the run acted for and which apps it read through host calls, so
-- that a line is shown only to readers who may see everything those apps hold (logs.json).
ALTER TABLE script_logs ADD COLUMN runner TEXT NOT NULL DEFAULT '';
ALTER TABLE script_logs ADD COLUMN sources TEXT NOT NULL DEFAULT '';
