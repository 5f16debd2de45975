//! Script settings (`GET /apps/{id}/scripts`): where an app manager writes the app's rhai scripts,
//! binds them to events, checks them on save and tries them against a record without saving.
//!
//! The page renders the frame; `script_editor.js` (the code editor: line numbers, indentation) and
//! `scripts.js` read and write the pre-live scripts through `/api/app/scripts.json`, run
//! `/api/app/script/test.json` and read `/api/app/script/logs.json` with the session's CSRF token.
//! docs/scripts.md "Editor".

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
            "scripts",
            "scripts.title",
            vec!["script_editor.js", "scripts.js"],
        ),
        Err(response) => response,
    }
}
