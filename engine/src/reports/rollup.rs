//! Charts kept current on write ("rollups"), so that opening a chart of a large app reads a few
//! summed rows instead of visiting every record (issue 16: a chart over 1,000,000 records within
//! 500 ms on SQLite; one `GROUP BY` over the index tables takes seconds there).
//!
//! The first time a chart is opened for a caller who may see every record, its numbers are computed
//! as always (`aggregate`'s statement) and stored, per group, in `report_rollups`, and a row in
//! `report_rollup_states` says that they are maintained. From then on every record write runs the
//! same statement restricted to the records it touches: before the change with a minus sign
//! (`records_leaving`), after it with a plus sign (`records_arriving`), inside the write's own
//! transaction. Reading sums the signed rows per group; from time to time they are compacted.
//!
//! Only what a sum of changes can express is kept: COUNT, SUM and AVERAGE (not MAX/MIN), filters
//! without functions (`TODAY()` or `LOGINUSER()` would change the result without a write), time
//! zones without daylight saving time, callers without record-level rules (theirs are computed
//! per call). Deploying the app drops its rollups (fields, reports or the process may have
//! changed), as does deleting it. Anything else falls back to the full statement, never to a
//! wrong number: a failure here is logged and the chart computed directly.

use chrono::{Datelike, Offset, TimeZone};
use diesel::sql_types::{BigInt, Text};
use diesel::QueryableByName;

use super::aggregate::{GroupRow, Plan};
use super::{AggregationKind, Report, MAX_AGGREGATIONS};
use crate::apps::{AppDefinition, AppId};
use crate::db::{DbConn, SqlBuilder};
use crate::error::EngineResult;
use crate::query::{self, Query, QueryContext};

/// Signed rows a rollup may gather before it is compacted into one row per group.
const COMPACT_AFTER_ROWS: i64 = 5_000;

#[derive(QueryableByName)]
struct StateRow {
    #[diesel(sql_type = Text)]
    report_id: String,
    #[diesel(sql_type = Text)]
    timezone: String,
    #[diesel(sql_type = Text)]
    report_text: String,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Whether `report`'s numbers for this caller can come from a rollup.
pub(super) fn usable(report: &Report, filter: &Query, ctx: &QueryContext<'_>) -> bool {
    let sums_only = report.aggregations.iter().all(|a| {
        matches!(
            a.kind,
            AggregationKind::Count | AggregationKind::Sum | AggregationKind::Average
        )
    });
    let sees_all = ctx
        .access
        .is_none_or(|a| a.rights.view && !a.has_record_rules());
    sums_only && sees_all && !has_function(filter) && fixed_offset(ctx.timezone)
}

fn has_function(filter: &Query) -> bool {
    fn walk(e: &query::Expr) -> bool {
        match e {
            query::Expr::And(items) | query::Expr::Or(items) => items.iter().any(walk),
            query::Expr::Cond(c) => c
                .values
                .iter()
                .any(|v| matches!(v, query::Value::Function(_))),
        }
    }
    filter.condition.as_ref().is_some_and(walk)
}

/// A zone whose offset is the same in January and July (Japan's): date groups cut by a fixed
/// offset stay right whenever a record is written.
fn fixed_offset(tz: chrono_tz::Tz) -> bool {
    let year = chrono::Utc::now().year();
    let offset_at = |month: u32| {
        tz.with_ymd_and_hms(year, month, 1, 12, 0, 0)
            .single()
            .map(|t| t.offset().fix().local_minus_utc())
    };
    offset_at(1).is_some() && offset_at(1) == offset_at(7)
}

/// The text a state row keeps to notice that a report changed since its rollup was built.
fn report_text(report: &Report) -> String {
    format!("{report:?}")
}

fn push_key(b: &mut SqlBuilder, app_id: i64, report_id: &str, timezone: &str) {
    b.push(" app_id = ")
        .bind_int(app_id)
        .push(" AND report_id = ")
        .bind_text(report_id)
        .push(" AND timezone = ")
        .bind_text(timezone);
}

/// The report's grouped rows (at most `limit`, in the report's order) and its totals from the
/// rollup, built first when there is none. `None`: no rollup could be used this time.
pub(super) fn read(
    conn: &mut DbConn,
    app_id: i64,
    report: &Report,
    plan: &Plan,
    filter: &Query,
    ctx: &QueryContext<'_>,
    limit: usize,
) -> EngineResult<Option<(Vec<GroupRow>, Option<GroupRow>)>> {
    let timezone = ctx.timezone.name();
    let mut b = conn.sql();
    b.push("SELECT report_id, timezone, report_text FROM report_rollup_states WHERE");
    push_key(&mut b, app_id, &report.id, timezone);
    let state: Vec<StateRow> = conn.load(&b)?;
    let current = state
        .first()
        .is_some_and(|s| s.report_text == report_text(report));
    if !current {
        let maintain_ctx = QueryContext {
            access: None,
            text_matcher: None,
            ..*ctx
        };
        in_own_transaction(conn, |c| {
            build(c, app_id, report, plan, filter, &maintain_ctx)
        })?;
    } else {
        compact_if_long(conn, app_id, &report.id, timezone)?;
    }
    let sums = |b: &mut SqlBuilder, total: bool| {
        b.push("SELECT k1, k2, k3, CAST(SUM(n) AS BIGINT) AS n");
        for slot in 1..=MAX_AGGREGATIONS {
            b.push(&format!(
                ", SUM(v{slot}) AS v{slot}, SUM(c{slot}) AS c{slot}"
            ));
        }
        b.push(" FROM report_rollups WHERE");
        push_key(b, app_id, &report.id, timezone);
        b.push(if total {
            " AND is_total = 1"
        } else {
            " AND is_total = 0"
        });
        b.push(" GROUP BY k1, k2, k3 HAVING SUM(n) <> 0");
    };
    let mut b = conn.sql();
    b.push("SELECT * FROM (");
    sums(&mut b, false);
    b.push(") g ORDER BY ");
    plan.push_order(&mut b);
    b.push(&format!(" LIMIT {limit}"));
    let rows: Vec<GroupRow> = conn.load(&b)?;
    let mut b = conn.sql();
    sums(&mut b, true);
    let total: Vec<GroupRow> = conn.load(&b)?;
    Ok(Some((rows, total.into_iter().next())))
}

/// Computes the whole rollup under the app's write lock and marks it maintained.
fn build(
    conn: &mut DbConn,
    app_id: i64,
    report: &Report,
    plan: &Plan,
    filter: &Query,
    ctx: &QueryContext<'_>,
) -> EngineResult<()> {
    crate::records::write::lock_app_id_for_write(conn, app_id)?;
    let timezone = ctx.timezone.name();
    drop_one(conn, app_id, &report.id, timezone)?;
    add_contribution(conn, app_id, &report.id, plan, filter, ctx, None, 1)?;
    let mut b = conn.sql();
    b.push("INSERT INTO report_rollup_states (app_id, report_id, timezone, report_text, built_at) VALUES (")
        .bind_int(app_id)
        .push(", ")
        .bind_text(&report.id)
        .push(", ")
        .bind_text(timezone)
        .push(", ")
        .bind_text(&report_text(report))
        .push(", ")
        .bind_int(chrono::Utc::now().timestamp())
        .push(")");
    conn.execute(&b)?;
    Ok(())
}

/// Inserts the signed contribution of the records `only` (all of the app's when `None`).
#[allow(clippy::too_many_arguments)]
fn add_contribution(
    conn: &mut DbConn,
    app_id: i64,
    report_id: &str,
    plan: &Plan,
    filter: &Query,
    ctx: &QueryContext<'_>,
    only: Option<&[i64]>,
    sign: i64,
) -> EngineResult<()> {
    for total in [false, true] {
        let mut b = conn.sql();
        b.push("INSERT INTO report_rollups (app_id, report_id, timezone, is_total, k1, k2, k3, n");
        for slot in 1..=MAX_AGGREGATIONS {
            b.push(&format!(", v{slot}, c{slot}"));
        }
        b.push(") SELECT ")
            .bind_int(app_id)
            .push(", ")
            .bind_text(report_id)
            .push(", ")
            .bind_text(ctx.timezone.name())
            .push(if total { ", 1, " } else { ", 0, " });
        if total {
            b.push("CAST(NULL AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS TEXT)");
        } else {
            b.push("k1, k2, k3");
        }
        b.push(&format!(", {sign} * COUNT(*)"));
        for slot in 0..MAX_AGGREGATIONS {
            if plan.has_aggregate(slot) {
                b.push(&format!(
                    ", {sign} * SUM(a{slot}), {sign} * CAST(SUM(b{slot}) AS DOUBLE PRECISION)"
                ));
            } else {
                b.push(", CAST(NULL AS DOUBLE PRECISION), CAST(NULL AS DOUBLE PRECISION)");
            }
        }
        b.push(" FROM (");
        plan.push_inner(&mut b, app_id, filter, ctx, only)?;
        b.push(") t");
        if total {
            // No row for no records (SQLite wants a GROUP BY before HAVING).
            b.push(" GROUP BY 1 HAVING COUNT(*) > 0");
        } else {
            b.push(" GROUP BY k1, k2, k3");
        }
        conn.execute(&b)?;
    }
    Ok(())
}

/// Folds a rollup's signed rows into one row per group when they have piled up.
fn compact_if_long(
    conn: &mut DbConn,
    app_id: i64,
    report_id: &str,
    timezone: &str,
) -> EngineResult<()> {
    let mut b = conn.sql();
    b.push("SELECT COUNT(*) AS n FROM report_rollups WHERE");
    push_key(&mut b, app_id, report_id, timezone);
    let rows: Vec<CountRow> = conn.load(&b)?;
    if rows.first().map_or(0, |r| r.n) < COMPACT_AFTER_ROWS {
        return Ok(());
    }
    in_own_transaction(conn, |c| {
        crate::records::write::lock_app_id_for_write(c, app_id)?;
        let mut b = c.sql();
        b.push("SELECT COALESCE(MAX(id), 0) AS n FROM report_rollups WHERE");
        push_key(&mut b, app_id, report_id, timezone);
        let last = c.load::<CountRow>(&b)?.first().map_or(0, |r| r.n);
        let mut b = c.sql();
        b.push("INSERT INTO report_rollups (app_id, report_id, timezone, is_total, k1, k2, k3, n");
        for slot in 1..=MAX_AGGREGATIONS {
            b.push(&format!(", v{slot}, c{slot}"));
        }
        b.push(
            ") SELECT app_id, report_id, timezone, is_total, k1, k2, k3, CAST(SUM(n) AS BIGINT)",
        );
        for slot in 1..=MAX_AGGREGATIONS {
            b.push(&format!(", SUM(v{slot}), SUM(c{slot})"));
        }
        b.push(" FROM report_rollups WHERE");
        push_key(&mut b, app_id, report_id, timezone);
        b.push(" AND id <= ").bind_int(last);
        b.push(" GROUP BY app_id, report_id, timezone, is_total, k1, k2, k3 HAVING SUM(n) <> 0");
        c.execute(&b)?;
        let mut b = c.sql();
        b.push("DELETE FROM report_rollups WHERE");
        push_key(&mut b, app_id, report_id, timezone);
        b.push(" AND id <= ").bind_int(last);
        c.execute(&b)?;
        Ok(())
    })
}

/// Runs `f` all or nothing: in a write transaction of its own, or, when the caller's transaction
/// is open (the API reads in one), in a savepoint of it — a failed statement must not abort the
/// caller's transaction, since the chart is then computed directly on it.
fn in_own_transaction(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> EngineResult<()>,
) -> EngineResult<()> {
    if !crate::db::in_transaction() {
        return conn.write_transaction(f);
    }
    conn.batch_execute("SAVEPOINT report_rollup")?;
    match f(conn) {
        Ok(()) => conn.batch_execute("RELEASE SAVEPOINT report_rollup"),
        Err(e) => {
            // Best effort: the error that matters is `e`.
            let _ = conn.batch_execute("ROLLBACK TO SAVEPOINT report_rollup");
            let _ = conn.batch_execute("RELEASE SAVEPOINT report_rollup");
            Err(e)
        }
    }
}

/// Records `ids` are about to change or go: their contribution leaves every maintained rollup of
/// the app. Call inside the write's transaction, before its index rows change.
pub fn records_leaving(
    conn: &mut DbConn,
    app: AppId,
    def: &AppDefinition,
    ids: &[i64],
) -> EngineResult<()> {
    maintain(conn, app, def, ids, -1)
}

/// Records `ids` were added or changed: their contribution joins every maintained rollup. Call
/// inside the write's transaction, after their index rows are written.
pub fn records_arriving(
    conn: &mut DbConn,
    app: AppId,
    def: &AppDefinition,
    ids: &[i64],
) -> EngineResult<()> {
    maintain(conn, app, def, ids, 1)
}

fn maintain(
    conn: &mut DbConn,
    app: AppId,
    def: &AppDefinition,
    ids: &[i64],
    sign: i64,
) -> EngineResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut b = conn.sql();
    b.push("SELECT report_id, timezone, report_text FROM report_rollup_states WHERE app_id = ")
        .bind_int(app.0);
    let states: Vec<StateRow> = conn.load(&b)?;
    if states.is_empty() {
        return Ok(());
    }
    for state in states {
        let Ok(tz) = state.timezone.parse::<chrono_tz::Tz>() else {
            drop_one(conn, app.0, &state.report_id, &state.timezone)?;
            continue;
        };
        let now = chrono::Utc::now();
        let ctx = QueryContext {
            definition: def,
            login_user: "",
            primary_organization: None,
            timezone: tz,
            now,
            access: None,
            text_matcher: None,
        };
        let report = super::find_report(&ctx, &state.report_id).ok().flatten();
        let Some(report) = report.filter(|r| report_text(r) == state.report_text) else {
            // The report changed or no longer checks without a deploy: forget its rollup.
            drop_one(conn, app.0, &state.report_id, &state.timezone)?;
            continue;
        };
        let Ok(filter) = query::parse(&report.filter_cond) else {
            drop_one(conn, app.0, &state.report_id, &state.timezone)?;
            continue;
        };
        let offset = tz.offset_from_utc_datetime(&now.naive_utc()).fix();
        let plan = Plan::new(def, &report, offset.local_minus_utc() / 60)?;
        for chunk in ids.chunks(500) {
            add_contribution(
                conn,
                app.0,
                &report.id,
                &plan,
                &filter,
                &ctx,
                Some(chunk),
                sign,
            )?;
        }
    }
    Ok(())
}

fn drop_one(conn: &mut DbConn, app_id: i64, report_id: &str, timezone: &str) -> EngineResult<()> {
    for table in ["report_rollups", "report_rollup_states"] {
        let mut b = conn.sql();
        b.push(&format!("DELETE FROM {table} WHERE"));
        push_key(&mut b, app_id, report_id, timezone);
        conn.execute(&b)?;
    }
    Ok(())
}

/// Forgets every rollup of an app: its definition is being deployed (or the app deleted).
pub fn drop_app(conn: &mut DbConn, app: AppId) -> EngineResult<()> {
    for table in ["report_rollups", "report_rollup_states"] {
        let mut b = conn.sql();
        b.push(&format!("DELETE FROM {table} WHERE app_id = "))
            .bind_int(app.0);
        conn.execute(&b)?;
    }
    Ok(())
}
