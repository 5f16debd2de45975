//! `app/views.json` and `app/settings.json` (read live or pre-live; write pre-live). `app/status.json`
//! lives with the rest of process management in `process.rs`.

use kumiki_engine::apps::AppDefinition;
use kumiki_engine::fields::FieldType;
use kumiki_engine::views::{check_view, Kind as ViewKind};
use kumiki_engine::{FieldErrors, UserError};
use serde_json::{json, Map, Value};

use super::call::Call;
use super::form::{change_preview, stage_definition};
use crate::error::ApiError;
use crate::params::Params;

pub fn get_views(call: &mut Call, p: &Params, preview: bool) -> Result<Value, ApiError> {
    let (def, revision) = stage_definition(call, p, preview)?;
    Ok(json!({"views": def.views, "revision": revision.to_string()}))
}

pub fn update_views(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let views = p
        .opt_object("views")?
        .ok_or_else(|| ApiError::invalid("views", "Required field."))?
        .clone();
    let tz = call.caller.timezone;
    let mut ids: Map<String, Value> = Map::new();
    let result = change_preview(call, p, |def| {
        let mut errors = FieldErrors::new();
        let mut next_id = def
            .views
            .values()
            .filter_map(|v| {
                v.get("id")
                    .and_then(Value::as_str)
                    .and_then(|s| s.parse::<i64>().ok())
            })
            .max()
            .unwrap_or(0)
            + 1;
        let previous = def.views.clone();
        let mut used_ids = std::collections::HashSet::new();
        let mut rebuilt = indexmap::IndexMap::new();
        for (name, view) in &views {
            let Some(obj) = view.as_object() else {
                errors.insert(format!("views.{name}"), vec!["Enter an object.".into()]);
                continue;
            };
            let mut v = obj.clone();
            v.insert("name".into(), Value::String(name.clone()));
            let ctx = kumiki_engine::acting::check_query_context(def, tz);
            // One check for shared and private views (engine `views`): columns, calendar date,
            // filter and sort, keyed `views.<name>.<member>`.
            let view_type = check_view(
                &v,
                &ctx,
                ViewKind::Shared,
                &format!("views.{name}"),
                &mut errors,
            );
            v.insert("type".into(), Value::String(view_type));
            // A view keeps its id when it is sent with it (a renamed view: the default-view
            // setting names views by id), else when its name is unchanged; otherwise it is new.
            let sent_id = v.get("id").and_then(|x| match x {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            });
            let id = sent_id
                .filter(|sid| {
                    previous
                        .values()
                        .any(|old| old.get("id").and_then(Value::as_str) == Some(sid))
                })
                .or_else(|| {
                    previous
                        .get(name)
                        .and_then(|old| old.get("id").and_then(Value::as_str).map(str::to_owned))
                })
                .filter(|id| used_ids.insert(id.clone()))
                .map(Value::String)
                .unwrap_or_else(|| {
                    let id = next_id;
                    next_id += 1;
                    Value::String(id.to_string())
                });
            v.insert("id".into(), id.clone());
            v.entry("index")
                .or_insert_with(|| Value::String(rebuilt.len().to_string()));
            v.entry("filterCond")
                .or_insert_with(|| Value::String(String::new()));
            v.entry("sort")
                .or_insert_with(|| Value::String(String::new()));
            ids.insert(name.clone(), json!({"id": id}));
            rebuilt.insert(name.clone(), Value::Object(v));
        }
        if !errors.is_empty() {
            return Err(UserError::Validation(errors));
        }
        def.views = rebuilt;
        Ok(())
    })?;
    Ok(json!({"views": ids, "revision": result["revision"]}))
}

pub fn get_settings(call: &mut Call, p: &Params, preview: bool) -> Result<Value, ApiError> {
    let (def, revision) = stage_definition(call, p, preview)?;
    let mut out = def.settings.clone();
    out.insert("name".into(), Value::String(def.name.clone()));
    out.insert("description".into(), Value::String(def.description.clone()));
    out.insert("code".into(), Value::String(def.code.clone()));
    out.entry("theme")
        .or_insert_with(|| Value::String("WHITE".into()));
    out.entry("icon")
        .or_insert_with(|| json!({"type": "PRESET", "key": "APP72"}));
    // AUTO reports the field it resolves to, so clients title records as the pages do.
    let manual = out
        .get("titleField")
        .and_then(|t| t.get("selectionMode"))
        .and_then(Value::as_str)
        == Some("MANUAL");
    if !manual {
        let code = def.title_field().unwrap_or_default();
        out.insert(
            "titleField".into(),
            json!({"selectionMode": "AUTO", "code": code}),
        );
    }
    // A default view deleted since it was chosen is not reported: lists fall back to the first view.
    let dangling = out
        .get("defaultView")
        .is_some_and(|v| !view_exists(&def, v));
    if dangling {
        out.remove("defaultView");
    }
    out.insert("revision".into(), Value::String(revision.to_string()));
    Ok(Value::Object(out))
}

/// Field types that may title a record (kintone's レコードタイトル choices).
const TITLE_TYPES: [FieldType; 5] = [
    FieldType::SingleLineText,
    FieldType::Number,
    FieldType::Calc,
    FieldType::Link,
    FieldType::RecordNumber,
];

/// Whether `id` (a string or number) is the id of one of the app's views.
fn view_exists(def: &AppDefinition, id: &Value) -> bool {
    let id = match id {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return false,
    };
    def.views
        .values()
        .any(|v| v.get("id").and_then(Value::as_str) == Some(id.as_str()))
}

pub fn update_settings(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let body = p.0.as_object().cloned().unwrap_or_default();
    let may_set_review = matches!(
        call.caller.principal,
        kumiki_engine::acl::Principal::User { is_admin: true, .. }
    );
    change_preview(call, p, move |def| {
        let mut errors = FieldErrors::new();
        let mut invalid = |key: &str, message: String| {
            errors
                .entry(key.to_owned())
                .or_default()
                .push(message.into());
        };
        for (k, v) in body {
            match k.as_str() {
                "app" | "revision" => {}
                // Kumiki extension: deploys need an approved review (administrators only; sending
                // the current value back is allowed to anyone).
                kumiki_engine::review::REQUIRE_REVIEW => {
                    let Some(on) = v.as_bool() else {
                        invalid(&k, "Enter true or false.".into());
                        continue;
                    };
                    if on != kumiki_engine::review::requires_review(def) && !may_set_review {
                        return Err(UserError::Forbidden);
                    }
                    def.settings.insert(k, Value::Bool(on));
                }
                // Kumiki extension: a `record.view` audit row for every record read (docs/security/auth.md).
                kumiki_engine::audit::RECORD_VIEW_SETTING => {
                    let Some(on) = v.as_bool() else {
                        invalid(&k, "Enter true or false.".into());
                        continue;
                    };
                    def.settings.insert(k, Value::Bool(on));
                }
                "name" => {
                    let name = v.as_str().unwrap_or_default();
                    if name.trim().is_empty() || name.chars().count() > 64 {
                        invalid("name", "Enter an app name of 1 to 64 characters.".into());
                        continue;
                    }
                    def.name = name.trim().to_owned();
                }
                "description" => {
                    let text = v.as_str().unwrap_or_default();
                    if text.chars().count() > 10_000 {
                        invalid("description", "Enter at most 10000 characters.".into());
                        continue;
                    }
                    def.description = text.to_owned();
                }
                // Kumiki extension: the app code (kintone sets it in the app settings screen).
                "code" => {
                    let code = v.as_str().unwrap_or_default();
                    if !code.is_empty()
                        && !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    {
                        invalid(
                            "code",
                            "An app code uses ASCII letters, digits and _ only.".into(),
                        );
                        continue;
                    }
                    def.code = code.to_owned();
                }
                // Only preset icons: Kumiki bundles its own set; kintone's preset keys (APP72, ...)
                // are kept so settings copied from kintone still load, and show the default icon.
                "icon" => {
                    let kind = v.get("type").and_then(Value::as_str).unwrap_or_default();
                    let key = v.get("key").and_then(Value::as_str).unwrap_or_default();
                    if kind != "PRESET" {
                        invalid("icon.type", "Kumiki supports PRESET icons only.".into());
                    } else if !crate::pages::app_icons::is_preset_key(key) {
                        invalid(
                            "icon.key",
                            format!(
                                "Unknown icon ({key}). Choose one of: {}.",
                                crate::pages::app_icons::APP_ICONS.join(", ")
                            ),
                        );
                    } else {
                        def.settings
                            .insert(k, json!({"type": "PRESET", "key": key}));
                    }
                }
                "titleField" => {
                    let mode = v
                        .get("selectionMode")
                        .and_then(Value::as_str)
                        .unwrap_or("AUTO");
                    let code = v.get("code").and_then(Value::as_str).unwrap_or_default();
                    match mode {
                        "AUTO" => {
                            def.settings
                                .insert(k, json!({"selectionMode": "AUTO", "code": ""}));
                        }
                        "MANUAL" => match def.properties.get(code) {
                            None => invalid(
                                "titleField.code",
                                format!("The field ({code}) does not exist."),
                            ),
                            Some(f) if !TITLE_TYPES.contains(&f.field_type) => invalid(
                                "titleField.code",
                                format!(
                                    "The field ({code}) cannot be the record title: choose a \
                                     text, number, calculated, link or record number field."
                                ),
                            ),
                            Some(_) => {
                                def.settings
                                    .insert(k, json!({"selectionMode": "MANUAL", "code": code}));
                            }
                        },
                        _ => invalid("titleField.selectionMode", "Enter AUTO or MANUAL.".into()),
                    }
                }
                // Kumiki extension: the view lists open with (a view id; empty for the first view).
                "defaultView" => {
                    if v.is_null() || v.as_str() == Some("") {
                        def.settings.remove(&k);
                    } else if view_exists(def, &v) {
                        let id = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                        def.settings.insert(k, Value::String(id));
                    } else {
                        invalid("defaultView", format!("The view ({v}) does not exist."));
                    }
                }
                _ => {
                    def.settings.insert(k, v);
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(UserError::Validation(errors))
        }
    })
}
