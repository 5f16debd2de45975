//! `GET /guest`: the guest portal (issue 13, docs/guests.md G6). A guest user lands here after
//! sign-in (the portal `/` sends guests here): the guest spaces it belongs to, each with the apps
//! it may see there, and nothing of the host. Host users who are members of guest spaces see the
//! same list of theirs. Apps are listed through each space's own path
//! (`ActingContext::through_guest_space`), so the list is exactly what the API shows that member.

use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::acl::AppRight;
use serde::Serialize;
use serde_json::Value;

use super::session::{page_for, require_user, SessionUser};
use super::Page;
use crate::i18n::{self, Lang};
use crate::state::{blocking, AppState};

#[derive(Serialize)]
struct GuestApp {
    id: i64,
    name: String,
    icon: String,
}

#[derive(Serialize)]
struct GuestSpace {
    id: i64,
    name: String,
    apps: Vec<GuestApp>,
}

#[derive(Serialize)]
struct GuestPortalData {
    spaces: Vec<GuestSpace>,
    is_guest: bool,
}

fn load(state: &AppState, user: &SessionUser) -> Result<GuestPortalData, crate::error::ApiError> {
    let mut conn = state.conn()?;
    let mut spaces = Vec::new();
    for space in kumiki_engine::guests::guest_spaces_of(&mut conn, &user.principal())? {
        let acting = user.acting(state).through_guest_space(Some(space.id));
        let mut apps = Vec::new();
        for app in acting.visible_apps(&mut conn)? {
            if kumiki_engine::acl::check_app_access(&app.access, AppRight::View).is_err() {
                continue;
            }
            let Some(def) = app.definition else { continue };
            apps.push(GuestApp {
                id: app.row.id,
                icon: super::app_icons::icon_url(&def.settings),
                name: def.name,
            });
        }
        spaces.push(GuestSpace {
            id: space.id,
            name: space.name,
            apps,
        });
    }
    Ok(GuestPortalData {
        spaces,
        is_guest: user.guest,
    })
}

/// `GET /guest`.
pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let user = match require_user(&req, &state).await {
        Ok(u) => u,
        Err(redirect) => return redirect,
    };
    let lang = Lang::parse(&user.locale).unwrap_or(Lang::Ja);
    let st = state.get_ref().clone();
    let u = user.clone();
    let Ok(data) = blocking(move || load(&st, &u)).await else {
        return super::internal_error(&state, lang, Some(&user));
    };
    page_for(
        &state,
        &user,
        Page {
            template: "guest_portal",
            title: i18n::t(lang, "guests.portal.title"),
            data: &data,
            page_data: Value::Null,
            scripts: vec![],
        },
    )
}
