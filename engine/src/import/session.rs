//! The steps of an import for one user, as the API and pages call them: open an uploaded file
//! (format, encoding, sheets, headers, fields, suggested mapping, preview, first report), change
//! the settings (a new report), run it (checked once more, then planned as a durable job,
//! `store::JOB_KIND`), and read its state. The job calls [`perform`] in one transaction (all
//! records or none). Rights are checked by `apply` each time, as they are at that moment.

use serde::Deserialize;
use serde_json::{json, Value};

use super::apply::{self, ImportSettings, Report};
use super::convert::importable;
use super::read::{self, Encoding, Table};
use super::store::{self, state, Check, ImportRow, NewImport};
use crate::acting::ActingContext;
use crate::apps::{AppId, LiveApp};
use crate::db::DbConn;
use crate::error::{EngineResult, Message, UserError};
use crate::fields::FieldType;
use crate::jobs::{self, NewJob};
use crate::records::{Actor, FileStore};

/// Rows shown in the preview.
const PREVIEW_ROWS: usize = 5;
/// Largest file imported (the file upload's own limit may be lower): 100,000 rows of a 20-field
/// app with a paragraph of text each make about 31 MB of Shift_JIS CSV (kumiki-import-bench). The
/// whole file is read into memory for each check and for the run.
pub const MAX_IMPORT_BYTES: u64 = 64 * 1024 * 1024;

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

fn read_bytes(conn: &mut DbConn, files: &FileStore, storage: &str) -> EngineResult<Vec<u8>> {
    let local = files.open_local(conn, storage)?;
    let path = local.path();
    let size = std::fs::metadata(path)?.len();
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

/// The fields a column can go to (`key`: usable as the update key), in the form's order.
fn targets(app: &LiveApp) -> Vec<Value> {
    let mut out = Vec::new();
    for (code, p) in &app.definition.properties {
        let t = p.field_type;
        if t == FieldType::RecordNumber {
            out.push(json!({"code": code, "label": p.label, "type": t, "key": true}));
        } else if importable(t) {
            let key = p.is_unique() && matches!(t, FieldType::SingleLineText | FieldType::Number);
            out.push(json!({"code": code, "label": p.label, "type": t, "key": key}));
        }
        for inner in p.fields.iter().flat_map(|f| f.values()) {
            if importable(inner.field_type) {
                out.push(
                    json!({"code": inner.code, "label": inner.label, "type": inner.field_type,
                    "subtable": code, "key": false}),
                );
            }
        }
    }
    out
}

fn view(
    row: &ImportRow,
    app: &LiveApp,
    table: &Table,
    sheets: &[String],
    report: &Report,
) -> Value {
    let settings = row.settings();
    json!({
        "fields": targets(app),
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
    actor: &Actor,
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
    let bytes = read_bytes(conn, files, &storage)?;
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
    let report = apply::validate(conn, acting, actor, app, &table, &settings)?;
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
    Ok(view(&row, &live, &table, &sheets, &report))
}

/// Changes an import's encoding, sheet or settings and checks it again. A new encoding or sheet
/// without new settings gets a mapping suggested from its headers.
pub fn change(
    conn: &mut DbConn,
    acting: &ActingContext,
    actor: &Actor,
    files: &FileStore,
    id: i64,
    choices: &Choices,
) -> EngineResult<Value> {
    let row = store::find_own(conn, acting, id)?;
    refuse_finished(&row)?;
    let live = acting.open_app(conn, AppId(row.app_id), crate::acl::AppRight::Import)?;
    let bytes = read_bytes(conn, files, &row.file_path)?;
    let encoding = choices.encoding.as_deref().or(row.encoding.as_deref());
    let sheet = choices.sheet.as_deref().or(row.sheet.as_deref());
    let (table, enc, sheet, sheets) = load(&bytes, encoding, sheet)?;
    let reread = choices
        .encoding
        .as_deref()
        .is_some_and(|e| Some(e) != row.encoding.as_deref())
        || choices
            .sheet
            .as_deref()
            .is_some_and(|s| Some(s) != row.sheet.as_deref());
    let settings = match &choices.settings {
        Some(s) => s.clone(),
        None if reread => ImportSettings {
            mapping: apply::suggest_mapping(&live, &table.headers),
            ..row.settings()
        },
        None => row.settings(),
    };
    let report = apply::validate(conn, acting, actor, AppId(row.app_id), &table, &settings)?;
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
    Ok(view(&row, &live, &table, &sheets, &report))
}

fn finished() -> UserError {
    UserError::invalid(
        "id",
        Message::keyed("import.err.finished", "This import has already been run."),
    )
}

fn refuse_finished(row: &ImportRow) -> EngineResult<()> {
    if row.state == state::DONE || row.state == state::RUNNING || row.state == state::QUEUED {
        return Err(finished().into());
    }
    Ok(())
}

/// Plans the import's job (in the caller's transaction): the import becomes `queued`. Refused
/// while its last check found errors (`import.err.has_errors`; a file never checked cleanly has
/// some) and once the import was planned or done. The check is not repeated here: the job writes
/// through the same checks, and an import that no longer fits fails with its report and nothing
/// written.
pub fn run(conn: &mut DbConn, acting: &ActingContext, id: i64) -> EngineResult<Value> {
    let row = store::find_own(conn, acting, id)?;
    refuse_finished(&row)?;
    let checked = row.state == state::CHECKED && row.error_count == 0;
    if !checked {
        return Err(UserError::invalid(
            "id",
            Message::keyed(
                "import.err.has_errors",
                "The file has errors; fix them and check again.",
            )
            .arg("count", row.error_count.max(1).to_string()),
        )
        .into());
    }
    let now = acting.now().timestamp();
    // The state moves only from a checked (or failed) import: two clicks plan one job.
    if !store::mark_queued(conn, id, now)? {
        return Err(finished().into());
    }
    let key = format!("import:{id}:{}", uuid::Uuid::new_v4().simple());
    jobs::enqueue(
        conn,
        &NewJob {
            kind: store::JOB_KIND,
            dedupe_key: &key,
            payload: &json!({ "id": id }),
            run_at: now,
            // A server error is retried; what the user must fix fails at once (the runner).
            max_attempts: 3,
        },
        now,
    )?;
    status(conn, acting, id)
}

/// Writes the import `id` of `acting` in the caller's transaction (the job's): reads its file
/// again and applies it. The caller commits only when the report has no errors.
pub fn perform(
    conn: &mut DbConn,
    acting: &ActingContext,
    actor: &Actor,
    files: &FileStore,
    id: i64,
    progress: &mut dyn FnMut(usize),
) -> EngineResult<Report> {
    let row = store::find_own(conn, acting, id)?;
    let bytes = read_bytes(conn, files, &row.file_path)?;
    let (table, ..) = load(&bytes, row.encoding.as_deref(), row.sheet.as_deref())?;
    apply::apply(
        conn,
        acting,
        actor,
        AppId(row.app_id),
        &table,
        &row.settings(),
        progress,
    )
}

/// The acting user's queued or running imports of `app`, newest first (the page shows them).
pub fn active(conn: &mut DbConn, acting: &ActingContext, app: AppId) -> EngineResult<Value> {
    let rows = store::active_of(conn, acting.user_code(), app.0)?;
    let list: Vec<Value> = rows.iter().map(row_status).collect();
    Ok(json!({ "active": list }))
}

/// The import's state, counts and last report.
pub fn status(conn: &mut DbConn, acting: &ActingContext, id: i64) -> EngineResult<Value> {
    let row = store::find_own(conn, acting, id)?;
    Ok(row_status(&row))
}

fn row_status(row: &ImportRow) -> Value {
    let settings = row.settings();
    json!({
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
        "createdAt": row.created_at,
        "updatedAt": row.updated_at,
        "finishedAt": row.finished_at,
        "report": row.report_json(),
    })
}
