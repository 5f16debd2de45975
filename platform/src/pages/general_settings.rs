//! General settings (`GET /apps/{id}/general`, kintone's アプリの設定 > 一般設定): the app's name,
//! description, icon, record title field, default view and code, and for administrators whether the
//! app must pass review before it goes live.
//!
//! The page renders the frame and the icon choices; `general_settings.js` reads and writes the
//! pre-live settings through `/k/v1/preview/app/settings.json` (with the form fields and views as
//! choices) and publishes with `preview/app/deploy.json`, like the permissions page.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::json;

use super::app_icons::APP_ICONS;
use super::session::page_for;
use super::Page;
use crate::i18n;
use crate::state::AppState;

#[derive(Serialize)]
struct IconChoice {
    key: &'static str,
    label: String,
}

#[derive(Serialize)]
struct GeneralData {
    app_id: i64,
    app_name: String,
    deployed: bool,
    is_admin: bool,
    icons: Vec<IconChoice>,
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
    let data = GeneralData {
        app_id,
        app_name: app.name.clone(),
        deployed: app.live_revision.is_some(),
        is_admin: user.is_admin,
        icons: APP_ICONS
            .iter()
            .map(|key| IconChoice {
                key,
                label: i18n::t(lang, &format!("general.icon.{key}")),
            })
            .collect(),
    };
    page_for(
        &state,
        user,
        Page {
            template: "general_settings",
            title: format!("{} – {}", i18n::t(lang, "general.title"), app.name),
            data: &data,
            page_data: json!({
                "app": app_id.to_string(),
                "previewRevision": app.preview_revision.to_string(),
                "liveRevision": app.live_revision.map(|r| r.to_string()),
                "isAdmin": user.is_admin,
                "lang": lang.code(),
            }),
            scripts: vec!["general_settings.js", "package_status.js"],
        },
    )
}
