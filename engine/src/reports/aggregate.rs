//! A report's numbers: one `GROUP BY` statement over the pivot index tables.
//!
//! The statement reads `records r` of the app with the report's `filterCond` and the caller's
//! record-view condition (`query::compile_condition` with the caller's `Access`), joins one
//! `record_values_text` row per group value (a record with two check-box choices counts in both
//! groups, as in kintone; a subtable group counts once per row), and takes each number aggregated
//! from `record_values_num` through scalar probes on its primary key. Dates are cut into units in
//! the caller's time zone (its offset now: Japan has no daylight saving time; in zones that do,
//! values on the other side of a change land one hour off). At most [`MAX_GROUPS`] groups are
//! returned in the report's order; what is beyond them is summed into one rest row, computed from
//! the totals of the same statement without grouping.

use chrono::{Offset, TimeZone};
use diesel::sql_types::{BigInt, Double, Nullable, Text};
use diesel::QueryableByName;

use super::{Aggregation, AggregationKind, Group, Per, Report, SortBy};
use crate::apps::AppDefinition;
use crate::db::{DbConn, Dialect, SqlBuilder};
use crate::error::{EngineResult, UserError};
use crate::query::{self, QueryContext};

/// Most groups a report returns; the rest is one row (その他).
pub const MAX_GROUPS: usize = 100;

/// One row of a report's table: the group keys (None: records without a value) and one value per
/// aggregation (None: nothing to aggregate, e.g. the average of no values).
#[derive(Debug, Clone, PartialEq)]
pub struct DataRow {
    pub keys: Vec<Option<String>>,
    pub values: Vec<Option<f64>>,
}

/// A report's numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportData {
    pub rows: Vec<DataRow>,
    /// The groups beyond `MAX_GROUPS` taken together (MAX and MIN are None there).
    pub rest: Option<DataRow>,
    /// Every group taken together.
    pub total: DataRow,
}

#[derive(QueryableByName)]
pub(super) struct GroupRow {
    #[diesel(sql_type = Nullable<Text>)]
    k1: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    k2: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    k3: Option<String>,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = Nullable<Double>)]
    v1: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    v2: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    v3: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    v4: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    v5: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    c1: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    c2: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    c3: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    c4: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    c5: Option<f64>,
}

impl GroupRow {
    fn keys(&self) -> [Option<String>; 3] {
        [self.k1.clone(), self.k2.clone(), self.k3.clone()]
    }
    fn v(&self, i: usize) -> Option<f64> {
        [self.v1, self.v2, self.v3, self.v4, self.v5]
            .get(i)
            .copied()
            .flatten()
    }
    fn c(&self, i: usize) -> Option<f64> {
        [self.c1, self.c2, self.c3, self.c4, self.c5]
            .get(i)
            .copied()
            .flatten()
    }
}

/// Computes a report for the caller whose context `ctx` is (its `access` limits the records).
///
/// Errors: a filter that no longer checks (`UserError::Query`), a field the caller may not see.
pub fn run(
    conn: &mut DbConn,
    app_id: i64,
    report: &Report,
    ctx: &QueryContext<'_>,
) -> EngineResult<ReportData> {
    let filter = query::parse(&report.filter_cond)?;
    let offset_minutes = ctx
        .timezone
        .offset_from_utc_datetime(&ctx.now.naive_utc())
        .fix()
        .local_minus_utc()
        / 60;
    let plan = Plan::new(ctx.definition, report, offset_minutes)?;
    if super::rollup::usable(report, &filter, ctx) {
        match super::rollup::read(conn, app_id, report, &plan, &filter, ctx, MAX_GROUPS + 1) {
            Ok(Some((rows, total))) => return Ok(assemble(report, rows, total)),
            Ok(None) => {}
            // Never a wrong or missing chart because of its rollup: compute it directly.
            Err(e) => {
                tracing::warn!(app_id, report = %report.id, error = %e, "chart rollup failed")
            }
        }
    }
    let mut b = conn.sql();
    b.push("SELECT * FROM (SELECT k1, k2, k3, COUNT(*) AS n");
    plan.push_aggregates(&mut b);
    b.push(" FROM (");
    plan.push_inner(&mut b, app_id, &filter, ctx, None)?;
    b.push(") t GROUP BY k1, k2, k3) g ORDER BY ");
    plan.push_order(&mut b);
    b.push(&format!(" LIMIT {}", MAX_GROUPS + 1));
    let rows: Vec<GroupRow> = conn.load(&b)?;

    let mut b = conn.sql();
    b.push("SELECT CAST(NULL AS TEXT) AS k1, CAST(NULL AS TEXT) AS k2, CAST(NULL AS TEXT) AS k3, COUNT(*) AS n");
    plan.push_aggregates(&mut b);
    b.push(" FROM (");
    plan.push_inner(&mut b, app_id, &filter, ctx, None)?;
    b.push(") t");
    let totals: Vec<GroupRow> = conn.load(&b)?;
    Ok(assemble(report, rows, totals.into_iter().next()))
}

/// The report's data from its grouped rows (one more than `MAX_GROUPS` tells that there are more)
/// and its totals.
fn assemble(report: &Report, mut rows: Vec<GroupRow>, totals: Option<GroupRow>) -> ReportData {
    let truncated = rows.len() > MAX_GROUPS;
    rows.truncate(MAX_GROUPS);
    let aggs = &report.aggregations;
    let group_count = report.groups.len();
    let to_row = |g: &GroupRow| DataRow {
        keys: g.keys().into_iter().take(group_count).collect(),
        values: (0..aggs.len()).map(|i| value_of(aggs, i, g)).collect(),
    };
    let total = totals.as_ref().map(to_row).unwrap_or(DataRow {
        keys: Vec::new(),
        values: (0..aggs.len()).map(|i| empty_value(aggs, i)).collect(),
    });
    let rest = match &totals {
        Some(t) if truncated => Some(rest_row(aggs, t, &rows, group_count)),
        _ => None,
    };
    ReportData {
        rows: rows.iter().map(to_row).collect(),
        rest,
        total: DataRow {
            keys: Vec::new(),
            ..total
        },
    }
}

/// An aggregation's value over no records, as the statement gives it (a rollup of an app whose
/// records all went has no total row).
fn empty_value(aggs: &[Aggregation], i: usize) -> Option<f64> {
    match aggs.get(i).map(|a| a.kind)? {
        AggregationKind::Count | AggregationKind::Sum => Some(0.0),
        _ => None,
    }
}

/// The value of aggregation `i` in a grouped row.
fn value_of(aggs: &[Aggregation], i: usize, g: &GroupRow) -> Option<f64> {
    match aggs.get(i).map(|a| a.kind)? {
        // Counts come back as floats: exact far beyond any record count.
        AggregationKind::Count => Some(g.n as f64),
        AggregationKind::Sum => Some(g.v(i).unwrap_or(0.0)),
        AggregationKind::Average => match (g.v(i), g.c(i)) {
            (Some(s), Some(c)) if c > 0.0 => Some(s / c),
            _ => None,
        },
        AggregationKind::Max | AggregationKind::Min => g.v(i),
    }
}

/// The groups beyond the first `MAX_GROUPS`: totals minus what was shown.
fn rest_row(aggs: &[Aggregation], total: &GroupRow, shown: &[GroupRow], groups: usize) -> DataRow {
    let sum = |f: &dyn Fn(&GroupRow) -> f64| shown.iter().map(f).sum::<f64>();
    let n = total.n as f64 - sum(&|g| g.n as f64);
    let values = aggs
        .iter()
        .enumerate()
        .map(|(i, a)| match a.kind {
            AggregationKind::Count => Some(n),
            AggregationKind::Sum => {
                Some(total.v(i).unwrap_or(0.0) - sum(&|g| g.v(i).unwrap_or(0.0)))
            }
            AggregationKind::Average => {
                let s = total.v(i).unwrap_or(0.0) - sum(&|g| g.v(i).unwrap_or(0.0));
                let c = total.c(i).unwrap_or(0.0) - sum(&|g| g.c(i).unwrap_or(0.0));
                (c > 0.0).then(|| s / c)
            }
            AggregationKind::Max | AggregationKind::Min => None,
        })
        .collect();
    DataRow {
        keys: vec![None; groups],
        values,
    }
}

/// A group resolved against the definition: its pivot field and the subtable it lives in.
struct GroupColumn {
    field_id: i32,
    subtable: Option<String>,
    per: Option<Per>,
    datetime: bool,
}

struct AggColumn {
    kind: AggregationKind,
    field_id: i32,
    subtable: Option<String>,
}

pub(super) struct Plan {
    groups: Vec<GroupColumn>,
    aggs: Vec<Option<AggColumn>>,
    sorts: Vec<(SortBy, bool)>,
    first_kind: AggregationKind,
    offset_minutes: i32,
}

fn unknown(code: &str) -> UserError {
    UserError::invalid("report", format!("The field ({code}) does not exist."))
}

impl Plan {
    pub(super) fn new(
        def: &AppDefinition,
        report: &Report,
        offset_minutes: i32,
    ) -> Result<Plan, UserError> {
        let groups = report
            .groups
            .iter()
            .map(|Group { code, per }| {
                let f = def.field(code).ok_or_else(|| unknown(code))?;
                Ok(GroupColumn {
                    field_id: f.id,
                    subtable: f.subtable.map(str::to_owned),
                    per: *per,
                    datetime: super::is_datetime(f.property.field_type),
                })
            })
            .collect::<Result<Vec<_>, UserError>>()?;
        let aggs = report
            .aggregations
            .iter()
            .map(|a| match &a.code {
                None => Ok(None),
                Some(code) => {
                    let f = def.field(code).ok_or_else(|| unknown(code))?;
                    Ok(Some(AggColumn {
                        kind: a.kind,
                        field_id: f.id,
                        subtable: f.subtable.map(str::to_owned),
                    }))
                }
            })
            .collect::<Result<Vec<_>, UserError>>()?;
        let mut sorts: Vec<(SortBy, bool)> =
            report.sorts.iter().map(|s| (s.by, s.descending)).collect();
        if sorts.is_empty() {
            // Dates read in time order; anything else biggest first.
            sorts.push(match report.groups.first() {
                Some(g) if g.per.is_some() => (SortBy::Group(0), false),
                _ => (SortBy::Total, true),
            });
        }
        Ok(Plan {
            groups,
            aggs,
            sorts,
            first_kind: report
                .aggregations
                .first()
                .map_or(AggregationKind::Count, |a| a.kind),
            offset_minutes,
        })
    }

    /// `SELECT <keys>, <per-record numbers> FROM records r LEFT JOIN <group rows> WHERE <filter>`.
    /// Whether aggregation slot `slot` takes a field (a COUNT takes none).
    pub(super) fn has_aggregate(&self, slot: usize) -> bool {
        matches!(self.aggs.get(slot), Some(Some(_)))
    }

    /// With `only`, the records are restricted to those ids (a rollup's change).
    pub(super) fn push_inner(
        &self,
        b: &mut SqlBuilder,
        app_id: i64,
        filter: &query::Query,
        ctx: &QueryContext<'_>,
        only: Option<&[i64]>,
    ) -> Result<(), UserError> {
        b.push("SELECT ");
        for i in 0..3 {
            if i > 0 {
                b.push(", ");
            }
            match self.groups.get(i) {
                Some(g) => {
                    let key = self.key_expr(b.dialect, g, &format!("rg{i}.value"));
                    b.push(&key);
                }
                None => {
                    b.push("CAST(NULL AS TEXT)");
                }
            }
            b.push(&format!(" AS k{}", i + 1));
        }
        for (i, agg) in self.aggs.iter().enumerate() {
            let (a, c) = match agg {
                None => (
                    "CAST(NULL AS DOUBLE PRECISION)".to_owned(),
                    "CAST(NULL AS DOUBLE PRECISION)".to_owned(),
                ),
                // A record's own number has exactly one index row (NULL when empty): a join,
                // which PostgreSQL can hash, instead of a subquery run per record.
                Some(col) if col.subtable.is_none() => {
                    let c = if col.kind == AggregationKind::Average {
                        format!("CAST(CASE WHEN an{i}.value IS NULL THEN 0 ELSE 1 END AS DOUBLE PRECISION)")
                    } else {
                        "CAST(NULL AS DOUBLE PRECISION)".to_owned()
                    };
                    (format!("an{i}.value"), c)
                }
                Some(col) => {
                    let rows = self.agg_rows(col);
                    let f = match col.kind {
                        AggregationKind::Max => "MAX",
                        AggregationKind::Min => "MIN",
                        _ => "SUM",
                    };
                    let a = format!("(SELECT {f}(n.value) FROM record_values_num n WHERE {rows})");
                    let c = if col.kind == AggregationKind::Average {
                        format!("(SELECT CAST(COUNT(n.value) AS DOUBLE PRECISION) FROM record_values_num n WHERE {rows})")
                    } else {
                        "CAST(NULL AS DOUBLE PRECISION)".to_owned()
                    };
                    (a, c)
                }
            };
            b.push(&format!(", {a} AS a{i}, {c} AS b{i}"));
        }
        b.push(" FROM records r");
        for (i, g) in self.groups.iter().enumerate() {
            b.push(&format!(
                " LEFT JOIN record_values_text rg{i} ON rg{i}.app_id = r.app_id AND rg{i}.field_id = {} AND rg{i}.record_id = r.id",
                g.field_id
            ));
            match &g.subtable {
                None => {
                    b.push(&format!(" AND rg{i}.row_id = 0"));
                }
                // Two fields of one subtable are grouped row by row.
                Some(table) => {
                    if let Some(j) = self.groups[..i]
                        .iter()
                        .position(|o| o.subtable.as_deref() == Some(table))
                    {
                        b.push(&format!(" AND rg{i}.row_id = rg{j}.row_id"));
                    }
                }
            }
        }
        for (i, agg) in self.aggs.iter().enumerate() {
            if let Some(col) = agg.as_ref().filter(|c| c.subtable.is_none()) {
                b.push(&format!(
                    " LEFT JOIN record_values_num an{i} ON an{i}.app_id = r.app_id AND an{i}.field_id = {} AND an{i}.record_id = r.id AND an{i}.row_id = 0",
                    col.field_id
                ));
            }
        }
        b.push(" WHERE r.app_id = ").bind_int(app_id);
        if let Some(ids) = only {
            b.push(" AND r.id IN (");
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    b.push(", ");
                }
                b.bind_int(*id);
            }
            b.push(")");
        }
        query::compile_condition(filter, ctx, b)
    }

    /// Which number rows of the record an aggregation takes: the record's own, or its subtable's
    /// rows — only the row being grouped when a group is a field of the same subtable.
    fn agg_rows(&self, col: &AggColumn) -> String {
        let mut rows = format!(
            "n.app_id = r.app_id AND n.field_id = {} AND n.record_id = r.id",
            col.field_id
        );
        match &col.subtable {
            None => rows.push_str(" AND n.row_id = 0"),
            Some(table) => {
                if let Some(i) = self
                    .groups
                    .iter()
                    .position(|g| g.subtable.as_deref() == Some(table))
                {
                    rows.push_str(&format!(" AND n.row_id = rg{i}.row_id"));
                }
            }
        }
        rows
    }

    /// The grouped value of each aggregation (`v<i>`) and, for averages, how many values (`c<i>`).
    fn push_aggregates(&self, b: &mut SqlBuilder) {
        for slot in 0..super::MAX_AGGREGATIONS {
            let (v, c) = match self.aggs.get(slot) {
                Some(Some(col)) => match col.kind {
                    AggregationKind::Max => (format!("MAX(a{slot})"), None),
                    AggregationKind::Min => (format!("MIN(a{slot})"), None),
                    AggregationKind::Average => (
                        format!("SUM(a{slot})"),
                        Some(format!("CAST(SUM(b{slot}) AS DOUBLE PRECISION)")),
                    ),
                    _ => (format!("SUM(a{slot})"), None),
                },
                _ => ("CAST(NULL AS DOUBLE PRECISION)".to_owned(), None),
            };
            let c = c.unwrap_or_else(|| "CAST(NULL AS DOUBLE PRECISION)".to_owned());
            b.push(&format!(", {v} AS v{}, {c} AS c{}", slot + 1, slot + 1));
        }
    }

    pub(super) fn push_order(&self, b: &mut SqlBuilder) {
        let text_order = match b.dialect {
            Dialect::Sqlite => "",
            // Byte order, as SQLite sorts.
            Dialect::Postgres => " COLLATE \"C\"",
        };
        let total = match self.first_kind {
            AggregationKind::Count => "n".to_owned(),
            AggregationKind::Average => "(v1 / NULLIF(c1, 0))".to_owned(),
            _ => "v1".to_owned(),
        };
        let mut parts = Vec::new();
        for (by, descending) in &self.sorts {
            let dir = if *descending { " DESC" } else { " ASC" };
            let (expr, collate) = match by {
                SortBy::Total => (total.clone(), ""),
                SortBy::Group(n) => (format!("k{}", n + 1), text_order),
            };
            // Records without a value come last whatever the direction.
            parts.push(format!("({expr} IS NULL), {expr}{collate}{dir}"));
        }
        for k in 1..=3 {
            parts.push(format!("(k{k} IS NULL), k{k}{text_order} ASC"));
        }
        b.push(&parts.join(", "));
    }

    /// The SQL text of a group's key from its pivot value `v`: the value, or for dates the unit it
    /// falls in (`2026`, `2026-Q4`, `2026-12`, `2026-11-30` for the week starting that Monday,
    /// `2026-12-05`, `2026-12-05 09`, `2026-12-05 09:30`), in the caller's time zone.
    fn key_expr(&self, dialect: Dialect, g: &GroupColumn, v: &str) -> String {
        let v = format!("NULLIF({v}, '')");
        let Some(per) = g.per else { return v };
        // Local time as `YYYY-MM-DD HH:MM`; a date is its own local day.
        let local = if g.datetime {
            let minutes = self.offset_minutes;
            match dialect {
                Dialect::Sqlite => {
                    format!("strftime('%Y-%m-%d %H:%M', substr({v}, 1, 19), '{minutes:+} minutes')")
                }
                Dialect::Postgres => format!(
                    "to_char(CAST(substr({v}, 1, 19) AS timestamp) + interval '{minutes} minutes', 'YYYY-MM-DD HH24:MI')"
                ),
            }
        } else {
            v
        };
        match per {
            Per::Year => format!("substr({local}, 1, 4)"),
            Per::Month => format!("substr({local}, 1, 7)"),
            Per::Day => format!("substr({local}, 1, 10)"),
            Per::Hour => format!("substr({local}, 1, 13)"),
            Per::Minute => format!("substr({local}, 1, 16)"),
            Per::Quarter => format!(
                "substr({local}, 1, 4) || '-Q' || CAST((CAST(substr({local}, 6, 2) AS INTEGER) + 2) / 3 AS TEXT)"
            ),
            Per::Week => {
                let day = format!("substr({local}, 1, 10)");
                match dialect {
                    Dialect::Sqlite => format!(
                        "date({day}, '-' || ((CAST(strftime('%w', {day}) AS INTEGER) + 6) % 7) || ' days')"
                    ),
                    Dialect::Postgres => format!(
                        "to_char(date_trunc('week', CAST({day} AS timestamp)), 'YYYY-MM-DD')"
                    ),
                }
            }
        }
    }
}
