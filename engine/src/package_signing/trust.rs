//! The trust list managed by IT: public keys of bodies whose packages this installation trusts
//! (table `package_trusted_keys`), and the one answer every import channel shows
//! ([`SignatureStatus`]: unsigned, trusted, unknown key, invalid).
//!
//! Only system administrators list, add and remove keys ([`super::keys::require_admin`]); each
//! change is audited. A key is listed once (its fingerprint is unique). A tampered package is
//! refused by [`check_for_import`] before anything is written.

use diesel::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};

use super::keys::require_admin;
use super::{fingerprint, inspect, parse_public_key, public_key_text, Inspection, KeyProblem};
use crate::acting::ActingContext;
use crate::db::schema::package_trusted_keys as t;
use crate::db::DbConn;
use crate::error::{EngineResult, Message, UserError};
use crate::with_conn;

/// Audit actions of the trust list.
pub mod action {
    pub const TRUST_ADD: &str = "package.trust.add";
    pub const TRUST_REMOVE: &str = "package.trust.remove";
}

/// One trusted key as the list shows it.
#[derive(Debug, Clone, Serialize, Queryable)]
#[serde(rename_all = "camelCase")]
pub struct TrustedKey {
    pub id: i64,
    /// The body's name as IT entered it (shown instead of the name a package claims).
    pub name: String,
    pub fingerprint: String,
    pub public_key: String,
    pub added_by: String,
    /// Seconds since the epoch.
    pub added_at: i64,
}

/// What an importer is shown about a package's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum SignatureStatus {
    /// 署名なし.
    Unsigned,
    /// 署名済み（信頼済み: name）: `name` is the trust list's name for the key.
    #[serde(rename_all = "camelCase")]
    Trusted {
        name: String,
        signer: String,
        fingerprint: String,
        public_key: String,
        signed_at: String,
    },
    /// 署名済み（未登録の鍵: signer・fingerprint）: valid, but the key is not on the list.
    #[serde(rename_all = "camelCase")]
    Unknown {
        signer: String,
        fingerprint: String,
        public_key: String,
        signed_at: String,
    },
    /// 改ざんまたは署名不正.
    Invalid { reason: String },
}

impl SignatureStatus {
    /// The short status word of the API (`unsigned`, `trusted`, `unknown`, `invalid`).
    pub fn word(&self) -> &'static str {
        match self {
            SignatureStatus::Unsigned => "unsigned",
            SignatureStatus::Trusted { .. } => "trusted",
            SignatureStatus::Unknown { .. } => "unknown",
            SignatureStatus::Invalid { .. } => "invalid",
        }
    }
}

fn find(conn: &mut DbConn, print: &str) -> EngineResult<Option<TrustedKey>> {
    let row = with_conn!(conn, |c| t::table
        .filter(t::fingerprint.eq(print))
        .select((
            t::id,
            t::name,
            t::fingerprint,
            t::public_key,
            t::added_by,
            t::added_at
        ))
        .first::<TrustedKey>(c)
        .optional())?;
    Ok(row)
}

/// The signature status of `package` against this installation's trust list. Reading the list
/// for this answer needs no right: the importer sees only the name of the key that signed.
pub fn status(conn: &mut DbConn, package: &Value) -> EngineResult<SignatureStatus> {
    Ok(match inspect(package) {
        Inspection::Unsigned => SignatureStatus::Unsigned,
        Inspection::Invalid(reason) => SignatureStatus::Invalid { reason },
        Inspection::Valid(s) => match find(conn, &s.fingerprint)? {
            Some(k) => SignatureStatus::Trusted {
                name: k.name,
                signer: s.name,
                fingerprint: s.fingerprint,
                public_key: s.public_key,
                signed_at: s.signed_at,
            },
            None => SignatureStatus::Unknown {
                signer: s.name,
                fingerprint: s.fingerprint,
                public_key: s.public_key,
                signed_at: s.signed_at,
            },
        },
    })
}

/// The status of a package about to be imported; a tampered or wrongly signed package is refused
/// (`package` error, a message for people) so that the caller writes nothing.
pub fn check_for_import(conn: &mut DbConn, package: &Value) -> EngineResult<SignatureStatus> {
    let status = status(conn, package)?;
    if let SignatureStatus::Invalid { reason } = &status {
        tracing::warn!(%reason, "a package with an invalid signature was refused");
        return Err(UserError::invalid(
            "package",
            Message::keyed(
                "packages.tampered",
                "This package was changed after it was signed, or its signature is not valid. It was not imported.",
            ),
        )
        .into());
    }
    Ok(status)
}

/// Every trusted key, by name (administrators only).
pub fn list(conn: &mut DbConn, acting: &ActingContext) -> EngineResult<Vec<TrustedKey>> {
    require_admin(acting)?;
    let rows = with_conn!(conn, |c| t::table
        .order((t::name.asc(), t::id.asc()))
        .select((
            t::id,
            t::name,
            t::fingerprint,
            t::public_key,
            t::added_by,
            t::added_at
        ))
        .load::<TrustedKey>(c))?;
    Ok(rows)
}

fn key_error(problem: KeyProblem) -> UserError {
    let message = match problem {
        KeyProblem::Malformed => Message::keyed(
            "packages.key_malformed",
            "This is not an ed25519 public key. Paste the key exactly as the other body gave it (ed25519: followed by 44 characters).",
        ),
        KeyProblem::NotAKey => Message::keyed(
            "packages.key_not_a_key",
            "These 32 bytes are not a valid ed25519 public key.",
        ),
    };
    UserError::invalid("publicKey", message)
}

/// Adds a key (administrators only). `name` is the body's name as IT wants it shown (1..=100
/// characters); `public_key` its text form. A key already on the list is refused.
pub fn add(
    conn: &mut DbConn,
    acting: &ActingContext,
    name: &str,
    public_key: &str,
) -> EngineResult<TrustedKey> {
    require_admin(acting)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > super::keys::MAX_NAME_CHARS {
        return Err(UserError::invalid(
            "name",
            Message::keyed(
                "packages.signer_name_invalid",
                format!(
                    "Enter the body's name (1 to {} characters).",
                    super::keys::MAX_NAME_CHARS
                ),
            )
            .arg("max", super::keys::MAX_NAME_CHARS.to_string()),
        )
        .into());
    }
    if public_key.trim().is_empty() {
        return Err(UserError::invalid(
            "publicKey",
            Message::keyed("packages.key_missing", "Paste the body's public key."),
        )
        .into());
    }
    let key = parse_public_key(public_key).map_err(key_error)?;
    let print = fingerprint(&key);
    if let Some(existing) = find(conn, &print)? {
        return Err(UserError::invalid(
            "publicKey",
            Message::keyed(
                "packages.key_listed",
                format!("This key is already on the list as {}.", existing.name),
            )
            .arg("name", existing.name),
        )
        .into());
    }
    let text = public_key_text(&key);
    let by = acting.audit_actor();
    let at = acting.now().timestamp();
    with_conn!(conn, |c| diesel::insert_into(t::table)
        .values((
            t::name.eq(name),
            t::fingerprint.eq(&print),
            t::public_key.eq(&text),
            t::added_by.eq(&by),
            t::added_at.eq(at),
        ))
        .execute(c))?;
    acting.audit(
        conn,
        action::TRUST_ADD,
        &format!("package-key:{print}"),
        json!({"name": name, "fingerprint": print}),
    )?;
    find(conn, &print)?.ok_or_else(|| {
        crate::error::EngineError::Internal("a trusted key just added is gone".into())
    })
}

/// Adds the key that signed `package` (administrators only); refused when the package is unsigned
/// or its signature invalid. `name` defaults to the name the package claims.
pub fn add_from_package(
    conn: &mut DbConn,
    acting: &ActingContext,
    name: Option<&str>,
    package: &Value,
) -> EngineResult<TrustedKey> {
    require_admin(acting)?;
    match inspect(package) {
        Inspection::Valid(s) => {
            let name = name.filter(|n| !n.trim().is_empty()).unwrap_or(&s.name).to_owned();
            add(conn, acting, &name, &s.public_key)
        }
        Inspection::Unsigned => Err(UserError::invalid(
            "package",
            Message::keyed("packages.not_signed", "This package is not signed."),
        )
        .into()),
        Inspection::Invalid(_) => Err(UserError::invalid(
            "package",
            Message::keyed(
                "packages.tampered",
                "This package was changed after it was signed, or its signature is not valid. It was not imported.",
            ),
        )
        .into()),
    }
}

/// Removes a key by its fingerprint (administrators only); an unknown fingerprint is an error.
pub fn remove(conn: &mut DbConn, acting: &ActingContext, print: &str) -> EngineResult<()> {
    require_admin(acting)?;
    let Some(existing) = find(conn, print.trim())? else {
        return Err(UserError::invalid(
            "fingerprint",
            Message::keyed("packages.key_not_listed", "This key is not on the list."),
        )
        .into());
    };
    with_conn!(conn, |c| diesel::delete(
        t::table.filter(t::id.eq(existing.id))
    )
    .execute(c))?;
    acting.audit(
        conn,
        action::TRUST_REMOVE,
        &format!("package-key:{}", existing.fingerprint),
        json!({"name": existing.name, "fingerprint": existing.fingerprint}),
    )
}
