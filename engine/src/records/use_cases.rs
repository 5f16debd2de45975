//! Record use cases for an acting context: each opens the app for the actor (one door for rights),
//! acts in the caller's transaction and writes its own audit row, so every channel that deletes
//! records (the API today; imports and relays later) is checked and audited the same way.

use serde_json::json;

use crate::acl::AppRight;
use crate::acting::ActingContext;
use crate::apps::AppId;
use crate::audit::action;
use crate::db::DbConn;
use crate::error::{EngineResult, UserError};

/// How many records one call may delete by id (kintone's limit).
pub const DELETE_LIMIT: usize = 100;

/// Deletes records `ids` of `app` for `acting` (the app's delete right, then each record's delete
/// right), all or nothing; `revisions`, when given, must match `ids` one for one. Writes one
/// `records.delete` audit row. Returns the storage paths of attachments to remove from disk after
/// the commit.
pub fn delete_records_as(
    conn: &mut DbConn,
    acting: &ActingContext,
    app: AppId,
    ids: &[i64],
    revisions: &[Option<i64>],
) -> EngineResult<Vec<String>> {
    let live = acting.open_app(conn, app, AppRight::Delete)?;
    if ids.len() > DELETE_LIMIT {
        return Err(UserError::invalid(
            "ids",
            "A maximum of 100 records can be deleted at one time.",
        )
        .into());
    }
    if !revisions.is_empty() && revisions.len() != ids.len() {
        return Err(UserError::invalid(
            "revisions",
            "The number of revisions must match the number of ids.",
        )
        .into());
    }
    let removed = super::delete_records(conn, &live, ids, revisions)?;
    acting.audit(
        conn,
        action::RECORDS_DELETE,
        &format!("app:{}", app.0),
        json!({ "ids": ids }),
    )?;
    Ok(removed)
}
