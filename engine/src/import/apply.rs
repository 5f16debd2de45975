//! From a read table to records: the mapping of columns to fields (suggested from the headers),
//! the conversion of cells, kintone's subtable rows (a 「レコードの開始行」 column marks the first row
//! of each record), and the write itself through the normal record write path (`add_records`,
//! `update_records`: the same validation, unique checks, rights, scripts and change log as any
//! write). Every problem is reported per row and column before anything is kept: validation runs
//! the whole write in a transaction and rolls it back.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::convert::{convert, importable};
use super::read::Table;
use crate::acl::AppRight;
use crate::acting::ActingContext;
use crate::apps::{AppId, LiveApp};
use crate::db::{DbConn, IntRow};
use crate::error::{EngineError, EngineResult, Message, UserError};
use crate::fields::{FieldType, IndexKind};
use crate::records::{
    add_records, check_new_records, update_records, Actor, RecordTarget, RecordUpdate,
};

/// The mapping target of the column that marks the first row of each record.
pub const START_COLUMN: &str = "$start";
/// kintone's header of that column.
pub const START_HEADER: &str = "レコードの開始行";

/// Add new records, or update the records whose key field matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    #[default]
    Add,
    Update,
}

/// What the user chose: per column a field code (or [`START_COLUMN`], or nothing), the mode, and
/// for updates the key field (a unique field or the record number).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ImportSettings {
    pub mapping: Vec<Option<String>>,
    pub mode: ImportMode,
    pub key: Option<String>,
}

/// One line of the report: the file's row (1-based, the header is row 1), the column's header,
/// and the message.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportEntry {
    pub line: usize,
    pub column: Option<String>,
    pub message: Message,
}

/// What an import found (errors keep anything from being written) or converted, and how many
/// records it makes.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub errors: Vec<ReportEntry>,
    pub conversions: Vec<ReportEntry>,
    pub records: usize,
    /// The first records as they will be stored (`{line, record}`), for the preview.
    pub preview: Vec<Value>,
}

/// Records shown in the preview.
const PREVIEW_RECORDS: usize = 5;

/// Records written per call of the record write path. Progress is reported between chunks; all
/// chunks are in the caller's one transaction, so the import stays all or nothing.
const CHUNK: usize = 500;

/// A record made of one or more rows of the file.
#[derive(Debug, Clone)]
struct Built {
    line: usize,
    record: Map<String, Value>,
    key: Option<String>,
}

/// Suggests a mapping: a column whose header is a field's code or name goes to that field
/// (fields a write accepts, and the record number as an update key).
pub fn suggest_mapping(app: &LiveApp, headers: &[String]) -> Vec<Option<String>> {
    let mut fields: Vec<(&str, &str, FieldType)> = Vec::new();
    for p in app.definition.properties.values() {
        fields.push((&p.code, &p.label, p.field_type));
        for inner in p.fields.iter().flat_map(|f| f.values()) {
            fields.push((&inner.code, &inner.label, inner.field_type));
        }
    }
    headers
        .iter()
        .map(|h| {
            let h = h.trim();
            if h == START_HEADER {
                return Some(START_COLUMN.to_owned());
            }
            let fits = |t: FieldType| importable(t) || t == FieldType::RecordNumber;
            fields
                .iter()
                .find(|(code, _, t)| *code == h && fits(*t))
                .or_else(|| fields.iter().find(|(_, label, t)| *label == h && fits(*t)))
                .map(|(code, _, _)| (*code).to_owned())
        })
        .collect()
}

fn entry(line: usize, column: Option<&str>, message: Message) -> ReportEntry {
    ReportEntry {
        line,
        column: column.map(str::to_owned),
        message,
    }
}

/// Checks the settings against the app: mapped fields exist and take values, no field twice, a
/// key for updates. Problems are whole-import errors (line 0).
fn check_settings(app: &LiveApp, table: &Table, s: &ImportSettings) -> Vec<ReportEntry> {
    let mut errors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, target) in s.mapping.iter().enumerate() {
        let Some(code) = target else { continue };
        let header = table.headers.get(i).map(String::as_str);
        if code == START_COLUMN {
            continue;
        }
        let ok = app.definition.field(code).is_some_and(|f| {
            importable(f.property.field_type)
                || (f.property.field_type == FieldType::RecordNumber
                    && s.key.as_deref() == Some(code))
        });
        if !ok {
            errors.push(entry(
                0,
                header,
                Message::keyed(
                    "import.err.not_importable",
                    "This field cannot be imported.",
                )
                .arg("field", code.clone()),
            ));
        }
        if !seen.insert(code.clone()) {
            errors.push(entry(
                0,
                header,
                Message::keyed(
                    "import.err.mapped_twice",
                    "Two columns go to the same field.",
                )
                .arg("field", code.clone()),
            ));
        }
    }
    if s.mode == ImportMode::Update {
        let key_ok = s.key.as_deref().is_some_and(|k| {
            s.mapping.iter().any(|m| m.as_deref() == Some(k))
                && app.definition.field(k).is_some_and(|f| {
                    f.subtable.is_none()
                        && (f.property.field_type == FieldType::RecordNumber
                            || matches!(
                                f.property.field_type,
                                FieldType::SingleLineText | FieldType::Number
                            ))
                })
        });
        if !key_ok {
            errors.push(entry(
                0,
                None,
                Message::keyed(
                    "import.err.key",
                    "Choose a mapped text, number or record number field as the key.",
                ),
            ));
        }
    }
    errors
}

/// Builds the records: converts each cell for its field, groups subtable rows under the row that
/// starts their record, and reports the conversions made.
fn build(
    app: &LiveApp,
    table: &Table,
    s: &ImportSettings,
    tz: chrono_tz::Tz,
    report: &mut Report,
) -> Vec<Built> {
    let start_col = s
        .mapping
        .iter()
        .position(|m| m.as_deref() == Some(START_COLUMN));
    let mut out: Vec<Built> = Vec::new();
    for row in &table.rows {
        let starts = match start_col {
            None => true,
            Some(c) => out.is_empty() || row.cells.get(c).is_some_and(|v| !v.trim().is_empty()),
        };
        if starts {
            out.push(Built {
                line: row.line,
                record: Map::new(),
                key: None,
            });
        }
        let Some(built) = out.last_mut() else {
            continue;
        };
        let mut sub_rows: Map<String, Value> = Map::new();
        for (i, target) in s.mapping.iter().enumerate() {
            let Some(code) = target.as_deref() else {
                continue;
            };
            let Some(field) = app.definition.field(code) else {
                continue;
            };
            if code == START_COLUMN {
                continue;
            }
            let cell = row.cells.get(i).map_or("", String::as_str);
            let header = table.headers.get(i).map(String::as_str);
            if s.key.as_deref() == Some(code) && starts {
                built.key = Some(cell.trim().to_owned());
            }
            if field.property.field_type == FieldType::RecordNumber {
                continue;
            }
            let converted = convert(field.property.field_type, cell, tz);
            if let Some(to) = &converted.changed_to {
                report.conversions.push(entry(
                    row.line,
                    header,
                    Message::keyed("import.converted", format!("{} → {to}", cell.trim()))
                        .arg("from", cell.trim().to_owned())
                        .arg("to", to.clone()),
                ));
            }
            match field.subtable {
                Some(table_code) => {
                    if cell.trim().is_empty() {
                        continue;
                    }
                    let cells = sub_rows
                        .entry(table_code.to_owned())
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let Value::Object(m) = cells {
                        m.insert(code.to_owned(), json!({ "value": converted.value }));
                    }
                }
                None if starts => {
                    built
                        .record
                        .insert(code.to_owned(), json!({ "value": converted.value }));
                }
                None => {}
            }
        }
        for (table_code, cells) in sub_rows {
            let rows = built
                .record
                .entry(table_code)
                .or_insert_with(|| json!({ "value": [] }));
            if let Some(Value::Array(list)) = rows.get_mut("value") {
                list.push(json!({ "value": cells }));
            }
        }
    }
    out
}

/// The ids of the records whose `code` field has `value` (at most two: enough to tell "one").
fn key_matches(
    conn: &mut DbConn,
    app: &LiveApp,
    code: &str,
    value: &str,
) -> EngineResult<Vec<i64>> {
    let Some(field) = app.definition.field(code) else {
        return Ok(Vec::new());
    };
    let mut b = conn.sql();
    match (
        field.property.field_type,
        field.property.field_type.index_kind(),
    ) {
        (FieldType::RecordNumber, _) => {
            let digits = value.rsplit('-').next().unwrap_or(value);
            let Ok(id) = digits.trim().parse::<i64>() else {
                return Ok(Vec::new());
            };
            b.push("SELECT id AS n FROM records WHERE app_id = ")
                .bind_int(app.row.id)
                .push(" AND id = ")
                .bind_int(id);
        }
        (_, IndexKind::Number) => {
            let Some(n) = super::convert::number(value).and_then(|n| n.parse::<f64>().ok()) else {
                return Ok(Vec::new());
            };
            b.push("SELECT DISTINCT record_id AS n FROM record_values_num WHERE app_id = ")
                .bind_int(app.row.id)
                .push(" AND row_id = 0 AND field_id = ")
                .bind_int(i64::from(field.id))
                .push(" AND value = ")
                .bind_float(n);
        }
        (_, IndexKind::Text) => {
            b.push("SELECT DISTINCT record_id AS n FROM record_values_text WHERE app_id = ")
                .bind_int(app.row.id)
                .push(" AND row_id = 0 AND field_id = ")
                .bind_int(i64::from(field.id))
                .push(" AND value = ")
                .bind_text(value);
        }
        _ => return Ok(Vec::new()),
    }
    b.push(" LIMIT 2");
    let rows: Vec<IntRow> = conn.load(&b)?;
    Ok(rows.into_iter().map(|r| r.n).collect())
}

/// The field code an error key names: `records[i].record.<code>.value`, kintone's number form
/// `records[i].record[<code>].value`, or a subtable cell `...value[r].value.<inner>.value`.
fn field_code_of(key: &str) -> &str {
    let path = key.strip_suffix(".value").unwrap_or(key);
    let last = path.rsplit('.').next().unwrap_or("");
    last.strip_prefix("record[")
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(last)
}

/// Turns the write's validation errors (`records[i].record.<code>.value`, subtable keys
/// ending in `.<inner>.value`) into report lines.
fn validation_entries(
    errors: crate::error::FieldErrors,
    built: &[Built],
    s: &ImportSettings,
    table: &Table,
) -> Vec<ReportEntry> {
    let mut out = Vec::new();
    for (key, messages) in errors {
        let index = key
            .strip_prefix("records[")
            .and_then(|r| r.split(']').next())
            .and_then(|n| n.parse::<usize>().ok());
        let line = index.and_then(|i| built.get(i)).map_or(0, |b| b.line);
        let code = field_code_of(&key);
        let column = s
            .mapping
            .iter()
            .position(|m| m.as_deref() == Some(code))
            .and_then(|i| table.headers.get(i))
            .map(String::as_str);
        for message in messages {
            out.push(entry(line, column, message));
        }
    }
    out.sort_by_key(|e| e.line);
    out
}

/// Writes the import in the caller's transaction as `acting` (writes by `actor`, which carries
/// the app scripts to run), who needs the import right and the add right (updates: the edit
/// right) on the app, and on every mapped field. `progress` hears the number of records written
/// after each chunk. Returns the report; when it has errors the caller must roll back (some
/// records may have been written).
pub fn apply(
    conn: &mut DbConn,
    acting: &ActingContext,
    actor: &Actor,
    app: AppId,
    table: &Table,
    settings: &ImportSettings,
    progress: &mut dyn FnMut(usize),
) -> EngineResult<Report> {
    apply_or_check(conn, acting, actor, app, table, settings, progress, false)
}

/// [`apply`], or with `check_only` the same checks without writing where the record write path
/// can check alone (adds: `check_new_records` over the whole file, about half the time of a write
/// that is rolled back); updates are still written and rolled back by [`validate`].
#[allow(clippy::too_many_arguments)]
fn apply_or_check(
    conn: &mut DbConn,
    acting: &ActingContext,
    actor: &Actor,
    app: AppId,
    table: &Table,
    settings: &ImportSettings,
    progress: &mut dyn FnMut(usize),
    check_only: bool,
) -> EngineResult<Report> {
    let live = acting.open_app(conn, app, AppRight::Import)?;
    let right = match settings.mode {
        ImportMode::Add => AppRight::Add,
        ImportMode::Update => AppRight::Edit,
    };
    acting.find_app(conn, app, right)?;
    let mut report = Report::default();
    for p in &table.problems {
        report.errors.push(ReportEntry {
            line: p.line,
            column: p.column.and_then(|c| table.headers.get(c)).cloned(),
            message: p.message.clone(),
        });
    }
    report.errors.extend(check_settings(&live, table, settings));
    if !report.errors.is_empty() {
        return Ok(report);
    }
    let built = build(&live, table, settings, acting.timezone(), &mut report);
    report.records = built.len();
    report.preview = built
        .iter()
        .take(PREVIEW_RECORDS)
        .map(|b| json!({"line": b.line, "record": b.record}))
        .collect();
    match settings.mode {
        ImportMode::Add if check_only => {
            let records: Vec<Map<String, Value>> = built.iter().map(|b| b.record.clone()).collect();
            let result = check_new_records(conn, &live, &records, actor, true);
            collect(result, &built, settings, table, &mut report)?;
            progress(built.len());
        }
        ImportMode::Add => {
            let mut done = 0;
            for chunk in built.chunks(CHUNK) {
                let records: Vec<Map<String, Value>> =
                    chunk.iter().map(|b| b.record.clone()).collect();
                let result = add_records(conn, &live, &records, actor, true).map(|_| ());
                collect(result, chunk, settings, table, &mut report)?;
                done += chunk.len();
                progress(done);
            }
        }
        ImportMode::Update => {
            let updates = match_keys(conn, &live, &built, settings, table, &mut report)?;
            if !report.errors.is_empty() {
                return Ok(report);
            }
            let mut done = 0;
            for (chunk, targets) in built.chunks(CHUNK).zip(updates.chunks(CHUNK)) {
                let result = update_records(conn, &live, targets, actor, true, false).map(|_| ());
                collect(result, chunk, settings, table, &mut report)?;
                done += chunk.len();
                progress(done);
            }
        }
    }
    report.errors.sort_by_key(|e| e.line);
    Ok(report)
}

/// Adds a chunk's validation errors to the report (the following chunks are still checked, so
/// the report lists every bad row); other errors end the import.
fn collect(
    result: EngineResult<()>,
    chunk: &[Built],
    settings: &ImportSettings,
    table: &Table,
    report: &mut Report,
) -> EngineResult<()> {
    match result {
        Ok(()) => Ok(()),
        Err(EngineError::User(UserError::Validation(errors))) => {
            report
                .errors
                .extend(validation_entries(errors, chunk, settings, table));
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// The record each built record updates, found by its key: exactly one record, and no record
/// twice. Problems go to the report.
fn match_keys(
    conn: &mut DbConn,
    live: &LiveApp,
    built: &[Built],
    settings: &ImportSettings,
    table: &Table,
    report: &mut Report,
) -> EngineResult<Vec<RecordUpdate>> {
    let key = settings.key.clone().unwrap_or_default();
    let header = settings
        .mapping
        .iter()
        .position(|m| m.as_deref() == Some(key.as_str()))
        .and_then(|i| table.headers.get(i))
        .map(String::as_str);
    let mut updates = Vec::with_capacity(built.len());
    let mut seen = std::collections::HashMap::new();
    for b in built {
        let value = b.key.clone().unwrap_or_default();
        let ids = key_matches(conn, live, &key, &value)?;
        match ids.as_slice() {
            [id] => {
                if let Some(first) = seen.insert(*id, b.line) {
                    report.errors.push(entry(
                        b.line,
                        header,
                        Message::keyed(
                            "import.err.key_repeated",
                            format!("Row {first} already updates this record."),
                        )
                        .arg("line", first.to_string()),
                    ));
                }
                let mut record = b.record.clone();
                record.remove(&key);
                updates.push(RecordUpdate {
                    target: RecordTarget::Id(*id),
                    record,
                    revision: None,
                });
            }
            [] => report.errors.push(entry(
                b.line,
                header,
                Message::keyed("import.err.key_none", "No record has this key.")
                    .arg("key", value.clone()),
            )),
            _ => report.errors.push(entry(
                b.line,
                header,
                Message::keyed(
                    "import.err.key_many",
                    "Several records have this key; it must match exactly one.",
                )
                .arg("key", value.clone()),
            )),
        }
    }
    Ok(updates)
}

/// The import's check, inside a savepoint of the caller's transaction that is always rolled back
/// (scripts run by the checks keep nothing either): the report of what the import would do.
pub fn validate(
    conn: &mut DbConn,
    acting: &ActingContext,
    actor: &Actor,
    app: AppId,
    table: &Table,
    settings: &ImportSettings,
) -> EngineResult<Report> {
    conn.batch_execute("SAVEPOINT import_check")?;
    let result = apply_or_check(conn, acting, actor, app, table, settings, &mut |_| {}, true);
    conn.batch_execute("ROLLBACK TO SAVEPOINT import_check")?;
    conn.batch_execute("RELEASE SAVEPOINT import_check")?;
    result
}
