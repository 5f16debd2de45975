//! Process management: settings (`[preview/]app/status.json`), running actions
//! (`record/status.json`, `records/status.json`), changing assignees (`record/assignees.json`), and
//! Kumiki's own `/api/process/actions.json` (what the caller can run on a record now, for the record
//! page's buttons) and `/api/process/assigned.json` ("assigned to me" counts across apps).

use std::collections::HashSet;

use kumiki_engine::acl::{check_app, check_app_access, AppRight, Principal};
use kumiki_engine::apps::{AppId, LiveApp};
use kumiki_engine::fields::FieldType;
use kumiki_engine::process::{self, settings, StatusChange};
use kumiki_engine::query;
use kumiki_engine::records::count_records;
use kumiki_engine::users::User;
use kumiki_engine::{EngineError, UserError};
use serde_json::{json, Map, Value};

use super::call::Call;
use super::form::{change_preview, stage_definition};
use crate::error::ApiError;
use crate::params::{as_i64, Params};

const BULK_LIMIT: usize = 100;

/// `GET [preview/]app/status.json` → `{enable, states, actions, revision}` in kintone's shape
/// (`states`/`actions` null when never set).
pub fn get_status(call: &mut Call, p: &Params, preview: bool) -> Result<Value, ApiError> {
    let (def, revision) = stage_definition(call, p, preview)?;
    let mut out = if def.process.is_empty() {
        let mut m = Map::new();
        m.insert("enable".into(), Value::Bool(false));
        m.insert("states".into(), Value::Null);
        m.insert("actions".into(), Value::Null);
        m
    } else {
        settings::ProcessSettings::from_definition(&def).to_json()
    };
    out.insert("revision".into(), Value::String(revision.to_string()));
    Ok(Value::Object(out))
}

/// `PUT preview/app/status.json {app, enable?, states?, actions?, revision?}` → `{revision}`. Members
/// left out keep their pre-live value; `states` and `actions` replace the whole list. Checked against
/// the pre-live form (spec §5.1) and stored normalized (defaults filled in).
pub fn update_status(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let body = p.0.as_object().cloned().unwrap_or_default();
    // Users named in the settings (sent or kept) are looked up first: the change below runs without
    // the connection.
    let (current, _) = stage_definition(call, p, true)?;
    let mut probe = current.process.clone();
    for key in ["states", "actions"] {
        if let Some(v) = body.get(key) {
            probe.insert(key.into(), v.clone());
        }
    }
    let mut known: HashSet<String> = HashSet::new();
    if let Ok(parsed) = settings::parse(&probe, &current) {
        for code in settings::user_codes(&parsed) {
            if User::find_by_code(call.conn, &code)?.is_some() {
                known.insert(code);
            }
        }
    }
    change_preview(call, p, move |def| {
        let mut merged = def.process.clone();
        for key in ["enable", "states", "actions"] {
            if let Some(v) = body.get(key) {
                merged.insert(key.into(), v.clone());
            }
        }
        let parsed = settings::parse(&merged, def).map_err(UserError::Validation)?;
        let errors = settings::check(&parsed, def, &|u| known.contains(u));
        if !errors.is_empty() {
            return Err(UserError::Validation(errors));
        }
        def.process = parsed.to_json();
        let enabled = def.process_enabled();
        for (_, prop) in def.properties.iter_mut() {
            if matches!(
                prop.field_type,
                FieldType::Status | FieldType::StatusAssignee
            ) {
                prop.enabled = Some(enabled);
            }
        }
        Ok(())
    })
}

fn parse_change(v: &Value, prefix: &str, id_key: &str) -> Result<StatusChange, ApiError> {
    let p = Params(v);
    let key = |k: &str| format!("{prefix}{k}");
    let id = p
        .get(id_key)
        .ok_or_else(|| ApiError::invalid(&key(id_key), "Required field."))
        .and_then(|v| {
            as_i64(v).ok_or_else(|| ApiError::invalid(&key(id_key), "Enter an integer value."))
        })?;
    let action = match p.get("action") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err(ApiError::invalid(&key("action"), "Required field.")),
    };
    let assignee = match p.get("assignee") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(ApiError::invalid(&key("assignee"), "Enter a login name.")),
    };
    let revision = match p.get("revision") {
        None => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(r) => Some(
            as_i64(r)
                .ok_or_else(|| ApiError::invalid(&key("revision"), "Enter an integer value."))?,
        ),
    };
    Ok(StatusChange {
        id,
        action,
        assignee,
        revision,
    })
}

/// `PUT record/status.json {app, id, action, assignee?, revision?}` → `{revision}`.
pub fn update_record_status(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = call.live_app(p.i64("app")?, AppRight::Edit)?;
    let change = parse_change(p.0, "", "id")?;
    let actor = call.actor();
    let out = process::run_actions(call.conn, &app, &[change], &actor, false)?;
    let (_, revision) = out.first().copied().ok_or_else(ApiError::internal)?;
    Ok(json!({ "revision": revision.to_string() }))
}

/// `PUT records/status.json {app, records: [{id, action, assignee?, revision?}]}` (≤100, all or
/// nothing) → `{records: [{id, revision}]}`.
pub fn update_records_status(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = call.live_app(p.i64("app")?, AppRight::Edit)?;
    let list = p
        .opt_array("records")?
        .ok_or_else(|| ApiError::invalid("records", "Required field."))?;
    if list.is_empty() || list.len() > BULK_LIMIT {
        return Err(ApiError::invalid(
            "records",
            "Specify from 1 to 100 records.",
        ));
    }
    let changes = list
        .iter()
        .enumerate()
        .map(|(i, v)| parse_change(v, &format!("records[{i}]."), "id"))
        .collect::<Result<Vec<_>, _>>()?;
    let actor = call.actor();
    let out = process::run_actions(call.conn, &app, &changes, &actor, true)?;
    let records: Vec<Value> = out
        .iter()
        .map(|(id, revision)| json!({"id": id.to_string(), "revision": revision.to_string()}))
        .collect();
    Ok(json!({ "records": records }))
}

/// App managers for assignee changes: system administrators, the app's creator, users given the
/// manage right by an app ACL (without one, everyone "manages" settings, but assignee changes stay
/// with the creator and administrators), and API tokens with the app-management right.
fn is_app_manager(call: &Call, app: &LiveApp) -> bool {
    let row = &app.row;
    match &call.caller.principal {
        Principal::User { is_admin, code, .. } if *is_admin || row.creator == *code => true,
        Principal::User { .. } => app.definition.app_acl.is_some() && app.access.rights.manage,
        p @ Principal::Tokens(_) => check_app(p, AppId(row.id), AppRight::Manage).is_ok(),
        Principal::System => true,
        Principal::PublicForm { .. } => false,
    }
}

/// `PUT record/assignees.json {app, id, assignees[], revision?}` → `{revision}`. Allowed for the
/// record's current assignees and for app managers (`is_app_manager`).
pub fn update_assignees(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = call.live_app(p.i64("app")?, AppRight::Edit)?;
    let id = p.i64("id")?;
    let codes = p
        .opt_str_list("assignees")?
        .ok_or_else(|| ApiError::invalid("assignees", "Required field."))?;
    let revision = p.opt_i64("revision")?;
    let manager = is_app_manager(call, &app);
    let actor = call.actor();
    let revision = process::set_assignees(call.conn, &app, id, &codes, revision, &actor, manager)?;
    Ok(json!({ "revision": revision.to_string() }))
}

/// `GET /api/process/actions.json?app&id` → `{enabled, status, assignees[{code,name}], actions[{name,
/// to, type, assigneeRequired, assigneeCandidates[{code,name}]}], revision}`: what the caller may run
/// on the record now (conditions, assignees and executable users applied). An app without process
/// management answers `{enabled: false, status: null, assignees: [], actions: [], revision}` — a
/// normal state of the record, not an error (the record page asks on every app).
pub fn actions(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = call.live_app(p.i64("app")?, AppRight::View)?;
    let id = p.i64("id")?;
    let actor = call.actor();
    let record = kumiki_engine::records::get_record(call.conn, &app, id)?;
    let found = match process::available_actions(call.conn, &app, id, &actor) {
        Ok(found) => found,
        Err(EngineError::User(UserError::ProcessDisabled)) => {
            return Ok(json!({
                "enabled": false,
                "status": null,
                "assignees": [],
                "actions": [],
                "revision": record.revision.to_string(),
            }));
        }
        Err(e) => return Err(e.into()),
    };
    let assignees = app
        .definition
        .field_of_type(FieldType::StatusAssignee)
        .and_then(|f| record.values.get(&f.property.code).cloned())
        .unwrap_or_else(|| json!([]));
    let actions: Vec<Value> = found
        .actions
        .iter()
        .map(|a| {
            json!({
                "name": a.name,
                "to": a.to,
                "type": a.kind.name(),
                "assigneeRequired": !a.choose_from.is_empty(),
                "assigneeCandidates": a.choose_from.iter()
                    .map(|(code, name)| json!({"code": code, "name": name}))
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(json!({
        "enabled": true,
        "status": found.status,
        "assignees": assignees,
        "actions": actions,
        "revision": record.revision.to_string(),
    }))
}

/// `GET /api/process/assigned.json` → `{apps: [{app, name, count}]}`: for every live app with
/// process management on that the caller may view, how many records list the caller as assignee
/// (`Assignee in (LOGINUSER())`). Apps with none are left out. Signed-in users only.
pub fn assigned(call: &mut Call, _p: &Params) -> Result<Value, ApiError> {
    if call.caller.principal.is_token() {
        return Err(ApiError::no_privilege());
    }
    let mut out = Vec::new();
    for visible in call.acting.visible_apps(call.conn)? {
        if check_app_access(&visible.access, AppRight::View).is_err() {
            continue;
        }
        // With the caller's rights attached, the count leaves out records they may not view.
        let Some(app) = visible.into_live() else {
            continue;
        };
        if !app.definition.process_enabled() {
            continue;
        }
        let Some(assignee) = app.definition.field_of_type(FieldType::StatusAssignee) else {
            continue;
        };
        let ctx = call.query_context(&app);
        let q = query::prepare(
            &format!("{} in (LOGINUSER())", assignee.property.code),
            &ctx,
        )?;
        let count = count_records(call.conn, &app, &q, &ctx)?;
        if count > 0 {
            out.push(json!({
                "app": app.row.id.to_string(),
                "name": app.definition.name,
                "count": count.to_string(),
                "assigneeField": assignee.property.code,
            }));
        }
    }
    Ok(json!({ "apps": out }))
}
