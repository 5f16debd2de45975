//! Record cursors (`records/cursor.json`): a saved query read page by page, deleted after the last
//! page, expiring after 10 minutes. At most 10 live cursors per user.
//!
//! A cursor keeps its query and a position; each page re-runs the query with `LIMIT size OFFSET pos`,
//! so a page costs more the deeper it is (a keyset cursor is noted as future work in docs/).

use diesel::prelude::*;

use super::read::{count_records, list_records, ListRequest, StoredRecord};
use crate::apps::LiveApp;
use crate::db::schema::cursors;
use crate::db::DbConn;
use crate::error::{EngineResult, QueryErrorCode, UserError};
use crate::query::{self, QueryContext};
use crate::with_conn;

const LIFETIME_SECONDS: i64 = 600;
const MAX_PER_USER: i64 = 10;

/// One page read through a cursor.
#[derive(Debug, Clone)]
pub struct CursorPage {
    pub records: Vec<StoredRecord>,
    pub next: bool,
    pub fields: Option<Vec<String>>,
}

/// Creates a cursor; returns `(id, totalCount)`. The query may not carry `limit` or `offset`.
pub fn create_cursor(
    conn: &mut DbConn,
    app: &LiveApp,
    owner: &str,
    fields: Option<&[String]>,
    query_text: &str,
    size: i64,
    ctx: &QueryContext<'_>,
) -> EngineResult<(String, i64)> {
    if !(1..=500).contains(&size) {
        return Err(UserError::invalid("size", "Enter a number from 1 to 500.").into());
    }
    let q = query::prepare(query_text, ctx)?;
    let paging = query::paging(&q);
    if paging.limit_given || paging.offset_given {
        return Err(UserError::query(
            QueryErrorCode::Syntax,
            "limit and offset cannot be used in a cursor query.",
        )
        .into());
    }
    let now = chrono::Utc::now().timestamp();
    with_conn!(conn, |c| diesel::delete(
        cursors::table.filter(cursors::expires_at.lt(now))
    )
    .execute(c))?;
    let live: i64 = with_conn!(conn, |c| cursors::table
        .filter(cursors::owner.eq(owner))
        .count()
        .get_result(c))?;
    if live >= MAX_PER_USER {
        return Err(UserError::TooManyCursors.into());
    }
    let total = count_records(conn, app, &q, ctx)?;
    let id = uuid::Uuid::new_v4().to_string();
    let fields_json = serde_json::to_string(&fields)?;
    with_conn!(conn, |c| diesel::insert_into(cursors::table)
        .values((
            cursors::id.eq(&id),
            cursors::app_id.eq(app.row.id),
            cursors::owner.eq(owner),
            cursors::fields.eq(&fields_json),
            cursors::query.eq(query_text),
            cursors::size.eq(size),
            cursors::position.eq(0i64),
            cursors::total_count.eq(total),
            cursors::expires_at.eq(now + LIFETIME_SECONDS),
        ))
        .execute(c))?;
    Ok((id, total))
}

/// The app a cursor reads, if the cursor exists, belongs to `owner` and has not expired.
pub fn cursor_app(conn: &mut DbConn, id: &str, owner: &str) -> EngineResult<i64> {
    let now = chrono::Utc::now().timestamp();
    let app: Option<i64> = with_conn!(conn, |c| cursors::table
        .filter(
            cursors::id
                .eq(id)
                .and(cursors::owner.eq(owner))
                .and(cursors::expires_at.ge(now))
        )
        .select(cursors::app_id)
        .first(c)
        .optional())?;
    app.ok_or_else(|| UserError::CursorNotFound.into())
}

/// Reads the next page; the cursor is deleted once the last page has been read.
pub fn next_cursor_page(
    conn: &mut DbConn,
    app: &LiveApp,
    id: &str,
    owner: &str,
    ctx: &QueryContext<'_>,
) -> EngineResult<CursorPage> {
    let now = chrono::Utc::now().timestamp();
    type Row = (String, String, i64, i64, i64);
    let row: Option<Row> = with_conn!(conn, |c| cursors::table
        .filter(
            cursors::id
                .eq(id)
                .and(cursors::owner.eq(owner))
                .and(cursors::expires_at.ge(now))
        )
        .select((
            cursors::fields,
            cursors::query,
            cursors::size,
            cursors::position,
            cursors::total_count
        ))
        .first(c)
        .optional())?;
    let Some((fields_json, query_text, size, position, total)) = row else {
        return Err(UserError::CursorNotFound.into());
    };
    let q = query::prepare(&query_text, ctx)?;
    let records = list_records(
        conn,
        app,
        &ListRequest {
            query: &q,
            context: ctx,
            limit: Some(size),
            offset: Some(position),
        },
    )?;
    let read = i64::try_from(records.len()).unwrap_or(0);
    let next_position = position + read;
    let next = read == size && next_position < total;
    if next {
        with_conn!(conn, |c| diesel::update(cursors::table.find(id))
            .set((
                cursors::position.eq(next_position),
                cursors::expires_at.eq(now + LIFETIME_SECONDS)
            ))
            .execute(c))?;
    } else {
        delete_cursor(conn, id, owner)?;
    }
    let fields: Option<Vec<String>> = serde_json::from_str(&fields_json)?;
    Ok(CursorPage {
        records,
        next,
        fields,
    })
}

/// Deletes a cursor; `CursorNotFound` when it does not exist.
pub fn delete_cursor(conn: &mut DbConn, id: &str, owner: &str) -> EngineResult<()> {
    let n = with_conn!(conn, |c| diesel::delete(
        cursors::table.filter(cursors::id.eq(id).and(cursors::owner.eq(owner)))
    )
    .execute(c))?;
    if n == 0 {
        return Err(UserError::CursorNotFound.into());
    }
    Ok(())
}
