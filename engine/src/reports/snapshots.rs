//! Periodic reports run (kintone's 定期レポート): the snapshots of charts' numbers taken at the
//! moments their `periodicReport` names, and who may look back at them.
//!
//! Guarantees:
//! - `run(conn, now, tz)` takes, for every chart of every live app with an active schedule, one
//!   snapshot of its latest moment at or before `now` (`periodic::Period::latest_moment`) unless
//!   it has one: computed by the engine as the system (`ActingContext::system`), over every record,
//!   with the chart's filter and `now` as the clock of its date functions, grouped in the server's
//!   time zone. A second run for the same moment writes nothing (the row is unique per app, chart
//!   and moment, inserted `ON CONFLICT DO NOTHING`, so two nodes cannot write it twice either), and
//!   a run after a downtime takes only the latest missed moment: one snapshot on catch-up.
//! - Only moments after the app's live version was deployed count, so switching a schedule on
//!   never takes a snapshot for a moment that passed before it existed.
//! - At most [`KEEP_SNAPSHOTS`] per chart: the oldest go when a new one is stored.
//! - A chart removed from the live app loses its snapshots at the next run; a deleted app loses
//!   them with the app (`apps::delete_app`). A changed chart keeps its snapshots: each stores the
//!   chart as it was when taken and is shown with those groups and aggregations while they still
//!   check against the app and the viewer's field rights.
//! - Snapshots count every record, so they are shown only to whom `acl::Access::sees_whole_app_totals`
//!   allows (the app's managers, and viewers that no record rule narrows); everyone else gets
//!   [`Past::Hidden`].

use diesel::sql_types::{BigInt, Text};
use diesel::QueryableByName;
use serde_json::{json, Value};

use super::aggregate::{self, DataRow, ReportData};
use super::{find_report, parse_report, periodic, Report};
use crate::acl::AppRight;
use crate::acting::{ActingContext, Channel};
use crate::apps::{AppId, AppRow, LiveApp};
use crate::db::DbConn;
use crate::error::{EngineError, EngineResult, FieldErrors, UserError};
use crate::query::QueryContext;

/// The job that takes due snapshots: one per minute across nodes (`plan`).
pub const JOB_KIND: &str = "reports.periodic";

/// Snapshots kept per chart. 100 covers eight years of a monthly report, two of a weekly one and
/// three months of a daily one; an hourly report keeps four days. A snapshot holds at most
/// `aggregate::MAX_GROUPS` + 1 rows, so a chart's history stays below a few megabytes.
pub const KEEP_SNAPSHOTS: i64 = 100;

/// The job of the minute `now` falls in (its dedupe key makes one per minute across nodes).
pub fn plan(conn: &mut DbConn, now: i64) -> EngineResult<bool> {
    crate::jobs::enqueue_for_minute(conn, JOB_KIND, now)
}

#[derive(QueryableByName)]
struct Deployed {
    #[diesel(sql_type = BigInt)]
    deployed_at: i64,
}

#[derive(QueryableByName)]
struct SnapshotRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    period_start: i64,
    #[diesel(sql_type = Text)]
    period_label: String,
    #[diesel(sql_type = BigInt)]
    taken_at: i64,
}

#[derive(QueryableByName)]
struct KeptRow {
    #[diesel(sql_type = BigInt)]
    app_id: i64,
    #[diesel(sql_type = Text)]
    report_id: String,
}

#[derive(QueryableByName)]
struct ResultRow {
    #[diesel(sql_type = Text)]
    result: String,
}

/// One snapshot in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotSummary {
    pub id: i64,
    /// The moment it stands for (unix seconds).
    pub period_start: i64,
    /// That moment in the server's local time, `2026-12-01 09:00`.
    pub period_label: String,
    /// When it was computed (unix seconds; later than the moment after a downtime).
    pub taken_at: i64,
}

/// One snapshot with its numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub summary: SnapshotSummary,
    /// The chart as it was when taken (kintone's report shape).
    pub report: Value,
    pub data: ReportData,
}

/// What a caller may see of a chart's past results.
#[derive(Debug, Clone, PartialEq)]
pub enum Past<T> {
    Shown(T),
    /// The caller may not see numbers of every record (`Access::sees_whole_app_totals`).
    Hidden,
}

/// Takes every due snapshot at `now` (see the module). Returns how many were stored.
///
/// Errors: database failures. A chart that no longer computes (a field deleted since) is skipped
/// with a warning, the other charts still run.
pub fn run(conn: &mut DbConn, now: i64, tz: chrono_tz::Tz) -> EngineResult<usize> {
    let clock = chrono::DateTime::from_timestamp(now, 0).unwrap_or_default();
    let system = ActingContext::system(Channel::Schedule, tz).at(clock);
    let mut stored = 0;
    // Which charts have snapshots (one read), so that only apps with a removed chart are written.
    let mut b = conn.sql();
    b.push("SELECT DISTINCT app_id, report_id FROM report_snapshots");
    let kept: Vec<KeptRow> = conn.load(&b)?;
    for row in AppRow::list(conn)? {
        let live = match system.open_app(conn, AppId(row.id), AppRight::View) {
            Ok(live) => live,
            // Never deployed, or gone meanwhile: nothing to take.
            Err(EngineError::User(_)) => continue,
            Err(e) => return Err(e),
        };
        let ids: Vec<String> = live
            .definition
            .reports
            .values()
            .filter_map(|r| r.get("id").and_then(Value::as_str).map(str::to_owned))
            .collect();
        if kept
            .iter()
            .any(|k| k.app_id == row.id && !ids.contains(&k.report_id))
        {
            forget_removed(conn, row.id, &ids)?;
        }
        let mut due = Vec::new();
        for report in live.definition.reports.values() {
            let Ok(Some(period)) = periodic::parse(report.get("periodicReport")) else {
                continue;
            };
            let (Some(id), Some((moment, label))) = (
                report.get("id").and_then(Value::as_str),
                period.latest_moment(now, tz),
            ) else {
                continue;
            };
            due.push((id.to_owned(), report.clone(), moment, label));
        }
        if due.is_empty() {
            continue;
        }
        let armed_at = deployed_at(conn, row.id, row.live_version)?;
        for (id, wire, moment, label) in due {
            if moment <= armed_at || exists(conn, row.id, &id, moment)? {
                continue;
            }
            let ctx = system.query_context(&live, None);
            let computed =
                find_report(&ctx, &id)
                    .map_err(EngineError::from)
                    .and_then(|r| match r {
                        Some(report) => aggregate::run(conn, row.id, &report, &ctx).map(Some),
                        None => Ok(None),
                    });
            let data = match computed {
                Ok(Some(data)) => data,
                Ok(None) => continue,
                Err(EngineError::User(e)) => {
                    tracing::warn!(app = row.id, report = %id, error = %e, "periodic report skipped");
                    continue;
                }
                Err(e) => return Err(e),
            };
            let result = json!({
                "report": wire,
                "rows": data.rows.iter().map(row_json).collect::<Vec<_>>(),
                "rest": data.rest.as_ref().map(row_json),
                "total": row_json(&data.total),
            });
            let inserted = conn.write_transaction(|c| {
                let n = insert(c, row.id, &id, moment, &label, now, &result.to_string())?;
                prune(c, row.id, &id)?;
                Ok::<usize, EngineError>(n)
            })?;
            stored += inserted;
        }
    }
    Ok(stored)
}

/// The time the app's live version was deployed (0 when unknown).
fn deployed_at(conn: &mut DbConn, app: i64, version: i64) -> EngineResult<i64> {
    let mut b = conn.sql();
    b.push("SELECT deployed_at FROM app_versions WHERE app_id = ")
        .bind_int(app)
        .push(" AND version = ")
        .bind_int(version);
    let rows: Vec<Deployed> = conn.load(&b)?;
    Ok(rows.first().map_or(0, |r| r.deployed_at))
}

fn exists(conn: &mut DbConn, app: i64, report: &str, moment: i64) -> EngineResult<bool> {
    let mut b = conn.sql();
    b.push("SELECT id, period_start, period_label, taken_at FROM report_snapshots WHERE app_id = ")
        .bind_int(app)
        .push(" AND report_id = ")
        .bind_text(report)
        .push(" AND period_start = ")
        .bind_int(moment);
    let rows: Vec<SnapshotRow> = conn.load(&b)?;
    Ok(!rows.is_empty())
}

fn insert(
    conn: &mut DbConn,
    app: i64,
    report: &str,
    moment: i64,
    label: &str,
    now: i64,
    result: &str,
) -> EngineResult<usize> {
    let mut b = conn.sql();
    b.push("INSERT INTO report_snapshots (app_id, report_id, period_start, period_label, taken_at, result) VALUES (")
        .bind_int(app)
        .push(", ")
        .bind_text(report)
        .push(", ")
        .bind_int(moment)
        .push(", ")
        .bind_text(label)
        .push(", ")
        .bind_int(now)
        .push(", ")
        .bind_text(result)
        .push(") ON CONFLICT (app_id, report_id, period_start) DO NOTHING");
    conn.execute(&b)
}

/// Keeps the latest `KEEP_SNAPSHOTS` of one chart.
fn prune(conn: &mut DbConn, app: i64, report: &str) -> EngineResult<usize> {
    let mut b = conn.sql();
    b.push("DELETE FROM report_snapshots WHERE app_id = ")
        .bind_int(app)
        .push(" AND report_id = ")
        .bind_text(report)
        .push(" AND id NOT IN (SELECT id FROM report_snapshots WHERE app_id = ")
        .bind_int(app)
        .push(" AND report_id = ")
        .bind_text(report)
        .push(&format!(
            " ORDER BY period_start DESC LIMIT {KEEP_SNAPSHOTS})"
        ));
    conn.execute(&b)
}

/// Removes the snapshots of charts no longer in the app (`ids`: the live charts' ids).
fn forget_removed(conn: &mut DbConn, app: i64, ids: &[String]) -> EngineResult<usize> {
    let mut b = conn.sql();
    b.push("DELETE FROM report_snapshots WHERE app_id = ")
        .bind_int(app);
    for id in ids {
        b.push(" AND report_id <> ").bind_text(id);
    }
    conn.execute(&b)
}

/// Removes every snapshot of a deleted app.
pub fn drop_app(conn: &mut DbConn, app: AppId) -> EngineResult<()> {
    let mut b = conn.sql();
    b.push("DELETE FROM report_snapshots WHERE app_id = ")
        .bind_int(app.0);
    conn.execute(&b)?;
    Ok(())
}

fn row_json(r: &DataRow) -> Value {
    json!({"keys": r.keys, "values": r.values})
}

fn row_of(v: &Value) -> Option<DataRow> {
    let keys = v
        .get("keys")?
        .as_array()?
        .iter()
        .map(|k| k.as_str().map(str::to_owned))
        .collect();
    let values = v
        .get("values")?
        .as_array()?
        .iter()
        .map(Value::as_f64)
        .collect();
    Some(DataRow { keys, values })
}

fn summary(r: SnapshotRow) -> SnapshotSummary {
    SnapshotSummary {
        id: r.id,
        period_start: r.period_start,
        period_label: r.period_label,
        taken_at: r.taken_at,
    }
}

/// The snapshots of chart `report_id` of `live`, newest first, if the caller whose rights `live`
/// carries may see them.
pub fn list(
    conn: &mut DbConn,
    live: &LiveApp,
    report_id: &str,
) -> EngineResult<Past<Vec<SnapshotSummary>>> {
    if !live.access.sees_whole_app_totals() {
        return Ok(Past::Hidden);
    }
    let mut b = conn.sql();
    b.push("SELECT id, period_start, period_label, taken_at FROM report_snapshots WHERE app_id = ")
        .bind_int(live.id().0)
        .push(" AND report_id = ")
        .bind_text(report_id)
        .push(" ORDER BY period_start DESC");
    let rows: Vec<SnapshotRow> = conn.load(&b)?;
    Ok(Past::Shown(rows.into_iter().map(summary).collect()))
}

/// Snapshot `id` of chart `report_id` of `live` (None: no such snapshot of that chart), if the
/// caller whose rights `live` carries may see it.
pub fn open(
    conn: &mut DbConn,
    live: &LiveApp,
    report_id: &str,
    id: i64,
) -> EngineResult<Past<Option<Snapshot>>> {
    if !live.access.sees_whole_app_totals() {
        return Ok(Past::Hidden);
    }
    let mut b = conn.sql();
    b.push("SELECT id, period_start, period_label, taken_at FROM report_snapshots WHERE app_id = ")
        .bind_int(live.id().0)
        .push(" AND report_id = ")
        .bind_text(report_id)
        .push(" AND id = ")
        .bind_int(id);
    let Some(row) = conn.load::<SnapshotRow>(&b)?.into_iter().next() else {
        return Ok(Past::Shown(None));
    };
    let mut b = conn.sql();
    b.push("SELECT result FROM report_snapshots WHERE id = ")
        .bind_int(row.id);
    let Some(stored) = conn.load::<ResultRow>(&b)?.into_iter().next() else {
        return Ok(Past::Shown(None));
    };
    let result: Value = serde_json::from_str(&stored.result)?;
    let broken = || EngineError::Internal(format!("report snapshot {id}: malformed result"));
    let data = ReportData {
        rows: result
            .get("rows")
            .and_then(Value::as_array)
            .ok_or_else(broken)?
            .iter()
            .map(row_of)
            .collect::<Option<Vec<_>>>()
            .ok_or_else(broken)?,
        rest: result.get("rest").and_then(row_of),
        total: result.get("total").and_then(row_of).ok_or_else(broken)?,
    };
    Ok(Past::Shown(Some(Snapshot {
        summary: summary(row),
        report: result.get("report").cloned().unwrap_or(Value::Null),
        data,
    })))
}

/// The chart a snapshot was taken of, checked against the app as it is now and the viewer's field
/// rights (`ctx`).
///
/// Errors: `Validation` when it no longer checks (a field it groups or sums was deleted since, or
/// the viewer may not see it): the snapshot cannot be shown with names and is not shown at all.
pub fn report_of(ctx: &QueryContext<'_>, snapshot: &Snapshot) -> Result<Report, UserError> {
    let mut errors = FieldErrors::new();
    let parsed = snapshot
        .report
        .as_object()
        .and_then(|obj| parse_report(obj, ctx, "report", &mut errors));
    match parsed {
        Some(r) => Ok(r),
        None if errors.is_empty() => Err(UserError::Validation(
            [(
                "report".to_owned(),
                vec!["The chart of this snapshot cannot be read.".into()],
            )]
            .into_iter()
            .collect(),
        )),
        None => Err(UserError::Validation(errors)),
    }
}
