//! The answers of a survey as a table for the upward report (issue 14): columns and rows from the
//! answer fields in kintone's CSV-export shape ([`answer_columns`], [`answer_rows`]), written as
//! XLSX ([`write_xlsx`]) or CSV ([`write_csv`], UTF-8 with a BOM or Shift_JIS).
//!
//! Guarantees: values keep their types (numbers stay numbers, dates dates) in XLSX; the XLSX
//! writers stream (rust_xlsxwriter's constant-memory mode), so 1,800 answers of 50 rows cost no
//! more memory than one; a Shift_JIS export never replaces a character it cannot hold with `?`:
//! every such character is listed (row, column, character) in a `UserError` and the caller
//! discards what was written.

use std::io::Write;
use std::path::Path;

use encoding_rs::{EncoderResult, SHIFT_JIS};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::sheet::{format_number, parse_number_text, Cell, ColumnKind};
use crate::error::{EngineError, EngineResult, Message, UserError};

/// A column of an export: the field code (`table.field` for a subtable's field), its label (the
/// header written), and its kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportColumn {
    pub code: String,
    pub label: String,
    pub kind: ColumnKind,
}

/// The code and label of the organisation column that starts every export.
pub const ORGANISATION_CODE: &str = "organisation";
pub const ORGANISATION_LABEL: &str = "組織";

/// Field types that hold no answer (layout elements, record metadata).
const NOT_ANSWERS: &[&str] = &[
    "LABEL",
    "SPACER",
    "HR",
    "GROUP",
    "REFERENCE_TABLE",
    "RECORD_NUMBER",
    "__ID__",
    "__REVISION__",
    "CREATOR",
    "CREATED_TIME",
    "MODIFIER",
    "UPDATED_TIME",
    "STATUS",
    "STATUS_ASSIGNEE",
    "CATEGORY",
];

/// The `properties` map of `fields` (or `fields` itself when it is the map).
fn properties(fields: &Value) -> Option<&serde_json::Map<String, Value>> {
    match fields.get("properties").and_then(Value::as_object) {
        Some(map) => Some(map),
        None => fields.as_object(),
    }
}

fn kind_of(field_type: &str) -> ColumnKind {
    match field_type {
        "NUMBER" | "CALC" => ColumnKind::Number,
        "DATE" => ColumnKind::Date,
        _ => ColumnKind::Text,
    }
}

fn field_type(property: &Value) -> &str {
    property
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn label(code: &str, property: &Value) -> String {
    property
        .get("label")
        .and_then(Value::as_str)
        .filter(|l| !l.is_empty())
        .unwrap_or(code)
        .to_owned()
}

/// The columns of an answers export: 「組織」, then the answer fields in the order of the
/// properties map; a subtable's fields in its place, coded `table.field` and labelled with their
/// own labels, as kintone's CSV export lays them out. Layout-only fields are left out.
pub fn answer_columns(fields: &Value) -> Vec<ExportColumn> {
    let mut columns = vec![ExportColumn {
        code: ORGANISATION_CODE.to_owned(),
        label: ORGANISATION_LABEL.to_owned(),
        kind: ColumnKind::Text,
    }];
    let Some(properties) = properties(fields) else {
        return columns;
    };
    for (code, property) in properties {
        let ty = field_type(property);
        if NOT_ANSWERS.contains(&ty) {
            continue;
        }
        if ty == "SUBTABLE" {
            let inner = property.get("fields").and_then(Value::as_object);
            for (inner_code, inner_property) in inner.into_iter().flatten() {
                let inner_ty = field_type(inner_property);
                if NOT_ANSWERS.contains(&inner_ty) {
                    continue;
                }
                columns.push(ExportColumn {
                    code: format!("{code}.{inner_code}"),
                    label: label(inner_code, inner_property),
                    kind: kind_of(inner_ty),
                });
            }
            continue;
        }
        columns.push(ExportColumn {
            code: code.clone(),
            label: label(code, property),
            kind: kind_of(ty),
        });
    }
    columns
}

/// The rows of one organisation's answer, in the columns of [`answer_columns`]: one row per
/// subtable row (the i-th rows of several subtables side by side), the organisation and the
/// single values repeated on each; an answer without subtable rows is one row. `values` is a
/// kintone record (`{code: {type?, value}}`). NUMBER/CALC become numbers and DATE dates (a value
/// that does not parse stays text); CHECK_BOX and MULTI_SELECT are joined with line breaks as
/// kintone exports them; user, organisation and group selections list their names (codes when
/// the name is missing); files list their names; DATETIME and TIME stay as kintone's text.
pub fn answer_rows(fields: &Value, org_name: &str, values: &Value) -> Vec<Vec<Cell>> {
    let Some(properties) = properties(fields) else {
        return vec![vec![Cell::Text(org_name.to_owned())]];
    };
    // Each column: where its value is (a single field, or a subtable's inner field).
    enum Source<'a> {
        Single(&'a str, &'a str),
        Inner(&'a str, &'a str, &'a str),
    }
    let mut sources = Vec::new();
    let mut tables: Vec<&str> = Vec::new();
    for (code, property) in properties {
        let ty = field_type(property);
        if NOT_ANSWERS.contains(&ty) {
            continue;
        }
        if ty == "SUBTABLE" {
            tables.push(code);
            let inner = property.get("fields").and_then(Value::as_object);
            for (inner_code, inner_property) in inner.into_iter().flatten() {
                let inner_ty = field_type(inner_property);
                if !NOT_ANSWERS.contains(&inner_ty) {
                    sources.push(Source::Inner(code, inner_code, inner_ty));
                }
            }
        } else {
            sources.push(Source::Single(code, ty));
        }
    }
    let table_rows = |table: &str| -> Vec<&Value> {
        values
            .get(table)
            .map(value_of)
            .and_then(Value::as_array)
            .map(|rows| rows.iter().collect())
            .unwrap_or_default()
    };
    let count = tables
        .iter()
        .map(|t| table_rows(t).len())
        .max()
        .unwrap_or(0)
        .max(1);
    (0..count)
        .map(|i| {
            let mut row = Vec::with_capacity(sources.len() + 1);
            row.push(Cell::Text(org_name.to_owned()));
            for source in &sources {
                row.push(match source {
                    Source::Single(code, ty) => match values.get(*code) {
                        Some(v) => field_cell(ty, value_of(v)),
                        None => Cell::Empty,
                    },
                    Source::Inner(table, inner, ty) => table_rows(table)
                        .get(i)
                        .and_then(|r| r.get("value").unwrap_or(r).get(*inner))
                        .map(|v| field_cell(ty, value_of(v)))
                        .unwrap_or(Cell::Empty),
                });
            }
            row
        })
        .collect()
}

/// `{type, value}` → `value`; a bare value stays as it is.
fn value_of(v: &Value) -> &Value {
    v.as_object().and_then(|map| map.get("value")).unwrap_or(v)
}

fn field_cell(field_type: &str, value: &Value) -> Cell {
    let text = match value {
        Value::Null => return Cell::Empty,
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Array(items) => items
            .iter()
            .filter_map(entity_name)
            .collect::<Vec<_>>()
            .join("\n"),
        Value::Object(_) => entity_name(value).unwrap_or_default(),
    };
    if text.is_empty() {
        return Cell::Empty;
    }
    match kind_of(field_type) {
        ColumnKind::Number => match parse_number_text(&text) {
            Some(n) => Cell::Number(n),
            None => Cell::Text(text),
        },
        ColumnKind::Date => match chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
            Ok(d) => Cell::Date(d),
            Err(_) => Cell::Text(text),
        },
        ColumnKind::Text => Cell::Text(text),
    }
}

/// An item of a multi-value field as text: a string itself, an entity's name (else its code), a
/// file's name.
fn entity_name(item: &Value) -> Option<String> {
    match item {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(map) => ["name", "code"]
            .iter()
            .filter_map(|k| map.get(*k).and_then(Value::as_str))
            .find(|s| !s.is_empty())
            .map(str::to_owned),
        _ => None,
    }
}

// ------------------------------------------------------------------ XLSX

/// Writes `columns` and `rows` as a one-sheet workbook (sheet 「回答」, header row of labels) at
/// `out`, streamed in constant memory.
///
/// # Errors
/// `UserError` keyed `export` when the rows do not fit in one Excel sheet; internal errors for
/// the temporary files and `out`.
pub fn write_xlsx<I>(columns: &[ExportColumn], rows: I, out: &Path) -> EngineResult<()>
where
    I: IntoIterator<Item = Vec<Cell>>,
{
    let headers: Vec<(String, ColumnKind)> =
        columns.iter().map(|c| (c.label.clone(), c.kind)).collect();
    let mut book = XlsxBook::new(out)?;
    let mut sheet = book.sheet("回答", &headers)?;
    for row in rows {
        sheet.push(row.iter())?;
    }
    book.save(vec![sheet], out)
}

/// Excel's longest cell text; longer texts are cut there (with a final `…`).
const MAX_CELL_CHARS: usize = 32_767;
/// Excel's rows per sheet.
const MAX_SHEET_ROWS: u32 = 1_048_576;

/// A workbook being streamed: the formats shared by its sheets.
pub(crate) struct XlsxBook {
    workbook: Workbook,
    header: Format,
    date: Format,
}

/// One constant-memory sheet of an [`XlsxBook`], written row by row.
pub(crate) struct SheetWriter {
    sheet: Worksheet,
    next_row: u32,
    date: Format,
}

impl SheetWriter {
    /// Writes the next row: numbers as numbers, dates as dates, text as text, empty cells not at
    /// all.
    pub(crate) fn push<'a>(
        &mut self,
        cells: impl IntoIterator<Item = &'a Cell>,
    ) -> EngineResult<()> {
        if self.next_row >= MAX_SHEET_ROWS {
            return Err(UserError::invalid(
                "export",
                Message::keyed(
                    "surveys.export.err.too_many_rows",
                    format!("The answers have more rows than one Excel sheet holds ({MAX_SHEET_ROWS}). Export them as CSV."),
                )
                .arg("limit", MAX_SHEET_ROWS.to_string()),
            )
            .into());
        }
        let row = self.next_row;
        for (col, cell) in cells.into_iter().enumerate() {
            let col = column_index(col)?;
            match cell {
                Cell::Empty => {}
                Cell::Text(text) => {
                    self.sheet
                        .write_string(row, col, cell_text(text))
                        .map_err(xlsx_error)?;
                }
                Cell::Number(n) => {
                    self.sheet.write_number(row, col, *n).map_err(xlsx_error)?;
                }
                Cell::Date(d) => {
                    let date = ExcelDateTime::from_ymd(
                        u16::try_from(chrono::Datelike::year(d)).unwrap_or(1900),
                        chrono::Datelike::month(d) as u8,
                        chrono::Datelike::day(d) as u8,
                    );
                    match date {
                        Ok(date) => self
                            .sheet
                            .write_datetime_with_format(row, col, &date, &self.date)
                            .map(|_| ()),
                        // Before 1900 or after 9999: Excel has no such date; keep its text.
                        Err(_) => self
                            .sheet
                            .write_string(row, col, d.format("%Y-%m-%d").to_string())
                            .map(|_| ()),
                    }
                    .map_err(xlsx_error)?;
                }
            }
        }
        self.next_row += 1;
        Ok(())
    }
}

/// A column number as rust_xlsxwriter's, refusing more than Excel's 16,384 columns.
fn column_index(col: usize) -> EngineResult<u16> {
    u16::try_from(col)
        .ok()
        .filter(|c| *c < 16_384)
        .ok_or_else(|| {
            EngineError::Internal(format!("export: column {col} is past Excel's last column"))
        })
}

/// A text as a cell holds it: cut at Excel's 32,767 characters.
fn cell_text(text: &str) -> String {
    if text.chars().count() <= MAX_CELL_CHARS {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(MAX_CELL_CHARS - 1).collect();
    cut.push('…');
    cut
}

fn xlsx_error(e: XlsxError) -> EngineError {
    EngineError::Internal(format!("xlsx: {e}"))
}

impl XlsxBook {
    /// A workbook whose temporary sheet files go beside `out` (the caller's temporary place).
    pub(crate) fn new(out: &Path) -> EngineResult<XlsxBook> {
        let mut workbook = Workbook::new();
        if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
            workbook.set_tempdir(dir).map_err(xlsx_error)?;
        }
        Ok(XlsxBook {
            workbook,
            header: Format::new().set_bold(),
            date: Format::new().set_num_format("yyyy/mm/dd"),
        })
    }

    /// A new sheet named `name` with `headers` written as its first row.
    pub(crate) fn sheet(
        &mut self,
        name: &str,
        headers: &[(String, ColumnKind)],
    ) -> EngineResult<SheetWriter> {
        let mut sheet = self
            .workbook
            .new_worksheet_with_constant_memory()
            .map_err(xlsx_error)?;
        sheet.set_name(name).map_err(xlsx_error)?;
        for (col, (header, kind)) in headers.iter().enumerate() {
            let col = column_index(col)?;
            let width = match kind {
                ColumnKind::Date => 12.0,
                ColumnKind::Number => 12.0,
                ColumnKind::Text => 20.0,
            };
            sheet.set_column_width(col, width).map_err(xlsx_error)?;
            sheet
                .write_string_with_format(0, col, cell_text(header), &self.header)
                .map_err(xlsx_error)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
        Ok(SheetWriter {
            sheet,
            next_row: 1,
            date: self.date.clone(),
        })
    }

    /// Adds the sheets in this order and writes the workbook to `out`.
    pub(crate) fn save(mut self, sheets: Vec<SheetWriter>, out: &Path) -> EngineResult<()> {
        for sheet in sheets {
            self.workbook.push_worksheet(sheet.sheet);
        }
        self.workbook.save(out).map_err(xlsx_error)
    }
}

// ------------------------------------------------------------------ CSV

/// The character encoding of a CSV export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CsvEncoding {
    /// UTF-8 with a byte-order mark, so Excel opens it as UTF-8.
    Utf8Bom,
    /// Shift_JIS as Windows writes it (Windows-31J/CP932: NEC and IBM extensions such as ① and 髙
    /// included), for systems that read nothing else.
    ShiftJis,
}

/// Most unencodable characters listed in the error (the count says how many there were).
const MAX_LISTED_PROBLEMS: usize = 20;

/// Writes `columns` (their labels as the header) and `rows` as CSV (RFC 4180: fields quoted when
/// they hold a comma, quote or line break, quotes doubled, CRLF after each record) to `out`.
/// Numbers are written plainly (`1234.5`), dates as `yyyy-mm-dd`. A text that Excel would take
/// for a formula (starting with `=`, `@`, or `+`/`-` without being a number) gets a leading `'`.
///
/// Shift_JIS is Windows-31J; the JIS characters that Macs and phones type with other code points
/// (`〜` U+301C, `‖`, `—`, `¢`, `£`, `¬`) are written as the bytes Windows writes for them.
/// Every row is encoded before it is written; once a character cannot be encoded
/// (𠮷, emoji, ...) nothing more is written, the remaining rows are still checked, and the error
/// lists the first [`MAX_LISTED_PROBLEMS`] places (row as Excel numbers it, the header being row
/// 1; column label; character) with the total count. What was written by then is incomplete:
/// the caller writes to a temporary file and sends it only on `Ok`.
///
/// # Errors
/// `UserError` keyed `encoding` as above; an internal error when `out` fails.
pub fn write_csv<I, W>(
    columns: &[ExportColumn],
    rows: I,
    encoding: CsvEncoding,
    out: &mut W,
) -> EngineResult<()>
where
    I: IntoIterator<Item = Vec<Cell>>,
    W: Write + ?Sized,
{
    let mut problems: Vec<(usize, String, char)> = Vec::new();
    let mut problem_count = 0usize;
    if encoding == CsvEncoding::Utf8Bom {
        out.write_all(b"\xEF\xBB\xBF")?;
    }
    let header: Vec<Cell> = columns
        .iter()
        .map(|c| Cell::Text(c.label.clone()))
        .collect();
    let mut line = Vec::new();
    let mut bad = Vec::new();
    for (index, row) in std::iter::once(header).chain(rows).enumerate() {
        line.clear();
        for (col, cell) in row.iter().enumerate() {
            if col > 0 {
                line.push(b',');
            }
            let field = csv_field(cell);
            match encoding {
                CsvEncoding::Utf8Bom => line.extend_from_slice(field.as_bytes()),
                CsvEncoding::ShiftJis => {
                    bad.clear();
                    encode_shift_jis(&field, &mut line, &mut bad);
                    for c in bad.drain(..) {
                        problem_count += 1;
                        if problems.len() < MAX_LISTED_PROBLEMS {
                            let column = columns
                                .get(col)
                                .map(|c| c.label.clone())
                                .unwrap_or_else(|| (col + 1).to_string());
                            problems.push((index + 1, column, c));
                        }
                    }
                }
            }
        }
        line.extend_from_slice(b"\r\n");
        if problem_count == 0 {
            out.write_all(&line)?;
        }
    }
    if problem_count > 0 {
        let list = problems
            .iter()
            .map(|(row, column, c)| format!("{row}: {column} «{c}» (U+{:04X})", u32::from(*c)))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(UserError::invalid(
            "encoding",
            Message::keyed(
                "surveys.export.err.shift_jis",
                format!(
                    "{problem_count} characters cannot be written in Shift_JIS (row: column «character»): {list}. Export as UTF-8 instead, or change those answers."
                ),
            )
            .arg("count", problem_count.to_string())
            .arg("list", list),
        )
        .into());
    }
    out.flush()?;
    Ok(())
}

/// One field as CSV text (quoted when needed).
fn csv_field(cell: &Cell) -> String {
    let text = match cell {
        Cell::Empty => return String::new(),
        Cell::Number(n) => return format_number(*n),
        Cell::Date(d) => return d.format("%Y-%m-%d").to_string(),
        Cell::Text(text) => text,
    };
    let guarded = if looks_like_formula(text) {
        format!("'{text}")
    } else {
        text.clone()
    };
    if guarded.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// Text that Excel would evaluate when opening the CSV (CSV injection).
fn looks_like_formula(text: &str) -> bool {
    match text.chars().next() {
        Some('=' | '@' | '\t' | '\r') => true,
        Some('+' | '-') => text.chars().count() > 1 && parse_number_text(text).is_none(),
        _ => false,
    }
}

/// The JIS X 0208 characters whose Unicode form on Macs and phones (and in EUC-JP) differs from
/// the one Windows-31J maps: Windows writes them as the same bytes (its best-fit mapping), and
/// encoding_rs knows only the Windows forms. They are the same characters, so this is no
/// substitution: `〜` (U+301C, what iOS types) is 0x8160 as `～` (U+FF5E) is.
const JIS_TO_WINDOWS: &[(char, char)] = &[
    ('\u{301C}', '\u{FF5E}'), // WAVE DASH → FULLWIDTH TILDE
    ('\u{2016}', '\u{2225}'), // DOUBLE VERTICAL LINE → PARALLEL TO
    ('\u{2014}', '\u{2015}'), // EM DASH → HORIZONTAL BAR
    ('\u{00A2}', '\u{FFE0}'), // CENT SIGN
    ('\u{00A3}', '\u{FFE1}'), // POUND SIGN
    ('\u{00AC}', '\u{FFE2}'), // NOT SIGN
];

/// Appends `text` in Shift_JIS (Windows-31J) to `out`; characters it cannot hold go to `bad`
/// (and nothing stands in for them in `out`).
fn encode_shift_jis(text: &str, out: &mut Vec<u8>, bad: &mut Vec<char>) {
    let mapped: String;
    let text = if text.contains(|c| JIS_TO_WINDOWS.iter().any(|(jis, _)| *jis == c)) {
        mapped = text
            .chars()
            .map(|c| {
                JIS_TO_WINDOWS
                    .iter()
                    .find(|(jis, _)| *jis == c)
                    .map_or(c, |(_, windows)| *windows)
            })
            .collect();
        &mapped
    } else {
        text
    };
    let mut encoder = SHIFT_JIS.new_encoder();
    let mut rest = text;
    let mut buffer = [0u8; 1024];
    loop {
        let (result, read, written) =
            encoder.encode_from_utf8_without_replacement(rest, &mut buffer, true);
        out.extend_from_slice(&buffer[..written]);
        rest = &rest[read..];
        match result {
            EncoderResult::InputEmpty => return,
            EncoderResult::OutputFull => {}
            EncoderResult::Unmappable(c) => bad.push(c),
        }
    }
}

/// The rows of a merged answer sheet in the columns of [`sheet_columns`] (for its CSV export):
/// the organisation, then the answer's cells.
pub fn sheet_rows<'a>(
    organisation: &str,
    answer: &'a super::sheet::SheetAnswer,
) -> impl Iterator<Item = Vec<Cell>> + 'a {
    let org = organisation.to_owned();
    answer.rows.iter().map(move |row| {
        let mut cells = Vec::with_capacity(row.len() + 1);
        cells.push(Cell::Text(org.clone()));
        cells.extend(row.iter().cloned());
        cells
    })
}

/// The columns of a merged answer sheet: 「組織」, then the layout's columns.
pub fn sheet_columns(spec: &super::sheet::SheetSpec) -> Vec<ExportColumn> {
    let mut columns = vec![ExportColumn {
        code: ORGANISATION_CODE.to_owned(),
        label: ORGANISATION_LABEL.to_owned(),
        kind: ColumnKind::Text,
    }];
    columns.extend(
        spec.mode
            .columns()
            .into_iter()
            .map(|(header, kind)| ExportColumn {
                code: header.clone(),
                label: header,
                kind,
            }),
    );
    columns
}

#[cfg(test)]
mod tests;
