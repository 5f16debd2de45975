//! The change log (outbox): one row per change of a record (or of a whole app), written in the same
//! transaction as the change, read in `seq` order by consumers. A row says *what* changed — its kind,
//! who made it, which fields (stable field ids of the definition, never codes), and for process
//! actions the status before and after — but not the new values: consumers that keep a derived copy
//! (the full-text index) read the current state, so applying a row twice is harmless.
//!
//! Consumers register in `change_consumers` under a name with their position ("every row up to here
//! is handled") and advance it as they go. Rows are pruned only once the slowest registered consumer
//! has passed them and they are older than a minimum age, so a consumer that is gone for good blocks
//! pruning until an administrator forgets it (`kumiki outbox forget`). A consumer that was forgotten
//! (or registers late) learns from [`Registration::missed`] whether rows it needed were pruned.
//!
//! On PostgreSQL `seq` values are taken before commit: rows can become visible out of order, and a
//! rollback leaves a hole for good. A consumer must not step its position over a young hole (the
//! search indexer's `LogPosition` shows how); on SQLite writers are serialized and there are none.

use std::collections::BTreeSet;

use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::apps::{AppDefinition, AppId, FieldId, LiveApp};
use crate::db::schema::{change_consumers, change_log};
use crate::db::{DbConn, Dialect};
use crate::error::EngineResult;
use crate::fields::FieldType;
use crate::with_conn;

/// `record_id` of a row that concerns the whole app (deployed with other fields, or deleted).
pub const WHOLE_APP: i64 = 0;

/// The `server_settings` row holding the highest `seq` ever pruned (see [`Registration::missed`]).
const PRUNED_THROUGH: &str = "change_log.pruned_through";

/// What kind of change a row records. Stored as the text of [`ChangeKind::as_str`], which never
/// changes once released (consumers and old rows rely on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "&'static str")]
pub enum ChangeKind {
    /// A new record (`field_ids` NULL).
    RecordAdded,
    /// A record's values were edited; `field_ids` lists the fields whose value changed (inner fields
    /// of a subtable as well as the subtable itself; the modifier and update time are left out).
    /// Attachments are FILE field values, so a changed attachment is an edit of that field.
    RecordEdited,
    /// A record was deleted (`field_ids` NULL).
    RecordDeleted,
    /// A process action moved the record from `status_from` to `status_to`.
    StatusChanged,
    /// A process action was run by one of several assignees who must all run it; the status stays
    /// (`status_from` = `status_to`) until the last of them does.
    ProcessActed,
    /// The record's assignees were replaced (`record/assignees.json`).
    AssigneesChanged,
    CommentAdded,
    CommentDeleted,
    /// The app's settings were deployed (`record_id` is [`WHOLE_APP`]).
    AppDeployed,
    /// The app and its records were deleted (`record_id` is [`WHOLE_APP`]).
    AppDeleted,
    /// A row written before kinds were recorded (or of a kind this version does not know).
    Unknown,
}

impl ChangeKind {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::RecordAdded => "record_added",
            ChangeKind::RecordEdited => "record_edited",
            ChangeKind::RecordDeleted => "record_deleted",
            ChangeKind::StatusChanged => "status_changed",
            ChangeKind::ProcessActed => "process_acted",
            ChangeKind::AssigneesChanged => "assignees_changed",
            ChangeKind::CommentAdded => "comment_added",
            ChangeKind::CommentDeleted => "comment_deleted",
            ChangeKind::AppDeployed => "app_deployed",
            ChangeKind::AppDeleted => "app_deleted",
            ChangeKind::Unknown => "changed",
        }
    }

    /// The kind of a stored text; `Unknown` for anything else.
    pub fn from_stored(text: &str) -> ChangeKind {
        [
            ChangeKind::RecordAdded,
            ChangeKind::RecordEdited,
            ChangeKind::RecordDeleted,
            ChangeKind::StatusChanged,
            ChangeKind::ProcessActed,
            ChangeKind::AssigneesChanged,
            ChangeKind::CommentAdded,
            ChangeKind::CommentDeleted,
            ChangeKind::AppDeployed,
            ChangeKind::AppDeleted,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
        .unwrap_or(ChangeKind::Unknown)
    }
}

impl From<ChangeKind> for &'static str {
    fn from(k: ChangeKind) -> &'static str {
        k.as_str()
    }
}

/// One change-log row as consumers read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub seq: i64,
    pub app_id: i64,
    pub record_id: i64,
    pub created_at: i64,
    pub kind: ChangeKind,
    /// The user code of who made the change; `None` for work without a user (and old rows).
    pub actor: Option<String>,
    /// Stable field ids (`AppDefinition::field_ids`); `None` where fields do not apply.
    pub field_ids: Option<Vec<FieldId>>,
    /// `(from, to)` status names of a process action.
    pub status: Option<(String, String)>,
}

type ChangeColumns = (
    i64,
    i64,
    i64,
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

impl From<ChangeColumns> for Change {
    fn from(r: ChangeColumns) -> Change {
        let (seq, app_id, record_id, created_at, kind, actor, field_ids, from, to) = r;
        Change {
            seq,
            app_id,
            record_id,
            created_at,
            kind: ChangeKind::from_stored(&kind),
            actor,
            // Written by `log` only; an unreadable list is treated as "not recorded".
            field_ids: field_ids.and_then(|t| serde_json::from_str(&t).ok()),
            status: from.zip(to),
        }
    }
}

/// One row to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewChange<'a> {
    pub kind: ChangeKind,
    pub actor: Option<&'a str>,
    pub record_id: i64,
    pub field_ids: Option<Vec<FieldId>>,
    pub status: Option<(&'a str, &'a str)>,
}

impl<'a> NewChange<'a> {
    /// A row without fields or status.
    pub fn plain(kind: ChangeKind, actor: Option<&'a str>, record_id: i64) -> NewChange<'a> {
        NewChange {
            kind,
            actor,
            record_id,
            field_ids: None,
            status: None,
        }
    }

    /// A row for record `record_id` whose values went from `old` to `new` (an edit or a process
    /// step), with the ids of the fields that changed ([`changed_fields`]).
    pub fn values_changed(
        kind: ChangeKind,
        actor: &'a str,
        record_id: i64,
        def: &AppDefinition,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
    ) -> NewChange<'a> {
        NewChange {
            field_ids: Some(changed_fields(def, old, new)),
            ..NewChange::plain(kind, Some(actor), record_id)
        }
    }
}

/// Writes these rows for `app`, in the caller's transaction.
pub fn log(conn: &mut DbConn, app: AppId, rows: &[NewChange<'_>]) -> EngineResult<()> {
    let now = chrono::Utc::now().timestamp();
    for chunk in rows.chunks(200) {
        let mut values = Vec::with_capacity(chunk.len());
        for r in chunk {
            let field_ids = r
                .field_ids
                .as_ref()
                .map(serde_json::to_string)
                .transpose()?;
            values.push((
                change_log::app_id.eq(app.0),
                change_log::record_id.eq(r.record_id),
                change_log::created_at.eq(now),
                change_log::kind.eq(r.kind.as_str()),
                change_log::actor.eq(r.actor),
                change_log::field_ids.eq(field_ids),
                change_log::status_from.eq(r.status.map(|s| s.0)),
                change_log::status_to.eq(r.status.map(|s| s.1)),
            ));
        }
        with_conn!(conn, |c| diesel::insert_into(change_log::table)
            .values(&values)
            .execute(c))?;
    }
    if !rows.is_empty() {
        // Issue 19: the other nodes index and deliver at once, not at their next poll.
        crate::db::listen::notify_changes(conn)?;
    }
    Ok(())
}

/// Logs one row of `kind` per record (added, deleted, commented: no fields, no status).
pub fn records_changed(
    conn: &mut DbConn,
    app: AppId,
    kind: ChangeKind,
    actor: Option<&str>,
    record_ids: &[i64],
) -> EngineResult<()> {
    let rows: Vec<NewChange<'_>> = record_ids
        .iter()
        .map(|id| NewChange::plain(kind, actor, *id))
        .collect();
    log(conn, app, &rows)
}

/// Logs that every record of `app` must be looked at again (deploy, app deletion).
pub fn app_changed(
    conn: &mut DbConn,
    app: AppId,
    kind: ChangeKind,
    actor: Option<&str>,
) -> EngineResult<()> {
    records_changed(conn, app, kind, actor, &[WHOLE_APP])
}

/// Logs the deletion of these records of `app` by the user its rights were evaluated for.
pub fn records_deleted(conn: &mut DbConn, app: &LiveApp, record_ids: &[i64]) -> EngineResult<()> {
    // The user who opened the app (Administrator for the server's own work, which opens apps as
    // `ActingContext::system`).
    let actor = Some(app.access.user.as_str());
    records_changed(conn, app.id(), ChangeKind::RecordDeleted, actor, record_ids)
}

/// The stable ids of the fields whose value differs between `old` and `new`, ascending: top-level
/// fields and, inside a subtable that changed, the inner fields whose cells differ (rows matched by
/// row id; an added or removed row changes every inner field it has a value in). Bookkeeping fields
/// (modifier, update time, record number) are left out: they change on every save.
pub fn changed_fields(
    def: &AppDefinition,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
) -> Vec<FieldId> {
    let mut ids = BTreeSet::new();
    for change in super::history::diff(def, old, new) {
        let Some(property) = def.properties.get(&change.field) else {
            continue;
        };
        if let Some(id) = def.field_ids.get(&change.field) {
            ids.insert(*id);
        }
        if property.field_type != FieldType::Subtable {
            continue;
        }
        for inner in property.fields.iter().flat_map(|f| f.keys()) {
            if cells(&change.old, inner) != cells(&change.new, inner) {
                if let Some(id) = def.field_ids.get(inner) {
                    ids.insert(*id);
                }
            }
        }
    }
    ids.into_iter().collect()
}

/// The non-empty cells of one inner field of a subtable value, by row id.
fn cells<'a>(table: &'a Value, code: &str) -> Vec<(String, &'a Value)> {
    let mut out: Vec<(String, &Value)> = table
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|row| {
            let cell = row.get("value")?.get(code)?.get("value")?;
            let empty = cell.is_null()
                || cell.as_str().is_some_and(str::is_empty)
                || cell.as_array().is_some_and(Vec::is_empty);
            let id = match row.get("id") {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            (!empty).then_some((id, cell))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The columns of a [`Change`], in `ChangeColumns` order.
macro_rules! change_columns {
    () => {
        (
            change_log::seq,
            change_log::app_id,
            change_log::record_id,
            change_log::created_at,
            change_log::kind,
            change_log::actor,
            change_log::field_ids,
            change_log::status_from,
            change_log::status_to,
        )
    };
}

/// Up to `limit` rows after `seq`, oldest first.
pub fn changes_after(conn: &mut DbConn, seq: i64, limit: i64) -> EngineResult<Vec<Change>> {
    let rows: Vec<ChangeColumns> = with_conn!(conn, |c| change_log::table
        .filter(change_log::seq.gt(seq))
        .order(change_log::seq.asc())
        .limit(limit)
        .select(change_columns!())
        .load(c))?;
    Ok(rows.into_iter().map(Change::from).collect())
}

/// The rows with `lo <= seq <= hi` (a gap a consumer gave up on, checked for a late commit).
pub fn changes_between(conn: &mut DbConn, lo: i64, hi: i64) -> EngineResult<Vec<Change>> {
    let rows: Vec<ChangeColumns> = with_conn!(conn, |c| change_log::table
        .filter(change_log::seq.ge(lo).and(change_log::seq.le(hi)))
        .order(change_log::seq.asc())
        .select(change_columns!())
        .load(c))?;
    Ok(rows.into_iter().map(Change::from).collect())
}

/// The newest `seq` (0 when the log is empty).
pub fn last_seq(conn: &mut DbConn) -> EngineResult<i64> {
    let max: Option<i64> = with_conn!(conn, |c| change_log::table
        .select(diesel::dsl::max(change_log::seq))
        .first(c))?;
    Ok(max.unwrap_or(0))
}

/// How many rows lie after `seq`, and the creation time of the oldest of them (a consumer's lag).
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

/// A registered consumer and how far behind the log it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Consumer {
    pub name: String,
    /// Every row up to here is handled.
    pub position: i64,
    /// Unix time the consumer last registered or advanced.
    pub updated_at: i64,
    /// Rows after its position.
    pub lag_rows: i64,
    /// Age in seconds of the oldest of them (0 when caught up).
    pub lag_seconds: i64,
}

/// What registering told a consumer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registration {
    /// The stored position (`start` for a new consumer).
    pub position: i64,
    /// The name was not registered before.
    pub is_new: bool,
    /// Rows after `position` were pruned while the consumer was not registered: it cannot catch up
    /// from the log and must rebuild from the current state (or accept the loss).
    pub missed: bool,
}

/// Registers consumer `name` at `start` unless it is registered already; the stored position wins.
/// Names come from code (`search:<index id>`, later `notifications`, ...), not from users.
pub fn register(conn: &mut DbConn, name: &str, start: i64) -> EngineResult<Registration> {
    conn.write_transaction(|conn| {
        let now = chrono::Utc::now().timestamp();
        let inserted = with_conn!(conn, |c| diesel::insert_into(change_consumers::table)
            .values((
                change_consumers::name.eq(name),
                change_consumers::position.eq(start),
                change_consumers::updated_at.eq(now),
            ))
            .on_conflict_do_nothing()
            .execute(c))?;
        let position: i64 = with_conn!(conn, |c| change_consumers::table
            .find(name)
            .select(change_consumers::position)
            .first(c))?;
        // In the same transaction as the insert: a concurrent prune either finished before (and
        // its horizon is visible here) or waits for this commit and then counts this consumer.
        let pruned = pruned_through(conn)?;
        Ok(Registration {
            position,
            is_new: inserted == 1,
            // Sequence numbers start at 1: a start of -1 (a new index) or 0 needs every row, and
            // is short of one only once something was pruned (a horizon of 0 is "nothing yet").
            missed: inserted == 1 && pruned > start.max(0),
        })
    })
}

/// Moves consumer `name` to `position` (lower is allowed: after a rebuild a consumer may start
/// again from an earlier row). Returns false when the name is not registered (an administrator
/// forgot it): the consumer must `register` again and look at [`Registration::missed`].
pub fn advance(conn: &mut DbConn, name: &str, position: i64) -> EngineResult<bool> {
    let now = chrono::Utc::now().timestamp();
    let n = with_conn!(conn, |c| diesel::update(change_consumers::table.find(name))
        .set((
            change_consumers::position.eq(position),
            change_consumers::updated_at.eq(now),
        ))
        .execute(c))?;
    Ok(n == 1)
}

/// Removes consumer `name`, so it no longer holds back pruning. Returns whether it was registered.
pub fn forget(conn: &mut DbConn, name: &str) -> EngineResult<bool> {
    let n = with_conn!(conn, |c| diesel::delete(change_consumers::table.find(name))
        .execute(c))?;
    Ok(n == 1)
}

/// The position a restore (`kumiki restore`) gives the consumers named `<prefix>…`: their state was
/// built from a history the restored database no longer has, so each must start over (a search
/// index rebuilds itself when it registers and finds this). Below every real position, so pruning
/// waits for them meanwhile.
pub const REBUILD_REQUESTED: i64 = -2;

/// Sets every consumer whose name starts with `prefix` to [`REBUILD_REQUESTED`]; returns how many.
pub fn request_rebuild(conn: &mut DbConn, prefix: &str) -> EngineResult<usize> {
    let now = chrono::Utc::now().timestamp();
    let names: Vec<String> = with_conn!(conn, |c| change_consumers::table
        .select(change_consumers::name)
        .load(c))?;
    let chosen: Vec<&String> = names.iter().filter(|n| n.starts_with(prefix)).collect();
    let n = with_conn!(conn, |c| diesel::update(
        change_consumers::table.filter(change_consumers::name.eq_any(&chosen))
    )
    .set((
        change_consumers::position.eq(REBUILD_REQUESTED),
        change_consumers::updated_at.eq(now),
    ))
    .execute(c))?;
    Ok(n)
}

/// The newest position the log ever had: its last row, or what pruning removed when the log is
/// empty now. A consumer further on was fed by another history (a database restored from a
/// backup under a running index).
pub fn head(conn: &mut DbConn) -> EngineResult<i64> {
    Ok(last_seq(conn)?.max(pruned_through(conn)?))
}

/// Every registered consumer with its lag, by name.
pub fn consumers(conn: &mut DbConn) -> EngineResult<Vec<Consumer>> {
    let rows: Vec<(String, i64, i64)> = with_conn!(conn, |c| change_consumers::table
        .order(change_consumers::name.asc())
        .select((
            change_consumers::name,
            change_consumers::position,
            change_consumers::updated_at
        ))
        .load(c))?;
    let now = chrono::Utc::now().timestamp();
    let mut out = Vec::with_capacity(rows.len());
    for (name, position, updated_at) in rows {
        let (lag_rows, oldest) = backlog(conn, position)?;
        out.push(Consumer {
            name,
            position,
            updated_at,
            lag_rows,
            lag_seconds: oldest.map(|t| (now - t).max(0)).unwrap_or(0),
        });
    }
    Ok(out)
}

/// The highest `seq` ever pruned (0 before the first prune).
fn pruned_through(conn: &mut DbConn) -> EngineResult<i64> {
    Ok(crate::server_settings::get(conn, PRUNED_THROUGH)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// Removes the rows that every registered consumer has passed and that are older than `before`
/// (unix seconds); with no consumer registered nothing goes. Runs in its own transaction. Returns
/// how many rows went.
pub fn prune(conn: &mut DbConn, before: i64) -> EngineResult<usize> {
    conn.write_transaction(|conn| {
        if conn.dialect() == Dialect::Postgres {
            // Registrations and advances wait until this commits, so a consumer registering now
            // either counts below or sees the new horizon (`Registration::missed`).
            conn.batch_execute("LOCK TABLE change_consumers IN SHARE MODE")?;
        }
        let slowest: Option<i64> = with_conn!(conn, |c| change_consumers::table
            .select(diesel::dsl::min(change_consumers::position))
            .first(c))?;
        let Some(slowest) = slowest else {
            return Ok(0);
        };
        let doomed = change_log::seq
            .le(slowest)
            .and(change_log::created_at.lt(before));
        let highest: Option<i64> = with_conn!(conn, |c| change_log::table
            .filter(doomed)
            .select(diesel::dsl::max(change_log::seq))
            .first(c))?;
        let Some(highest) = highest else {
            return Ok(0);
        };
        let n = with_conn!(conn, |c| diesel::delete(change_log::table.filter(doomed))
            .execute(c))?;
        if highest > pruned_through(conn)? {
            crate::server_settings::set(conn, PRUNED_THROUGH, &highest.to_string())?;
        }
        Ok(n)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_stored_as_stable_texts() {
        let all = [
            (ChangeKind::RecordAdded, "record_added"),
            (ChangeKind::RecordEdited, "record_edited"),
            (ChangeKind::RecordDeleted, "record_deleted"),
            (ChangeKind::StatusChanged, "status_changed"),
            (ChangeKind::ProcessActed, "process_acted"),
            (ChangeKind::AssigneesChanged, "assignees_changed"),
            (ChangeKind::CommentAdded, "comment_added"),
            (ChangeKind::CommentDeleted, "comment_deleted"),
            (ChangeKind::AppDeployed, "app_deployed"),
            (ChangeKind::AppDeleted, "app_deleted"),
        ];
        for (kind, text) in all {
            assert_eq!(kind.as_str(), text);
            assert_eq!(ChangeKind::from_stored(text), kind);
        }
        // Rows from before kinds existed carry the column default.
        assert_eq!(ChangeKind::from_stored("changed"), ChangeKind::Unknown);
        assert_eq!(
            ChangeKind::from_stored("from_the_future"),
            ChangeKind::Unknown
        );
    }
}
