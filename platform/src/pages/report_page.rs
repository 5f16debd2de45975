//! Issue 16, charts: an app's chart page, `GET /apps/{id}/reports/{rid}` — the chart drawn as SVG
//! on the server (`svg_charts`), its data table (for screen readers, and the chart of TABLE and
//! PIVOT_TABLE reports), a CSV download of the same table (`?format=csv`, UTF-8 with BOM), and
//! links to the app's other charts.
//!
//! The numbers come from `reports::open_report` with the signed-in user's acting context, so they
//! count only the records the user may view (the data API's rule, one door). An app the user may
//! not view, an unknown chart and a malformed id answer the not-found page; a chart that no longer
//! checks (a field deleted since, or one the user may not see) a page saying so.
//!
//! Below the chart, 「過去の集計結果」 lists the periodic report's snapshots (`report_past`);
//! `?snapshot=<id>` opens one, `?snapshot=<id>&format=csv` downloads its table.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::acl::AppRight;
use kumiki_engine::apps::{AppDefinition, AppId};
use kumiki_engine::reports::{self, aggregate::ReportData, ChartMode, Report};
use kumiki_engine::{EngineError, UserError};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::report_view::{self, DataTable, PivotGrid, ReportLink, Words};
use super::session::{page_for, require_user, SessionUser};
use super::Page;
use crate::i18n::{self, Lang};
use crate::state::{blocking, AppState};

#[derive(Deserialize)]
pub struct ReportQuery {
    format: Option<String>,
    /// Issue 16, periodic reports: the snapshot to open (`report_past`).
    snapshot: Option<String>,
}

#[derive(Serialize)]
struct ReportPageData {
    app_id: i64,
    app_name: String,
    report_id: String,
    name: String,
    type_label: String,
    /// Empty for the tables and pies, which have no stacking.
    mode_label: String,
    filter_cond: String,
    /// SVG from `svg_charts` (every text escaped there); empty for TABLE and PIVOT_TABLE.
    svg: String,
    pivots: Vec<PivotGrid>,
    table: DataTable,
    table_caption: String,
    /// The table is the chart itself (TABLE, or a cross table of one group): shown open.
    table_open: bool,
    /// More groups than a chart holds: the rest is one row (その他).
    truncated: bool,
    /// No record counts (none match, or the user may see none): a sentence instead of an empty chart.
    empty: bool,
    reports: Vec<ReportLink>,
    may_manage: bool,
    csv_url: String,
    /// Issue 16, dashboards: the 「ダッシュボードに追加」 control (`dashboard_pin_form.hbs`).
    pin_kind: &'static str,
    pin_item: String,
    pin_list: bool,
    pin_views: Vec<super::dashboard::ViewChoice>,
    pin_private_views: Vec<super::dashboard::ViewChoice>,
    pin_targets: Vec<super::dashboard::PinTarget>,
    /// Where the control posts (`dashboard::pins_api`: the app's guest-space path, if any).
    pin_api: String,
    /// 「過去の集計結果」 (`report_past`).
    past: super::report_past::PastView,
}

/// A chart as the page shows it.
struct Shown {
    def: AppDefinition,
    report: Report,
    data: ReportData,
    may_manage: bool,
    /// Per group: the names of the codes its keys hold (entity fields).
    names: Vec<std::collections::HashMap<String, String>>,
    /// The boards the user may pin this chart to.
    targets: Vec<super::dashboard::PinTarget>,
    /// The guest space whose path reaches the app (None: the normal path).
    guest_space: Option<i64>,
    /// The periodic report's snapshots as the user may see them.
    past: super::report_past::Loaded,
}

/// What the page's lookup found.
enum Loaded {
    Shown(Box<Shown>),
    NotFound,
    /// The chart no longer checks against the app or the user's rights.
    Broken,
}

fn load(
    state: &AppState,
    user: &SessionUser,
    app: i64,
    id: &str,
    lang: Lang,
    snapshot: Option<i64>,
) -> Result<Loaded, crate::error::ApiError> {
    let mut conn = state.conn()?;
    let acting = user.acting(state);
    match reports::open_report(&mut conn, &acting, AppId(app), id) {
        Ok(Some((live, report, data))) => {
            let may_manage =
                kumiki_engine::acl::check_app_access(&live.access, AppRight::Manage).is_ok();
            // Groups by user, organisation and group fields show names, as the records do.
            let names = report_view::group_names(&mut conn, &live.definition, &report, &data)?;
            let past = super::report_past::load(&mut conn, &acting, &live, id, snapshot)?;
            // Through the app's own path: a chart of a guest space pins to that space's board.
            let guest_space = acting.app_path(&mut conn, &live.row)?;
            let targets = super::dashboard::targets(
                &mut conn,
                &acting.clone().through_guest_space(guest_space),
                lang,
            )?;
            Ok(Loaded::Shown(Box::new(Shown {
                def: live.definition,
                report,
                data,
                may_manage,
                names,
                targets,
                guest_space,
                past,
            })))
        }
        Ok(None) => Ok(Loaded::NotFound),
        Err(EngineError::User(UserError::Validation(_) | UserError::Query { .. })) => {
            Ok(Loaded::Broken)
        }
        Err(EngineError::User(_)) => Ok(Loaded::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// A report id from the path: kintone's ids are digits.
fn report_id(raw: &str) -> Option<String> {
    (!raw.is_empty() && raw.len() <= 18 && raw.bytes().all(|b| b.is_ascii_digit()))
        .then(|| raw.to_owned())
}

/// `GET /apps/{id}/reports/{rid}` (`?format=csv`: the data table as a CSV download).
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    q: web::Query<ReportQuery>,
) -> HttpResponse {
    let user = match require_user(&req, &state).await {
        Ok(u) => u,
        Err(redirect) => return redirect,
    };
    let lang = Lang::parse(&user.locale).unwrap_or(Lang::Ja);
    let (raw_app, raw_id) = path.into_inner();
    let q = q.into_inner();
    let csv = match q.format.as_deref() {
        None | Some("") => false,
        Some("csv") => true,
        Some(_) => return super::not_found(&state, lang, Some(&user)),
    };
    let snapshot = match q.snapshot.as_deref() {
        None | Some("") => None,
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) if n > 0 => Some(n),
            _ => return super::not_found(&state, lang, Some(&user)),
        },
    };
    let (Some(app_id), Some(id)) = (super::parse_id(&raw_app), report_id(&raw_id)) else {
        return super::not_found(&state, lang, Some(&user));
    };
    let st = state.get_ref().clone();
    let u = user.clone();
    let rid = id.clone();
    let loaded = blocking(move || load(&st, &u, app_id, &rid, lang, snapshot)).await;
    let Shown {
        def,
        report,
        data,
        may_manage,
        names,
        targets,
        guest_space,
        past,
    } = match loaded {
        Ok(Loaded::Shown(found)) => *found,
        Ok(Loaded::NotFound) => return super::not_found(&state, lang, Some(&user)),
        Ok(Loaded::Broken) => {
            return super::message_page(
                &state,
                lang,
                Some(&user),
                StatusCode::BAD_REQUEST,
                "charts.broken.title",
                "charts.broken.body",
            )
        }
        Err(_) => return super::internal_error(&state, lang, Some(&user)),
    };
    let words = Words {
        names,
        ..Words::new(lang)
    };
    if csv && snapshot.is_some() {
        // A snapshot's CSV: only one the user may see and that still shows.
        let Some(table) = past
            .opened
            .as_ref()
            .and_then(|o| super::report_past::table(lang, &def, o))
        else {
            return super::not_found(&state, lang, Some(&user));
        };
        return HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                "Content-Disposition",
                format!(
                    "attachment; filename=\"report-{app_id}-{id}-{}.csv\"",
                    snapshot.unwrap_or_default()
                ),
            ))
            .insert_header(("Cache-Control", "no-store"))
            .body(report_view::csv(&table));
    }
    let table = report_view::data_table(lang, &def, &report, &data, &words);
    if csv {
        return HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                "Content-Disposition",
                format!("attachment; filename=\"report-{app_id}-{id}.csv\""),
            ))
            .insert_header(("Cache-Control", "no-store"))
            .body(report_view::csv(&table));
    }
    let (group_names, agg_names) = report_view::headers(lang, &def, &report);
    let (categories, series) = report_view::chart_series(&report, &data, &words, &agg_names);
    let svg = report_view::chart_svg(&report, &categories, &series);
    let pivots = if report.chart_type == "PIVOT_TABLE" {
        report_view::pivot_grids(&report, &data, &words, &group_names, &agg_names)
    } else {
        Vec::new()
    };
    let stacked = matches!(
        report.chart_type.as_str(),
        "BAR" | "COLUMN" | "LINE" | "AREA" | "SPLINE" | "SPLINE_AREA"
    );
    let mode_label = match (stacked, report.chart_mode) {
        (false, _) => String::new(),
        (true, ChartMode::Normal) => i18n::t(lang, "charts.mode.NORMAL"),
        (true, ChartMode::Stacked) => i18n::t(lang, "charts.mode.STACKED"),
        (true, ChartMode::Percentage) => i18n::t(lang, "charts.mode.PERCENTAGE"),
    };
    let data_view = ReportPageData {
        app_id,
        app_name: def.name.clone(),
        report_id: id.clone(),
        name: report.name.clone(),
        type_label: i18n::t(lang, &format!("charts.type.{}", report.chart_type)),
        mode_label,
        filter_cond: report.filter_cond.clone(),
        table_open: svg.is_empty() && pivots.is_empty(),
        svg,
        pivots,
        table_caption: i18n::format(
            lang,
            "charts.table_caption",
            &[("name", report.name.as_str())],
        ),
        table,
        truncated: data.rest.is_some(),
        empty: data.rows.is_empty() && data.rest.is_none(),
        reports: report_view::report_links(&def, Some(id.as_str())),
        may_manage,
        csv_url: format!("/apps/{app_id}/reports/{id}?format=csv"),
        pin_kind: "CHART",
        pin_item: id.clone(),
        pin_list: false,
        pin_views: Vec::new(),
        pin_private_views: Vec::new(),
        pin_targets: targets,
        pin_api: super::dashboard::pins_api(guest_space),
        past: super::report_past::view(
            lang,
            &def,
            &format!("/apps/{app_id}/reports/{id}"),
            &report.name,
            past,
            user.tz(&state),
        ),
    };
    page_for(
        &state,
        &user,
        Page {
            template: "report_page",
            title: format!("{} – {}", report.name, def.name),
            data: &data_view,
            page_data: json!({"app": app_id.to_string(), "report": id}),
            // Issue 16, dashboards: the 「ダッシュボードに追加」 control.
            scripts: vec!["dashboards.js"],
        },
    )
}
