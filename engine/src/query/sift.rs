//! The sifted walk: walk the sort field's value index in sort order, as `Plan::Walk` does, but keep
//! only the entries whose record is among a driver's candidates, and check the rest of the
//! condition for those alone — all in SQL, so only the page's ids come back.
//!
//! Why: a range matching 1% and a second condition matching 40% (`Number_a >= X and Number_a < X+100
//! and Dropdown in ("B","C") order by Date_a desc`) left two plans, both a probe per record: drive
//! (probe ~10,000 candidates, then sort) or walk (probe ~25,000 sort-index entries). Reading an index
//! entry costs a tenth of a probe; with the driver's ids as a hashed set (PostgreSQL's hashed
//! subplan, SQLite's `IN` list table), the walk reads ~25,000 entries and probes only the ~250 that
//! are candidates (docs/benchmarks.md, "List queries: ascending walks and range+in" and
//! "PostgreSQL list queries at 1M").
//!
//! Exact: the entries walked are those `Plan::Walk` walks, in the same order; an entry is kept only if
//! its record is a driver candidate and the query without the driver's members holds for it (the
//! candidates satisfy those exactly, see `plan::residual`). Only a full page is answered: records
//! without a value come after (`desc`) the valued ones, so a page filled by the walk is the page;
//! when the walk ends first, reads more than `cap` entries (PostgreSQL), or (`asc`) records may
//! lack a value, the answer is `None` and the caller drives. On PostgreSQL the cap keeps a sift
//! within about twice the drive it replaces; on SQLite there is no cap (SQLite sorts a capped
//! subquery's output again), so a page the walk cannot fill first reads the whole sort index,
//! index-only, as `Plan::Walk` may.

use super::ast::SortDirection;
use super::compile_condition;
use super::plan::{residual, Candidates, Driver};
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

/// The first `need` matching record ids in the query's order, or `None` when the walk ends before
/// the page is full or (PostgreSQL) reads `cap` index entries first (the caller then drives, which
/// also lists the records without a value). `steps` = (the plan's first step, unused now, `cap`).
///
/// The walk, the membership test and the rest of the condition run in SQL, and only the hits come
/// back: handing every walked entry to Rust (20,000–60,000 rows for a page at 1M records) cost more
/// than reading them (docs/benchmarks.md, "PostgreSQL list queries at 1M").
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
    // The first step's size no longer matters: each backend walks in one statement.
    let (_, cap) = steps;
    let need_len = usize::try_from(need.max(0)).unwrap_or(usize::MAX);
    if need_len == 0 {
        return Ok(Some(Vec::new()));
    }
    // Ascending, records without a value come first: only the drive lists them.
    if walk.dir == SortDirection::Asc && !walk.none_missing {
        return Ok(None);
    }
    let rest = residual(q, driver);
    let mut b = conn.sql();
    match conn.dialect() {
        // One statement: PostgreSQL carries the walk's order through the capped subquery and stops
        // reading it once the page is full; the candidates (an array, see `plan::Candidates`) are a
        // hashed subplan.
        Dialect::Postgres => {
            let candidates = Candidates::read(conn, app_id, driver)?;
            let from = (driver, &candidates);
            hits(
                &mut b,
                app_id,
                &rest,
                ctx,
                from,
                walk,
                &Bound::Cap(cap),
                need,
            )?;
        }
        // SQLite sorts the output of a subquery with a LIMIT again (reading all of it), so its
        // walk is not capped: the flattened statement walks until the page is full. Stepping
        // between keys to honour the cap read the entries twice and cost more (docs/benchmarks.md,
        // "PostgreSQL list queries at 1M"); the uncapped walk costs at most one index-only pass
        // over the sort index, as `Plan::Walk`.
        Dialect::Sqlite => {
            let from = (driver, &Candidates::Index);
            hits(&mut b, app_id, &rest, ctx, from, walk, &Bound::All, need)?;
        }
    }
    let mut out: Vec<i64> = conn.load::<IntRow>(&b)?.into_iter().map(|r| r.n).collect();
    if out.len() < need_len {
        return Ok(None);
    }
    out.truncate(need_len);
    Ok(Some(out))
}

/// Which part of the sort index the statement walks.
enum Bound {
    /// The first `cap` entries.
    Cap(i64),
    /// All of it.
    All,
}

/// The walk's entries within `bound` whose record is one of the driver's `candidates` and
/// satisfies `rest`, in the walk's order, at most `want`.
#[allow(clippy::too_many_arguments)]
fn hits(
    b: &mut SqlBuilder,
    app_id: i64,
    rest: &Query,
    ctx: &QueryContext<'_>,
    (driver, candidates): (&Driver, &Candidates),
    walk: &SortWalk,
    bound: &Bound,
    want: i64,
) -> EngineResult<()> {
    let collate = if walk.table == Table::Text && b.dialect == Dialect::Postgres {
        // Byte order, as the compiled sort: the column's own collation on PostgreSQL (migration
        // `2026-12-18-000010_text_values_in_byte_order`), so `record_values_text_by_value` serves it.
        " COLLATE \"C\""
    } else {
        ""
    };
    let dir = walk.dir_sql();
    b.push(&format!(
        "SELECT r.id AS n FROM (SELECT s.app_id, s.record_id AS id, s.value FROM {} s WHERE s.app_id = ",
        walk.table.name()
    ))
    .bind_int(app_id)
    .push(&format!(
        " AND s.field_id = {} AND s.row_id = 0 AND s.value IS NOT NULL",
        walk.field_id
    ));
    match bound {
        Bound::Cap(cap) => {
            b.push(&format!(
                " ORDER BY s.value{collate} {dir}, s.record_id {dir} LIMIT "
            ))
            .bind_int(*cap);
        }
        Bound::All => {}
    }
    // PostgreSQL: `IS TRUE` keeps the IN a (hashed) subplan tested per walked entry; as a bare IN
    // the planner may turn it into a join and sort. SQLite: `+` keeps the IN from driving the scan.
    b.push(match b.dialect {
        Dialect::Postgres => ") r WHERE (r.id IN (",
        Dialect::Sqlite => ") r WHERE (+r.id IN (",
    });
    candidates.push_ids(b, app_id, driver);
    b.push(match b.dialect {
        Dialect::Postgres => ")) IS TRUE",
        Dialect::Sqlite => "))",
    });
    compile_condition(rest, ctx, b)?;
    b.push(&format!(
        " ORDER BY r.value{collate} {dir}, r.id {dir} LIMIT "
    ))
    .bind_int(want);
    Ok(())
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
