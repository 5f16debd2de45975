-- Issue 12 (authentication, credentials, audit).
-- A per-user credentials epoch: bumped when the password changes, the user is disabled or an
-- administrator signs them out everywhere; bearer JWTs carry the epoch they were issued under.
ALTER TABLE users ADD COLUMN credentials_epoch BIGINT NOT NULL DEFAULT 0;

-- Bearer JWTs revoked before they expire (sign-out through the API); rows go once expired.
CREATE TABLE revoked_jwts (
    jti TEXT PRIMARY KEY NOT NULL,
    expires_at BIGINT NOT NULL
);

-- App API tokens are stored as a SHA-256 (`token` then holds the hash) with the first characters
-- kept for lists; existing plain tokens are hashed by the server at start (`hashed` = false until then).
ALTER TABLE api_tokens ADD COLUMN hashed BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE api_tokens ADD COLUMN prefix TEXT NOT NULL DEFAULT '';
-- Addresses/CIDRs a token may be used from, one per line; empty: anywhere.
ALTER TABLE api_tokens ADD COLUMN allowed_ips TEXT NOT NULL DEFAULT '';
ALTER TABLE user_tokens ADD COLUMN allowed_ips TEXT NOT NULL DEFAULT '';

-- The per-address limit counts failures by address.
CREATE INDEX login_failures_by_peer ON login_failures (peer, at);

-- Tamper evidence: each row's SHA-256 over the previous row's hash and its own content. NULL on rows
-- written before this migration.
ALTER TABLE audit_log ADD COLUMN chain TEXT;

-- Bounded audit rows for repeated failures: per key (action, actor, address) and window, how many
-- events came and how many were written; the rest are summed up in one summary row.
CREATE TABLE audit_throttle (
    key TEXT PRIMARY KEY NOT NULL,
    window_start BIGINT NOT NULL,
    count BIGINT NOT NULL,
    actor TEXT NOT NULL,
    peer TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL
);
