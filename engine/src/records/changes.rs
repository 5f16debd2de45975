//! The change log (outbox): one row per changed record (or whole app), written in the same
//! transaction as the change, read in `seq` order by consumers that keep a derived copy (the
//! full-text index). A row says only *what* changed; consumers read the current state, so applying a
//! row twice is harmless.

use diesel::prelude::*;

use crate::apps::AppId;
use crate::db::schema::change_log;
use crate::db::DbConn;
use crate::error::EngineResult;
use crate::with_conn;

/// `record_id` of a row that concerns the whole app (deployed with other fields, or deleted).
pub const WHOLE_APP: i64 = 0;

/// One change-log row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Queryable)]
pub struct Change {
    pub seq: i64,
    pub app_id: i64,
    pub record_id: i64,
    pub created_at: i64,
}

/// Logs that these records of `app` changed (added, updated, deleted, commented, files changed).
pub fn records_changed(conn: &mut DbConn, app: AppId, record_ids: &[i64]) -> EngineResult<()> {
    let now = chrono::Utc::now().timestamp();
    for chunk in record_ids.chunks(300) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|id| {
                (
                    change_log::app_id.eq(app.0),
                    change_log::record_id.eq(*id),
                    change_log::created_at.eq(now),
                )
            })
            .collect();
        with_conn!(conn, |c| diesel::insert_into(change_log::table)
            .values(&rows)
            .execute(c))?;
    }
    Ok(())
}

/// Logs that every record of `app` must be looked at again (deploy, app deletion).
pub fn app_changed(conn: &mut DbConn, app: AppId) -> EngineResult<()> {
    records_changed(conn, app, &[WHOLE_APP])
}

/// Up to `limit` rows after `seq`, oldest first.
pub fn changes_after(conn: &mut DbConn, seq: i64, limit: i64) -> EngineResult<Vec<Change>> {
    Ok(with_conn!(conn, |c| change_log::table
        .filter(change_log::seq.gt(seq))
        .order(change_log::seq.asc())
        .limit(limit)
        .select((
            change_log::seq,
            change_log::app_id,
            change_log::record_id,
            change_log::created_at
        ))
        .load::<Change>(c))?)
}

/// The newest `seq` (0 when the log is empty).
pub fn last_seq(conn: &mut DbConn) -> EngineResult<i64> {
    let max: Option<i64> = with_conn!(conn, |c| change_log::table
        .select(diesel::dsl::max(change_log::seq))
        .first(c))?;
    Ok(max.unwrap_or(0))
}

/// Removes rows up to `seq` that are older than `before` (unix seconds): every consumer has applied
/// them. Returns how many went.
pub fn prune(conn: &mut DbConn, seq: i64, before: i64) -> EngineResult<usize> {
    Ok(with_conn!(conn, |c| diesel::delete(
        change_log::table.filter(
            change_log::seq
                .le(seq)
                .and(change_log::created_at.lt(before))
        )
    )
    .execute(c))?)
}

/// The rows with `lo <= seq <= hi` (a gap a consumer gave up on, checked for a late commit).
pub fn changes_between(conn: &mut DbConn, lo: i64, hi: i64) -> EngineResult<Vec<Change>> {
    Ok(with_conn!(conn, |c| change_log::table
        .filter(change_log::seq.ge(lo).and(change_log::seq.le(hi)))
        .order(change_log::seq.asc())
        .select((
            change_log::seq,
            change_log::app_id,
            change_log::record_id,
            change_log::created_at
        ))
        .load::<Change>(c))?)
}

/// How many rows lie after `seq`, and the creation time of the oldest of them (the index lag).
pub fn backlog(conn: &mut DbConn, seq: i64) -> EngineResult<(i64, Option<i64>)> {
    let (count, oldest): (i64, Option<i64>) = with_conn!(conn, |c| change_log::table
        .filter(change_log::seq.gt(seq))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(change_log::created_at)
        ))
        .first(c))?;
    Ok((count, oldest))
}
