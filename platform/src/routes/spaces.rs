//! kintone's space APIs (`space.json`, `space/body.json`, `space/members.json`,
//! `space/thread.json`, `template/space.json`, `app/move.json`) and Kumiki's own space calls under
//! `/api/` (`spaces.json`: the spaces I may enter; `space.json` POST: create a space;
//! `space/templates.json`, `space/template.json`; `space/join.json`, `space/leave.json`). The same
//! functions answer under `/k/guest/<space>/v1/`: the acting context applies the guest-path rule.
//! Handlers only translate; the rules live in `kumiki_engine::spaces`.

use kumiki_engine::spaces::store::{self, MemberEntry, NewSpace, SpaceChanges};
use kumiki_engine::spaces::{self as sp, templates, Membership, SpaceMember};
use kumiki_engine::users::User;
use serde_json::{json, Value};

use super::call::Call;
use crate::error::ApiError;
use crate::params::Params;

fn iso(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%S.000Z").to_string())
        .unwrap_or_default()
}

fn user_json(call: &mut Call, code: &str) -> Result<Value, ApiError> {
    let name = User::find_by_code(call.conn, code)?
        .map(|u| u.name)
        .unwrap_or_else(|| code.to_owned());
    Ok(json!({"code": code, "name": name}))
}

fn membership_name(m: Membership) -> &'static str {
    match m {
        Membership::Admin => "ADMIN",
        Membership::Member => "MEMBER",
        Membership::None => "NONE",
    }
}

/// `GET space.json {id}`: the space as kintone describes it (numbers as strings).
pub fn get_space(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let id = p.i64("id")?;
    let d = store::get_space(call.conn, call.acting, id)?;
    let s = &d.space;
    let mut apps = Vec::new();
    for a in &d.apps {
        apps.push(json!({
            "threadId": a.row.thread().map(|t| t.to_string()),
            "appId": a.row.id.to_string(),
            "code": a.code,
            "name": a.name,
            "description": a.description,
            "spaceId": a.row.space().map(|t| t.to_string()),
            "createdAt": iso(a.row.created_at),
            "creator": user_json(call, &a.row.creator)?,
            "modifiedAt": iso(a.row.modified_at),
            "modifier": user_json(call, &a.row.modifier)?,
        }));
    }
    // kintone sends the portal switches only for multi-thread spaces (null otherwise).
    let show = |v: bool| {
        if s.use_multi_thread {
            Value::Bool(v)
        } else {
            Value::Null
        }
    };
    let threads: Vec<Value> = d
        .threads
        .iter()
        .map(|t| json!({"id": t.id.to_string(), "name": t.name, "body": t.body}))
        .collect();
    Ok(json!({
        "id": s.id.to_string(),
        "name": s.name,
        "defaultThread": s.default_thread.map(|t| t.to_string()),
        "isPrivate": s.is_private,
        "creator": {"code": s.creator, "name": d.creator_name},
        "modifier": {"code": s.modifier, "name": d.modifier_name},
        "memberCount": d.member_count.to_string(),
        "coverType": "PRESET",
        "coverKey": "GREEN",
        "coverUrl": "",
        "body": s.body,
        "useMultiThread": s.use_multi_thread,
        "isGuest": s.is_guest,
        "attachedApps": apps,
        "fixedMember": s.fixed_member,
        "showAnnouncement": show(s.show_announcement),
        "showThreadList": show(s.show_thread_list),
        "showAppList": show(s.show_app_list),
        "showMemberList": show(s.show_member_list),
        "showRelatedLinkList": show(s.show_related_link_list),
        "permissions": {"createApp": s.create_app},
        // Kumiki's additions (pages): the threads and the reader's standing.
        "threads": threads,
        "membership": membership_name(d.membership),
    }))
}

/// `PUT space.json {id, name?, isPrivate?, fixedMember?, useMultiThread?, show*?, permissions?}`.
pub fn update_space(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let id = p.i64("id")?;
    let create_app = match p.opt_object("permissions")? {
        Some(perm) => match perm.get("createApp") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                return Err(ApiError::invalid(
                    "permissions.createApp",
                    "Enter EVERYONE or ADMIN.",
                ))
            }
        },
        None => None,
    };
    let changes = SpaceChanges {
        name: p.opt_str("name")?,
        is_private: p.opt_bool("isPrivate")?,
        fixed_member: p.opt_bool("fixedMember")?,
        use_multi_thread: p.opt_bool("useMultiThread")?,
        create_app,
        show_announcement: p.opt_bool("showAnnouncement")?,
        show_thread_list: p.opt_bool("showThreadList")?,
        show_app_list: p.opt_bool("showAppList")?,
        show_member_list: p.opt_bool("showMemberList")?,
        show_related_link_list: p.opt_bool("showRelatedLinkList")?,
    };
    store::update_space(call.conn, call.acting, id, changes)?;
    Ok(json!({}))
}

/// `DELETE space.json {id}`.
pub fn delete_space(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    store::delete_space(call.conn, call.acting, p.i64("id")?)?;
    Ok(json!({}))
}

/// `PUT space/body.json {id, body}`.
pub fn update_body(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let id = p.i64("id")?;
    let body = p
        .opt_str("body")?
        .ok_or_else(|| ApiError::invalid("body", "Required field."))?;
    store::update_body(call.conn, call.acting, id, &body)?;
    Ok(json!({}))
}

fn member_json(m: &SpaceMember) -> Value {
    json!({
        "entity": {"type": m.entity_type, "code": m.code},
        "isAdmin": m.is_admin,
        "isImplicit": false,
        "includeSubs": m.include_subs,
    })
}

/// `GET space/members.json {id}`.
pub fn get_members(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let members = store::get_members(call.conn, call.acting, p.i64("id")?)?;
    let mut out = Vec::new();
    for m in &members {
        let mut v = member_json(m);
        // Kumiki's addition: the entity's display name (pages).
        let name = match m.entity_type.as_str() {
            sp::USER => User::find_by_code(call.conn, &m.code)?.map(|u| u.name),
            sp::GROUP => kumiki_engine::org::find_group(call.conn, &m.code)?.map(|g| g.name),
            _ => kumiki_engine::org::find_department(call.conn, &m.code)?.map(|d| d.name),
        };
        v["entity"]["name"] = Value::String(name.unwrap_or_else(|| m.code.clone()));
        out.push(v);
    }
    Ok(json!({ "members": out }))
}

/// Reads kintone's `members[{entity{type,code}, isAdmin?, includeSubs?}]`.
fn parse_members(p: &Params, key: &str) -> Result<Vec<MemberEntry>, ApiError> {
    let list = p
        .opt_array(key)?
        .ok_or_else(|| ApiError::invalid(key, "Required field."))?;
    let mut out = Vec::new();
    for (i, m) in list.iter().enumerate() {
        let entity = m.get("entity");
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
        let kind = text(entity.and_then(|e| e.get("type"))).ok_or_else(|| {
            ApiError::invalid(&format!("{key}[{i}].entity.type"), "Required field.")
        })?;
        let code = text(entity.and_then(|e| e.get("code"))).ok_or_else(|| {
            ApiError::invalid(&format!("{key}[{i}].entity.code"), "Required field.")
        })?;
        let flag = |name: &str| -> Result<bool, ApiError> {
            match m.get(name) {
                None | Some(Value::Null) => Ok(false),
                Some(Value::Bool(b)) => Ok(*b),
                Some(Value::String(s)) if s == "true" || s == "false" => Ok(s == "true"),
                Some(_) => Err(ApiError::invalid(
                    &format!("{key}[{i}].{name}"),
                    "Enter true or false.",
                )),
            }
        };
        out.push(MemberEntry {
            entity_type: kind,
            code,
            is_admin: flag("isAdmin")?,
            include_subs: flag("includeSubs")?,
        });
    }
    Ok(out)
}

/// `PUT space/members.json {id, members}`.
pub fn update_members(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let id = p.i64("id")?;
    let members = parse_members(p, "members")?;
    store::update_members(call.conn, call.acting, id, &members)?;
    Ok(json!({}))
}

/// `POST space/thread.json {space, name}` → `{id}`.
pub fn add_thread(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let space = p.i64("space")?;
    let name = p
        .opt_str("name")?
        .ok_or_else(|| ApiError::invalid("name", "Required field."))?;
    let id = store::add_thread(call.conn, call.acting, space, &name)?;
    Ok(json!({"id": id.to_string()}))
}

/// `PUT space/thread.json {id, name?, body?}`.
pub fn update_thread(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let id = p.i64("id")?;
    let name = p.opt_str("name")?;
    let body = p.opt_str("body")?;
    store::update_thread(call.conn, call.acting, id, name.as_deref(), body.as_deref())?;
    Ok(json!({}))
}

/// `POST template/space.json {id, name, members, isPrivate?, isGuest?, fixedMember?}` → `{id}`.
pub fn add_from_template(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let template = p.i64("id")?;
    let input = templates::FromTemplate {
        name: p
            .opt_str("name")?
            .ok_or_else(|| ApiError::invalid("name", "Required field."))?,
        members: parse_members(p, "members")?,
        is_private: p.opt_bool("isPrivate")?,
        is_guest: p.opt_bool("isGuest")?,
        fixed_member: p.opt_bool("fixedMember")?,
    };
    let id = templates::create_from_template(call.conn, call.acting, template, input)?;
    Ok(json!({"id": id.to_string()}))
}

/// `POST app/move.json {app, space}` (`space: null` moves the app out of its space).
pub fn move_app(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = p.i64("app")?;
    let space = p.opt_i64("space")?;
    kumiki_engine::spaces::apps::move_app(call.conn, call.acting, app, space)?;
    Ok(json!({}))
}

/// `GET /api/spaces.json`: the spaces the caller may enter.
pub fn list_spaces(call: &mut Call, _p: &Params) -> Result<Value, ApiError> {
    let list = store::list_spaces(call.conn, call.acting)?;
    let out: Vec<Value> = list
        .iter()
        .map(|(s, m)| {
            json!({
                "id": s.id.to_string(),
                "name": s.name,
                "isPrivate": s.is_private,
                "isGuest": s.is_guest,
                "useMultiThread": s.use_multi_thread,
                "membership": membership_name(*m),
            })
        })
        .collect();
    Ok(json!({ "spaces": out }))
}

/// `POST /api/space.json {name, members?, isPrivate?, isGuest?, fixedMember?, useMultiThread?,
/// body?}` → `{id}`. Without `members` the creator is the only member and admin.
pub fn create_space(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let members = if p.get("members").is_some() {
        parse_members(p, "members")?
    } else {
        vec![MemberEntry {
            entity_type: sp::USER.into(),
            code: call.acting.user_code().to_owned(),
            is_admin: true,
            include_subs: false,
        }]
    };
    let create_app = p
        .opt_object("permissions")?
        .and_then(|m| m.get("createApp"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let id = store::create_space(
        call.conn,
        call.acting,
        NewSpace {
            name: p
                .opt_str("name")?
                .ok_or_else(|| ApiError::invalid("name", "Required field."))?,
            members,
            is_private: p.opt_bool("isPrivate")?.unwrap_or(false),
            is_guest: p.opt_bool("isGuest")?.unwrap_or(false),
            fixed_member: p.opt_bool("fixedMember")?.unwrap_or(false),
            use_multi_thread: p.opt_bool("useMultiThread")?.unwrap_or(false),
            create_app,
            body: p.opt_str("body")?.unwrap_or_default(),
            threads: Vec::new(),
            first_thread: None,
        },
    )?;
    Ok(json!({"id": id.to_string()}))
}

/// `GET /api/space/templates.json` → `{templates[{id, name, creator, createdAt}]}`.
pub fn list_templates(call: &mut Call, _p: &Params) -> Result<Value, ApiError> {
    let rows = templates::list_templates(call.conn, call.acting)?;
    let mut out = Vec::new();
    for t in &rows {
        out.push(json!({
            "id": t.id.to_string(),
            "name": t.name,
            "creator": user_json(call, &t.creator)?,
            "createdAt": iso(t.created_at),
        }));
    }
    Ok(json!({ "templates": out }))
}

/// `POST /api/space/template.json {space, name}` → `{id}`: saves a space as a template.
pub fn create_template(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let space = p.i64("space")?;
    let name = p
        .opt_str("name")?
        .ok_or_else(|| ApiError::invalid("name", "Required field."))?;
    let id = templates::create_template(call.conn, call.acting, space, &name)?;
    Ok(json!({"id": id.to_string()}))
}

/// `POST /api/space/join.json {id}` / `POST /api/space/leave.json {id}`.
pub fn join(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    store::join(call.conn, call.acting, p.i64("id")?)?;
    Ok(json!({}))
}

pub fn leave(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    store::leave(call.conn, call.acting, p.i64("id")?)?;
    Ok(json!({}))
}
