//! The bell: a user's own notifications, newest first (optionally unread ones first), the unread
//! count the header shows, and marking read. A user only ever reaches their own rows: every
//! function takes the user code and filters by it, so one user's ids mean nothing to another.

use diesel::prelude::*;
use serde::Serialize;

use super::Notification;
use crate::db::schema::notifications;
use crate::db::DbConn;
use crate::error::{EngineResult, UserError};
use crate::with_conn;

/// The most notifications one page holds.
pub const MAX_PAGE: i64 = 100;

/// The most ids one "mark read" call takes.
pub const MAX_MARK: usize = 500;

/// One page of the bell.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BellPage {
    pub notifications: Vec<Notification>,
    /// All of the user's notifications (for paging).
    pub total: i64,
    pub unread: i64,
}

/// How to page the bell.
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    pub offset: i64,
    pub limit: i64,
    /// Unread notifications before read ones (each part newest first).
    pub unread_first: bool,
    /// Only unread ones.
    pub unread_only: bool,
}

impl Default for Paging {
    fn default() -> Paging {
        Paging {
            offset: 0,
            limit: 20,
            unread_first: false,
            unread_only: false,
        }
    }
}

/// A page of `user`'s notifications. `InvalidParameter` for a limit outside 1..=100 or a
/// negative offset.
pub fn list(conn: &mut DbConn, user: &str, paging: Paging) -> EngineResult<BellPage> {
    if !(1..=MAX_PAGE).contains(&paging.limit) {
        return Err(UserError::invalid(
            "limit",
            format!("Enter a value between 1 and {MAX_PAGE}."),
        )
        .into());
    }
    if paging.offset < 0 {
        return Err(UserError::invalid("offset", "Enter a value of 0 or more.").into());
    }
    let rows: Vec<Notification> = with_conn!(conn, |c| {
        let mut q = notifications::table
            .filter(notifications::user_code.eq(user))
            .select(Notification::as_select())
            .into_boxed();
        if paging.unread_only {
            q = q.filter(notifications::read_at.is_null());
        }
        if paging.unread_first {
            // NULLs (unread) first: `read_at IS NULL` sorts true after false, hence descending.
            q = q.order((
                notifications::read_at.is_null().desc(),
                notifications::id.desc(),
            ));
        } else {
            q = q.order(notifications::id.desc());
        }
        q.offset(paging.offset).limit(paging.limit).load(c)
    })?;
    let total: i64 = with_conn!(conn, |c| notifications::table
        .filter(notifications::user_code.eq(user))
        .count()
        .get_result(c))?;
    Ok(BellPage {
        notifications: rows,
        total,
        unread: unread_count(conn, user)?,
    })
}

/// How many of `user`'s notifications are unread (the header's count).
pub fn unread_count(conn: &mut DbConn, user: &str) -> EngineResult<i64> {
    let n: i64 = with_conn!(conn, |c| notifications::table
        .filter(notifications::user_code.eq(user))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(c))?;
    Ok(n)
}

/// Marks `user`'s notifications `ids` read (`None`: all of them). Ids of other users' rows or of
/// rows already read change nothing. Returns how many rows became read.
pub fn mark_read(
    conn: &mut DbConn,
    user: &str,
    ids: Option<&[i64]>,
    now: i64,
) -> EngineResult<usize> {
    let mine = notifications::user_code
        .eq(user)
        .and(notifications::read_at.is_null());
    let n = match ids {
        None => with_conn!(conn, |c| diesel::update(notifications::table.filter(mine))
            .set(notifications::read_at.eq(Some(now)))
            .execute(c))?,
        Some(ids) => {
            if ids.len() > MAX_MARK {
                return Err(
                    UserError::invalid("ids", format!("Specify at most {MAX_MARK} ids.")).into(),
                );
            }
            with_conn!(conn, |c| diesel::update(
                notifications::table.filter(mine.and(notifications::id.eq_any(ids)))
            )
            .set(notifications::read_at.eq(Some(now)))
            .execute(c))?
        }
    };
    Ok(n)
}
