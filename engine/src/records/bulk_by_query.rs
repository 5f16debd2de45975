//! Bulk update and bulk delete of the records a query selects — kintone's 一括更新 / 一括削除 of a
//! filtered list. Every record the query matches *for the caller* (records they may not view are not
//! matched) is changed, or none is:
//! - a record the caller sees but may not edit (update) or delete (delete), and a new value for a
//!   field the caller may not edit on some matching record, refuse the whole call with a message
//!   naming them — nothing is silently skipped;
//! - more than [`BULK_QUERY_CAP`] matching records refuse the call;
//! - the writes go through [`update_records`] / [`delete_records`] in the caller's transaction, so
//!   validation, history, the change log (search index), scripts and file clean-up behave as for
//!   single writes, and any failure rolls everything back.

use serde_json::{json, Map, Value};

use super::write::{delete_records, lock_app_for_write, update_records, Actor, RecordTarget};
use super::RecordUpdate;
use crate::apps::LiveApp;
use crate::audit;
use crate::db::{DbConn, IntRow};
use crate::error::{EngineResult, UserError};
use crate::query::{self, plan, QueryContext};

/// The most records one bulk call may change.
pub const BULK_QUERY_CAP: usize = 10_000;

/// How many refused record ids an error message names before "…".
const NAMED_IDS: usize = 20;

/// Which bulk operation a plan is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkKind {
    Update,
    Delete,
}

/// What a bulk call would touch, computed without writing (the list page shows it before asking
/// for confirmation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkPlan {
    /// The matching records in the query's order (at most the cap).
    pub ids: Vec<i64>,
    /// More records match than [`BULK_QUERY_CAP`].
    pub over_cap: bool,
    /// Matching records the caller may not edit (update) or delete (delete).
    pub refused_records: Vec<i64>,
    /// Fields among the new values that the caller may not edit on at least one matching record.
    pub refused_fields: Vec<String>,
}

/// Finds the records `query_text` matches for the caller and checks their rights for `kind`.
/// `values` are the new values of an update (their fields are checked against field permissions).
///
/// Errors: a bad query (as `records.json` answers), or a query with `limit`/`offset` (a bulk call
/// applies to every matching record).
pub fn plan_bulk(
    conn: &mut DbConn,
    app: &LiveApp,
    ctx: &QueryContext<'_>,
    query_text: &str,
    kind: BulkKind,
    values: Option<&Map<String, Value>>,
) -> EngineResult<BulkPlan> {
    let q = query::prepare(query_text, ctx)?;
    let paging = query::paging(&q);
    if paging.limit_given || paging.offset_given {
        return Err(UserError::invalid(
            "query",
            "Remove limit and offset from the query: a bulk operation applies to every matching record.",
        )
        .into());
    }
    let cap = BULK_QUERY_CAP as i64;
    let chosen = plan::choose(
        conn,
        app.row.id,
        app.row.next_record_id,
        &q,
        ctx,
        Some(cap + 1),
    )?;
    let rows: Vec<IntRow> =
        plan::load(conn, app.row.id, "r.id AS n", &q, ctx, &chosen, cap + 1, 0)?;
    let mut ids: Vec<i64> = rows.into_iter().map(|r| r.n).collect();
    let over_cap = ids.len() > BULK_QUERY_CAP;
    ids.truncate(BULK_QUERY_CAP);
    let mut refused_records = Vec::new();
    let mut refused_fields: Vec<String> = Vec::new();
    {
        let access = &app.access;
        let rights = crate::acl::sql::records_rights(conn, app, access, &ids)?;
        for id in &ids {
            let Some((r, is_creator)) = rights.get(id) else {
                continue;
            };
            let allowed = match kind {
                BulkKind::Update => r.edit,
                BulkKind::Delete => r.delete,
            };
            if !allowed {
                refused_records.push(*id);
            }
            if let (BulkKind::Update, Some(values), false) =
                (kind, values, access.fields.is_empty())
            {
                for code in values.keys() {
                    if app.definition.properties.contains_key(code)
                        && access.field_level(&app.definition, code, *is_creator)
                            < crate::acl::Accessibility::Write
                        && !refused_fields.contains(code)
                    {
                        refused_fields.push(code.clone());
                    }
                }
            }
        }
    }
    Ok(BulkPlan {
        ids,
        over_cap,
        refused_records,
        refused_fields,
    })
}

/// Refuses a plan that is over the cap, names records or fields the caller may not change, or no
/// longer matches the count the caller confirmed.
fn check_plan(plan: &BulkPlan, kind: BulkKind, expected: Option<usize>) -> EngineResult<()> {
    let verb = match kind {
        BulkKind::Update => "updated",
        BulkKind::Delete => "deleted",
    };
    if plan.over_cap {
        return Err(UserError::invalid(
            "query",
            format!(
                "More than {BULK_QUERY_CAP} records match the query. At most {BULK_QUERY_CAP} records can be {verb} at one time: narrow the conditions."
            ),
        )
        .into());
    }
    if let Some(n) = expected {
        if n != plan.ids.len() {
            return Err(UserError::invalid(
                "expectedCount",
                format!(
                    "The number of matching records changed ({n} before, {} now). Nothing was {verb}: check the list and try again.",
                    plan.ids.len()
                ),
            )
            .into());
        }
    }
    if !plan.refused_records.is_empty() {
        let mut named: Vec<String> = plan
            .refused_records
            .iter()
            .take(NAMED_IDS)
            .map(i64::to_string)
            .collect();
        if plan.refused_records.len() > NAMED_IDS {
            named.push("…".into());
        }
        let right = match kind {
            BulkKind::Update => "edit",
            BulkKind::Delete => "delete",
        };
        return Err(UserError::invalid(
            "records",
            format!(
                "You have no permission to {right} {} of the {} matching records (IDs: {}). Nothing was {verb}.",
                plan.refused_records.len(),
                plan.ids.len(),
                named.join(", ")
            ),
        )
        .into());
    }
    if !plan.refused_fields.is_empty() {
        return Err(UserError::invalid(
            "record",
            format!(
                "You have no permission to edit these fields on some of the matching records: {}. Nothing was updated.",
                plan.refused_fields.join(", ")
            ),
        )
        .into());
    }
    Ok(())
}

/// Sets `values` (`{code: {value}}`, as in `record.json`) on every record `query_text` matches for
/// the caller, in one transaction; returns how many records were updated. `expected`: the count the
/// user confirmed — a different count now refuses the call.
///
/// Errors: those of [`plan_bulk`]; over the cap, refused records or fields, a changed count
/// (`Validation`); and whatever a single update fails with (validation keyed `records[i].…` in the
/// query's order, unique values, scripts).
pub fn bulk_update_by_query(
    conn: &mut DbConn,
    app: &LiveApp,
    ctx: &QueryContext<'_>,
    query_text: &str,
    values: &Map<String, Value>,
    expected: Option<usize>,
    actor: &Actor,
) -> EngineResult<usize> {
    if values.is_empty() {
        return Err(UserError::invalid("record", "Choose at least one field to update.").into());
    }
    // The lock first: the matched set cannot change between the check and the writes.
    lock_app_for_write(conn, app)?;
    let plan = plan_bulk(conn, app, ctx, query_text, BulkKind::Update, Some(values))?;
    check_plan(&plan, BulkKind::Update, expected)?;
    let updates: Vec<RecordUpdate> = plan
        .ids
        .iter()
        .map(|id| RecordUpdate {
            target: RecordTarget::Id(*id),
            record: values.clone(),
            revision: None,
        })
        .collect();
    if updates.is_empty() {
        return Ok(0);
    }
    let out = update_records(conn, app, &updates, actor, true, false)?;
    Ok(out.len())
}

/// Deletes every record `query_text` matches for the caller, in one transaction, and writes one
/// audit row (`records.delete`, with the query and the count) for `acting`. Returns the count and
/// the storage paths of attachments to remove from disk after the commit.
///
/// Errors: those of [`plan_bulk`]; over the cap, refused records, a changed count (`Validation`).
pub fn bulk_delete_by_query(
    conn: &mut DbConn,
    app: &LiveApp,
    ctx: &QueryContext<'_>,
    query_text: &str,
    expected: Option<usize>,
    acting: &crate::acting::ActingContext,
) -> EngineResult<(usize, Vec<String>)> {
    lock_app_for_write(conn, app)?;
    let plan = plan_bulk(conn, app, ctx, query_text, BulkKind::Delete, None)?;
    check_plan(&plan, BulkKind::Delete, expected)?;
    if plan.ids.is_empty() {
        return Ok((0, Vec::new()));
    }
    let paths = delete_records(conn, app, &plan.ids, &[])?;
    // The ids themselves only while they fit the audit detail comfortably.
    let mut detail = json!({ "query": query_text, "count": plan.ids.len(), "bulk": true });
    if plan.ids.len() <= 1000 {
        detail["ids"] = json!(plan.ids);
    }
    let target = format!("app:{}", app.row.id);
    acting.audit(conn, audit::action::RECORDS_DELETE, &target, detail)?;
    Ok((plan.ids.len(), paths))
}
