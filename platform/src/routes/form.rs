//! `app/form/fields.json` and `app/form/layout.json` (read live or pre-live; write pre-live).
//!
//! Field changes are checked before they are saved: codes, types, options, subtable contents and
//! formulas. A field added without a layout change is appended to the layout, as kintone does.

use indexmap::IndexMap;
use kumiki_engine::acl::AppRight;
pub use kumiki_engine::apps::check_definition;
use kumiki_engine::apps::{load_definition, save_preview, AppDefinition, AppId, LIVE, PREVIEW};
use kumiki_engine::fields::{FieldProperty, FieldType};
use kumiki_engine::{EngineError, FieldErrors, UserError};
use serde_json::{json, Value};

use super::call::Call;
use crate::error::ApiError;
use crate::params::Params;

/// Reads one stage of an app's definition for a GET (`preview/` path prefix = pre-live).
pub fn stage_definition(
    call: &mut Call,
    p: &Params,
    preview: bool,
) -> Result<(AppDefinition, i64), ApiError> {
    let app = p.i64("app")?;
    call.app_row(
        app,
        if preview {
            AppRight::Manage
        } else {
            AppRight::View
        },
    )?;
    let stage = if preview { PREVIEW } else { LIVE };
    load_definition(call.conn, AppId(app), stage)?
        .ok_or_else(|| UserError::AppNotFound(app.to_string()).into())
}

pub fn get_fields(call: &mut Call, p: &Params, preview: bool) -> Result<Value, ApiError> {
    let (def, revision) = stage_definition(call, p, preview)?;
    Ok(json!({"properties": def.properties, "revision": revision.to_string()}))
}

pub fn get_layout(call: &mut Call, p: &Params, preview: bool) -> Result<Value, ApiError> {
    let (def, revision) = stage_definition(call, p, preview)?;
    Ok(json!({"layout": def.layout, "revision": revision.to_string()}))
}

/// Runs a change on the pre-live definition, with the manage right and the optional revision check.
pub fn change_preview(
    call: &mut Call,
    p: &Params,
    change: impl FnOnce(&mut AppDefinition) -> Result<(), UserError>,
) -> Result<Value, ApiError> {
    let app = p.i64("app")?;
    call.app_row(app, AppRight::Manage)?;
    let revision = p.opt_i64("revision")?;
    let user = call.caller.principal.acting_user().to_owned();
    let new_revision = save_preview(call.conn, AppId(app), revision, &user, |def| {
        change(def).map_err(EngineError::User)?;
        check_definition(def).map_err(EngineError::User)
    })?;
    Ok(json!({"revision": new_revision.to_string()}))
}

fn parse_property(key: &str, v: &Value, errors: &mut FieldErrors) -> Option<FieldProperty> {
    let mut v = v.clone();
    if let Some(obj) = v.as_object_mut() {
        obj.entry("code")
            .or_insert_with(|| Value::String(key.to_owned()));
    }
    match serde_json::from_value::<FieldProperty>(v) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.insert(
                format!("properties.{key}"),
                vec![format!("Invalid field settings: {e}.").into()],
            );
            None
        }
    }
}

/// A layout element placing a newly added field.
fn layout_element(p: &FieldProperty) -> Value {
    match p.field_type {
        FieldType::Subtable => json!({
            "type": "SUBTABLE",
            "code": p.code,
            "fields": p.fields.iter().flat_map(|f| f.values()).map(|i| json!({"type": i.field_type.name(), "code": i.code, "size": {}})).collect::<Vec<_>>(),
        }),
        FieldType::Group => json!({"type": "GROUP", "code": p.code, "layout": []}),
        t => json!({"type": "ROW", "fields": [{"type": t.name(), "code": p.code, "size": {}}]}),
    }
}

pub fn add_fields(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let props = p
        .opt_object("properties")?
        .ok_or_else(|| ApiError::invalid("properties", "Required field."))?
        .clone();
    change_preview(call, p, move |def| {
        let mut errors = FieldErrors::new();
        for (key, v) in &props {
            let Some(prop) = parse_property(key, v, &mut errors) else {
                continue;
            };
            if def.field(key).is_some() || def.properties.contains_key(key) {
                errors.insert(
                    format!("properties.{key}.code"),
                    vec!["The field code is already used.".into()],
                );
                continue;
            }
            if prop.field_type.is_system() {
                errors.insert(
                    format!("properties.{key}.type"),
                    vec!["System fields cannot be added.".into()],
                );
                continue;
            }
            def.layout.push(layout_element(&prop));
            def.properties.insert(key.clone(), prop);
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(UserError::Validation(errors))
        }
    })
}

fn merge(base: &FieldProperty, patch: &Value) -> Result<FieldProperty, String> {
    let mut merged = serde_json::to_value(base).map_err(|e| e.to_string())?;
    if let (Some(target), Some(patch)) = (merged.as_object_mut(), patch.as_object()) {
        for (k, v) in patch {
            target.insert(k.clone(), v.clone());
        }
    }
    serde_json::from_value(merged).map_err(|e| format!("Invalid field settings: {e}."))
}

fn rename_in_layout(items: &mut [Value], old: &str, new: &str) {
    for item in items {
        if item.get("code").and_then(Value::as_str) == Some(old) {
            item["code"] = Value::String(new.to_owned());
        }
        for nested in ["fields", "layout"] {
            if let Some(Value::Array(children)) = item.get_mut(nested) {
                rename_in_layout(children, old, new);
            }
        }
    }
}

fn remove_from_layout(items: &mut Vec<Value>, code: &str) {
    items.retain(|item| item.get("code").and_then(Value::as_str) != Some(code));
    for item in items.iter_mut() {
        for nested in ["fields", "layout"] {
            if let Some(Value::Array(children)) = item.get_mut(nested) {
                remove_from_layout(children, code);
            }
        }
    }
    // A row left empty is dropped.
    items.retain(|item| {
        item.get("type").and_then(Value::as_str) != Some("ROW")
            || item
                .get("fields")
                .and_then(Value::as_array)
                .is_some_and(|f| !f.is_empty())
    });
}

pub fn update_fields(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let props = p
        .opt_object("properties")?
        .ok_or_else(|| ApiError::invalid("properties", "Required field."))?
        .clone();
    change_preview(call, p, move |def| {
        let mut errors = FieldErrors::new();
        for (key, patch) in &props {
            let Some(existing) = def.properties.get(key).cloned() else {
                return Err(UserError::FormFieldNotFound(key.clone()));
            };
            let updated = match merge(&existing, patch) {
                Ok(u) => u,
                Err(message) => {
                    errors.insert(format!("properties.{key}"), vec![message.into()]);
                    continue;
                }
            };
            if updated.field_type != existing.field_type {
                errors.insert(
                    format!("properties.{key}.type"),
                    vec!["The field type cannot be changed; add a new field and copy the data instead.".into()],
                );
                continue;
            }
            let new_code = updated.code.clone();
            if new_code != *key {
                if matches!(
                    existing.field_type,
                    FieldType::Status | FieldType::StatusAssignee | FieldType::Category
                ) {
                    errors.insert(
                        format!("properties.{key}.code"),
                        vec!["This field code cannot be changed.".into()],
                    );
                    continue;
                }
                if def.field(&new_code).is_some() {
                    errors.insert(
                        format!("properties.{key}.code"),
                        vec!["The field code is already used.".into()],
                    );
                    continue;
                }
                // Keep the field's id so its stored values and index rows follow the new code.
                if let Some(id) = def.field_ids.shift_remove(key) {
                    def.field_ids.insert(new_code.clone(), id);
                }
                rename_in_layout(&mut def.layout, key, &new_code);
            }
            let rebuilt: IndexMap<String, FieldProperty> = def
                .properties
                .drain(..)
                .map(|(k, v)| {
                    if k == *key {
                        (new_code.clone(), updated.clone())
                    } else {
                        (k, v)
                    }
                })
                .collect();
            def.properties = rebuilt;
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(UserError::Validation(errors))
        }
    })
}

pub fn delete_fields(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let codes = p
        .opt_str_list("fields")?
        .ok_or_else(|| ApiError::invalid("fields", "Required field."))?;
    if codes.len() > 100 {
        return Err(ApiError::invalid(
            "fields",
            "A maximum of 100 fields can be deleted at one time.",
        ));
    }
    change_preview(call, p, move |def| {
        for code in &codes {
            let Some(existing) = def.properties.get(code) else {
                return Err(UserError::FormFieldNotFound(code.clone()));
            };
            if existing.field_type.is_system() {
                return Err(UserError::invalid(
                    format!("fields[{code}]"),
                    "System fields cannot be deleted.",
                ));
            }
            def.properties.shift_remove(code);
            remove_from_layout(&mut def.layout, code);
        }
        Ok(())
    })
}

pub fn update_layout(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let layout = p
        .opt_array("layout")?
        .ok_or_else(|| ApiError::invalid("layout", "Required field."))?
        .clone();
    for (i, item) in layout.iter().enumerate() {
        let ok = matches!(
            item.get("type").and_then(Value::as_str),
            Some("ROW" | "SUBTABLE" | "GROUP")
        );
        if !ok {
            return Err(ApiError::invalid(
                &format!("layout[{i}].type"),
                "Enter ROW, SUBTABLE or GROUP.",
            ));
        }
    }
    change_preview(call, p, move |def| {
        for code in layout_codes(&layout) {
            if def.field(&code).is_none() {
                return Err(UserError::FormFieldNotFound(code));
            }
        }
        def.layout = layout;
        Ok(())
    })
}

fn layout_codes(items: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    for item in items {
        let t = item.get("type").and_then(Value::as_str).unwrap_or_default();
        if !matches!(t, "LABEL" | "SPACER" | "HR" | "ROW") {
            if let Some(code) = item.get("code").and_then(Value::as_str) {
                out.push(code.to_owned());
            }
        }
        for nested in ["fields", "layout"] {
            if let Some(Value::Array(children)) = item.get(nested) {
                out.extend(layout_codes(children));
            }
        }
    }
    out
}
