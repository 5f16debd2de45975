//! App review pages: `GET /apps/{id}/review` — the app builder submits the pre-live settings with a
//! comment and follows the state; a reviewer (administrator or member of `it-reviewers`) reads the
//! difference from the live settings, the workflow diagram, and approves or rejects with a comment —
//! and `GET /apps/{id}/versions` — every deployed version, the difference between any two, and
//! rollback. The pages render the frame; `review.js` and `versions.js` work through `/api/app/...`,
//! and show times in the user's time zone (`KUMIKI.page.timeZone`). `GET /review` is the reviewers'
//! queue (server-rendered), and `pending_for` the count in the header.

use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::apps::{load_definition, AppId, LIVE, PREVIEW};
use kumiki_engine::review;
use serde::Serialize;
use serde_json::json;

use super::session::{page_for, require_user};
use super::{Page, SessionUser};
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
    let acting = user.acting(&state);
    let reviewer = review::is_reviewer(acting.principal());
    let st = state.get_ref().clone();
    let summary = blocking(move || {
        let mut conn = st.conn()?;
        // Reviewers see every app outside guest spaces; others need the manage right.
        let may_manage = match acting.find_app_for_review(&mut conn, AppId(app_id)) {
            Ok((_, may_manage)) => may_manage,
            Err(kumiki_engine::EngineError::User(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
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
                "timeZone": user.tz(&state).name(),
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

/// How many apps wait for review, for the header of a reviewer's pages; 0 for anyone else. One
/// indexed COUNT, run while the page renders (rendering is synchronous and the count is cheap); a
/// failure is logged and shows no count rather than failing the page.
pub(super) fn pending_for(state: &AppState, user: &SessionUser) -> i64 {
    if !review::is_reviewer(&user.principal()) {
        return 0;
    }
    let counted = state
        .conn()
        .map_err(|e| e.to_string())
        .and_then(|mut c| review::pending_count(&mut c).map_err(|e| e.to_string()));
    match counted {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "review count failed");
            0
        }
    }
}

#[derive(Serialize)]
struct QueueRow {
    app_id: i64,
    app_name: String,
    submission: i64,
    submitter: String,
    submitted_at: String,
    comment: String,
    summary: String,
    outdated: bool,
}

#[derive(Serialize)]
struct QueueData {
    rows: Vec<QueueRow>,
    count: usize,
    is_admin: bool,
}

/// `GET /review`: the apps waiting for review, oldest first (reviewers only; anyone else gets the
/// not-found page).
pub async fn queue_page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let user = match require_user(&req, &state).await {
        Ok(u) => u,
        Err(redirect) => return redirect,
    };
    let lang = Lang::parse(&user.locale).unwrap_or(Lang::Ja);
    if !review::is_reviewer(&user.principal()) {
        return super::not_found(&state, lang, Some(&user));
    }
    let tz = user.tz(&state);
    let st = state.get_ref().clone();
    let loaded = blocking(move || {
        let mut conn = st.conn()?;
        let entries = review::queue::entries(&mut conn)?;
        let mut rows = Vec::new();
        for e in entries {
            let s = &e.submission;
            let submitter = kumiki_engine::users::User::find_by_code(&mut conn, &s.submitter)?
                .map(|u| u.name)
                .unwrap_or_else(|| s.submitter.clone());
            rows.push((e.clone(), submitter));
        }
        Ok(rows)
    })
    .await;
    let entries = match loaded {
        Ok(e) => e,
        Err(_) => return super::internal_error(&state, lang, Some(&user)),
    };
    let sep = if lang == Lang::Ja { "、" } else { ", " };
    let rows: Vec<QueueRow> = entries
        .into_iter()
        .map(|(e, submitter)| {
            let parts: Vec<String> = e
                .summary
                .iter()
                .map(|(section, n)| {
                    i18n::format(
                        lang,
                        "review.queue.summary_item",
                        &[
                            (
                                "section",
                                &i18n::t(lang, &format!("review.section.{section}")),
                            ),
                            ("n", &n.to_string()),
                        ],
                    )
                })
                .collect();
            let summary = if parts.is_empty() {
                i18n::t(lang, "review.queue.summary_none")
            } else {
                parts.join(sep)
            };
            QueueRow {
                app_id: e.submission.app.0,
                app_name: e.app_name,
                submission: e.submission.id,
                submitter,
                submitted_at: chrono::DateTime::from_timestamp(e.submission.submitted_at, 0)
                    .map(|d| d.with_timezone(&tz).format("%Y/%m/%d %H:%M").to_string())
                    .unwrap_or_default(),
                comment: e.submission.comment.clone(),
                summary,
                outdated: e.submission.revision != e.current,
            }
        })
        .collect();
    let data = QueueData {
        count: rows.len(),
        rows,
        is_admin: user.is_admin,
    };
    page_for(
        &state,
        &user,
        Page {
            template: "review_queue",
            title: i18n::t(lang, "review.queue.title"),
            data: &data,
            page_data: json!({}),
            scripts: vec![],
        },
    )
}
