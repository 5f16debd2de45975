//! The form designer (`GET /apps/{id}/settings`): where department staff build and change an app's
//! form in the browser — drag fields from a palette onto the form, edit each field's settings, save
//! them to the pre-live stage and publish.
//!
//! The page itself only renders the frame and hands the app id, its revisions and whether it has
//! unpublished changes to `designer.js`; everything is read and written through the kintone API
//! (`/k/v1/preview/app/form/...`) and `/api/app/formula/check.json`, with the session's CSRF token.

use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::acl::{check_app, AppRight, Principal};
use kumiki_engine::apps::{load_definition, AppId, AppRow, LIVE, PREVIEW};
use serde::Serialize;
use serde_json::json;

use super::session::{page_for, require_user, SessionUser};
use super::Page;
use crate::i18n::{self, Lang};
use crate::state::{blocking, AppState};

#[derive(Serialize)]
struct DesignerData {
    app_id: i64,
    app_name: String,
    deployed: bool,
}

/// What the page needs to know before its script loads the definition.
struct AppSummary {
    name: String,
    preview_revision: i64,
    live_revision: Option<i64>,
}

fn principal(user: &SessionUser) -> Principal {
    user.principal()
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
    // A malformed id is a page that does not exist.
    let Ok(app_id) = path.into_inner().parse::<i64>() else {
        return super::not_found(&state, lang, Some(&user));
    };
    let st = state.get_ref().clone();
    let p = principal(&user);
    let summary = blocking(move || {
        let mut conn = st.conn()?;
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
    let unpublished = summary.live_revision != Some(summary.preview_revision);
    let data = DesignerData {
        app_id,
        app_name: summary.name.clone(),
        deployed: summary.live_revision.is_some(),
    };
    page_for(
        &state,
        &user,
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
