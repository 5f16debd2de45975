//! App scripts as app settings (`/api/app/scripts.json`: read live, or pre-live with
//! `preview=true`; write pre-live, deployed with the other settings by `app/deploy`) and the
//! script log (`/api/app/script/logs.json`). Both need the app-management right: script sources
//! and logs are the builder's, not the users'.
//!
//! Issue 12: the scripts answer carries who last changed them and when (`changedBy`, `changedAt`:
//! the scripts act within that person's rights), and a log line whose run read other apps' records
//! is shown only to its runner and to readers who may see everything in those apps (`hidden`
//! otherwise, without its message).

use std::collections::HashSet;

use kumiki_engine::acl::{Accessibility, AppRight};
use kumiki_engine::apps::{script_change, AppId, AppScript, LIVE, PREVIEW};
use kumiki_engine::{FieldErrors, UserError};
use serde_json::{json, Value};

use super::call::Call;
use super::form::{change_preview, stage_definition};
use crate::error::ApiError;
use crate::params::Params;

/// Scripts per app.
const MAX_SCRIPTS: usize = 20;
/// Declared other apps per script.
const MAX_DECLARED_APPS: usize = 50;
const MAX_NAME_CHARS: usize = 64;

pub fn get_scripts(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let preview = p.opt_bool("preview")?.unwrap_or(false);
    call.app_row(p.i64("app")?, AppRight::Manage)?;
    let (def, revision) = stage_definition(call, p, preview)?;
    let stage = if preview { PREVIEW } else { LIVE };
    let change = script_change(call.conn, AppId(p.i64("app")?), stage)?;
    Ok(json!({
        "scripts": def.scripts,
        "revision": revision.to_string(),
        "changedBy": change.as_ref().map(|c| c.by.clone()),
        "changedAt": change.as_ref().map(|c| c.at.to_string()),
    }))
}

pub fn update_scripts(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let list = p
        .opt_array("scripts")?
        .ok_or_else(|| ApiError::invalid("scripts", "Required field."))?
        .clone();
    let mut errors = FieldErrors::new();
    let mut scripts: Vec<AppScript> = Vec::with_capacity(list.len());
    if list.len() > MAX_SCRIPTS {
        errors.insert(
            "scripts".into(),
            vec![format!("An app can have at most {MAX_SCRIPTS} scripts.").into()],
        );
    }
    let mut names = HashSet::new();
    for (i, item) in list.iter().enumerate() {
        match serde_json::from_value::<AppScript>(item.clone()) {
            Ok(s) => {
                let name = s.name.trim();
                if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
                    errors.insert(
                        format!("scripts[{i}].name"),
                        vec![format!("Enter a name of 1 to {MAX_NAME_CHARS} characters.").into()],
                    );
                } else if !names.insert(name.to_owned()) {
                    errors.insert(
                        format!("scripts[{i}].name"),
                        vec![format!("The name \"{name}\" is used by another script.").into()],
                    );
                }
                if s.apps.len() > MAX_DECLARED_APPS {
                    errors.insert(
                        format!("scripts[{i}].apps"),
                        vec![
                            format!("A script can declare at most {MAX_DECLARED_APPS} apps.")
                                .into(),
                        ],
                    );
                }
                for (j, a) in s.apps.iter().enumerate() {
                    let code_ok = a.code.as_deref().is_some_and(|c| {
                        !c.is_empty() && c.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    });
                    if a.app.is_some() == a.code.is_some() || (a.code.is_some() && !code_ok) {
                        errors.insert(
                            format!("scripts[{i}].apps[{j}]"),
                            vec![
                                "Name the app by its id (app) or by its app code (code), not both."
                                    .into(),
                            ],
                        );
                    }
                }
                scripts.push(s);
            }
            Err(e) => {
                errors.insert(
                    format!("scripts[{i}]"),
                    vec![format!(
                        "Invalid script: {e}. Events are create.submit, edit.submit, save.after, process.before, field.change, schedule.hourly and schedule.daily."
                    ).into()],
                );
            }
        }
    }
    if !errors.is_empty() {
        return Err(UserError::Validation(errors).into());
    }
    for s in &scripts {
        call.state
            .scripts
            .check(&s.name, &s.source)
            .map_err(UserError::from)?;
    }
    change_preview(call, p, move |def| {
        def.scripts = scripts;
        Ok(())
    })
}

/// The newest log lines (`limit`, default 200), lines not yet written first.
pub fn get_logs(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = p.i64("app")?;
    call.app_row(app, AppRight::Manage)?;
    let limit = p.opt_i64("limit")?.unwrap_or(200);
    let mut lines = call.state.scripts.pending_logs().of_app(AppId(app));
    lines.reverse();
    lines.extend(kumiki_scripting::logs::stored_logs(
        call.conn,
        AppId(app),
        limit,
    )?);
    lines.truncate(usize::try_from(limit.max(1)).unwrap_or(200));
    let mut seen: std::collections::HashMap<i64, bool> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let mut shown = line.runner == call.acting.user_code();
        if !shown {
            shown = true;
            for source in line.source_apps() {
                let open = match seen.get(&source.0) {
                    Some(open) => *open,
                    None => {
                        let open = sees_everything(call, source)?;
                        seen.insert(source.0, open);
                        open
                    }
                };
                shown &= open;
            }
        }
        let mut v = serde_json::to_value(&line).map_err(kumiki_engine::EngineError::from)?;
        v["hidden"] = json!(!shown);
        if !shown {
            v["message"] = json!("");
        }
        out.push(v);
    }
    Ok(json!({ "logs": out }))
}

/// Whether the caller may see every record and every field of `app` (so that no value a script
/// read from it can be hidden from them).
fn sees_everything(call: &mut Call, app: AppId) -> Result<bool, ApiError> {
    let Some(access) = call.acting.app_access(call.conn, app)? else {
        return Ok(false);
    };
    Ok(access.rights.view
        && !access.has_record_rules()
        && access
            .fields
            .values()
            .all(|w| w.get(true) >= Accessibility::Read && w.get(false) >= Accessibility::Read))
}
