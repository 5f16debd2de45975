//! Reading kintone record values into cells: what the record export (`export::columns`) and the
//! survey answers export (`surveys::export`) share, so that both lay out subtable rows and turn
//! numbers, dates and lists into cells the same way.

use serde_json::Value;

use super::cell::{parse_number_text, Cell, ColumnKind};

/// Which member of a person, department or group names it in a cell. The record export writes
/// codes (what kintone's export writes and its import reads back); the survey report writes names
/// for the people who read it (the code when the name is missing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityBy {
    Code,
    Name,
}

/// `{type, value}` → `value`; a bare value stays as it is.
pub fn value_of(v: &Value) -> &Value {
    v.as_object().and_then(|m| m.get("value")).unwrap_or(v)
}

/// The rows of a subtable field (`{type, value: [rows]}` or the bare list); none when absent.
pub fn table_rows(field: Option<&Value>) -> &[Value] {
    field
        .map(value_of)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// The value of `code` in the `i`-th of `rows` (each `{id, value: {code: {type, value}}}` or the
/// bare map).
pub fn row_value<'a>(rows: &'a [Value], i: usize, code: &str) -> Option<&'a Value> {
    rows.get(i)
        .map(value_of)
        .and_then(|r| r.get(code))
        .map(value_of)
}

/// How many lines a record takes: its longest subtable's rows, at least one.
pub fn line_count<'a>(tables: impl IntoIterator<Item = &'a [Value]>) -> usize {
    tables
        .into_iter()
        .map(<[Value]>::len)
        .max()
        .unwrap_or(0)
        .max(1)
}

/// A value as the text of a cell: lists (check boxes, people, files) one item a line as kintone
/// exports them; None for null and empty values.
pub fn value_text(value: &Value, by: EntityBy) -> Option<String> {
    let text = match value {
        Value::Null => return None,
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Array(items) => items
            .iter()
            .filter_map(|item| item_text(item, by))
            .collect::<Vec<_>>()
            .join("\n"),
        Value::Object(_) => item_text(value, by).unwrap_or_default(),
    };
    (!text.is_empty()).then_some(text)
}

/// Text as a cell of `kind`: numbers as numbers, dates as dates; what does not parse stays text.
pub fn typed_cell(kind: ColumnKind, text: String) -> Cell {
    match kind {
        ColumnKind::Number => match parse_number_text(&text) {
            Some(n) => Cell::Number(n),
            None => Cell::Text(text),
        },
        ColumnKind::Date => match chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
            Ok(d) => Cell::Date(d),
            Err(_) => Cell::Text(text),
        },
        ColumnKind::Text => Cell::Text(text),
    }
}

/// An item of a list value: a string itself; a person, department or group by its code or name
/// (`by` first, the other when it is missing); a file by its name.
fn item_text(item: &Value, by: EntityBy) -> Option<String> {
    let keys = match by {
        EntityBy::Code => ["code", "name"],
        EntityBy::Name => ["name", "code"],
    };
    match item {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(map) => keys
            .iter()
            .filter_map(|k| map.get(*k).and_then(Value::as_str))
            .find(|s| !s.is_empty())
            .map(str::to_owned),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn people_by_code_or_name_the_other_when_missing() {
        let people = json!([{"code": "sato", "name": "佐藤"}, {"code": "kato", "name": ""}]);
        assert_eq!(
            value_text(&people, EntityBy::Code).as_deref(),
            Some("sato\nkato")
        );
        assert_eq!(
            value_text(&people, EntityBy::Name).as_deref(),
            Some("佐藤\nkato")
        );
        assert_eq!(value_text(&json!(null), EntityBy::Code), None);
        assert_eq!(value_text(&json!([]), EntityBy::Code), None);
    }

    #[test]
    fn subtable_lines_and_typed_cells() {
        let table = json!({"type": "SUBTABLE", "value": [
            {"id": "1", "value": {"数": {"type": "NUMBER", "value": "１,２００"}}},
            {"id": "2", "value": {"数": {"type": "NUMBER", "value": "x"}}},
        ]});
        let rows = table_rows(Some(&table));
        assert_eq!(line_count([rows, &[][..]]), 2);
        assert_eq!(line_count(std::iter::empty()), 1);
        assert_eq!(row_value(rows, 0, "数"), Some(&json!("１,２００")));
        assert_eq!(row_value(rows, 2, "数"), None);
        assert_eq!(
            typed_cell(ColumnKind::Number, "１,２００".into()),
            Cell::Number(1200.0)
        );
        assert_eq!(
            typed_cell(ColumnKind::Number, "x".into()),
            Cell::Text("x".into())
        );
        assert_eq!(
            typed_cell(ColumnKind::Date, "2026-04-01".into()),
            Cell::Date(chrono::NaiveDate::from_ymd_opt(2026, 4, 1).unwrap_or_default())
        );
    }
}
