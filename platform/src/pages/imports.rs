//! The import page of an app (`GET /apps/{id}/import`, issue 16): upload a CSV or XLSX, choose the
//! encoding or sheet, map columns to fields, choose 追加 or 更新 by a key, read the preview and the
//! report per row and column, run it, and follow its progress. `?id=<import>` reopens an import
//! (after a reload, or from the record list while one is running).
//!
//! The page renders the frame; `records_import.js` does the work through
//! `/api/records/import.json` and `/api/records/import/run.json` (the same engine use cases as the
//! API), so the page needs no rule of its own: the app is opened here with the import right only to
//! answer the not-found page to anyone who may not import.

use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::acl::AppRight;
use kumiki_engine::apps::AppId;
use kumiki_engine::EngineError;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::session::{page_for, require_user, SessionUser};
use super::Page;
use crate::error::ApiError;
use crate::i18n::{self, Lang};
use crate::state::{blocking, AppState};

#[derive(Serialize)]
struct ImportData {
    app_id: i64,
    app_name: String,
}

#[derive(Deserialize)]
pub struct ImportQuery {
    id: Option<String>,
}

/// The app's name and the guest-space path its API calls take, when the user may import into it.
fn load(
    state: &AppState,
    user: &SessionUser,
    app: i64,
) -> Result<Option<(String, Option<i64>)>, ApiError> {
    let mut conn = state.conn()?;
    let acting = user.acting(state);
    let live = match acting.open_app(&mut conn, AppId(app), AppRight::Import) {
        Ok(live) => live,
        Err(EngineError::User(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let space = acting.app_path(&mut conn, &live.row)?;
    Ok(Some((live.definition.name.clone(), space)))
}

/// `GET /apps/{id}/import` (`?id=<import>`).
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<ImportQuery>,
) -> HttpResponse {
    let user = match require_user(&req, &state).await {
        Ok(u) => u,
        Err(redirect) => return redirect,
    };
    let lang = Lang::parse(&user.locale).unwrap_or(Lang::Ja);
    let Some(app_id) = path.parse::<i64>().ok().filter(|n| *n > 0) else {
        return super::not_found(&state, lang, Some(&user));
    };
    let import = q
        .into_inner()
        .id
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|n| *n > 0);
    let st = state.get_ref().clone();
    let u = user.clone();
    let (app_name, space) = match blocking(move || load(&st, &u, app_id)).await {
        Ok(Some(found)) => found,
        Ok(None) => return super::not_found(&state, lang, Some(&user)),
        Err(_) => return super::internal_error(&state, lang, Some(&user)),
    };
    let data = ImportData {
        app_id,
        app_name: app_name.clone(),
    };
    page_for(
        &state,
        &user,
        Page {
            template: "records_import",
            title: format!("{} - {app_name}", i18n::t(lang, "import.title")),
            data: &data,
            page_data: json!({
                "app": app_id.to_string(),
                "appName": app_name,
                "import": import.map(|i| i.to_string()),
                "lang": lang.code(),
                // kumiki.js calls the API through this guest space's path.
                "guestSpace": space.map(|s| s.to_string()),
            }),
            scripts: vec!["records_import.js"],
        },
    )
}
