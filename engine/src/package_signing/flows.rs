//! The export and import use cases with signatures, shared by the CLI, the API and the pages:
//! export (optionally signed, audited as `app.export` with `signed`), and import after the
//! signature check (a tampered package is refused before anything is written). They wrap
//! `crate::packages` without changing it, so every package format it learns is signed the same way.

use serde_json::{json, Value};

use super::keys::sign_package;
use super::trust::{check_for_import, SignatureStatus};
use crate::acting::ActingContext;
use crate::apps::AppId;
use crate::audit::action;
use crate::db::DbConn;
use crate::error::EngineResult;
use crate::packages::{export_package, import_package, FileSource};
use crate::records::FileStore;

/// Exports `app` as a package (the caller needs Manage, and Export for records), signs it with this
/// installation's key when `sign`, and writes the `app.export` audit row.
pub fn export(
    conn: &mut DbConn,
    files: &FileStore,
    acting: &ActingContext,
    app: AppId,
    with_records: bool,
    sign: bool,
) -> EngineResult<Value> {
    let mut package = export_package(conn, files, acting, app, with_records)?;
    if sign {
        sign_package(conn, acting, &mut package)?;
    }
    acting.audit(
        conn,
        action::APP_EXPORT,
        &format!("app:{}", app.0),
        json!({"withRecords": with_records, "signed": sign}),
    )?;
    Ok(package)
}

/// Imports `package` after checking its signature: a tampered or wrongly signed package is refused
/// (`packages.tampered`) and nothing is written; otherwise the app is created as
/// `packages::import_package` does and the signature status is returned for the importer to see.
pub fn import(
    conn: &mut DbConn,
    files: &FileStore,
    package: &Value,
    source: &mut dyn FileSource,
    acting: &ActingContext,
    with_records: bool,
) -> EngineResult<(AppId, SignatureStatus)> {
    let status = check_for_import(conn, package)?;
    let id = import_package(conn, files, package, source, acting, with_records)?;
    Ok((id, status))
}
