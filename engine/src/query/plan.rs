//! A small planner for list and count queries over the pivot indexes.
//!
//! The compiled query (`compile_condition` + `compile_order`) walks the app's records and probes
//! every condition per record, then sorts what matches: fine for small apps, linear in the app size
//! for large ones. Neither backend's planner can fix that by itself (the sort key is a scalar
//! subselect, the conditions are correlated `EXISTS`), so this module picks one of four shapes:
//!
//! - `Plain`: the compiled query as is;
//! - `Drive`: the most selective AND-ed indexed condition is evaluated first through its
//!   `(app_id, field_id, value, record_id)` index and only those records are probed and sorted;
//! - `Walk` (one column sort key): the sort field's value index is walked in sort order and records
//!   are probed until the page is full; records without a value are listed after (`desc`) or
//!   before (`asc`) the valued ones, by `$id`, as the compiled `NULLS LAST`/`NULLS FIRST` order says,
//!   and not looked for when `records::gaps` counts none (`none_missing`);
//! - `Sift`: the walk keeping only a selective driver's candidates, held in memory (`sift.rs`).
//!
//! Guarantees: every shape returns the same rows in the same order as `Plain` (the full compiled
//! condition is always applied; a driver only narrows the candidates to a superset of the matches);
//! the choice costs at most one bounded index count per candidate driver
//! (`SELECT COUNT(*) FROM (SELECT 1 ... LIMIT 20000)`) and, for a walk, one `record_value_gaps` row;
//! the SQL is the same on both backends (PostgreSQL walks text in `COLLATE "C"`).

use diesel::QueryableByName;

use super::ast::SortDirection;
use super::compile::Compiler;
use super::resolve::{self, Pred, RExpr, Resolved, SortTarget, Table};
use super::sift::{self, SortWalk};
use super::{compile_condition, compile_order, Expr, Query, QueryContext};
use crate::apps::FieldId;
use crate::db::{DbConn, Dialect, IntRow, SqlBuilder};
use crate::error::EngineResult;

/// Index entries a selectivity probe counts at most.
const ESTIMATE_CAP: i64 = 20_000;
/// Sort-index entries a sift may read per candidate a drive would probe (an entry read from the
/// index costs about a tenth of a probe; docs/benchmarks.md); also its cap, with `SIFT_MIN_CAP`.
const SIFT_ENTRIES_PER_PROBE: f64 = 20.0;
const SIFT_MIN_CAP: i64 = 20_000;
/// Below this many records in the app the compiled query is used as is.
pub(crate) const SMALL_APP: i64 = 20_000;

/// An AND-ed, positive condition on a top-level field that its value index can answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Driver {
    table: Table,
    field_id: FieldId,
    /// AND-ed conditions on the same index row (the bounds of a range, say).
    preds: Vec<Pred>,
    /// Positions of those conditions among the top-level AND-ed members (0 for a lone condition).
    members: Vec<usize>,
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
        /// Every record has a value of the field (`records::gaps`): the records without one, listed
        /// before (`asc`) or after (`desc`) the walk, are known to be none and not looked for.
        none_missing: bool,
    },
    /// The walk, keeping only the driver's candidates (`sift.rs`); drives when the walk runs long.
    Sift {
        driver: Driver,
        walk: SortWalk,
        /// Index entries read by the walk's first step (each further step reads twice the last).
        first_step: i64,
        /// Entries after which the walk gives up and the query drives instead.
        cap: i64,
    },
}

/// Top-level AND-ed conditions answerable by a value index.
fn drivers(q: &Query, ctx: &QueryContext<'_>) -> EngineResult<Vec<Driver>> {
    let Some(e) = &q.condition else {
        return Ok(Vec::new());
    };
    let resolved = resolve::resolve_expr(e, ctx)?;
    let leaves: Vec<(usize, &Resolved)> = match &resolved {
        RExpr::Leaf(r) => vec![(0, r)],
        RExpr::And(items) => items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| match item {
                RExpr::Leaf(r) => Some((i, r)),
                _ => None,
            })
            .collect(),
        RExpr::Or(_) => Vec::new(),
    };
    let mut out: Vec<Driver> = Vec::new();
    for (position, r) in leaves {
        let Resolved::Field {
            column,
            negative: false,
            pred: Some(pred),
            empty: false,
        } = r
        else {
            continue;
        };
        if column.subtable.is_some()
            || column.table == Table::Long
            || matches!(pred, Pred::Like(_) | Pred::IndexedLike { .. })
        {
            continue;
        }
        // Bounds on one field are one index range only where a record has one value of it.
        let single = column.table == Table::Num || single_valued(ctx, column.field_id);
        match out
            .iter_mut()
            .find(|d| single && d.table == column.table && d.field_id == column.field_id)
        {
            Some(d) => {
                d.preds.push(pred.clone());
                d.members.push(position);
            }
            None => out.push(Driver {
                table: column.table,
                field_id: column.field_id,
                preds: vec![pred.clone()],
                members: vec![position],
            }),
        }
    }
    Ok(out)
}

/// The query without the driver's conditions: the candidates already satisfy them exactly (the
/// driver reads the same row-0 index rows the `EXISTS` probes would), so probing them again per
/// candidate is wasted work.
pub(super) fn residual(q: &Query, d: &Driver) -> Query {
    let mut out = q.clone();
    out.condition = match &q.condition {
        Some(Expr::And(items)) => {
            let mut rest: Vec<Expr> = items
                .iter()
                .enumerate()
                .filter(|(i, _)| !d.members.contains(i))
                .map(|(_, e)| e.clone())
                .collect();
            match rest.len() {
                0 => None,
                1 => rest.pop(),
                _ => Some(Expr::And(rest)),
            }
        }
        _ => None,
    };
    out
}

/// Whether the top-level field has at most one value per record (the sortable types).
fn single_valued(ctx: &QueryContext<'_>, field_id: FieldId) -> bool {
    ctx.definition
        .field_ids
        .iter()
        .find(|(_, id)| **id == field_id)
        .and_then(|(code, _)| ctx.definition.field(code))
        .is_some_and(|f| f.subtable.is_none() && f.property.field_type.is_sortable())
}

/// `SELECT <select> FROM <index> d WHERE <app, field, row 0, value preds>`.
pub(super) fn driver_select(b: &mut SqlBuilder, app_id: i64, d: &Driver, select: &str) {
    b.push(&format!(
        "SELECT {select} FROM {} d WHERE d.app_id = ",
        d.table.name()
    ))
    .bind_int(app_id)
    .push(&format!(
        " AND d.field_id = {} AND d.row_id = 0",
        d.field_id
    ));
    for p in &d.preds {
        b.push(" AND ");
        Compiler::new(b).pred("d.value", p);
    }
}

/// A driver's candidates as the statements that use them read them.
pub(super) enum Candidates {
    /// SQLite: read from the value index inside the statement.
    Index,
    /// PostgreSQL: read first (fewer than `ESTIMATE_CAP`, the plans drive only then) and bound as
    /// one array. Its planner estimates an index range from the value column's statistics, which
    /// mix every field of every app (a 0.1% range of one field was estimated at 288,545 rows of
    /// 1M), and then joined the whole condition index by hash (a sequential scan, 1.3–2.8 s)
    /// instead of probing the 1,237 candidates; an array's length is known exactly.
    Ids(Vec<i64>),
}

impl Candidates {
    pub(super) fn read(conn: &mut DbConn, app_id: i64, d: &Driver) -> EngineResult<Candidates> {
        if conn.dialect() != Dialect::Postgres {
            return Ok(Candidates::Index);
        }
        let mut b = conn.sql();
        driver_select(&mut b, app_id, d, "DISTINCT d.record_id AS n");
        let rows: Vec<IntRow> = conn.load(&b)?;
        Ok(Candidates::Ids(rows.into_iter().map(|r| r.n).collect()))
    }

    /// `SELECT <app_id>, <id>` of the candidates, standing in for `records r`.
    pub(super) fn push_rows(&self, b: &mut SqlBuilder, app_id: i64, d: &Driver) {
        match self {
            Candidates::Index => {
                driver_select(b, app_id, d, "DISTINCT d.app_id, d.record_id AS id");
            }
            Candidates::Ids(ids) => {
                b.push("SELECT CAST(")
                    .bind_int(app_id)
                    .push(" AS BIGINT) AS app_id, c.id FROM unnest(CAST(");
                bind_id_array(b, ids);
                b.push(" AS BIGINT[])) AS c(id)");
            }
        }
    }

    /// `SELECT <id>` of the candidates, for an `IN`.
    pub(super) fn push_ids(&self, b: &mut SqlBuilder, app_id: i64, d: &Driver) {
        match self {
            Candidates::Index => driver_select(b, app_id, d, "d.record_id"),
            Candidates::Ids(ids) => {
                b.push("SELECT unnest(CAST(");
                bind_id_array(b, ids);
                b.push(" AS BIGINT[]))");
            }
        }
    }
}

/// The ids as one PostgreSQL array literal parameter.
fn bind_id_array(b: &mut SqlBuilder, ids: &[i64]) {
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    b.bind_text(&format!("{{{list}}}"));
}

/// How many index entries match the driver, counting at most `ESTIMATE_CAP`.
fn estimate(conn: &mut DbConn, app_id: i64, d: &Driver) -> EngineResult<i64> {
    let mut b = conn.sql();
    b.push("SELECT COUNT(*) AS n FROM (");
    driver_select(&mut b, app_id, d, "d.record_id");
    b.push(" LIMIT ").bind_int(ESTIMATE_CAP).push(") x");
    let rows: Vec<IntRow> = conn.load(&b)?;
    Ok(rows.first().map(|r| r.n).unwrap_or(0))
}

/// The single column sort key of the query, if it has exactly one (besides the `$id` tie-breaker).
fn single_sort(
    q: &Query,
    ctx: &QueryContext<'_>,
) -> EngineResult<Option<(Table, FieldId, SortDirection)>> {
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
    if let (Some((est, d)), Some((table, field_id, dir))) = (&best, walk) {
        // A sift reads about need × n / est sort-index entries (more when the other conditions
        // reject candidates), each a tenth of a probe; driving probes est candidates.
        if need as f64 * n <= SIFT_ENTRIES_PER_PROBE * (*est as f64).powi(2) {
            let none_missing = crate::records::gaps::missing(conn, app_id, field_id)? == Some(0);
            // Ascending, unknown gaps: the candidates without a value would be probed first anyway.
            if dir == SortDirection::Desc || none_missing {
                let expected = need as f64 * n / (*est).max(1) as f64;
                return Ok(Plan::Sift {
                    driver: d.clone(),
                    walk: SortWalk {
                        table,
                        field_id,
                        dir,
                        none_missing,
                    },
                    first_step: (2.0 * expected).clamp(256.0, 65_536.0) as i64,
                    cap: ((SIFT_ENTRIES_PER_PROBE * *est as f64) as i64).max(SIFT_MIN_CAP),
                });
            }
        }
    }
    Ok(match (best, walk) {
        (Some((est, d)), Some(_)) if 2.0 * est as f64 <= walk_cost => Plan::Drive(d),
        (Some((_, d)), None) => Plan::Drive(d),
        (_, Some((table, field_id, dir))) => Plan::Walk {
            table,
            field_id,
            dir,
            none_missing: crate::records::gaps::missing(conn, app_id, field_id)? == Some(0),
        },
        (None, None) => Plan::Plain,
    })
}

/// The parts of a list, in output order: SQL with ORDER BY but without LIMIT/OFFSET.
#[allow(clippy::too_many_arguments)]
fn parts(
    dialect: Dialect,
    app_id: i64,
    columns: &str,
    q: &Query,
    ctx: &QueryContext<'_>,
    plan: &Plan,
    candidates: &Candidates,
) -> EngineResult<Vec<SqlBuilder>> {
    let mut b = SqlBuilder::new(dialect);
    match plan {
        Plan::Sift { driver, .. } => parts(
            dialect,
            app_id,
            columns,
            q,
            ctx,
            &Plan::Drive(driver.clone()),
            candidates,
        ),
        Plan::Plain => {
            b.push(&format!(
                "SELECT {columns} FROM records r WHERE r.app_id = "
            ))
            .bind_int(app_id);
            compile_condition(q, ctx, &mut b)?;
            compile_order(q, ctx, &mut b)?;
            Ok(vec![b])
        }
        Plan::Drive(d) => {
            // The candidates stand in for `records r`: conditions and sort keys only need r.app_id
            // and r.id, so the (wide) records rows are not read for candidates that fail.
            b.push(&format!("SELECT {columns} FROM ("));
            candidates.push_rows(&mut b, app_id, d);
            b.push(") r WHERE 1=1");
            compile_condition(&residual(q, d), ctx, &mut b)?;
            compile_order(q, ctx, &mut b)?;
            Ok(vec![b])
        }
        Plan::Walk {
            table,
            field_id,
            dir,
            none_missing,
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
            // The sort index stands in for `records r` (every record with a value has its row).
            b.push(&format!(
                "SELECT {columns} FROM (SELECT s.app_id, s.record_id AS id, s.value FROM {} s WHERE s.app_id = ",
                table.name()
            ))
            .bind_int(app_id)
            .push(&format!(
                " AND s.field_id = {field_id} AND s.row_id = 0 AND s.value IS NOT NULL) r WHERE 1=1"
            ));
            compile_condition(q, ctx, &mut b)?;
            b.push(&format!(
                " ORDER BY r.value{collate} {dir_sql}, r.id {dir_sql}"
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
                _ if *none_missing => vec![b],
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
    if let Plan::Sift {
        driver,
        walk,
        first_step,
        cap,
    } = plan
    {
        let need = limit.max(0).saturating_add(offset.max(0));
        let steps = (*first_step, *cap);
        return match sift::ordered_ids(conn, app_id, q, ctx, driver, walk, need, steps)? {
            Some(ids) => {
                let page: Vec<i64> = ids
                    .into_iter()
                    .skip(usize::try_from(offset.max(0)).unwrap_or(usize::MAX))
                    .collect();
                sift::rows_in_order(conn, app_id, columns, &page)
            }
            None => load(
                conn,
                app_id,
                columns,
                q,
                ctx,
                &Plan::Drive(driver.clone()),
                limit,
                offset,
            ),
        };
    }
    let candidates = match plan {
        Plan::Drive(d) => Candidates::read(conn, app_id, d)?,
        _ => Candidates::Index,
    };
    // A driver has few entries by construction: each probes the other conditions (`load_probing`).
    let probing = matches!(plan, Plan::Drive(_));
    let mut out: Vec<T> = Vec::new();
    let mut skip = offset.max(0);
    for part in parts(conn.dialect(), app_id, columns, q, ctx, plan, &candidates)? {
        let want = limit - i64::try_from(out.len()).unwrap_or(i64::MAX);
        if want <= 0 {
            break;
        }
        let mut b = part.clone();
        b.push(" LIMIT ")
            .bind_int(want)
            .push(" OFFSET ")
            .bind_int(skip);
        let rows: Vec<T> = if probing {
            conn.load_probing(&b)?
        } else {
            conn.load(&b)?
        };
        if rows.is_empty() && skip > 0 {
            // This part has at most `skip` rows: skip them all and the rest in the next part.
            let mut c = SqlBuilder::new(part.dialect);
            c.binds = part.binds.clone();
            c.push("SELECT COUNT(*) AS n FROM (")
                .push(&part.sql)
                .push(") x");
            let n: Vec<IntRow> = if probing {
                conn.load_probing(&c)?
            } else {
                conn.load(&c)?
            };
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
    let rows: Vec<IntRow> = match plan {
        Plan::Drive(d) | Plan::Sift { driver: d, .. } => {
            // The index read in the statement: with the ids as an array PostgreSQL hashed the
            // other conditions' index rows (its estimate of them is as far off) and a count of
            // 10,000 candidates took 1.6 s instead of ~0.1 s.
            let candidates = Candidates::Index;
            b.push("SELECT COUNT(*) AS n FROM (");
            candidates.push_rows(&mut b, app_id, d);
            b.push(") r WHERE 1=1");
            compile_condition(&residual(q, d), ctx, &mut b)?;
            // A driver has few entries by construction: each probes the other conditions.
            conn.load_probing(&b)?
        }
        _ => {
            b.push("SELECT COUNT(*) AS n FROM records r WHERE r.app_id = ")
                .bind_int(app_id);
            compile_condition(q, ctx, &mut b)?;
            conn.load(&b)?
        }
    };
    Ok(rows.first().map(|r| r.n).unwrap_or(0))
}

/// Largest record id for which `count_from_indexes` keeps bitmaps (16 MB each at this size; a
/// million records take 125 KB).
const BITMAP_MAX_ID: i64 = 128 * 1024 * 1024;

/// How many records match, from the value indexes alone, when the query's condition is an AND of
/// conditions that drivers answer exactly (the same row-0 index rows the `EXISTS` probes read, see
/// `residual`) and no record rule narrows the caller's view; `None` otherwise. One driver counts its
/// distinct ids in SQL; several read their ids (index-only scans) and intersect them as a bitmap,
/// which costs about the sum of the drivers' entries instead of a probe per record
/// (docs/benchmarks.md "Counting a filtered list"). For a plan that found no selective driver.
pub(crate) fn count_from_indexes(
    conn: &mut DbConn,
    app_id: i64,
    next_record_id: i64,
    q: &Query,
    ctx: &QueryContext<'_>,
) -> EngineResult<Option<i64>> {
    if next_record_id > BITMAP_MAX_ID
        || ctx
            .access
            .is_some_and(|a| !a.rights.view || a.has_record_rules())
    {
        return Ok(None);
    }
    let members = match &q.condition {
        Some(Expr::And(items)) => items.len(),
        Some(_) => 1,
        None => return Ok(None),
    };
    let drivers = drivers(q, ctx)?;
    let covered: std::collections::HashSet<usize> = drivers
        .iter()
        .flat_map(|d| d.members.iter().copied())
        .collect();
    if drivers.is_empty() || covered.len() != members {
        return Ok(None);
    }
    if let [d] = drivers.as_slice() {
        // A field with one value per record has one index row per record: its entries are the
        // records (no DISTINCT, which PostgreSQL hashed over 500,000 ids in ~300 ms at 1M).
        let select = if d.table == Table::Num || single_valued(ctx, d.field_id) {
            "d.record_id"
        } else {
            "DISTINCT d.record_id"
        };
        let mut b = conn.sql();
        b.push("SELECT COUNT(*) AS n FROM (");
        driver_select(&mut b, app_id, d, select);
        b.push(") x");
        let rows: Vec<IntRow> = conn.load(&b)?;
        return Ok(Some(rows.first().map(|r| r.n).unwrap_or(0)));
    }
    let mut matched: Option<Vec<u64>> = None;
    for d in &drivers {
        let mut b = conn.sql();
        driver_select(&mut b, app_id, d, "d.record_id AS n");
        let ids: Vec<IntRow> = conn.load(&b)?;
        let mut found = vec![0_u64; bitmap_words(next_record_id)];
        for id in ids.iter().map(|r| r.n) {
            if !(0..=next_record_id).contains(&id) {
                return Ok(None);
            }
            let (word, bit) = ((id / 64) as usize, id % 64);
            let keep = matched
                .as_ref()
                .is_none_or(|m| m[word] & (1_u64 << bit) != 0);
            if keep {
                found[word] |= 1_u64 << bit;
            }
        }
        matched = Some(found);
    }
    let n: u64 = matched
        .iter()
        .flatten()
        .map(|w| u64::from(w.count_ones()))
        .sum();
    Ok(i64::try_from(n).ok())
}

fn bitmap_words(max_id: i64) -> usize {
    usize::try_from(max_id / 64 + 1).unwrap_or(0)
}

/// Every plan that applies to the query (for tests comparing them): the walk also without looking
/// for records lacking a value when `records::gaps` says there are none.
#[cfg(test)]
pub(crate) fn all_plans(
    conn: &mut DbConn,
    app_id: i64,
    q: &Query,
    ctx: &QueryContext<'_>,
) -> EngineResult<Vec<Plan>> {
    let mut plans = vec![Plan::Plain];
    let drivers = drivers(q, ctx)?;
    plans.extend(drivers.iter().cloned().map(Plan::Drive));
    if let Some((table, field_id, dir)) = single_sort(q, ctx)? {
        let none_missing = crate::records::gaps::missing(conn, app_id, field_id)? == Some(0);
        for none_missing in [false, none_missing] {
            let walk = Plan::Walk {
                table,
                field_id,
                dir,
                none_missing,
            };
            if !plans.contains(&walk) {
                plans.push(walk);
            }
            // Small steps (several per walk) and a walk given up at once (it drives).
            for d in &drivers {
                for (first_step, cap) in [(16, SIFT_MIN_CAP), (16, 0)] {
                    let sift = Plan::Sift {
                        driver: d.clone(),
                        walk: SortWalk {
                            table,
                            field_id,
                            dir,
                            none_missing,
                        },
                        first_step,
                        cap,
                    };
                    if !plans.contains(&sift) {
                        plans.push(sift);
                    }
                }
            }
        }
    }
    Ok(plans)
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
