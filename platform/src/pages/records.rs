//! The record pages of an app: the list (views, sort, paging, quick search, condition builder), the
//! calendar, and one record's detail, create and edit forms with comments and history.
//!
//! Pages are server-rendered shells (title, breadcrumbs, app name) checked here with the same engine
//! functions as the API; their scripts (`static/records*.js`, `static/views*.js`) render records, forms,
//! comments and history through the API. An app or record the user may not see, an app that was never
//! deployed, and a malformed id all answer the not-found page.

use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::acl::AppRight;
use kumiki_engine::apps::{any_script_for, AppId, ScriptEvent};
use kumiki_engine::records::get_record;
use kumiki_engine::{EngineError, UserError};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::session::{page_for, require_user, SessionUser};
use super::Page;
use crate::error::ApiError;
use crate::i18n::{self, Lang};
use crate::state::{blocking, AppState};

/// Which record page is shown.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    List,
    Calendar,
    Detail,
    New,
    Edit,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::List => "list",
            Mode::Calendar => "calendar",
            Mode::Detail => "detail",
            Mode::New => "new",
            Mode::Edit => "edit",
        }
    }
}

#[derive(Serialize)]
struct RecordsData {
    app_id: i64,
    app_name: String,
    /// 0 on list, calendar and new pages.
    record_id: i64,
    view: String,
    mode: &'static str,
    is_list: bool,
    is_calendar: bool,
    is_detail: bool,
    is_form: bool,
    is_edit: bool,
    may_add: bool,
    may_manage: bool,
    /// The user may export the records (the 「ファイルに書き出す」 button shows).
    may_export: bool,
    /// Issue 16: the 「ファイルから読み込む」 link shows.
    may_import: bool,
    /// Issue 16: the app's charts, linked beside the list views (「グラフ」).
    reports: Vec<super::report_view::ReportLink>,
    /// Issue 16, dashboards: the 「ダッシュボードに追加」 control of the list
    /// (`dashboard_pin_form.hbs`); no targets elsewhere, so no control.
    pin_kind: &'static str,
    pin_item: String,
    pin_list: bool,
    pin_views: Vec<super::dashboard::ViewChoice>,
    /// The user's private views, offered for their own board only.
    pin_private_views: Vec<super::dashboard::ViewChoice>,
    pin_targets: Vec<super::dashboard::PinTarget>,
    /// Where the control posts (`dashboard::pins_api`: the app's guest-space path, if any).
    pin_api: String,
}

#[derive(Deserialize)]
pub struct ViewQuery {
    view: Option<String>,
}

/// `?copy=<id>` on the create form: start from that record's values (再利用).
#[derive(Deserialize)]
pub struct NewQuery {
    copy: Option<String>,
}

/// What the record pages need of the app's live definition.
struct AppInfo {
    name: String,
    /// The app has enabled `field.change` scripts (the form then computes values live).
    field_change: bool,
    /// The record title field (`AppDefinition::title_field`): the first line of phone cards.
    title_field: Option<String>,
    /// The view opened when the URL names none (`defaultView` of the app settings: a view id).
    default_view: Option<String>,
    /// The user may add records (the create and 再利用 buttons show).
    may_add: bool,
    /// The user manages the app (the settings links show).
    may_manage: bool,
    /// The user has the export right (kintone's 「ファイルへの書き出し」).
    may_export: bool,
    /// Issue 16: the user may import records (import and add rights).
    may_import: bool,
    /// Fields (top-level and in subtables) the user may not query: the list's search box leaves
    /// them out, or the query would be refused as naming an unknown field.
    unqueryable: Vec<String>,
    /// Issue 13, guests: the guest space whose path the page's scripts call the API through.
    guest_space: Option<i64>,
    /// Issue 16: the app's charts (live), in their order.
    reports: Vec<super::report_view::ReportLink>,
    /// Issue 16, dashboards: the shared list views, the user's private views and the boards the
    /// user may pin to (lists only).
    pin_views: Vec<super::dashboard::ViewChoice>,
    pin_private_views: Vec<super::dashboard::ViewChoice>,
    pin_targets: Vec<super::dashboard::PinTarget>,
}

/// The app's live name and settings for the pages, when the user may view it (and the record
/// exists, when one is named); `None` for anything the page must answer as not found.
fn load_app(
    state: &AppState,
    user: &SessionUser,
    app: i64,
    record: Option<i64>,
    pins: Option<(Lang, String)>,
) -> Result<Option<AppInfo>, ApiError> {
    let mut conn = state.conn()?;
    // The same door as the API: an app or record the user may not view is not found.
    let live = match user
        .acting(state)
        .open_app(&mut conn, AppId(app), AppRight::View)
    {
        Ok(live) => live,
        Err(EngineError::User(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let (definition, access) = (&live.definition, &live.access);
    let mut unqueryable = Vec::new();
    for (code, property) in &definition.properties {
        let inner = property.fields.iter().flat_map(|f| f.keys());
        for c in std::iter::once(code).chain(inner) {
            if !access.field_queryable(definition, c) {
                unqueryable.push(c.clone());
            }
        }
    }
    let may = |right: AppRight| kumiki_engine::acl::check_app_access(access, right).is_ok();
    let (may_add, may_manage, may_export) = (
        may(AppRight::Add),
        may(AppRight::Manage),
        may(AppRight::Export),
    );
    let may_import = may(AppRight::Import) && may_add;
    if let Some(id) = record {
        match get_record(&mut conn, &live, id) {
            Ok(_) => {}
            Err(EngineError::User(UserError::RecordNotFound(_))) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
    }
    let guest_space = user.acting(state).app_path(&mut conn, &live.row)?;
    let field_change = any_script_for(&definition.scripts, ScriptEvent::FieldChange);
    let title_field = definition.title_field().map(str::to_owned);
    let default_view = match definition.settings.get("defaultView") {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let (pin_views, pin_private_views, pin_targets) = match pins {
        Some((lang, view)) => {
            // Through the app's own path: an app of a guest space pins to that space's board.
            let acting = user.acting(state).through_guest_space(guest_space);
            (
                super::dashboard::list_views(definition, &view, default_view.as_deref()),
                super::dashboard::private_views(&mut conn, &acting, live.id(), &view)?,
                super::dashboard::targets(&mut conn, &acting, lang)?,
            )
        }
        None => (Vec::new(), Vec::new(), Vec::new()),
    };
    Ok(Some(AppInfo {
        pin_views,
        pin_private_views,
        pin_targets,
        name: definition.name.clone(),
        field_change,
        title_field,
        default_view,
        unqueryable,
        may_add,
        may_manage,
        may_export,
        may_import,
        guest_space,
        reports: super::report_view::report_links(definition, None),
    }))
}

fn parse_id(s: &str) -> Option<i64> {
    s.parse::<i64>().ok().filter(|n| *n > 0)
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    app: &str,
    record: Option<&str>,
    mode: Mode,
    view: Option<String>,
    copy: Option<&str>,
) -> HttpResponse {
    let user = match require_user(req, state).await {
        Ok(u) => u,
        Err(redirect) => return redirect,
    };
    let lang = Lang::parse(&user.locale).unwrap_or(Lang::Ja);
    let Some(app_id) = parse_id(app) else {
        return super::not_found(state, lang, Some(&user));
    };
    let record_id = match record {
        None => None,
        Some(r) => match parse_id(r) {
            Some(id) => Some(id),
            None => return super::not_found(state, lang, Some(&user)),
        },
    };
    // A copy source the user may not see is not found, like the record itself.
    let copy_from = match copy {
        None => None,
        Some(c) => match parse_id(c) {
            Some(id) => Some(id),
            None => return super::not_found(state, lang, Some(&user)),
        },
    };
    let checked_record = record_id.or(copy_from);
    let st = state.clone();
    let u = user.clone();
    // Showing a page writes nothing: the page's script records the visit for "recently used apps"
    // with a POST (`/api/app/visit.json`), as no GET may change state.
    let pins = (mode == Mode::List).then(|| (lang, view.clone().unwrap_or_default()));
    let loaded = blocking(move || load_app(&st, &u, app_id, checked_record, pins)).await;
    let info = match loaded {
        Ok(Some(found)) => found,
        Ok(None) => return super::not_found(state, lang, Some(&user)),
        Err(_) => return super::internal_error(state, lang, Some(&user)),
    };
    let app_name = info.name.clone();
    let field_change = info.field_change;
    let view = view.unwrap_or_default();
    let title = match (mode, record_id) {
        (Mode::New, _) => format!("{} - {}", i18n::t(lang, "records.new_title"), app_name),
        (_, Some(id)) => format!("{} #{id} - {app_name}", i18n::t(lang, "records.record")),
        _ => app_name.clone(),
    };
    let data = RecordsData {
        app_id,
        app_name: app_name.clone(),
        record_id: record_id.unwrap_or(0),
        view: view.clone(),
        mode: mode.name(),
        is_list: mode == Mode::List,
        is_calendar: mode == Mode::Calendar,
        is_detail: mode == Mode::Detail,
        is_form: mode == Mode::New || mode == Mode::Edit,
        is_edit: mode == Mode::Edit,
        may_add: info.may_add,
        may_manage: info.may_manage,
        may_export: info.may_export,
        may_import: info.may_import,
        reports: info.reports,
        pin_kind: "LIST",
        pin_item: String::new(),
        pin_list: true,
        pin_views: info.pin_views,
        pin_private_views: info.pin_private_views,
        pin_targets: info.pin_targets,
        pin_api: super::dashboard::pins_api(info.guest_space),
    };
    let scripts: Vec<&'static str> = match mode {
        Mode::List => vec![
            "records_common.js",
            "views_query.js",
            "records_inline.js",
            "records_bulk.js",
            "records_export.js",
            "records_list.js",
            "dashboards.js",
        ],
        Mode::Calendar => vec!["records_common.js", "records_calendar.js"],
        Mode::Detail => vec![
            "records_common.js",
            "records_picker.js",
            "records_form.js",
            "records_detail.js",
            "process_actions.js",
            "record_rights.js",
        ],
        Mode::New => vec![
            "records_common.js",
            "records_picker.js",
            "records_form.js",
            "records_copy.js",
        ],
        Mode::Edit => vec![
            "records_common.js",
            "records_picker.js",
            "records_form.js",
            "record_rights.js",
        ],
    };
    let mut scripts = scripts;
    // English names of the system fields whose label is still the default (every records page).
    scripts.insert(0, "field_labels.js");
    if field_change && matches!(mode, Mode::New | Mode::Edit) {
        scripts.push("records_script_change.js");
    }
    page_for(
        state,
        &user,
        Page {
            template: "records_page",
            title,
            data: &data,
            page_data: json!({
                "app": app_id.to_string(),
                "appName": app_name,
                "record": record_id.map(|r| r.to_string()),
                // The copy form is a create form that its own script fills (records_copy.js).
                "mode": if copy_from.is_some() { "copy" } else { mode.name() },
                "copyFrom": copy_from.map(|r| r.to_string()),
                "view": view,
                "user": {"code": user.code, "name": user.name},
                "timezone": user.timezone,
                "lang": lang.code(),
                "fieldChange": field_change,
                "titleField": info.title_field,
                "defaultView": info.default_view,
                "unqueryable": info.unqueryable,
                // The list's own box searches this app; the header's would be a second, different one.
                "hideHeaderSearch": mode == Mode::List,
                "mayManage": info.may_manage,
                // Issue 13, guests: kumiki.js calls the API through this guest space's path.
                "guestSpace": info.guest_space.map(|s| s.to_string()),
            }),
            scripts,
        },
    )
}

/// `GET /apps/{id}` (`?view=<name>`): the record list.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<ViewQuery>,
) -> HttpResponse {
    let q = q.into_inner();
    render(&req, &state, &path, None, Mode::List, q.view, None).await
}

/// `GET /apps/{id}/calendar?view=<name>`: a month of records on their dates.
pub async fn calendar(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<ViewQuery>,
) -> HttpResponse {
    let q = q.into_inner();
    render(&req, &state, &path, None, Mode::Calendar, q.view, None).await
}

/// `GET /apps/{id}/records/new` (`?copy=<rid>`: prefilled from that record): the create form.
pub async fn new_record(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<NewQuery>,
) -> HttpResponse {
    let q = q.into_inner();
    render(
        &req,
        &state,
        &path,
        None,
        Mode::New,
        None,
        q.copy.as_deref(),
    )
    .await
}

/// `GET /apps/{id}/records/{rid}`: one record with comments and history.
pub async fn detail(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (app, rid) = path.into_inner();
    render(&req, &state, &app, Some(&rid), Mode::Detail, None, None).await
}

/// `GET /apps/{id}/records/{rid}/edit`: the edit form.
pub async fn edit(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (app, rid) = path.into_inner();
    render(&req, &state, &app, Some(&rid), Mode::Edit, None, None).await
}
