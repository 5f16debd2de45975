-- Hashed app tokens stay hashed (the plain text is gone); they stop working after this down.
DROP TABLE audit_throttle;
ALTER TABLE audit_log DROP COLUMN chain;
DROP INDEX login_failures_by_peer;
ALTER TABLE user_tokens DROP COLUMN allowed_ips;
ALTER TABLE api_tokens DROP COLUMN allowed_ips;
ALTER TABLE api_tokens DROP COLUMN prefix;
ALTER TABLE api_tokens DROP COLUMN hashed;
DROP TABLE revoked_jwts;
ALTER TABLE users DROP COLUMN credentials_epoch;
