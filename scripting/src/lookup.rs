//! Finding apps from a script: `app_id()` (the script's own app, e.g. to look for a duplicate
//! number among its records) and `app_id_of(name)` (another app by its live name, so an example
//! such as "copy approved documents into 文書書庫" works whatever id the archive got on import).
//! `app_id_of` sees only apps the acting user may view through the script's path, and answers the
//! lowest id when names repeat; no such app is an error the script may catch.

use std::sync::Arc;

use kumiki_engine::acl::{check_app_access, AppRight};
use rhai::{Engine, EvalAltResult, INT};
use serde_json::{json, Value};

use crate::host::{Host, HostCall, HostError};
use crate::worker::RunState;

/// A lookup a script asks the transaction thread for.
#[derive(Debug, Clone)]
pub enum LookupCall {
    CurrentApp,
    AppByName(String),
}

/// Registers `app_id()` and `app_id_of(name)` on an engine (called from `api::register`).
pub fn register(engine: &mut Engine, state: &Arc<RunState>) {
    let s = state.clone();
    engine.register_fn("app_id", move || -> Result<INT, Box<EvalAltResult>> {
        let id = s.call(HostCall::Lookup(LookupCall::CurrentApp))?;
        id.as_int().map_err(|_| "app_id: no app".into())
    });
    let s = state.clone();
    engine.register_fn(
        "app_id_of",
        move |name: &str| -> Result<INT, Box<EvalAltResult>> {
            let id = s.call(HostCall::Lookup(LookupCall::AppByName(name.to_owned())))?;
            id.as_int().map_err(|_| "app_id_of: no app".into())
        },
    );
}

/// Serves a lookup on the transaction thread (from `Host::serve`).
pub fn serve(host: &mut Host, call: LookupCall) -> Result<Value, HostError> {
    match call {
        LookupCall::CurrentApp => Ok(json!(host.app.row.id)),
        LookupCall::AppByName(name) => {
            // The first app of that name the acting user may view through the script's path.
            for app in host.acting.visible_apps(host.conn)? {
                let named = app.definition.as_ref().is_some_and(|d| d.name == name);
                if named && check_app_access(&app.access, AppRight::View).is_ok() {
                    return Ok(json!(app.row.id));
                }
            }
            Err(HostError::User(format!(
                "app_id_of: no app named {name} that you may view"
            )))
        }
    }
}
