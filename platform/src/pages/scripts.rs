//! Script settings (`GET /apps/{id}/scripts`): where an app manager writes the app's rhai scripts,
//! binds them to events, checks them on save and tries them against a record without saving.
//!
//! The page renders the frame; `script_editor.js` (the code editor: line numbers, indentation) and
//! `scripts.js` read and write the pre-live scripts through `/api/app/scripts.json`, run
//! `/api/app/script/test.json` and read `/api/app/script/logs.json` with the session's CSRF token.
//! docs/scripts.md "Editor".

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::json;

use super::session::page_for;
use super::Page;
use crate::i18n;
use crate::state::AppState;

#[derive(Serialize)]
struct ScriptsData {
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
    let data = ScriptsData {
        app_id: app.app_id,
        app_name: app.name.clone(),
        deployed: app.live_revision.is_some(),
    };
    page_for(
        &state,
        &app.user,
        Page {
            template: "scripts",
            title: format!("{} – {}", i18n::t(app.lang, "scripts.title"), app.name),
            data: &data,
            page_data: json!({
                "app": app.app_id.to_string(),
                "previewRevision": app.preview_revision.to_string(),
                "liveRevision": app.live_revision.map(|r| r.to_string()),
                "unpublished": app.live_revision != Some(app.preview_revision),
                "lang": app.lang.code(),
            }),
            scripts: vec!["script_editor.js", "scripts.js"],
        },
    )
}
