//! Print views (issue 16, item 5): one record (`/apps/{app}/records/{rid}/print`) and a list
//! (`/apps/{app}/print?view=&query=&sort=`, `sort` from the list's column header replacing the
//! view's) as A4 pages without the site's navigation, portrait or landscape (`?orientation=`), or
//! rendered through one of the app's print templates (`?template=<id>`, see `print_templates`), on
//! the template's own orientation.
//!
//! What is printed comes from `kumiki_engine::print`, which opens the app through the acting context:
//! records and fields the user may not view are never in the data, so neither the built-in layout
//! nor a template can show them. An app or record the user may not see answers the not-found page.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::apps::AppId;
use kumiki_engine::print::{
    self, ListPrint, ListSelection, Orientation, RecordPrint, LIST_PRINT_LIMIT,
};
use kumiki_engine::{EngineError, UserError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::print_templates::{self, Rendered};
use super::session::{require_user, SessionUser};
use crate::error::ApiError;
use crate::i18n::{self, Lang};
use crate::state::{blocking, AppState};

/// `?view=&query=&sort=&orientation=&template=` of the print pages.
#[derive(Deserialize)]
pub struct PrintQuery {
    view: Option<String>,
    query: Option<String>,
    /// A list's sort chosen by a column header (`件名 asc`); replaces the view's.
    sort: Option<String>,
    /// `portrait` (default) or `landscape`, for the standard prints (a template has its own).
    orientation: Option<String>,
    template: Option<String>,
    /// `1`: the template from the pre-live settings (managers only).
    preview: Option<String>,
}

/// What the print page shell shows.
#[derive(Serialize)]
struct PrintPage<'a> {
    lang: &'static str,
    title: String,
    /// Where 「戻る」 leads.
    back: String,
    /// The built-in layout of one record.
    record: Option<&'a RecordPrint>,
    /// The built-in layout of a list.
    list: Option<&'a ListPrint>,
    /// The list was cut at the print limit.
    limit: i64,
    /// HTML a print template rendered (escaped by that template's registry).
    rendered: Option<String>,
    /// A template failed: its message, shown instead of the print.
    template_error: Option<String>,
    printed_at: String,
    /// The app's templates for this kind of print (links in the toolbar).
    templates: Vec<TemplateLink>,
    /// The standard print's address (the toolbar's first choice).
    plain: String,
    /// The sheet is A4 landscape (print-landscape.css).
    landscape: bool,
    /// 縦 / 横 for the standard print (none for a template, which has its own).
    orientations: Vec<OrientationLink>,
}

#[derive(Serialize)]
struct OrientationLink {
    /// `portrait` or `landscape` (a test id and the label's key).
    value: &'static str,
    label: String,
    href: String,
    current: bool,
}

#[derive(Serialize)]
struct TemplateLink {
    name: String,
    href: String,
    current: bool,
}

fn parse_id(s: &str) -> Option<i64> {
    s.parse::<i64>().ok().filter(|n| *n > 0)
}

enum Loaded {
    Record(Box<RecordPrint>),
    List(Box<ListPrint>),
}

/// `GET /apps/{id}/records/{rid}/print`.
pub async fn record(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    q: web::Query<PrintQuery>,
) -> HttpResponse {
    let (app, rid) = path.into_inner();
    show(&req, &state, &app, Some(&rid), q.into_inner()).await
}

/// `GET /apps/{id}/print?view=&query=`.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<PrintQuery>,
) -> HttpResponse {
    show(&req, &state, &path, None, q.into_inner()).await
}

async fn show(
    req: &HttpRequest,
    state: &AppState,
    app: &str,
    record: Option<&str>,
    q: PrintQuery,
) -> HttpResponse {
    let user = match require_user(req, state).await {
        Ok(u) => u,
        Err(redirect) => return redirect,
    };
    let lang = Lang::parse(&user.locale).unwrap_or(Lang::Ja);
    let Some(app_id) = parse_id(app) else {
        return super::not_found(state, lang, Some(&user));
    };
    let record_id = match record.map(parse_id) {
        None => None,
        Some(Some(id)) => Some(id),
        Some(None) => return super::not_found(state, lang, Some(&user)),
    };
    let asked = match Orientation::from_param(q.orientation.as_deref()) {
        Ok(o) => o,
        Err(e) => return bad_query(state, lang, &user, app_id, &readable(lang, e)),
    };
    let (st, u) = (state.clone(), user.clone());
    let (view, query, sort) = (q.view.clone(), q.query.clone(), q.sort.clone());
    let loaded = blocking(move || load(&st, &u, app_id, record_id, view, query, sort)).await;
    let loaded = match loaded {
        Ok(Outcome::Found(found)) => found,
        Ok(Outcome::BadQuery(message)) => return bad_query(state, lang, &user, app_id, &message),
        Ok(Outcome::Missing) => return super::not_found(state, lang, Some(&user)),
        Err(_) => return super::internal_error(state, lang, Some(&user)),
    };
    let printed_at = user_now(&user);
    let (mut title, back) = match &loaded {
        Loaded::Record(r) => (
            format!(
                "{} #{} - {}",
                i18n::t(lang, "records.record"),
                r.record.id,
                r.app_name
            ),
            format!("/apps/{app_id}/records/{}", r.record.id),
        ),
        Loaded::List(l) => (
            if l.view_name.is_empty() {
                l.app_name.clone()
            } else {
                format!("{} - {}", l.view_name, l.app_name)
            },
            format!("/apps/{app_id}"),
        ),
    };
    // A print template, when one is named: found in the app's live definition, rendered in its own
    // registry with only the data of this print.
    let (mut rendered, mut template_error) = (None, None);
    let mut orientation = asked;
    let is_record = matches!(loaded, Loaded::Record(_));
    if let Some(tid) = q.template.as_deref().filter(|t| !t.is_empty()) {
        let (st, u) = (state.clone(), user.clone());
        let tid = tid.to_owned();
        let preview = q.preview.as_deref() == Some("1");
        let found =
            blocking(move || print_templates::find_template(&st, &u, app_id, &tid, preview)).await;
        let template = match found {
            // A list template does not print a record, nor the other way round.
            Ok(Some(t)) if (t.target == "list") != is_record => t,
            Ok(_) => return super::not_found(state, lang, Some(&user)),
            Err(_) => return super::internal_error(state, lang, Some(&user)),
        };
        if !template.name.is_empty() {
            title = format!("{} - {title}", template.name);
        }
        orientation = template.orientation;
        let data = match &loaded {
            Loaded::Record(r) => print_templates::record_data(r, &printed_at),
            Loaded::List(l) => print_templates::list_data(l, &printed_at),
        };
        match print_templates::render(&template.source, &data) {
            Rendered::Html(html) => rendered = Some(html),
            Rendered::Error(key, detail) => {
                template_error = Some(i18n::format(lang, key, &[("detail", detail.as_str())]))
            }
        }
    }
    // Every link of the toolbar prints the same selection (view, condition, sort).
    let (path, selection) = match &loaded {
        Loaded::Record(r) => (
            format!("/apps/{app_id}/records/{}/print", r.record.id),
            Vec::new(),
        ),
        Loaded::List(_) => (
            format!("/apps/{app_id}/print"),
            [("view", &q.view), ("query", &q.query), ("sort", &q.sort)]
                .into_iter()
                .filter_map(|(k, v)| Some((k, v.as_deref().filter(|v| !v.is_empty())?)))
                .collect(),
        ),
    };
    let link = |extra: Option<(&str, &str)>| address(&path, &selection, extra);
    let plain = link((asked == Orientation::Landscape).then_some(("orientation", "landscape")));
    let orientations = if q.template.as_deref().is_some_and(|t| !t.is_empty()) {
        Vec::new()
    } else {
        [Orientation::Portrait, Orientation::Landscape]
            .into_iter()
            .map(|o| OrientationLink {
                value: o.as_str(),
                label: i18n::t(lang, &format!("print.orientation.{}", o.as_str())),
                href: link(Some(("orientation", o.as_str()))),
                current: o == asked,
            })
            .collect()
    };
    let (st, u) = (state.clone(), user.clone());
    let templates = blocking(move || print_templates::live_templates(&st, &u, app_id))
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|t| (t.target == "list") != is_record)
        .map(|t| TemplateLink {
            href: link(Some(("template", &t.id))),
            current: q.template.as_deref() == Some(t.id.as_str()),
            name: t.name,
        })
        .collect();
    let page = PrintPage {
        lang: lang.code(),
        title,
        back,
        templates,
        plain,
        landscape: orientation == Orientation::Landscape,
        orientations,
        record: match &loaded {
            Loaded::Record(r) => Some(r),
            Loaded::List(_) => None,
        },
        list: match &loaded {
            Loaded::List(l) => Some(l),
            Loaded::Record(_) => None,
        },
        limit: LIST_PRINT_LIMIT,
        rendered,
        template_error,
        printed_at,
    };
    respond(state, lang, StatusCode::OK, &page)
}

enum Outcome {
    Found(Loaded),
    /// Not there, or not for this user.
    Missing,
    /// The `query` the user wrote is wrong: its message.
    BadQuery(String),
}

/// `path` with `pairs` and then `extra` as its query string.
fn address(path: &str, pairs: &[(&str, &str)], extra: Option<(&str, &str)>) -> String {
    let mut params = form_urlencoded::Serializer::new(String::new());
    params.extend_pairs(pairs.iter().copied().chain(extra));
    let query = params.finish();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// The print data as the user may see it.
fn load(
    state: &AppState,
    user: &SessionUser,
    app: i64,
    record: Option<i64>,
    view: Option<String>,
    query: Option<String>,
    sort: Option<String>,
) -> Result<Outcome, ApiError> {
    let mut conn = state.conn()?;
    let acting = user.acting(state);
    let result = match record {
        Some(id) => print::record_print(&mut conn, &acting, AppId(app), id)
            .map(|r| Loaded::Record(Box::new(r))),
        None => print::list_print(
            &mut conn,
            &acting,
            AppId(app),
            ListSelection {
                view: view.as_deref(),
                query: query.as_deref(),
                sort: sort.as_deref(),
            },
        )
        .map(|l| Loaded::List(Box::new(l))),
    };
    match result {
        Ok(found) => Ok(Outcome::Found(found)),
        Err(EngineError::User(e)) if is_query_error(&e) => {
            let lang = Lang::parse(&user.locale).unwrap_or(Lang::Ja);
            Ok(Outcome::BadQuery(readable(lang, e)))
        }
        Err(EngineError::User(_)) => Ok(Outcome::Missing),
        Err(e) => Err(e.into()),
    }
}

/// The user's language's message of a refused query, with its per-parameter details.
fn readable(lang: Lang, e: UserError) -> String {
    let body = ApiError::from(e).in_lang(Some(lang)).body(true);
    let mut text = body["message"].as_str().unwrap_or_default().to_owned();
    if let Some(errors) = body["errors"].as_object() {
        for detail in errors.values() {
            for m in detail["messages"].as_array().into_iter().flatten() {
                text.push(' ');
                text.push_str(m.as_str().unwrap_or_default());
            }
        }
    }
    text
}

fn is_query_error(e: &UserError) -> bool {
    matches!(e, UserError::Query { .. } | UserError::Validation(_))
}

/// "Now" in the user's time zone, as printed in the footer and handed to templates.
fn user_now(user: &SessionUser) -> String {
    let tz: chrono_tz::Tz = user.timezone.parse().unwrap_or(chrono_tz::Asia::Tokyo);
    chrono::Utc::now()
        .with_timezone(&tz)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn bad_query(
    state: &AppState,
    lang: Lang,
    user: &SessionUser,
    app: i64,
    message: &str,
) -> HttpResponse {
    let page = PrintPage {
        lang: lang.code(),
        title: i18n::t(lang, "print.title"),
        back: format!("/apps/{app}"),
        record: None,
        list: None,
        limit: LIST_PRINT_LIMIT,
        rendered: None,
        template_error: Some(message.to_owned()),
        printed_at: user_now(user),
        templates: Vec::new(),
        plain: String::new(),
        landscape: false,
        orientations: Vec::new(),
    };
    respond(state, lang, StatusCode::BAD_REQUEST, &page)
}

/// The print shell: its own document (no header, no navigation) under the pages' CSP.
fn respond(state: &AppState, lang: Lang, status: StatusCode, page: &PrintPage<'_>) -> HttpResponse {
    let data = match serde_json::to_value(page) {
        Ok(v) => v,
        Err(_) => Value::Null,
    };
    match state.templates.render("print_page", &data) {
        Ok(html) => super::html_response(status, html),
        Err(e) => {
            tracing::error!(error = %e, "print page failed");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body(i18n::t(lang, "error.internal.body"))
        }
    }
}
