//! Issue 17 part 5, the template gallery's API (docs/gallery.md):
//! - `GET /api/gallery/templates.json` → `{templates: [{key, name, description, fields, records,
//!   picture, local, states, views, charts, roles}]}` for every signed-in user who is not a guest;
//! - `GET /api/gallery/template.json?key=` → one template with `fieldList`, `columns`, `rows`;
//! - `POST /api/gallery/apps.json {template, withRecords, mapping?}` → `{app, live}`: creates an app
//!   (the right to create apps, as on the portal; `GAIA_RV01` when the app must pass review before
//!   records); a template with `roles` needs `mapping` (role → local code) as a package import does;
//! - `POST /api/gallery/packages.json {package, name?, description?}` → `{id, key}` and
//!   `DELETE /api/gallery/packages.json {id}`: the local gallery, administrators only (`CB_NO02`).

use serde_json::{json, Value};

use super::call::Call;
use crate::error::ApiError;
use crate::gallery;
use crate::params::Params;

/// `{templates: [...]}`.
pub fn list_templates(call: &mut Call, _p: &Params) -> Result<Value, ApiError> {
    let list = gallery::list(call.conn, call.acting)?;
    Ok(json!({ "templates": list }))
}

/// One template's preview.
pub fn get_template(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let key = p
        .opt_str("key")?
        .ok_or_else(|| ApiError::invalid("key", "Required field."))?;
    let detail = gallery::find(call.conn, call.acting, &key)?
        .ok_or_else(|| ApiError::invalid("key", "The template does not exist."))?;
    let mut out = json!(detail.summary);
    out["fieldList"] = json!(detail.field_list);
    out["columns"] = json!(detail.columns);
    out["rows"] = json!(detail.rows);
    Ok(out)
}

/// `{app, live}` of the app created from a template.
pub fn create_app(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let key = p
        .opt_str("template")?
        .ok_or_else(|| ApiError::invalid("template", "Required field."))?;
    let with_records = p.opt_bool("withRecords")?.unwrap_or(false);
    // A template naming roles needs them mapped, as `POST /api/packages/import.json` does.
    let mapping = super::packages::mapping_of(p)?;
    let created = gallery::create(
        call.conn,
        &call.state.files,
        call.acting,
        &key,
        with_records,
        &mapping,
    )?;
    Ok(json!({"app": created.app.0.to_string(), "live": created.live}))
}

/// `{id, key}` of the package added to the local gallery.
pub fn add_package(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let package = match p.get("package") {
        Some(Value::String(text)) => serde_json::from_str(text)
            .map_err(|_| ApiError::invalid("package", "The package is not valid JSON."))?,
        Some(v @ Value::Object(_)) => v.clone(),
        _ => return Err(ApiError::invalid("package", "Required field.")),
    };
    let name = p.opt_str("name")?.unwrap_or_default();
    let description = p.opt_str("description")?.unwrap_or_default();
    let id = kumiki_engine::gallery::add(call.conn, call.acting, &name, &description, &package)?;
    Ok(json!({"id": id.to_string(), "key": format!("local-{id}")}))
}

/// `{}` after removing a package from the local gallery.
pub fn remove_package(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    kumiki_engine::gallery::remove(call.conn, call.acting, p.i64("id")?)?;
    Ok(json!({}))
}
