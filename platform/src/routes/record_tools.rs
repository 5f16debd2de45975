//! Bulk edit and bulk delete of the records a query selects (the list page's 一括更新 / 一括削除):
//! `GET /api/records/bulk_check.json {app, query, kind, record?}` tells how many records would change
//! and which of them (or which fields) the caller may not change; `POST
//! /api/records/bulk_update.json {app, query, record, expectedCount?}` and `POST
//! /api/records/bulk_delete.json {app, query, expectedCount?}` change them all or none
//! (`records::bulk_update_by_query` / `bulk_delete_by_query`).

use kumiki_engine::acl::AppRight;
use kumiki_engine::records::{self, BulkKind, BULK_QUERY_CAP};
use serde_json::{json, Map, Value};

use super::call::Call;
use crate::error::ApiError;
use crate::params::Params;

fn expected_count(p: &Params) -> Result<Option<usize>, ApiError> {
    match p.opt_i64("expectedCount")? {
        None => Ok(None),
        Some(n) => usize::try_from(n)
            .map(Some)
            .map_err(|_| ApiError::invalid("expectedCount", "Enter 0 or a positive integer.")),
    }
}

fn new_values(p: &Params) -> Result<Map<String, Value>, ApiError> {
    p.opt_object("record")?
        .cloned()
        .ok_or_else(|| ApiError::invalid("record", "Required field."))
}

/// `GET /api/records/bulk_check.json`: `{count, overCap, cap, refusedRecords, refusedFields}`.
pub fn check(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let kind = match p.opt_str("kind")?.as_deref() {
        Some("update") => BulkKind::Update,
        Some("delete") => BulkKind::Delete,
        _ => return Err(ApiError::invalid("kind", "Enter update or delete.")),
    };
    let app = call.live_app(p.i64("app")?, AppRight::View)?;
    let query = p.opt_str("query")?.unwrap_or_default();
    let values = p.opt_object("record")?.cloned();
    let ctx = call.query_context(&app);
    let plan = records::plan_bulk(call.conn, &app, &ctx, &query, kind, values.as_ref())?;
    Ok(json!({
        "count": plan.ids.len(),
        "overCap": plan.over_cap,
        "cap": BULK_QUERY_CAP,
        "refusedRecords": plan.refused_records.iter().map(i64::to_string).collect::<Vec<_>>(),
        "refusedFields": plan.refused_fields,
    }))
}

/// `POST /api/records/bulk_update.json`: `{count}`.
pub fn bulk_update(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = call.live_app(p.i64("app")?, AppRight::Edit)?;
    let query = p.opt_str("query")?.unwrap_or_default();
    let values = new_values(p)?;
    let expected = expected_count(p)?;
    let actor = call.actor();
    let ctx = call.query_context(&app);
    let count =
        records::bulk_update_by_query(call.conn, &app, &ctx, &query, &values, expected, &actor)?;
    Ok(json!({ "count": count }))
}

/// `POST /api/records/bulk_delete.json`: `{count}`.
pub fn bulk_delete(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = call.live_app(p.i64("app")?, AppRight::Delete)?;
    let query = p.opt_str("query")?.unwrap_or_default();
    let expected = expected_count(p)?;
    let ctx = call.query_context(&app);
    let (count, removed) =
        records::bulk_delete_by_query(call.conn, &app, &ctx, &query, expected, call.acting)?;
    call.removed_files.extend(removed);
    Ok(json!({ "count": count }))
}
