//! App review pages: `GET /apps/{id}/review` — the app builder submits the pre-live settings with a
//! comment and follows the state; a reviewer (administrator or member of `it-reviewers`) reads the
//! difference from the live settings, the workflow diagram, and approves or rejects with a comment —
//! and `GET /apps/{id}/versions` — every deployed version, the difference between any two, and
//! rollback. The pages render the frame; `review.js` and `versions.js` work through `/api/app/...`.

use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::acl::{check_app, AppRight};
use kumiki_engine::apps::{load_definition, AppId, AppRow, LIVE, PREVIEW};
use kumiki_engine::review;
use serde::Serialize;
use serde_json::json;

use super::session::{page_for, require_user};
use super::Page;
use crate::i18n::{self, Lang};
use crate::state::{blocking, AppState};

#[derive(Serialize)]
struct ReviewData {
    app_id: i64,
    app_name: String,
    is_reviewer: bool,
    may_manage: bool,
}

struct Summary {
    name: String,
    may_manage: bool,
}

enum Which {
    Review,
    Versions,
}

async fn render(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    which: Which,
) -> HttpResponse {
    let user = match require_user(&req, &state).await {
        Ok(u) => u,
        Err(redirect) => return redirect,
    };
    let lang = Lang::parse(&user.locale).unwrap_or(Lang::Ja);
    let Ok(app_id) = path.into_inner().parse::<i64>() else {
        return super::not_found(&state, lang, Some(&user));
    };
    let p = user.principal();
    let reviewer = review::is_reviewer(&p);
    let st = state.get_ref().clone();
    let summary = blocking(move || {
        let mut conn = st.conn()?;
        let Some(row) = AppRow::find(&mut conn, AppId(app_id))? else {
            return Ok(None);
        };
        let may_manage = check_app(&p, AppId(app_id), AppRight::Manage).is_ok()
            && kumiki_engine::acl::load_access(
                &mut conn,
                &p,
                AppId(app_id),
                chrono_tz::Asia::Tokyo,
            )?
            .is_some_and(|a| kumiki_engine::acl::check_app_access(&a, AppRight::Manage).is_ok());
        // Reviewers see every app outside guest spaces; others need the manage right.
        if !(may_manage || (reviewer && row.space_id.is_none())) {
            return Ok(None);
        }
        let name = match load_definition(&mut conn, AppId(app_id), LIVE)? {
            Some((d, _)) => d.name,
            None => load_definition(&mut conn, AppId(app_id), PREVIEW)?
                .map(|(d, _)| d.name)
                .unwrap_or_default(),
        };
        Ok(Some(Summary { name, may_manage }))
    })
    .await;
    let summary = match summary {
        Ok(Some(s)) => s,
        Ok(None) => return super::not_found(&state, lang, Some(&user)),
        Err(_) => return super::internal_error(&state, lang, Some(&user)),
    };
    let data = ReviewData {
        app_id,
        app_name: summary.name.clone(),
        is_reviewer: reviewer,
        may_manage: summary.may_manage,
    };
    let (template, title_key, script) = match which {
        Which::Review => ("review", "review.title", "review.js"),
        Which::Versions => ("versions", "versions.title", "versions.js"),
    };
    page_for(
        &state,
        &user,
        Page {
            template,
            title: format!("{} – {}", i18n::t(lang, title_key), summary.name),
            data: &data,
            page_data: json!({
                "app": app_id.to_string(),
                "isReviewer": reviewer,
                "mayManage": summary.may_manage,
                "user": user.code,
                "lang": lang.code(),
            }),
            scripts: vec!["review_common.js", script],
        },
    )
}

pub async fn review_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    render(req, state, path, Which::Review).await
}

pub async fn versions_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    render(req, state, path, Which::Versions).await
}
