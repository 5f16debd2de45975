//! Issue 16, dashboards: what a board (`dashboards::Board`) shows on the portal and on a space's
//! page, and the choices of the 「ダッシュボードに追加」 control on chart pages and record lists.
//!
//! Every pin is computed again for the viewer with the viewer's acting context: a chart through
//! `reports::open_report` and the chart page's own drawing (`report_view`), a list through
//! `dashboards::items::open_list`. A pin the viewer may not see (an app they may not open, a chart
//! or view removed since, a field they may not see) says 「表示できません」 and names nothing; to a
//! guest it does not show at all (a guest space's board may hold what only the host may know of).
//!
//! A guest space's board is read and changed through the space's own path: the page's acting
//! context goes through it (`spaces::acting_for`), and the buttons and the 「ダッシュボードに追加」
//! form call `/k/guest/<id>/api/dashboard/pins.json` (`pins_api`).

use kumiki_engine::acting::ActingContext;
use kumiki_engine::apps::AppDefinition;
use kumiki_engine::dashboards::{self, items, Board, Kind, Pin};
use kumiki_engine::db::DbConn;
use kumiki_engine::{reports, EngineError};
use serde::Serialize;

use super::report_view::{self, Words};
use crate::error::ApiError;
use crate::i18n::{self, Lang};

/// One board as a page shows it.
#[derive(Serialize, Default)]
pub struct BoardView {
    pub pins: Vec<PinView>,
    /// The viewer may remove and reorder these pins.
    pub may_pin: bool,
    /// Where the remove and move buttons call (`pins_api`).
    pub api: String,
}

/// `/api/dashboard/pins.json`, through the guest space's path when there is one (a guest space's
/// board and its apps are reached only through it).
pub fn pins_api(guest_space: Option<i64>) -> String {
    match guest_space {
        Some(id) => format!("/k/guest/{id}/api/dashboard/pins.json"),
        None => "/api/dashboard/pins.json".to_owned(),
    }
}

/// One pin as a page shows it.
#[derive(Serialize, Default)]
pub struct PinView {
    pub id: i64,
    /// Empty when the pin cannot be shown to this viewer.
    pub title: String,
    pub link: String,
    pub unavailable: bool,
    pub is_chart: bool,
    /// The chart's SVG from `svg_charts` (every text escaped there); empty for tables.
    pub svg: String,
    /// Nothing to count or list.
    pub empty: bool,
    /// Column headers of the table (a list's fields, or a table chart's groups and values).
    pub headers: Vec<String>,
    pub rows: Vec<PinRow>,
}

#[derive(Serialize, Default)]
pub struct PinRow {
    /// The record's page (lists); empty for chart tables.
    pub link: String,
    pub cells: Vec<String>,
}

/// The pins of `board` as `acting` may see them; an empty board when the viewer may not see it.
pub fn board_view(
    conn: &mut DbConn,
    acting: &ActingContext,
    lang: Lang,
    board: &Board,
) -> Result<BoardView, ApiError> {
    let pins = match dashboards::list(conn, acting, board) {
        Ok(p) => p,
        Err(EngineError::User(_)) => return Ok(BoardView::default()),
        Err(e) => return Err(e.into()),
    };
    let may_pin = board.may_pin(conn, acting)?;
    let guest = acting.principal().is_guest();
    let mut out = Vec::with_capacity(pins.len());
    for pin in &pins {
        let shown = match pin.kind {
            Kind::Chart => chart(conn, acting, lang, pin),
            Kind::List => list(conn, acting, pin),
        };
        out.push(match shown {
            Ok(Some(v)) => v,
            Ok(None) | Err(EngineError::User(_)) if guest => continue,
            Ok(None) | Err(EngineError::User(_)) => PinView {
                id: pin.id,
                unavailable: true,
                ..PinView::default()
            },
            Err(e) => return Err(e.into()),
        });
    }
    Ok(BoardView {
        pins: out,
        may_pin,
        api: pins_api(acting.guest_space()),
    })
}

fn chart(
    conn: &mut DbConn,
    acting: &ActingContext,
    lang: Lang,
    pin: &Pin,
) -> Result<Option<PinView>, EngineError> {
    let Some((live, report, data)) = reports::open_report(conn, acting, pin.app, &pin.item)? else {
        return Ok(None);
    };
    let def: &AppDefinition = &live.definition;
    let words = Words {
        names: report_view::group_names(conn, def, &report, &data)?,
        ..Words::new(lang)
    };
    let (_, agg_names) = report_view::headers(lang, def, &report);
    let (categories, series) = report_view::chart_series(&report, &data, &words, &agg_names);
    let svg = report_view::chart_svg(&report, &categories, &series);
    let empty = data.rows.is_empty() && data.rest.is_none();
    // Tables (TABLE, PIVOT_TABLE) show their data table, compact.
    let (headers, rows) = if svg.is_empty() {
        let table = report_view::data_table(lang, def, &report, &data, &words);
        let rows = table
            .rows
            .into_iter()
            .map(|r| PinRow {
                link: String::new(),
                cells: r.keys.into_iter().chain(r.values).collect(),
            })
            .collect();
        (table.headers, rows)
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(Some(PinView {
        id: pin.id,
        title: format!("{} – {}", report.name, def.name),
        link: format!("/apps/{}/reports/{}", pin.app.0, report.id),
        unavailable: false,
        is_chart: true,
        svg,
        empty,
        headers,
        rows,
    }))
}

fn list(
    conn: &mut DbConn,
    acting: &ActingContext,
    pin: &Pin,
) -> Result<Option<PinView>, EngineError> {
    let shown = items::open_list(conn, acting, pin.app, &pin.item, pin.rows)?;
    let app = pin.app.0;
    let (title, link) = if shown.view_name.is_empty() {
        (shown.app_name.clone(), format!("/apps/{app}"))
    } else {
        (
            format!("{} – {}", shown.view_name, shown.app_name),
            format!("/apps/{app}?view={}", url_component(&shown.view_key)),
        )
    };
    Ok(Some(PinView {
        id: pin.id,
        title,
        link,
        unavailable: false,
        is_chart: false,
        svg: String::new(),
        empty: shown.records.is_empty(),
        headers: shown.columns.into_iter().map(|(_, l)| l).collect(),
        rows: shown
            .records
            .into_iter()
            .map(|(id, cells)| PinRow {
                link: format!("/apps/{app}/records/{id}"),
                cells,
            })
            .collect(),
    }))
}

/// Percent-encodes a URL query value.
fn url_component(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// One choice of the 「ダッシュボードに追加」 control: `USER`, `SPACE:<id>` or `PORTAL`.
#[derive(Serialize, Clone)]
pub struct PinTarget {
    pub value: String,
    pub label: String,
}

/// The boards the viewer may pin an item to, named for people; `acting` goes through the path of
/// the item's app (`dashboards::boards_for`).
pub fn targets(
    conn: &mut DbConn,
    acting: &ActingContext,
    lang: Lang,
) -> Result<Vec<PinTarget>, ApiError> {
    Ok(dashboards::boards_for(conn, acting)?
        .into_iter()
        .map(|(board, name)| match board {
            Board::User(_) => PinTarget {
                value: "USER".into(),
                label: i18n::t(lang, "dash.target.user"),
            },
            Board::Space(id) => PinTarget {
                value: format!("SPACE:{id}"),
                label: i18n::format(lang, "dash.target.space", &[("name", name.as_str())]),
            },
            Board::Portal => PinTarget {
                value: "PORTAL".into(),
                label: i18n::t(lang, "dash.target.portal"),
            },
        })
        .collect())
}

/// A list view of an app (shared, or one of the viewer's private views), for the list pin control.
#[derive(Serialize, Clone)]
pub struct ViewChoice {
    pub id: String,
    pub name: String,
    pub current: bool,
}

/// The app's shared LIST views (what a list pin can show), the one named `current` marked; with
/// no name, the one the record list opens (`default_id`, else the first), so the control
/// proposes what the user is looking at.
pub fn list_views(def: &AppDefinition, current: &str, default_id: Option<&str>) -> Vec<ViewChoice> {
    let mut views: Vec<ViewChoice> = def
        .views
        .iter()
        .filter(|(_, v)| v.get("type").and_then(|t| t.as_str()).unwrap_or("LIST") == "LIST")
        .filter_map(|(name, v)| {
            let id = match v.get("id") {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Number(n)) => n.to_string(),
                _ => return None,
            };
            Some(ViewChoice {
                id,
                name: name.clone(),
                current: name == current,
            })
        })
        .collect();
    if current.is_empty() {
        let shown = default_id
            .and_then(|d| views.iter().position(|v| v.id == d))
            .unwrap_or(0);
        if let Some(v) = views.get_mut(shown) {
            v.current = true;
        }
    }
    views
}

/// The viewer's private views of `app` (個人用の一覧), for the list pin control: they go only on
/// the viewer's own board, the form offers them when that board is chosen. `current` is the
/// record list's `?view=` value (`private:<id>` for a private view).
pub fn private_views(
    conn: &mut DbConn,
    acting: &ActingContext,
    app: kumiki_engine::apps::AppId,
    current: &str,
) -> Result<Vec<ViewChoice>, ApiError> {
    if acting.principal().is_guest() {
        return Ok(Vec::new());
    }
    let owner = acting.principal().acting_user().to_owned();
    Ok(kumiki_engine::views::private::list(conn, app, &owner)?
        .into_iter()
        .filter(|v| v.get("type").and_then(|t| t.as_str()).unwrap_or("LIST") == "LIST")
        .filter_map(|v| {
            let id = v.get("id")?.as_str()?.parse::<i64>().ok()?;
            let item = items::private_item(id);
            Some(ViewChoice {
                current: item == current,
                id: item,
                name: v.get("name")?.as_str()?.to_owned(),
            })
        })
        .collect())
}
