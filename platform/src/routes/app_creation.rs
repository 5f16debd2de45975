//! Who may create apps and import packages (`/api/admin/app-creation.json`, docs/api.md "App
//! creation"):
//! - `GET` → `{mode: everyone|listed|administrators, users[], departments[], groups[]}` for any
//!   signed-in user (the portal may tell a user why they cannot create apps); API tokens `CB_NO02`;
//! - `PUT` the same shape, administrators only (`CB_NO02` otherwise), audited as
//!   `app.creation.update`. Listed entities must exist (`CB_VA01`).

use kumiki_engine::acl::Principal;
use kumiki_engine::apps::{AppCreationPolicy, CreationMode};
use serde_json::{json, Value};

use super::call::Call;
use crate::error::ApiError;
use crate::params::Params;

fn policy_json(p: &AppCreationPolicy) -> Value {
    json!(p)
}

/// `GET /api/admin/app-creation.json`.
pub fn get_policy(call: &mut Call, _p: &Params) -> Result<Value, ApiError> {
    if matches!(call.caller.principal, Principal::Tokens(_)) {
        return Err(ApiError::no_privilege());
    }
    Ok(policy_json(&AppCreationPolicy::load(call.conn)?))
}

/// `PUT /api/admin/app-creation.json {mode, users?, departments?, groups?}`.
pub fn put_policy(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    if !matches!(
        call.caller.principal,
        Principal::User { is_admin: true, .. }
    ) {
        return Err(ApiError::no_privilege());
    }
    let mode = match p.opt_str("mode")?.as_deref() {
        Some("everyone") => CreationMode::Everyone,
        Some("listed") => CreationMode::Listed,
        Some("administrators") => CreationMode::Administrators,
        Some(_) => {
            return Err(ApiError::invalid(
                "mode",
                "Enter everyone, listed or administrators.",
            ))
        }
        None => return Err(ApiError::invalid("mode", "Required field.")),
    };
    let list = |key: &str| -> Result<Vec<String>, ApiError> {
        Ok(if mode == CreationMode::Listed {
            p.opt_str_list(key)?
                .unwrap_or_default()
                .into_iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        } else {
            Vec::new()
        })
    };
    let new = AppCreationPolicy {
        mode,
        users: list("users")?,
        departments: list("departments")?,
        groups: list("groups")?,
    };
    let old = AppCreationPolicy::load(call.conn)?;
    new.save(call.conn)?;
    call.audit(
        kumiki_engine::audit::action::APP_CREATION_UPDATE,
        "server:appCreation",
        json!({"old": policy_json(&old), "new": policy_json(&new)}),
    )?;
    Ok(policy_json(&new))
}
