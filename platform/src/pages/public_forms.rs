//! Issue 15, public forms — the staff's pages (docs/public-forms.md):
//! - `GET /apps/{id}/forms`: the app's forms (state, answers, URL, links to edit, links, results);
//! - `GET /forms/{id}/edit`: the form editor (app managers);
//! - `GET /forms/{id}/links`: per-recipient links (app managers);
//! - `GET /forms/{id}/results`: the aggregated results, rendered here with SVG charts
//!   (`pf_results`, `svg_charts`); `?part=results` answers only the results fragment, which the page's
//!   script fetches every 15 s;
//! - `GET /forms/templates`: the gallery; one button creates the template's app and form.
//!
//! The engine decides who may see what (`kumiki_engine::public_forms`, through the user's acting
//! context): a form the user may not read answers the not-found page, exactly like a missing one;
//! the editor and links pages also need the manage right on the app. The editor, links and gallery
//! work through `/api/public-form*.json` (`pf_staff.js`).

use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::acl::AppRight;
use kumiki_engine::acting::ActingContext;
use kumiki_engine::apps::{load_definition, AppId, LIVE, PREVIEW};
use kumiki_engine::db::DbConn;
use kumiki_engine::public_forms::{results, store, templates, Form};
use kumiki_engine::EngineError;
use serde::Serialize;
use serde_json::{json, Value};

use super::pf_results::{self, ResultsView};
use super::session::{page_for, require_user, SessionUser};
use super::{look, parse_id, Found, Page};
use crate::i18n::{self, Lang};
use crate::state::AppState;

/// The scripts of every staff page of public forms.
const SCRIPTS: [&str; 1] = ["pf_staff.js"];

fn lang_of(user: &SessionUser) -> Lang {
    Lang::parse(&user.locale).unwrap_or(Lang::Ja)
}

/// The app's name (live, else pre-live) once the caller may read it.
fn app_name(conn: &mut DbConn, app: i64) -> Result<String, EngineError> {
    if let Some((d, _)) = load_definition(conn, AppId(app), LIVE)? {
        return Ok(d.name);
    }
    Ok(load_definition(conn, AppId(app), PREVIEW)?
        .map(|(d, _)| d.name)
        .unwrap_or_default())
}

fn may_manage(conn: &mut DbConn, acting: &ActingContext, app: i64) -> bool {
    acting.find_app(conn, AppId(app), AppRight::Manage).is_ok()
}

/// A form with what its pages show around it.
struct FormCtx {
    form: Form,
    app_name: String,
    deployed: bool,
    may_manage: bool,
}

/// The form `raw` for `user` (View on its app; Manage too when `manage`), or the page to send.
async fn form_for(
    state: &AppState,
    user: &SessionUser,
    raw: &str,
    manage: bool,
) -> Result<FormCtx, HttpResponse> {
    let lang = lang_of(user);
    let Some(id) = parse_id(raw) else {
        return Err(super::not_found(state, lang, Some(user)));
    };
    // One snapshot for the form and its app.
    let found = look(state, user, move |conn, acting| {
        conn.read_transaction(|conn| {
            let form = store::get_form(conn, acting, id)?;
            let may = may_manage(conn, acting, form.app);
            let deployed = load_definition(conn, AppId(form.app), LIVE)?.is_some();
            let name = app_name(conn, form.app)?;
            Ok(FormCtx {
                form,
                app_name: name,
                deployed,
                may_manage: may,
            })
        })
    })
    .await;
    match found {
        Found::Yes(ctx) if manage && !ctx.may_manage => {
            Err(super::not_found(state, lang, Some(user)))
        }
        Found::Yes(ctx) => Ok(ctx),
        Found::No => Err(super::not_found(state, lang, Some(user))),
        Found::Fault => Err(super::internal_error(state, lang, Some(user))),
    }
}

fn state_label(lang: Lang, state: &str) -> String {
    i18n::t(lang, &format!("pf_staff.state.{state}"))
}

#[derive(Serialize)]
struct FormRow {
    id: i64,
    name: String,
    state: String,
    state_label: String,
    answers: i64,
    max_answers: String,
    path: String,
}

#[derive(Serialize)]
struct ListData {
    app_id: i64,
    app_name: String,
    deployed: bool,
    may_manage: bool,
    forms: Vec<FormRow>,
}

/// `GET /apps/{id}/forms`.
pub async fn list_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    let user = match require_user(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let lang = lang_of(&user);
    let Some(app) = parse_id(&path.into_inner()) else {
        return super::not_found(&state, lang, Some(&user));
    };
    let found = look(&state, &user, move |conn, acting| {
        conn.read_transaction(|conn| {
            let forms = store::list_forms(conn, acting, AppId(app))?;
            let may = may_manage(conn, acting, app);
            let deployed = load_definition(conn, AppId(app), LIVE)?.is_some();
            Ok((forms, app_name(conn, app)?, may, deployed))
        })
    })
    .await;
    let (forms, name, may, deployed) = match found {
        Found::Yes(v) => v,
        Found::No => return super::not_found(&state, lang, Some(&user)),
        Found::Fault => return super::internal_error(&state, lang, Some(&user)),
    };
    let data = ListData {
        app_id: app,
        app_name: name.clone(),
        deployed,
        may_manage: may,
        forms: forms
            .iter()
            .map(|f| FormRow {
                id: f.id,
                name: f.name.clone(),
                state: f.state.clone(),
                state_label: state_label(lang, &f.state),
                answers: f.answer_count,
                max_answers: f.max_answers.map(|n| n.to_string()).unwrap_or_default(),
                path: crate::routes::public_forms::form_path(&f.slug, None),
            })
            .collect(),
    };
    page_for(
        &state,
        &user,
        Page {
            template: "pf_staff_list",
            title: format!("{} – {name}", i18n::t(lang, "pf_staff.list.title")),
            data: &data,
            page_data: json!({"view": "list", "app": app.to_string()}),
            scripts: SCRIPTS.to_vec(),
        },
    )
}

#[derive(Serialize)]
struct FormShell {
    form_id: i64,
    form_name: String,
    app_id: i64,
    app_name: String,
    deployed: bool,
    state: String,
    state_label: String,
    path: String,
    may_manage: bool,
}

fn shell(lang: Lang, ctx: &FormCtx) -> FormShell {
    FormShell {
        form_id: ctx.form.id,
        form_name: ctx.form.name.clone(),
        app_id: ctx.form.app,
        app_name: ctx.app_name.clone(),
        deployed: ctx.deployed,
        state: ctx.form.state.clone(),
        state_label: state_label(lang, &ctx.form.state),
        path: crate::routes::public_forms::form_path(&ctx.form.slug, None),
        may_manage: ctx.may_manage,
    }
}

/// Renders the editor or links page: the shell in the template, the ids for the script.
fn form_frame(
    state: &AppState,
    user: &SessionUser,
    ctx: &FormCtx,
    template: &str,
    title_key: &str,
    view: &str,
) -> HttpResponse {
    let lang = lang_of(user);
    let data = shell(lang, ctx);
    page_for(
        state,
        user,
        Page {
            template,
            title: format!("{} – {}", i18n::t(lang, title_key), ctx.form.name),
            data: &data,
            page_data: json!({
                "view": view,
                "form": ctx.form.id.to_string(),
                "app": ctx.form.app.to_string(),
                "slug": ctx.form.slug,
                "timezone": user.timezone,
            }),
            scripts: SCRIPTS.to_vec(),
        },
    )
}

/// `GET /forms/{id}/edit`.
pub async fn edit_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    let user = match require_user(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    match form_for(&state, &user, &path.into_inner(), true).await {
        Ok(ctx) => form_frame(
            &state,
            &user,
            &ctx,
            "pf_staff_edit",
            "pf_staff.edit.title",
            "edit",
        ),
        Err(r) => r,
    }
}

/// `GET /forms/{id}/links`.
pub async fn links_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    let user = match require_user(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    match form_for(&state, &user, &path.into_inner(), true).await {
        Ok(ctx) => form_frame(
            &state,
            &user,
            &ctx,
            "pf_staff_links",
            "pf_staff.links.title",
            "links",
        ),
        Err(r) => r,
    }
}

#[derive(Serialize)]
struct ResultsPage {
    #[serde(flatten)]
    shell: FormShell,
    results: ResultsView,
}

/// `GET /forms/{id}/results` (`?part=results`: the fragment alone, for the page's refresh).
pub async fn results_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    let user = match require_user(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let lang = lang_of(&user);
    let ctx = match form_for(&state, &user, &path.into_inner(), false).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let id = ctx.form.id;
    let found = look(&state, &user, move |conn, acting| {
        conn.read_transaction(|conn| results::results(conn, acting, id))
    })
    .await;
    let r = match found {
        Found::Yes(r) => r,
        Found::No => return super::not_found(&state, lang, Some(&user)),
        Found::Fault => return super::internal_error(&state, lang, Some(&user)),
    };
    let view = pf_results::view(lang, user.tz(&state), &ctx.form, &r);
    let fragment = req.query_string().split('&').any(|kv| kv == "part=results");
    if fragment {
        return fragment_response(&state, lang, &view);
    }
    let data = ResultsPage {
        shell: shell(lang, &ctx),
        results: view,
    };
    page_for(
        &state,
        &user,
        Page {
            template: "pf_staff_results",
            title: format!(
                "{} – {}",
                i18n::t(lang, "pf_staff.results.title"),
                ctx.form.name
            ),
            data: &data,
            page_data: json!({"view": "results", "form": id.to_string()}),
            scripts: SCRIPTS.to_vec(),
        },
    )
}

/// The results fragment alone (the same template the page includes), never cached.
fn fragment_response(state: &AppState, lang: Lang, view: &ResultsView) -> HttpResponse {
    let mut data = serde_json::to_value(view).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut data {
        map.insert("lang".into(), Value::String(lang.code().into()));
    }
    match state.templates.render(
        "pf_staff_results_part",
        &json!({"lang": lang.code(), "results": data}),
    ) {
        Ok(html) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header(("Cache-Control", "no-store"))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .insert_header(("Content-Security-Policy", "default-src 'none'"))
            .body(html),
        Err(e) => {
            tracing::error!(error = %e, "results fragment failed");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body(i18n::t(lang, "error.internal.body"))
        }
    }
}

#[derive(Serialize)]
struct TemplateCard {
    key: String,
    name: String,
    description: String,
    fields: usize,
}

#[derive(Serialize)]
struct GalleryData {
    templates: Vec<TemplateCard>,
}

/// `GET /forms/templates`.
pub async fn templates_page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let user = match require_user(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let lang = lang_of(&user);
    // Guests never create apps.
    if user.guest {
        return super::not_found(&state, lang, Some(&user));
    }
    let data = GalleryData {
        templates: templates::templates()
            .into_iter()
            .map(|t| TemplateCard {
                key: t.key.to_owned(),
                name: t.name.to_owned(),
                description: t.description.to_owned(),
                fields: t.fields,
            })
            .collect(),
    };
    page_for(
        &state,
        &user,
        Page {
            template: "pf_staff_templates",
            title: i18n::t(lang, "pf_staff.templates.title"),
            data: &data,
            page_data: json!({"view": "templates"}),
            scripts: SCRIPTS.to_vec(),
        },
    )
}
