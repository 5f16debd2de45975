//! `app.json`, `apps.json`, `preview/app.json` (create) and `preview/app/deploy.json`.

use kumiki_engine::acl::{check_app_access, AppRight, Principal};
use kumiki_engine::apps::{self, load_definition, AppDefinition, AppId, AppRow, LIVE, PREVIEW};
use kumiki_engine::users::User;
use serde_json::{json, Value};

use super::call::Call;
use super::form::check_definition;
use crate::error::ApiError;
use crate::params::{as_i64, Params};

fn iso(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%S.000Z").to_string())
        .unwrap_or_default()
}

fn user_json(call: &mut Call, code: &str) -> Result<Value, ApiError> {
    let name = User::find_by_code(call.conn, code)?
        .map(|u| u.name)
        .unwrap_or_else(|| code.to_owned());
    Ok(json!({"code": code, "name": name}))
}

/// The app as `app.json` describes it (live settings, or pre-live for a never-deployed app).
fn app_json(call: &mut Call, row: &AppRow) -> Result<Value, ApiError> {
    let def = match load_definition(call.conn, AppId(row.id), LIVE)? {
        Some((d, _)) => d,
        None => load_definition(call.conn, AppId(row.id), PREVIEW)?
            .map(|(d, _)| d)
            .ok_or_else(ApiError::internal)?,
    };
    Ok(json!({
        "appId": row.id.to_string(),
        "code": def.code,
        "name": def.name,
        "description": def.description,
        "spaceId": row.space().map(|s| s.to_string()),
        "threadId": row.thread().map(|s| s.to_string()),
        "createdAt": iso(row.created_at),
        "creator": user_json(call, &row.creator)?,
        "modifiedAt": iso(row.modified_at),
        "modifier": user_json(call, &row.modifier)?,
    }))
}

pub fn get_app(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let row = call.app_row(p.i64("id")?, AppRight::View)?;
    app_json(call, &row)
}

pub fn get_apps(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    if call.caller.principal.is_token() {
        return Err(kumiki_engine::UserError::TokenNotPermitted.into());
    }
    let ids: Option<Vec<i64>> = p
        .opt_i64_list("ids")?
        .map(|l| l.into_iter().flatten().collect());
    let codes = p.opt_str_list("codes")?;
    let name = p.opt_str("name")?.filter(|n| !n.is_empty());
    let space_ids: Option<Vec<i64>> = p
        .opt_i64_list("spaceIds")?
        .map(|l| l.into_iter().flatten().collect());
    let limit = p.opt_i64("limit")?.unwrap_or(100);
    let offset = p.opt_i64("offset")?.unwrap_or(0);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid("limit", "Enter a number from 1 to 100."));
    }
    if offset < 0 {
        return Err(ApiError::invalid("offset", "Enter 0 or more."));
    }
    let mut out = Vec::new();
    let mut skipped = 0;
    // Only apps the caller may view (what `app.json` would answer), through the URL's path.
    for visible in call.acting.visible_apps(call.conn)? {
        if check_app_access(&visible.access, AppRight::View).is_err() {
            continue;
        }
        let row = visible.row;
        if ids.as_ref().is_some_and(|ids| !ids.contains(&row.id)) {
            continue;
        }
        if space_ids
            .as_ref()
            .is_some_and(|s| !row.space().is_some_and(|id| s.contains(&id)))
        {
            continue;
        }
        let app = app_json(call, &row)?;
        let app_name = app["name"].as_str().unwrap_or_default();
        if name
            .as_ref()
            .is_some_and(|n| !app_name.to_lowercase().contains(&n.to_lowercase()))
        {
            continue;
        }
        if codes
            .as_ref()
            .is_some_and(|c| !c.iter().any(|c| app["code"] == *c))
        {
            continue;
        }
        if skipped < offset {
            skipped += 1;
            continue;
        }
        out.push(app);
        if i64::try_from(out.len()).unwrap_or(i64::MAX) >= limit {
            break;
        }
    }
    Ok(json!({"apps": out}))
}

pub fn create_app(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    if !matches!(call.caller.principal, Principal::User { .. }) {
        return Err(kumiki_engine::UserError::TokenNotPermitted.into());
    }
    let name = p.opt_str("name")?.unwrap_or_default();
    if name.trim().is_empty() || name.chars().count() > 64 {
        return Err(ApiError::invalid(
            "name",
            "Enter an app name of 1 to 64 characters.",
        ));
    }
    let space = p.opt_i64("space")?;
    let thread = p.opt_i64("thread")?;
    let (id, revision) = match space {
        // In a space: its members (or admins, by the space's createApp) within the server's policy.
        Some(space) => kumiki_engine::spaces::apps::create_app_in_space(
            call.conn,
            call.acting,
            AppDefinition::new(&name),
            space,
            thread,
        )?,
        None => apps::create_app_as(call.conn, call.acting, AppDefinition::new(&name))?,
    };
    Ok(json!({"app": id.0.to_string(), "revision": revision.to_string()}))
}

pub fn deploy(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let list = p
        .opt_array("apps")?
        .ok_or_else(|| ApiError::invalid("apps", "Required field."))?;
    if list.is_empty() || list.len() > 300 {
        return Err(ApiError::invalid("apps", "Specify from 1 to 300 apps."));
    }
    let revert = p.opt_bool("revert")?.unwrap_or(false);
    let user = call.caller.principal.acting_user().to_owned();
    for (i, entry) in list.iter().enumerate() {
        let app = entry
            .get("app")
            .and_then(as_i64)
            .ok_or_else(|| ApiError::invalid(&format!("apps[{i}].app"), "Required field."))?;
        let revision = entry.get("revision").and_then(as_i64);
        call.app_row(app, AppRight::Manage)?;
        // The deploy runs inside this call's transaction; one failing app fails the whole call.
        apps::deploy(
            call.conn,
            AppId(app),
            revision,
            revert,
            &user,
            |_conn, preview, _live| {
                check_definition(preview).map_err(kumiki_engine::EngineError::User)
            },
        )?;
        let detail = json!({ "revert": revert, "revision": revision });
        call.audit(
            kumiki_engine::audit::action::APP_DEPLOY,
            &format!("app:{app}"),
            detail,
        )?;
    }
    Ok(json!({}))
}

pub fn deploy_status(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let ids = p
        .opt_i64_list("apps")?
        .ok_or_else(|| ApiError::invalid("apps", "Required field."))?;
    let mut out = Vec::new();
    for (i, id) in ids.into_iter().enumerate() {
        let id =
            id.ok_or_else(|| ApiError::invalid(&format!("apps[{i}]"), "Enter an integer value."))?;
        let row = call.app_row(id, AppRight::Manage)?;
        out.push(json!({"app": id.to_string(), "status": row.deploy_status}));
    }
    Ok(json!({"apps": out}))
}
