//! API tokens: one app each, with view/add/edit/delete (and manage) rights. The token string is the
//! credential; it is generated from 32 random bytes and shown once when created.

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
}

/// Creates a token for `app`; returns the token string.
pub fn create_token(conn: &mut DbConn, app: AppId, rights: TokenRights) -> EngineResult<String> {
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
            api_tokens::token.eq(&token),
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

/// Resolves the tokens of one request to rights per app.
pub fn resolve_tokens(
    conn: &mut DbConn,
    tokens: &[String],
) -> EngineResult<Result<HashMap<AppId, TokenRights>, TokenProblem>> {
    let mut out = HashMap::new();
    for token in tokens {
        type Row = (i64, bool, bool, bool, bool, bool);
        let row: Option<Row> = with_conn!(conn, |c| api_tokens::table
            .find(token)
            .select((
                api_tokens::app_id,
                api_tokens::can_view,
                api_tokens::can_add,
                api_tokens::can_edit,
                api_tokens::can_delete,
                api_tokens::can_manage,
            ))
            .first(c)
            .optional())?;
        let Some((app, view, add, edit, delete, manage)) = row else {
            return Ok(Err(TokenProblem::Unknown));
        };
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
}

/// The public id of a per-app token.
pub fn app_token_id(token: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The tokens of `app`, oldest first.
pub fn list_app_tokens(conn: &mut DbConn, app: AppId) -> EngineResult<Vec<AppTokenInfo>> {
    type Row = (String, bool, bool, bool, bool, bool, i64);
    let rows: Vec<Row> = with_conn!(conn, |c| api_tokens::table
        .filter(api_tokens::app_id.eq(app.0))
        .order((api_tokens::created_at.asc(), api_tokens::token.asc()))
        .select((
            api_tokens::token,
            api_tokens::can_view,
            api_tokens::can_add,
            api_tokens::can_edit,
            api_tokens::can_delete,
            api_tokens::can_manage,
            api_tokens::created_at,
        ))
        .load(c))?;
    Ok(rows
        .into_iter()
        .map(
            |(token, view, add, edit, delete, manage, created_at)| AppTokenInfo {
                id: app_token_id(&token),
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
    let Some(token) = tokens.into_iter().find(|t| app_token_id(t) == id) else {
        return Ok(false);
    };
    with_conn!(conn, |c| diesel::delete(api_tokens::table.find(&token))
        .execute(c))?;
    Ok(true)
}
