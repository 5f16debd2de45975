//! Issue 16, charts: what a chart page shows of a report, built from the engine's checked report
//! and its numbers (`reports::open_report`): the SVG chart of its type and mode, the data table
//! (also what the CSV download holds), and for cross tables (PIVOT_TABLE) one grid per
//! aggregation. Pure functions of their inputs, so the numbers on the page, in the table and in
//! the CSV are the same numbers the data API returns.
//!
//! How kintone's shapes map: with one group, the categories are its values and every aggregation
//! is a series; with two or three groups, the categories are the first group's values, the series
//! are the other groups' values (joined with " / ") and the first aggregation is drawn. The groups
//! beyond the engine's limit are one category (その他).

use std::collections::HashMap;

use kumiki_engine::apps::AppDefinition;
use kumiki_engine::reports::aggregate::{DataRow, ReportData};
use kumiki_engine::reports::{AggregationKind, Report};
use serde::Serialize;

use super::svg_charts::{self, Chart, LineKind, Orientation, Series};
use crate::i18n::{self, Lang};

/// The texts a report view needs that are not in the data: the name of an empty key, of the rest
/// row and of the total, and names for groups whose keys are codes (users, departments, groups).
pub struct Words {
    pub blank: String,
    pub other: String,
    pub total: String,
    /// Per group position: code → name, for groups by user, organisation or group fields (empty
    /// for other groups, whose keys are shown as they are).
    pub names: Vec<HashMap<String, String>>,
}

impl Words {
    pub fn new(lang: Lang) -> Words {
        Words {
            blank: i18n::t(lang, "charts.blank"),
            other: i18n::t(lang, "charts.other"),
            total: i18n::t(lang, "charts.total"),
            names: Vec::new(),
        }
    }

    /// The key of group `i` as shown: a name for entity fields, the blank word for no value.
    fn key(&self, i: usize, k: &Option<String>) -> String {
        match k {
            Some(s) if !s.is_empty() => self
                .names
                .get(i)
                .and_then(|names| names.get(s))
                .cloned()
                .unwrap_or_else(|| s.clone()),
            _ => self.blank.clone(),
        }
    }
}

/// What the keys of a group by field `code` are codes of, when they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityKind {
    User,
    Department,
    Group,
}

/// Whether a field's values are codes of users, departments or groups (grouping by it shows names).
pub fn entity_kind(def: &AppDefinition, code: &str) -> Option<EntityKind> {
    use kumiki_engine::fields::FieldType;
    match def.field(code)?.property.field_type {
        FieldType::UserSelect
        | FieldType::Creator
        | FieldType::Modifier
        | FieldType::StatusAssignee => Some(EntityKind::User),
        FieldType::OrganizationSelect => Some(EntityKind::Department),
        FieldType::GroupSelect => Some(EntityKind::Group),
        _ => None,
    }
}

/// The keys of group `i` among `data`'s rows, sorted, without repeats.
pub fn group_codes(data: &ReportData, i: usize) -> Vec<String> {
    let mut codes: Vec<String> = data
        .rows
        .iter()
        .filter_map(|r| r.keys.get(i).cloned().flatten())
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

/// Per group of `report`, the names of the codes its keys hold (the same names the records show):
/// people's display names, departments' and groups' names.
pub fn group_names(
    conn: &mut kumiki_engine::db::DbConn,
    def: &AppDefinition,
    report: &kumiki_engine::reports::Report,
    data: &ReportData,
) -> Result<Vec<HashMap<String, String>>, kumiki_engine::EngineError> {
    let mut departments: Option<HashMap<String, String>> = None;
    let mut groups: Option<HashMap<String, String>> = None;
    let mut out = Vec::with_capacity(report.groups.len());
    for (i, g) in report.groups.iter().enumerate() {
        let names = match entity_kind(def, &g.code) {
            None => HashMap::new(),
            Some(EntityKind::User) => {
                kumiki_engine::users::display_names(conn, &group_codes(data, i))?
            }
            Some(EntityKind::Department) => match &departments {
                Some(all) => all.clone(),
                None => {
                    let all: HashMap<String, String> =
                        kumiki_engine::org::departments::list_departments(conn)?
                            .into_iter()
                            .map(|d| (d.code, d.name))
                            .collect();
                    departments = Some(all.clone());
                    all
                }
            },
            Some(EntityKind::Group) => match &groups {
                Some(all) => all.clone(),
                None => {
                    let all: HashMap<String, String> =
                        kumiki_engine::org::groups::list_groups(conn)?
                            .into_iter()
                            .map(|g| (g.code, g.name))
                            .collect();
                    groups = Some(all.clone());
                    all
                }
            },
        };
        out.push(names);
    }
    Ok(out)
}

/// The data table: one row per group (and the rest), headers are the groups' field names and the
/// aggregations' names.
#[derive(Debug, Serialize, PartialEq)]
pub struct DataTable {
    pub headers: Vec<String>,
    /// How many leading columns are group keys (row headers, `<th scope="row">`).
    pub key_columns: usize,
    /// `headers` split at `key_columns`, for the template (numbers are aligned right).
    pub key_headers: Vec<String>,
    pub value_headers: Vec<String>,
    pub rows: Vec<TableRow>,
    /// Every group taken together (`total`); no keys.
    pub total: TableRow,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct TableRow {
    pub keys: Vec<String>,
    /// Values as shown (rounded to two decimals); empty when there is nothing to aggregate.
    pub values: Vec<String>,
    /// Values as exported (full precision); empty when there is nothing to aggregate.
    #[serde(skip)]
    pub exact: Vec<String>,
}

/// One cross table (PIVOT_TABLE) for one aggregation: rows are the first group's values, columns
/// the other groups' values.
#[derive(Debug, Serialize, PartialEq)]
pub struct PivotGrid {
    pub caption: String,
    pub corner: String,
    pub columns: Vec<String>,
    pub rows: Vec<PivotRow>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct PivotRow {
    pub label: String,
    pub cells: Vec<String>,
}

/// A link to one of the app's charts (the chart page's list, the record list's 「グラフ」).
#[derive(Debug, Serialize, PartialEq)]
pub struct ReportLink {
    pub id: String,
    pub name: String,
    pub current: bool,
}

/// The app's charts in their order (`index`); `current` marks the one shown.
pub fn report_links(def: &AppDefinition, current: Option<&str>) -> Vec<ReportLink> {
    let text = |v: &serde_json::Value, key: &str| match v.get(key) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let mut links: Vec<(i64, ReportLink)> = def
        .reports
        .iter()
        .map(|(name, v)| {
            let id = text(v, "id");
            let index = text(v, "index").parse().unwrap_or(i64::MAX);
            let current = current == Some(id.as_str());
            (
                index,
                ReportLink {
                    id,
                    name: name.clone(),
                    current,
                },
            )
        })
        .filter(|(_, l)| !l.id.is_empty())
        .collect();
    links.sort_by_key(|(i, _)| *i);
    links.into_iter().map(|(_, l)| l).collect()
}

/// The name of a field for people: its label, else its code.
fn field_label(def: &AppDefinition, code: &str) -> String {
    def.field(code)
        .map(|f| f.property.label.clone())
        .filter(|l| !l.trim().is_empty())
        .unwrap_or_else(|| code.to_owned())
}

/// The column names of a report: its groups' fields, then its aggregations
/// (レコード数, 合計（金額）, ...).
pub fn headers(lang: Lang, def: &AppDefinition, report: &Report) -> (Vec<String>, Vec<String>) {
    let groups = report
        .groups
        .iter()
        .map(|g| field_label(def, &g.code))
        .collect();
    let aggs = report
        .aggregations
        .iter()
        .map(|a| match (a.kind, &a.code) {
            (AggregationKind::Count, _) | (_, None) => i18n::t(lang, "charts.agg.COUNT"),
            (kind, Some(code)) => i18n::format(
                lang,
                &format!("charts.agg.{}", kind.name()),
                &[("field", field_label(def, code).as_str())],
            ),
        })
        .collect();
    (groups, aggs)
}

/// Full precision for the CSV: Rust's shortest round-tripping form, no exponent for ordinary sizes.
fn exact(v: f64) -> String {
    if v.is_finite() && (v - v.round()).abs() < 1e-9 && v.abs() < 1e15 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v}")
    }
}

fn table_row(row: &DataRow, keys: Vec<String>) -> TableRow {
    TableRow {
        keys,
        values: row
            .values
            .iter()
            .map(|v| v.map(svg_charts::number).unwrap_or_default())
            .collect(),
        exact: row
            .values
            .iter()
            .map(|v| v.map(exact).unwrap_or_default())
            .collect(),
    }
}

/// Every row of the data with its keys as shown: the rest row's keys are all その他.
fn labelled_rows<'a>(
    data: &'a ReportData,
    words: &'a Words,
) -> impl Iterator<Item = (Vec<String>, &'a DataRow)> + 'a {
    data.rows
        .iter()
        .map(move |r| {
            let keys = r
                .keys
                .iter()
                .enumerate()
                .map(|(i, k)| words.key(i, k))
                .collect();
            (keys, r)
        })
        .chain(
            data.rest
                .iter()
                .map(move |r| (vec![words.other.clone(); r.keys.len().max(1)], r)),
        )
}

/// The data table of a report (the page's table and the CSV).
pub fn data_table(
    lang: Lang,
    def: &AppDefinition,
    report: &Report,
    data: &ReportData,
    words: &Words,
) -> DataTable {
    let (groups, aggs) = headers(lang, def, report);
    let key_columns = groups.len();
    let rows = labelled_rows(data, words)
        .map(|(keys, r)| table_row(r, keys))
        .collect();
    let mut total_keys = vec![String::new(); key_columns];
    if let Some(first) = total_keys.first_mut() {
        first.clone_from(&words.total);
    }
    DataTable {
        key_headers: groups.clone(),
        value_headers: aggs.clone(),
        headers: groups.into_iter().chain(aggs).collect(),
        key_columns,
        rows,
        total: table_row(&data.total, total_keys),
    }
}

/// The table as CSV: UTF-8 with a BOM (so Excel reads Japanese), CRLF lines, cells that a
/// spreadsheet would evaluate defused (`audit::csv_cell`); numbers in full precision.
pub fn csv(table: &DataTable) -> String {
    use kumiki_engine::audit::csv_cell;
    let mut out = String::from("\u{feff}");
    let line = |cells: Vec<String>| cells.join(",") + "\r\n";
    out.push_str(&line(table.headers.iter().map(|h| csv_cell(h)).collect()));
    for r in &table.rows {
        let cells = r
            .keys
            .iter()
            .map(|k| csv_cell(k))
            .chain(r.exact.iter().cloned())
            .collect();
        out.push_str(&line(cells));
    }
    out
}

/// Categories (first group) and series (aggregations, or the other groups' values) of a chart.
pub fn chart_series(
    report: &Report,
    data: &ReportData,
    words: &Words,
    agg_names: &[String],
) -> (Vec<String>, Vec<Series>) {
    let mut categories: Vec<String> = Vec::new();
    let index_of = |list: &mut Vec<String>, label: String| -> usize {
        match list.iter().position(|l| *l == label) {
            Some(i) => i,
            None => {
                list.push(label);
                list.len() - 1
            }
        }
    };
    if report.groups.len() <= 1 {
        let mut values: Vec<Vec<f64>> = vec![Vec::new(); agg_names.len()];
        for (keys, r) in labelled_rows(data, words) {
            // One category per row, so the series' values line up with the categories.
            categories.push(keys.into_iter().next().unwrap_or_default());
            for (a, list) in values.iter_mut().enumerate() {
                list.push(r.values.get(a).copied().flatten().unwrap_or(0.0));
            }
        }
        let series = agg_names
            .iter()
            .zip(values)
            .map(|(name, values)| Series {
                name: name.clone(),
                values,
            })
            .collect();
        return (categories, series);
    }
    let mut names: Vec<String> = Vec::new();
    let mut cells: Vec<(usize, usize, f64)> = Vec::new();
    for (keys, r) in labelled_rows(data, words) {
        let mut keys = keys.into_iter();
        let c = index_of(&mut categories, keys.next().unwrap_or_default());
        let rest: Vec<String> = keys.collect();
        let s = index_of(&mut names, rest.join(" / "));
        cells.push((c, s, r.values.first().copied().flatten().unwrap_or(0.0)));
    }
    let mut series: Vec<Series> = names
        .into_iter()
        .map(|name| Series {
            name,
            values: vec![0.0; categories.len()],
        })
        .collect();
    for (c, s, v) in cells {
        if let Some(slot) = series.get_mut(s).and_then(|x| x.values.get_mut(c)) {
            *slot += v;
        }
    }
    (categories, series)
}

/// The SVG of a report's chart type; empty for the tables (TABLE, PIVOT_TABLE).
pub fn chart_svg(report: &Report, categories: &[String], series: &[Series]) -> String {
    let chart = Chart {
        title: &report.name,
        categories,
        series,
        mode: report.chart_mode,
    };
    match report.chart_type.as_str() {
        "BAR" => svg_charts::bar_chart(&chart, Orientation::Horizontal),
        "COLUMN" => svg_charts::bar_chart(&chart, Orientation::Vertical),
        "LINE" => svg_charts::line_chart(&chart, LineKind::Line),
        "AREA" => svg_charts::line_chart(&chart, LineKind::Area),
        "SPLINE" => svg_charts::line_chart(&chart, LineKind::Spline),
        "SPLINE_AREA" => svg_charts::line_chart(&chart, LineKind::SplineArea),
        "PIE" => {
            // A slice per category: its values over the series (the other groups) added up.
            let items: Vec<(String, f64)> = categories
                .iter()
                .enumerate()
                .map(|(c, label)| {
                    let v = if report.groups.len() <= 1 {
                        series
                            .first()
                            .and_then(|s| s.values.get(c))
                            .copied()
                            .unwrap_or(0.0)
                    } else {
                        series
                            .iter()
                            .filter_map(|s| s.values.get(c))
                            .filter(|v| v.is_finite())
                            .sum()
                    };
                    (label.clone(), v)
                })
                .collect();
            svg_charts::pie(&report.name, &items)
        }
        _ => String::new(),
    }
}

/// The cross tables of a PIVOT_TABLE report with two or three groups: one per aggregation.
pub fn pivot_grids(
    report: &Report,
    data: &ReportData,
    words: &Words,
    group_names: &[String],
    agg_names: &[String],
) -> Vec<PivotGrid> {
    if report.groups.len() < 2 {
        return Vec::new();
    }
    let corner = format!(
        "{} \\ {}",
        group_names.first().cloned().unwrap_or_default(),
        group_names
            .get(1..)
            .map(|g| g.join(" / "))
            .unwrap_or_default()
    );
    agg_names
        .iter()
        .enumerate()
        .map(|(a, caption)| {
            let mut rows: Vec<String> = Vec::new();
            let mut columns: Vec<String> = Vec::new();
            let mut cells: Vec<(usize, usize, String)> = Vec::new();
            for (keys, r) in labelled_rows(data, words) {
                let mut keys = keys.into_iter();
                let first = keys.next().unwrap_or_default();
                let rest = keys.collect::<Vec<_>>().join(" / ");
                let ri = rows.iter().position(|x| *x == first).unwrap_or_else(|| {
                    rows.push(first);
                    rows.len() - 1
                });
                let ci = columns.iter().position(|x| *x == rest).unwrap_or_else(|| {
                    columns.push(rest);
                    columns.len() - 1
                });
                let v = r
                    .values
                    .get(a)
                    .copied()
                    .flatten()
                    .map(svg_charts::number)
                    .unwrap_or_default();
                cells.push((ri, ci, v));
            }
            let mut grid: Vec<PivotRow> = rows
                .into_iter()
                .map(|label| PivotRow {
                    label,
                    cells: vec![String::new(); columns.len()],
                })
                .collect();
            for (ri, ci, v) in cells {
                if let Some(cell) = grid.get_mut(ri).and_then(|r| r.cells.get_mut(ci)) {
                    *cell = v;
                }
            }
            PivotGrid {
                caption: caption.clone(),
                corner: corner.clone(),
                columns,
                rows: grid,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kumiki_engine::reports::{Aggregation, ChartMode, Group};

    fn report(chart: &str, groups: usize, aggs: usize) -> Report {
        Report {
            id: "1".into(),
            name: "<b>状態別</b>".into(),
            chart_type: chart.into(),
            chart_mode: ChartMode::Normal,
            groups: (0..groups)
                .map(|i| Group {
                    code: format!("g{i}"),
                    per: None,
                })
                .collect(),
            aggregations: (0..aggs)
                .map(|_| Aggregation {
                    kind: AggregationKind::Count,
                    code: None,
                })
                .collect(),
            filter_cond: String::new(),
            sorts: Vec::new(),
        }
    }

    fn row(keys: &[Option<&str>], values: &[Option<f64>]) -> DataRow {
        DataRow {
            keys: keys.iter().map(|k| k.map(str::to_owned)).collect(),
            values: values.to_vec(),
        }
    }

    fn words() -> Words {
        Words {
            blank: "(空白)".into(),
            other: "その他".into(),
            total: "合計".into(),
            names: vec![
                HashMap::new(),
                [("sato".to_owned(), "佐藤 一郎".to_owned())].into(),
            ],
        }
    }

    #[test]
    fn two_groups_become_categories_and_series() {
        let data = ReportData {
            rows: vec![
                row(&[Some("総務課"), Some("受付")], &[Some(2.0)]),
                row(&[Some("総務課"), Some("完了")], &[Some(1.0)]),
                row(&[Some("税務課"), None], &[Some(4.0)]),
            ],
            rest: None,
            total: row(&[], &[Some(7.0)]),
        };
        assert_eq!(group_codes(&data, 1), ["受付", "完了"]);
        let people = ReportData {
            rows: vec![
                row(&[Some("sato"), Some("sato")], &[Some(1.0)]),
                row(&[Some("x"), Some("ghost")], &[Some(1.0)]),
            ],
            rest: None,
            total: row(&[], &[Some(2.0)]),
        };
        assert_eq!(group_codes(&people, 1), ["ghost", "sato"]);
        let (cats, series) =
            chart_series(&report("COLUMN", 2, 1), &people, &words(), &["n".into()]);
        assert_eq!(cats, ["sato", "x"], "only people groups get names");
        let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            ["佐藤 一郎", "ghost"],
            "an unknown code stays a code"
        );
        let (cats, series) = chart_series(&report("COLUMN", 2, 1), &data, &words(), &["n".into()]);
        assert_eq!(cats, ["総務課", "税務課"]);
        let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["受付", "完了", "(空白)"]);
        assert_eq!(series[0].values, [2.0, 0.0]);
        assert_eq!(series[2].values, [0.0, 4.0]);
        let grids = pivot_grids(
            &report("PIVOT_TABLE", 2, 1),
            &data,
            &words(),
            &["担当課".into(), "状態".into()],
            &["件数".into()],
        );
        assert_eq!(grids.len(), 1);
        assert_eq!(grids[0].columns, ["受付", "完了", "(空白)"]);
        assert_eq!(grids[0].rows[1].cells, ["", "", "4"]);
        // A pie adds the series of a category up.
        let svg = chart_svg(&report("PIE", 2, 1), &cats, &series);
        assert!(svg.contains("総務課 3 (42.86%)"), "{svg}");
        assert!(svg.contains("&lt;b&gt;状態別"));
    }

    #[test]
    fn the_table_and_csv_hold_every_row_and_the_rest() {
        let data = ReportData {
            rows: vec![
                row(&[Some("=cmd|' /C calc'!A0")], &[Some(1.0 / 3.0), None]),
                row(&[None], &[Some(2.0), Some(-5.0)]),
            ],
            rest: Some(row(&[None], &[Some(10.0), None])),
            total: row(&[], &[Some(12.5), Some(-5.0)]),
        };
        let def = AppDefinition::new("t");
        let r = report("TABLE", 1, 2);
        let table = data_table(Lang::Ja, &def, &r, &data, &words());
        assert_eq!(table.headers.len(), 3);
        assert_eq!(table.key_columns, 1);
        assert_eq!(table.rows.len(), 3);
        assert_eq!(table.rows[0].values, ["0.33", ""]);
        assert_eq!(table.rows[1].keys, ["(空白)"]);
        assert_eq!(table.rows[2].keys, ["その他"]);
        assert_eq!(table.total.keys, ["合計"]);
        let text = csv(&table);
        assert!(text.starts_with('\u{feff}'));
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').split("\r\n").collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert!(
            lines[1].starts_with("'=cmd"),
            "formulas are defused: {}",
            lines[1]
        );
        assert!(lines[1].ends_with(&format!(",{},", 1.0_f64 / 3.0)));
        assert_eq!(lines[2], "(空白),2,-5");
        assert_eq!(lines[3], "その他,10,");
        assert_eq!(lines[4], "");
    }
}
