//! The columns of a record export and the cells of one record, as kintone's 「ファイルに書き出す」
//! lays them out: a header of field names; one row per record, or, when subtable fields are
//! exported, one row per subtable row, the record's own cells repeated on each of them and the
//! 「レコードの開始行」 column marking the record's first row with `*` (what kintone's import and
//! cli-kintone read to tell where a record starts).

use chrono::DateTime;
use serde_json::{Map, Value};

use crate::acl::Accessibility;
use crate::apps::LiveApp;
use crate::error::{EngineResult, Message, UserError};
use crate::fields::{FieldProperty, FieldType};
use crate::tabular::{
    self, row_value, typed_cell, value_of, value_text, Cell, ColumnKind, EntityBy,
};

/// The header of kintone's first-row marker column, written when subtable fields are exported.
pub const RECORD_START_LABEL: &str = "レコードの開始行";
/// The marker on a record's first row.
pub const RECORD_START_MARK: &str = "*";

/// One exported field: a field of the record, or a field of one of its subtables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportColumn {
    /// The field's code.
    pub code: String,
    /// The subtable holding the field, if any.
    pub table: Option<String>,
    /// The header written: the field's name.
    pub label: String,
    pub field_type: FieldType,
}

impl ExportColumn {
    pub fn kind(&self) -> ColumnKind {
        kind_of(self.field_type)
    }
}

/// Whether the caller may see field `code` on at least some records (field rights can differ
/// between records the caller created and others; cells are emptied per record).
fn viewable_somewhere(app: &LiveApp, code: &str) -> bool {
    let access = &app.access;
    access.fields.is_empty()
        || access.field_level(&app.definition, code, true) >= Accessibility::Read
        || access.field_level(&app.definition, code, false) >= Accessibility::Read
}

/// Whether a field of type `t` is shown at all (status fields only with the process on, as
/// `records::render::record_json` does).
fn shown(app: &LiveApp, property: &FieldProperty) -> bool {
    let t = property.field_type;
    if t.is_layout_only() || t == FieldType::ReferenceTable {
        return false;
    }
    if matches!(
        t,
        FieldType::Status | FieldType::StatusAssignee | FieldType::Category
    ) {
        let process = app.definition.process_enabled();
        return (process && t != FieldType::Category) || property.enabled.unwrap_or(false);
    }
    true
}

fn label_of(property: &FieldProperty) -> String {
    if property.label.is_empty() {
        property.code.clone()
    } else {
        property.label.clone()
    }
}

/// The columns for `codes` (the view's columns), or for every field in the form's order when
/// `None`. A subtable's code stands for all its fields; a subtable's field code for that field.
/// Fields the caller may see on no record are left out, as the record list leaves them out.
///
/// # Errors
/// `UserError` keyed `fields` (message `export.err.unknown_field`) naming a code the app does not
/// have.
pub fn export_columns(app: &LiveApp, codes: Option<&[String]>) -> EngineResult<Vec<ExportColumn>> {
    let def = &app.definition;
    let mut wanted: Vec<(String, Option<String>)> = Vec::new();
    let add_field = |code: &str, wanted: &mut Vec<(String, Option<String>)>| -> bool {
        if let Some(property) = def.properties.get(code) {
            if property.field_type == FieldType::Subtable {
                for inner in property.fields.iter().flat_map(|f| f.keys()) {
                    wanted.push((inner.clone(), Some(code.to_owned())));
                }
            } else {
                wanted.push((code.to_owned(), None));
            }
            return true;
        }
        match def.field(code).and_then(|f| f.subtable) {
            Some(table) => {
                wanted.push((code.to_owned(), Some(table.to_owned())));
                true
            }
            None => false,
        }
    };
    match codes {
        Some(codes) => {
            for code in codes {
                if !add_field(code, &mut wanted) {
                    return Err(UserError::invalid(
                        "fields",
                        Message::keyed(
                            "export.err.unknown_field",
                            format!("The field \"{code}\" does not exist in this app."),
                        )
                        .arg("code", code.clone()),
                    )
                    .into());
                }
            }
        }
        None => {
            let all: Vec<String> = def.properties.keys().cloned().collect();
            for code in &all {
                add_field(code, &mut wanted);
            }
        }
    }
    let mut columns: Vec<ExportColumn> = Vec::new();
    for (code, table) in wanted {
        if columns.iter().any(|c| c.code == code) {
            continue;
        }
        let property = match &table {
            None => def.properties.get(&code),
            Some(t) => def
                .properties
                .get(t)
                .and_then(|p| p.fields.as_ref())
                .and_then(|f| f.get(&code)),
        };
        let Some(property) = property else { continue };
        if !shown(app, property) || !viewable_somewhere(app, &code) {
            continue;
        }
        columns.push(ExportColumn {
            code,
            table,
            label: label_of(property),
            field_type: property.field_type,
        });
    }
    Ok(columns)
}

/// The rows of one record (`rendered`: `records::render::record_json`, hidden fields already
/// dropped) in `columns`, with the marker column first when `marker`.
pub fn record_rows(
    columns: &[ExportColumn],
    rendered: &Map<String, Value>,
    marker: bool,
    tz: chrono_tz::Tz,
) -> Vec<Vec<Cell>> {
    let table_rows = |table: &str| tabular::table_rows(rendered.get(table));
    let count = tabular::line_count(
        columns
            .iter()
            .filter_map(|c| c.table.as_deref())
            .map(table_rows),
    );
    (0..count)
        .map(|i| {
            let mut row = Vec::with_capacity(columns.len() + 1);
            if marker {
                row.push(if i == 0 {
                    Cell::Text(RECORD_START_MARK.to_owned())
                } else {
                    Cell::Empty
                });
            }
            for column in columns {
                let value = match &column.table {
                    None => rendered.get(&column.code).map(value_of),
                    Some(table) => row_value(table_rows(table), i, &column.code),
                };
                row.push(value.map_or(Cell::Empty, |v| cell_of(column.field_type, v, tz)));
            }
            row
        })
        .collect()
}

/// One value as a typed cell: numbers as numbers, dates as dates, date-times in the reader's time
/// zone; lists (check boxes, people, files) one item a line, people by their codes, as kintone
/// exports them.
pub fn cell_of(t: FieldType, value: &Value, tz: chrono_tz::Tz) -> Cell {
    let Some(text) = value_text(value, EntityBy::Code) else {
        return Cell::Empty;
    };
    match t {
        FieldType::Datetime | FieldType::CreatedTime | FieldType::UpdatedTime => {
            match DateTime::parse_from_rfc3339(&text) {
                Ok(at) => Cell::DateTime(at.with_timezone(&tz).naive_local()),
                Err(_) => Cell::Text(text),
            }
        }
        _ => typed_cell(kind_of(t), text),
    }
}

/// The kind of cell a field's values take.
fn kind_of(t: FieldType) -> ColumnKind {
    match t {
        FieldType::Number | FieldType::Calc => ColumnKind::Number,
        FieldType::Date => ColumnKind::Date,
        _ => ColumnKind::Text,
    }
}
