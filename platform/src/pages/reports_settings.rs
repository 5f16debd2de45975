//! Chart settings (`GET /apps/{id}/charts`, kintone's グラフの設定, issue 16): where an app manager
//! adds, edits, reorders and deletes the app's charts — name, type, mode, up to three groups (with
//! the date unit), the aggregations, the filter condition and the sort — saves them pre-live and
//! publishes them with the app's other settings.
//!
//! The page renders the frame; `reports_settings.js` reads and writes `preview/app/reports.json`
//! (the engine's `reports::replace_reports` checks every chart, one rule for the API and the page)
//! and deploys with `preview/app/deploy.json`. docs/charts.md.

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
            "reports_settings",
            "cs.title",
            vec![
                "records_common.js",
                "settings_list.js",
                "reports_settings.js",
            ],
        ),
        Err(response) => response,
    }
}
