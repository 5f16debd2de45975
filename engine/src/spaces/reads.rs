//! Read positions: a member has read every post of a thread up to `thread_reads.last_read_post`.
//! Unread counts come from the posts after that position (index `thread_posts (thread_id, id)`),
//! so they cost the same in a thread of ten posts or ten thousand read ones.

use diesel::prelude::*;

use crate::db::schema::{thread_posts, thread_reads};
use crate::db::DbConn;
use crate::error::EngineResult;
use crate::with_conn;

/// `user`'s read position in `thread` (0: nothing read).
pub fn position(conn: &mut DbConn, user: &str, thread: i64) -> EngineResult<i64> {
    let found: Option<i64> = with_conn!(conn, |c| thread_reads::table
        .filter(thread_reads::thread_id.eq(thread))
        .filter(thread_reads::user_code.eq(user))
        .select(thread_reads::last_read_post)
        .first(c)
        .optional())?;
    Ok(found.unwrap_or(0))
}

/// For each of `threads`, the number of posts `user` has not read (other people's posts after
/// their read position, deleted posts not counted), in the order given.
pub fn unread_counts(
    conn: &mut DbConn,
    user: &str,
    threads: &[i64],
) -> EngineResult<Vec<(i64, i64)>> {
    let mut out = Vec::with_capacity(threads.len());
    for &thread in threads {
        let after = position(conn, user, thread)?;
        let n: i64 = with_conn!(conn, |c| thread_posts::table
            .filter(thread_posts::thread_id.eq(thread))
            .filter(thread_posts::id.gt(after))
            .filter(thread_posts::deleted.eq(false))
            .filter(thread_posts::author.ne(user))
            .count()
            .get_result(c))?;
        out.push((thread, n));
    }
    Ok(out)
}
