//! The sifted walk: walk the sort field's value index in sort order, as `Plan::Walk` does, but keep
//! only the entries whose record is among a driver's candidates (its ids held in memory), and check
//! the rest of the condition for those alone.
//!
//! Why: a range matching 1% and a second condition matching 40% (`Number_a >= X and Number_a < X+100
//! and Dropdown in ("B","C") order by Date_a desc`) left two plans, both a probe per record: drive
//! (probe ~10,000 candidates, then sort) or walk (probe ~25,000 sort-index entries). Reading an index
//! entry costs a tenth of a probe; with the driver's ids in a set, the walk reads ~25,000 entries and
//! probes only the ~250 that are candidates (docs/benchmarks.md, "List queries: ascending walks and
//! range+in").
//!
//! Exact: the entries walked are those `Plan::Walk` walks, in the same order; an entry is kept only if
//! its record is a driver candidate and the query without the driver's members holds for it (the
//! candidates satisfy those exactly, see `plan::residual`); records without a value come before
//! (`asc`) or after (`desc`), by `$id`, from the candidates alone. The walk stops after `cap` entries
//! and then answers `None`: the caller drives instead, so a sift never costs more than about twice
//! the drive it replaces.

use std::collections::HashSet;

use super::ast::SortDirection;
use super::compile_condition;
use super::plan::{driver_select, residual, Driver};
use super::resolve::Table;
use super::{Query, QueryContext};
use crate::apps::FieldId;
use crate::db::{DbConn, Dialect, IntRow, SqlBuilder};
use crate::error::EngineResult;

/// Ids per statement when checking the condition or reading rows by id.
const IDS_PER_STATEMENT: usize = 500;

/// The sort field being walked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SortWalk {
    pub table: Table,
    pub field_id: FieldId,
    pub dir: SortDirection,
    /// No record lacks a value (`records::gaps`): none are looked for.
    pub none_missing: bool,
}

impl SortWalk {
    fn dir_sql(&self) -> &'static str {
        match self.dir {
            SortDirection::Asc => "ASC",
            SortDirection::Desc => "DESC",
        }
    }
}

/// The first `need` matching record ids in the query's order, or `None` when the walk would read
/// more than `cap` index entries. `steps` = (entries read by the first step, `cap`); each further
/// step reads twice the last.
#[allow(clippy::too_many_arguments)]
pub(crate) fn ordered_ids(
    conn: &mut DbConn,
    app_id: i64,
    q: &Query,
    ctx: &QueryContext<'_>,
    driver: &Driver,
    walk: &SortWalk,
    need: i64,
    steps: (i64, i64),
) -> EngineResult<Option<Vec<i64>>> {
    let (first_step, cap) = steps;
    let need_len = usize::try_from(need.max(0)).unwrap_or(usize::MAX);
    let mut out: Vec<i64> = Vec::new();
    if need_len == 0 {
        return Ok(Some(out));
    }
    let rest = residual(q, driver);
    let mut b = conn.sql();
    driver_select(&mut b, app_id, driver, "d.record_id AS n");
    let rows: Vec<IntRow> = conn.load(&b)?;
    let candidates: HashSet<i64> = rows.into_iter().map(|r| r.n).collect();
    if walk.dir == SortDirection::Asc && !walk.none_missing {
        out.extend(without_value(conn, app_id, &rest, ctx, driver, walk, need)?);
    }
    let mut offset = 0_i64;
    let mut step = first_step.max(1);
    while out.len() < need_len {
        if offset >= cap {
            return Ok(None);
        }
        let entries = walk_step(conn, app_id, walk, step, offset)?;
        let exhausted = (entries.len() as i64) < step;
        offset += entries.len() as i64;
        let hits: Vec<i64> = entries
            .into_iter()
            .filter(|id| candidates.contains(id))
            .collect();
        let matching = matching(conn, app_id, &rest, ctx, &hits)?;
        out.extend(hits.into_iter().filter(|id| matching.contains(id)));
        if exhausted {
            if walk.dir == SortDirection::Desc && !walk.none_missing && out.len() < need_len {
                out.extend(without_value(conn, app_id, &rest, ctx, driver, walk, need)?);
            }
            break;
        }
        step = step.saturating_mul(2);
    }
    out.truncate(need_len);
    Ok(Some(out))
}

/// `step` record ids of the walk from `offset`, in sort order.
fn walk_step(
    conn: &mut DbConn,
    app_id: i64,
    walk: &SortWalk,
    step: i64,
    offset: i64,
) -> EngineResult<Vec<i64>> {
    let collate = if walk.table == Table::Text && conn.dialect() == Dialect::Postgres {
        // Byte order, as the compiled sort; `record_values_text_walk` is in this order.
        " COLLATE \"C\""
    } else {
        ""
    };
    let dir = walk.dir_sql();
    let mut b = conn.sql();
    b.push(&format!(
        "SELECT s.record_id AS n FROM {} s WHERE s.app_id = ",
        walk.table.name()
    ))
    .bind_int(app_id)
    .push(&format!(
        " AND s.field_id = {} AND s.row_id = 0 AND s.value IS NOT NULL ORDER BY s.value{collate} {dir}, s.record_id {dir} LIMIT ",
        walk.field_id
    ))
    .bind_int(step)
    .push(" OFFSET ")
    .bind_int(offset);
    let rows: Vec<IntRow> = conn.load(&b)?;
    Ok(rows.into_iter().map(|r| r.n).collect())
}

/// Which of `ids` satisfy `rest` (the query without the driver's members).
fn matching(
    conn: &mut DbConn,
    app_id: i64,
    rest: &Query,
    ctx: &QueryContext<'_>,
    ids: &[i64],
) -> EngineResult<HashSet<i64>> {
    let mut out = HashSet::new();
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let mut b = conn.sql();
        b.push("SELECT r.id AS n FROM records r WHERE r.app_id = ")
            .bind_int(app_id);
        push_ids(&mut b, chunk);
        compile_condition(rest, ctx, &mut b)?;
        let rows: Vec<IntRow> = conn.load(&b)?;
        out.extend(rows.into_iter().map(|r| r.n));
    }
    Ok(out)
}

/// Candidates without a value of the sort field that satisfy `rest`, by `$id` in the walk's
/// direction, at most `need`.
fn without_value(
    conn: &mut DbConn,
    app_id: i64,
    rest: &Query,
    ctx: &QueryContext<'_>,
    driver: &Driver,
    walk: &SortWalk,
    need: i64,
) -> EngineResult<Vec<i64>> {
    let mut b = conn.sql();
    b.push("SELECT r.id AS n FROM (");
    driver_select(
        &mut b,
        app_id,
        driver,
        "DISTINCT d.app_id, d.record_id AS id",
    );
    b.push(&format!(
        ") r WHERE NOT EXISTS (SELECT 1 FROM {} v WHERE v.app_id = r.app_id AND v.field_id = {} AND v.record_id = r.id AND v.row_id = 0 AND v.value IS NOT NULL)",
        walk.table.name(),
        walk.field_id
    ));
    compile_condition(rest, ctx, &mut b)?;
    b.push(&format!(" ORDER BY r.id {} LIMIT ", walk.dir_sql()))
        .bind_int(need);
    let rows: Vec<IntRow> = conn.load(&b)?;
    Ok(rows.into_iter().map(|r| r.n).collect())
}

/// ` AND r.id IN (<ids>)`.
fn push_ids(b: &mut SqlBuilder, ids: &[i64]) {
    b.push(" AND r.id IN (");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            b.push(", ");
        }
        b.bind_int(*id);
    }
    b.push(")");
}

/// `columns` of the records `ids`, in the order of `ids`.
pub(crate) fn rows_in_order<T>(
    conn: &mut DbConn,
    app_id: i64,
    columns: &str,
    ids: &[i64],
) -> EngineResult<Vec<T>>
where
    T: diesel::QueryableByName<diesel::sqlite::Sqlite>
        + diesel::QueryableByName<diesel::pg::Pg>
        + 'static,
{
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let mut b = conn.sql();
        b.push(&format!(
            "SELECT {columns} FROM records r WHERE r.app_id = "
        ))
        .bind_int(app_id);
        push_ids(&mut b, chunk);
        b.push(" ORDER BY CASE r.id");
        for (i, id) in chunk.iter().enumerate() {
            b.push(" WHEN ").bind_int(*id).push(" THEN ");
            b.bind_int(i as i64);
        }
        b.push(" END");
        let rows: Vec<T> = conn.load(&b)?;
        out.extend(rows);
    }
    Ok(out)
}
