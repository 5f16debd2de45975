//! Packages of several linked apps (docs/packages.md "Several apps, roles and references"):
//! - `POST /api/packages/export.json {apps: [ids], withRecords?, sign?, packageId?, version?}` →
//!   the bundle (`kumiki-apps/1`), with `"package": {id, version}` when either is given (for
//!   upgrades, docs/packages.md "Upgrades"), signed with this installation's key when `sign`;
//!   app management on every app (with records also record export), audited as `app.export`;
//! - `POST /api/packages/plan.json {package}` → what importing it would do (apps, roles with local
//!   suggestions, app-code conflicts, review); app creation right;
//! - `POST /api/packages/import.json {package, mapping: {role: localCode}, withRecords?,
//!   allowDowngrade?}` → `{apps: [{key, app}], upgrade?: {package, from, to, apps}}`; a newer
//!   version of an installed package upgrades its apps; every app or none (the call's transaction).
//! - `POST /api/packages/from-kintone.json {apps: {"12": {"form/fields.json": {...}, ...}}}` → the
//!   bundle that kintone app files describe (`warnings` lists what is not carried), to plan and
//!   import as above; app creation right.

use std::collections::{BTreeMap, HashMap};

use kumiki_engine::apps::AppId;
use kumiki_engine::packages::{
    export_bundle, import_bundle_with, plan_import, upgrade, ImportOptions,
};
use serde_json::{json, Value};

use super::call::Call;
use crate::error::ApiError;
use crate::params::Params;

/// `POST /api/packages/export.json`.
pub fn export(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let ids = p
        .opt_i64_list("apps")?
        .ok_or_else(|| ApiError::invalid("apps", "Required field."))?;
    let ids: Vec<AppId> = ids
        .into_iter()
        .map(|id| {
            id.map(AppId)
                .ok_or_else(|| ApiError::invalid("apps", "Enter app ids."))
        })
        .collect::<Result<_, _>>()?;
    let with_records = p.opt_bool("withRecords")?.unwrap_or(false);
    let sign = p.opt_bool("sign")?.unwrap_or(false);
    let package_id = p.opt_str("packageId")?;
    let version = p.opt_str("version")?;
    let mut bundle = export_bundle(
        call.conn,
        &call.state.files,
        call.acting,
        &ids,
        with_records,
    )?;
    upgrade::set_identity(
        &mut bundle,
        package_id.as_deref(),
        version.as_deref(),
        call.acting.now(),
    )?;
    if sign {
        kumiki_engine::package_signing::keys::sign_package(call.conn, call.acting, &mut bundle)?;
    }
    let list: Vec<String> = ids.iter().map(|a| a.0.to_string()).collect();
    call.audit(
        kumiki_engine::audit::action::APP_EXPORT,
        &format!("apps:{}", list.join(",")),
        json!({"withRecords": with_records, "apps": list, "signed": sign,
               "package": bundle.get(upgrade::IDENTITY)}),
    )?;
    Ok(bundle)
}

fn package<'a>(p: &'a Params) -> Result<&'a Value, ApiError> {
    match p.get("package") {
        Some(v @ Value::Object(_)) => Ok(v),
        Some(_) => Err(ApiError::invalid("package", "Enter an object.")),
        None => Err(ApiError::invalid("package", "Required field.")),
    }
}

/// `POST /api/packages/plan.json`.
pub fn plan(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    Ok(plan_import(call.conn, package(p)?, call.acting)?)
}

/// The `mapping` parameter (role → local code) of an import.
pub(super) fn mapping_of(p: &Params) -> Result<HashMap<String, String>, ApiError> {
    let mut mapping = HashMap::new();
    for (role, code) in p.opt_object("mapping")?.into_iter().flatten() {
        match code {
            Value::String(c) if !c.trim().is_empty() => {
                mapping.insert(role.clone(), c.trim().to_owned());
            }
            // An empty choice leaves the role unmapped (fine for an optional one).
            Value::String(_) | Value::Null => {}
            _ => return Err(ApiError::invalid("mapping", "Enter role → code strings.")),
        }
    }
    Ok(mapping)
}

/// `POST /api/packages/import.json`.
pub fn import(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let package = package(p)?;
    let mapping = mapping_of(p)?;
    let options = ImportOptions {
        with_records: p.opt_bool("withRecords")?.unwrap_or(false),
        allow_downgrade: p.opt_bool("allowDowngrade")?.unwrap_or(false),
    };
    let upgraded = upgrade::upgrade_of(call.conn, package)?;
    let created = import_bundle_with(
        call.conn,
        &call.state.files,
        package,
        &mapping,
        call.acting,
        options,
    )?;
    let apps: Vec<Value> = created
        .iter()
        .map(|(key, id)| json!({"key": key, "app": id.0.to_string()}))
        .collect();
    let mut out = json!({ "apps": apps });
    if let Some(u) = upgraded {
        out["upgrade"] = u;
    }
    Ok(out)
}

/// `POST /api/packages/from-kintone.json`.
pub fn from_kintone(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let apps = p
        .opt_object("apps")?
        .ok_or_else(|| ApiError::invalid("apps", "Required field."))?;
    let mut input = BTreeMap::new();
    for (id, files) in apps {
        let Value::Object(files) = files else {
            return Err(ApiError::invalid(
                &format!("apps.{id}"),
                "Enter an object of file path → JSON.",
            ));
        };
        let files = files
            .iter()
            .map(|(path, doc)| {
                (
                    kumiki_engine::packages::kintone_files::normalize_path(path),
                    doc.clone(),
                )
            })
            .collect();
        input.insert(id.clone(), files);
    }
    Ok(kumiki_engine::packages::from_kintone(
        call.conn,
        call.acting,
        &input,
    )?)
}
