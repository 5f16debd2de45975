//! Per-app webhooks (issue 13 part "webhooks"), in the conventions of the kintone API:
//! `/api/app/webhooks.json` (GET, PUT), `/api/app/webhook/secret.json` (POST shows, with
//! `regenerate: true` replaces it first; a POST because showing it writes an audit row),
//! `/api/app/webhook/deliveries.json` (the delivery log), `/api/app/webhook/test.json` (POST queues a
//! test delivery). All of them need the app-management right; the use cases live in
//! `kumiki_engine::webhooks`, which checks it and writes the audit rows.

use kumiki_engine::apps::AppId;
use kumiki_engine::webhooks::{self, WebhookInput};
use serde_json::{json, Value};

use super::call::Call;
use crate::error::ApiError;
use crate::params::Params;

pub fn list(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let hooks = webhooks::list(call.acting, call.conn, AppId(p.i64("app")?))?;
    Ok(json!({ "webhooks": hooks, "events": webhooks::EVENTS }))
}

pub fn save(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = AppId(p.i64("app")?);
    let list = p
        .opt_array("webhooks")?
        .ok_or_else(|| ApiError::invalid("webhooks", "Required field."))?;
    let mut inputs = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let input: WebhookInput = serde_json::from_value(item.clone()).map_err(|e| {
            ApiError::invalid(
                &format!("webhooks[{i}]"),
                &format!("Enter an object with id, name, url, enabled and events ({e})."),
            )
        })?;
        inputs.push(input);
    }
    let rule = call.state.webhooks.config().rule.clone();
    let saved = webhooks::save(call.acting, call.conn, app, &inputs, &rule)?;
    Ok(json!({ "webhooks": saved }))
}

pub fn secret(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let regenerate = p.opt_bool("regenerate")?.unwrap_or(false);
    let secret = webhooks::secret(
        call.acting,
        call.conn,
        AppId(p.i64("app")?),
        p.i64("id")?,
        regenerate,
    )?;
    Ok(json!({ "secret": secret }))
}

pub fn deliveries(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let log = webhooks::delivery_log(
        call.acting,
        call.conn,
        AppId(p.i64("app")?),
        p.opt_i64("id")?,
        p.opt_i64("limit")?.unwrap_or(100),
    )?;
    Ok(json!({ "deliveries": log }))
}

pub fn test(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let base = call.state.webhooks.config().base_url.clone();
    let id = webhooks::send_test(
        call.acting,
        call.conn,
        AppId(p.i64("app")?),
        p.i64("id")?,
        &base,
    )?;
    Ok(json!({ "delivery": id }))
}
