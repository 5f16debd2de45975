//! `GET /api/directory.json` → `{users: [{code, name}], departments: [{code, name, parentCode,
//! depth}], groups: [{code, name}]}`: who can be named in settings — the people, departments (in
//! tree order) and groups a settings page's picker searches by partial name. kintone's pickers show
//! every signed-in user the organisation's names; the administration lists (`/api/org/...`, with
//! memberships and flags) stay with administrators. Disabled users are left out: they can no longer
//! act. Signed-in users only: an API token belongs to an app, not to someone who picks people.

use kumiki_engine::org;
use kumiki_engine::users::User;
use serde_json::{json, Value};

use super::call::Call;
use crate::error::ApiError;
use crate::params::Params;

/// The handler (dispatched as `kumiki/directory`).
pub fn directory(call: &mut Call, _p: &Params) -> Result<Value, ApiError> {
    if call.caller.principal.is_token() {
        return Err(ApiError::no_privilege());
    }
    // Issue 13, guests: a guest sees only the members of its guest space, and no departments or
    // groups (docs/guests.md G5).
    let people = call.acting.visible_people(call.conn)?;
    let users: Vec<Value> = User::list(call.conn)?
        .into_iter()
        .filter(|u| u.is_active)
        .filter(|u| people.allows(&u.code, u.is_guest))
        .map(|u| json!({"code": u.code, "name": u.name}))
        .collect();
    if !people.hosts {
        return Ok(json!({"users": users, "departments": [], "groups": []}));
    }
    let departments: Vec<Value> = org::department_tree(call.conn)?
        .into_iter()
        .map(|n| {
            json!({
                "code": n.department.code,
                "name": n.department.name,
                "parentCode": n.department.parent_code,
                "depth": n.depth.to_string(),
            })
        })
        .collect();
    let groups: Vec<Value> = org::list_groups(call.conn)?
        .into_iter()
        .map(|g| json!({"code": g.code, "name": g.name}))
        .collect();
    Ok(json!({"users": users, "departments": departments, "groups": groups}))
}
