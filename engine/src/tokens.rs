//! API tokens: one app each, with view/add/edit/delete (and manage) rights. The token string is the
//! credential; it is generated from 30 random characters and shown once when created. Only its
//! SHA-256 is stored (the `token` column holds the hash) with its first four characters for lists,
//! so a copy of the database (a backup) hands out no working token. A token may carry an address
//! allowlist ([`crate::netlist`]).

use std::collections::HashMap;

use diesel::prelude::*;

use crate::acl::TokenRights;
use crate::apps::AppId;
use crate::db::schema::api_tokens;
use crate::db::DbConn;
use crate::error::{EngineResult, UserError};
use crate::with_conn;

/// Why a token header was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenProblem {
    /// A token that does not exist (kintone `GAIA_IA02`).
    Unknown,
    /// Two tokens of the same app (kintone `GAIA_DA03`).
    DuplicateApp,
    /// A token whose allowlist does not name the client's address.
    AddressNotAllowed,
}

/// Characters of a token kept in clear for lists.
pub const PREFIX_CHARS: usize = 4;

/// The stored form of a token string: SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Replaces tokens stored in plain text (before hashing existed) by their hashes. Runs at start;
/// idempotent. The public ids stay the same (they were always derived from the hash).
pub fn hash_plain_tokens(conn: &mut DbConn) -> EngineResult<usize> {
    let plain: Vec<String> = with_conn!(conn, |c| api_tokens::table
        .filter(api_tokens::hashed.eq(false))
        .select(api_tokens::token)
        .load(c))?;
    for token in &plain {
        let prefix: String = token.chars().take(PREFIX_CHARS).collect();
        with_conn!(conn, |c| diesel::update(api_tokens::table.find(token))
            .set((
                api_tokens::token.eq(token_hash(token)),
                api_tokens::prefix.eq(&prefix),
                api_tokens::hashed.eq(true),
            ))
            .execute(c))?;
    }
    Ok(plain.len())
}

/// Creates a token for `app`; returns the token string.
pub fn create_token(conn: &mut DbConn, app: AppId, rights: TokenRights) -> EngineResult<String> {
    create_token_for(conn, app, rights, "")
}

/// Creates a token for `app` usable only from the addresses in `allowed_ips` (normalised by
/// [`crate::netlist::normalise`]; empty: anywhere); returns the token string, which is not stored.
pub fn create_token_for(
    conn: &mut DbConn,
    app: AppId,
    rights: TokenRights,
    allowed_ips: &str,
) -> EngineResult<String> {
    let allowed_ips = crate::netlist::normalise("allowedIps", allowed_ips)?;
    use rand::RngCore;
    if crate::apps::AppRow::find(conn, app)?.is_none() {
        return Err(UserError::AppNotFound(app.0.to_string()).into());
    }
    let mut bytes = [0u8; 30];
    rand::thread_rng().fill_bytes(&mut bytes);
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let token: String = bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    let now = chrono::Utc::now().timestamp();
    with_conn!(conn, |c| diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::token.eq(token_hash(&token)),
            api_tokens::hashed.eq(true),
            api_tokens::prefix.eq(token.chars().take(PREFIX_CHARS).collect::<String>()),
            api_tokens::allowed_ips.eq(&allowed_ips),
            api_tokens::app_id.eq(app.0),
            api_tokens::can_view.eq(rights.view),
            api_tokens::can_add.eq(rights.add),
            api_tokens::can_edit.eq(rights.edit),
            api_tokens::can_delete.eq(rights.delete),
            api_tokens::can_manage.eq(rights.manage),
            api_tokens::created_at.eq(now),
        ))
        .execute(c))?;
    Ok(token)
}

/// Resolves the tokens of one request, sent from `peer`, to rights per app.
pub fn resolve_tokens(
    conn: &mut DbConn,
    tokens: &[String],
    peer: &str,
) -> EngineResult<Result<HashMap<AppId, TokenRights>, TokenProblem>> {
    let mut out = HashMap::new();
    for token in tokens {
        type Row = (i64, bool, bool, bool, bool, bool, String);
        let row: Option<Row> = with_conn!(conn, |c| api_tokens::table
            .find(token_hash(token))
            .filter(api_tokens::hashed.eq(true))
            .select((
                api_tokens::app_id,
                api_tokens::can_view,
                api_tokens::can_add,
                api_tokens::can_edit,
                api_tokens::can_delete,
                api_tokens::can_manage,
                api_tokens::allowed_ips,
            ))
            .first(c)
            .optional())?;
        let Some((app, view, add, edit, delete, manage, allowed)) = row else {
            return Ok(Err(TokenProblem::Unknown));
        };
        if !crate::netlist::allows(&allowed, peer) {
            return Ok(Err(TokenProblem::AddressNotAllowed));
        }
        if out
            .insert(
                AppId(app),
                TokenRights {
                    view,
                    add,
                    edit,
                    delete,
                    manage,
                },
            )
            .is_some()
        {
            return Ok(Err(TokenProblem::DuplicateApp));
        }
    }
    Ok(Ok(out))
}

/// A per-app token as listed: `id` is derived from the token (the first 16 hex digits of its
/// SHA-256), so lists and revocation never need the secret itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppTokenInfo {
    pub id: String,
    pub app: AppId,
    pub rights: TokenRights,
    pub created_at: i64,
    /// The first characters of the token, to recognise it.
    pub prefix: String,
    /// The addresses it may be used from (empty: anywhere).
    pub allowed_ips: Vec<String>,
}

/// The public id of a per-app token.
pub fn app_token_id(token: &str) -> String {
    id_of_hash(&token_hash(token))
}

fn id_of_hash(hash: &str) -> String {
    hash.chars().take(16).collect()
}

/// The tokens of `app`, oldest first.
pub fn list_app_tokens(conn: &mut DbConn, app: AppId) -> EngineResult<Vec<AppTokenInfo>> {
    type Row = (String, bool, bool, bool, bool, bool, i64, String, String);
    let rows: Vec<Row> = with_conn!(conn, |c| api_tokens::table
        .filter(api_tokens::app_id.eq(app.0))
        .filter(api_tokens::hashed.eq(true))
        .order((api_tokens::created_at.asc(), api_tokens::token.asc()))
        .select((
            api_tokens::token,
            api_tokens::can_view,
            api_tokens::can_add,
            api_tokens::can_edit,
            api_tokens::can_delete,
            api_tokens::can_manage,
            api_tokens::created_at,
            api_tokens::prefix,
            api_tokens::allowed_ips,
        ))
        .load(c))?;
    Ok(rows
        .into_iter()
        .map(
            |(hash, view, add, edit, delete, manage, created_at, prefix, allowed)| AppTokenInfo {
                id: id_of_hash(&hash),
                prefix,
                allowed_ips: crate::netlist::entries(&allowed),
                app,
                rights: TokenRights {
                    view,
                    add,
                    edit,
                    delete,
                    manage,
                },
                created_at,
            },
        )
        .collect())
}

/// Revokes the token of `app` whose public id is `id`; returns whether one was removed.
pub fn revoke_app_token(conn: &mut DbConn, app: AppId, id: &str) -> EngineResult<bool> {
    let tokens: Vec<String> = with_conn!(conn, |c| api_tokens::table
        .filter(api_tokens::app_id.eq(app.0))
        .select(api_tokens::token)
        .load(c))?;
    let Some(token) = tokens.into_iter().find(|t| id_of_hash(t) == id) else {
        return Ok(false);
    };
    with_conn!(conn, |c| diesel::delete(api_tokens::table.find(&token))
        .execute(c))?;
    Ok(true)
}
