//! Record comments: numbered per record, newest first by default, at most 10 a page.

use diesel::prelude::*;
use serde_json::Value;

use crate::apps::LiveApp;
use crate::db::schema::{record_comments, users};
use crate::db::DbConn;
use crate::error::{EngineResult, UserError};
use crate::with_conn;

/// A comment as the API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub id: i64,
    pub text: String,
    pub created_at: i64,
    pub creator_code: String,
    pub creator_name: String,
    /// `[{code, type}]`
    pub mentions: Value,
}

/// One page of comments and whether more exist on either side.
#[derive(Debug, Clone, PartialEq)]
pub struct CommentPage {
    pub comments: Vec<Comment>,
    pub older: bool,
    pub newer: bool,
}

/// Adds a comment to an existing record; returns its id.
pub fn add_comment(
    conn: &mut DbConn,
    app: &LiveApp,
    record_id: i64,
    text: &str,
    mentions: &Value,
    user: &str,
) -> EngineResult<i64> {
    // An API token writes comments only with a record-writing scope (add or edit): a view-only
    // token reads, it does not post.
    if app.access.principal.is_token() && !(app.access.rights.add || app.access.rights.edit) {
        return Err(UserError::TokenNotPermitted.into());
    }
    super::read::get_record(conn, app, record_id)?;
    // Comment ids are max + 1: concurrent adders must not pick the same id.
    super::write::lock_app_for_write(conn, app)?;
    let max: Option<i64> = with_conn!(conn, |c| record_comments::table
        .filter(
            record_comments::app_id
                .eq(app.row.id)
                .and(record_comments::record_id.eq(record_id))
        )
        .select(diesel::dsl::max(record_comments::id))
        .first(c))?;
    let id = max.unwrap_or(0) + 1;
    let now = chrono::Utc::now().timestamp();
    let mentions = serde_json::to_string(mentions)?;
    with_conn!(conn, |c| diesel::insert_into(record_comments::table)
        .values((
            record_comments::app_id.eq(app.row.id),
            record_comments::record_id.eq(record_id),
            record_comments::id.eq(id),
            record_comments::text.eq(text),
            record_comments::mentions.eq(&mentions),
            record_comments::creator.eq(user),
            record_comments::created_at.eq(now),
        ))
        .execute(c))?;
    let added = super::changes::ChangeKind::CommentAdded;
    super::changes::records_changed(conn, app.id(), added, Some(user), &[record_id])?;
    Ok(id)
}

/// Deletes a comment written by `user`; `CommentNotFound` when it does not exist, `Forbidden` when
/// someone else wrote it.
pub fn delete_comment(
    conn: &mut DbConn,
    app: &LiveApp,
    record_id: i64,
    comment_id: i64,
    user: &str,
) -> EngineResult<()> {
    // A token's comments are attributed to Administrator (kintone), so "the writer deletes" would
    // let any token delete Administrator's comments: tokens never delete comments.
    if app.access.principal.is_token() {
        return Err(UserError::TokenNotPermitted.into());
    }
    super::read::get_record(conn, app, record_id)?;
    let filter = record_comments::app_id
        .eq(app.row.id)
        .and(record_comments::record_id.eq(record_id))
        .and(record_comments::id.eq(comment_id));
    let creator: Option<String> = with_conn!(conn, |c| record_comments::table
        .filter(filter)
        .select(record_comments::creator)
        .first(c)
        .optional())?;
    match creator {
        None => Err(UserError::CommentNotFound.into()),
        // As in kintone, only the person who wrote a comment may delete it.
        Some(creator) if creator != user => Err(UserError::Forbidden.into()),
        Some(_) => {
            with_conn!(conn, |c| diesel::delete(
                record_comments::table.filter(filter)
            )
            .execute(c))?;
            let deleted = super::changes::ChangeKind::CommentDeleted;
            super::changes::records_changed(conn, app.id(), deleted, Some(user), &[record_id])
        }
    }
}

/// A page of comments. `ascending` sorts oldest first.
pub fn list_comments(
    conn: &mut DbConn,
    app: &LiveApp,
    record_id: i64,
    ascending: bool,
    offset: i64,
    limit: i64,
) -> EngineResult<CommentPage> {
    super::read::get_record(conn, app, record_id)?;
    type Row = (i64, String, i64, String, String, Option<String>);
    let filter = record_comments::app_id
        .eq(app.row.id)
        .and(record_comments::record_id.eq(record_id));
    let total: i64 = with_conn!(conn, |c| record_comments::table
        .filter(filter)
        .count()
        .get_result(c))?;
    let rows: Vec<Row> = with_conn!(conn, |c| {
        let base = record_comments::table
            .left_join(users::table.on(users::code.eq(record_comments::creator)))
            .filter(filter)
            .select((
                record_comments::id,
                record_comments::text,
                record_comments::created_at,
                record_comments::creator,
                record_comments::mentions,
                users::name.nullable(),
            ))
            .offset(offset)
            .limit(limit);
        if ascending {
            base.order(record_comments::id.asc()).load(c)
        } else {
            base.order(record_comments::id.desc()).load(c)
        }
    })?;
    let comments = rows
        .into_iter()
        .map(|(id, text, created_at, creator, mentions, name)| Comment {
            id,
            text,
            created_at,
            creator_name: name.unwrap_or_else(|| creator.clone()),
            creator_code: creator,
            mentions: serde_json::from_str(&mentions).unwrap_or(Value::Array(Vec::new())),
        })
        .collect::<Vec<_>>();
    let shown = i64::try_from(comments.len()).unwrap_or(0);
    let (before, after) = (offset > 0, offset + shown < total);
    // "older"/"newer" are about time, not page direction.
    let (older, newer) = if ascending {
        (before, after)
    } else {
        (after, before)
    };
    Ok(CommentPage {
        comments,
        older,
        newer,
    })
}
