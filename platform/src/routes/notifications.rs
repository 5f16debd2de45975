//! The bell's API (Kumiki's own, kintone has none): `GET /api/notifications.json` lists the caller's
//! notifications (paged, newest first, `unreadFirst`/`unreadOnly`), `POST /api/notifications/read.json`
//! marks some (`ids`) or all (`all: true`) read. Only signed-in users have a bell: an API token is
//! refused. Below them, kintone's `app/notifications/*.json` settings.

use kumiki_engine::acl::Principal;
use kumiki_engine::notifications::bell::{self, Paging};
use kumiki_engine::notifications::{rules, Notification};
use kumiki_engine::process::settings::EntityType;
use kumiki_engine::users::User;
use serde_json::{json, Map, Value};

use super::call::Call;
use super::form::{change_preview, stage_definition};
use super::review::iso;
use crate::error::ApiError;
use crate::params::{as_i64, Params};

fn bell_owner(call: &Call) -> Result<String, ApiError> {
    match &call.caller.principal {
        Principal::User { code, .. } => Ok(code.clone()),
        _ => Err(ApiError::no_privilege()),
    }
}

/// One notification as the API shows it (the stored row minus the owner and the source key).
pub fn to_json(n: &Notification) -> Value {
    json!({
        "id": n.id.to_string(),
        "kind": n.kind,
        "title": n.title,
        "body": n.body,
        "link": n.link,
        "actor": n.actor,
        "app": n.app_id.map(|v| v.to_string()),
        "record": n.record_id.map(|v| v.to_string()),
        "space": n.space_id.map(|v| v.to_string()),
        "thread": n.thread_id.map(|v| v.to_string()),
        "createdAt": iso(n.created_at),
        "read": n.read_at.is_some(),
    })
}

/// `GET /api/notifications.json {offset?, limit? (1..100, 20), unreadFirst?, unreadOnly?}` →
/// `{notifications, total, unread}`.
pub fn list(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let user = bell_owner(call)?;
    let paging = Paging {
        offset: p.opt_i64("offset")?.unwrap_or(0),
        limit: p.opt_i64("limit")?.unwrap_or(20),
        unread_first: p.opt_bool("unreadFirst")?.unwrap_or(false),
        unread_only: p.opt_bool("unreadOnly")?.unwrap_or(false),
    };
    let page = bell::list(call.conn, &user, paging)?;
    Ok(json!({
        "notifications": page.notifications.iter().map(to_json).collect::<Vec<_>>(),
        "total": page.total.to_string(),
        "unread": page.unread.to_string(),
    }))
}

/// `POST /api/notifications/read.json {ids: [..]}` or `{all: true}` → `{read, unread}` (how many
/// became read, how many stay unread).
pub fn mark_read(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let user = bell_owner(call)?;
    let all = p.opt_bool("all")?.unwrap_or(false);
    let ids = match p.opt_array("ids")? {
        Some(list) => {
            let mut ids = Vec::with_capacity(list.len());
            for (i, v) in list.iter().enumerate() {
                let id = as_i64(v).ok_or_else(|| {
                    ApiError::invalid(&format!("ids[{i}]"), "Enter an integer value.")
                })?;
                ids.push(id);
            }
            Some(ids)
        }
        None => None,
    };
    let read = match (all, ids) {
        (true, None) => bell::mark_read(call.conn, &user, None, chrono::Utc::now().timestamp())?,
        (false, Some(ids)) => {
            bell::mark_read(call.conn, &user, Some(&ids), chrono::Utc::now().timestamp())?
        }
        (true, Some(_)) => {
            return Err(ApiError::invalid(
                "all",
                "Specify either ids or all, not both.",
            ))
        }
        (false, None) => return Err(ApiError::invalid("ids", "Required field.")),
    };
    let unread = bell::unread_count(call.conn, &user)?;
    Ok(json!({"read": read.to_string(), "unread": unread.to_string()}))
}

// kintone's per-app notification settings: `GET [preview/]app/notifications/{general,perRecord,
// reminder}.json` → the setting with its `revision`; `PUT preview/app/notifications/...` →
// `{revision}`. Stored in the pre-live definition (deploy publishes them, revert drops them).

struct Directory<'c> {
    conn: &'c mut kumiki_engine::db::DbConn,
}

impl rules::EntityCheck for Directory<'_> {
    fn exists(&mut self, kind: EntityType, code: &str) -> bool {
        let found = match kind {
            EntityType::User => User::find_by_code(self.conn, code).map(|u| u.is_some()),
            EntityType::Group => {
                kumiki_engine::org::find_group(self.conn, code).map(|g| g.is_some())
            }
            EntityType::Organization => {
                kumiki_engine::org::find_department(self.conn, code).map(|d| d.is_some())
            }
            _ => Ok(false),
        };
        found.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "entity lookup failed");
            false
        })
    }
}

fn with_revision(mut m: Map<String, Value>, revision: i64) -> Value {
    m.insert("revision".into(), Value::String(revision.to_string()));
    Value::Object(m)
}

/// `GET [preview/]app/notifications/general.json` → `{notifications, notifyToCommenter, revision}`.
pub fn get_general(call: &mut Call, p: &Params, preview: bool) -> Result<Value, ApiError> {
    let (def, revision) = stage_definition(call, p, preview)?;
    Ok(with_revision(rules::general_json(&def), revision))
}

/// `GET [preview/]app/notifications/perRecord.json` → `{notifications, revision}`.
pub fn get_per_record(call: &mut Call, p: &Params, preview: bool) -> Result<Value, ApiError> {
    let (def, revision) = stage_definition(call, p, preview)?;
    Ok(with_revision(rules::per_record_json(&def), revision))
}

/// `GET [preview/]app/notifications/reminder.json` → `{notifications, timezone, revision}`.
pub fn get_reminder(call: &mut Call, p: &Params, preview: bool) -> Result<Value, ApiError> {
    let (def, revision) = stage_definition(call, p, preview)?;
    let tz = call.state.settings.default_timezone;
    Ok(with_revision(rules::reminder_json(&def, tz), revision))
}

/// `PUT preview/app/notifications/general.json {app, notifications?, notifyToCommenter?, revision?}`.
pub fn update_general(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let body = p.0.as_object().cloned().unwrap_or_default();
    let (current, _) = stage_definition(call, p, true)?;
    let stored = rules::check_general(&body, &current, &mut Directory { conn: call.conn })?;
    change_preview(call, p, move |def| {
        def.notifications.insert(rules::GENERAL.into(), stored);
        Ok(())
    })
}

/// `PUT preview/app/notifications/perRecord.json {app, notifications, revision?}`.
pub fn update_per_record(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let body = p.0.as_object().cloned().unwrap_or_default();
    let (current, _) = stage_definition(call, p, true)?;
    let ctx = kumiki_engine::acting::check_query_context(&current, call.caller.timezone);
    let stored =
        rules::check_per_record(&body, &current, &mut Directory { conn: call.conn }, &ctx)?;
    change_preview(call, p, move |def| {
        def.notifications.insert(rules::PER_RECORD.into(), stored);
        Ok(())
    })
}

/// `PUT preview/app/notifications/reminder.json {app, notifications, timezone?, revision?}`.
pub fn update_reminder(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let body = p.0.as_object().cloned().unwrap_or_default();
    let (current, _) = stage_definition(call, p, true)?;
    let tz = call.state.settings.default_timezone;
    let ctx = kumiki_engine::acting::check_query_context(&current, call.caller.timezone);
    let stored = rules::check_reminder(
        &body,
        &current,
        &mut Directory { conn: call.conn },
        &ctx,
        tz,
    )?;
    change_preview(call, p, move |def| {
        def.notifications.insert(rules::REMINDER.into(), stored);
        Ok(())
    })
}
