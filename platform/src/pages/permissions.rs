//! Permission settings (`GET /apps/{id}/permissions`): where an app manager sets who may use the app
//! (app rights), which records each organisation may see or change (record rights, e.g. scenario 2:
//! each municipality edits only its own roster rows) and who may see or change each field (field
//! rights), then publishes them with the app.
//!
//! The page renders the frame; `permissions.js` reads and writes the pre-live settings through the
//! kintone API (`/k/v1/preview/{app,record,field}/acl.json`, `preview/app/deploy.json`) with the
//! session's CSRF token. docs/api.md "Permissions".

use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::acl::{check_app, AppRight};
use kumiki_engine::apps::{load_definition, AppId, AppRow, LIVE, PREVIEW};
use serde::Serialize;
use serde_json::json;

use super::session::{page_for, require_user};
use super::Page;
use crate::i18n::{self, Lang};
use crate::state::{blocking, AppState};

#[derive(Serialize)]
struct PermissionsData {
    app_id: i64,
    app_name: String,
    deployed: bool,
}

struct AppSummary {
    name: String,
    preview_revision: i64,
    live_revision: Option<i64>,
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    let user = match require_user(&req, &state).await {
        Ok(u) => u,
        Err(redirect) => return redirect,
    };
    let lang = Lang::parse(&user.locale).unwrap_or(Lang::Ja);
    let Ok(app_id) = path.into_inner().parse::<i64>() else {
        return super::not_found(&state, lang, Some(&user));
    };
    let st = state.get_ref().clone();
    let p = user.principal();
    let summary = blocking(move || {
        let mut conn = st.conn()?;
        // The same checks as the designer: only app managers see the settings.
        let manages =
            kumiki_engine::acl::load_access(&mut conn, &p, AppId(app_id), chrono_tz::Asia::Tokyo)?
                .is_some_and(|a| {
                    kumiki_engine::acl::check_app_access(&a, AppRight::Manage).is_ok()
                });
        if AppRow::find(&mut conn, AppId(app_id))?.is_none()
            || check_app(&p, AppId(app_id), AppRight::Manage).is_err()
            || !manages
        {
            return Ok(None);
        }
        let Some((preview, preview_revision)) = load_definition(&mut conn, AppId(app_id), PREVIEW)?
        else {
            return Ok(None);
        };
        let live_revision = load_definition(&mut conn, AppId(app_id), LIVE)?.map(|(_, r)| r);
        Ok(Some(AppSummary {
            name: preview.name,
            preview_revision,
            live_revision,
        }))
    })
    .await;
    let summary = match summary {
        Ok(Some(s)) => s,
        Ok(None) => return super::not_found(&state, lang, Some(&user)),
        Err(_) => return super::internal_error(&state, lang, Some(&user)),
    };
    let data = PermissionsData {
        app_id,
        app_name: summary.name.clone(),
        deployed: summary.live_revision.is_some(),
    };
    page_for(
        &state,
        &user,
        Page {
            template: "permissions",
            title: format!("{} – {}", i18n::t(lang, "perm.title"), summary.name),
            data: &data,
            page_data: json!({
                "app": app_id.to_string(),
                "previewRevision": summary.preview_revision.to_string(),
                "liveRevision": summary.live_revision.map(|r| r.to_string()),
                "unpublished": summary.live_revision != Some(summary.preview_revision),
                "isAdmin": user.is_admin,
                "lang": lang.code(),
            }),
            scripts: vec!["permissions.js"],
        },
    )
}
