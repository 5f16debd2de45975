//! Pivot index rows: the filterable values of one record, copied into `record_values_num`,
//! `record_values_text` and `record_values_long` so that filters and sorts use database indexes.
//!
//! Encoding (the query compiler relies on it):
//! - num: NUMBER and CALC; exactly one row per record (row_id 0) or subtable row, NULL when empty.
//! - text: one row per value, none when empty; choices by option key, DATE `YYYY-MM-DD`, TIME `HH:MM`,
//!   DATETIME/CREATED_TIME/UPDATED_TIME `YYYY-MM-DDTHH:MM:SSZ` in UTC, entities by code.
//! - long: MULTI_LINE_TEXT, RICH_TEXT, FILE (names joined by "\n"); none when empty.
//!
//! Rows are written with multi-row INSERTs in chunks, and deleted by
//! `(app_id, field_id IN (...), record_id)` so both backends use the primary key.

use serde_json::{Map, Value};

use crate::apps::{AppDefinition, AppId, FieldId};
use crate::db::{DbConn, SqlBuilder};
use crate::error::EngineResult;
use crate::fields::{FieldProperty, FieldType, IndexKind};

/// The index rows of one or more records.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct IndexRows {
    pub num: Vec<(i64, FieldId, i64, Option<f64>)>,
    pub text: Vec<(i64, FieldId, i64, String)>,
    pub long: Vec<(i64, FieldId, i64, String)>,
}

impl IndexRows {
    /// Adds the rows of one record's values.
    pub fn add_record(&mut self, def: &AppDefinition, record_id: i64, values: &Map<String, Value>) {
        for (code, property) in &def.properties {
            let Some(id) = def.field_ids.get(code).copied() else {
                continue;
            };
            let value = values.get(code).unwrap_or(&Value::Null);
            if property.field_type == FieldType::Subtable {
                self.add_subtable(def, property, record_id, value);
            } else if matches!(
                property.field_type,
                FieldType::Status | FieldType::StatusAssignee
            ) && !def.process_enabled()
            {
                continue;
            } else {
                self.add_value(property.field_type, id, record_id, 0, value);
            }
        }
    }

    fn add_subtable(
        &mut self,
        def: &AppDefinition,
        table: &FieldProperty,
        record_id: i64,
        rows: &Value,
    ) {
        let (Some(inner), Some(rows)) = (&table.fields, rows.as_array()) else {
            return;
        };
        for row in rows {
            let row_id = match row.get("id") {
                Some(Value::String(s)) => s.parse().unwrap_or(0),
                Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
                _ => 0,
            };
            if row_id == 0 {
                continue;
            }
            let cells = row.get("value").and_then(Value::as_object);
            for (code, property) in inner {
                let Some(id) = def.field_ids.get(code).copied() else {
                    continue;
                };
                let value = cells
                    .and_then(|c| c.get(code))
                    .and_then(|cell| cell.get("value"))
                    .unwrap_or(&Value::Null);
                self.add_value(property.field_type, id, record_id, row_id, value);
            }
        }
    }

    fn add_value(
        &mut self,
        field_type: FieldType,
        id: FieldId,
        record_id: i64,
        row_id: i64,
        value: &Value,
    ) {
        match field_type.index_kind() {
            IndexKind::Number => {
                let n = value
                    .as_str()
                    .and_then(|s| s.trim().parse::<f64>().ok())
                    .filter(|f| f.is_finite());
                self.num.push((record_id, id, row_id, n));
            }
            IndexKind::Text => {
                for text in text_values(value) {
                    self.text.push((record_id, id, row_id, text));
                }
            }
            IndexKind::Long => {
                let text = if field_type == FieldType::File {
                    value
                        .as_array()
                        .map(|files| {
                            files
                                .iter()
                                .filter_map(|f| f.get("name").and_then(Value::as_str))
                                .collect::<Vec<_>>()
                                .join("\n")
                        })
                        .unwrap_or_default()
                } else {
                    value.as_str().unwrap_or_default().to_owned()
                };
                if !text.is_empty() {
                    self.long.push((record_id, id, row_id, text));
                }
            }
            IndexKind::None => {}
        }
    }
}

/// The text index values of a value: strings, string arrays, and `{code}` entities.
fn text_values(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) if !s.is_empty() => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|item| match item {
                Value::String(s) if !s.is_empty() => Some(s.clone()),
                Value::Object(o) => o.get("code").and_then(Value::as_str).map(str::to_owned),
                _ => None,
            })
            .collect(),
        Value::Object(o) => o
            .get("code")
            .and_then(Value::as_str)
            .map(|s| vec![s.to_owned()])
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

// Rows per INSERT statement: 6 binds each stays far below both backends' parameter limits.
const CHUNK: usize = 500;

/// Inserts index rows.
pub fn insert(conn: &mut DbConn, app: AppId, rows: &IndexRows) -> EngineResult<()> {
    if let DbConn::Postgres(c) = conn {
        return super::pg_write::insert_index_rows(c, app, rows);
    }
    for chunk in rows.num.chunks(CHUNK) {
        let mut b = conn.sql();
        b.push_insert_rows("record_values_num (app_id, field_id, record_id, row_id, value)");
        for (i, (record_id, field_id, row_id, value)) in chunk.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            row_prefix(&mut b, app, *field_id, *record_id, *row_id);
            match value {
                Some(v) => b.bind_float(*v),
                None => b.push("NULL"),
            };
            b.push(")");
        }
        conn.execute(&b)?;
    }
    for (table, list) in [
        ("record_values_text", &rows.text),
        ("record_values_long", &rows.long),
    ] {
        for chunk in list.chunks(CHUNK) {
            let mut b = conn.sql();
            b.push_insert_rows(&format!(
                "{table} (app_id, field_id, record_id, row_id, value, folded)"
            ));
            for (i, (record_id, field_id, row_id, value)) in chunk.iter().enumerate() {
                if i > 0 {
                    b.push(", ");
                }
                row_prefix(&mut b, app, *field_id, *record_id, *row_id);
                b.bind_text(value).push(", ");
                // What `like` compares (width and case folded; NULL when the value serves).
                match crate::query::fold::stored(value) {
                    Some(folded) => b.bind_text(&folded),
                    None => b.push("NULL"),
                };
                b.push(")");
            }
            conn.execute(&b)?;
        }
    }
    Ok(())
}

fn row_prefix(b: &mut SqlBuilder, app: AppId, field_id: FieldId, record_id: i64, row_id: i64) {
    b.push("(")
        .bind_int(app.0)
        .push(", ")
        .bind_int(i64::from(field_id))
        .push(", ")
        .bind_int(record_id)
        .push(", ")
        .bind_int(row_id)
        .push(", ");
}

/// Deletes every index row of the given records.
pub fn delete(
    conn: &mut DbConn,
    app: AppId,
    def: &AppDefinition,
    record_ids: &[i64],
) -> EngineResult<()> {
    if record_ids.is_empty() {
        return Ok(());
    }
    let mut by_kind: [(&str, Vec<FieldId>); 3] = [
        ("record_values_num", Vec::new()),
        ("record_values_text", Vec::new()),
        ("record_values_long", Vec::new()),
    ];
    for (code, id) in &def.field_ids {
        let Some(field) = def.field(code) else {
            continue;
        };
        let slot = match field.property.field_type.index_kind() {
            IndexKind::Number => 0,
            IndexKind::Text => 1,
            IndexKind::Long => 2,
            IndexKind::None => continue,
        };
        by_kind[slot].1.push(*id);
    }
    for (table, ids) in &by_kind {
        if ids.is_empty() {
            continue;
        }
        for chunk in record_ids.chunks(CHUNK) {
            let mut b = conn.sql();
            b.push(&format!("DELETE FROM {table} WHERE app_id = "))
                .bind_int(app.0)
                .push(" AND field_id IN (");
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    b.push(", ");
                }
                b.bind_int(i64::from(*id));
            }
            b.push(") AND record_id IN (");
            for (i, id) in chunk.iter().enumerate() {
                if i > 0 {
                    b.push(", ");
                }
                b.bind_int(*id);
            }
            b.push(")");
            conn.execute(&b)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rows_follow_the_encoding() -> Result<(), serde_json::Error> {
        let def: AppDefinition = serde_json::from_value(json!({
            "name": "t",
            "properties": {
                "n": {"type": "NUMBER", "code": "n"},
                "c": {"type": "CHECK_BOX", "code": "c"},
                "u": {"type": "USER_SELECT", "code": "u"},
                "m": {"type": "MULTI_LINE_TEXT", "code": "m"},
                "t": {"type": "SUBTABLE", "code": "t", "fields": {"q": {"type": "NUMBER", "code": "q"}}}
            },
            "fieldIds": {"n": 1, "c": 2, "u": 3, "m": 4, "t": 5, "q": 6}
        }))?;
        let values = json!({
            "n": "", "c": ["A", "B"], "u": [{"code": "sato", "name": "佐藤"}], "m": "",
            "t": [{"id": "9", "value": {"q": {"type": "NUMBER", "value": "2.5"}}}]
        });
        let mut rows = IndexRows::default();
        if let Value::Object(map) = values {
            rows.add_record(&def, 7, &map);
        }
        assert_eq!(rows.num, vec![(7, 1, 0, None), (7, 6, 9, Some(2.5))]);
        assert_eq!(rows.text.len(), 3);
        assert!(rows.long.is_empty());
        Ok(())
    }
}
