//! Kumiki's administration APIs (`/api/...`, dispatched as `kumiki/...`): users, departments, groups,
//! memberships, per-user and per-app API tokens, and the audit log. Administrators only: anyone else
//! (and every API token) gets `CB_NO02`. Every change is written to the audit log in the call's
//! transaction, so a change and its audit row commit or roll back together.
//!
//! Same conventions as the kintone API: JSON, ids and numbers as strings, times as ISO 8601 UTC, the
//! kintone error envelope.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, TimeZone};
use kumiki_engine::acl::{Principal, TokenRights};
use kumiki_engine::apps::AppId;
use kumiki_engine::audit::{self, action, AuditFilter};
use kumiki_engine::org::{self, DepartmentChanges};
use kumiki_engine::tokens;
use kumiki_engine::users::User;
use serde_json::{json, Value};

use super::call::Call;
use crate::auth::{authenticate, credentials_from, Caller};
use crate::error::ApiError;
use crate::params::{parse_query_string, Params};
use crate::state::{blocking, AppState};

/// Refuses everyone but signed-in administrators.
fn require_admin(caller: &Caller) -> Result<(), ApiError> {
    match caller.principal {
        Principal::User { is_admin: true, .. } => Ok(()),
        _ => Err(ApiError::no_privilege()),
    }
}

fn iso(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn required_str(p: &Params, key: &str) -> Result<String, ApiError> {
    p.opt_str(key)?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::invalid(key, "Required field."))
}

fn user_or_invalid(call: &mut Call, code: &str) -> Result<User, ApiError> {
    User::find_by_code(call.conn, code)?
        .ok_or_else(|| ApiError::invalid("code", "The user does not exist."))
}

// ---- users ----

/// `GET /api/org/users.json` → `{users: [{code, name, isAdmin, isActive, createdAt,
/// primaryDepartment, departments, groups}]}` by code.
pub fn list_users(call: &mut Call, _p: &Params) -> Result<Value, ApiError> {
    require_admin(call.caller)?;
    let mut out = Vec::new();
    for u in User::list(call.conn)? {
        let depts = org::user_departments(call.conn, &u.code)?;
        let primary = depts.iter().find(|(_, p)| *p).map(|(c, _)| c.clone());
        let groups = org::user_groups(call.conn, &u.code)?;
        out.push(json!({
            "code": u.code,
            "name": u.name,
            "isAdmin": u.is_admin,
            "isActive": u.is_active,
            "createdAt": iso(u.created_at),
            "primaryDepartment": primary,
            "departments": depts.into_iter().map(|(c, _)| c).collect::<Vec<_>>(),
            "groups": groups,
        }));
    }
    Ok(json!({ "users": out }))
}

/// `POST /api/org/users.json {code, name, password, isAdmin?, mustChangePassword?}` → `{code}`. The
/// user must change the password at first sign-in unless `mustChangePassword` is false.
pub fn add_user(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    require_admin(call.caller)?;
    let code = required_str(p, "code")?;
    let name = p.opt_str("name")?.unwrap_or_default();
    let password = required_str(p, "password")?;
    let is_admin = p.opt_bool("isAdmin")?.unwrap_or(false);
    // The administrator knows this password: the user chooses their own at first sign-in unless
    // the caller says otherwise (`mustChangePassword: false`, e.g. an account for a script).
    let must_change = p.opt_bool("mustChangePassword")?.unwrap_or(true);
    let user = User::create(call.conn, &code, &name, &password, is_admin)?;
    kumiki_engine::mfa::set_must_change(call.conn, &user.code, must_change)?;
    let target = format!("user:{}", user.code);
    call.audit(
        action::USER_ADD,
        &target,
        json!({"name": user.name, "isAdmin": is_admin}),
    )?;
    Ok(json!({ "code": user.code }))
}

/// `PUT /api/org/users.json {code, name?, isAdmin?, password?, mustChangePassword?}` → `{}`. A new
/// password must be changed at the next sign-in unless `mustChangePassword` is false. An administrator cannot take
/// away their own administrator flag (someone must be left to undo it).
pub fn update_user(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    require_admin(call.caller)?;
    let code = required_str(p, "code")?;
    let before = user_or_invalid(call, &code)?;
    let name = p.opt_str("name")?;
    let is_admin = p.opt_bool("isAdmin")?;
    let password = p.opt_str("password")?.filter(|s| !s.is_empty());
    if is_admin == Some(false) && code == call.caller.principal.acting_user() {
        return Err(ApiError::invalid(
            "isAdmin",
            "You cannot remove your own administrator right.",
        ));
    }
    User::update(call.conn, &code, name.as_deref(), is_admin)?;
    let target = format!("user:{code}");
    if name.is_some() || is_admin.is_some() {
        let mut detail = serde_json::Map::new();
        if let Some(n) = &name {
            detail.insert("name".into(), json!({"old": before.name, "new": n.trim()}));
        }
        if let Some(a) = is_admin {
            detail.insert("isAdmin".into(), json!({"old": before.is_admin, "new": a}));
        }
        call.audit(action::USER_UPDATE, &target, Value::Object(detail))?;
    }
    if let Some(password) = password {
        if password.chars().count() < 8 {
            return Err(ApiError::invalid(
                "password",
                "The password must be at least 8 characters.",
            ));
        }
        User::set_password(call.conn, &code, &password)?;
        let must_change = p.opt_bool("mustChangePassword")?.unwrap_or(true);
        kumiki_engine::mfa::set_must_change(call.conn, &code, must_change)?;
        call.audit(
            action::USER_PASSWORD,
            &target,
            json!({ "mustChangePassword": must_change }),
        )?;
    }
    Ok(json!({}))
}

fn set_active(call: &mut Call, p: &Params, active: bool) -> Result<Value, ApiError> {
    require_admin(call.caller)?;
    let code = required_str(p, "code")?;
    user_or_invalid(call, &code)?;
    if !active && code == call.caller.principal.acting_user() {
        return Err(ApiError::invalid("code", "You cannot disable yourself."));
    }
    User::set_active(call.conn, &code, active)?;
    let act = if active {
        action::USER_ENABLE
    } else {
        action::USER_DISABLE
    };
    call.audit(act, &format!("user:{code}"), json!({}))?;
    Ok(json!({}))
}

/// `POST /api/org/users/disable.json {code}`: the user can no longer sign in; sessions end and their
/// per-user tokens stop working. Their code stays in records and logs.
pub fn disable_user(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    set_active(call, p, false)
}

/// `POST /api/org/users/signout.json {code}` → `{}`: signs the user out everywhere — browser sessions
/// and bearer JWTs end at once (`User::revoke_credentials`); per-user API tokens are kept.
pub fn sign_out_user(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    require_admin(call.caller)?;
    let code = required_str(p, "code")?;
    user_or_invalid(call, &code)?;
    User::revoke_credentials(call.conn, &code)?;
    call.audit(
        action::USER_SIGN_OUT_EVERYWHERE,
        &format!("user:{code}"),
        json!({}),
    )?;
    Ok(json!({}))
}

/// `POST /api/org/users/enable.json {code}`.
pub fn enable_user(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    set_active(call, p, true)
}

// ---- departments ----

/// `GET /api/org/departments.json` → `{departments: [{code, name, parentCode, sort, depth}]}` in tree
/// order (each parent before its children).
pub fn list_departments(call: &mut Call, _p: &Params) -> Result<Value, ApiError> {
    require_admin(call.caller)?;
    let nodes: Vec<Value> = org::department_tree(call.conn)?
        .into_iter()
        .map(|n| {
            json!({
                "code": n.department.code,
                "name": n.department.name,
                "parentCode": n.department.parent_code,
                "sort": n.department.sort.to_string(),
                "depth": n.depth.to_string(),
            })
        })
        .collect();
    Ok(json!({ "departments": nodes }))
}

/// `POST /api/org/departments.json {code, name, parentCode?, sort?}` → `{code}`.
pub fn add_department(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    require_admin(call.caller)?;
    let code = required_str(p, "code")?;
    let name = p.opt_str("name")?.unwrap_or_default();
    let parent = p.opt_str("parentCode")?.filter(|s| !s.is_empty());
    let sort = p.opt_i64("sort")?.unwrap_or(0);
    let d = org::add_department(call.conn, &code, &name, parent.as_deref(), sort)?;
    call.audit(
        action::DEPARTMENT_ADD,
        &format!("department:{}", d.code),
        json!({"name": d.name, "parentCode": d.parent_code, "sort": d.sort}),
    )?;
    Ok(json!({ "code": d.code }))
}

/// `PUT /api/org/departments.json {code, name?, parentCode?, sort?}` → `{}`. `parentCode` `""` or
/// `null` moves the department to the top level; a move under itself or a sub-department is refused.
pub fn update_department(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    require_admin(call.caller)?;
    let code = required_str(p, "code")?;
    let parent = match p.0.get("parentCode") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(_) => Some(p.opt_str("parentCode")?.filter(|s| !s.is_empty())),
    };
    let changes = DepartmentChanges {
        name: p.opt_str("name")?,
        parent,
        sort: p.opt_i64("sort")?,
    };
    let (before, after) = org::update_department(call.conn, &code, &changes)?;
    call.audit(
        action::DEPARTMENT_UPDATE,
        &format!("department:{code}"),
        json!({
            "old": {"name": before.name, "parentCode": before.parent_code, "sort": before.sort},
            "new": {"name": after.name, "parentCode": after.parent_code, "sort": after.sort},
        }),
    )?;
    Ok(json!({}))
}

/// `DELETE /api/org/departments.json {code}` → `{}`. Refused while it has sub-departments; its
/// memberships are removed with it.
pub fn delete_department(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    require_admin(call.caller)?;
    let code = required_str(p, "code")?;
    let members = org::members_of_department(call.conn, &code)?;
    let d = org::delete_department(call.conn, &code)?;
    call.audit(
        action::DEPARTMENT_DELETE,
        &format!("department:{code}"),
        json!({"name": d.name, "parentCode": d.parent_code, "members": members}),
    )?;
    Ok(json!({}))
}

// ---- groups ----

/// `GET /api/org/groups.json` → `{groups: [{code, name}]}` by code.
pub fn list_groups(call: &mut Call, _p: &Params) -> Result<Value, ApiError> {
    require_admin(call.caller)?;
    let groups = org::list_groups(call.conn)?;
    Ok(json!({ "groups": groups }))
}

/// `POST /api/org/groups.json {code, name}` → `{code}`.
pub fn add_group(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    require_admin(call.caller)?;
    let code = required_str(p, "code")?;
    let name = p.opt_str("name")?.unwrap_or_default();
    let g = org::add_group(call.conn, &code, &name)?;
    call.audit(
        action::GROUP_ADD,
        &format!("group:{}", g.code),
        json!({"name": g.name}),
    )?;
    Ok(json!({ "code": g.code }))
}

/// `PUT /api/org/groups.json {code, name}` → `{}`.
pub fn update_group(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    require_admin(call.caller)?;
    let code = required_str(p, "code")?;
    let name = p.opt_str("name")?.unwrap_or_default();
    let (before, after) = org::update_group(call.conn, &code, &name)?;
    call.audit(
        action::GROUP_UPDATE,
        &format!("group:{code}"),
        json!({"name": {"old": before.name, "new": after.name}}),
    )?;
    Ok(json!({}))
}

/// `DELETE /api/org/groups.json {code}` → `{}`; its memberships go with it.
pub fn delete_group(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    require_admin(call.caller)?;
    let code = required_str(p, "code")?;
    let members = org::members_of_group(call.conn, &code)?;
    let g = org::delete_group(call.conn, &code)?;
    call.audit(
        action::GROUP_DELETE,
        &format!("group:{code}"),
        json!({"name": g.name, "members": members}),
    )?;
    Ok(json!({}))
}

// ---- memberships ----

/// `GET /api/org/memberships.json?user=U` → `{user, departments: [{code, isPrimary}], groups}`;
/// `?department=D` or `?group=G` → `{users: [code]}` (direct members).
pub fn get_memberships(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    require_admin(call.caller)?;
    if let Some(d) = p.opt_str("department")? {
        return Ok(json!({ "users": org::members_of_department(call.conn, &d)? }));
    }
    if let Some(g) = p.opt_str("group")? {
        return Ok(json!({ "users": org::members_of_group(call.conn, &g)? }));
    }
    let user = required_str(p, "user")?;
    let departments: Vec<Value> = org::user_departments(call.conn, &user)?
        .into_iter()
        .map(|(code, primary)| json!({"code": code, "isPrimary": primary}))
        .collect();
    let groups = org::user_groups(call.conn, &user)?;
    Ok(json!({"user": user, "departments": departments, "groups": groups}))
}

/// `PUT /api/org/memberships.json {user, departments?, primaryDepartment?, groups?}` → `{}`. Each list
/// given replaces the user's memberships of that kind; the primary department must be one of the
/// departments (the first is primary when none is named).
pub fn set_memberships(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    require_admin(call.caller)?;
    let user = required_str(p, "user")?;
    let departments = p.opt_str_list("departments")?;
    let primary = p.opt_str("primaryDepartment")?.filter(|s| !s.is_empty());
    let groups = p.opt_str_list("groups")?;
    let mut detail = serde_json::Map::new();
    if let Some(d) = &departments {
        let before: Vec<String> = org::user_departments(call.conn, &user)?
            .into_iter()
            .map(|(c, _)| c)
            .collect();
        org::set_user_departments(call.conn, &user, d, primary.as_deref())?;
        let now = org::primary_department(call.conn, &user)?;
        detail.insert("departments".into(), json!({"old": before, "new": d}));
        detail.insert("primaryDepartment".into(), json!(now));
    } else if primary.is_some() {
        return Err(ApiError::invalid(
            "departments",
            "Send the departments together with the primary department.",
        ));
    }
    if let Some(g) = &groups {
        let before = org::user_groups(call.conn, &user)?;
        org::set_user_groups(call.conn, &user, g)?;
        detail.insert("groups".into(), json!({"old": before, "new": g}));
    }
    call.audit(
        action::MEMBERSHIP_UPDATE,
        &format!("user:{user}"),
        Value::Object(detail),
    )?;
    Ok(json!({}))
}

// ---- per-user tokens ----

/// `allowedIps`: an array of addresses/CIDR blocks, or one text with one per line or
/// comma-separated (the browser form); absent or empty: usable from anywhere.
fn allowed_ips_param(p: &Params) -> Result<String, ApiError> {
    match p.0.get("allowedIps") {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str().map(str::to_owned).ok_or_else(|| {
                    ApiError::invalid("allowedIps", "Enter IP addresses or CIDR blocks.")
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(|v| v.join("\n")),
        Some(_) => Err(ApiError::invalid(
            "allowedIps",
            "Enter IP addresses or CIDR blocks.",
        )),
    }
}

/// `GET /api/tokens/user.json?user=U` (optional) → `{tokens: [{id, user, name, createdBy, createdAt,
/// expiresAt}]}`, newest first. The token strings are never listed.
pub fn list_user_tokens(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    require_admin(call.caller)?;
    let user = p.opt_str("user")?.filter(|s| !s.is_empty());
    let tokens: Vec<Value> = org::list_user_tokens(call.conn, user.as_deref())?
        .into_iter()
        .map(|t| {
            json!({
                "id": t.id,
                "user": t.user_code,
                "name": t.name,
                "createdBy": t.created_by,
                "createdAt": iso(t.created_at),
                "expiresAt": t.expires_at.map(iso),
                "allowedIps": kumiki_engine::netlist::entries(&t.allowed_ips),
            })
        })
        .collect();
    Ok(json!({ "tokens": tokens }))
}

/// `POST /api/tokens/user.json {user, name, expiresInDays?, allowedIps?}` → `{id, token}`. The token
/// is shown only in this answer; send it as `Authorization: Bearer <token>`. With `allowedIps` it
/// works only from those addresses/CIDR blocks (403 `CB_IP01` elsewhere).
pub fn create_user_token(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    require_admin(call.caller)?;
    let user = required_str(p, "user")?;
    let name = p.opt_str("name")?.unwrap_or_default();
    let expires_at = match p.opt_i64("expiresInDays")? {
        None => None,
        Some(d) if (1..=3650).contains(&d) => Some(chrono::Utc::now().timestamp() + d * 86_400),
        Some(_) => {
            return Err(ApiError::invalid(
                "expiresInDays",
                "Enter a number of days from 1 to 3650.",
            ))
        }
    };
    let by = call.caller.principal.acting_user().to_owned();
    let allowed = allowed_ips_param(p)?;
    let (t, secret) = org::create_user_token(call.conn, &user, &name, &by, expires_at, &allowed)?;
    call.audit(
        action::TOKEN_CREATE,
        &format!("user:{user}"),
        json!({"kind": "user", "id": t.id, "name": t.name, "expiresAt": t.expires_at.map(iso),
               "allowedIps": kumiki_engine::netlist::entries(&t.allowed_ips)}),
    )?;
    Ok(json!({"id": t.id, "token": secret}))
}

/// `DELETE /api/tokens/user.json {id}` → `{}`.
pub fn revoke_user_token(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    require_admin(call.caller)?;
    let id = required_str(p, "id")?;
    let t = org::revoke_user_token(call.conn, &id)?;
    call.audit(
        action::TOKEN_REVOKE,
        &format!("user:{}", t.user_code),
        json!({"kind": "user", "id": t.id, "name": t.name}),
    )?;
    Ok(json!({}))
}

// ---- per-app tokens ----

fn rights_json(r: &TokenRights) -> Value {
    json!({"view": r.view, "add": r.add, "edit": r.edit, "delete": r.delete, "manage": r.manage})
}

/// `GET /api/tokens/app.json?app=N` → `{tokens: [{id, app, prefix, rights: {view, add, edit, delete,
/// manage}, allowedIps, createdAt}]}`. `id` is derived from the token's hash and `prefix` is its first
/// characters; the token itself is not stored, so it cannot be listed.
pub fn list_app_tokens(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    require_admin(call.caller)?;
    let app = p.i64("app")?;
    let tokens: Vec<Value> = tokens::list_app_tokens(call.conn, AppId(app))?
        .into_iter()
        .map(|t| {
            json!({
                "id": t.id,
                "app": t.app.0.to_string(),
                "prefix": t.prefix,
                "rights": rights_json(&t.rights),
                "allowedIps": t.allowed_ips,
                "createdAt": iso(t.created_at),
            })
        })
        .collect();
    Ok(json!({ "tokens": tokens }))
}

/// `POST /api/tokens/app.json {app, rights: {view?, add?, edit?, delete?, manage?}, allowedIps?}` →
/// `{id, prefix, token}`. The token is shown only in this answer.
pub fn create_app_token(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    require_admin(call.caller)?;
    let app = p.i64("app")?;
    let r = p.opt_object("rights")?;
    let flag = |k: &str| {
        r.and_then(|m| m.get(k))
            .is_some_and(|v| v == &json!(true) || v == "true")
    };
    let rights = TokenRights {
        view: flag("view"),
        add: flag("add"),
        edit: flag("edit"),
        delete: flag("delete"),
        manage: flag("manage"),
    };
    if rights == TokenRights::default() {
        return Err(ApiError::invalid("rights", "Choose at least one right."));
    }
    let allowed = allowed_ips_param(p)?;
    let token = tokens::create_token_for(call.conn, AppId(app), rights, &allowed)?;
    let id = tokens::app_token_id(&token);
    let prefix: String = token.chars().take(tokens::PREFIX_CHARS).collect();
    call.audit(
        action::TOKEN_CREATE,
        &format!("app:{app}"),
        json!({"kind": "app", "id": id, "prefix": prefix, "rights": rights_json(&rights),
               "allowedIps": kumiki_engine::netlist::normalise("allowedIps", &allowed)?.lines().collect::<Vec<_>>()}),
    )?;
    Ok(json!({"id": id, "prefix": prefix, "token": token}))
}

/// `DELETE /api/tokens/app.json {app, id}` → `{}`.
pub fn revoke_app_token(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    require_admin(call.caller)?;
    let app = p.i64("app")?;
    let id = required_str(p, "id")?;
    if !tokens::revoke_app_token(call.conn, AppId(app), &id)? {
        return Err(ApiError::invalid("id", "The token does not exist."));
    }
    call.audit(
        action::TOKEN_REVOKE,
        &format!("app:{app}"),
        json!({"kind": "app", "id": id}),
    )?;
    Ok(json!({}))
}

// ---- audit log ----

/// A time filter: an ISO 8601 date-time with offset, or a date (`YYYY-MM-DD`, in the caller's time
/// zone; as `to`, the whole day is included).
fn parse_time(
    p: &Params,
    key: &str,
    tz: chrono_tz::Tz,
    end: bool,
) -> Result<Option<i64>, ApiError> {
    let Some(s) = p.opt_str(key)?.filter(|s| !s.trim().is_empty()) else {
        return Ok(None);
    };
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(Some(t.timestamp()));
    }
    let bad = || {
        ApiError::invalid(
            key,
            "Enter a date (YYYY-MM-DD) or an ISO 8601 date and time.",
        )
    };
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| bad())?;
    let date = if end {
        date.succ_opt().ok_or_else(bad)?
    } else {
        date
    };
    let start = date.and_hms_opt(0, 0, 0).ok_or_else(bad)?;
    let local = tz.from_local_datetime(&start).earliest().ok_or_else(bad)?;
    Ok(Some(local.timestamp()))
}

fn audit_filter(p: &Params, tz: chrono_tz::Tz) -> Result<AuditFilter, ApiError> {
    let text = |k: &str| -> Result<Option<String>, ApiError> {
        Ok(p.opt_str(k)?.filter(|s| !s.trim().is_empty()))
    };
    Ok(AuditFilter {
        from: parse_time(p, "from", tz, false)?,
        to: parse_time(p, "to", tz, true)?,
        actor: text("actor")?,
        action: text("action")?,
        target: text("target")?,
        outcome: text("outcome")?,
    })
}

fn entry_json(e: &audit::AuditEntry) -> Value {
    json!({
        "id": e.id.to_string(),
        "at": iso(e.at),
        "actor": e.actor,
        "peer": e.peer,
        "action": e.action,
        "target": e.target,
        "outcome": e.outcome,
        "detail": e.detail,
    })
}

/// `GET /api/audit.json?from&to&actor&action&target&outcome&limit&offset` → `{entries: [{id, at,
/// actor, peer, action, target, outcome, detail}], hasMore}`, newest first; `limit` ≤ 500 (100).
pub fn list_audit(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    require_admin(call.caller)?;
    let filter = audit_filter(p, call.caller.timezone)?;
    let limit = p.opt_i64("limit")?.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid("limit", "Enter a number from 1 to 500."));
    }
    let offset = p.opt_i64("offset")?.unwrap_or(0).max(0);
    let mut entries = audit::list(call.conn, &filter, limit + 1, offset)?;
    let has_more = entries.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    entries.truncate(usize::try_from(limit).unwrap_or(0));
    let entries: Vec<Value> = entries.iter().map(entry_json).collect();
    Ok(json!({"entries": entries, "hasMore": has_more}))
}

/// The most rows one CSV download holds; narrow the filter for more.
const CSV_MAX_ROWS: i64 = 50_000;

/// `GET /api/audit.csv?<the filters of audit.json>`: the matching entries as CSV (UTF-8 with BOM,
/// times in the caller's time zone), newest first, at most 50,000 rows. The download itself is
/// audited. Administrators only; errors come in the kintone JSON envelope.
pub async fn audit_csv(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let ja = super::wants_japanese(&req);
    let result: Result<(String, chrono_tz::Tz), ApiError> = async {
        let creds = credentials_from(&req)?;
        let params = parse_query_string(req.query_string());
        let state = state.get_ref().clone();
        blocking(move || {
            let mut conn = state.conn()?;
            let caller = authenticate(&state, &mut conn, &creds)?;
            require_admin(&caller)?;
            let p = Params(&params);
            let filter = audit_filter(&p, caller.timezone)?;
            conn.write_transaction(|c| {
                let entries = audit::list(c, &filter, CSV_MAX_ROWS, 0)?;
                let acting = caller.api_acting(None);
                let mut call = Call::new(&state, c, &caller, &acting);
                let detail = json!({
                    "rows": entries.len(),
                    "filter": {
                        "from": filter.from.map(iso), "to": filter.to.map(iso),
                        "actor": filter.actor, "action": filter.action,
                        "target": filter.target, "outcome": filter.outcome,
                    },
                });
                call.audit(action::AUDIT_EXPORT, "audit", detail)?;
                Ok((audit::to_csv(&entries, caller.timezone), caller.timezone))
            })
        })
        .await
    }
    .await;
    match result {
        Ok((csv, tz)) => {
            let day = chrono::Utc::now().with_timezone(&tz).format("%Y%m%d");
            HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8")
                .insert_header((
                    "Content-Disposition",
                    format!("attachment; filename=\"audit-{day}.csv\""),
                ))
                .insert_header(("Cache-Control", "no-store"))
                .insert_header(("X-Content-Type-Options", "nosniff"))
                .body(csv)
        }
        Err(e) => e.response(ja),
    }
}
