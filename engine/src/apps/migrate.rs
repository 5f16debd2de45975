//! Bringing stored records in line with a newly deployed definition.
//!
//! Field values are stored by field code, index rows by field id. A renamed field keeps its id, so only
//! the JSON keys of stored records are rewritten; a removed field's index rows are deleted (its values
//! stay in the stored JSON, unseen, until the record is next saved). A field cannot change its
//! type while the app has records (`check_type_changes`): its stored values and index rows are of
//! the old type.

use std::collections::HashMap;

use diesel::sql_types::{BigInt, Text};
use diesel::QueryableByName;
use serde_json::{Map, Value};

use super::{AppDefinition, AppId, FieldId};
use crate::db::{DbConn, IntRow};
use crate::error::{EngineResult, FieldErrors, Message, UserError};

#[derive(QueryableByName)]
struct IdData {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    data: String,
}

/// Refuses a definition in which a field keeps its id but changes its type while the app has
/// records: their values (in the record JSON and the typed index rows) were written for the old
/// type and would be read as the new one. The kintone API never changes a type; a package upgrade
/// or any whole-definition write may, and is refused here with one error per field
/// (`properties.<code>.type`, `apps.err.type_change`). Without records the change is harmless.
pub(crate) fn check_type_changes(
    conn: &mut DbConn,
    app: AppId,
    old: &AppDefinition,
    new: &AppDefinition,
) -> EngineResult<()> {
    let mut changed = Vec::new();
    for (code, id) in &new.field_ids {
        let Some(before) = old
            .field_ids
            .iter()
            .find(|(_, old_id)| *old_id == id)
            .and_then(|(old_code, _)| old.field(old_code))
        else {
            continue;
        };
        let Some(after) = new.field(code) else {
            continue;
        };
        if before.property.field_type != after.property.field_type {
            changed.push((
                code.clone(),
                after.property.label.clone(),
                before.property.field_type.name(),
                after.property.field_type.name(),
            ));
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    let mut b = conn.sql();
    b.push("SELECT id AS n FROM records WHERE app_id = ")
        .bind_int(app.0)
        .push(" LIMIT 1");
    let any: Vec<IntRow> = conn.load(&b)?;
    if any.is_empty() {
        return Ok(());
    }
    let mut errors = FieldErrors::new();
    for (code, label, from, to) in changed {
        let message = Message::keyed(
            "apps.err.type_change",
            format!(
                "The field \"{label}\" cannot change its type from {from} to {to} while the app \
                 has records; add a new field and copy the data instead."
            ),
        )
        .arg("field", label)
        .arg("from", from)
        .arg("to", to);
        errors.insert(format!("properties.{code}.type"), vec![message]);
    }
    Err(UserError::Validation(errors).into())
}

pub(crate) fn apply_definition_change(
    conn: &mut DbConn,
    app: AppId,
    old: &AppDefinition,
    new: &AppDefinition,
) -> EngineResult<()> {
    let new_by_id: HashMap<FieldId, &String> = new.field_ids.iter().map(|(c, i)| (*i, c)).collect();
    let mut renames: HashMap<String, String> = HashMap::new();
    let mut removed: Vec<FieldId> = Vec::new();
    for (code, id) in &old.field_ids {
        match new_by_id.get(id) {
            Some(new_code) if *new_code != code => {
                renames.insert(code.clone(), (*new_code).clone());
            }
            Some(_) => {}
            None => removed.push(*id),
        }
    }
    for id in removed {
        for table in [
            "record_values_num",
            "record_values_text",
            "record_values_long",
        ] {
            let mut b = conn.sql();
            b.push(&format!("DELETE FROM {table} WHERE app_id = "))
                .bind_int(app.0)
                .push(" AND field_id = ")
                .bind_int(i64::from(id));
            conn.execute(&b)?;
        }
    }
    if renames.is_empty() {
        return Ok(());
    }
    let mut after = 0i64;
    loop {
        let mut b = conn.sql();
        b.push("SELECT id, data FROM records WHERE app_id = ")
            .bind_int(app.0)
            .push(" AND id > ")
            .bind_int(after)
            .push(" ORDER BY id LIMIT 1000");
        let rows: Vec<IdData> = conn.load(&b)?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        for row in rows {
            let mut data: Map<String, Value> = serde_json::from_str(&row.data)?;
            rename_keys(&mut data, &renames);
            let mut u = conn.sql();
            u.push("UPDATE records SET data = ")
                .bind_text(&serde_json::to_string(&data)?)
                .push(" WHERE app_id = ")
                .bind_int(app.0)
                .push(" AND id = ")
                .bind_int(row.id);
            conn.execute(&u)?;
        }
    }
    Ok(())
}

/// Renames keys at top level and inside subtable rows (`[{id, value: {code: {...}}}]`).
fn rename_keys(data: &mut Map<String, Value>, renames: &HashMap<String, String>) {
    let old_keys: Vec<String> = data.keys().cloned().collect();
    let mut rebuilt = Map::new();
    for key in old_keys {
        if let Some(mut value) = data.remove(&key) {
            if let Value::Array(rows) = &mut value {
                for row in rows.iter_mut() {
                    if let Some(Value::Object(inner)) = row.get_mut("value") {
                        rename_keys(inner, renames);
                    }
                }
            }
            let new_key = renames.get(&key).cloned().unwrap_or(key);
            rebuilt.insert(new_key, value);
        }
    }
    *data = rebuilt;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_top_level_and_subtable_keys_in_order() -> Result<(), serde_json::Error> {
        let mut data: Map<String, Value> = serde_json::from_str(
            r#"{"a": "1", "t": [{"id": "5", "value": {"x": {"type": "NUMBER", "value": "2"}}}], "b": "3"}"#,
        )?;
        let renames: HashMap<String, String> = [
            ("a".to_owned(), "A".to_owned()),
            ("x".to_owned(), "X".to_owned()),
        ]
        .into();
        rename_keys(&mut data, &renames);
        let keys: Vec<&String> = data.keys().collect();
        assert_eq!(keys, ["A", "t", "b"]);
        assert_eq!(data["t"][0]["value"]["X"]["value"], "2");
        Ok(())
    }
}
