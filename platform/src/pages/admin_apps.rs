//! `GET /admin/app-creation`: who may create apps and import packages (administrators only).
//! The page shows the setting; the form saves it through `PUT /api/admin/app-creation.json`
//! (`routes/app_creation.rs`, audited) from `static/admin.js`, like the other admin pages.

use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::apps::{AppCreationPolicy, CreationMode};
use kumiki_engine::org;
use kumiki_engine::users::User;
use serde::Serialize;
use serde_json::Value;

use super::admin::{require_admin, show};
use crate::error::ApiError;
use crate::state::{blocking, AppState};

#[derive(Serialize)]
struct Choice {
    code: String,
    name: String,
    selected: bool,
}

#[derive(Serialize)]
struct ModeChoice {
    value: &'static str,
    label_key: &'static str,
    selected: bool,
}

#[derive(Serialize)]
struct CreationData {
    modes: Vec<ModeChoice>,
    users: Vec<Choice>,
    departments: Vec<Choice>,
    groups: Vec<Choice>,
}

fn load(state: &AppState) -> Result<(CreationData, Value), ApiError> {
    let mut conn = state.conn()?;
    let policy = AppCreationPolicy::load(&mut conn)?;
    let modes = [
        (CreationMode::Administrators, "administrators"),
        (CreationMode::Listed, "listed"),
        (CreationMode::Everyone, "everyone"),
    ]
    .into_iter()
    .map(|(mode, value)| ModeChoice {
        value,
        label_key: match mode {
            CreationMode::Administrators => "security_rights.creation.mode.administrators",
            CreationMode::Listed => "security_rights.creation.mode.listed",
            CreationMode::Everyone => "security_rights.creation.mode.everyone",
        },
        selected: policy.mode == mode,
    })
    .collect();
    let users = User::list(&mut conn)?
        .into_iter()
        .filter(|u| u.is_active)
        .map(|u| Choice {
            selected: policy.users.contains(&u.code),
            name: format!("{} ({})", u.name, u.code),
            code: u.code,
        })
        .collect();
    let departments = org::department_tree(&mut conn)?
        .into_iter()
        .map(|n| Choice {
            selected: policy.departments.contains(&n.department.code),
            name: format!("{}{}", "　".repeat(n.depth), n.department.name),
            code: n.department.code,
        })
        .collect();
    let groups = org::list_groups(&mut conn)?
        .into_iter()
        .map(|g| Choice {
            selected: policy.groups.contains(&g.code),
            name: g.name,
            code: g.code,
        })
        .collect();
    Ok((
        CreationData {
            modes,
            users,
            departments,
            groups,
        },
        Value::Null,
    ))
}

/// `GET /admin/app-creation`.
pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let user = match require_admin(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let st = state.get_ref().clone();
    let loaded = blocking(move || load(&st)).await;
    show(
        &state,
        &user,
        loaded,
        "admin_app_creation",
        "security_rights.creation.title",
    )
}
