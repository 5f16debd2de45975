//! `app/views.json` and `app/settings.json` (read live or pre-live; write pre-live). `app/status.json`
//! lives with the rest of process management in `process.rs`.

use kumiki_engine::query::{self, QueryContext};
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
    let login = call.caller.principal.acting_user().to_owned();
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
        let mut rebuilt = indexmap::IndexMap::new();
        for (name, view) in &views {
            let Some(obj) = view.as_object() else {
                errors.insert(format!("views.{name}"), vec!["Enter an object.".into()]);
                continue;
            };
            let mut v = obj.clone();
            v.insert("name".into(), Value::String(name.clone()));
            let view_type = v
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("LIST")
                .to_owned();
            if !matches!(view_type.as_str(), "LIST" | "CALENDAR" | "CUSTOM") {
                errors.insert(
                    format!("views.{name}.type"),
                    vec!["Enter LIST, CALENDAR or CUSTOM.".into()],
                );
            }
            v.insert("type".into(), Value::String(view_type));
            let ctx = QueryContext {
                definition: def,
                login_user: &login,
                primary_organization: None,
                timezone: tz,
                now: chrono::Utc::now(),
                access: None,
                text_matcher: None,
            };
            let filter = v
                .get("filterCond")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let sort = v
                .get("sort")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let full = if sort.is_empty() {
                filter.clone()
            } else {
                format!("{filter} order by {sort}")
            };
            if let Err(e) = query::prepare(&full, &ctx) {
                errors.insert(format!("views.{name}.filterCond"), vec![e.to_string()]);
            }
            for key in ["fields"] {
                for code in v.get(key).and_then(Value::as_array).into_iter().flatten() {
                    if code.as_str().is_none_or(|c| def.field(c).is_none()) {
                        errors.insert(
                            format!("views.{name}.{key}"),
                            vec![format!("The field ({code}) does not exist.")],
                        );
                    }
                }
            }
            let id = previous
                .get(name)
                .and_then(|old| old.get("id").cloned())
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
    out.insert("revision".into(), Value::String(revision.to_string()));
    Ok(Value::Object(out))
}

pub fn update_settings(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let body = p.0.as_object().cloned().unwrap_or_default();
    let may_set_review = matches!(
        call.caller.principal,
        kumiki_engine::acl::Principal::User { is_admin: true, .. }
    );
    change_preview(call, p, move |def| {
        for (k, v) in body {
            match k.as_str() {
                "app" | "revision" => {}
                // Kumiki extension: deploys need an approved review (administrators only; sending
                // the current value back is allowed to anyone).
                kumiki_engine::review::REQUIRE_REVIEW => {
                    let Some(on) = v.as_bool() else {
                        return Err(UserError::invalid(&k, "Enter true or false."));
                    };
                    if on != kumiki_engine::review::requires_review(def) && !may_set_review {
                        return Err(UserError::Forbidden);
                    }
                    def.settings.insert(k, Value::Bool(on));
                }
                "name" => {
                    let name = v.as_str().unwrap_or_default();
                    if name.trim().is_empty() || name.chars().count() > 64 {
                        return Err(UserError::invalid(
                            "name",
                            "Enter an app name of 1 to 64 characters.",
                        ));
                    }
                    def.name = name.to_owned();
                }
                "description" => def.description = v.as_str().unwrap_or_default().to_owned(),
                // Kumiki extension: the app code (kintone sets it in the app settings screen).
                "code" => {
                    let code = v.as_str().unwrap_or_default();
                    if !code.is_empty()
                        && !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    {
                        return Err(UserError::invalid(
                            "code",
                            "An app code uses ASCII letters, digits and _ only.",
                        ));
                    }
                    def.code = code.to_owned();
                }
                _ => {
                    def.settings.insert(k, v);
                }
            }
        }
        Ok(())
    })
}
