//! View settings (`GET /apps/{id}/views`, kintone's 一覧の設定): where an app manager adds, renames,
//! reorders and deletes the app's list and calendar views, chooses and orders their columns (system
//! fields, Status and Assignee included) by drag and drop or with buttons, sets their filter with the
//! condition builder and their sort keys, saves them pre-live and publishes them with the app.
//!
//! The page renders the frame; `views_settings.js` reads and writes `preview/app/views.json` and
//! deploys with `preview/app/deploy.json` through the kintone API with the session's CSRF token.
//! docs/api.md "Views".

use actix_web::{web, HttpRequest, HttpResponse};

use crate::state::AppState;

/// The page, for the app's managers; anyone else gets the not-found page.
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    match super::managed_app::managed_app(&req, &state, &path.into_inner()).await {
        Ok(app) => app.render_settings_page(
            &state,
            "views_settings",
            "vs.title",
            vec![
                "records_common.js",
                "views_query.js",
                "settings_list.js",
                "views_settings.js",
            ],
        ),
        Err(response) => response,
    }
}
