//! The Excel answer sheet (owned by helper "sheets"). THIS IS A STUB with the interface of
//! /tmp/issue14/spec.md so that the core compiles and its tests run; the real module replaces it
//! at merge. Reading a template or an answer sheet answers "not available" until then.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::EngineResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ColumnKind {
    Text,
    Number,
    Date,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SheetColumn {
    pub header: String,
    pub kind: ColumnKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedCell {
    pub name: String,
    pub cell: String,
    pub kind: ColumnKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "lowercase")]
pub enum SheetMode {
    Table {
        sheet: String,
        #[serde(rename = "headerRow")]
        header_row: u32,
        columns: Vec<SheetColumn>,
    },
    Cells {
        sheet: String,
        cells: Vec<NamedCell>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SheetSpec {
    pub template_file_key: String,
    pub template_name: String,
    #[serde(flatten)]
    pub mode: SheetMode,
}

/// One cell value read from a sheet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "UPPERCASE")]
pub enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CellProblem {
    pub cell: String,
    pub column: String,
    pub value: String,
    pub expected: ColumnKind,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SheetAnswer {
    pub rows: Vec<Vec<Cell>>,
    pub problems: Vec<CellProblem>,
}

fn not_available() -> crate::error::EngineError {
    super::refused(
        "sheet",
        "surveys.err.sheetUnavailable",
        "Answer sheets cannot be read on this server yet.",
    )
    .into()
}

/// Checks a layout sent by a client (stub: every layout passes).
pub fn check_mode(_mode: &SheetMode) -> Result<(), crate::error::UserError> {
    Ok(())
}

/// Reads an uploaded template and proposes its spec (stub: not available).
pub fn inspect_template(_path: &Path, _mode_hint: Option<&str>) -> EngineResult<serde_json::Value> {
    Err(not_available())
}

/// Reads a filled answer sheet against the spec (stub: not available).
pub fn read_answer(_spec: &SheetSpec, _path: &Path) -> EngineResult<SheetAnswer> {
    Err(not_available())
}
