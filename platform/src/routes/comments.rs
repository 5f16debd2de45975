//! `record/comment.json` and `record/comments.json`.

use kumiki_engine::acl::AppRight;
use kumiki_engine::records::{add_comment, delete_comment, list_comments};
use serde_json::{json, Value};

use super::call::Call;
use crate::error::ApiError;
use crate::params::Params;

const MAX_TEXT_CHARS: usize = 65_535;
const MAX_MENTIONS: usize = 10;

pub fn get_comments(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = call.live_app(p.i64("app")?, AppRight::View)?;
    let record = p.i64("record")?;
    let ascending = match p.opt_str("order")?.as_deref() {
        None | Some("desc") => false,
        Some("asc") => true,
        Some(_) => return Err(ApiError::invalid("order", "Enter asc or desc.")),
    };
    let offset = p.opt_i64("offset")?.unwrap_or(0);
    let limit = p.opt_i64("limit")?.unwrap_or(10);
    if offset < 0 {
        return Err(ApiError::invalid("offset", "Enter 0 or more."));
    }
    if !(1..=10).contains(&limit) {
        return Err(ApiError::invalid("limit", "Enter a number from 1 to 10."));
    }
    let page = list_comments(call.conn, &app, record, ascending, offset, limit)?;
    let comments: Vec<Value> = page
        .comments
        .iter()
        .map(|c| {
            json!({
                "id": c.id.to_string(),
                "text": c.text,
                "createdAt": chrono::DateTime::from_timestamp(c.created_at, 0)
                    .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                    .unwrap_or_default(),
                "creator": {"code": c.creator_code, "name": c.creator_name},
                "mentions": c.mentions,
            })
        })
        .collect();
    Ok(json!({"comments": comments, "older": page.older, "newer": page.newer}))
}

pub fn add(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = call.live_app(p.i64("app")?, AppRight::View)?;
    let record = p.i64("record")?;
    let comment = p
        .opt_object("comment")?
        .ok_or_else(|| ApiError::invalid("comment", "Required field."))?;
    let text = comment
        .get("text")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if text.trim().is_empty() {
        return Err(ApiError::invalid("comment.text", "Required field."));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(ApiError::invalid(
            "comment.text",
            "Enter 65535 characters or less.",
        ));
    }
    let mentions = comment
        .get("mentions")
        .cloned()
        .unwrap_or(Value::Array(Vec::new()));
    let Value::Array(list) = &mentions else {
        return Err(ApiError::invalid("comment.mentions", "Enter a list."));
    };
    if list.len() > MAX_MENTIONS {
        return Err(ApiError::invalid(
            "comment.mentions",
            "A maximum of 10 mentions can be specified.",
        ));
    }
    for (i, m) in list.iter().enumerate() {
        let ok = m
            .get("code")
            .and_then(Value::as_str)
            .is_some_and(|c| !c.is_empty())
            && matches!(
                m.get("type").and_then(Value::as_str),
                Some("USER" | "GROUP" | "ORGANIZATION")
            );
        if !ok {
            return Err(ApiError::invalid(
                &format!("comment.mentions[{i}]"),
                "Enter a code and a type of USER, GROUP or ORGANIZATION.",
            ));
        }
    }
    let user = call.caller.principal.acting_user().to_owned();
    let id = add_comment(call.conn, &app, record, text, &mentions, &user)?;
    Ok(json!({"id": id.to_string()}))
}

pub fn delete(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = call.live_app(p.i64("app")?, AppRight::View)?;
    let user = call.caller.principal.acting_user().to_owned();
    delete_comment(call.conn, &app, p.i64("record")?, p.i64("comment")?, &user)?;
    Ok(json!({}))
}
