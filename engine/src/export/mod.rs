//! Export of records to a file — kintone's 「ファイルに書き出す」 (issue 16): the records an acting
//! context may see for a kintone query (filter and `order by`), in the given columns, as CSV
//! (UTF-8 with a BOM, or Shift_JIS) or XLSX with types.
//!
//! Guarantees:
//! - rights come from the acting context only: the app is opened with the export right
//!   (kintone's app permission 「ファイルへの書き出し」), the ids come from the same query compiler as
//!   the record list (with the caller's record-view condition), and every record is rendered by
//!   `records::render::record_json`, which drops fields the caller may not view;
//! - streamed: the matching ids are read once (8 bytes a record), then the records in chunks of
//!   [`CHUNK`], each chunk's rows written before the next is read, to a file the caller gives
//!   (a temporary file) — never a list of all rows in memory; XLSX sheets are written in
//!   rust_xlsxwriter's constant-memory mode;
//! - a Shift_JIS CSV never turns a character into `?`: the export fails listing the record,
//!   field and character ([`crate::tabular::Unencodable`]), and the caller discards the file;
//! - CSV cells starting with `=`, `+`, `-`, `@` are escaped with a leading `'`;
//! - each export is audited (`records.export`, [`audit_export`]): the caller reads in a read
//!   transaction (a long export must not hold SQLite's write lock) and writes the audit row right
//!   after, before the file is sent, as record views are logged after their read.

pub mod columns;

use std::io::{BufWriter, Write};
use std::path::Path;

use diesel::sql_types::{BigInt, Text};
use diesel::QueryableByName;
use serde_json::{json, Value};

use crate::acl::AppRight;
use crate::acting::ActingContext;
use crate::apps::{AppId, LiveApp};
use crate::db::{DbConn, IntRow};
use crate::error::{EngineResult, Message, UserError};
use crate::query::{self, plan, TextMatcher};
use crate::records::{record_json, StoredRecord};
use crate::tabular::{Cell, ColumnKind, CsvEncoding, CsvWriter, XlsxBook};
pub use columns::{export_columns, ExportColumn, RECORD_START_LABEL};

/// Records read per statement.
pub const CHUNK: usize = 500;

/// The audit action of an export.
pub const AUDIT_ACTION: &str = "records.export";

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv(CsvEncoding),
    Xlsx,
}

impl ExportFormat {
    /// `csv` (UTF-8 with BOM), `csv-sjis` (Shift_JIS) or `xlsx`.
    pub fn parse(name: &str) -> Option<ExportFormat> {
        match name {
            "csv" | "csv-utf8" => Some(ExportFormat::Csv(CsvEncoding::Utf8Bom)),
            "csv-sjis" | "csv-shift_jis" => Some(ExportFormat::Csv(CsvEncoding::ShiftJis)),
            "xlsx" => Some(ExportFormat::Xlsx),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Csv(CsvEncoding::Utf8Bom) => "csv",
            ExportFormat::Csv(CsvEncoding::ShiftJis) => "csv-sjis",
            ExportFormat::Xlsx => "xlsx",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Csv(_) => "csv",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            ExportFormat::Csv(CsvEncoding::Utf8Bom) => "text/csv; charset=utf-8",
            ExportFormat::Csv(CsvEncoding::ShiftJis) => "text/csv; charset=Shift_JIS",
        }
    }
}

/// What to export.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub app: AppId,
    /// A shared list view (by name) whose filter, sort and columns stand in for `query` and
    /// `fields` when those are not given.
    pub view: Option<String>,
    /// A kintone query: conditions and `order by` (no `limit`/`offset`: every match is exported).
    /// `None`: the view's, else every record in record-number order.
    pub query: Option<String>,
    /// The columns (the view's fields); `None` for the view's, else every field.
    pub fields: Option<Vec<String>>,
    pub format: ExportFormat,
}

/// What was exported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportDone {
    pub app: AppId,
    /// The download's name: `<app name>_<yyyymmdd>.<ext>` (the date in the caller's time zone).
    pub file_name: String,
    /// The query that was run (the view's when none was given).
    pub query: String,
    /// The exported field codes.
    pub fields: Vec<String>,
    pub format: ExportFormat,
    pub records: usize,
    pub rows: usize,
}

#[derive(QueryableByName)]
struct RecordRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    revision: i64,
    #[diesel(sql_type = Text)]
    data: String,
}

/// Writes the records `req` selects for `acting` to `out` (a temporary file the caller sends only
/// on `Ok`, after [`audit_export`]). Reads only: run it in a read transaction.
///
/// # Errors
/// `AppNotFound`/permission errors from opening the app with the export right; a bad query as
/// `records.json` answers it; `UserError` keyed `query` for `limit`/`offset`, `view` for an unknown
/// view, `fields` for an unknown field, `encoding` listing the characters Shift_JIS cannot hold
/// (record, field, character), `export` when the rows do not fit one Excel sheet; internal errors
/// for the file.
pub fn export_records(
    conn: &mut DbConn,
    acting: &ActingContext,
    text_matcher: Option<&dyn TextMatcher>,
    req: &ExportRequest,
    out: &Path,
) -> EngineResult<ExportDone> {
    let app = acting.open_app(conn, req.app, AppRight::Export)?;
    let (query_text, wanted) = resolve_view(&app, req)?;
    let ctx = acting.query_context(&app, text_matcher);
    let q = query::prepare(&query_text, &ctx)?;
    let paging = query::paging(&q);
    if paging.limit_given || paging.offset_given {
        return Err(UserError::invalid(
            "query",
            Message::keyed(
                "export.err.paging",
                "Remove limit and offset from the query: an export writes every matching record.",
            ),
        )
        .into());
    }
    let columns = export_columns(&app, wanted.as_deref())?;
    // Every record is wanted: the planner weighs walking a sort index against the whole app.
    let need = Some(app.row.next_record_id.max(1));
    let chosen = plan::choose(conn, app.row.id, app.row.next_record_id, &q, &ctx, need)?;
    // Only the ids are held (8 bytes a record); the records themselves come CHUNK at a time.
    let ids: Vec<i64> = plan::load::<IntRow>(
        conn,
        app.row.id,
        "r.id AS n",
        &q,
        &ctx,
        &chosen,
        i64::MAX,
        0,
    )?
    .into_iter()
    .map(|r| r.n)
    .collect();
    let marker = columns.iter().any(|c| c.table.is_some());
    // What record_json renders: the top-level fields and the subtables of the columns.
    let mut rendered_codes: Vec<String> = Vec::new();
    for c in &columns {
        let code = c.table.as_ref().unwrap_or(&c.code);
        if !rendered_codes.contains(code) {
            rendered_codes.push(code.clone());
        }
    }
    let mut sink = open_sink(req.format, &columns, marker, out)?;
    let tz = acting.timezone();
    let mut rows = 0usize;
    for chunk in ids.chunks(CHUNK) {
        for record in load_chunk(conn, &app, chunk)? {
            let rendered = record_json(&app, &record, Some(&rendered_codes));
            let tag = record_tag(&app, record.id);
            for row in columns::record_rows(&columns, &rendered, marker, tz) {
                sink.push(&row, &tag)?;
                rows += 1;
            }
        }
    }
    sink.finish(&columns, marker, out)?;
    let file_name = format!(
        "{}_{}.{}",
        file_stem(&app.definition.name),
        acting.now().with_timezone(&tz).format("%Y%m%d"),
        req.format.extension()
    );
    Ok(ExportDone {
        app: req.app,
        file_name,
        query: query_text,
        fields: columns.iter().map(|c| c.code.clone()).collect(),
        format: req.format,
        records: ids.len(),
        rows,
    })
}

/// Writes the audit entry (`records.export`) of a finished export, in the caller's (write)
/// transaction; the file is sent only when this succeeds.
///
/// # Errors
/// Internal errors of the audit log.
pub fn audit_export(
    conn: &mut DbConn,
    acting: &ActingContext,
    done: &ExportDone,
) -> EngineResult<()> {
    acting.audit(
        conn,
        AUDIT_ACTION,
        &format!("app:{}", done.app.0),
        json!({
            "query": done.query,
            "fields": done.fields,
            "format": done.format.name(),
            "records": done.records,
        }),
    )
}

/// The query and columns of `req`: those given, else the named view's (its filter and sort, its
/// columns), else every record and every field.
fn resolve_view(app: &LiveApp, req: &ExportRequest) -> EngineResult<(String, Option<Vec<String>>)> {
    let view = match req.view.as_deref().filter(|v| !v.is_empty()) {
        None => None,
        Some(name) => match app.definition.views.get(name) {
            Some(v) if v.get("type").and_then(Value::as_str).unwrap_or("LIST") == "LIST" => Some(v),
            _ => {
                return Err(UserError::invalid(
                    "view",
                    Message::keyed(
                        "export.err.view",
                        format!("The list view \"{name}\" does not exist in this app."),
                    )
                    .arg("name", name.to_owned()),
                )
                .into())
            }
        },
    };
    let query = match (&req.query, view) {
        (Some(q), _) => q.clone(),
        (None, Some(v)) => {
            let filter = v.get("filterCond").and_then(Value::as_str).unwrap_or("");
            let sort = v.get("sort").and_then(Value::as_str).unwrap_or("");
            match (filter.trim().is_empty(), sort.trim().is_empty()) {
                (_, true) => filter.to_owned(),
                (true, false) => format!("order by {sort}"),
                (false, false) => format!("{filter} order by {sort}"),
            }
        }
        (None, None) => String::new(),
    };
    let fields = match (&req.fields, view) {
        (Some(f), _) => Some(f.clone()),
        (None, Some(v)) => v
            .get("fields")
            .and_then(Value::as_array)
            .filter(|a| !a.is_empty())
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            }),
        (None, None) => None,
    };
    Ok((query, fields))
}

/// A record as the export names it in messages: its record number (`CODE-12` with an app code).
fn record_tag(app: &LiveApp, id: i64) -> String {
    if app.definition.code.is_empty() {
        id.to_string()
    } else {
        format!("{}-{id}", app.definition.code)
    }
}

/// The app's name without the characters file systems refuse.
fn file_stem(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    if cleaned.trim().is_empty() {
        "records".to_owned()
    } else {
        cleaned
    }
}

/// The records of `ids` (all visible to the caller: they came from the caller's query), in the
/// order of `ids`.
fn load_chunk(conn: &mut DbConn, app: &LiveApp, ids: &[i64]) -> EngineResult<Vec<StoredRecord>> {
    let mut b = conn.sql();
    b.push("SELECT r.id, r.revision, r.data FROM records r WHERE r.app_id = ")
        .bind_int(app.row.id)
        .push(" AND r.id IN (");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            b.push(", ");
        }
        b.bind_int(*id);
    }
    b.push(")");
    let rows: Vec<RecordRow> = conn.load(&b)?;
    let mut found: std::collections::HashMap<i64, RecordRow> =
        rows.into_iter().map(|r| (r.id, r)).collect();
    ids.iter()
        .filter_map(|id| found.remove(id))
        .map(|r| {
            Ok(StoredRecord {
                id: r.id,
                revision: r.revision,
                values: serde_json::from_str(&r.data)?,
            })
        })
        .collect()
}

/// Where rows go: a CSV or an XLSX file.
enum Sink {
    Csv(CsvWriter<BufWriter<std::fs::File>>),
    // Boxed: the workbook is large beside the CSV writer.
    Xlsx(Box<(XlsxBook, crate::tabular::SheetWriter)>),
}

fn headers(columns: &[ExportColumn], marker: bool) -> Vec<(String, ColumnKind)> {
    let mut out = Vec::with_capacity(columns.len() + 1);
    if marker {
        out.push((RECORD_START_LABEL.to_owned(), ColumnKind::Text));
    }
    out.extend(columns.iter().map(|c| (c.label.clone(), c.kind())));
    out
}

fn open_sink(
    format: ExportFormat,
    columns: &[ExportColumn],
    marker: bool,
    out: &Path,
) -> EngineResult<Sink> {
    let headers = headers(columns, marker);
    Ok(match format {
        ExportFormat::Csv(encoding) => {
            let file = BufWriter::new(std::fs::File::create(out)?);
            let names: Vec<String> = headers.into_iter().map(|(h, _)| h).collect();
            Sink::Csv(CsvWriter::new(file, encoding, &names)?)
        }
        ExportFormat::Xlsx => {
            let mut book = XlsxBook::new(out)?;
            let sheet = book.sheet("レコード", &headers)?;
            Sink::Xlsx(Box::new((book, sheet)))
        }
    })
}

impl Sink {
    fn push(&mut self, row: &[Cell], tag: &str) -> EngineResult<()> {
        match self {
            Sink::Csv(w) => w.push_tagged(row, tag),
            Sink::Xlsx(xlsx) => xlsx.1.push(row.iter()),
        }
    }

    fn finish(self, columns: &[ExportColumn], marker: bool, out: &Path) -> EngineResult<()> {
        match self {
            Sink::Xlsx(xlsx) => {
                let (book, sheet) = *xlsx;
                book.save(vec![sheet], out)
            }
            Sink::Csv(w) => match w.finish()? {
                Ok(mut file) => Ok(file.flush()?),
                Err(problems) => {
                    let label = |col: usize| {
                        let index = if marker {
                            col.checked_sub(1)
                        } else {
                            Some(col)
                        };
                        index
                            .and_then(|i| columns.get(i))
                            .map_or_else(|| RECORD_START_LABEL.to_owned(), |c| c.label.clone())
                    };
                    let list = problems
                        .places
                        .iter()
                        .map(|(record, col, c)| {
                            format!("#{record} {} «{c}» (U+{:04X})", label(*col), u32::from(*c))
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    let count = problems.count;
                    Err(UserError::invalid(
                        "encoding",
                        Message::keyed(
                            "export.err.shift_jis",
                            format!("{count} characters cannot be written in Shift_JIS (#record field «character»): {list}. Export as CSV (UTF-8) or Excel instead, or change those values."),
                        )
                        .arg("count", count.to_string())
                        .arg("list", list),
                    )
                    .into())
                }
            },
        }
    }
}

#[cfg(test)]
mod tests;
