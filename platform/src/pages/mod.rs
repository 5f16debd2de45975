//! The browser pages: server-rendered HTML (handlebars, escaped) with small hand-written scripts, all
//! embedded in the binary. Pages call the same kintone API as every client, authenticated by the
//! session cookie plus a CSRF header. A page for something the user may not see answers exactly like
//! a missing one.

mod account;
mod admin;
mod admin_allowlist;
mod admin_apps;
mod admin_package_trust;
// Issue 13, guests: the administrators' guest list and the guest portal.
mod admin_guests;
mod admin_review;
mod admin_search;
mod admin_security;
pub(crate) mod app_icons;
mod assets;
mod dashboard;
mod designer;
mod general_settings;
mod guest_portal;
// Issue 17 part 5: the template gallery.
mod gallery;
mod guide;
// Issue 16: the record import page.
mod imports;
// Issue 13 (mail).
mod mail;
mod managed_app;
mod permissions;
mod portal;
// Issue 15, public forms: the staff's pages and the results view.
mod pf_results;
mod prefs;
// Issue 16, printing: print views of a record and a list, and the apps' print templates.
mod print;
mod print_settings;
mod print_templates;
mod process_settings;
mod public_forms;
mod records;
// Issue 16, charts: an app's chart page (SVG, data table, CSV) and the charts editor.
mod package_import;
mod package_upgrade;
mod report_page;
mod report_past;
mod report_view;
mod reports_settings;
mod review;
mod scripts;
mod search;
pub mod session;
// Issue 13, spaces part.
mod spaces;
// Issue 14, survey relay.
mod surveys;
// Server-side SVG charts shared by the public-form results and the app charts.
mod svg_charts;
// Issue 13, threads part.
mod threads;
mod views_settings;
// Issue 13, notify: the bell page and the app's notification settings.
mod notifications;
// Issue 13 part "webhooks".
mod webhooks;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::{json, Value};

pub use session::SessionUser;

use crate::i18n::{self, Lang};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/static/{file:.*}", web::get().to(assets::asset))
        .route("/login", web::get().to(session::login_page))
        .route("/login", web::post().to(session::login_submit))
        .route("/login/code", web::post().to(session::login_code_submit))
        .route("/account/password", web::get().to(account::password_page))
        .route(
            "/account/password",
            web::post().to(account::password_submit),
        )
        .route("/account/security", web::get().to(account::security_page))
        .route("/account/totp/start", web::post().to(account::totp_start))
        .route(
            "/account/totp/confirm",
            web::post().to(account::totp_confirm),
        )
        .route(
            "/account/totp/disable",
            web::post().to(account::totp_disable),
        )
        .route(
            "/account/totp/recovery",
            web::post().to(account::totp_recovery),
        )
        .route("/admin/security", web::get().to(admin_security::page))
        .route("/admin/security", web::post().to(admin_security::save))
        .route(
            "/admin/security/reset-totp",
            web::post().to(admin_security::reset_totp),
        )
        .route("/logout", web::post().to(session::logout))
        .route("/lang", web::post().to(session::switch_language))
        .route("/settings", web::get().to(prefs::page))
        .route("/settings", web::post().to(prefs::save))
        .route("/", web::get().to(portal::page))
        .route("/search", web::get().to(search::page))
        .route("/apps/new", web::post().to(portal::create_app))
        // Issue 17 part 5, the template gallery (docs/gallery.md); the pictures before `{key}`.
        .route("/gallery", web::get().to(gallery::page))
        .route("/gallery/pictures/{name}", web::get().to(gallery::picture))
        .route("/gallery/create", web::post().to(gallery::create))
        .route("/gallery/packages", web::post().to(gallery::add_package))
        .route(
            "/gallery/packages/{id}/delete",
            web::post().to(gallery::remove_package),
        )
        .route("/gallery/{key}", web::get().to(gallery::detail))
        .route(
            "/gallery/{key}/import",
            web::get().to(gallery::import_preview),
        )
        .route("/apps/{id}/settings", web::get().to(designer::page))
        .route("/apps/{id}/general", web::get().to(general_settings::page))
        .route("/apps/{id}/icon.svg", web::get().to(app_icons::app_icon))
        .route("/guide", web::get().to(guide::page))
        .route("/apps/{id}/permissions", web::get().to(permissions::page))
        .route("/apps/{id}/views", web::get().to(views_settings::page))
        .route("/apps/{id}/process", web::get().to(process_settings::page))
        .route("/apps/{id}/scripts", web::get().to(scripts::page))
        // Issue 13 part "webhooks".
        .route("/apps/{id}/webhooks", web::get().to(webhooks::page))
        .route("/apps/{id}/review", web::get().to(review::review_page))
        .route("/apps/{id}/versions", web::get().to(review::versions_page))
        .route("/review", web::get().to(review::queue_page))
        // Issue 13, notify.
        .route("/notifications", web::get().to(notifications::page))
        .route(
            "/apps/{id}/notifications",
            web::get().to(notifications::settings_page),
        )
        .route("/admin/review", web::get().to(admin_review::page))
        .route("/apps/import", web::post().to(portal::import_app))
        // Issue 17 part 2: the import preview with role mapping.
        .route(
            "/apps/import/preview",
            web::post().to(package_import::preview),
        )
        .route(
            "/apps/import/confirm",
            web::post().to(package_import::confirm),
        )
        .route("/admin", web::get().to(admin::index))
        .route("/admin/users", web::get().to(admin::users))
        .route("/admin/departments", web::get().to(admin::departments))
        .route("/admin/groups", web::get().to(admin::groups))
        .route("/admin/tokens", web::get().to(admin::tokens))
        .route("/admin/audit", web::get().to(admin::audit))
        .route("/admin/search", web::get().to(admin_search::page))
        .route("/admin/app-creation", web::get().to(admin_apps::page))
        .route("/admin/allowlist", web::get().to(admin_allowlist::page))
        .route(
            "/admin/package-trust",
            web::get().to(admin_package_trust::page),
        )
        // Issue 13, guests.
        .route("/admin/guests", web::get().to(admin_guests::page))
        .route("/guest", web::get().to(guest_portal::page))
        // Issue 13 (mail).
        .route("/account/notifications", web::get().to(mail::account_page))
        .route("/admin/mail", web::get().to(mail::admin_page))
        .route("/apps/{id}", web::get().to(records::list))
        .route("/apps/{id}/calendar", web::get().to(records::calendar))
        .route("/apps/{id}/import", web::get().to(imports::page))
        // Issue 16, charts: a chart page (`?format=csv`: its data) and the charts editor.
        .route("/apps/{id}/reports/{rid}", web::get().to(report_page::page))
        .route("/apps/{id}/charts", web::get().to(reports_settings::page))
        .route("/apps/{id}/print", web::get().to(print::list))
        .route(
            "/apps/{id}/print-templates",
            web::get().to(print_settings::page),
        )
        .route(
            "/apps/{id}/records/{rid}/print",
            web::get().to(print::record),
        )
        .route("/apps/{id}/records/new", web::get().to(records::new_record))
        .route("/apps/{id}/records/{rid}", web::get().to(records::detail))
        .route(
            "/apps/{id}/records/{rid}/edit",
            web::get().to(records::edit),
        )
        // Issue 13, spaces part: the spaces list, a space, its settings.
        .route("/spaces", web::get().to(spaces::list_page))
        .route("/spaces/{id}", web::get().to(spaces::space_page))
        .route(
            "/spaces/{id}/settings",
            web::get().to(spaces::settings_page),
        )
        // Issue 13, threads part.
        .route("/spaces/{id}/threads/{tid}", web::get().to(threads::page))
        // Issue 14, survey relay (fixed paths before `/surveys/{id}`).
        .route("/surveys", web::get().to(surveys::list_page))
        .route("/surveys/new", web::get().to(surveys::new_page))
        .route("/surveys/lists", web::get().to(surveys::lists_page))
        .route("/surveys/answers/{id}", web::get().to(surveys::answer_page))
        .route("/surveys/{id}", web::get().to(surveys::dashboard_page))
        .route("/surveys/{id}/edit", web::get().to(surveys::edit_page))
        // Issue 15, public forms (staff side; the gallery before `/forms/{id}/...`).
        .route("/apps/{id}/forms", web::get().to(public_forms::list_page))
        .route(
            "/forms/templates",
            web::get().to(public_forms::templates_page),
        )
        .route("/forms/{id}/edit", web::get().to(public_forms::edit_page))
        .route("/forms/{id}/links", web::get().to(public_forms::links_page))
        .route(
            "/forms/{id}/results",
            web::get().to(public_forms::results_page),
        );
}

/// What every page's layout needs.
#[derive(Serialize)]
pub struct Chrome {
    pub lang: &'static str,
    pub other_lang: &'static str,
    pub title: String,
    pub user_code: String,
    pub user_name: String,
    pub csrf: String,
    pub signed_in: bool,
    /// Shows the administration link.
    pub is_admin: bool,
    /// Issue 13, guests: a guest user's header links to the guest portal and hides host-only links.
    pub is_guest: bool,
    /// Apps waiting for review, shown as a count in the header; 0 for anyone but reviewers.
    pub review_pending: i64,
    /// The signed-in user's unread notifications (issue 13, the bell in the header).
    pub notify_unread: i64,
    /// The version of the message catalog script (`window.KUMIKI.t`), a cached asset.
    pub messages_version: &'static str,
    /// Hides the header's search box (record lists have their own, `pageData.hideHeaderSearch`).
    pub hide_header_search: bool,
    pub page_data: Value,
    pub scripts: Vec<&'static str>,
    /// HTML rendered by an escaped template.
    pub body: String,
}

/// The language of a request: the user's setting, else the `kumiki_lang` cookie, else
/// `Accept-Language`, else Japanese.
pub fn request_lang(req: &HttpRequest, user: Option<&SessionUser>) -> Lang {
    if let Some(u) = user {
        return Lang::parse(&u.locale).unwrap_or(Lang::Ja);
    }
    if let Some(l) = req
        .cookie("kumiki_lang")
        .and_then(|c| Lang::parse(c.value()))
    {
        return l;
    }
    req.headers()
        .get("Accept-Language")
        .and_then(|v| v.to_str().ok())
        .and_then(Lang::parse)
        .unwrap_or(Lang::Ja)
}

/// A page to render: the inner template and its data, plus what the layout shows.
pub struct Page<'a, T: Serialize> {
    pub template: &'a str,
    pub title: String,
    pub data: &'a T,
    /// JSON handed to the page's scripts.
    pub page_data: Value,
    pub scripts: Vec<&'static str>,
}

/// Renders `page` inside the layout.
pub fn render<T: Serialize>(
    state: &AppState,
    lang: Lang,
    user: Option<&SessionUser>,
    csrf: &str,
    page: Page<'_, T>,
) -> HttpResponse {
    render_status(state, StatusCode::OK, lang, user, csrf, page)
}

pub fn render_status<T: Serialize>(
    state: &AppState,
    status: StatusCode,
    lang: Lang,
    user: Option<&SessionUser>,
    csrf: &str,
    page: Page<'_, T>,
) -> HttpResponse {
    let mut inner = match serde_json::to_value(page.data) {
        Ok(v) => v,
        Err(_) => json!({}),
    };
    let review_pending = user.map_or(0, |u| review::pending_for(state, u));
    if let Value::Object(map) = &mut inner {
        map.insert("lang".into(), Value::String(lang.code().into()));
        map.insert("csrf".into(), Value::String(csrf.to_owned()));
        map.insert("review_pending".into(), Value::from(review_pending));
    }
    let body = match state.templates.render(page.template, &inner) {
        Ok(html) => html,
        Err(e) => {
            tracing::error!(error = %e, template = page.template, "template failed");
            return HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body(i18n::t(lang, "error.internal.body"));
        }
    };
    let chrome = Chrome {
        lang: lang.code(),
        other_lang: lang.other().code(),
        title: page.title,
        user_code: user.map(|u| u.code.clone()).unwrap_or_default(),
        user_name: user.map(|u| u.name.clone()).unwrap_or_default(),
        csrf: csrf.to_owned(),
        signed_in: user.is_some(),
        is_admin: user.is_some_and(|u| u.is_admin),
        is_guest: user.is_some_and(|u| u.guest),
        review_pending,
        notify_unread: user.map_or(0, |u| notifications::unread_for(state, u)),
        messages_version: i18n::messages_version(),
        hide_header_search: page.page_data.get("hideHeaderSearch") == Some(&Value::Bool(true)),
        page_data: page.page_data,
        scripts: page.scripts,
        body,
    };
    match state.templates.render("layout", &chrome) {
        Ok(html) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header(("Content-Security-Policy", CSP))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .insert_header(("Referrer-Policy", "same-origin"))
            .insert_header(("X-Frame-Options", "DENY"))
            .body(html),
        Err(e) => {
            tracing::error!(error = %e, "layout failed");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body(i18n::t(lang, "error.internal.body"))
        }
    }
}

/// The print template check, for the API that saves templates (`routes::print_templates`).
pub fn check_print_template(source: &str) -> Result<(), (&'static str, String)> {
    print_templates::check(source)
}

/// A page rendered outside the layout (the print views) with the same headers as every page.
pub fn html_response(status: StatusCode, html: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", CSP))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Referrer-Policy", "same-origin"))
        .insert_header(("X-Frame-Options", "DENY"))
        .body(html)
}

/// Pages load only this server's own scripts, styles and images; nothing inline.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

#[derive(Serialize)]
struct ErrorPage {
    title: String,
    body: String,
}

/// The page for "not found" — also used for what the user may not see.
pub fn not_found(state: &AppState, lang: Lang, user: Option<&SessionUser>) -> HttpResponse {
    let csrf = user.map(|u| u.csrf.clone()).unwrap_or_default();
    let data = ErrorPage {
        title: i18n::t(lang, "error.not_found.title"),
        body: i18n::t(lang, "error.not_found.body"),
    };
    render_status(
        state,
        StatusCode::NOT_FOUND,
        lang,
        user,
        &csrf,
        Page {
            template: "error",
            title: data.title.clone(),
            data: &data,
            page_data: Value::Null,
            scripts: vec![],
        },
    )
}

/// A refusal by the edge of the server (`crate::edge`: an address outside the allowlist, a form
/// posted from another site), with its own title and text.
pub fn refused_page(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    title_key: &str,
    body_key: &str,
) -> HttpResponse {
    message_page(state, lang, None, status, title_key, body_key)
}

/// A page that only says something (its title and text from the catalog) with `status`.
pub fn message_page(
    state: &AppState,
    lang: Lang,
    user: Option<&SessionUser>,
    status: StatusCode,
    title_key: &str,
    body_key: &str,
) -> HttpResponse {
    let csrf = user.map(|u| u.csrf.clone()).unwrap_or_default();
    let data = ErrorPage {
        title: i18n::t(lang, title_key),
        body: i18n::t(lang, body_key),
    };
    render_status(
        state,
        status,
        lang,
        user,
        &csrf,
        Page {
            template: "error",
            title: data.title.clone(),
            data: &data,
            page_data: Value::Null,
            scripts: vec![],
        },
    )
}

/// The page for an internal fault (details are logged, not shown).
pub fn internal_error(state: &AppState, lang: Lang, user: Option<&SessionUser>) -> HttpResponse {
    let csrf = user.map(|u| u.csrf.clone()).unwrap_or_default();
    let data = ErrorPage {
        title: i18n::t(lang, "error.internal.title"),
        body: i18n::t(lang, "error.internal.body"),
    };
    render_status(
        state,
        StatusCode::INTERNAL_SERVER_ERROR,
        lang,
        user,
        &csrf,
        Page {
            template: "error",
            title: data.title.clone(),
            data: &data,
            page_data: Value::Null,
            scripts: vec![],
        },
    )
}

/// Any path no route matches: the not-found page for people, kintone's error body for API paths.
pub async fn fallback(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let path = req.path();
    if path.starts_with("/k/") || path.starts_with("/api/") {
        let e = crate::error::ApiError::unknown_api();
        return HttpResponse::build(e.status).json(e.body(crate::routes::wants_japanese(&req)));
    }
    let user = session::current_user(&req, &state).await;
    let lang = request_lang(&req, user.as_ref());
    not_found(&state, lang, user.as_ref())
}

/// A redirect after a form post. A location that is no valid header value goes to the portal
/// instead of failing the response.
/// An id from a page's path: digits only, else the page is not found.
pub(crate) fn parse_id(raw: &str) -> Option<i64> {
    raw.parse::<i64>().ok().filter(|id| *id > 0)
}

/// What a page's lookup found, or why it shows the not-found or error page instead.
pub(crate) enum Found<T> {
    Yes(T),
    /// Missing, or not for this user (any user error): the not-found page.
    No,
    Fault,
}

/// Runs `f` as the signed-in user on a blocking thread; a user error (refused, missing) is `No`,
/// so a page never tells a hidden thing from a missing one.
pub(crate) async fn look<T: Send + 'static>(
    state: &AppState,
    user: &SessionUser,
    f: impl FnOnce(
            &mut kumiki_engine::db::DbConn,
            &kumiki_engine::acting::ActingContext,
        ) -> Result<T, kumiki_engine::EngineError>
        + Send
        + 'static,
) -> Found<T> {
    let st = state.clone();
    let acting = user.acting(state);
    let found = crate::state::blocking(move || {
        let mut conn = st.conn()?;
        match f(&mut conn, &acting) {
            Ok(v) => Ok(Some(v)),
            Err(kumiki_engine::EngineError::User(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    })
    .await;
    match found {
        Ok(Some(v)) => Found::Yes(v),
        Ok(None) => Found::No,
        Err(_) => Found::Fault,
    }
}

pub fn see_other(location: &str) -> HttpResponse {
    let location = actix_web::http::header::HeaderValue::from_str(location)
        .unwrap_or_else(|_| actix_web::http::header::HeaderValue::from_static("/"));
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, location))
        .finish()
}
