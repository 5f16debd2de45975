//! `records/cursor.json`: create, read page by page, delete.

use kumiki_engine::acl::AppRight;
use kumiki_engine::records::{
    create_cursor, cursor_app, delete_cursor, next_cursor_page, record_json,
};
use serde_json::{json, Value};

use super::call::Call;
use crate::error::ApiError;
use crate::params::Params;

pub fn create(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = call.live_app(p.i64("app")?, AppRight::View)?;
    let fields = p.opt_str_list("fields")?;
    let query_text = p.opt_str("query")?.unwrap_or_default();
    let size = p.opt_i64("size")?.unwrap_or(100);
    let owner = owner(call);
    let ctx = call.query_context(&app);
    let (id, total) = create_cursor(
        call.conn,
        &app,
        &owner,
        fields.as_deref(),
        &query_text,
        size,
        &ctx,
    )?;
    Ok(json!({"id": id, "totalCount": total.to_string()}))
}

fn owner(call: &Call) -> String {
    // Token callers share the Administrator's cursor allowance.
    call.caller.principal.acting_user().to_owned()
}

pub fn get(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let id = p
        .opt_str("id")?
        .ok_or_else(|| ApiError::invalid("id", "Required field."))?;
    let owner = owner(call);
    let app_id = cursor_app(call.conn, &id, &owner)?;
    let app = call.live_app(app_id, AppRight::View)?;
    let ctx = call.query_context(&app);
    let page = next_cursor_page(call.conn, &app, &id, &owner, &ctx)?;
    let records: Vec<Value> = page
        .records
        .iter()
        .map(|r| Value::Object(record_json(&app, r, page.fields.as_deref())))
        .collect();
    Ok(json!({"records": records, "next": page.next}))
}

pub fn delete(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let id = p
        .opt_str("id")?
        .ok_or_else(|| ApiError::invalid("id", "Required field."))?;
    let owner = owner(call);
    delete_cursor(call.conn, &id, &owner)?;
    Ok(json!({}))
}
