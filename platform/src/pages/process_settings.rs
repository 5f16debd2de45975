//! Process management settings (`GET /apps/{id}/process`, kintone's プロセス管理): where an app
//! manager — a department user as well as an administrator — switches the workflow on, lists the
//! statuses with their assignees, and draws the actions between them (with conditions made in the
//! same condition builder as the record list), watching a live diagram of the unsaved edits.
//!
//! The page renders the frame; `process_settings.js` reads and writes the pre-live settings through
//! the kintone API (`/k/v1/preview/app/status.json`, `preview/app/deploy.json`) and draws the preview
//! through `POST /api/app/diagram.svg` (`routes::process_preview`).

use actix_web::{web, HttpRequest, HttpResponse};

use crate::state::AppState;

/// The page, for the app's managers; anyone else gets the not-found page.
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    match super::managed_app::managed_app(&req, &state, &path.into_inner()).await {
        // The condition builder of the record list (views_query.js) needs records_common.js.
        Ok(app) => app.render_settings_page(
            &state,
            "process_settings",
            "procset.title",
            vec![
                "records_common.js",
                "views_query.js",
                "entity_picker.js",
                "process_settings.js",
            ],
        ),
        Err(response) => response,
    }
}
