//! Record history: every change of every record (who, when, which fields, old and new values).
//!
//! An addition is stored without values (they are the record's values at revision 1, recoverable by
//! undoing the later changes); an update stores only the fields that changed. So history grows with
//! what people change, not with record size — the cost peers pay for full snapshots.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::apps::{AppDefinition, FieldId, LiveApp};
use crate::db::schema::record_history;
use crate::db::DbConn;
use crate::error::EngineResult;
use crate::fields::FieldType;
use crate::with_conn;

/// One changed field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub old: Value,
    pub new: Value,
    /// The field's stable id (`AppDefinition::field_ids`) when the change was written, so that
    /// the change is shown under the field's current code and rights, and not at all once the
    /// field is deleted; absent in entries written before ids were kept.
    #[serde(default, rename = "fieldId", skip_serializing_if = "Option::is_none")]
    pub field_id: Option<FieldId>,
}

/// One entry of a record's history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub revision: i64,
    /// `ADD`, `UPDATE`, or `STATUS` (a process action or an assignee change).
    pub action: String,
    pub actor: String,
    pub at: i64,
    pub changes: Vec<FieldChange>,
    /// For `STATUS`: the name of the process action run (none for an assignee change).
    pub process_action: Option<String>,
}

/// The fields whose values differ, in form order. Bookkeeping fields (modifier, update time) are left
/// out: they change on every save and say nothing the entry itself does not.
pub fn diff(
    def: &AppDefinition,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
) -> Vec<FieldChange> {
    def.properties
        .iter()
        .filter(|(_, p)| {
            !p.field_type.is_layout_only()
                && !matches!(
                    p.field_type,
                    FieldType::Modifier | FieldType::UpdatedTime | FieldType::RecordNumber
                )
        })
        .filter_map(|(code, _)| {
            let o = old.get(code).cloned().unwrap_or(Value::Null);
            let n = new.get(code).cloned().unwrap_or(Value::Null);
            (o != n).then(|| FieldChange {
                field: code.clone(),
                old: o,
                new: n,
                field_id: def.field_ids.get(code).copied(),
            })
        })
        .collect()
}

/// History rows to insert: `(record_id, revision, action, changes)`.
pub type PendingEntry = (i64, i64, &'static str, Vec<FieldChange>);

/// Inserts history rows in multi-row statements.
pub fn insert(
    conn: &mut DbConn,
    app: &LiveApp,
    actor: &str,
    entries: &[PendingEntry],
) -> EngineResult<()> {
    let now = chrono::Utc::now().timestamp();
    for chunk in entries.chunks(300) {
        let mut b = conn.sql();
        b.push_insert_rows(
            "record_history (app_id, record_id, revision, action, actor, at, changes)",
        );
        for (i, (record_id, revision, action, changes)) in chunk.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.push("(")
                .bind_int(app.row.id)
                .push(", ")
                .bind_int(*record_id)
                .push(", ")
                .bind_int(*revision)
                .push(", ")
                .bind_text(action)
                .push(", ")
                .bind_text(actor)
                .push(", ")
                .bind_int(now)
                .push(", ")
                .bind_text(&serde_json::to_string(changes)?)
                .push(")");
        }
        conn.execute(&b)?;
    }
    Ok(())
}

/// Inserts the `STATUS` entry of a process action (`process_action` names it) or of an assignee
/// change (`None`); `changes` holds the Status and Assignee fields that changed.
pub fn insert_status(
    conn: &mut DbConn,
    app: &LiveApp,
    actor: &str,
    record_id: i64,
    revision: i64,
    process_action: Option<&str>,
    changes: &[FieldChange],
) -> EngineResult<()> {
    let mut b = conn.sql();
    b.push("INSERT INTO record_history (app_id, record_id, revision, action, actor, at, changes, process_action) VALUES (")
        .bind_int(app.row.id)
        .push(", ")
        .bind_int(record_id)
        .push(", ")
        .bind_int(revision)
        .push(", 'STATUS', ")
        .bind_text(actor)
        .push(", ")
        .bind_int(chrono::Utc::now().timestamp())
        .push(", ")
        .bind_text(&serde_json::to_string(changes)?)
        .push(", ");
    match process_action {
        Some(name) => b.bind_text(name),
        None => b.push("NULL"),
    };
    b.push(")");
    conn.execute(&b)?;
    Ok(())
}

/// A record's history as `app.access` may see it, newest first: each change under its field's
/// current code, and only changes of fields the caller may view on `record` now. A change of a
/// field that no longer exists is shown to no one: who could see it cannot be told any more (a
/// deleted field hidden from some would otherwise leak to all).
pub fn list_history(
    conn: &mut DbConn,
    app: &LiveApp,
    record: &super::StoredRecord,
) -> EngineResult<Vec<HistoryEntry>> {
    let def = &app.definition;
    let mut entries = all_history(conn, app, record.id)?;
    for e in &mut entries {
        e.changes = std::mem::take(&mut e.changes)
            .into_iter()
            .filter_map(|mut c| {
                let code = match c.field_id {
                    Some(id) => def
                        .field_ids
                        .iter()
                        .find(|(_, i)| **i == id)
                        .map(|(code, _)| code.clone())?,
                    None => def.field(&c.field).map(|_| c.field.clone())?,
                };
                c.field = code;
                super::render::field_viewable(app, record, &c.field).then_some(c)
            })
            .collect();
    }
    Ok(entries)
}

/// A record's whole history, newest first, unfiltered (the server's own use).
fn all_history(
    conn: &mut DbConn,
    app: &LiveApp,
    record_id: i64,
) -> EngineResult<Vec<HistoryEntry>> {
    type Row = (i64, String, String, i64, String, Option<String>);
    let rows: Vec<Row> = with_conn!(conn, |c| record_history::table
        .filter(
            record_history::app_id
                .eq(app.row.id)
                .and(record_history::record_id.eq(record_id))
        )
        .order(record_history::revision.desc())
        .select((
            record_history::revision,
            record_history::action,
            record_history::actor,
            record_history::at,
            record_history::changes,
            record_history::process_action,
        ))
        .load(c))?;
    rows.into_iter()
        .map(|(revision, action, actor, at, changes, process_action)| {
            Ok(HistoryEntry {
                revision,
                action,
                actor,
                at,
                changes: serde_json::from_str(&changes)?,
                process_action,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_lists_changed_fields_only() -> Result<(), serde_json::Error> {
        let def: AppDefinition = serde_json::from_value(json!({
            "name": "t",
            "properties": {
                "a": {"type": "SINGLE_LINE_TEXT", "code": "a"},
                "b": {"type": "NUMBER", "code": "b"},
                "m": {"type": "UPDATED_TIME", "code": "m"}
            }
        }))?;
        let old = json!({"a": "x", "b": "1", "m": "2026-01-01T00:00:00Z"});
        let new = json!({"a": "x", "b": "2", "m": "2026-01-02T00:00:00Z"});
        let (Value::Object(old), Value::Object(new)) = (old, new) else {
            return Ok(());
        };
        let changes = diff(&def, &old, &new);
        assert_eq!(
            changes,
            vec![FieldChange {
                field: "b".into(),
                old: json!("1"),
                new: json!("2"),
                field_id: def.field_ids.get("b").copied(),
            }]
        );
        Ok(())
    }
}
