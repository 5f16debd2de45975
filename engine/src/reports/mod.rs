//! Graphs (kintone's グラフ, `app/reports.json`): the report definitions of an app, stored in its
//! definition (`AppDefinition::reports`, keyed by name, in kintone's wire shape) and deployed with it
//! like the views, and their aggregation (`aggregate`).
//!
//! Guarantees:
//! - one check (`parse_report`) for every report saved through the API or the editor: a name of 1 to
//!   64 characters, a known `chartType` and `chartMode`, 1 to 3 groups on fields that can be grouped
//!   (text-like, choice, people, status, date and time fields — subtable fields too), a date unit
//!   (`per`) only on date fields and HOUR/MINUTE only on date-and-time fields, 1 to 5 aggregations
//!   (COUNT, or SUM/AVERAGE/MAX/MIN over a NUMBER or CALC field, subtable fields too), a `filterCond`
//!   that checks as a condition of the query language, and sorts by TOTAL or an existing group;
//!   every problem is a `CB_VA01` message keyed `reports.<name>.<member>`;
//! - `replace_reports` keeps a report's id while its id or name is sent again, so links to
//!   `/apps/<app>/reports/<id>` survive renames;
//! - aggregation (`aggregate::run`) is one `GROUP BY` statement on the pivot index tables with the
//!   caller's record-view condition, never a read of records, and returns at most
//!   [`aggregate::MAX_GROUPS`] groups plus the rest as one row.

pub mod aggregate;
pub mod periodic;
pub mod rollup;
pub mod snapshots;

use indexmap::IndexMap;
use serde_json::{json, Map, Value};

use crate::apps::AppDefinition;
use crate::error::{FieldErrors, Message, UserError};
use crate::fields::{FieldType, IndexKind};
use crate::query::{self, QueryContext};

/// Longest report name, in characters.
pub const MAX_NAME_CHARS: usize = 64;
/// Most groups (分類する項目) of one report, as in kintone.
pub const MAX_GROUPS_PER_REPORT: usize = 3;
/// Most aggregations of one report.
pub const MAX_AGGREGATIONS: usize = 5;
/// Most reports of one app.
pub const MAX_REPORTS: usize = 100;

/// kintone's chart types.
pub const CHART_TYPES: [&str; 9] = [
    "BAR",
    "COLUMN",
    "PIE",
    "LINE",
    "PIVOT_TABLE",
    "TABLE",
    "AREA",
    "SPLINE",
    "SPLINE_AREA",
];

/// How a chart draws several series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartMode {
    Normal,
    Stacked,
    Percentage,
}

/// The unit a date or date-and-time group is cut into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Per {
    Year,
    Quarter,
    Month,
    Week,
    Day,
    Hour,
    Minute,
}

impl Per {
    fn parse(s: &str) -> Option<Per> {
        Some(match s {
            "YEAR" => Per::Year,
            "QUARTER" => Per::Quarter,
            "MONTH" => Per::Month,
            "WEEK" => Per::Week,
            "DAY" => Per::Day,
            "HOUR" => Per::Hour,
            "MINUTE" => Per::Minute,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Per::Year => "YEAR",
            Per::Quarter => "QUARTER",
            Per::Month => "MONTH",
            Per::Week => "WEEK",
            Per::Day => "DAY",
            Per::Hour => "HOUR",
            Per::Minute => "MINUTE",
        }
    }
}

/// One group (分類する項目): a field, and for date fields the unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub code: String,
    pub per: Option<Per>,
}

/// What is computed per group (集計方法).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregationKind {
    Count,
    Sum,
    Average,
    Max,
    Min,
}

impl AggregationKind {
    fn parse(s: &str) -> Option<AggregationKind> {
        Some(match s {
            "COUNT" => AggregationKind::Count,
            "SUM" => AggregationKind::Sum,
            "AVERAGE" => AggregationKind::Average,
            "MAX" => AggregationKind::Max,
            "MIN" => AggregationKind::Min,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            AggregationKind::Count => "COUNT",
            AggregationKind::Sum => "SUM",
            AggregationKind::Average => "AVERAGE",
            AggregationKind::Max => "MAX",
            AggregationKind::Min => "MIN",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Aggregation {
    pub kind: AggregationKind,
    /// The NUMBER or CALC field; None for COUNT.
    pub code: Option<String>,
}

/// What the groups are ordered by: the first aggregation's value, or group `n` (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Total,
    Group(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub by: SortBy,
    pub descending: bool,
}

/// A checked report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub id: String,
    pub name: String,
    pub chart_type: String,
    pub chart_mode: ChartMode,
    pub groups: Vec<Group>,
    pub aggregations: Vec<Aggregation>,
    pub filter_cond: String,
    pub sorts: Vec<Sort>,
}

fn is_date(t: FieldType) -> bool {
    t == FieldType::Date || is_datetime(t)
}

fn is_datetime(t: FieldType) -> bool {
    matches!(
        t,
        FieldType::Datetime | FieldType::CreatedTime | FieldType::UpdatedTime
    )
}

/// Whether a field of type `t` can be a group: every field with short text index rows.
fn groupable(t: FieldType) -> bool {
    t.index_kind() == IndexKind::Text
}

/// Checks one report (a member of `app/reports.json`'s `reports`) and writes its problems into
/// `errors` under `prefix` (`reports.<name>`). Returns the report when it has none.
pub fn parse_report(
    report: &Map<String, Value>,
    ctx: &QueryContext<'_>,
    prefix: &str,
    errors: &mut FieldErrors,
) -> Option<Report> {
    let def = ctx.definition;
    let before = errors.len();
    let mut add = |key: &str, message: Message| {
        errors
            .entry(format!("{prefix}.{key}"))
            .or_default()
            .push(message);
    };
    let text = |key: &str| {
        report
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let name = text("name");
    if name.trim().is_empty() || name.chars().count() > MAX_NAME_CHARS {
        add(
            "name",
            Message::keyed(
                "reports.err.name",
                format!("Enter a graph name of 1 to {MAX_NAME_CHARS} characters."),
            )
            .arg("max", MAX_NAME_CHARS.to_string()),
        );
    }
    let chart_type = text("chartType");
    if chart_type.is_empty() || !CHART_TYPES.contains(&chart_type.as_str()) {
        add(
            "chartType",
            Message::keyed(
                "reports.err.chart_type",
                "Enter BAR, COLUMN, PIE, LINE, PIVOT_TABLE, TABLE, AREA, SPLINE or SPLINE_AREA.",
            ),
        );
    }
    let chart_mode = match text("chartMode").as_str() {
        "" | "NORMAL" => ChartMode::Normal,
        "STACKED" => ChartMode::Stacked,
        "PERCENTAGE" => ChartMode::Percentage,
        _ => {
            add(
                "chartMode",
                Message::keyed(
                    "reports.err.chart_mode",
                    "Enter NORMAL, STACKED or PERCENTAGE.",
                ),
            );
            ChartMode::Normal
        }
    };
    let mut groups = Vec::new();
    match report.get("groups") {
        Some(Value::Array(list)) if !list.is_empty() && list.len() <= MAX_GROUPS_PER_REPORT => {
            for (i, g) in list.iter().enumerate() {
                let key = format!("groups[{i}]");
                let code = g.get("code").and_then(Value::as_str).unwrap_or_default();
                let per = g.get("per").and_then(Value::as_str).unwrap_or_default();
                let Some(field) = def.field(code) else {
                    add(&format!("{key}.code"), no_field(code));
                    continue;
                };
                let t = field.property.field_type;
                if !groupable(t) || !field_visible(ctx, code) {
                    add(
                        &format!("{key}.code"),
                        Message::keyed(
                            "reports.err.not_groupable",
                            format!("The field ({code}) cannot be used to group a graph."),
                        )
                        .arg("code", code),
                    );
                    continue;
                }
                let per = match (per, Per::parse(per)) {
                    ("", _) => None,
                    (_, Some(p)) if is_datetime(t) => Some(p),
                    (_, Some(p))
                        if t == FieldType::Date && !matches!(p, Per::Hour | Per::Minute) =>
                    {
                        Some(p)
                    }
                    (_, Some(_)) if is_date(t) => {
                        add(
                            &format!("{key}.per"),
                            Message::keyed(
                                "reports.err.per_date",
                                "A date field is grouped by YEAR, QUARTER, MONTH, WEEK or DAY.",
                            ),
                        );
                        None
                    }
                    (_, Some(_)) => {
                        add(
                            &format!("{key}.per"),
                            Message::keyed(
                                "reports.err.per_not_date",
                                format!("The field ({code}) is not a date field: leave per out."),
                            )
                            .arg("code", code),
                        );
                        None
                    }
                    (_, None) => {
                        add(
                            &format!("{key}.per"),
                            Message::keyed(
                                "reports.err.per",
                                "Enter YEAR, QUARTER, MONTH, WEEK, DAY, HOUR or MINUTE.",
                            ),
                        );
                        None
                    }
                };
                // A date without a unit is grouped by day (its value).
                let per = per.or_else(|| is_date(t).then_some(Per::Day));
                groups.push(Group {
                    code: code.to_owned(),
                    per,
                });
            }
        }
        _ => add(
            "groups",
            Message::keyed(
                "reports.err.groups",
                format!("Choose 1 to {MAX_GROUPS_PER_REPORT} fields to group by."),
            )
            .arg("max", MAX_GROUPS_PER_REPORT.to_string()),
        ),
    }
    let mut aggregations = Vec::new();
    match report.get("aggregations") {
        Some(Value::Array(list)) if !list.is_empty() && list.len() <= MAX_AGGREGATIONS => {
            for (i, a) in list.iter().enumerate() {
                let key = format!("aggregations[{i}]");
                let kind_text = a.get("type").and_then(Value::as_str).unwrap_or_default();
                let Some(kind) = AggregationKind::parse(kind_text) else {
                    add(
                        &format!("{key}.type"),
                        Message::keyed(
                            "reports.err.agg_type",
                            "Enter COUNT, SUM, AVERAGE, MAX or MIN.",
                        ),
                    );
                    continue;
                };
                if kind == AggregationKind::Count {
                    aggregations.push(Aggregation { kind, code: None });
                    continue;
                }
                let code = a.get("code").and_then(Value::as_str).unwrap_or_default();
                match def.field(code) {
                    Some(f)
                        if matches!(f.property.field_type, FieldType::Number | FieldType::Calc)
                            && field_visible(ctx, code) =>
                    {
                        aggregations.push(Aggregation {
                            kind,
                            code: Some(code.to_owned()),
                        });
                    }
                    Some(_) => add(
                        &format!("{key}.code"),
                        Message::keyed(
                            "reports.err.not_number",
                            format!("The field ({code}) is not a number or calculated field."),
                        )
                        .arg("code", code),
                    ),
                    None => add(&format!("{key}.code"), no_field(code)),
                }
            }
        }
        _ => add(
            "aggregations",
            Message::keyed(
                "reports.err.aggregations",
                format!("Enter 1 to {MAX_AGGREGATIONS} aggregations."),
            )
            .arg("max", MAX_AGGREGATIONS.to_string()),
        ),
    }
    let filter_cond = text("filterCond");
    match query::parse(&filter_cond) {
        Ok(q) if !q.order_by.is_empty() || q.limit.is_some() || q.offset.is_some() => add(
            "filterCond",
            Message::keyed(
                "reports.err.filter_only",
                "Enter only conditions here (no order by, limit or offset).",
            ),
        ),
        Ok(q) => {
            if let Err(e) = query::check(&q, ctx) {
                add("filterCond", e.to_string().into());
            }
        }
        Err(e) => add("filterCond", e.to_string().into()),
    }
    let mut sorts = Vec::new();
    match report.get("sorts") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) if list.len() <= MAX_GROUPS_PER_REPORT + 1 => {
            for (i, s) in list.iter().enumerate() {
                let by = s.get("by").and_then(Value::as_str).unwrap_or_default();
                let by = match by {
                    "TOTAL" => Some(SortBy::Total),
                    "GROUP1" => Some(SortBy::Group(0)),
                    "GROUP2" => Some(SortBy::Group(1)),
                    "GROUP3" => Some(SortBy::Group(2)),
                    _ => None,
                };
                let order = s.get("order").and_then(Value::as_str).unwrap_or("ASC");
                match (by, order) {
                    (Some(SortBy::Group(n)), _) if n >= groups.len().max(1) => add(
                        &format!("sorts[{i}].by"),
                        Message::keyed(
                            "reports.err.sort_group",
                            format!("The graph has no group {}.", n + 1),
                        )
                        .arg("n", (n + 1).to_string()),
                    ),
                    (Some(by), "ASC" | "DESC") => sorts.push(Sort {
                        by,
                        descending: order == "DESC",
                    }),
                    (Some(_), _) => add(
                        &format!("sorts[{i}].order"),
                        Message::keyed("reports.err.sort_order", "Enter ASC or DESC."),
                    ),
                    (None, _) => add(
                        &format!("sorts[{i}].by"),
                        Message::keyed(
                            "reports.err.sort_by",
                            "Enter TOTAL, GROUP1, GROUP2 or GROUP3.",
                        ),
                    ),
                }
            }
        }
        Some(_) => add(
            "sorts",
            Message::keyed("reports.err.sorts", "Enter a list of at most 4 sorts."),
        ),
    }
    if errors.len() != before {
        return None;
    }
    Some(Report {
        id: text("id"),
        name,
        chart_type,
        chart_mode,
        groups,
        aggregations,
        filter_cond,
        sorts,
    })
}

fn no_field(code: &str) -> Message {
    Message::keyed(
        "reports.err.no_field",
        format!("The field ({code}) does not exist."),
    )
    .arg("code", code)
}

/// Whether the caller may see the field (always, when the context carries no rights).
fn field_visible(ctx: &QueryContext<'_>, code: &str) -> bool {
    ctx.access
        .is_none_or(|a| a.field_queryable(ctx.definition, code))
}

/// Replaces the app's reports with `sent` (`app/reports.json`'s `reports`), checked; returns
/// `{name: {id}}` for the answer. A report keeps its id when it is sent with an existing id, else
/// when its name is unchanged; otherwise it gets a new one.
///
/// Errors: `Validation` with every problem of every report.
pub fn replace_reports(
    def: &mut AppDefinition,
    sent: &Map<String, Value>,
    ctx_timezone: chrono_tz::Tz,
) -> Result<Map<String, Value>, UserError> {
    let mut errors = FieldErrors::new();
    if sent.len() > MAX_REPORTS {
        errors.insert(
            "reports".into(),
            vec![Message::keyed(
                "reports.err.too_many",
                format!("An app has at most {MAX_REPORTS} graphs."),
            )
            .arg("max", MAX_REPORTS.to_string())],
        );
        return Err(UserError::Validation(errors));
    }
    let previous = def.reports.clone();
    let id_of = |v: &Value| match v.get("id") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let mut next_id = previous
        .values()
        .filter_map(|v| id_of(v).and_then(|s| s.parse::<i64>().ok()))
        .max()
        .unwrap_or(0)
        + 1;
    let mut used = std::collections::HashSet::new();
    let mut rebuilt = IndexMap::new();
    let mut ids = Map::new();
    for (name, report) in sent {
        let prefix = format!("reports.{name}");
        let Some(obj) = report.as_object() else {
            errors.insert(
                prefix,
                vec![Message::keyed("reports.err.object", "Enter an object.")],
            );
            continue;
        };
        let mut v = obj.clone();
        v.insert("name".into(), Value::String(name.clone()));
        let ctx = crate::acting::check_query_context(def, ctx_timezone);
        let checked = parse_report(&v, &ctx, &prefix, &mut errors);
        // An active periodic report must name its moments (`periodic::parse`).
        if let Err(message) = periodic::parse(v.get("periodicReport")) {
            errors
                .entry(format!("{prefix}.periodicReport"))
                .or_default()
                .push(message);
            continue;
        }
        if checked.is_none() {
            continue;
        }
        let id = id_of(report)
            .filter(|sid| {
                previous
                    .values()
                    .any(|old| id_of(old).as_ref() == Some(sid))
            })
            .or_else(|| previous.get(name).and_then(id_of))
            .filter(|id| used.insert(id.clone()))
            .unwrap_or_else(|| {
                let id = next_id.to_string();
                next_id += 1;
                id
            });
        v.insert("id".into(), Value::String(id.clone()));
        v.insert("index".into(), Value::String(rebuilt.len().to_string()));
        for (key, default) in [
            ("filterCond", json!("")),
            ("sorts", json!([])),
            ("chartMode", json!("NORMAL")),
            ("periodicReport", Value::Null),
        ] {
            v.entry(key).or_insert(default);
        }
        ids.insert(name.clone(), json!({"id": id}));
        rebuilt.insert(name.clone(), Value::Object(v));
    }
    if !errors.is_empty() {
        return Err(UserError::Validation(errors));
    }
    def.reports = rebuilt;
    Ok(ids)
}

/// The report with this id, checked against the definition and the caller (`ctx`): None when there
/// is no such report. A report that no longer checks (a field deleted since, or one the caller may
/// not see) is a `Validation` error.
pub fn find_report(ctx: &QueryContext<'_>, id: &str) -> Result<Option<Report>, UserError> {
    let Some((name, value)) = ctx
        .definition
        .reports
        .iter()
        .find(|(_, v)| v.get("id").and_then(Value::as_str) == Some(id))
    else {
        return Ok(None);
    };
    let Some(obj) = value.as_object() else {
        return Ok(None);
    };
    let mut errors = FieldErrors::new();
    match parse_report(obj, ctx, &format!("reports.{name}"), &mut errors) {
        Some(r) => Ok(Some(r)),
        None => Err(UserError::Validation(errors)),
    }
}

/// The report `id` of app `app` with its numbers as `acting` may see them: the live definition, the
/// caller's record-view condition applied. `Ok(None)` when the app has no such report.
///
/// Errors: the app is unknown or the caller may not view it (as `ActingContext::open_app`); the
/// report no longer checks (a field deleted since, or one the caller may not see).
pub fn open_report(
    conn: &mut crate::db::DbConn,
    acting: &crate::acting::ActingContext,
    app: crate::apps::AppId,
    id: &str,
) -> crate::EngineResult<Option<(crate::apps::LiveApp, Report, aggregate::ReportData)>> {
    let live = acting.open_app(conn, app, crate::acl::AppRight::View)?;
    let ctx = acting.query_context(&live, None);
    let Some(report) = find_report(&ctx, id)? else {
        return Ok(None);
    };
    let data = aggregate::run(conn, app.0, &report, &ctx)?;
    Ok(Some((live, report, data)))
}
