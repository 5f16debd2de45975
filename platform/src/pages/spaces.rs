//! The space pages (issue 13, spaces part):
//! - `GET /spaces`: the spaces I may enter, a form to create one, and one to create one from a
//!   template;
//! - `GET /spaces/{id}`: the body, the threads (each linking to `/spaces/{id}/threads/{tid}`, the
//!   thread page), the apps and the members; join and leave buttons;
//! - `GET /spaces/{id}/settings` (space admins): name, body, switches, members, threads, save as
//!   template, delete.
//!
//! Pages read through the engine's space use cases with the user's page acting context; a guest
//! space is read through its own guest path, and its page data names that path (`apiBase`) so the
//! page's scripts call `/k/guest/{id}/v1/...`. Writes go through the kintone API from
//! `static/spaces.js`. A space the user may not enter answers like a missing page.

use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::acting::ActingContext;
use kumiki_engine::spaces::store::{self, SpaceDetail};
use kumiki_engine::spaces::{self as sp, templates, Membership, Space};
use kumiki_engine::users::User;
use serde::Serialize;
use serde_json::json;

use super::session::{page_for, require_user, SessionUser};
use super::Page;
use crate::error::ApiError;
use crate::i18n::{self, Lang};
use crate::state::{blocking, AppState};

#[derive(Serialize)]
struct SpaceRow {
    id: i64,
    name: String,
    is_private: bool,
    is_guest: bool,
    is_admin: bool,
    is_member: bool,
}

#[derive(Serialize)]
struct TemplateRow {
    id: i64,
    name: String,
}

#[derive(Serialize)]
struct ListData {
    spaces: Vec<SpaceRow>,
    templates: Vec<TemplateRow>,
    may_create: bool,
}

/// What a page failed with: not found (or not allowed), or a fault.
enum Failed {
    NotFound,
    Internal,
}

fn failed(e: ApiError) -> Failed {
    if e.status.is_client_error() {
        Failed::NotFound
    } else {
        Failed::Internal
    }
}

fn answer(state: &AppState, user: &SessionUser, f: Failed) -> HttpResponse {
    let lang = Lang::parse(&user.locale).unwrap_or(Lang::Ja);
    match f {
        Failed::NotFound => super::not_found(state, lang, Some(user)),
        Failed::Internal => super::internal_error(state, lang, Some(user)),
    }
}

/// `GET /spaces`.
pub async fn list_page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let user = match require_user(&req, &state).await {
        Ok(u) => u,
        Err(redirect) => return redirect,
    };
    let lang = Lang::parse(&user.locale).unwrap_or(Lang::Ja);
    let st = state.get_ref().clone();
    let acting = user.acting(&state);
    let guest = user.guest;
    let loaded = blocking(move || {
        let mut conn = st.conn()?;
        let spaces = store::list_spaces(&mut conn, &acting)?;
        let templates = if guest {
            Vec::new()
        } else {
            templates::list_templates(&mut conn, &acting)?
        };
        Ok((spaces, templates))
    })
    .await;
    let (spaces, tpls) = match loaded {
        Ok(v) => v,
        Err(e) => return answer(&state, &user, failed(e)),
    };
    let data = ListData {
        spaces: spaces
            .into_iter()
            .map(|(s, m)| SpaceRow {
                id: s.id,
                name: s.name,
                is_private: s.is_private,
                is_guest: s.is_guest,
                is_admin: m == Membership::Admin,
                is_member: m != Membership::None,
            })
            .collect(),
        templates: tpls
            .into_iter()
            .map(|t| TemplateRow {
                id: t.id,
                name: t.name,
            })
            .collect(),
        may_create: !guest,
    };
    page_for(
        &state,
        &user,
        Page {
            template: "spaces_list",
            title: i18n::t(lang, "spaces.title"),
            data: &data,
            page_data: json!({"view": "list", "user": user.code}),
            scripts: vec!["entity_picker.js", "spaces.js"],
        },
    )
}

#[derive(Serialize)]
struct ThreadRow {
    id: i64,
    name: String,
    href: String,
}

#[derive(Serialize)]
struct AppRow {
    id: i64,
    name: String,
    href: String,
}

#[derive(Serialize)]
struct MemberRow {
    kind_key: String,
    code: String,
    name: String,
    is_admin: bool,
    include_subs: bool,
}

#[derive(Serialize)]
struct SpaceData {
    id: i64,
    name: String,
    /// Sanitised when stored and again here (`spaces::html::sanitize`): the template prints it raw.
    body: String,
    is_private: bool,
    is_guest: bool,
    use_multi_thread: bool,
    fixed_member: bool,
    create_app_admin: bool,
    is_admin: bool,
    is_member: bool,
    may_join: bool,
    may_leave: bool,
    may_create_app: bool,
    member_count: usize,
    threads: Vec<ThreadRow>,
    apps: Vec<AppRow>,
    members: Vec<MemberRow>,
    /// Issue 16, dashboards: the space's pins, with the viewer's rights (empty on the settings page).
    dashboard: super::dashboard::BoardView,
}

/// The user's page acting context for space `id`: through the space's guest path when it is a
/// guest space (pages of guest spaces act as the guest-path API does).
fn acting_for(
    conn: &mut kumiki_engine::db::DbConn,
    base: ActingContext,
    id: i64,
) -> Result<ActingContext, ApiError> {
    let guest = Space::find(conn, id)?.filter(|s| s.is_guest).map(|s| s.id);
    Ok(base.through_guest_space(guest))
}

fn load_space(
    state: &AppState,
    user: &SessionUser,
    id: i64,
    with_board: bool,
) -> Result<SpaceData, ApiError> {
    let mut conn = state.conn()?;
    let acting = acting_for(&mut conn, user.acting(state), id)?;
    let d: SpaceDetail = store::get_space(&mut conn, &acting, id)?;
    let entries = sp::member_entries(&mut conn, id)?;
    let mut members = Vec::new();
    for m in entries {
        let name = match m.entity_type.as_str() {
            sp::USER => User::find_by_code(&mut conn, &m.code)?.map(|u| u.name),
            sp::GROUP => kumiki_engine::org::find_group(&mut conn, &m.code)?.map(|g| g.name),
            _ => kumiki_engine::org::find_department(&mut conn, &m.code)?.map(|d| d.name),
        };
        members.push(MemberRow {
            kind_key: format!("entity_picker.kind.{}", m.entity_type.to_lowercase()),
            name: name.unwrap_or_else(|| m.code.clone()),
            code: m.code,
            is_admin: m.is_admin,
            include_subs: m.include_subs,
        });
    }
    let dashboard = if with_board {
        let lang = Lang::parse(&user.locale).unwrap_or(Lang::Ja);
        let board = kumiki_engine::dashboards::Board::Space(id);
        super::dashboard::board_view(&mut conn, &acting, lang, &board)?
    } else {
        super::dashboard::BoardView::default()
    };
    let s = &d.space;
    let is_admin = d.membership == Membership::Admin;
    let is_member = d.membership != Membership::None;
    Ok(SpaceData {
        id: s.id,
        name: s.name.clone(),
        body: kumiki_engine::spaces::html::sanitize(&s.body),
        is_private: s.is_private,
        is_guest: s.is_guest,
        use_multi_thread: s.use_multi_thread,
        fixed_member: s.fixed_member,
        create_app_admin: s.create_app == "ADMIN",
        is_admin,
        is_member,
        may_join: !is_member && !s.fixed_member && !s.is_private && !user.guest,
        may_leave: is_member && !s.fixed_member,
        may_create_app: is_admin || (is_member && s.create_app != "ADMIN"),
        member_count: d.member_count,
        threads: d
            .threads
            .iter()
            .map(|t| ThreadRow {
                id: t.id,
                name: t.name.clone(),
                href: format!("/spaces/{}/threads/{}", s.id, t.id),
            })
            .collect(),
        apps: d
            .apps
            .iter()
            .map(|a| AppRow {
                id: a.row.id,
                name: a.name.clone(),
                href: format!("/apps/{}", a.row.id),
            })
            .collect(),
        members,
        dashboard,
    })
}

fn api_base(data: &SpaceData) -> String {
    if data.is_guest {
        format!("/k/guest/{}/v1/", data.id)
    } else {
        "/k/v1/".to_owned()
    }
}

async fn space_common(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    settings: bool,
) -> HttpResponse {
    let user = match require_user(&req, &state).await {
        Ok(u) => u,
        Err(redirect) => return redirect,
    };
    let lang = Lang::parse(&user.locale).unwrap_or(Lang::Ja);
    let id = path.into_inner();
    let st = state.get_ref().clone();
    let u = user.clone();
    let data = match blocking(move || load_space(&st, &u, id, !settings)).await {
        Ok(d) => d,
        Err(e) => return answer(&state, &user, failed(e)),
    };
    if settings && !data.is_admin {
        return super::not_found(&state, lang, Some(&user));
    }
    let page_data = json!({
        "view": if settings { "settings" } else { "space" },
        "space": data.id,
        "apiBase": api_base(&data),
        "multiThread": data.use_multi_thread,
        "user": user.code,
    });
    let title = if settings {
        i18n::format(lang, "spaces.settings.title", &[("name", &data.name)])
    } else {
        data.name.clone()
    };
    page_for(
        &state,
        &user,
        Page {
            template: if settings { "space_settings" } else { "space" },
            title,
            data: &data,
            page_data,
            // threads_unread.js: issue 13, threads2 part (unread badges beside the threads).
            // dashboards.js: issue 16, the pins' remove and move buttons.
            scripts: vec![
                "entity_picker.js",
                "spaces.js",
                "threads_unread.js",
                "dashboards.js",
            ],
        },
    )
}

/// `GET /spaces/{id}`.
pub async fn space_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> HttpResponse {
    space_common(req, state, path, false).await
}

/// `GET /spaces/{id}/settings` (space admins).
pub async fn settings_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> HttpResponse {
    space_common(req, state, path, true).await
}
