//! The kintone query language (spec §3): `parse` turns text into a [`Query`] without looking at any
//! app; `check` (or `prepare`, which does both) validates it against an app's fields and the caller;
//! `compile_condition` / `compile_order` append SQL with bound parameters for SQLite or PostgreSQL.
//!
//! Guarantees:
//! - no input makes any of these panic or overflow the stack; every problem is a `UserError::Query`
//!   with the kintone code of spec §1.5 (`CB_VA01` for syntax, `GAIA_IQ11`, `GAIA_IQ03`, ...);
//! - user values reach the database only as bound parameters;
//! - date functions are evaluated in the caller's time zone at the caller's `now`;
//! - the compiled condition probes the pivot tables (`record_values_num/text/long`) with correlated
//!   `EXISTS` on their primary keys, so cost grows with the conditions, not with record size.
//!
//! `like` is a substring match that ignores case and width (ﾃﾚﾜｰｸ finds テレワーク, ｄｘ finds DX: both
//! sides go through [`fold::fold`], the folding of the search index), an approximation of
//! kintone's word search on a full-text index; FILE `like` searches file names, and with a
//! `TextMatcher` (the full-text index) also the text inside the files. The matcher only narrows the
//! records a text `like` probes; the result stays that of the SQL test.

mod ast;
mod compile;
mod dates;
pub mod fold;
mod lexer;
mod parser;
pub(crate) mod plan;
pub(crate) mod plan_like;
mod resolve;
mod sift;

#[cfg(test)]
mod testdb;
#[cfg(test)]
mod tests;

pub use ast::{Condition, Expr, FunctionCall, Op, Query, SortDirection, SortKey, Value};
pub use parser::{
    parse, MAX_CONDITIONS, MAX_DEPTH, MAX_IN_VALUES, MAX_LIKE_CHARS, MAX_LIMIT, MAX_OFFSET,
    MAX_QUERY_CHARS, MAX_SORT_KEYS,
};

use crate::apps::AppDefinition;
use crate::db::SqlBuilder;
use crate::error::UserError;

/// Who runs the query and against which app.
#[derive(Debug, Clone, Copy)]
pub struct QueryContext<'a> {
    pub definition: &'a AppDefinition,
    /// The code `LOGINUSER()` stands for.
    pub login_user: &'a str,
    /// What `PRIMARY_ORGANIZATION()` stands for; `None` makes kintone ignore the function.
    pub primary_organization: Option<&'a str>,
    /// The caller's time zone, in which `TODAY()`, `THIS_MONTH()`, date literals on DATETIME fields...
    /// are evaluated.
    pub timezone: chrono_tz::Tz,
    pub now: chrono::DateTime<chrono::Utc>,
    /// The caller's permissions: hidden records are filtered out of every list and count, and fields
    /// the caller may not view are unknown to the query (`GAIA_IQ11`). `None`: unrestricted.
    pub access: Option<&'a crate::acl::Access>,
    /// The full-text index, when there is one: narrows `like` on text and FILE fields (see
    /// [`TextMatcher`]). `None`: `like` probes every candidate record.
    pub text_matcher: Option<&'a dyn TextMatcher>,
}

impl<'a> QueryContext<'a> {
    /// The same context without the caller's rights (conditions that decide rights themselves).
    pub fn without_access(&self) -> QueryContext<'a> {
        Self {
            access: None,
            ..*self
        }
    }
}

/// What a full-text index tells the `like` compiler: records whose field may contain a pattern.
/// Implemented by `kumiki-search` (the engine does not depend on it).
pub trait TextMatcher: Send + Sync + std::fmt::Debug {
    /// For `field like text`: `None` when the index cannot answer (the SQL probe then runs alone).
    /// Otherwise the index position and the ids of records (of any app) whose part of `field`
    /// contains `text` per the index. Records changed after the position are not covered: the
    /// compiler adds those from the change log. `file_content`: the field is a FILE field and the
    /// ids are content matches (OR-ed with the file-name probe, not a narrowing of it).
    fn like_candidates(&self, field: &str, text: &str, file_field: bool) -> Option<LikeCandidates>;

    /// As [`like_candidates`](Self::like_candidates), only the records of app `app_id` (the
    /// default answers for every app, a superset). The ids are sorted and distinct, and there is no
    /// small cap on their number: the planner drives lists and counts from them (`plan_like`).
    fn like_candidates_in_app(
        &self,
        app_id: i64,
        field: &str,
        text: &str,
        file_field: bool,
    ) -> Option<LikeCandidates> {
        let _ = app_id;
        self.like_candidates(field, text, file_field)
    }
}

/// See [`TextMatcher::like_candidates`].
#[derive(Debug, Clone, PartialEq)]
pub struct LikeCandidates {
    /// Every change-log row up to here is in the index.
    pub position: i64,
    pub record_ids: Vec<i64>,
}

/// Default `limit` when the query has none.
pub const DEFAULT_LIMIT: i64 = 100;

/// `limit` / `offset` of a query, with kintone's defaults filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// Default 100.
    pub limit: i64,
    /// Default 0.
    pub offset: i64,
    pub limit_given: bool,
    pub offset_given: bool,
}

/// Parses and checks a query.
///
/// Errors: everything `parse` and `check` report.
pub fn prepare(query: &str, ctx: &QueryContext<'_>) -> Result<Query, UserError> {
    let q = parse(query)?;
    check(&q, ctx)?;
    Ok(q)
}

/// Checks a parsed query against the app and the caller.
///
/// Errors: `UnknownField` (`GAIA_IQ11`, also STATUS while process management is off),
/// `OperatorNotAllowed` (`GAIA_IQ03`), `SubtableEquality` (`GAIA_IQ07`), `OptionNotDefined`
/// (`GAIA_IQ10`), `FunctionArgument`, `SortNotAllowed`, and `Syntax` for values of the wrong shape
/// (`Number > "abc"`, a malformed date).
pub fn check(q: &Query, ctx: &QueryContext<'_>) -> Result<(), UserError> {
    if let Some(e) = &q.condition {
        // The index's candidates do not decide whether a query is valid: no full-text query here.
        let ctx = QueryContext {
            text_matcher: None,
            ..*ctx
        };
        resolve::resolve_expr(e, &ctx)?;
    }
    for key in &q.order_by {
        resolve::resolve_sort(key, ctx)?;
    }
    Ok(())
}

/// Appends ` AND (<condition>)` to `b`, or nothing when the query has no condition, and then the
/// caller's record-view filter when `ctx.access` hides records. The caller has written
/// `SELECT ... FROM records r WHERE r.app_id = <bind>`; the condition refers to `r`.
///
/// Errors: as `check`; on error nothing has been appended.
pub fn compile_condition(
    q: &Query,
    ctx: &QueryContext<'_>,
    b: &mut SqlBuilder,
) -> Result<(), UserError> {
    if let Some(e) = &q.condition {
        let resolved = resolve::resolve_expr(e, ctx)?;
        b.push(" AND (");
        compile::Compiler::new(b).expr(&resolved);
        b.push(")");
    }
    if let Some(access) = ctx.access {
        crate::acl::sql::push_view_filter(access, ctx, b);
    }
    Ok(())
}

/// Appends the condition alone, in parentheses (`1=1` without one), for permission rules.
///
/// Errors: as `check`; on error nothing has been appended.
pub(crate) fn compile_bare_condition(
    q: &Query,
    ctx: &QueryContext<'_>,
    b: &mut SqlBuilder,
) -> Result<(), UserError> {
    match &q.condition {
        None => {
            b.push("1=1");
        }
        Some(e) => {
            let resolved = resolve::resolve_expr(e, ctx)?;
            b.push("(");
            compile::Compiler::new(b).expr(&resolved);
            b.push(")");
        }
    }
    Ok(())
}

/// Appends ` ORDER BY ...`: the query's keys (default `$id` descending), always ending with `r.id` so
/// that paging is stable.
///
/// Errors: `UnknownField`, `SortNotAllowed`; on error nothing has been appended.
pub fn compile_order(
    q: &Query,
    ctx: &QueryContext<'_>,
    b: &mut SqlBuilder,
) -> Result<(), UserError> {
    let keys = q
        .order_by
        .iter()
        .map(|k| resolve::resolve_sort(k, ctx))
        .collect::<Result<Vec<_>, _>>()?;
    b.push(" ORDER BY ");
    let mut c = compile::Compiler::new(b);
    let mut tie_breaker = Some(SortDirection::Desc);
    for (i, (target, dir)) in keys.iter().enumerate() {
        if i > 0 {
            c.push(", ");
        }
        c.sort_key(target, *dir);
        // Once r.id is a key, later keys can never break a tie and no tie-breaker is needed.
        tie_breaker = if *target == resolve::SortTarget::Id {
            None
        } else {
            Some(*dir)
        };
        if tie_breaker.is_none() {
            break;
        }
    }
    if let Some(dir) = tie_breaker {
        if !keys.is_empty() {
            c.push(", ");
        }
        c.sort_key(&resolve::SortTarget::Id, dir);
    }
    Ok(())
}

/// `limit`/`offset` with defaults.
pub fn paging(q: &Query) -> Paging {
    Paging {
        limit: q.limit.unwrap_or(DEFAULT_LIMIT),
        offset: q.offset.unwrap_or(0),
        limit_given: q.limit.is_some(),
        offset_given: q.offset.is_some(),
    }
}
