//! Signed app packages and the trust list (issue 17 part 4, docs/packages.md "API"):
//! - `GET /api/app/package.json?app=N&sign=true&withRecords=false` → the package (Manage on the
//!   app; Export too with records), signed with this installation's key when `sign`;
//! - `POST /api/packages/verify.json {package}` (or the package itself as the body) →
//!   `{status, ...}`: `unsigned`, `trusted` (with the trust list's `name`), `unknown`, `invalid`;
//!   any signed-in user;
//! - `GET|POST|DELETE /api/packages/trust.json`, `PUT /api/packages/key.json {name}`: the trust
//!   list and this body's name, system administrators only (checked in the engine).
//!
//! Handlers only translate; the use cases are in `kumiki_engine::package_signing`.

use kumiki_engine::apps::AppId;
use kumiki_engine::package_signing::{flows, keys, trust};
use serde_json::{json, Value};

use super::call::Call;
use crate::error::ApiError;
use crate::params::Params;

/// `GET /api/app/package.json`.
pub fn export(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = p.i64("app")?;
    let sign = p.opt_bool("sign")?.unwrap_or(false);
    let with_records = p.opt_bool("withRecords")?.unwrap_or(false);
    let files = &call.state.files;
    Ok(flows::export(
        call.conn,
        files,
        call.acting,
        AppId(app),
        with_records,
        sign,
    )?)
}

/// The package of a verify or add call: `package` when given, else the body itself.
fn package_of<'p>(p: &'p Params) -> &'p Value {
    p.get("package").unwrap_or(p.0)
}

/// `POST /api/packages/verify.json`.
pub fn verify(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let status = trust::status(call.conn, package_of(p))?;
    serde_json::to_value(status)
        .map_err(|e| kumiki_engine::EngineError::Internal(format!("json: {e}")).into())
}

fn list_answer(call: &mut Call) -> Result<Value, ApiError> {
    let keys = trust::list(call.conn, call.acting)?;
    let own = keys::own_key(call.conn)?;
    Ok(json!({"keys": keys, "own": own}))
}

/// `GET /api/packages/trust.json` → `{keys: [...], own: {name, fingerprint, publicKey}}`.
pub fn list(call: &mut Call, _p: &Params) -> Result<Value, ApiError> {
    list_answer(call)
}

/// `POST /api/packages/trust.json {name, publicKey}` or `{name?, package}` (the key that signed
/// the package) → `{key}`.
pub fn add(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let name = p.opt_str("name")?;
    let key = match p.get("package") {
        Some(package) => trust::add_from_package(call.conn, call.acting, name.as_deref(), package)?,
        None => {
            let public_key = p.opt_str("publicKey")?.unwrap_or_default();
            trust::add(
                call.conn,
                call.acting,
                name.as_deref().unwrap_or_default(),
                &public_key,
            )?
        }
    };
    Ok(json!({"key": key}))
}

/// `DELETE /api/packages/trust.json {fingerprint}` → `{}`.
pub fn remove(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let print = p.opt_str("fingerprint")?.unwrap_or_default();
    trust::remove(call.conn, call.acting, &print)?;
    Ok(json!({}))
}

/// `PUT /api/packages/key.json {name}` → `{own}`: the body's name written into signatures.
pub fn set_name(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let name = p.opt_str("name")?.unwrap_or_default();
    let own = keys::set_signer_name(call.conn, call.acting, &name)?;
    Ok(json!({"own": own}))
}
