//! Private views (`/api/app/views/private.json`, kintone's 個人用の一覧): list views that a signed-in
//! user keeps for an app they may view, seen only by them. The engine (`views::private`) checks and
//! stores them; this file only translates. API tokens have no user and are refused (`CB_NO02`).
//!
//! - `GET ?app` → `{views:[{id,name,index,type,fields,filterCond,sort}]}` (the caller's, in order);
//! - `PUT {app, view:{id?,name,type?,fields?,filterCond?,sort?}}` adds (no id) or changes one view →
//!   `{id}`; `PUT {app, views:[...]}` replaces all of the caller's views of the app (order kept, ids
//!   sent are kept) → `{views}`;
//! - `DELETE {app, id}` → `{}`.

use kumiki_engine::acl::{AppRight, Principal};
use kumiki_engine::apps::AppId;
use kumiki_engine::views::private;
use serde_json::{json, Value};

use super::call::Call;
use crate::error::ApiError;
use crate::params::Params;

/// The signed-in user's code; API tokens act for no one and keep no private views.
fn owner(call: &Call) -> Result<String, ApiError> {
    match &call.caller.principal {
        Principal::User { code, .. } => Ok(code.clone()),
        Principal::Tokens(_) | Principal::System | Principal::PublicForm { .. } => {
            Err(ApiError::no_privilege())
        }
    }
}

pub fn list(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let user = owner(call)?;
    let app = call.live_app(p.i64("app")?, AppRight::View)?;
    let views = private::list(call.conn, app.id(), &user)?;
    Ok(json!({ "views": views }))
}

pub fn save(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let user = owner(call)?;
    let app = call.live_app(p.i64("app")?, AppRight::View)?;
    let ctx = call.query_context(&app);
    if let Some(views) = p.opt_array("views")? {
        let saved = private::replace_all(call.conn, &ctx, app.id(), &user, views)?;
        return Ok(json!({ "views": saved }));
    }
    let view = p
        .get("view")
        .filter(|v| v.is_object())
        .ok_or_else(|| ApiError::invalid("view", "Required field."))?;
    let id = private::save(call.conn, &ctx, app.id(), &user, view)?;
    Ok(json!({ "id": id.to_string() }))
}

pub fn delete(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let user = owner(call)?;
    let app = p.i64("app")?;
    call.app_row(app, AppRight::View)?;
    let id = p.i64("id")?;
    private::delete(call.conn, AppId(app), &user, id)?;
    Ok(json!({}))
}
