//! The steps of an import for one user, as the API and pages call them: open an uploaded file
//! (format, encoding, sheets, headers, suggested mapping, preview, first report), change the
//! settings (a new report), run it (all or nothing: the records and the import's `done` state in
//! the caller's one transaction), and read its state. Rights are checked by `apply` each time.

use serde::Deserialize;
use serde_json::{json, Value};

use super::apply::{self, ImportSettings, Report};
use super::read::{self, Encoding, Table};
use super::store::{self, state, Check, ImportRow, NewImport};
use crate::acting::ActingContext;
use crate::apps::AppId;
use crate::db::DbConn;
use crate::error::{EngineResult, Message, UserError};
use crate::records::FileStore;

/// Rows shown in the preview.
const PREVIEW_ROWS: usize = 5;
/// Largest file imported (the file upload's own limit may be lower).
pub const MAX_IMPORT_BYTES: u64 = 20 * 1024 * 1024;

/// What the caller may change: all optional (the stored or detected value stays).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Choices {
    pub encoding: Option<String>,
    pub sheet: Option<String>,
    pub settings: Option<ImportSettings>,
}

fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
}

fn read_bytes(files: &FileStore, storage: &str) -> EngineResult<Vec<u8>> {
    let path = files.path_of(storage);
    let size = std::fs::metadata(&path)?.len();
    if size > MAX_IMPORT_BYTES {
        return Err(UserError::invalid(
            "file",
            Message::keyed("import.err.too_large", "The file is too large to import.")
                .arg("limit", (MAX_IMPORT_BYTES / (1024 * 1024)).to_string()),
        )
        .into());
    }
    Ok(std::fs::read(path)?)
}

/// A read table, the encoding and sheet used, and the workbook's sheets.
type Loaded = (Table, Option<Encoding>, Option<String>, Vec<String>);

/// Reads the table with the chosen (or detected) encoding and sheet; returns it with the
/// encoding and sheet used and the workbook's sheets.
fn load(bytes: &[u8], encoding: Option<&str>, sheet: Option<&str>) -> EngineResult<Loaded> {
    if is_xlsx(bytes) {
        let sheets = read::xlsx_sheets(bytes)?;
        let chosen = sheet.map(str::to_owned).or_else(|| sheets.first().cloned());
        let table = read::read_xlsx(bytes, chosen.as_deref())?;
        Ok((table, None, chosen, sheets))
    } else {
        let enc = encoding
            .and_then(Encoding::parse)
            .unwrap_or_else(|| read::detect_encoding(bytes));
        Ok((read::read_csv(bytes, enc)?, Some(enc), None, Vec::new()))
    }
}

fn view(row: &ImportRow, table: &Table, sheets: &[String], report: &Report) -> Value {
    let settings = row.settings();
    json!({
        "id": row.id.to_string(),
        "app": row.app_id.to_string(),
        "state": row.state,
        "fileName": row.file_name,
        "format": row.format,
        "encoding": row.encoding,
        "sheet": row.sheet,
        "sheets": sheets,
        "headers": table.headers,
        "mapping": settings.mapping,
        "mode": settings.mode,
        "key": settings.key,
        "rows": table.rows.len(),
        "preview": table.rows.iter().take(PREVIEW_ROWS).map(|r| json!({"line": r.line, "cells": r.cells})).collect::<Vec<_>>(),
        "report": store::report_json(report),
    })
}

/// Opens the file `file_key` (uploaded by the acting user through `file.json`) for an import into
/// `app`: suggests a mapping and checks it.
pub fn open(
    conn: &mut DbConn,
    acting: &ActingContext,
    files: &FileStore,
    app: AppId,
    file_key: &str,
    choices: &Choices,
) -> EngineResult<Value> {
    // An import runs later as the user who opened it (a job acts for a user, never for API
    // tokens, whose writes are attributed to Administrator).
    if !matches!(acting.principal(), crate::acl::Principal::User { .. }) {
        return Err(UserError::Forbidden.into());
    }
    let live = acting.open_app(conn, app, crate::acl::AppRight::Import)?;
    let storage = crate::surveys::answers::fresh_upload(conn, acting.user_code(), file_key)?;
    let meta = crate::records::file_meta(conn, file_key)?;
    let bytes = read_bytes(files, &storage)?;
    let (table, enc, sheet, sheets) = load(
        &bytes,
        choices.encoding.as_deref(),
        choices.sheet.as_deref(),
    )?;
    let settings = choices.settings.clone().unwrap_or_else(|| ImportSettings {
        mapping: apply::suggest_mapping(&live, &table.headers),
        ..ImportSettings::default()
    });
    let now = acting.now().timestamp();
    let id = store::create(
        conn,
        &NewImport {
            app_id: app.0,
            user_code: acting.user_code(),
            guest_space: acting.guest_space(),
            file_name: &meta.name,
            file_path: &storage,
            format: if enc.is_some() { "csv" } else { "xlsx" },
            encoding: enc.map(Encoding::as_str),
            sheet: sheet.as_deref(),
            settings: &settings,
        },
        now,
    )?;
    let report = apply::validate(conn, acting, app, &table, &settings)?;
    let total = i64::try_from(table.rows.len()).unwrap_or(i64::MAX);
    store::save_check(
        conn,
        id,
        &Check {
            encoding: enc.map(Encoding::as_str),
            sheet: sheet.as_deref(),
            settings: &settings,
            report: &report,
            total_rows: total,
        },
        now,
    )?;
    let row = store::find_own(conn, acting, id)?;
    Ok(view(&row, &table, &sheets, &report))
}

/// Changes an import's encoding, sheet or settings and checks it again.
pub fn change(
    conn: &mut DbConn,
    acting: &ActingContext,
    files: &FileStore,
    id: i64,
    choices: &Choices,
) -> EngineResult<Value> {
    let row = store::find_own(conn, acting, id)?;
    refuse_finished(&row)?;
    let bytes = read_bytes(files, &row.file_path)?;
    let encoding = choices.encoding.as_deref().or(row.encoding.as_deref());
    let sheet = choices.sheet.as_deref().or(row.sheet.as_deref());
    let (table, enc, sheet, sheets) = load(&bytes, encoding, sheet)?;
    let settings = choices.settings.clone().unwrap_or_else(|| row.settings());
    let report = apply::validate(conn, acting, AppId(row.app_id), &table, &settings)?;
    let now = acting.now().timestamp();
    let total = i64::try_from(table.rows.len()).unwrap_or(i64::MAX);
    store::save_check(
        conn,
        id,
        &Check {
            encoding: enc.map(Encoding::as_str),
            sheet: sheet.as_deref(),
            settings: &settings,
            report: &report,
            total_rows: total,
        },
        now,
    )?;
    let row = store::find_own(conn, acting, id)?;
    Ok(view(&row, &table, &sheets, &report))
}

fn refuse_finished(row: &ImportRow) -> EngineResult<()> {
    if row.state == state::DONE || row.state == state::RUNNING || row.state == state::QUEUED {
        return Err(UserError::invalid(
            "id",
            Message::keyed("import.err.finished", "This import has already been run."),
        )
        .into());
    }
    Ok(())
}

/// Runs the import in the caller's transaction: all records or none. A report with errors
/// refuses it (`import.err.has_errors`, the report in the import's state).
pub fn run(
    conn: &mut DbConn,
    acting: &ActingContext,
    files: &FileStore,
    id: i64,
) -> EngineResult<Value> {
    let row = store::find_own(conn, acting, id)?;
    refuse_finished(&row)?;
    let bytes = read_bytes(files, &row.file_path)?;
    let (table, ..) = load(&bytes, row.encoding.as_deref(), row.sheet.as_deref())?;
    let settings = row.settings();
    conn.batch_execute("SAVEPOINT import_run")?;
    let report = match apply::apply(conn, acting, AppId(row.app_id), &table, &settings) {
        Ok(r) => r,
        Err(e) => {
            conn.batch_execute("ROLLBACK TO SAVEPOINT import_run")?;
            return Err(e);
        }
    };
    let now = acting.now().timestamp();
    if !report.errors.is_empty() {
        conn.batch_execute("ROLLBACK TO SAVEPOINT import_run")?;
        conn.batch_execute("RELEASE SAVEPOINT import_run")?;
        let total = i64::try_from(table.rows.len()).unwrap_or(i64::MAX);
        store::save_check(
            conn,
            id,
            &Check {
                encoding: row.encoding.as_deref(),
                sheet: row.sheet.as_deref(),
                settings: &settings,
                report: &report,
                total_rows: total,
            },
            now,
        )?;
        return Err(UserError::invalid(
            "id",
            Message::keyed(
                "import.err.has_errors",
                "The file has errors; fix them and check again.",
            )
            .arg("count", report.errors.len().to_string()),
        )
        .into());
    }
    conn.batch_execute("RELEASE SAVEPOINT import_run")?;
    let written = i64::try_from(report.records).unwrap_or(i64::MAX);
    store::set_state(conn, id, state::DONE, Some(&report), written, now)?;
    status(conn, acting, id)
}

/// The import's state, counts and last report.
pub fn status(conn: &mut DbConn, acting: &ActingContext, id: i64) -> EngineResult<Value> {
    let row = store::find_own(conn, acting, id)?;
    let settings = row.settings();
    Ok(json!({
        "id": row.id.to_string(),
        "app": row.app_id.to_string(),
        "state": row.state,
        "fileName": row.file_name,
        "format": row.format,
        "encoding": row.encoding,
        "sheet": row.sheet,
        "mapping": settings.mapping,
        "mode": settings.mode,
        "key": settings.key,
        "rows": row.total_rows,
        "errorCount": row.error_count,
        "recordsWritten": row.records_written,
        "report": row.report_json(),
    }))
}
