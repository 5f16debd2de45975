//! Issue 17 part 5, the template gallery page (「テンプレートから作成」, linked from the portal): cards
//! of the shipped templates and the local gallery, a template's preview, one-click creation, and for
//! administrators the local gallery's upload and removal. The use cases are `crate::gallery` and
//! `kumiki_engine::gallery`; these handlers only translate.

use actix_multipart::Multipart;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;

use kumiki_engine::packages::has_roles;

use super::session::{page_for, require_user, same_secret, SessionUser};
use super::{see_other, Page};
use crate::gallery::{self, Detail, Summary};
use crate::i18n::{self, Lang};
use crate::state::{blocking, AppState};

#[derive(Serialize)]
struct ListData {
    templates: Vec<Summary>,
    local: Vec<Summary>,
    is_admin: bool,
    error: String,
    notice: String,
}

#[derive(Serialize)]
struct FieldRow {
    label: String,
    kind: String,
    inner: String,
}

#[derive(Serialize)]
struct DetailData {
    t: Summary,
    fields: Vec<FieldRow>,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
    error: String,
}

fn lang_of(user: &SessionUser) -> Lang {
    Lang::parse(&user.locale).unwrap_or(Lang::Ja)
}

/// The message of an API error for a page (the catalog's, in the user's language).
fn message(e: &crate::error::ApiError, lang: Lang) -> String {
    if e.code == "GAIA_RV01" {
        return i18n::t(lang, "gallery.needs_review");
    }
    let field = e
        .errors
        .as_ref()
        .and_then(|errs| errs.values().next().and_then(|m| m.first().cloned()))
        .map(|m| crate::error::render_message(&m, Some(lang)));
    field.unwrap_or_else(|| {
        e.body(lang == Lang::Ja)["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    })
}

async fn render_list(
    state: &AppState,
    user: &SessionUser,
    error: String,
    notice: String,
) -> HttpResponse {
    let lang = lang_of(user);
    let st = state.clone();
    let acting = user.acting(state);
    let Ok(all) = blocking(move || {
        let mut conn = st.conn()?;
        gallery::list(&mut conn, &acting)
    })
    .await
    else {
        return super::not_found(state, lang, Some(user));
    };
    let (local, templates) = all.into_iter().partition(|t| t.local);
    let data = ListData {
        templates,
        local,
        is_admin: user.is_admin,
        error,
        notice,
    };
    page_for(
        state,
        user,
        Page {
            template: "gallery",
            title: i18n::t(lang, "gallery.title"),
            data: &data,
            page_data: Value::Null,
            scripts: vec![],
        },
    )
}

/// `GET /gallery`.
pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    match require_user(&req, &state).await {
        Ok(user) if user.guest => see_other("/guest"),
        Ok(user) => render_list(&state, &user, String::new(), String::new()).await,
        Err(redirect) => redirect,
    }
}

async fn render_detail(
    state: &AppState,
    user: &SessionUser,
    key: String,
    error: String,
) -> HttpResponse {
    let lang = lang_of(user);
    let st = state.clone();
    let acting = user.acting(state);
    let found: Result<Option<Detail>, _> = blocking(move || {
        let mut conn = st.conn()?;
        gallery::find(&mut conn, &acting, &key)
    })
    .await;
    let Ok(Some(d)) = found else {
        return super::not_found(state, lang, Some(user));
    };
    let fields = d
        .field_list
        .into_iter()
        .map(|f| FieldRow {
            label: f.label,
            kind: i18n::t(lang, &format!("designer.type.{}", f.kind)),
            inner: f.inner.join("、"),
        })
        .collect();
    let data = DetailData {
        t: d.summary,
        fields,
        columns: d.columns,
        rows: d.rows,
        error,
    };
    page_for(
        state,
        user,
        Page {
            template: "gallery_detail",
            title: data.t.name.clone(),
            data: &data,
            page_data: Value::Null,
            scripts: vec![],
        },
    )
}

/// `GET /gallery/{key}`: a template's preview.
pub async fn detail(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    match require_user(&req, &state).await {
        Ok(user) if user.guest => see_other("/guest"),
        Ok(user) => render_detail(&state, &user, path.into_inner(), String::new()).await,
        Err(redirect) => redirect,
    }
}

/// `GET /gallery/{key}/import`: the template in the import preview (what will be created, its
/// roles to map, review), whose 「読み込む」 imports it as an uploaded package is imported.
pub async fn import_preview(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    let user = match require_user(&req, &state).await {
        Ok(user) if user.guest => return see_other("/guest"),
        Ok(user) => user,
        Err(redirect) => return redirect,
    };
    let lang = lang_of(&user);
    let st = state.get_ref().clone();
    let acting = user.acting(&state);
    let key = path.into_inner();
    let found = blocking(move || {
        let mut conn = st.conn()?;
        gallery::package_of(&mut conn, &acting, &key)
    })
    .await;
    match found {
        Ok(Some(package)) => super::package_import::preview_package(&state, &user, package).await,
        Ok(None) => super::not_found(&state, lang, Some(&user)),
        Err(e) if e.status.is_server_error() => super::internal_error(&state, lang, Some(&user)),
        Err(e) => render_list(&state, &user, message(&e, lang), String::new()).await,
    }
}

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    template: String,
    with_records: Option<String>,
}

/// `POST /gallery/create`: creates the app and goes to it (its settings when it awaits review).
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CreateForm>,
) -> HttpResponse {
    let user = match require_user(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let lang = lang_of(&user);
    let form = form.into_inner();
    if !same_secret(&user.csrf, &form.csrf) {
        return render_detail(&state, &user, form.template, i18n::t(lang, "error.csrf")).await;
    }
    let st = state.get_ref().clone();
    let acting = user.acting(&state);
    let key = form.template.clone();
    let with_records = form.with_records.is_some();
    let result = blocking(move || {
        let mut conn = st.conn()?;
        // A template naming roles is created through the import preview, where they are mapped.
        let package = gallery::package_of(&mut conn, &acting, &key)?;
        if package.as_ref().is_some_and(has_roles) {
            return Ok(None);
        }
        let none = HashMap::new();
        conn.write_transaction(|c| {
            gallery::create(c, &st.files, &acting, &key, with_records, &none)
        })
        .map(Some)
    })
    .await;
    match result {
        Ok(None) => see_other(&format!("/gallery/{}/import", form.template)),
        Ok(Some(created)) if created.live => see_other(&format!("/apps/{}", created.app.0)),
        Ok(Some(created)) => see_other(&format!("/apps/{}/settings", created.app.0)),
        Err(e) => render_detail(&state, &user, form.template, message(&e, lang)).await,
    }
}

/// `POST /gallery/packages` (multipart: `_csrf`, `file`, `name`, `description`): an administrator
/// adds a package file to the local gallery.
pub async fn add_package(
    req: HttpRequest,
    state: web::Data<AppState>,
    mut payload: Multipart,
) -> HttpResponse {
    let user = match require_user(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let lang = lang_of(&user);
    let mut csrf = String::new();
    let mut bytes = Vec::new();
    let mut name = String::new();
    let mut description = String::new();
    let limit = state.settings.max_file_bytes;
    while let Some(Ok(mut field)) = payload.next().await {
        let field_name = field.name().unwrap_or_default().to_owned();
        let mut data = Vec::new();
        while let Some(Ok(chunk)) = field.next().await {
            if data.len() + chunk.len() > limit {
                let e = i18n::t(lang, "error.internal.body");
                return render_list(&state, &user, e, String::new()).await;
            }
            data.extend_from_slice(&chunk);
        }
        let text = || String::from_utf8_lossy(&data).into_owned();
        match field_name.as_str() {
            "_csrf" => csrf = text(),
            "name" => name = text(),
            "description" => description = text(),
            "file" => bytes = data,
            _ => {}
        }
    }
    if !same_secret(&user.csrf, &csrf) {
        return render_list(&state, &user, i18n::t(lang, "error.csrf"), String::new()).await;
    }
    let package: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(_) => {
            let e = i18n::t(lang, "gallery.bad_file");
            return render_list(&state, &user, e, String::new()).await;
        }
    };
    let st = state.get_ref().clone();
    let acting = user.acting(&state);
    let result = blocking(move || {
        let mut conn = st.conn()?;
        Ok(conn.write_transaction(|c| {
            kumiki_engine::gallery::add(c, &acting, &name, &description, &package)
        })?)
    })
    .await;
    match result {
        Ok(_) => {
            let notice = i18n::t(lang, "gallery.added");
            render_list(&state, &user, String::new(), notice).await
        }
        Err(e) => {
            let text = format!(
                "{} {}",
                i18n::t(lang, "gallery.bad_package"),
                message(&e, lang)
            );
            render_list(&state, &user, text, String::new()).await
        }
    }
}

#[derive(Deserialize)]
pub struct RemoveForm {
    #[serde(rename = "_csrf")]
    csrf: String,
}

/// `POST /gallery/packages/{id}/delete`: an administrator removes a local package.
pub async fn remove_package(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<RemoveForm>,
) -> HttpResponse {
    let user = match require_user(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let lang = lang_of(&user);
    if !same_secret(&user.csrf, &form.csrf) {
        return render_list(&state, &user, i18n::t(lang, "error.csrf"), String::new()).await;
    }
    let st = state.get_ref().clone();
    let acting = user.acting(&state);
    let id = path.into_inner();
    let result = blocking(move || {
        let mut conn = st.conn()?;
        Ok(conn.write_transaction(|c| kumiki_engine::gallery::remove(c, &acting, id))?)
    })
    .await;
    match result {
        Ok(()) => see_other("/gallery"),
        Err(e) => render_list(&state, &user, message(&e, lang), String::new()).await,
    }
}

/// `GET /gallery/pictures/{key}.svg`: a template's picture, cached for a year (the URL of a shipped
/// picture carries the binary's version; a local package's key is never reused for another file).
pub async fn picture(path: web::Path<String>) -> HttpResponse {
    let name = path.into_inner();
    let key = name.strip_suffix(".svg").unwrap_or(&name);
    let body: Option<Vec<u8>> = match gallery::Key::parse(key) {
        Some(gallery::Key::Shipped(slug)) => gallery::shipped_picture(slug).map(<[u8]>::to_vec),
        Some(gallery::Key::Local(_)) => Some(gallery::LOCAL_PICTURE.as_bytes().to_vec()),
        None => None,
    };
    match body {
        Some(b) => HttpResponse::Ok()
            .content_type("image/svg+xml")
            .insert_header(("Cache-Control", "public, max-age=31536000, immutable"))
            .insert_header((
                "Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'",
            ))
            .body(b),
        None => HttpResponse::NotFound().finish(),
    }
}
