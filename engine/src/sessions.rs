//! Browser sessions, sign-in failures (for the lockout) and each user's recently used apps.
//!
//! The lockout is one rule for every way a password is tried (the sign-in form, `X-Cybozu-Authorization`,
//! `POST /api/auth/token`): [`sign_in_gate`] before the check, [`sign_in_failed`] after a wrong one.
//! Five failures for one login within 15 minutes lock that login; twenty from one address lock the
//! address. Failures are counted for unknown logins too (under a short hash, never the typed text),
//! so the answers do not tell which logins exist.

use diesel::prelude::*;

use crate::db::schema::{login_failures, revoked_jwts, sessions, user_recent_apps};
use crate::db::DbConn;
use crate::error::EngineResult;
use crate::mfa;
use crate::users::User;
use crate::with_conn;

/// Failures within this window count towards the lockout.
pub const LOCKOUT_WINDOW_SECONDS: i64 = 15 * 60;
/// This many failures within the window lock the login until the window has passed.
pub const LOCKOUT_FAILURES: i64 = 5;

/// Creates a session for `user`; returns its id.
pub fn create_session(
    conn: &mut DbConn,
    user: &str,
    lifetime_seconds: i64,
) -> EngineResult<String> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let now = chrono::Utc::now().timestamp();
    with_conn!(conn, |c| diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(&id),
            sessions::user_code.eq(user),
            sessions::created_at.eq(now),
            sessions::expires_at.eq(now + lifetime_seconds),
            sessions::last_seen_at.eq(now),
        ))
        .execute(c))?;
    Ok(id)
}

/// A request within this many seconds of the last recorded one does not write `last_seen_at` again
/// (so a page with many requests writes once); the inactivity timeout is at least a minute.
const TOUCH_SECONDS: i64 = 15;

/// The user of a live session with what they must do first (`mfa::obligation`). A session is live
/// before its absolute expiry (12 hours) and while the user was active within the inactivity timeout
/// (`mfa::settings`, sliding: each request moves it on); an idle session is deleted. Disabled users
/// have no live session.
pub fn session_status(
    conn: &mut DbConn,
    id: &str,
) -> EngineResult<Option<(User, mfa::Obligation)>> {
    let now = chrono::Utc::now().timestamp();
    let row: Option<(String, i64)> = with_conn!(conn, |c| sessions::table
        .filter(sessions::id.eq(id).and(sessions::expires_at.gt(now)))
        .select((sessions::user_code, sessions::last_seen_at))
        .first(c)
        .optional())?;
    let Some((code, last_seen)) = row else {
        return Ok(None);
    };
    let settings = mfa::settings(conn)?;
    if last_seen + settings.idle_minutes * 60 <= now {
        delete_session(conn, id)?;
        return Ok(None);
    }
    if now - last_seen >= TOUCH_SECONDS {
        with_conn!(conn, |c| diesel::update(
            sessions::table.filter(sessions::id.eq(id))
        )
        .set(sessions::last_seen_at.eq(now))
        .execute(c))?;
    }
    let Some(user) = User::find_by_code(conn, &code)?.filter(|u| u.is_active) else {
        return Ok(None);
    };
    let obligation = mfa::obligation_with(conn, &user, &settings)?;
    Ok(Some((user, obligation)))
}

/// The user of a live session that may do anything: none while a forced password change or a
/// required TOTP enrolment is pending, so the API refuses such a session until it is done.
pub fn session_user(conn: &mut DbConn, id: &str) -> EngineResult<Option<String>> {
    Ok(session_status(conn, id)?
        .filter(|(_, ob)| *ob == mfa::Obligation::None)
        .map(|(u, _)| u.code))
}

/// Ends a session (sign-out).
pub fn delete_session(conn: &mut DbConn, id: &str) -> EngineResult<()> {
    with_conn!(conn, |c| diesel::delete(
        sessions::table.filter(sessions::id.eq(id))
    )
    .execute(c))?;
    Ok(())
}

/// Records a failed sign-in.
pub fn record_failure(conn: &mut DbConn, login: &str, peer: &str) -> EngineResult<()> {
    let now = chrono::Utc::now().timestamp();
    // Failures older than the window count for nothing: the table stays small under attack.
    with_conn!(conn, |c| diesel::delete(
        login_failures::table.filter(login_failures::at.lt(now - LOCKOUT_WINDOW_SECONDS))
    )
    .execute(c))?;
    with_conn!(conn, |c| diesel::insert_into(login_failures::table)
        .values((
            login_failures::login.eq(login),
            login_failures::at.eq(now),
            login_failures::peer.eq(peer)
        ))
        .execute(c))?;
    Ok(())
}

/// Seconds until `login` may try again, or 0 when it is not locked.
pub fn locked_for(conn: &mut DbConn, login: &str) -> EngineResult<i64> {
    let now = chrono::Utc::now().timestamp();
    let since = now - LOCKOUT_WINDOW_SECONDS;
    let recent: Vec<i64> = with_conn!(conn, |c| login_failures::table
        .filter(
            login_failures::login
                .eq(login)
                .and(login_failures::at.gt(since))
        )
        .select(login_failures::at)
        .order(login_failures::at.asc())
        .load(c))?;
    if i64::try_from(recent.len()).unwrap_or(i64::MAX) < LOCKOUT_FAILURES {
        return Ok(0);
    }
    let last = recent.last().copied().unwrap_or(now);
    Ok((last + LOCKOUT_WINDOW_SECONDS - now).max(1))
}

/// This many failures from one peer address within the window (any logins) lock that address too, so
/// one machine cannot try a password against every account.
pub const LOCKOUT_PEER_FAILURES: i64 = 20;

/// Seconds until the peer address may try again, or 0.
pub fn peer_locked_for(conn: &mut DbConn, peer: &str) -> EngineResult<i64> {
    let now = chrono::Utc::now().timestamp();
    let since = now - LOCKOUT_WINDOW_SECONDS;
    let recent: Vec<i64> = with_conn!(conn, |c| login_failures::table
        .filter(
            login_failures::peer
                .eq(peer)
                .and(login_failures::at.gt(since))
        )
        .select(login_failures::at)
        .order(login_failures::at.asc())
        .load(c))?;
    if i64::try_from(recent.len()).unwrap_or(i64::MAX) < LOCKOUT_PEER_FAILURES {
        return Ok(0);
    }
    let last = recent.last().copied().unwrap_or(now);
    Ok((last + LOCKOUT_WINDOW_SECONDS - now).max(1))
}

/// Forgets failures after a successful sign-in.
pub fn clear_failures(conn: &mut DbConn, login: &str) -> EngineResult<()> {
    with_conn!(conn, |c| diesel::delete(
        login_failures::table.filter(login_failures::login.eq(login))
    )
    .execute(c))?;
    Ok(())
}

/// Notes that `user` opened `app`.
pub fn touch_recent_app(conn: &mut DbConn, user: &str, app: i64) -> EngineResult<()> {
    let now = chrono::Utc::now().timestamp();
    let updated = with_conn!(conn, |c| diesel::update(
        user_recent_apps::table.filter(
            user_recent_apps::user_code
                .eq(user)
                .and(user_recent_apps::app_id.eq(app))
        )
    )
    .set(user_recent_apps::visited_at.eq(now))
    .execute(c))?;
    if updated == 0 {
        // A concurrent first visit may insert the same row; losing that race is harmless.
        let _ = with_conn!(conn, |c| diesel::insert_into(user_recent_apps::table)
            .values((
                user_recent_apps::user_code.eq(user),
                user_recent_apps::app_id.eq(app),
                user_recent_apps::visited_at.eq(now),
            ))
            .execute(c));
    }
    Ok(())
}

/// The user's most recently opened apps, newest first.
pub fn recent_apps(conn: &mut DbConn, user: &str, limit: i64) -> EngineResult<Vec<i64>> {
    let ids = with_conn!(conn, |c| user_recent_apps::table
        .filter(user_recent_apps::user_code.eq(user))
        .order(user_recent_apps::visited_at.desc())
        .select(user_recent_apps::app_id)
        .limit(limit)
        .load(c))?;
    Ok(ids)
}

/// Why a password may not even be tried now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Open,
    /// The login had too many failures; try again after `retry_after` seconds.
    LoginLocked {
        retry_after: i64,
    },
    /// The address had too many failures (any logins).
    AddressLocked {
        retry_after: i64,
    },
}

impl Gate {
    /// Seconds until a password or code may be tried again; None when open.
    pub fn retry_after(&self) -> Option<i64> {
        match self {
            Gate::Open => None,
            Gate::LoginLocked { retry_after } | Gate::AddressLocked { retry_after } => {
                Some(*retry_after)
            }
        }
    }
}

/// How a login is kept in the failure table and the audit log: an existing user's code as is; an
/// unknown login (which may well be a password typed into the wrong box) as `?` and the first 8 hex
/// digits of its SHA-256, which still groups repeated attempts but cannot be read back.
pub fn login_key(conn: &mut DbConn, login: &str) -> EngineResult<String> {
    if crate::users::User::find_by_code(conn, login)?.is_some() {
        return Ok(login.to_owned());
    }
    Ok(masked_login(login))
}

/// The masked form of a login that names no user (see [`login_key`]).
pub fn masked_login(login: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(login.as_bytes());
    let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("?{hex}")
}

/// Whether a password for `login` from `peer` may be checked now. Call before the (slow) check and
/// before any cache, on every path that takes a password.
pub fn sign_in_gate(conn: &mut DbConn, login: &str, peer: &str) -> EngineResult<Gate> {
    let key = login_key(conn, login)?;
    let by_peer = peer_locked_for(conn, peer)?;
    if by_peer > 0 {
        return Ok(Gate::AddressLocked {
            retry_after: by_peer,
        });
    }
    let by_login = locked_for(conn, &key)?;
    if by_login > 0 {
        return Ok(Gate::LoginLocked {
            retry_after: by_login,
        });
    }
    Ok(Gate::Open)
}

/// Records a wrong password (or a refused attempt while locked) for `login` from `peer`: one
/// failure row for the lockout (not for a refused attempt), and an audit row — at most [`crate::audit::THROTTLE_ROWS`] per login
/// and address within the window, then one summary row with the count ([`crate::audit::record_throttled`]).
/// Written on its own connection state (autocommit), so it stays although the request fails.
pub fn sign_in_failed(
    conn: &mut DbConn,
    login: &str,
    peer: &str,
    method: &str,
    locked: bool,
) -> EngineResult<()> {
    let key = login_key(conn, login)?;
    // An attempt refused while locked checked no password: it does not count towards a lock, or
    // a locked address could lock every account it names.
    if !locked {
        record_failure(conn, &key, peer)?;
    }
    let target = format!("user:{key}");
    let event = crate::audit::AuditEvent::failure(
        &key,
        peer,
        crate::audit::action::SIGN_IN,
        &target,
        serde_json::json!({ "method": method, "locked": locked }),
    );
    crate::audit::record_throttled(conn, event)
}

/// Revokes one bearer JWT (its `jti`) until it would have expired anyway.
pub fn revoke_jwt(conn: &mut DbConn, jti: &str, expires_at: i64) -> EngineResult<()> {
    let now = chrono::Utc::now().timestamp();
    with_conn!(conn, |c| diesel::delete(
        revoked_jwts::table.filter(revoked_jwts::expires_at.lt(now))
    )
    .execute(c))?;
    with_conn!(conn, |c| diesel::insert_into(revoked_jwts::table)
        .values((
            revoked_jwts::jti.eq(jti),
            revoked_jwts::expires_at.eq(expires_at)
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(())
}

/// Whether a bearer JWT's `jti` was revoked.
pub fn jwt_revoked(conn: &mut DbConn, jti: &str) -> EngineResult<bool> {
    let found: Option<String> = with_conn!(conn, |c| revoked_jwts::table
        .find(jti)
        .select(revoked_jwts::jti)
        .first(c)
        .optional())?;
    Ok(found.is_some())
}
