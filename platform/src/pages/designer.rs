//! The form designer (`GET /apps/{id}/settings`): where department staff build and change an app's
//! form in the browser — drag fields from a palette onto the form, edit each field's settings, save
//! them to the pre-live stage and publish.
//!
//! The page itself only renders the frame and hands the app id, its revisions and whether it has
//! unpublished changes to `designer.js`; everything is read and written through the kintone API
//! (`/k/v1/preview/app/form/...`) and `/api/app/formula/check.json`, with the session's CSRF token.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::json;

use super::session::page_for;
use super::Page;
use crate::i18n;
use crate::state::AppState;

#[derive(Serialize)]
struct DesignerData {
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
    let unpublished = summary.live_revision != Some(summary.preview_revision);
    let data = DesignerData {
        app_id,
        app_name: summary.name.clone(),
        deployed: summary.live_revision.is_some(),
    };
    page_for(
        &state,
        user,
        Page {
            template: "designer",
            title: format!("{} – {}", i18n::t(lang, "designer.title"), summary.name),
            data: &data,
            page_data: json!({
                "app": app_id,
                "previewRevision": summary.preview_revision.to_string(),
                "liveRevision": summary.live_revision.map(|r| r.to_string()),
                "deployed": summary.live_revision.is_some(),
                "unpublished": unpublished,
                "lang": lang.code(),
            }),
            scripts: vec!["designer-model.js", "designer.js", "designer-panel.js"],
        },
    )
}
