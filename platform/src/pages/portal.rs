//! The portal: the apps a user may see, the ones they used recently, and the ways to create an app —
//! blank, from one of the example templates, or from an exported app file.

use actix_multipart::Multipart;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use kumiki_engine::acl::AppRight;
use kumiki_engine::apps::{self, load_definition, AppDefinition, AppId, PREVIEW};
use kumiki_engine::package_signing;
use kumiki_engine::packages::{import_package, NoFiles};
use kumiki_engine::sessions;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::session::{page_for, require_user, same_secret, SessionUser};
use super::{see_other, Page};
use crate::examples::{example_package, EXAMPLE_APPS};
use crate::i18n::{self, Lang};
use crate::state::{blocking, AppState};

#[derive(Serialize, Clone)]
struct AppCard {
    id: i64,
    name: String,
    description: String,
    deployed: bool,
    /// The URL of the app's icon (`pages::app_icons`).
    icon: String,
}

#[derive(Serialize)]
struct Template {
    slug: &'static str,
    name: String,
}

#[derive(Serialize)]
struct PortalData {
    apps: Vec<AppCard>,
    recent: Vec<AppCard>,
    templates: Vec<Template>,
    error: String,
    /// Issue 16, dashboards: the user's own pins and the shared ones.
    mine: super::dashboard::BoardView,
    shared: super::dashboard::BoardView,
}

/// The user's own board and the shared portal board, with the user's rights.
fn boards(
    state: &AppState,
    user: &SessionUser,
    lang: Lang,
) -> Result<(super::dashboard::BoardView, super::dashboard::BoardView), crate::error::ApiError> {
    use kumiki_engine::dashboards::Board;
    let mut conn = state.conn()?;
    let acting = user.acting(state);
    let mine =
        super::dashboard::board_view(&mut conn, &acting, lang, &Board::User(user.code.clone()))?;
    let shared = super::dashboard::board_view(&mut conn, &acting, lang, &Board::Portal)?;
    Ok((mine, shared))
}

fn visible_apps(
    state: &AppState,
    user: &SessionUser,
) -> Result<(Vec<AppCard>, Vec<i64>), crate::error::ApiError> {
    let mut conn = state.conn()?;
    let mut cards = Vec::new();
    for app in user.acting(state).visible_apps(&mut conn)? {
        if kumiki_engine::acl::check_app_access(&app.access, AppRight::View).is_err() {
            continue;
        }
        let deployed = app.definition.is_some();
        let def = match app.definition {
            Some(d) => d,
            None => match load_definition(&mut conn, AppId(app.row.id), PREVIEW)? {
                Some((d, _)) => d,
                None => continue,
            },
        };
        cards.push(AppCard {
            id: app.row.id,
            name: def.name,
            icon: super::app_icons::icon_url(&def.settings),
            description: def.description,
            deployed,
        });
    }
    let recent = sessions::recent_apps(&mut conn, &user.code, 6)?;
    Ok((cards, recent))
}

async fn render_portal(state: &AppState, user: &SessionUser, error: String) -> HttpResponse {
    let lang = Lang::parse(&user.locale).unwrap_or(Lang::Ja);
    let st = state.clone();
    let u = user.clone();
    let Ok((apps, recent_ids)) = blocking(move || visible_apps(&st, &u)).await else {
        return super::internal_error(state, lang, Some(user));
    };
    let st = state.clone();
    let u = user.clone();
    let Ok((mine, shared)) = blocking(move || boards(&st, &u, lang)).await else {
        return super::internal_error(state, lang, Some(user));
    };
    let recent = recent_ids
        .iter()
        .filter_map(|id| apps.iter().find(|a| a.id == *id).cloned())
        .collect();
    let templates = EXAMPLE_APPS
        .iter()
        .filter_map(|slug| {
            let package = example_package(slug)?;
            let name = package["app"]["name"].as_str()?.to_owned();
            Some(Template { slug, name })
        })
        .collect();
    let data = PortalData {
        apps,
        recent,
        templates,
        error,
        mine,
        shared,
    };
    page_for(
        state,
        user,
        Page {
            template: "portal",
            title: i18n::t(lang, "portal.title"),
            data: &data,
            page_data: Value::Null,
            // threads_unread.js: issue 13, threads part.
            // dashboards.js: issue 16, the pins' remove and move buttons.
            scripts: vec![
                "portal.js",
                "threads_unread.js",
                "dashboards.js",
                "package_status.js",
            ],
        },
    )
}

pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    match require_user(&req, &state).await {
        // Issue 13, guests: a guest's portal is the list of its guest spaces.
        Ok(user) if user.guest => see_other("/guest"),
        Ok(user) => render_portal(&state, &user, String::new()).await,
        Err(redirect) => redirect,
    }
}

#[derive(Deserialize)]
pub struct NewAppForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    name: Option<String>,
    template: Option<String>,
    with_records: Option<String>,
}

pub async fn create_app(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<NewAppForm>,
) -> HttpResponse {
    let user = match require_user(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let lang = Lang::parse(&user.locale).unwrap_or(Lang::Ja);
    if !same_secret(&user.csrf, &form.csrf) {
        return render_portal(&state, &user, i18n::t(lang, "error.csrf")).await;
    }
    let st = state.get_ref().clone();
    let form = form.into_inner();
    let acting = user.acting(&state);
    let result = blocking(move || {
        let mut conn = st.conn()?;
        if let Some(slug) = form.template.filter(|s| !s.is_empty()) {
            let package = example_package(&slug)
                .ok_or_else(|| crate::error::ApiError::invalid("template", "unknown template"))?;
            let with_records = form.with_records.is_some();
            let id = conn.write_transaction(|c| {
                let mut source = crate::examples::embedded_files(&slug);
                match source.as_mut() {
                    Some(s) => import_package(c, &st.files, &package, s, &acting, with_records),
                    None => {
                        import_package(c, &st.files, &package, &mut NoFiles, &acting, with_records)
                    }
                }
            })?;
            return Ok(id.0);
        }
        let name = form.name.unwrap_or_default();
        if name.trim().is_empty() || name.chars().count() > 64 {
            return Err(crate::error::ApiError::invalid("name", "name"));
        }
        let (id, _) = conn.write_transaction(|c| {
            apps::create_app_as(c, &acting, AppDefinition::new(name.trim()))
        })?;
        Ok(id.0)
    })
    .await;
    match result {
        Ok(id) => see_other(&format!("/apps/{id}/settings")),
        Err(e) if e.code == "GAIA_RV01" => {
            render_portal(&state, &user, i18n::t(lang, "portal.import_needs_review")).await
        }
        Err(e) => {
            render_portal(
                &state,
                &user,
                e.body(lang == Lang::Ja)["message"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
            .await
        }
    }
}

/// Imports an uploaded app package (multipart: `_csrf`, `file`, optional `with_records`).
pub async fn import_app(
    req: HttpRequest,
    state: web::Data<AppState>,
    mut payload: Multipart,
) -> HttpResponse {
    let user = match require_user(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let lang = Lang::parse(&user.locale).unwrap_or(Lang::Ja);
    let mut csrf = String::new();
    let mut bytes = Vec::new();
    let mut with_records = false;
    let limit = state.settings.max_file_bytes;
    while let Some(Ok(mut field)) = payload.next().await {
        let name = field.name().unwrap_or_default().to_owned();
        let mut data = Vec::new();
        while let Some(Ok(chunk)) = field.next().await {
            if data.len() + chunk.len() > limit {
                return render_portal(&state, &user, i18n::t(lang, "error.internal.body")).await;
            }
            data.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "_csrf" => csrf = String::from_utf8_lossy(&data).into_owned(),
            "file" => bytes = data,
            "with_records" => with_records = true,
            _ => {}
        }
    }
    if !same_secret(&user.csrf, &csrf) {
        return render_portal(&state, &user, i18n::t(lang, "error.csrf")).await;
    }
    let package: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(_) => return render_portal(&state, &user, i18n::t(lang, "portal.bad_file")).await,
    };
    let st = state.get_ref().clone();
    let acting = user.acting(&state);
    let result = blocking(move || {
        let mut conn = st.conn()?;
        // Issue 17 part 4: a tampered package is refused here, before anything is written.
        let (id, _status) = conn.write_transaction(|c| {
            package_signing::flows::import(
                c,
                &st.files,
                &package,
                &mut NoFiles,
                &acting,
                with_records,
            )
        })?;
        Ok(id.0)
    })
    .await;
    match result {
        Ok(id) => see_other(&format!("/apps/{id}/settings")),
        Err(e) if e.code == "GAIA_RV01" => {
            render_portal(&state, &user, i18n::t(lang, "portal.import_needs_review")).await
        }
        Err(e) => {
            let message = e
                .errors
                .as_ref()
                .and_then(|errs| errs.values().next().and_then(|m| m.first().cloned()))
                .map(|m| crate::error::render_message(&m, Some(lang)));
            render_portal(
                &state,
                &user,
                message.unwrap_or_else(|| i18n::t(lang, "portal.bad_file")),
            )
            .await
        }
    }
}
