//! The server-wide IP allowlist (`/api/security/allowlist.json`, docs/api.md "IP allowlist"),
//! administrators only (`CB_NO02` otherwise):
//! - `GET` → `{enabled, entries[], yourAddress}`: the list and the caller's address as the server
//!   sees it (behind trusted proxies, the client they name);
//! - `PUT {enabled, entries[]}` → the same: entries are addresses or CIDR ranges (blank lines and
//!   `# comments` dropped). Switching the list on is refused (`CB_VA01` on `entries`) when it would
//!   shut out the administrator saving it, or when it is empty. Audited as
//!   `security.allowlist.update`; every node applies it within seconds (`crate::edge`).

use kumiki_engine::acl::Principal;
use kumiki_engine::allowlist::{self, Allowlist};
use kumiki_engine::audit::action;
use kumiki_engine::error::{FieldErrors, Message};
use kumiki_engine::UserError;
use serde_json::{json, Value};

use super::call::Call;
use crate::error::ApiError;
use crate::params::Params;

fn admin_only(call: &Call) -> Result<(), ApiError> {
    match call.caller.principal {
        Principal::User { is_admin: true, .. } => Ok(()),
        _ => Err(ApiError::no_privilege()),
    }
}

fn answer(call: &Call, list: &Allowlist) -> Value {
    json!({
        "enabled": list.enabled,
        "entries": list.entries,
        "yourAddress": call.caller.peer,
    })
}

/// `GET /api/security/allowlist.json`.
pub fn get(call: &mut Call, _p: &Params) -> Result<Value, ApiError> {
    admin_only(call)?;
    let list = allowlist::load(call.conn)?;
    Ok(answer(call, &list))
}

/// `PUT /api/security/allowlist.json {enabled, entries}`.
pub fn put(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    admin_only(call)?;
    let enabled = p.opt_bool("enabled")?.unwrap_or(false);
    let entries = p.opt_str_list("entries")?.unwrap_or_default();
    let list = Allowlist::normalised(enabled, &entries)?;
    let own = call.caller.peer.parse().ok();
    if list.enabled && !list.matcher().permits(own) {
        let mut errors = FieldErrors::new();
        errors.insert(
            "entries".into(),
            vec![Message::keyed(
                "allowlist.locks_you_out",
                format!(
                    "Your own address ({}) is not in the list: saving it would shut you out. Add it first.",
                    call.caller.peer
                ),
            )
            .arg("address", call.caller.peer.clone())],
        );
        return Err(UserError::Validation(errors).into());
    }
    let old = allowlist::save(call.conn, &list)?;
    call.audit(
        action::ALLOWLIST_UPDATE,
        "security:allowlist",
        json!({
            "old": {"enabled": old.enabled, "entries": old.entries},
            "new": {"enabled": list.enabled, "entries": list.entries},
        }),
    )?;
    call.state.allowlist.invalidate();
    Ok(answer(call, &list))
}
