//! App scripts as app settings (`/api/app/scripts.json`: read live, or pre-live with
//! `preview=true`; write pre-live, deployed with the other settings by `app/deploy`) and the
//! script log (`/api/app/script/logs.json`). Both need the app-management right: script sources
//! and logs are the builder's, not the users'.

use std::collections::HashSet;

use kumiki_engine::acl::AppRight;
use kumiki_engine::apps::{AppId, AppScript};
use kumiki_engine::{FieldErrors, UserError};
use serde_json::{json, Value};

use super::call::Call;
use super::form::{change_preview, stage_definition};
use crate::error::ApiError;
use crate::params::Params;

/// Scripts per app.
const MAX_SCRIPTS: usize = 20;
const MAX_NAME_CHARS: usize = 64;

pub fn get_scripts(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let preview = p.opt_bool("preview")?.unwrap_or(false);
    call.app_row(p.i64("app")?, AppRight::Manage)?;
    let (def, revision) = stage_definition(call, p, preview)?;
    Ok(json!({"scripts": def.scripts, "revision": revision.to_string()}))
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
    Ok(json!({ "logs": lines }))
}
