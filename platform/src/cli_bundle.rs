//! `kumiki app import` of a bundle and `kumiki app import-kintone`: the shared import of a
//! `kumiki-apps/1` bundle from the command line, with `--map ROLE=CODE` and roles left out taking
//! the local entity with the same code.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use kumiki_engine::acting::ActingContext;
use kumiki_engine::apps::AppId;
use kumiki_engine::db::Database;
use kumiki_engine::package_signing::{self, trust::SignatureStatus};
use kumiki_engine::packages::{import_bundle, kintone_read, plan_import};
use kumiki_engine::records::FileStore;
use serde_json::Value;

/// `--map ROLE=CODE` pairs as a mapping.
fn mapping_of(map: &[String]) -> anyhow::Result<HashMap<String, String>> {
    let mut mapping = HashMap::new();
    for pair in map {
        let (role, code) = pair
            .split_once('=')
            .with_context(|| format!("--map {pair}: write ROLE=CODE"))?;
        mapping.insert(role.trim().to_owned(), code.trim().to_owned());
    }
    Ok(mapping)
}

/// Imports `package` (a bundle) in one transaction; returns each app's key and new id, with the
/// signature status.
pub fn import(
    db: &Database,
    files: &FileStore,
    package: &Value,
    map: &[String],
    acting: &ActingContext,
    with_records: bool,
) -> anyhow::Result<(Vec<(String, AppId)>, SignatureStatus)> {
    let mut mapping = mapping_of(map)?;
    let mut conn = db.conn()?;
    conn.write_transaction(|c| {
        // A tampered or wrongly signed bundle is refused before anything is written.
        let status = package_signing::trust::check_for_import(c, package)?;
        // Roles not named on the command line take a local entity of the same code.
        let plan = plan_import(c, package, acting)?;
        for role in plan["roles"].as_array().into_iter().flatten() {
            let name = role["role"].as_str().unwrap_or_default();
            let same = role["suggestions"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|s| s["match"] == "code");
            if let (false, Some(s)) = (mapping.contains_key(name), same) {
                let code = s["code"].as_str().unwrap_or_default().to_owned();
                mapping.insert(name.to_owned(), code);
            }
        }
        let created = import_bundle(c, files, package, &mapping, acting, with_records)?;
        Ok::<_, kumiki_engine::EngineError>((created, status))
    })
    .map_err(crate::explain)
}

/// `kumiki app import-kintone <folder>`: converts the folder, prints what is not carried (standard
/// error) and imports; prints `key id` per app.
pub fn import_kintone(
    db: &Database,
    files: &FileStore,
    folder: &Path,
    map: &[String],
    acting: &ActingContext,
) -> anyhow::Result<()> {
    let apps = kintone_read::read_folder(folder).map_err(crate::explain)?;
    let bundle = {
        let mut conn = db.conn()?;
        kumiki_engine::packages::from_kintone(&mut conn, acting, &apps).map_err(crate::explain)?
    };
    for w in bundle["warnings"].as_array().into_iter().flatten() {
        eprintln!(
            "warning: app {}: {}",
            w["app"].as_str().unwrap_or_default(),
            w["text"].as_str().unwrap_or_default()
        );
    }
    let (created, _) = import(db, files, &bundle, map, acting, false)?;
    for (key, id) in created {
        println!("{key} {}", id.0);
    }
    Ok(())
}
