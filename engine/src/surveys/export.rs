//! The answers of a survey as a table for the upward report (issue 14): columns and rows from the
//! answer fields in kintone's CSV-export shape ([`answer_columns`], [`answer_rows`]), written as
//! XLSX ([`write_xlsx`]) or CSV ([`write_csv`], UTF-8 with a BOM or Shift_JIS) through the shared
//! writers of [`crate::tabular`].
//!
//! Guarantees: values keep their types (numbers stay numbers, dates dates) in XLSX; the XLSX
//! writers stream (rust_xlsxwriter's constant-memory mode), so 1,800 answers of 50 rows cost no
//! more memory than one; a Shift_JIS export never replaces a character it cannot hold with `?`:
//! every such character is listed (row, column, character) in a `UserError` and the caller
//! discards what was written.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::sheet::{Cell, ColumnKind};
use crate::error::{EngineResult, Message, UserError};
pub use crate::tabular::CsvEncoding;
use crate::tabular::{
    self, row_value, typed_cell, value_of, value_text, CsvWriter, EntityBy, XlsxBook,
};

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
    let table_rows = |table: &str| tabular::table_rows(values.get(table));
    let count = tabular::line_count(tables.iter().map(|t| table_rows(t)));
    (0..count)
        .map(|i| {
            let mut row = Vec::with_capacity(sources.len() + 1);
            row.push(Cell::Text(org_name.to_owned()));
            for source in &sources {
                let (value, ty) = match source {
                    Source::Single(code, ty) => (values.get(*code).map(value_of), ty),
                    Source::Inner(table, inner, ty) => (row_value(table_rows(table), i, inner), ty),
                };
                row.push(value.map_or(Cell::Empty, |v| field_cell(ty, v)));
            }
            row
        })
        .collect()
}

/// A value as a cell of its field's kind, people by their names (for the people reading the
/// report; the code when the name is missing).
fn field_cell(field_type: &str, value: &Value) -> Cell {
    value_text(value, EntityBy::Name)
        .map_or(Cell::Empty, |text| typed_cell(kind_of(field_type), text))
}

/// Writes `columns` and `rows` as a one-sheet workbook (sheet 「回答」, header row of labels) at
/// `out`, streamed in constant memory ([`crate::tabular::XlsxBook`]).
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

/// Writes `columns` (their labels as the header) and `rows` as CSV to `out`
/// ([`crate::tabular::CsvWriter`]: RFC 4180, formula-looking texts escaped, Shift_JIS as
/// Windows writes it).
///
/// # Errors
/// `UserError` keyed `encoding` listing the first places (row as Excel numbers it, the header
/// being row 1; column label; character) with the total count when Shift_JIS cannot hold some
/// character — what was written by then is incomplete: the caller writes to a temporary file and
/// sends it only on `Ok`; an internal error when `out` fails.
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
    let headers: Vec<String> = columns.iter().map(|c| c.label.clone()).collect();
    let mut writer = CsvWriter::new(out, encoding, &headers)?;
    for row in rows {
        writer.push(&row)?;
    }
    let Err(problems) = writer.finish()? else {
        return Ok(());
    };
    let count = problems.count;
    let list = problems
        .places
        .iter()
        .map(|(row, col, c)| {
            let column = columns
                .get(*col)
                .map(|c| c.label.clone())
                .unwrap_or_else(|| (col + 1).to_string());
            format!("{row}: {column} «{c}» (U+{:04X})", u32::from(*c))
        })
        .collect::<Vec<_>>()
        .join(", ");
    Err(UserError::invalid(
        "encoding",
        Message::keyed(
            "surveys.export.err.shift_jis",
            format!(
                "{count} characters cannot be written in Shift_JIS (row: column «character»): {list}. Export as UTF-8 instead, or change those answers."
            ),
        )
        .arg("count", count.to_string())
        .arg("list", list),
    )
    .into())
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
