//! The survey relay pages (issue 14, 調査照会; docs/surveys.md):
//! - `GET /surveys`: sent and received surveys (tabs), a search box;
//! - `GET /surveys/new`, `GET /surveys/{id}/edit`: the draft editor (host users only);
//! - `GET /surveys/{id}`: the sender's dashboard (owners);
//! - `GET /surveys/answers/{id}`: the recipient's answer page (the bell's links point here);
//! - `GET /surveys/lists`: saved recipient lists.
//!
//! Each handler renders a frame with page data; the page's script calls `/api/surveys/...`. The
//! handlers ask the engine's one access rule (`surveys::access`) first, so a survey or answer the
//! user may not see answers the not-found page, exactly like a missing one. A guest calls through
//! the path of its guest space (`/api/guest/<space>/surveys/...`): the list page names the guest
//! spaces the user belongs to (`guestSpaces`), and the answer page the one of its answer's
//! organisation (`guestSpace`, which `kumiki.js` then applies to every call). Guests never create
//! surveys: the editor, dashboard and list pages answer not found for them.

use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::surveys::access;
use serde::Serialize;
use serde_json::{json, Value};

use super::session::{page_for, require_user, SessionUser};
use super::Page;
use super::{look, parse_id, Found};
use crate::error::ApiError;
use crate::i18n::{self, Lang};
use crate::state::{blocking, AppState};

#[derive(Serialize)]
struct SurveysData {
    is_guest: bool,
    /// The survey's id on the editor (empty for a new survey) and the dashboard.
    id: String,
}

#[derive(Serialize)]
struct GuestSpaceRow {
    id: String,
    name: String,
}

fn lang_of(user: &SessionUser) -> Lang {
    Lang::parse(&user.locale).unwrap_or(Lang::Ja)
}

/// The guest spaces `user` belongs to (for a guest, the paths its calls may take).
async fn guest_spaces(
    state: &AppState,
    user: &SessionUser,
) -> Result<Vec<GuestSpaceRow>, ApiError> {
    if !user.guest {
        return Ok(Vec::new());
    }
    let st = state.clone();
    let principal = user.principal();
    blocking(move || {
        let mut conn = st.conn()?;
        Ok(
            kumiki_engine::guests::guest_spaces_of(&mut conn, &principal)?
                .into_iter()
                .map(|s| GuestSpaceRow {
                    id: s.id.to_string(),
                    name: s.name,
                })
                .collect(),
        )
    })
    .await
}

/// Renders one of the survey pages with its page data.
fn frame(
    state: &AppState,
    user: &SessionUser,
    template: &str,
    title_key: &str,
    id: String,
    mut page_data: Value,
    scripts: Vec<&'static str>,
) -> HttpResponse {
    let lang = lang_of(user);
    if let Value::Object(map) = &mut page_data {
        map.insert("me".into(), Value::String(user.code.clone()));
        map.insert("guest".into(), Value::Bool(user.guest));
    }
    let data = SurveysData {
        is_guest: user.guest,
        id,
    };
    page_for(
        state,
        user,
        Page {
            template,
            title: i18n::t(lang, title_key),
            data: &data,
            page_data,
            scripts,
        },
    )
}

/// The survey `id` if the user owns it: `Ok(())`, else the page to answer with.
async fn owned(state: &AppState, user: &SessionUser, id: i64) -> Result<(), HttpResponse> {
    let lang = lang_of(user);
    match look(state, user, move |conn, acting| {
        access::owned_survey(conn, acting, id).map(|_| ())
    })
    .await
    {
        Found::Yes(()) => Ok(()),
        Found::No => Err(super::not_found(state, lang, Some(user))),
        Found::Fault => Err(super::internal_error(state, lang, Some(user))),
    }
}

/// `GET /surveys`.
pub async fn list_page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let user = match require_user(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let spaces = match guest_spaces(&state, &user).await {
        Ok(s) => s,
        Err(_) => return super::internal_error(&state, lang_of(&user), Some(&user)),
    };
    frame(
        &state,
        &user,
        "surveys_list",
        "surveys.title",
        String::new(),
        json!({"view": "list", "guestSpaces": spaces}),
        vec!["surveys_common.js", "surveys_list.js"],
    )
}

/// A host-only page (guests never create or manage surveys): the user, or the not-found page.
async fn host_user(req: &HttpRequest, state: &AppState) -> Result<SessionUser, HttpResponse> {
    let user = require_user(req, state).await?;
    if user.guest {
        return Err(super::not_found(state, lang_of(&user), Some(&user)));
    }
    Ok(user)
}

/// `GET /surveys/new`.
pub async fn new_page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let user = match host_user(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    frame(
        &state,
        &user,
        "surveys_edit",
        "surveys.edit.new_title",
        String::new(),
        json!({"view": "edit", "id": Value::Null}),
        EDITOR_SCRIPTS.to_vec(),
    )
}

/// The scripts of the draft editor (new and edit).
const EDITOR_SCRIPTS: [&str; 5] = [
    "surveys_common.js",
    "surveys_form.js",
    "surveys_fields_editor.js",
    "surveys_recipients.js",
    "surveys_edit.js",
];

/// `GET /surveys/{id}/edit`.
pub async fn edit_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    let user = match host_user(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let Some(id) = parse_id(&path.into_inner()) else {
        return super::not_found(&state, lang_of(&user), Some(&user));
    };
    if let Err(page) = owned(&state, &user, id).await {
        return page;
    }
    frame(
        &state,
        &user,
        "surveys_edit",
        "surveys.edit.title",
        id.to_string(),
        json!({"view": "edit", "id": id.to_string()}),
        EDITOR_SCRIPTS.to_vec(),
    )
}

/// `GET /surveys/{id}`: the dashboard.
pub async fn dashboard_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    let user = match host_user(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let Some(id) = parse_id(&path.into_inner()) else {
        return super::not_found(&state, lang_of(&user), Some(&user));
    };
    if let Err(page) = owned(&state, &user, id).await {
        return page;
    }
    frame(
        &state,
        &user,
        "surveys_dashboard",
        "surveys.dashboard.title",
        id.to_string(),
        json!({"view": "dashboard", "id": id.to_string()}),
        vec!["surveys_common.js", "surveys_dashboard.js"],
    )
}

/// `GET /surveys/answers/{id}`: the recipient's page (and the owners' view of one answer). A
/// guest's calls go through the guest space of the answer's organisation.
pub async fn answer_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    let user = match require_user(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let lang = lang_of(&user);
    let Some(id) = parse_id(&path.into_inner()) else {
        return super::not_found(&state, lang, Some(&user));
    };
    // The page channel lets a guest reach its own guest spaces' answers without a path (G6).
    let org = match look(&state, &user, move |conn, acting| {
        access::open_answer(conn, acting, id).map(|(_, a, _)| (a.org_kind, a.org_code))
    })
    .await
    {
        Found::Yes(org) => org,
        Found::No => return super::not_found(&state, lang, Some(&user)),
        Found::Fault => return super::internal_error(&state, lang, Some(&user)),
    };
    // A guest's API calls take the path of the answer's guest space.
    let guest_space = (user.guest && org.0 == kumiki_engine::surveys::SPACE).then_some(org.1);
    frame(
        &state,
        &user,
        "surveys_answer",
        "surveys.answer.title",
        id.to_string(),
        json!({"view": "answer", "id": id.to_string(), "guestSpace": guest_space}),
        vec!["surveys_common.js", "surveys_form.js", "surveys_answer.js"],
    )
}

/// `GET /surveys/lists`.
pub async fn lists_page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let user = match host_user(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    frame(
        &state,
        &user,
        "surveys_lists",
        "surveys.lists.title",
        String::new(),
        json!({"view": "lists"}),
        vec![
            "surveys_common.js",
            "surveys_recipients.js",
            "surveys_lists.js",
        ],
    )
}
