//! The server-wide review policy and the reviewers' queue (`/api/review/...`, docs/api.md "App
//! review"):
//! - `GET /api/review/policy.json` → `{mode, departments[{code, name}]}` for any signed-in user (a
//!   builder may learn why an app needs review); `PUT` `{mode: off|all|departments, departments[]}`
//!   for administrators only (`CB_NO02` otherwise), audited as `review.policy.update`;
//! - `GET /api/review/queue.json` → `{submissions[{…submission, appName, current, summary[{section,
//!   count}]}]}`: the latest pending submission of every app outside guest spaces, oldest first, for
//!   reviewers only (`CB_NO02` otherwise).

use kumiki_engine::acl::Principal;
use kumiki_engine::audit::action;
use kumiki_engine::org::find_department;
use kumiki_engine::review;
use kumiki_engine::review::policy::{self, PolicyMode, ReviewPolicy};
use serde_json::{json, Value};

use super::call::Call;
use crate::error::ApiError;
use crate::params::Params;

fn policy_json(call: &mut Call, p: &ReviewPolicy) -> Result<Value, ApiError> {
    let mut departments = Vec::new();
    for code in &p.departments {
        let name = find_department(call.conn, code)?
            .map(|d| d.name)
            .unwrap_or_else(|| code.clone());
        departments.push(json!({"code": code, "name": name}));
    }
    Ok(json!({"mode": p.mode.as_str(), "departments": departments}))
}

/// `GET /api/review/policy.json`.
pub fn get_policy(call: &mut Call, _p: &Params) -> Result<Value, ApiError> {
    if matches!(call.caller.principal, Principal::Tokens(_)) {
        return Err(ApiError::no_privilege());
    }
    let p = policy::load(call.conn)?;
    policy_json(call, &p)
}

/// `PUT /api/review/policy.json {mode, departments}`.
pub fn put_policy(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    if !matches!(
        call.caller.principal,
        Principal::User { is_admin: true, .. }
    ) {
        return Err(ApiError::no_privilege());
    }
    let mode = p
        .opt_str("mode")?
        .ok_or_else(|| ApiError::invalid("mode", "Required field."))?;
    let mode = PolicyMode::parse(&mode)
        .ok_or_else(|| ApiError::invalid("mode", "Enter off, all or departments."))?;
    let departments = p.opt_str_list("departments")?.unwrap_or_default();
    let (old, new) = policy::save(
        call.conn,
        ReviewPolicy {
            mode,
            departments: if mode == PolicyMode::Departments {
                departments
            } else {
                Vec::new()
            },
        },
    )?;
    call.audit(
        action::REVIEW_POLICY_UPDATE,
        "review:policy",
        json!({
            "old": {"mode": old.mode.as_str(), "departments": old.departments},
            "new": {"mode": new.mode.as_str(), "departments": new.departments},
        }),
    )?;
    policy_json(call, &new)
}

/// `GET /api/review/queue.json`.
pub fn queue(call: &mut Call, _p: &Params) -> Result<Value, ApiError> {
    if !review::is_reviewer(&call.caller.principal) || call.guest_space().is_some() {
        return Err(ApiError::no_privilege());
    }
    let mut out = Vec::new();
    for entry in review::queue::entries(call.conn)? {
        let mut s = super::review::submission_json(call, &entry.submission, entry.current)?;
        if let Value::Object(m) = &mut s {
            m.insert("appName".into(), Value::String(entry.app_name));
            m.insert(
                "summary".into(),
                Value::Array(
                    entry
                        .summary
                        .iter()
                        .map(|(section, count)| json!({"section": section, "count": count}))
                        .collect(),
                ),
            );
        }
        out.push(s);
    }
    Ok(json!({"submissions": out}))
}
