//! The bell's pages: `/notifications` (the signed-in user's notifications, unread first, with links
//! and "mark all read"), and the header's unread count (`unread_for`, a `Chrome` field).

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::TimeZone;
use kumiki_engine::notifications::bell::{self, Paging};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::session::{page_for, require_user, SessionUser};
use super::Page;
use crate::i18n::{self, Lang};
use crate::state::{blocking, AppState};

const PAGE_SIZE: i64 = 30;

/// The header's unread count; 0 (logged) when the database cannot say.
pub(super) fn unread_for(state: &AppState, user: &SessionUser) -> i64 {
    let counted = state
        .conn()
        .map_err(|e| e.to_string())
        .and_then(|mut c| bell::unread_count(&mut c, &user.code).map_err(|e| e.to_string()));
    match counted {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "unread notification count failed");
            0
        }
    }
}

/// A link that stays inside Kumiki: a path, never a scheme or another host.
fn inside_link(link: &str) -> String {
    if link.starts_with('/') && !link.starts_with("//") && !link.starts_with("/\\") {
        link.to_owned()
    } else {
        String::new()
    }
}

#[derive(Serialize)]
struct Row {
    id: i64,
    kind: String,
    kind_label: String,
    title: String,
    body: String,
    link: String,
    actor: String,
    at: String,
    unread: bool,
}

#[derive(Serialize)]
struct ListData {
    rows: Vec<Row>,
    unread: i64,
    total: i64,
    page: i64,
    prev: Option<i64>,
    next: Option<i64>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    page: Option<i64>,
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> HttpResponse {
    let user = match require_user(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let lang = Lang::parse(&user.locale).unwrap_or(Lang::Ja);
    let page_no = q.page.unwrap_or(1).clamp(1, 10_000);
    let tz: chrono_tz::Tz = user.timezone.parse().unwrap_or(chrono_tz::Asia::Tokyo);
    let st = state.clone();
    let code = user.code.clone();
    let loaded = blocking(move || {
        let mut conn = st.conn()?;
        let paging = Paging {
            offset: (page_no - 1) * PAGE_SIZE,
            limit: PAGE_SIZE,
            unread_first: true,
            unread_only: false,
        };
        let list = bell::list(&mut conn, &code, paging)?;
        // Who caused each notification, by name (the bell stores their code).
        let mut actors: Vec<String> = list.notifications.iter().map(|n| n.actor.clone()).collect();
        actors.sort();
        actors.dedup();
        let names = kumiki_engine::users::display_names(&mut conn, &actors)?;
        Ok((list, names))
    })
    .await;
    let (list, names) = match loaded {
        Ok(l) => l,
        Err(e) => return e.response(lang == Lang::Ja),
    };
    let rows = list
        .notifications
        .into_iter()
        .map(|n| Row {
            id: n.id,
            kind_label: i18n::t(lang, &format!("notify.kind.{}", n.kind)),
            kind: n.kind,
            title: n.title,
            body: n.body,
            link: inside_link(&n.link),
            actor: names.get(&n.actor).cloned().unwrap_or(n.actor),
            at: tz
                .timestamp_opt(n.created_at, 0)
                .single()
                .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default(),
            unread: n.read_at.is_none(),
        })
        .collect();
    let data = ListData {
        rows,
        unread: list.unread,
        total: list.total,
        page: page_no,
        prev: (page_no > 1).then_some(page_no - 1),
        next: (page_no * PAGE_SIZE < list.total).then_some(page_no + 1),
    };
    page_for(
        &state,
        &user,
        Page {
            template: "notifications",
            title: i18n::t(lang, "notify.title"),
            data: &data,
            page_data: json!({"unread": data.unread}),
            scripts: vec!["notifications.js"],
        },
    )
}

/// `/apps/{id}/notifications` (kintone's アプリの設定 > 通知): the general rules, per-record
/// conditions and reminders, read and saved through `preview/app/notifications/*.json` by
/// `notification_settings.js` and published like the other settings pages.
pub async fn settings_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    match super::managed_app::managed_app(&req, &state, &path.into_inner()).await {
        Ok(app) => app.render_settings_page(
            &state,
            "notification_settings",
            "notify.settings.title",
            vec!["entity_picker.js", "notification_settings.js"],
        ),
        Err(response) => response,
    }
}
