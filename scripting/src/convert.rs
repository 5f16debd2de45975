//! Values between the engine and scripts.
//!
//! A record reaches a script as a map from field code to a typed value ("script shape"):
//! - NUMBER and CALC: an integer when the value is whole, else a float; empty is `()`;
//! - DATE, TIME, DATETIME: strings (`"2025-04-01"`, `"09:30"`, `"2025-04-01T00:00:00Z"`), empty `()`;
//! - text, choices: strings; CHECK_BOX and MULTI_SELECT: arrays of strings;
//! - USER/ORGANIZATION/GROUP_SELECT: arrays of `#{code, name}`; CREATOR/MODIFIER: `#{code, name}`;
//! - SUBTABLE: an array of row maps, each with its cells by code and `"$id"` (the row id, or absent
//!   for a new row);
//! - FILE and everything else: as the API shows it.
//!
//! Scripts give values back in the same shape; `to_stored` turns them into the write API's shapes,
//! which the engine then normalizes and checks like any input.

use kumiki_engine::apps::AppDefinition;
use kumiki_engine::fields::{FieldProperty, FieldType};
use rhai::{Array, Dynamic, Map as RhaiMap};
use serde_json::{json, Map, Number, Value};

/// JSON → rhai, generically (objects become maps, integers `INT`, other numbers `FLOAT`).
pub fn to_dynamic(value: &Value) -> Dynamic {
    match value {
        Value::Null => Dynamic::UNIT,
        Value::Bool(b) => Dynamic::from_bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Dynamic::from_int(i),
            None => Dynamic::from_float(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => Dynamic::from(s.clone()),
        Value::Array(items) => Dynamic::from_array(items.iter().map(to_dynamic).collect()),
        Value::Object(map) => {
            let mut out = RhaiMap::new();
            for (k, v) in map {
                out.insert(k.as_str().into(), to_dynamic(v));
            }
            Dynamic::from_map(out)
        }
    }
}

/// rhai → JSON, generically. Values JSON cannot hold (functions, non-finite floats) become null;
/// characters become strings.
pub fn to_json(value: &Dynamic) -> Value {
    if value.is_unit() {
        return Value::Null;
    }
    if let Ok(b) = value.as_bool() {
        return Value::Bool(b);
    }
    if let Ok(i) = value.as_int() {
        return Value::Number(i.into());
    }
    if let Ok(f) = value.as_float() {
        return Number::from_f64(f).map_or(Value::Null, Value::Number);
    }
    if let Ok(c) = value.as_char() {
        return Value::String(c.to_string());
    }
    if let Some(s) = value.read_lock::<rhai::ImmutableString>() {
        return Value::String(s.to_string());
    }
    if let Some(items) = value.read_lock::<Array>() {
        return Value::Array(items.iter().map(to_json).collect());
    }
    if let Some(map) = value.read_lock::<RhaiMap>() {
        return Value::Object(
            map.iter()
                .map(|(k, v)| (k.to_string(), to_json(v)))
                .collect(),
        );
    }
    Value::Null
}

/// A stored NUMBER/CALC text as a JSON number (integer when whole); not a number: unchanged.
fn number_value(v: &Value) -> Value {
    let Some(text) = v.as_str() else {
        return v.clone();
    };
    if text.trim().is_empty() {
        return Value::Null;
    }
    if let Ok(i) = text.trim().parse::<i64>() {
        return Value::Number(i.into());
    }
    match text.trim().parse::<f64>() {
        Ok(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 => {
            Value::Number((f as i64).into())
        }
        Ok(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
        Err(_) => v.clone(),
    }
}

fn script_value(property: &FieldProperty, v: &Value) -> Value {
    match property.field_type {
        FieldType::Number | FieldType::Calc => number_value(v),
        FieldType::Date | FieldType::Time | FieldType::Datetime => match v {
            Value::String(s) if s.is_empty() => Value::Null,
            other => other.clone(),
        },
        FieldType::Subtable => {
            let inner = property.fields.as_ref();
            let rows = v.as_array().map(Vec::as_slice).unwrap_or_default();
            Value::Array(
                rows.iter()
                    .map(|row| {
                        let mut out = Map::new();
                        if let Some(id) = row.get("id") {
                            out.insert("$id".into(), id.clone());
                        }
                        let cells = row.get("value").and_then(Value::as_object);
                        for (code, cell) in cells.into_iter().flatten() {
                            let value = cell.get("value").unwrap_or(&Value::Null);
                            let typed = match inner.and_then(|f| f.get(code)) {
                                Some(p) => script_value(p, value),
                                None => value.clone(),
                            };
                            out.insert(code.clone(), typed);
                        }
                        Value::Object(out)
                    })
                    .collect(),
            )
        }
        _ => v.clone(),
    }
}

/// Stored record values → the script shape (see the module docs).
pub fn to_script(def: &AppDefinition, values: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (code, property) in &def.properties {
        if property.field_type.is_layout_only() {
            continue;
        }
        if let Some(v) = values.get(code) {
            out.insert(code.clone(), script_value(property, v));
        }
    }
    out
}

/// A script number as the text the write API takes.
fn number_text(v: &Value) -> Value {
    match v {
        Value::Null => Value::String(String::new()),
        Value::Number(n) => Value::String(match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) => format_float(f),
            _ => n.to_string(),
        }),
        other => other.clone(),
    }
}

fn format_float(f: f64) -> String {
    // Shortest text that reads back as the same float, without an exponent for usual values.
    let text = format!("{f}");
    if text.contains('e') {
        format!("{f:.10}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_owned()
    } else {
        text
    }
}

/// Entities may be given as codes or as `#{code, ...}` maps.
fn entities(v: &Value) -> Value {
    let items = v.as_array().map(Vec::as_slice).unwrap_or_default();
    Value::Array(
        items
            .iter()
            .map(|item| match item {
                Value::String(code) => json!({ "code": code }),
                Value::Object(m) => {
                    json!({ "code": m.get("code").cloned().unwrap_or(Value::Null) })
                }
                other => other.clone(),
            })
            .collect(),
    )
}

fn stored_value(property: &FieldProperty, v: &Value) -> Value {
    match property.field_type {
        FieldType::Number => number_text(v),
        FieldType::UserSelect | FieldType::OrganizationSelect | FieldType::GroupSelect => {
            entities(v)
        }
        FieldType::Date | FieldType::Time | FieldType::Datetime | FieldType::DropDown => match v {
            Value::String(s) if s.is_empty() => Value::Null,
            other => other.clone(),
        },
        FieldType::Subtable => {
            let inner = property.fields.as_ref();
            let rows = v.as_array().map(Vec::as_slice).unwrap_or_default();
            Value::Array(
                rows.iter()
                    .map(|row| {
                        let mut cells = Map::new();
                        let mut out = Map::new();
                        for (code, cell) in row.as_object().into_iter().flatten() {
                            if code == "$id" {
                                if !cell.is_null() {
                                    out.insert("id".into(), cell.clone());
                                }
                                continue;
                            }
                            let Some(p) = inner.and_then(|f| f.get(code)) else {
                                continue;
                            };
                            cells.insert(code.clone(), json!({ "value": stored_value(p, cell) }));
                        }
                        out.insert("value".into(), Value::Object(cells));
                        Value::Object(out)
                    })
                    .collect(),
            )
        }
        _ => v.clone(),
    }
}

/// The fields a script changed, in the write API's value shapes: every writable field of
/// `after` whose value differs from `before` (both in the script shape).
pub fn changes(
    def: &AppDefinition,
    before: &Map<String, Value>,
    after: &Map<String, Value>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (code, property) in &def.properties {
        if !property.field_type.is_writable() {
            continue;
        }
        let Some(new) = after.get(code) else {
            continue;
        };
        let new = stored_value(property, new);
        let old = before
            .get(code)
            .map(|v| stored_value(property, v))
            .unwrap_or(Value::Null);
        if new != old {
            out.insert(code.clone(), new);
        }
    }
    out
}

/// A script's record for another app (`add_record`, `update_record`) in the write API's shape
/// `{code: {"value": v}}`; unknown codes are passed on (the engine ignores them as kintone does).
pub fn to_input(def: &AppDefinition, record: &Map<String, Value>) -> Map<String, Value> {
    record
        .iter()
        .map(|(code, v)| {
            let value = match def.properties.get(code) {
                Some(p) => stored_value(p, v),
                None => v.clone(),
            };
            (code.clone(), json!({ "value": value }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip_through_rhai() {
        for (stored, shown) in [("12", json!(12)), ("1.5", json!(1.5)), ("", Value::Null)] {
            assert_eq!(number_value(&json!(stored)), shown);
            assert_eq!(number_text(&shown), json!(stored));
        }
        let back = to_json(&to_dynamic(&json!({"a": [1, 2.5, "x", null, true]})));
        assert_eq!(back, json!({"a": [1, 2.5, "x", null, true]}));
    }

    #[test]
    fn entities_accept_codes_or_maps() {
        assert_eq!(
            entities(&json!(["u1", {"code": "u2", "name": "B"}])),
            json!([{"code": "u1"}, {"code": "u2"}])
        );
    }
}
