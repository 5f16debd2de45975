//! The `imports` rows: an upload, its settings, state and last report. Only the user who uploaded
//! a file sees its import (any other caller gets "not found", also for guessed ids); the app and
//! field rights are checked again by `apply` whenever the import is checked or run.

use diesel::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};

use super::apply::{ImportSettings, Report, ReportEntry};
use crate::acting::ActingContext;
use crate::db::schema::imports;
use crate::db::DbConn;
use crate::error::{EngineResult, Message, UserError};
use crate::with_conn;

/// The job kind that runs an import.
pub const JOB_KIND: &str = "records.import";

/// Import states, in order.
pub mod state {
    pub const UPLOADED: &str = "uploaded";
    pub const CHECKED: &str = "checked";
    pub const QUEUED: &str = "queued";
    pub const RUNNING: &str = "running";
    pub const DONE: &str = "done";
    pub const FAILED: &str = "failed";
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = imports)]
pub struct ImportRow {
    pub id: i64,
    pub app_id: i64,
    pub user_code: String,
    pub guest_space: Option<i64>,
    pub file_name: String,
    pub file_path: String,
    pub format: String,
    pub encoding: Option<String>,
    pub sheet: Option<String>,
    pub settings: String,
    pub state: String,
    pub report: String,
    pub total_rows: i64,
    pub error_count: i64,
    pub records_written: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

impl ImportRow {
    pub fn settings(&self) -> ImportSettings {
        serde_json::from_str(&self.settings).unwrap_or_default()
    }

    pub fn report_json(&self) -> Value {
        serde_json::from_str(&self.report).unwrap_or_else(|_| json!({}))
    }
}

/// A new upload.
pub struct NewImport<'a> {
    pub app_id: i64,
    pub user_code: &'a str,
    pub guest_space: Option<i64>,
    pub file_name: &'a str,
    pub file_path: &'a str,
    pub format: &'a str,
    pub encoding: Option<&'a str>,
    pub sheet: Option<&'a str>,
    pub settings: &'a ImportSettings,
}

/// Inserts an upload; returns its id.
pub fn create(conn: &mut DbConn, new: &NewImport<'_>, now: i64) -> EngineResult<i64> {
    let settings = serde_json::to_string(new.settings)?;
    let values = (
        imports::app_id.eq(new.app_id),
        imports::user_code.eq(new.user_code),
        imports::guest_space.eq(new.guest_space),
        imports::file_name.eq(new.file_name),
        imports::file_path.eq(new.file_path),
        imports::format.eq(new.format),
        imports::encoding.eq(new.encoding),
        imports::sheet.eq(new.sheet),
        imports::settings.eq(&settings),
        imports::state.eq(state::UPLOADED),
        imports::report.eq("{}"),
        imports::created_at.eq(now),
        imports::updated_at.eq(now),
    );
    let id = with_conn!(conn, |c| diesel::insert_into(imports::table)
        .values(values)
        .returning(imports::id)
        .get_result::<i64>(c))?;
    Ok(id)
}

/// The import `id` of the acting user (`ImportNotFound` for anyone else's or a missing one).
pub fn find_own(conn: &mut DbConn, acting: &ActingContext, id: i64) -> EngineResult<ImportRow> {
    let row = find(conn, id)?;
    match row {
        Some(r) if r.user_code == acting.user_code() => Ok(r),
        _ => Err(not_found().into()),
    }
}

fn not_found() -> UserError {
    UserError::invalid(
        "id",
        Message::keyed("import.err.not_found", "The import was not found."),
    )
}

/// The import `id`, whoever made it (the job runner).
pub fn find(conn: &mut DbConn, id: i64) -> EngineResult<Option<ImportRow>> {
    let row = with_conn!(conn, |c| imports::table
        .filter(imports::id.eq(id))
        .select(ImportRow::as_select())
        .first(c)
        .optional())?;
    Ok(row)
}

/// The acting user's unfinished imports (queued or running) of `app`, newest first.
pub fn active_of(conn: &mut DbConn, user: &str, app: i64) -> EngineResult<Vec<ImportRow>> {
    let rows = with_conn!(conn, |c| imports::table
        .filter(imports::app_id.eq(app))
        .filter(imports::user_code.eq(user))
        .filter(imports::state.eq_any([state::QUEUED, state::RUNNING]))
        .order(imports::id.desc())
        .select(ImportRow::as_select())
        .load(c))?;
    Ok(rows)
}

/// What a check found, to keep on the import.
pub struct Check<'a> {
    pub encoding: Option<&'a str>,
    pub sheet: Option<&'a str>,
    pub settings: &'a ImportSettings,
    pub report: &'a Report,
    pub total_rows: i64,
}

/// Saves the chosen encoding, sheet and settings with the report they gave.
pub fn save_check(conn: &mut DbConn, id: i64, check: &Check<'_>, now: i64) -> EngineResult<()> {
    let Check {
        encoding,
        sheet,
        settings,
        report,
        total_rows,
    } = *check;
    let settings = serde_json::to_string(settings)?;
    let report_text = serde_json::to_string(&report_json(report))?;
    let error_count = i64::try_from(report.errors.len()).unwrap_or(i64::MAX);
    with_conn!(conn, |c| diesel::update(
        imports::table.filter(imports::id.eq(id))
    )
    .set((
        imports::encoding.eq(encoding),
        imports::sheet.eq(sheet),
        imports::settings.eq(&settings),
        imports::state.eq(state::CHECKED),
        imports::report.eq(&report_text),
        imports::total_rows.eq(total_rows),
        imports::error_count.eq(error_count),
        imports::updated_at.eq(now),
    ))
    .execute(c))?;
    Ok(())
}

/// Moves a checked import to `queued`; false when it is not checked (already planned, running or
/// done), so that two concurrent runs plan one job.
pub fn mark_queued(conn: &mut DbConn, id: i64, now: i64) -> EngineResult<bool> {
    let changed = with_conn!(conn, |c| diesel::update(
        imports::table.filter(imports::id.eq(id).and(imports::state.eq(state::CHECKED)))
    )
    .set((
        imports::state.eq(state::QUEUED),
        imports::records_written.eq(0_i64),
        imports::updated_at.eq(now),
        imports::finished_at.eq(None::<i64>),
    ))
    .execute(c))?;
    Ok(changed > 0)
}

/// Moves the import to `to` (with the final report and count when it ends).
pub fn set_state(
    conn: &mut DbConn,
    id: i64,
    to: &str,
    report: Option<&Report>,
    written: i64,
    now: i64,
) -> EngineResult<()> {
    let finished = (to == state::DONE || to == state::FAILED).then_some(now);
    let report_text = report
        .map(|r| serde_json::to_string(&report_json(r)))
        .transpose()?;
    let errors = report.map(|r| i64::try_from(r.errors.len()).unwrap_or(i64::MAX));
    with_conn!(conn, |c| {
        diesel::update(imports::table.filter(imports::id.eq(id)))
            .set((
                imports::state.eq(to),
                imports::records_written.eq(written),
                imports::updated_at.eq(now),
                imports::finished_at.eq(finished),
            ))
            .execute(c)?;
        if let (Some(text), Some(n)) = (&report_text, errors) {
            diesel::update(imports::table.filter(imports::id.eq(id)))
                .set((imports::report.eq(text), imports::error_count.eq(n)))
                .execute(c)?;
        }
        Ok::<(), diesel::result::Error>(())
    })?;
    Ok(())
}

/// Report entries kept per list (errors, conversions).
const MAX_ENTRIES: usize = 1000;

fn entry_json(e: &ReportEntry) -> Value {
    let args: serde_json::Map<String, Value> = e
        .message
        .args()
        .iter()
        .map(|(k, v)| ((*k).to_owned(), json!(v)))
        .collect();
    json!({
        "line": e.line,
        "column": e.column,
        "key": e.message.key(),
        "args": args,
        "text": e.message.text(),
    })
}

/// The report as stored: entries keep their catalog key and arguments, so each reader sees them
/// in their own language.
pub fn report_json(r: &Report) -> Value {
    json!({
        "records": r.records,
        // A file with every row wrong says so in its count; the first errors are enough to read.
        "errors": r.errors.iter().take(MAX_ENTRIES).map(entry_json).collect::<Vec<_>>(),
        "errorCount": r.errors.len(),
        "preview": r.preview,
        "conversions": r.conversions.iter().take(MAX_ENTRIES).map(entry_json).collect::<Vec<_>>(),
        "conversionCount": r.conversions.len(),
    })
}
