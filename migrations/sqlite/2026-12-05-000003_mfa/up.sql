-- Sign-in hardening (issue 12): TOTP second factor with single-use recovery codes, a forced password
-- change after an administrator set the password, and a sliding inactivity timeout for sessions.
-- `totp_secret` holds the base32 secret while enrolling and after; `totp_enabled` turns the second
-- factor on once the user confirmed a code. `totp_last_step` is the last accepted 30-second step, so a
-- code is accepted once. Recovery codes are stored as SHA-256 hashes (they are random, 50 bits+).
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_enabled BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0;
UPDATE sessions SET last_seen_at = created_at;

CREATE TABLE user_recovery_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_code TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    used_at BIGINT
);
CREATE INDEX user_recovery_codes_user ON user_recovery_codes (user_code);
