//! Process management settings (`GET /apps/{id}/process`, kintone's プロセス管理): where an app
//! manager — a department user as well as an administrator — switches the workflow on, lists the
//! statuses with their assignees, and draws the actions between them (with conditions made in the
//! same condition builder as the record list), watching a live diagram of the unsaved edits.
//!
//! The page renders the frame; `process_settings.js` reads and writes the pre-live settings through
//! the kintone API (`/k/v1/preview/app/status.json`, `preview/app/deploy.json`) and draws the preview
//! through `POST /api/app/diagram.svg` (`routes::process_preview`).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::json;

use super::session::page_for;
use super::Page;
use crate::i18n;
use crate::state::AppState;

#[derive(Serialize)]
struct ProcessSettingsData {
    app_id: i64,
    app_name: String,
    /// The breadcrumb links the record list only once the app is live.
    deployed: bool,
}

/// The page, for the app's managers; anyone else gets the not-found page.
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    let app = match super::managed_app::managed_app(&req, &state, &path.into_inner()).await {
        Ok(app) => app,
        Err(response) => return response,
    };
    let data = ProcessSettingsData {
        app_id: app.app_id,
        app_name: app.name.clone(),
        deployed: app.live_revision.is_some(),
    };
    page_for(
        &state,
        &app.user,
        Page {
            template: "process_settings",
            title: format!("{} – {}", i18n::t(app.lang, "procset.title"), app.name),
            data: &data,
            page_data: json!({
                "app": app.app_id.to_string(),
                "previewRevision": app.preview_revision.to_string(),
                "liveRevision": app.live_revision.map(|r| r.to_string()),
                "unpublished": app.live_revision != Some(app.preview_revision),
                "lang": app.lang.code(),
            }),
            // The condition builder of the record list (views_query.js) needs records_common.js.
            scripts: vec![
                "records_common.js",
                "views_query.js",
                "entity_picker.js",
                "process_settings.js",
            ],
        },
    )
}
