//! Browser sessions, sign-in failures (for the lockout) and each user's recently used apps.

use diesel::prelude::*;

use crate::db::schema::{login_failures, sessions, user_recent_apps};
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
