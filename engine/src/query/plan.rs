//! A small planner for list and count queries over the pivot indexes.
//!
//! The compiled query (`compile_condition` + `compile_order`) walks the app's records and probes
//! every condition per record, then sorts what matches: fine for small apps, linear in the app size
//! for large ones. Neither backend's planner can fix that by itself (the sort key is a scalar
//! subselect, the conditions are correlated `EXISTS`), so this module picks one of three shapes:
//!
//! - `Plain`: the compiled query as is;
//! - `Drive`: the most selective AND-ed indexed condition is evaluated first through its
//!   `(app_id, field_id, value, record_id)` index and only those records are probed and sorted;
//! - `Walk` (one column sort key): the sort field's value index is walked in sort order and records
//!   are probed until the page is full; records without a value are listed after (`desc`) or
//!   before (`asc`) the valued ones, by `$id`, as the compiled `NULLS LAST`/`NULLS FIRST` order says.
//!
//! Guarantees: every shape returns the same rows in the same order as `Plain` (the full compiled
//! condition is always applied; a driver only narrows the candidates to a superset of the matches);
//! the choice costs at most one bounded index count per candidate driver
//! (`SELECT COUNT(*) FROM (SELECT 1 ... LIMIT 20000)`); the SQL is the same on both backends.

use diesel::QueryableByName;

use super::ast::SortDirection;
use super::compile::Compiler;
use super::resolve::{self, Pred, RExpr, Resolved, SortTarget, Table};
use super::{compile_condition, compile_order, Query, QueryContext};
use crate::apps::FieldId;
use crate::db::{DbConn, Dialect, IntRow, SqlBuilder};
use crate::error::EngineResult;

/// Index entries a selectivity probe counts at most.
const ESTIMATE_CAP: i64 = 20_000;
/// Below this many records in the app the compiled query is used as is.
const SMALL_APP: i64 = 20_000;

/// An AND-ed, positive condition on a top-level field that its value index can answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Driver {
    table: Table,
    field_id: FieldId,
    pred: Pred,
}

/// How a list or count runs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Plan {
    Plain,
    Drive(Driver),
    Walk {
        table: Table,
        field_id: FieldId,
        dir: SortDirection,
    },
}

/// Top-level AND-ed conditions answerable by a value index.
fn drivers(q: &Query, ctx: &QueryContext<'_>) -> EngineResult<Vec<Driver>> {
    let Some(e) = &q.condition else {
        return Ok(Vec::new());
    };
    let resolved = resolve::resolve_expr(e, ctx)?;
    let leaves: Vec<&Resolved> = match &resolved {
        RExpr::Leaf(r) => vec![r],
        RExpr::And(items) => items
            .iter()
            .filter_map(|i| match i {
                RExpr::Leaf(r) => Some(r),
                _ => None,
            })
            .collect(),
        RExpr::Or(_) => Vec::new(),
    };
    Ok(leaves
        .into_iter()
        .filter_map(|r| match r {
            Resolved::Field {
                column,
                negative: false,
                pred: Some(pred),
                empty: false,
            } if column.subtable.is_none()
                && column.table != Table::Long
                && !matches!(pred, Pred::Like(_)) =>
            {
                Some(Driver {
                    table: column.table,
                    field_id: column.field_id,
                    pred: pred.clone(),
                })
            }
            _ => None,
        })
        .collect())
}

/// `SELECT d.record_id FROM <index> d WHERE <app, field, row 0, value pred>`.
fn driver_select(b: &mut SqlBuilder, app_id: i64, d: &Driver) {
    b.push(&format!(
        "SELECT d.record_id FROM {} d WHERE d.app_id = ",
        d.table.name()
    ))
    .bind_int(app_id)
    .push(&format!(" AND d.field_id = {} AND d.row_id = 0 AND ", d.field_id));
    Compiler::new(b).pred("d.value", &d.pred);
}

/// How many index entries match the driver, counting at most `ESTIMATE_CAP`.
fn estimate(conn: &mut DbConn, app_id: i64, d: &Driver) -> EngineResult<i64> {
    let mut b = conn.sql();
    b.push("SELECT COUNT(*) AS n FROM (");
    driver_select(&mut b, app_id, d);
    b.push(" LIMIT ").bind_int(ESTIMATE_CAP).push(") x");
    let rows: Vec<IntRow> = conn.load(&b)?;
    Ok(rows.first().map(|r| r.n).unwrap_or(0))
}

/// The single column sort key of the query, if it has exactly one (besides the `$id` tie-breaker).
fn single_sort(q: &Query, ctx: &QueryContext<'_>) -> EngineResult<Option<(Table, FieldId, SortDirection)>> {
    let mut keys = Vec::new();
    for k in &q.order_by {
        let (target, dir) = resolve::resolve_sort(k, ctx)?;
        if target == SortTarget::Id {
            break;
        }
        keys.push((target, dir));
    }
    Ok(match keys.as_slice() {
        [(SortTarget::Column { table, field_id }, dir)] => Some((*table, *field_id, *dir)),
        _ => None,
    })
}

/// Chooses how to list (`need` = offset + limit rows) or, with `need` None, count.
/// `approx_records` is an upper bound of the app's record count (its next record id).
pub(crate) fn choose(
    conn: &mut DbConn,
    app_id: i64,
    approx_records: i64,
    q: &Query,
    ctx: &QueryContext<'_>,
    need: Option<i64>,
) -> EngineResult<Plan> {
    if approx_records < SMALL_APP {
        return Ok(Plan::Plain);
    }
    let n = approx_records.max(1) as f64;
    let mut best: Option<(i64, Driver)> = None;
    let mut selectivity = 1.0_f64;
    for d in drivers(q, ctx)? {
        let est = estimate(conn, app_id, &d)?;
        selectivity *= (est.max(1) as f64 / n).min(1.0);
        if est < ESTIMATE_CAP && best.as_ref().is_none_or(|(b, _)| est < *b) {
            best = Some((est, d));
        }
    }
    let Some(need) = need else {
        return Ok(best.map(|(_, d)| Plan::Drive(d)).unwrap_or(Plan::Plain));
    };
    let walk = single_sort(q, ctx)?;
    // Walking visits about need / selectivity index entries; driving reads the driver's entries and
    // probes and sorts each (about twice the work per entry).
    let walk_cost = need as f64 / selectivity;
    Ok(match (best, walk) {
        (Some((est, d)), Some(_)) if 2.0 * est as f64 <= walk_cost => Plan::Drive(d),
        (Some((_, d)), None) => Plan::Drive(d),
        (_, Some((table, field_id, dir))) => Plan::Walk {
            table,
            field_id,
            dir,
        },
        (None, None) => Plan::Plain,
    })
}

/// The parts of a list, in output order: SQL with ORDER BY but without LIMIT/OFFSET.
fn parts(
    dialect: Dialect,
    app_id: i64,
    columns: &str,
    q: &Query,
    ctx: &QueryContext<'_>,
    plan: &Plan,
) -> EngineResult<Vec<SqlBuilder>> {
    let mut b = SqlBuilder::new(dialect);
    match plan {
        Plan::Plain => {
            b.push(&format!("SELECT {columns} FROM records r WHERE r.app_id = "))
                .bind_int(app_id);
            compile_condition(q, ctx, &mut b)?;
            compile_order(q, ctx, &mut b)?;
            Ok(vec![b])
        }
        Plan::Drive(d) => {
            // CROSS JOIN keeps SQLite from reordering: the driver's ids come first.
            b.push(&format!("SELECT {columns} FROM (SELECT DISTINCT k.record_id FROM ("));
            driver_select(&mut b, app_id, d);
            b.push(") k) k CROSS JOIN records r WHERE r.app_id = ")
                .bind_int(app_id)
                .push(" AND r.id = k.record_id");
            compile_condition(q, ctx, &mut b)?;
            compile_order(q, ctx, &mut b)?;
            Ok(vec![b])
        }
        Plan::Walk {
            table,
            field_id,
            dir,
        } => {
            let dir_sql = match dir {
                SortDirection::Asc => "ASC",
                SortDirection::Desc => "DESC",
            };
            let collate = if *table == Table::Text && dialect == Dialect::Postgres {
                " COLLATE \"C\""
            } else {
                ""
            };
            b.push(&format!("SELECT {columns} FROM {} s CROSS JOIN records r WHERE s.app_id = ", table.name()))
                .bind_int(app_id)
                .push(&format!(
                    " AND s.field_id = {field_id} AND s.row_id = 0 AND s.value IS NOT NULL AND r.app_id = s.app_id AND r.id = s.record_id"
                ));
            compile_condition(q, ctx, &mut b)?;
            b.push(&format!(
                " ORDER BY s.value{collate} {dir_sql}, s.record_id {dir_sql}"
            ));
            let mut empty = SqlBuilder::new(dialect);
            empty
                .push(&format!("SELECT {columns} FROM records r WHERE r.app_id = "))
                .bind_int(app_id)
                .push(&format!(
                    " AND NOT EXISTS (SELECT 1 FROM {} n WHERE n.app_id = r.app_id AND n.field_id = {field_id} AND n.record_id = r.id AND n.row_id = 0 AND n.value IS NOT NULL)",
                    table.name()
                ));
            compile_condition(q, ctx, &mut empty)?;
            empty.push(&format!(" ORDER BY r.id {dir_sql}"));
            Ok(match dir {
                SortDirection::Desc => vec![b, empty],
                SortDirection::Asc => vec![empty, b],
            })
        }
    }
}

/// Rows `offset..offset + limit` of the query, run as `plan` says. `columns` is the select list over
/// `r` (the records row).
#[allow(clippy::too_many_arguments)]
pub(crate) fn load<T>(
    conn: &mut DbConn,
    app_id: i64,
    columns: &str,
    q: &Query,
    ctx: &QueryContext<'_>,
    plan: &Plan,
    limit: i64,
    offset: i64,
) -> EngineResult<Vec<T>>
where
    T: QueryableByName<diesel::sqlite::Sqlite> + QueryableByName<diesel::pg::Pg> + 'static,
{
    let mut out: Vec<T> = Vec::new();
    let mut skip = offset.max(0);
    for part in parts(conn.dialect(), app_id, columns, q, ctx, plan)? {
        let want = limit - i64::try_from(out.len()).unwrap_or(i64::MAX);
        if want <= 0 {
            break;
        }
        let mut b = part.clone();
        b.push(" LIMIT ").bind_int(want).push(" OFFSET ").bind_int(skip);
        let rows: Vec<T> = conn.load(&b)?;
        if rows.is_empty() && skip > 0 {
            // This part has at most `skip` rows: skip them all and the rest in the next part.
            let mut c = SqlBuilder::new(part.dialect);
            c.binds = part.binds.clone();
            c.push("SELECT COUNT(*) AS n FROM (")
                .push(&part.sql)
                .push(") x");
            let n: Vec<IntRow> = conn.load(&c)?;
            skip -= n.first().map(|r| r.n).unwrap_or(0).min(skip);
        } else {
            skip = 0;
        }
        out.extend(rows);
    }
    Ok(out)
}

/// How many records match the query's condition, run as `plan` says (`Walk` counts as `Plain`).
pub(crate) fn count(
    conn: &mut DbConn,
    app_id: i64,
    q: &Query,
    ctx: &QueryContext<'_>,
    plan: &Plan,
) -> EngineResult<i64> {
    let mut b = conn.sql();
    match plan {
        Plan::Drive(d) => {
            b.push("SELECT COUNT(*) AS n FROM (SELECT DISTINCT k.record_id FROM (");
            driver_select(&mut b, app_id, d);
            b.push(") k) k CROSS JOIN records r WHERE r.app_id = ")
                .bind_int(app_id)
                .push(" AND r.id = k.record_id");
        }
        _ => {
            b.push("SELECT COUNT(*) AS n FROM records r WHERE r.app_id = ")
                .bind_int(app_id);
        }
    }
    compile_condition(q, ctx, &mut b)?;
    let rows: Vec<IntRow> = conn.load(&b)?;
    Ok(rows.first().map(|r| r.n).unwrap_or(0))
}

/// Every plan that applies to the query (for tests comparing them).
#[cfg(test)]
pub(crate) fn all_plans(q: &Query, ctx: &QueryContext<'_>) -> EngineResult<Vec<Plan>> {
    let mut plans = vec![Plan::Plain];
    plans.extend(drivers(q, ctx)?.into_iter().map(Plan::Drive));
    if let Some((table, field_id, dir)) = single_sort(q, ctx)? {
        plans.push(Plan::Walk {
            table,
            field_id,
            dir,
        });
    }
    Ok(plans)
}
