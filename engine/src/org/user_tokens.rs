//! Per-user API tokens: a credential that acts as one user (with that user's departments, groups and
//! administrator flag), for scripts and integrations that should not hold a password. The token
//! string (`kmk_` + 43 random characters) is shown once when created; only its SHA-256 is stored, so
//! a copy of the database does not hand out working tokens. A token stops working when it expires,
//! is revoked, or its user is disabled (disabling deletes the user's tokens). A token may carry an
//! address allowlist ([`crate::netlist`]).

use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::schema::user_tokens;
use crate::db::DbConn;
use crate::error::{EngineError, EngineResult, UserError};
use crate::users::User;
use crate::with_conn;

/// Every per-user token starts with this, which tells it apart from a bearer JWT.
pub const USER_TOKEN_PREFIX: &str = "kmk_";

/// A token as listed: never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = user_tokens)]
pub struct UserToken {
    pub id: String,
    pub user_code: String,
    pub name: String,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    /// Addresses/CIDRs it may be used from, one per line (empty: anywhere).
    pub allowed_ips: String,
}

/// Why a per-user token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserTokenProblem {
    /// Unknown, revoked, expired, or its user is disabled.
    Invalid,
    /// Used from an address its allowlist does not name.
    AddressNotAllowed,
}

fn random_text(n: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..n)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Creates a token for `user` named `name`, made by `created_by`; returns it and the token string,
/// which is not stored and cannot be shown again.
pub fn create_user_token(
    conn: &mut DbConn,
    user: &str,
    name: &str,
    created_by: &str,
    expires_at: Option<i64>,
    allowed_ips: &str,
) -> EngineResult<(UserToken, String)> {
    let allowed_ips = crate::netlist::normalise("allowedIps", allowed_ips)?;
    if User::find_by_code(conn, user)?.is_none() {
        return Err(UserError::invalid("user", "The user does not exist.").into());
    }
    let n = name.trim().chars().count();
    if n == 0 || n > 100 {
        return Err(
            UserError::invalid("name", "A name of 1 to 100 characters is required.").into(),
        );
    }
    let now = chrono::Utc::now().timestamp();
    if expires_at.is_some_and(|e| e <= now) {
        return Err(UserError::invalid("expiresAt", "Choose a time in the future.").into());
    }
    let secret = format!("{USER_TOKEN_PREFIX}{}", random_text(43));
    let token = UserToken {
        id: random_text(12),
        user_code: user.to_owned(),
        name: name.trim().to_owned(),
        created_by: created_by.to_owned(),
        created_at: now,
        expires_at,
        allowed_ips,
    };
    with_conn!(conn, |c| diesel::insert_into(user_tokens::table)
        .values((
            user_tokens::id.eq(&token.id),
            user_tokens::user_code.eq(&token.user_code),
            user_tokens::name.eq(&token.name),
            user_tokens::token_hash.eq(hash(&secret)),
            user_tokens::created_by.eq(&token.created_by),
            user_tokens::created_at.eq(token.created_at),
            user_tokens::expires_at.eq(token.expires_at),
            user_tokens::allowed_ips.eq(&token.allowed_ips),
        ))
        .execute(c))?;
    Ok((token, secret))
}

/// Tokens of `user`, or of everyone; newest first.
pub fn list_user_tokens(conn: &mut DbConn, user: Option<&str>) -> EngineResult<Vec<UserToken>> {
    let rows = with_conn!(conn, |c| {
        let mut q = user_tokens::table.into_boxed();
        if let Some(u) = user {
            q = q.filter(user_tokens::user_code.eq(u));
        }
        q.order((user_tokens::created_at.desc(), user_tokens::id.asc()))
            .select(UserToken::as_select())
            .load(c)
    })?;
    Ok(rows)
}

/// Revokes (deletes) a token; returns what it was. An unknown id is a validation error.
pub fn revoke_user_token(conn: &mut DbConn, id: &str) -> EngineResult<UserToken> {
    let found: Option<UserToken> = with_conn!(conn, |c| user_tokens::table
        .find(id)
        .select(UserToken::as_select())
        .first(c)
        .optional())?;
    let token = found
        .ok_or_else(|| EngineError::from(UserError::invalid("id", "The token does not exist.")))?;
    with_conn!(conn, |c| diesel::delete(user_tokens::table.find(id))
        .execute(c))?;
    Ok(token)
}

/// The active user a token string stands for, or `None` when it is unknown, expired, or its user is
/// disabled. Ignores the allowlist: use [`resolve_user_token_from`] for requests.
pub fn resolve_user_token(conn: &mut DbConn, token: &str) -> EngineResult<Option<User>> {
    Ok(resolve_user_token_from(conn, token, None)?.ok())
}

/// The active user a token string, sent from `peer`, stands for; checks the token's allowlist when a
/// peer is given.
pub fn resolve_user_token_from(
    conn: &mut DbConn,
    token: &str,
    peer: Option<&str>,
) -> EngineResult<Result<User, UserTokenProblem>> {
    if !token.starts_with(USER_TOKEN_PREFIX) {
        return Ok(Err(UserTokenProblem::Invalid));
    }
    let now = chrono::Utc::now().timestamp();
    let found: Option<(String, Option<i64>, String)> = with_conn!(conn, |c| user_tokens::table
        .filter(user_tokens::token_hash.eq(hash(token)))
        .select((
            user_tokens::user_code,
            user_tokens::expires_at,
            user_tokens::allowed_ips
        ))
        .first(c)
        .optional())?;
    let Some((user, expires_at, allowed)) = found else {
        return Ok(Err(UserTokenProblem::Invalid));
    };
    if expires_at.is_some_and(|e| e <= now) {
        return Ok(Err(UserTokenProblem::Invalid));
    }
    if peer.is_some_and(|p| !crate::netlist::allows(&allowed, p)) {
        return Ok(Err(UserTokenProblem::AddressNotAllowed));
    }
    Ok(User::find_by_code(conn, &user)?
        .filter(|u| u.is_active)
        .ok_or(UserTokenProblem::Invalid))
}

#[cfg(test)]
mod tests {
    use super::super::testdb::{conn, TestResult};
    use super::*;

    #[test]
    fn tokens_resolve_until_revoked_and_only_for_active_users() -> TestResult {
        let (_dir, _db, mut c) = conn()?;
        User::create(&mut c, "sato", "佐藤", "password-1", false)?;
        let (t, secret) =
            create_user_token(&mut c, "sato", "集計スクリプト", "Administrator", None, "")?;
        assert!(secret.starts_with(USER_TOKEN_PREFIX));
        assert_eq!(
            resolve_user_token(&mut c, &secret)?
                .map(|u| u.code)
                .as_deref(),
            Some("sato")
        );
        assert!(resolve_user_token(&mut c, "kmk_wrong")?.is_none());
        assert_eq!(list_user_tokens(&mut c, Some("sato"))?, vec![t.clone()]);
        revoke_user_token(&mut c, &t.id)?;
        assert!(resolve_user_token(&mut c, &secret)?.is_none());
        assert!(revoke_user_token(&mut c, &t.id).is_err());
        // Disabling deletes the user's tokens: re-enabling brings none back.
        let (_, secret) = create_user_token(&mut c, "sato", "b", "Administrator", None, "")?;
        User::set_active(&mut c, "sato", false)?;
        assert!(resolve_user_token(&mut c, &secret)?.is_none());
        User::set_active(&mut c, "sato", true)?;
        assert!(resolve_user_token(&mut c, &secret)?.is_none());
        Ok(())
    }
}
