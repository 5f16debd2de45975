//! Permission settings (`GET /apps/{id}/permissions`): where an app manager sets who may use the app
//! (app rights), which records each organisation may see or change (record rights, e.g. scenario 2:
//! each municipality edits only its own roster rows) and who may see or change each field (field
//! rights), then publishes them with the app.
//!
//! The page renders the frame; `permissions.js` reads and writes the pre-live settings through the
//! kintone API (`/k/v1/preview/{app,record,field}/acl.json`, `preview/app/deploy.json`) with the
//! session's CSRF token. docs/api.md "Permissions".

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::json;

use super::session::page_for;
use super::Page;
use crate::i18n;
use crate::state::AppState;

#[derive(Serialize)]
struct PermissionsData {
    app_id: i64,
    app_name: String,
    deployed: bool,
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    let app = match super::managed_app::managed_app(&req, &state, &path.into_inner()).await {
        Ok(app) => app,
        Err(response) => return response,
    };
    let (user, lang, app_id) = (&app.user, app.lang, app.app_id);
    let summary = &app;
    let data = PermissionsData {
        app_id,
        app_name: summary.name.clone(),
        deployed: summary.live_revision.is_some(),
    };
    page_for(
        &state,
        user,
        Page {
            template: "permissions",
            title: format!("{} – {}", i18n::t(lang, "perm.title"), summary.name),
            data: &data,
            page_data: json!({
                "app": app_id.to_string(),
                "previewRevision": summary.preview_revision.to_string(),
                "liveRevision": summary.live_revision.map(|r| r.to_string()),
                "unpublished": summary.live_revision != Some(summary.preview_revision),
                "isAdmin": user.is_admin,
                "lang": lang.code(),
            }),
            scripts: vec!["permissions.js"],
        },
    )
}
