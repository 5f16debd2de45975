//! Lists and counts driven from a `like` that the full-text index answers (issue 18).
//!
//! Without this, `Memo like "業務改善"` on a large app walks the records (newest first, or along the
//! sort field's index) and tests the LIKE on each, and its count tests every record of the app. The
//! index already knows the few records whose text may hold the pattern ([`TextMatcher`]), so:
//!
//! - the index is asked once per call, for the app's records only ([`AppMatcher`]);
//! - a list sorted by `$id` walks those candidates in that order, a batch at a time, and stops once
//!   the page is full; a list with another sort key sorts the candidates when there are few of them,
//!   else it leaves the walk along the sort index to `plan` (whose `like` test then checks
//!   membership in the candidates before running the LIKE);
//! - a count counts the candidates that pass the query's whole condition.
//!
//! Guarantees: the same rows, order and count as the compiled query. The candidates are the
//! index's hits (a superset of the records whose text contains the pattern) plus every record the
//! change log names after the index's position (which the index may not have yet), so no match is
//! missed; and the whole condition, with the exact, folded `LIKE` of every `like` and the caller's
//! record-view filter, is applied to each candidate, so no candidate that does not match is
//! returned or counted. When the index cannot answer (Latin pattern, rebuilding, too many hits,
//! an app-wide change after its position) nothing here applies and the compiled query runs.

use std::sync::Mutex;

use super::ast::SortDirection;
use super::resolve::{self, Pred, RExpr, Resolved, SortTarget};
use super::{compile_condition, compile_order, LikeCandidates, Query, QueryContext, TextMatcher};
use crate::db::{DbConn, Dialect, IntRow, SqlBuilder};
use crate::error::EngineResult;

/// Beyond this many records changed after the index's position (the index is catching up with a
/// bulk load, say), the index is not used: the compiled query runs as it would without it.
const MAX_CHANGED: i64 = 20_000;
/// Ids per statement when walking the candidates in `$id` order, at most.
const MAX_BATCH: usize = 20_000;

/// Appends `<column> IN <ids>` with the ids bound as ONE parameter (a JSON array read by
/// `json_each` on SQLite, a `BIGINT[]` compared with `= ANY` on PostgreSQL, which its planner turns
/// into index lookups), so any number of ids fits in a statement and the statement's text does not
/// depend on how many there are.
pub(crate) fn push_id_in(b: &mut SqlBuilder, column: &str, ids: &[i64]) {
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    match b.dialect {
        Dialect::Sqlite => {
            b.push(&format!("{column} IN (SELECT value FROM json_each("))
                .bind_text(&format!("[{list}]"))
                .push("))");
        }
        Dialect::Postgres => {
            b.push(&format!("{column} = ANY(CAST("))
                .bind_text(&format!("{{{list}}}"))
                .push(" AS BIGINT[]))");
        }
    }
}

type Asked = (String, String, bool);

/// The caller's matcher, scoped to one app and asked at most once per (field, pattern): a list
/// resolves its condition several times (to plan, to load, to count the skipped rows), and each
/// time would otherwise run the full-text query again.
pub(crate) struct AppMatcher<'a> {
    inner: &'a dyn TextMatcher,
    app_id: i64,
    answers: Mutex<Vec<(Asked, Option<LikeCandidates>)>>,
}

impl std::fmt::Debug for AppMatcher<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppMatcher")
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

impl<'a> AppMatcher<'a> {
    /// `None` when the context has no matcher.
    pub(crate) fn of(ctx: &QueryContext<'a>, app_id: i64) -> Option<AppMatcher<'a>> {
        ctx.text_matcher.map(|inner| AppMatcher {
            inner,
            app_id,
            answers: Mutex::new(Vec::new()),
        })
    }
}

impl TextMatcher for AppMatcher<'_> {
    fn like_candidates(&self, field: &str, text: &str, file_field: bool) -> Option<LikeCandidates> {
        let asked: Asked = (field.to_owned(), text.to_owned(), file_field);
        if let Ok(answers) = self.answers.lock() {
            if let Some((_, found)) = answers.iter().find(|(a, _)| *a == asked) {
                return found.clone();
            }
        }
        let found = self
            .inner
            .like_candidates_in_app(self.app_id, field, text, file_field);
        if let Ok(mut answers) = self.answers.lock() {
            answers.push((asked, found.clone()));
        }
        found
    }
}

/// `ctx` with `matcher` in place of its own (or `ctx` itself without one).
pub(crate) fn scoped<'a>(
    ctx: &QueryContext<'a>,
    matcher: Option<&'a AppMatcher<'a>>,
) -> QueryContext<'a> {
    match matcher {
        Some(m) => QueryContext {
            text_matcher: Some(m as &dyn TextMatcher),
            ..*ctx
        },
        None => *ctx,
    }
}

/// The records that may match: the hits of the most selective top-level `like` the index
/// answered, plus the records changed after its position; sorted ascending, distinct. `None` when
/// no such `like` is AND-ed at the top of the condition or the change log says the app itself
/// changed after the position.
fn candidates(
    conn: &mut DbConn,
    app_id: i64,
    q: &Query,
    ctx: &QueryContext<'_>,
) -> EngineResult<Option<Vec<i64>>> {
    let Some(e) = &q.condition else {
        return Ok(None);
    };
    let resolved = resolve::resolve_expr(e, ctx)?;
    let leaves: Vec<&Resolved> = match &resolved {
        RExpr::Leaf(r) => vec![r],
        RExpr::And(items) => items
            .iter()
            .filter_map(|item| match item {
                RExpr::Leaf(r) => Some(r),
                _ => None,
            })
            .collect(),
        RExpr::Or(_) => Vec::new(),
    };
    let best = leaves
        .into_iter()
        .filter_map(|r| match r {
            Resolved::Field {
                column,
                negative: false,
                pred:
                    Some(Pred::IndexedLike {
                        position,
                        ids,
                        file_content: false,
                        ..
                    }),
                empty: false,
            } if column.subtable.is_none() => Some((*position, ids)),
            _ => None,
        })
        .min_by_key(|(_, ids)| ids.len());
    let Some((position, hits)) = best else {
        return Ok(None);
    };
    let mut b = conn.sql();
    b.push("SELECT DISTINCT record_id AS n FROM change_log WHERE app_id = ")
        .bind_int(app_id)
        .push(" AND seq > ")
        .bind_int(position)
        .push(" LIMIT ")
        .bind_int(MAX_CHANGED + 1);
    let changed: Vec<IntRow> = conn.load(&b)?;
    if changed.len() as i64 > MAX_CHANGED || changed.iter().any(|r| r.n == 0) {
        return Ok(None);
    }
    let mut ids = hits.clone();
    if !changed.is_empty() {
        ids.extend(changed.iter().map(|r| r.n));
        ids.sort_unstable();
        ids.dedup();
    }
    Ok(Some(ids))
}

/// The direction of the query's order when it sorts by `$id` alone (the default is descending).
fn id_order(q: &Query, ctx: &QueryContext<'_>) -> EngineResult<Option<SortDirection>> {
    match q.order_by.first() {
        None => Ok(Some(SortDirection::Desc)),
        Some(k) => Ok(match resolve::resolve_sort(k, ctx)? {
            (SortTarget::Id, dir) => Some(dir),
            _ => None,
        }),
    }
}

/// `SELECT r.id AS n FROM records r WHERE <app> AND r.id IN (<ids>) AND <condition> ORDER BY ...`.
/// `plain`: the context without the index, whose candidates `ids` already stand for.
fn select_among(
    conn: &DbConn,
    app_id: i64,
    ids: &[i64],
    q: &Query,
    plain: &QueryContext<'_>,
) -> EngineResult<SqlBuilder> {
    let mut b = conn.sql();
    b.push("SELECT r.id AS n FROM records r WHERE r.app_id = ")
        .bind_int(app_id)
        .push(" AND ");
    push_id_in(&mut b, "r.id", ids);
    compile_condition(q, plain, &mut b)?;
    compile_order(q, plain, &mut b)?;
    Ok(b)
}

/// The ids of a page (`limit` rows after `offset`) of the query, driven from its `like`; `None`
/// when no `like` can drive it or when walking the sort field's index is cheaper (`approx_records`:
/// an upper bound of the app's record count).
pub(crate) fn list(
    conn: &mut DbConn,
    app_id: i64,
    approx_records: i64,
    q: &Query,
    ctx: &QueryContext<'_>,
    limit: i64,
    offset: i64,
) -> EngineResult<Option<Vec<i64>>> {
    let Some(ids) = candidates(conn, app_id, q, ctx)? else {
        return Ok(None);
    };
    let plain = QueryContext {
        text_matcher: None,
        ..*ctx
    };
    let need = usize::try_from(limit.saturating_add(offset)).unwrap_or(usize::MAX);
    let skip = usize::try_from(offset).unwrap_or(0);
    let take = usize::try_from(limit).unwrap_or(0);
    if let Some(dir) = id_order(q, ctx)? {
        // The candidates are nearly all matches: a batch a little larger than the page usually
        // fills it; each further batch is twice as large.
        let mut found: Vec<i64> = Vec::new();
        let mut batch = need.saturating_mul(2).clamp(64, MAX_BATCH);
        let mut rest: &[i64] = &ids;
        while found.len() < need && !rest.is_empty() {
            let n = batch.min(rest.len());
            let part = match dir {
                SortDirection::Desc => {
                    let (before, part) = rest.split_at(rest.len() - n);
                    rest = before;
                    part
                }
                SortDirection::Asc => {
                    let (part, after) = rest.split_at(n);
                    rest = after;
                    part
                }
            };
            let b = select_among(conn, app_id, part, q, &plain)?;
            let rows: Vec<IntRow> = conn.load(&b)?;
            found.extend(rows.iter().map(|r| r.n));
            batch = batch.saturating_mul(2).min(MAX_BATCH);
        }
        return Ok(Some(found.into_iter().skip(skip).take(take).collect()));
    }
    // Another sort key: sorting every candidate costs about a probe per candidate, walking the sort
    // index about need / selectivity steps (the estimate of `plan::choose`).
    let est = ids.len().max(1) as f64;
    let walk_cost = need as f64 * approx_records.max(1) as f64 / est;
    if 2.0 * est > walk_cost {
        return Ok(None);
    }
    let mut b = select_among(conn, app_id, &ids, q, &plain)?;
    b.push(" LIMIT ")
        .bind_int(limit)
        .push(" OFFSET ")
        .bind_int(offset);
    let rows: Vec<IntRow> = conn.load(&b)?;
    Ok(Some(rows.into_iter().map(|r| r.n).collect()))
}

/// How many records match the query, counted among its `like`'s candidates; `None` when no `like`
/// can drive it.
pub(crate) fn count(
    conn: &mut DbConn,
    app_id: i64,
    q: &Query,
    ctx: &QueryContext<'_>,
) -> EngineResult<Option<i64>> {
    let Some(ids) = candidates(conn, app_id, q, ctx)? else {
        return Ok(None);
    };
    let plain = QueryContext {
        text_matcher: None,
        ..*ctx
    };
    let mut b = conn.sql();
    b.push("SELECT COUNT(*) AS n FROM records r WHERE r.app_id = ")
        .bind_int(app_id)
        .push(" AND ");
    if b.dialect == Dialect::Postgres {
        // Counting visits every candidate: as a semi-join each is one index lookup. PostgreSQL
        // 15 tested `= ANY(<30,000 ids>)` by a linear search per row it planned (a scan of the
        // long-text rows): 24–35 s at 1M records, 0.5–0.8 s this way (docs/benchmarks.md,
        // "PostgreSQL list queries at 1M"). Lists keep `= ANY`, which walks `r.id` in order.
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        b.push("r.id IN (SELECT unnest(CAST(")
            .bind_text(&format!("{{{list}}}"))
            .push(" AS BIGINT[])))");
    } else {
        push_id_in(&mut b, "r.id", &ids);
    }
    compile_condition(q, &plain, &mut b)?;
    let rows: Vec<IntRow> = conn.load(&b)?;
    Ok(Some(rows.first().map(|r| r.n).unwrap_or(0)))
}
