//! A stored record in kintone's record shape: `{code: {"type": T, "value": V}}` with `$id` and
//! `$revision`. Every form field is present (cli-kintone refuses records that miss one); a field added
//! after the record was saved shows its type's empty value.

use serde_json::{json, Map, Value};

use super::read::StoredRecord;
use crate::apps::LiveApp;
use crate::fields::FieldType;

/// The value a field of type `t` has when nothing was stored.
pub fn empty_value(t: FieldType) -> Value {
    match t {
        FieldType::DropDown | FieldType::Date | FieldType::Time => Value::Null,
        FieldType::CheckBox
        | FieldType::MultiSelect
        | FieldType::File
        | FieldType::UserSelect
        | FieldType::OrganizationSelect
        | FieldType::GroupSelect
        | FieldType::StatusAssignee
        | FieldType::Category
        | FieldType::Subtable => Value::Array(Vec::new()),
        FieldType::Creator | FieldType::Modifier => json!({"code": "", "name": ""}),
        _ => Value::String(String::new()),
    }
}

/// The API value of one top-level field of a stored record.
pub fn value_for(app: &LiveApp, record: &StoredRecord, code: &str) -> Value {
    let Some(field) = app.definition.field(code) else {
        return Value::Null;
    };
    match field.property.field_type {
        FieldType::RecordNumber => {
            if app.definition.code.is_empty() {
                Value::String(record.id.to_string())
            } else {
                Value::String(format!("{}-{}", app.definition.code, record.id))
            }
        }
        t => record
            .values
            .get(code)
            .cloned()
            .unwrap_or_else(|| empty_value(t)),
    }
}

/// Whether the caller (`app.access`) created the record, by its creator field.
pub fn created_by_caller(app: &LiveApp, record: &StoredRecord) -> bool {
    let access = &app.access;
    app.definition
        .field_of_type(FieldType::Creator)
        .and_then(|f| record.values.get(&f.property.code))
        .and_then(|v| v.get("code"))
        .and_then(Value::as_str)
        .is_some_and(|c| c == access.user)
}

/// Whether the caller may view field `code` (top-level or in a subtable) of the record.
pub fn field_viewable(app: &LiveApp, record: &StoredRecord, code: &str) -> bool {
    let access = &app.access;
    access.fields.is_empty()
        || access.field_level(&app.definition, code, created_by_caller(app, record))
            >= crate::acl::Accessibility::Read
}

/// The record as the API returns it. `fields` limits the output to those codes (`$id` and
/// `$revision` included only when named); unknown codes are ignored as kintone does. Fields the
/// caller may not view (`app.access`) are left out.
pub fn record_json(
    app: &LiveApp,
    record: &StoredRecord,
    fields: Option<&[String]>,
) -> Map<String, Value> {
    let wanted = |code: &str| fields.is_none_or(|f| f.iter().any(|c| c == code));
    let mut out = Map::new();
    let process = app.definition.process_enabled();
    for (code, property) in &app.definition.properties {
        let t = property.field_type;
        if t.is_layout_only() || !wanted(code) || !field_viewable(app, record, code) {
            continue;
        }
        if matches!(
            t,
            FieldType::Status | FieldType::StatusAssignee | FieldType::Category
        ) && !(process && t != FieldType::Category)
            && !property.enabled.unwrap_or(false)
        {
            continue;
        }
        out.insert(
            code.clone(),
            json!({"type": t.name(), "value": value_for(app, record, code)}),
        );
    }
    if wanted("$id") {
        out.insert(
            "$id".into(),
            json!({"type": "__ID__", "value": record.id.to_string()}),
        );
    }
    if wanted("$revision") {
        out.insert(
            "$revision".into(),
            json!({"type": "__REVISION__", "value": record.revision.to_string()}),
        );
    }
    out
}
