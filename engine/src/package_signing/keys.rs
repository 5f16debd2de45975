//! This installation's own signing key and the body's display name (「長野市 情報政策課」).
//!
//! The key is created on first use and kept in `server_settings` (`package_signing_key`, the
//! 32-byte ed25519 seed in base64), so every node of a multi-node deployment signs with the same
//! key and a database backup backs it up; anyone who can read the database can sign as this body,
//! which is why backups are kept like the database itself (docs/packages.md "The body's key").
//! Only system administrators name the body and rotate the key.

use base64::Engine as _;
use ed25519_dalek::SigningKey;
use rand::RngCore;
use serde::Serialize;
use serde_json::{json, Value};

use super::{fingerprint, public_key_text};
use crate::acl::Principal;
use crate::acting::ActingContext;
use crate::db::DbConn;
use crate::error::{EngineError, EngineResult, Message, UserError};
use crate::server_settings;

const KEY_SETTING: &str = "package_signing_key";
const NAME_SETTING: &str = "package_signer_name";
/// The longest body name accepted.
pub const MAX_NAME_CHARS: usize = 100;

/// Audit actions of signing.
pub mod action {
    pub const SIGNER_NAME: &str = "package.signer.name";
    pub const KEY_ROTATE: &str = "package.key.rotate";
}

/// What others may know of this installation's key.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnKey {
    /// The body's name set by IT; empty until set (signing is refused until then).
    pub name: String,
    pub fingerprint: String,
    /// The text form (`ed25519:...`) to hand to other bodies.
    pub public_key: String,
}

/// Only system administrators (or the operator's command line) manage keys and the trust list.
pub(crate) fn require_admin(acting: &ActingContext) -> EngineResult<()> {
    match acting.principal() {
        Principal::System => Ok(()),
        Principal::User {
            is_admin: true,
            guest: false,
            ..
        } => Ok(()),
        _ => Err(UserError::Forbidden.into()),
    }
}

fn new_seed() -> String {
    let mut seed = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut seed);
    base64::engine::general_purpose::STANDARD.encode(seed)
}

fn decode(seed: &str) -> EngineResult<SigningKey> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(seed.trim())
        .map_err(|_| {
            EngineError::Internal("the stored package signing key is not base64".into())
        })?;
    let seed: [u8; 32] = bytes.try_into().map_err(|_| {
        EngineError::Internal("the stored package signing key is not 32 bytes".into())
    })?;
    Ok(SigningKey::from_bytes(&seed))
}

/// This installation's signing key, created on first use.
pub(crate) fn signing_key(conn: &mut DbConn) -> EngineResult<SigningKey> {
    decode(&server_settings::get_or_create(
        conn,
        KEY_SETTING,
        new_seed,
    )?)
}

/// The body's name, public key and fingerprint (the key is created on first use).
pub fn own_key(conn: &mut DbConn) -> EngineResult<OwnKey> {
    let key = signing_key(conn)?.verifying_key();
    Ok(OwnKey {
        name: server_settings::get(conn, NAME_SETTING)?.unwrap_or_default(),
        fingerprint: fingerprint(&key),
        public_key: public_key_text(&key),
    })
}

/// Sets the body's display name (administrators only; 1..=100 characters), audited.
pub fn set_signer_name(
    conn: &mut DbConn,
    acting: &ActingContext,
    name: &str,
) -> EngineResult<OwnKey> {
    require_admin(acting)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(UserError::invalid(
            "name",
            Message::keyed(
                "packages.signer_name_invalid",
                format!("Enter the body's name (1 to {MAX_NAME_CHARS} characters)."),
            )
            .arg("max", MAX_NAME_CHARS.to_string()),
        )
        .into());
    }
    let old = server_settings::get(conn, NAME_SETTING)?.unwrap_or_default();
    server_settings::set(conn, NAME_SETTING, name)?;
    acting.audit(
        conn,
        action::SIGNER_NAME,
        "packages:key",
        json!({"old": old, "new": name}),
    )?;
    own_key(conn)
}

/// Replaces the signing key with a new one (administrators only), audited with both fingerprints.
/// Packages signed before stay verifiable; other bodies must trust the new public key.
pub fn rotate(conn: &mut DbConn, acting: &ActingContext) -> EngineResult<OwnKey> {
    require_admin(acting)?;
    let old = own_key(conn)?;
    server_settings::set(conn, KEY_SETTING, &new_seed())?;
    let new = own_key(conn)?;
    acting.audit(
        conn,
        action::KEY_ROTATE,
        "packages:key",
        json!({"old": old.fingerprint, "new": new.fingerprint}),
    )?;
    Ok(new)
}

/// Signs `package` in place with this installation's key and the body's name. Refused with a
/// message for people while IT has not named the body. Whoever may export the package may sign
/// it: the signature says which installation it came from, not who pressed the button (the audit
/// row of the export says that).
pub fn sign_package(
    conn: &mut DbConn,
    acting: &ActingContext,
    package: &mut Value,
) -> EngineResult<()> {
    let name = server_settings::get(conn, NAME_SETTING)?.unwrap_or_default();
    if name.trim().is_empty() {
        return Err(UserError::invalid(
            "sign",
            Message::keyed(
                "packages.signer_name_missing",
                "The body's name for signatures is not set. Ask a system administrator to set it on the trust list page.",
            ),
        )
        .into());
    }
    let key = signing_key(conn)?;
    super::sign(package, &key, &name, acting.now())
        .map_err(|e| UserError::invalid("package", e.to_owned()).into())
}
