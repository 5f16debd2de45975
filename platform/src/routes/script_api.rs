//! Kumiki's script APIs for the pages (`/api/<name>.json`, dispatched as `kumiki/<name>`): a test run
//! of a script against a record from the script settings page, and the live `field.change` scripts
//! of the record form. Neither saves anything: both run inside a savepoint that is rolled back, so
//! not even a counter (`next_number`) moves. docs/scripts.md "Editor".

use std::sync::Arc;

use kumiki_engine::acl::AppRight;
use kumiki_engine::acting::Channel;
use kumiki_engine::apps::{load_definition, AppId, AppScript, LiveApp, ScriptEvent, PREVIEW};
use kumiki_engine::records::{field_viewable, get_record};
use kumiki_engine::{EngineResult, FieldErrors, UserError};
use kumiki_scripting::{ScriptFailure, ScriptRun};
use serde_json::{json, Map, Value};

use super::call::Call;
use crate::error::ApiError;
use crate::params::Params;

/// `POST /api/app/script/test.json {app, script: {name, source, events}} | {app, name}, event,
/// id?, record?` → `{record, changes: [{field, label, before, after}], errors, logs, failure}`.
/// For app managers. The script runs as the caller against the record `id` with the values of
/// `record` put over it (the values the tester typed), or against `record` alone, or an empty new
/// record; writes to other apps are only logged, and everything the run touched is rolled back.
pub fn test_run(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app_id = p.i64("app")?;
    let app = managed_app(call, app_id)?;
    let script = script_param(call, app_id, p)?;
    let event = event_param(p)?;
    let typed = match p.opt_object("record")? {
        Some(record) => viewable(&app, bare_values(record)),
        None => Map::new(),
    };
    let input: Map<String, Value> = match p.opt_i64("id")? {
        Some(id) => {
            let stored = get_record(call.conn, &app, id)?;
            // Fields the caller may not view of this record stay out of the run.
            let mut values: Map<String, Value> = stored
                .values
                .iter()
                .filter(|(code, _)| {
                    app.definition.field(code).is_some() && field_viewable(&app, &stored, code)
                })
                .map(|(code, v)| (code.clone(), v.clone()))
                .collect();
            // The typed values go over the record's; its system fields keep the stored values.
            for (code, v) in typed {
                let editable = app
                    .definition
                    .field(&code)
                    .is_some_and(|f| !f.property.field_type.is_system());
                if editable {
                    values.insert(code, v);
                }
            }
            values
        }
        None => typed,
    };
    let runtime = Arc::clone(&call.state.scripts);
    let acting = call.acting.clone().in_channel(Channel::Script);
    let actor = call.actor();
    let run = rolled_back(call, |conn| {
        runtime.test_run(conn, &app, &acting, &actor, &script, event, input.clone())
    })?;
    let changes = changes(&app, &input, &run.values);
    let mut answer = run_json(&app, run);
    answer["changes"] = Value::Array(changes);
    Ok(answer)
}

/// `GET|POST /api/record/script/change.json {app, field, record}` (the page sends a GET with a body:
/// POST with `X-HTTP-Method-Override: GET`, so no write lock is taken) → `{record, errors, logs, failure}`:
/// the record after every enabled `field.change` script of the live app ran (read-only) with
/// `field` as the changed field. For users who may add or edit records of the app.
pub fn field_change(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = call.live_app(p.i64("app")?, AppRight::View)?;
    let field = p
        .opt_str("field")?
        .ok_or_else(|| ApiError::invalid("field", "Enter the code of the changed field."))?;
    if app.definition.field(&field).is_none() {
        return Err(UserError::FormFieldNotFound(field).into());
    }
    let values = viewable(
        &app,
        bare_values(p.opt_object("record")?.unwrap_or(&Map::new())),
    );
    let runtime = Arc::clone(&call.state.scripts);
    let acting = call.acting.clone().in_channel(Channel::Script);
    let actor = call.actor();
    let run = rolled_back(call, |conn| {
        runtime.field_change(conn, &app, &acting, &actor, &field, values.clone())
    })?;
    Ok(run_json(&app, run))
}

/// The app for its managers: live with the caller's rights, or, before the first deploy, the
/// pre-live definition (there are no records yet).
fn managed_app(call: &mut Call, app_id: i64) -> Result<LiveApp, ApiError> {
    Ok(call.acting.open_for_settings(call.conn, AppId(app_id))?)
}

/// The script to try: the edited one sent whole, else the saved (pre-live) one named `name`.
fn script_param(call: &mut Call, app_id: i64, p: &Params) -> Result<AppScript, ApiError> {
    if let Some(value) = p.get("script").filter(|v| v.is_object()) {
        let mut script: AppScript = serde_json::from_value(value.clone())
            .map_err(|e| ApiError::invalid("script", &format!("Enter a script: {e}.")))?;
        script.enabled = true;
        return Ok(script);
    }
    let name = p
        .opt_str("name")?
        .ok_or_else(|| ApiError::invalid("script", "Enter the script or its name."))?;
    let (definition, _) = load_definition(call.conn, AppId(app_id), PREVIEW)?
        .ok_or_else(|| UserError::AppNotFound(app_id.to_string()))?;
    definition
        .scripts
        .into_iter()
        .find(|s| s.name == name)
        .ok_or_else(|| ApiError::invalid("name", &format!("The app has no script named {name}.")))
}

fn event_param(p: &Params) -> Result<ScriptEvent, ApiError> {
    let name = p
        .opt_str("event")?
        .unwrap_or_else(|| "create.submit".to_owned());
    serde_json::from_value(Value::String(name.clone()))
        .map_err(|_| ApiError::invalid("event", &format!("{name} is not a script event.")))
}

/// Runs `f` inside a savepoint of the call's transaction and rolls the savepoint back whatever
/// happened, so a test run or a live field change never leaves a trace.
fn rolled_back<T>(
    call: &mut Call,
    f: impl FnOnce(&mut kumiki_engine::db::DbConn) -> EngineResult<T>,
) -> Result<T, ApiError> {
    call.conn.batch_execute("SAVEPOINT kumiki_script_dry_run")?;
    let result = f(call.conn);
    call.conn
        .batch_execute("ROLLBACK TO SAVEPOINT kumiki_script_dry_run")?;
    call.conn
        .batch_execute("RELEASE SAVEPOINT kumiki_script_dry_run")?;
    Ok(result?)
}

/// kintone's write shape (`{code: {value}}`) or bare values → bare values, as the engine reads them.
fn bare_values(record: &Map<String, Value>) -> Map<String, Value> {
    record
        .iter()
        .map(|(code, v)| {
            let bare = match v {
                Value::Object(o) if o.contains_key("value") => {
                    o.get("value").cloned().unwrap_or(Value::Null)
                }
                other => other.clone(),
            };
            (code.clone(), bare)
        })
        .collect()
}

/// Leaves out fields the caller may not view (whoever created the record).
fn viewable(app: &LiveApp, values: Map<String, Value>) -> Map<String, Value> {
    values
        .into_iter()
        .filter(|(code, _)| app.access.field_queryable(&app.definition, code))
        .collect()
}

fn run_json(app: &LiveApp, run: ScriptRun) -> Value {
    let record: Map<String, Value> = viewable(app, run.values)
        .into_iter()
        .map(|(code, v)| (code, json!({ "value": v })))
        .collect();
    json!({
        "record": record,
        "errors": errors_json(&run.errors),
        "logs": run.logs,
        "failure": run.failure.as_ref().map(failure_json),
    })
}

fn errors_json(errors: &FieldErrors) -> Value {
    Value::Object(
        errors
            .iter()
            .map(|(k, v)| (k.clone(), json!({ "messages": v })))
            .collect(),
    )
}

/// A failure as the pages read it; a syntax error adds its catalog message (`messageKey`,
/// `messageArgs`), which the page shows in the user's language.
fn failure_json(f: &ScriptFailure) -> Value {
    json!({
        "script": f.script, "line": f.line, "column": f.column, "message": f.message,
        "messageKey": f.syntax.as_ref().map(|s| s.key.clone()),
        "messageArgs": f.syntax.as_ref().map(|s| s.args.clone()).unwrap_or_default(),
    })
}

/// The fields whose value the script changed, in form order.
fn changes(app: &LiveApp, before: &Map<String, Value>, after: &Map<String, Value>) -> Vec<Value> {
    let empty = Value::Null;
    let codes: Vec<&String> = after.keys().chain(before.keys()).collect();
    let mut seen = std::collections::HashSet::new();
    codes
        .into_iter()
        .filter(|code| seen.insert(code.as_str()))
        .filter(|code| app.definition.field(code).is_some())
        .filter(|code| {
            !same(
                before.get(*code).unwrap_or(&empty),
                after.get(*code).unwrap_or(&empty),
            )
        })
        .map(|code| {
            let label = app
                .definition
                .field(code)
                .map(|f| f.property.label.clone())
                .unwrap_or_else(|| code.clone());
            json!({
                "field": code,
                "label": label,
                "before": before.get(code).cloned().unwrap_or(Value::Null),
                "after": after.get(code).cloned().unwrap_or(Value::Null),
            })
        })
        .collect()
}

/// Equal values, counting an absent value, null and "" as the same empty value.
fn same(a: &Value, b: &Value) -> bool {
    let blank = |v: &Value| matches!(v, Value::Null) || v.as_str() == Some("");
    (blank(a) && blank(b)) || a == b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_shapes_become_bare_values_and_blanks_compare_equal() -> Result<(), String> {
        let record = json!({"a": {"value": "x"}, "b": "y", "c": {"value": null}});
        let Value::Object(map) = record else {
            return Err("not an object".into());
        };
        let bare = bare_values(&map);
        assert_eq!(bare.get("a"), Some(&json!("x")));
        assert_eq!(bare.get("b"), Some(&json!("y")));
        assert_eq!(bare.get("c"), Some(&Value::Null));
        assert!(same(&Value::Null, &json!("")));
        assert!(same(&json!(["a"]), &json!(["a"])));
        assert!(!same(&json!("2026-12-17"), &Value::Null));
        Ok(())
    }
}
