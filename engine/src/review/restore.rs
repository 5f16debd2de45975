//! Restoring a record to an earlier revision. History keeps, per update, the old and new value of
//! each changed field (and nothing for the addition), so the values at revision R are the current
//! values with every later update undone, newest first. The restore is saved as a new revision
//! through the normal write path (`records::update_records`): validation, lookups, calculated
//! fields, unique checks, index rows and a history entry are exactly those of an edit.
//!
//! Status and assignees are not restored (record writes never change them; process actions do), nor
//! calculated or system fields. A field removed from the app since is left out; an attachment
//! removed since cannot come back (its file is gone), and the write reports it as invalid.

use serde_json::{json, Map, Value};

use crate::apps::LiveApp;
use crate::db::DbConn;
use crate::error::{EngineResult, UserError};
use crate::records::history::{list_history, HistoryEntry};
use crate::records::{get_record, update_records, Actor, RecordTarget, RecordUpdate};

/// The record's values at `revision`: `current` with the field changes of every `UPDATE` entry
/// newer than `revision` undone. `history` is newest first (as `list_history` returns it). A
/// revision the history does not know is refused.
pub fn values_at(
    current: &Map<String, Value>,
    history: &[HistoryEntry],
    revision: i64,
) -> Result<Map<String, Value>, UserError> {
    if !history.iter().any(|e| e.revision == revision) {
        return Err(UserError::invalid(
            "revision",
            format!("The record has no revision {revision}."),
        ));
    }
    let mut values = current.clone();
    for entry in history.iter().filter(|e| e.revision > revision) {
        if entry.action != "UPDATE" {
            continue;
        }
        for change in &entry.changes {
            values.insert(change.field.clone(), change.old.clone());
        }
    }
    Ok(values)
}

/// Saves the values of `revision` as a new revision of record `id`; returns the new revision.
pub fn restore_record(
    conn: &mut DbConn,
    app: &LiveApp,
    id: i64,
    revision: i64,
    actor: &Actor,
) -> EngineResult<i64> {
    let record = get_record(conn, app, id)?;
    let history = list_history(conn, app, &record)?;
    let values = values_at(&record.values, &history, revision)?;
    let mut input = Map::new();
    let mut differs = false;
    for (code, p) in &app.definition.properties {
        let t = p.field_type;
        if !t.is_writable() || t.is_system() {
            continue;
        }
        let Some(v) = values.get(code) else { continue };
        // Only what differs is sent: unchanged fields (and field permissions on them) stay as they are.
        if record.values.get(code) != Some(v) {
            differs = true;
            input.insert(code.clone(), json!({ "value": v }));
        }
    }
    if !differs {
        return Err(UserError::invalid(
            "revision",
            "The record already has the values of this revision.",
        )
        .into());
    }
    let outcome = update_records(
        conn,
        app,
        &[RecordUpdate {
            target: RecordTarget::Id(id),
            record: input,
            revision: Some(record.revision),
        }],
        actor,
        false,
        false,
    )?;
    outcome
        .first()
        .map(|o| o.revision)
        .ok_or_else(|| crate::EngineError::Internal("restore wrote nothing".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::history::FieldChange;

    fn entry(revision: i64, action: &str, changes: Vec<(&str, Value, Value)>) -> HistoryEntry {
        HistoryEntry {
            revision,
            action: action.into(),
            actor: "sato".into(),
            at: 0,
            changes: changes
                .into_iter()
                .map(|(f, old, new)| FieldChange {
                    field: f.into(),
                    old,
                    new,
                    field_id: None,
                })
                .collect(),
            process_action: None,
        }
    }

    #[test]
    fn later_updates_are_undone_newest_first() -> Result<(), UserError> {
        let current = json!({"a": "3", "b": "y", "Status": "完了"});
        let Value::Object(current) = current else {
            return Ok(());
        };
        let history = vec![
            entry(5, "UPDATE", vec![("a", json!("2"), json!("3"))]),
            entry(4, "STATUS", vec![("Status", json!("受付"), json!("完了"))]),
            entry(
                2,
                "UPDATE",
                vec![("a", json!("1"), json!("2")), ("b", json!("x"), json!("y"))],
            ),
            entry(1, "ADD", vec![]),
        ];
        let at2 = values_at(&current, &history, 2)?;
        assert_eq!(at2["a"], json!("2"));
        assert_eq!(at2["b"], json!("y"));
        let at1 = values_at(&current, &history, 1)?;
        assert_eq!(at1["a"], json!("1"));
        assert_eq!(at1["b"], json!("x"));
        // Status is moved by process actions only; the record's current status stays.
        assert_eq!(at1["Status"], json!("完了"));
        assert!(values_at(&current, &history, 3).is_err());
        Ok(())
    }
}
