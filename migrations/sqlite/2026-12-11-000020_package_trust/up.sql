-- Issue 17 part 4 (engine/src/package_signing/trust.rs): the trust list managed by IT. One row per
-- ed25519 public key whose signed packages this installation trusts: the body's name as IT entered
-- it, the key's fingerprint (unique: a key is listed once) and text form (ed25519:<base64>), who
-- added it and when (seconds since the epoch). This installation's own key is in server_settings.
CREATE TABLE package_trusted_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    fingerprint TEXT NOT NULL UNIQUE,
    public_key TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_at BIGINT NOT NULL
);
