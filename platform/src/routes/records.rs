//! `record.json` and `records.json`: get, add, update (by id or `updateKey`, with upsert) and delete,
//! single and bulk (at most 100 records, all or nothing).

use kumiki_engine::acl::AppRight;
use kumiki_engine::apps::AppId;
use kumiki_engine::query;
use kumiki_engine::records::{
    self, count_records, get_record, list_records, record_json, ListRequest, RecordTarget,
    RecordUpdate,
};
use serde_json::{json, Map, Value};

use super::call::Call;
use crate::error::ApiError;
use crate::params::{as_i64, Params};

const BULK_LIMIT: usize = 100;

pub fn get_record_by_id(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = call.live_app(p.i64("app")?, AppRight::View)?;
    let id = p.i64("id")?;
    let record = get_record(call.conn, &app, id)?;
    call.note_view(&app, None, vec![id]);
    Ok(json!({ "record": record_json(&app, &record, None) }))
}

pub fn get_records(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = call.live_app(p.i64("app")?, AppRight::View)?;
    let fields = p.opt_str_list("fields")?;
    let query_text = p.opt_str("query")?.unwrap_or_default();
    let total_wanted = p.opt_bool("totalCount")?.unwrap_or(false);
    let ctx = call.query_context(&app);
    let q = query::prepare(&query_text, &ctx)?;
    let found = list_records(
        call.conn,
        &app,
        &ListRequest {
            query: &q,
            context: &ctx,
            limit: None,
            offset: None,
        },
    )?;
    let total = if total_wanted {
        Some(count_records(call.conn, &app, &q, &ctx)?.to_string())
    } else {
        None
    };
    let records: Vec<Value> = found
        .iter()
        .map(|r| Value::Object(record_json(&app, r, fields.as_deref())))
        .collect();
    call.note_view(
        &app,
        Some(&query_text),
        found.iter().map(|r| r.id).collect(),
    );
    Ok(json!({ "records": records, "totalCount": total }))
}

fn record_object(v: Option<&Value>, key: &str) -> Result<Map<String, Value>, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m.clone()),
        Some(_) => Err(ApiError::invalid(key, "Enter an object.")),
    }
}

pub fn add_record(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = call.live_app(p.i64("app")?, AppRight::Add)?;
    let record = record_object(p.get("record"), "record")?;
    let actor = call.actor();
    let added = records::add_records(call.conn, &app, &[record], &actor, false)?;
    let (id, revision) = added.first().copied().ok_or_else(ApiError::internal)?;
    Ok(json!({ "id": id.to_string(), "revision": revision.to_string() }))
}

pub fn add_records(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = call.live_app(p.i64("app")?, AppRight::Add)?;
    let list = p
        .opt_array("records")?
        .ok_or_else(|| ApiError::invalid("records", "Required field."))?;
    if list.len() > BULK_LIMIT {
        return Err(ApiError::invalid(
            "records",
            "A maximum of 100 records can be added at one time.",
        ));
    }
    let inputs = list
        .iter()
        .enumerate()
        .map(|(i, v)| record_object(Some(v), &format!("records[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let actor = call.actor();
    let added = records::add_records(call.conn, &app, &inputs, &actor, true)?;
    Ok(json!({
        "ids": added.iter().map(|(id, _)| id.to_string()).collect::<Vec<_>>(),
        "revisions": added.iter().map(|(_, r)| r.to_string()).collect::<Vec<_>>(),
    }))
}

/// Reads `id` / `updateKey` / `record` / `revision` of one update.
fn parse_update(v: &Value, key_prefix: &str) -> Result<RecordUpdate, ApiError> {
    let p = Params(v);
    let id = p.get("id");
    let update_key = p.get("updateKey");
    let target = match (id, update_key) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                &format!("{key_prefix}id"),
                "Specify either id or updateKey, not both.",
            ))
        }
        (Some(id), None) => RecordTarget::Id(as_i64(id).ok_or_else(|| {
            ApiError::invalid(&format!("{key_prefix}id"), "Enter an integer value.")
        })?),
        (None, Some(k)) => {
            let field = k
                .get("field")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let value = match k.get("value") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => String::new(),
            };
            if field.is_empty() {
                return Err(ApiError::invalid(
                    &format!("{key_prefix}updateKey.field"),
                    "Required field.",
                ));
            }
            RecordTarget::UpdateKey { field, value }
        }
        (None, None) => {
            return Err(ApiError::invalid(
                &format!("{key_prefix}id"),
                "Required field.",
            ))
        }
    };
    let revision = match p.get("revision") {
        None => None,
        Some(r) => Some(as_i64(r).ok_or_else(|| {
            ApiError::invalid(&format!("{key_prefix}revision"), "Enter an integer value.")
        })?),
    };
    Ok(RecordUpdate {
        target,
        record: record_object(p.get("record"), &format!("{key_prefix}record"))?,
        revision,
    })
}

pub fn update_record(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = call.live_app(p.i64("app")?, AppRight::Edit)?;
    let update = parse_update(p.0, "")?;
    let actor = call.actor();
    let out = records::update_records(call.conn, &app, &[update], &actor, false, false)?;
    let first = out.first().ok_or_else(ApiError::internal)?;
    Ok(json!({ "revision": first.revision.to_string() }))
}

pub fn update_records(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let upsert = p.opt_bool("upsert")?.unwrap_or(false);
    let app = call.live_app(p.i64("app")?, AppRight::Edit)?;
    if upsert {
        call.app_row(app.row.id, AppRight::Add)?;
    }
    let list = p
        .opt_array("records")?
        .ok_or_else(|| ApiError::invalid("records", "Required field."))?;
    if list.len() > BULK_LIMIT {
        return Err(ApiError::invalid(
            "records",
            "A maximum of 100 records can be updated at one time.",
        ));
    }
    let updates = list
        .iter()
        .enumerate()
        .map(|(i, v)| parse_update(v, &format!("records[{i}].")))
        .collect::<Result<Vec<_>, _>>()?;
    let actor = call.actor();
    let out = records::update_records(call.conn, &app, &updates, &actor, true, upsert)?;
    let list: Vec<Value> = out
        .iter()
        .map(|o| {
            let mut v = json!({ "id": o.id.to_string(), "revision": o.revision.to_string() });
            if upsert {
                v["operation"] = json!(if o.inserted { "INSERT" } else { "UPDATE" });
            }
            v
        })
        .collect();
    Ok(json!({ "records": list }))
}

pub fn delete_records(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = p.i64("app")?;
    let ids: Vec<i64> = p
        .opt_i64_list("ids")?
        .ok_or_else(|| ApiError::invalid("ids", "Required field."))?
        .into_iter()
        .map(|id| id.ok_or_else(|| ApiError::invalid("ids", "Enter integer values.")))
        .collect::<Result<_, _>>()?;
    let revisions = p.opt_i64_list("revisions")?.unwrap_or_default();
    let removed = records::delete_records_as(call.conn, call.acting, AppId(app), &ids, &revisions)?;
    call.removed_files.extend(removed);
    Ok(json!({}))
}
