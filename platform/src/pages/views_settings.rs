//! View settings (`GET /apps/{id}/views`, kintone's 一覧の設定): where an app manager adds, renames,
//! reorders and deletes the app's list and calendar views, chooses and orders their columns (system
//! fields, Status and Assignee included) by drag and drop or with buttons, sets their filter with the
//! condition builder and their sort keys, saves them pre-live and publishes them with the app.
//!
//! The page renders the frame; `views_settings.js` reads and writes `preview/app/views.json` and
//! deploys with `preview/app/deploy.json` through the kintone API with the session's CSRF token.
//! docs/api.md "Views".

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::json;

use super::session::page_for;
use super::Page;
use crate::i18n;
use crate::state::AppState;

#[derive(Serialize)]
struct ViewsSettingsData {
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
    let data = ViewsSettingsData {
        app_id: app.app_id,
        app_name: app.name.clone(),
        deployed: app.live_revision.is_some(),
    };
    page_for(
        &state,
        &app.user,
        Page {
            template: "views_settings",
            title: format!("{} – {}", i18n::t(app.lang, "vs.title"), app.name),
            data: &data,
            page_data: json!({
                "app": app.app_id.to_string(),
                "previewRevision": app.preview_revision.to_string(),
                "unpublished": app.live_revision != Some(app.preview_revision),
                "timezone": app.user.timezone,
                "lang": app.lang.code(),
            }),
            scripts: vec!["records_common.js", "views_query.js", "views_settings.js"],
        },
    )
}
