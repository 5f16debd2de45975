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
use kumiki_engine::packages::{
    import_bundle_with, kintone_read, plan_import, upgrade, ImportOptions,
};
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

/// What a command-line import did: each app's key and id, the signature status and, when the
/// bundle was a newer version of an installed package, the upgrade summary.
pub struct Imported {
    pub created: Vec<(String, AppId)>,
    pub status: SignatureStatus,
    pub upgraded: Option<Value>,
}

/// Imports `package` (a bundle) in one transaction.
pub fn import(
    db: &Database,
    files: &FileStore,
    package: &Value,
    map: &[String],
    acting: &ActingContext,
    options: ImportOptions,
) -> anyhow::Result<Imported> {
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
        let upgraded = upgrade::upgrade_of(c, package)?;
        let created = import_bundle_with(c, files, package, &mapping, acting, options)?;
        Ok::<_, kumiki_engine::EngineError>(Imported {
            created,
            status,
            upgraded,
        })
    })
    .map_err(crate::explain)
}

/// The line `kumiki app import` prints when a bundle upgraded an installed package.
pub fn upgrade_line(upgrade: &Value) -> String {
    let keys: Vec<&str> = upgrade["apps"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["key"].as_str())
        .collect();
    format!(
        "upgraded package {} from {} to {}: {}",
        upgrade["package"].as_str().unwrap_or_default(),
        upgrade["from"].as_str().unwrap_or_default(),
        upgrade["to"].as_str().unwrap_or_default(),
        keys.join(", ")
    )
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
    let options = ImportOptions {
        with_records: false,
        allow_downgrade: false,
    };
    for (key, id) in import(db, files, &bundle, map, acting, options)?.created {
        println!("{key} {}", id.0);
    }
    Ok(())
}
