//! The Excel answer sheet of a survey (issue 14): the template's layout ([`SheetSpec`]), proposed by
//! [`inspect_template`]; the rows of a filled sheet ([`read_answer`]), each cell converted to its
//! column's kind, and a cell that does not fit kept as its text with a [`CellProblem`] beside it,
//! never dropped; and all answers merged into one workbook ([`write_merged_sheet`]).
//!
//! Guarantees: a workbook is parsed only after [`guard`] passed it (size, XLSX, no macros, not
//! encrypted, no zip bomb); sheets are read as a stream of cells and only the cells of the rows
//! and columns the layout needs are kept, so a sheet with a stray cell at `XFD1048576` costs
//! nothing; a structural mismatch (wrong sheet, renamed or missing columns, missing named cells,
//! too many rows) is a `UserError` (CB_VA01 keyed `sheet`) naming what differs, and nothing of
//! the file is returned. A panic inside the XLSX parser becomes the "not an XLSX" error.

mod cells;
pub mod guard;

use std::collections::BTreeMap;
use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use calamine::{Reader, Xlsx};
use serde::{Deserialize, Serialize};

use crate::error::{EngineError, EngineResult};
use crate::tabular::XlsxBook;
pub use crate::tabular::{format_number, parse_number_text, Cell, ColumnKind};
pub use cells::parse_date_text;
use cells::{
    convert, header_texts, normalise_header, read_cells, read_cells_with_formulas, Cells, Raw,
};
use guard::{not_xlsx, refused, refused_with};

/// Most data rows read from one answer sheet; a sheet with more is refused (never cut short).
pub const MAX_ROWS: u32 = 10_000;
/// Most columns of a table layout.
pub const MAX_COLUMNS: u32 = 500;
/// Rows searched for the header row of a template.
const HEADER_SEARCH_ROWS: u32 = 100;
/// Rows past the template's header row searched for the header in an answer (a title row added
/// above the table by the person filling it in).
const HEADER_SHIFT_ROWS: u32 = 20;

/// A column of a table layout: its header text in the template and its kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetColumn {
    pub header: String,
    pub kind: ColumnKind,
}

/// A named cell of a cells layout: the workbook's defined name and the cell it names in the
/// template (`C4`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedCell {
    pub name: String,
    pub cell: String,
    pub kind: ColumnKind,
}

/// How answers sit in the sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "lowercase")]
pub enum SheetMode {
    /// A table: a header row (1-based), its columns starting at the row's first non-empty cell,
    /// and data rows below it down to the first empty row.
    Table {
        sheet: String,
        #[serde(rename = "headerRow")]
        header_row: u32,
        columns: Vec<SheetColumn>,
    },
    /// A form: one answer row made of the cells named in the workbook.
    Cells {
        sheet: String,
        cells: Vec<NamedCell>,
    },
}

impl SheetMode {
    /// The sheet the layout is on.
    pub fn sheet(&self) -> &str {
        match self {
            SheetMode::Table { sheet, .. } | SheetMode::Cells { sheet, .. } => sheet,
        }
    }

    /// The columns of an answer row: the table's headers or the cells' names, with their kinds.
    pub fn columns(&self) -> Vec<(String, ColumnKind)> {
        match self {
            SheetMode::Table { columns, .. } => {
                columns.iter().map(|c| (c.header.clone(), c.kind)).collect()
            }
            SheetMode::Cells { cells, .. } => {
                cells.iter().map(|c| (c.name.clone(), c.kind)).collect()
            }
        }
    }
}

/// A survey's answer sheet: the template file and its layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SheetSpec {
    pub template_file_key: String,
    pub template_name: String,
    #[serde(flatten)]
    pub mode: SheetMode,
}

/// A cell whose value does not fit its column: kept as text in the row, reported here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CellProblem {
    /// Where, as Excel names it (`D7`).
    pub cell: String,
    /// The column's header (table) or the cell's name (cells).
    pub column: String,
    /// The cell's value as text.
    pub value: String,
    pub expected: ColumnKind,
}

/// The rows of one filled answer sheet and the cells that did not fit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SheetAnswer {
    pub rows: Vec<Vec<Cell>>,
    pub problems: Vec<CellProblem>,
}

// ------------------------------------------------------------------ inspect

/// Checks a layout sent by a client (the page's editor may change what [`inspect_template`]
/// proposed): a sheet name, a header row from 1, at most [`MAX_COLUMNS`] columns with non-empty
/// headers, named cells that name one cell each (`C4`), and at least one column or cell.
///
/// # Errors
/// `UserError` keyed `sheet` (`surveys.sheet.err.spec_invalid`).
pub fn check_mode(mode: &SheetMode) -> Result<(), crate::error::UserError> {
    let valid = !mode.sheet().trim().is_empty()
        && match mode {
            SheetMode::Table {
                header_row,
                columns,
                ..
            } => {
                (1..=1_048_575).contains(header_row)
                    && !columns.is_empty()
                    && columns.len() <= MAX_COLUMNS as usize
                    && columns.iter().all(|c| !c.header.trim().is_empty())
            }
            SheetMode::Cells { cells, .. } => {
                !cells.is_empty()
                    && cells.len() <= MAX_COLUMNS as usize
                    && cells
                        .iter()
                        .all(|c| !c.name.trim().is_empty() && parse_cell_ref(&c.cell).is_some())
            }
        };
    if valid {
        Ok(())
    } else {
        Err(refused(
            "surveys.sheet.err.spec_invalid",
            "The answer sheet layout is not valid: it needs a sheet, a header row and at least one column with a name (or at least one named cell).",
        ))
    }
}

/// Reads an uploaded template and proposes its layout (the caller adds the file key and name to
/// make a [`SheetSpec`], and may change the kinds). `mode_hint` `"table"` or `"cells"` asks for
/// one; without it a workbook with single-cell defined names is a form (cells), any other a table.
/// Table: the sheet of the workbook's first Excel table, else the first sheet; the header row is
/// the table's header, else the first row with at least two non-empty cells; kinds are guessed
/// from the row below it (numbers, dates, else text).
///
/// # Errors
/// The refusals of [`guard::read_checked`]; `UserError` keyed `sheet` when no header row or no
/// named cell is found, or for an unknown `mode_hint`.
pub fn inspect_template(path: &Path, mode_hint: Option<&str>) -> EngineResult<SheetMode> {
    let bytes = guard::read_checked(path)?;
    contained(move || {
        let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|_| not_xlsx())?;
        match mode_hint {
            Some("cells") => inspect_cells(&mut book)?.ok_or_else(|| no_names().into()),
            Some("table") => inspect_table(&mut book)?.ok_or_else(|| no_header().into()),
            None | Some("") => {
                if let Some(cells) = inspect_cells(&mut book)? {
                    return Ok(cells);
                }
                inspect_table(&mut book)?.ok_or_else(|| no_layout().into())
            }
            Some(other) => Err(refused_with(
                "surveys.sheet.err.mode",
                format!("The sheet mode must be \"table\" or \"cells\", not \"{other}\"."),
                vec![("mode", other.to_owned())],
            )
            .into()),
        }
    })
}

fn inspect_table(book: &mut Xlsx<Cursor<Vec<u8>>>) -> EngineResult<Option<SheetMode>> {
    book.load_tables().map_err(|_| not_xlsx())?;
    let first_table = book.table_names().first().map(|name| (*name).clone());
    let (sheet, expected) = match first_table {
        Some(name) => {
            let table = book.table_by_name(&name).map_err(|_| not_xlsx())?;
            (
                table.sheet_name().to_owned(),
                Some(table.columns().to_vec()),
            )
        }
        None => match book.sheet_names().first() {
            Some(sheet) => (sheet.clone(), None),
            None => return Ok(None),
        },
    };
    let cells = read_cells(book, &sheet, 0, HEADER_SEARCH_ROWS + 1, u32::MAX)?;
    let header = (0..HEADER_SEARCH_ROWS)
        .find(|&row| {
            let texts = header_texts(&cells, row);
            match &expected {
                Some(columns) => texts.1 == *columns,
                None => texts.1.len() >= 2,
            }
        })
        .or_else(|| (0..HEADER_SEARCH_ROWS).find(|&row| header_texts(&cells, row).1.len() >= 2));
    let Some(row) = header else {
        return Ok(None);
    };
    let (first_col, headers) = header_texts(&cells, row);
    let columns = headers
        .into_iter()
        .take(MAX_COLUMNS as usize)
        .enumerate()
        .map(|(i, header)| {
            let below = cells.get(&(row + 1, first_col + i as u32));
            let kind = match below {
                Some(Raw::Number(_)) => ColumnKind::Number,
                Some(Raw::Date(_)) => ColumnKind::Date,
                _ => ColumnKind::Text,
            };
            SheetColumn { header, kind }
        })
        .collect();
    Ok(Some(SheetMode::Table {
        sheet,
        header_row: row + 1,
        columns,
    }))
}

fn inspect_cells(book: &mut Xlsx<Cursor<Vec<u8>>>) -> EngineResult<Option<SheetMode>> {
    let names = single_cell_names(book);
    let Some(sheet) = names.first().map(|(_, sheet, _)| sheet.clone()) else {
        return Ok(None);
    };
    let mut on_sheet: Vec<(String, (u32, u32))> = names
        .into_iter()
        .filter(|(_, s, _)| *s == sheet)
        .map(|(name, _, at)| (name, at))
        .collect();
    // The form's reading order, not the alphabetical order Excel keeps names in.
    on_sheet.sort_by_key(|(_, (row, col))| (*row, *col));
    let last_row = on_sheet.iter().map(|(_, (row, _))| *row).max().unwrap_or(0);
    let values = read_cells(book, &sheet, 0, last_row, u32::MAX)?;
    let cells = on_sheet
        .into_iter()
        .map(|(name, at)| NamedCell {
            kind: match values.get(&at) {
                Some(Raw::Number(_)) => ColumnKind::Number,
                Some(Raw::Date(_)) => ColumnKind::Date,
                _ => ColumnKind::Text,
            },
            cell: cell_ref(at.0, at.1),
            name,
        })
        .collect();
    Ok(Some(SheetMode::Cells { sheet, cells }))
}

/// The workbook's defined names that name one cell: (name, sheet, (row, col) 0-based), in the
/// workbook's order. Excel's own names (`_xlnm.Print_Area`, ...) are left out.
fn single_cell_names(book: &Xlsx<Cursor<Vec<u8>>>) -> Vec<(String, String, (u32, u32))> {
    book.defined_names()
        .iter()
        .filter(|(name, _)| !name.starts_with("_xlnm."))
        .filter_map(|(name, formula)| {
            let (sheet, at) = parse_single_cell(formula)?;
            Some((name.clone(), sheet, at))
        })
        .collect()
}

/// `Sheet1!$C$4`, `'My sheet'!C4` or `Sheet1!$C$4:$C$4` → (`Sheet1`, (3, 2)).
fn parse_single_cell(formula: &str) -> Option<(String, (u32, u32))> {
    let formula = formula.trim().trim_start_matches('=');
    let (sheet, reference) = formula.rsplit_once('!')?;
    let sheet = match sheet.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        Some(quoted) => quoted.replace("''", "'"),
        None => sheet.to_owned(),
    };
    let reference = reference.replace('$', "");
    let reference = match reference.split_once(':') {
        Some((a, b)) if a == b => a.to_owned(),
        Some(_) => return None,
        None => reference,
    };
    Some((sheet, parse_cell_ref(&reference)?))
}

/// `C4` → (3, 2), 0-based (row, col).
pub fn parse_cell_ref(reference: &str) -> Option<(u32, u32)> {
    let split = reference.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = reference.split_at(split);
    if letters.is_empty() || letters.len() > 3 || !letters.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let col = letters
        .bytes()
        .fold(0u32, |acc, b| acc * 26 + u32::from(b - b'A') + 1)
        - 1;
    let row: u32 = digits.parse().ok()?;
    (row >= 1 && col < 16_384 && row <= 1_048_576).then(|| (row - 1, col))
}

/// (3, 2) → `C4`.
pub fn cell_ref(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut n = col + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect::<String>() + &(row + 1).to_string()
}

// ------------------------------------------------------------------ read

/// Reads a filled answer sheet against `spec`.
///
/// Table: the header row must hold the template's column headers in the template's order (found
/// at the template's row or up to a few rows below it); the data rows are those under it down to
/// the first row with nothing typed in any of the columns (cells holding only the template's
/// formulas count as empty). Cells: every named cell must still be named in the
/// file (its place may have moved); the answer is one row of them.
///
/// # Errors
/// The refusals of [`guard::read_checked`]; `UserError` keyed `sheet` when the sheet is missing,
/// the header differs (naming the missing, unexpected or moved columns), a named cell is missing,
/// or there are more than [`MAX_ROWS`] rows.
pub fn read_answer(spec: &SheetSpec, path: &Path) -> EngineResult<SheetAnswer> {
    let bytes = guard::read_checked(path)?;
    let mode = spec.mode.clone();
    contained(move || {
        let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|_| not_xlsx())?;
        let sheets = book.sheet_names();
        if !sheets.iter().any(|s| s == mode.sheet()) {
            return Err(refused_with(
                "surveys.sheet.err.sheet_missing",
                format!(
                    "The file has no sheet \"{}\" (it has {}). Fill in the template of this survey and upload it.",
                    mode.sheet(),
                    quoted_list(&sheets)
                ),
                vec![
                    ("sheet", mode.sheet().to_owned()),
                    ("found", quoted_list(&sheets)),
                ],
            )
            .into());
        }
        match &mode {
            SheetMode::Table {
                sheet,
                header_row,
                columns,
            } => read_table(&mut book, sheet, *header_row, columns),
            SheetMode::Cells { cells, .. } => read_named(&mut book, cells),
        }
    })
}

fn read_table(
    book: &mut Xlsx<Cursor<Vec<u8>>>,
    sheet: &str,
    header_row: u32,
    columns: &[SheetColumn],
) -> EngineResult<SheetAnswer> {
    let template_row = header_row.saturating_sub(1);
    let expected: Vec<String> = columns
        .iter()
        .map(|c| normalise_header(&c.header))
        .collect();
    // The header rows first (cheap): where the header is decides which columns to keep.
    let head = read_cells(
        book,
        sheet,
        template_row,
        template_row + HEADER_SHIFT_ROWS,
        u32::MAX,
    )?;
    let found_at = (template_row..=template_row + HEADER_SHIFT_ROWS).find(|&row| {
        let (_, texts) = header_texts(&head, row);
        texts
            .iter()
            .map(|t| normalise_header(t))
            .collect::<Vec<_>>()
            == expected
    });
    let Some(row) = found_at else {
        return Err(header_mismatch(&head, template_row, columns).into());
    };
    let (first_col, _) = header_texts(&head, row);
    let last_col = first_col + columns.len() as u32 - 1;
    let (data, formulas) =
        read_cells_with_formulas(book, sheet, row + 1, row + 1 + MAX_ROWS, last_col)?;
    let mut answer = SheetAnswer::default();
    for r in row + 1..=row + 1 + MAX_ROWS {
        // Empty when nobody typed anything in it: a template's prepared formulas (a 計 column
        // computing 0 on every row) do not make a row an answer.
        let empty = (first_col..=last_col)
            .all(|c| !data.contains_key(&(r, c)) || formulas.contains(&(r, c)));
        if empty {
            break;
        }
        if r == row + 1 + MAX_ROWS {
            return Err(refused_with(
                "surveys.sheet.err.too_many_rows",
                format!("The sheet has more than {MAX_ROWS} rows of answers."),
                vec![("limit", MAX_ROWS.to_string())],
            )
            .into());
        }
        let cells = columns
            .iter()
            .enumerate()
            .map(|(i, column)| {
                let c = first_col + i as u32;
                convert(
                    data.get(&(r, c)),
                    column.kind,
                    || cell_ref(r, c),
                    &column.header,
                    &mut answer.problems,
                )
            })
            .collect();
        answer.rows.push(cells);
    }
    Ok(answer)
}

/// The error for a header that matches nowhere, describing the row most like it (the template's
/// header row when none shares a column name).
fn header_mismatch(
    head: &Cells,
    template_row: u32,
    columns: &[SheetColumn],
) -> crate::error::UserError {
    let expected: Vec<String> = columns.iter().map(|c| c.header.clone()).collect();
    let norm = |list: &[String]| list.iter().map(|s| normalise_header(s)).collect::<Vec<_>>();
    let expected_n = norm(&expected);
    let shared = |row: u32| {
        norm(&header_texts(head, row).1)
            .iter()
            .filter(|t| expected_n.contains(t))
            .count()
    };
    let mut row = template_row;
    for candidate in template_row..=template_row + HEADER_SHIFT_ROWS {
        if shared(candidate) > shared(row) {
            row = candidate;
        }
    }
    let found = header_texts(head, row).1;
    let found_n = norm(&found);
    let missing: Vec<String> = expected
        .iter()
        .zip(&expected_n)
        .filter(|(_, n)| !found_n.contains(n))
        .map(|(s, _)| s.clone())
        .collect();
    let unexpected: Vec<String> = found
        .iter()
        .zip(&found_n)
        .filter(|(_, n)| !expected_n.contains(n))
        .map(|(s, _)| s.clone())
        .collect();
    let dash = |list: &[String]| {
        if list.is_empty() {
            "—".to_owned()
        } else {
            quoted_list(list)
        }
    };
    let (expected_s, found_s) = (quoted_list(&expected), dash(&found));
    let (missing_s, unexpected_s) = (dash(&missing), dash(&unexpected));
    refused_with(
        "surveys.sheet.err.columns",
        format!(
            "The header row (row {}) does not match the template. Template: {expected_s}. This file: {found_s}. Missing: {missing_s}. Not in the template: {unexpected_s}. Columns must keep their names and order.",
            row + 1
        ),
        vec![
            ("row", (row + 1).to_string()),
            ("expected", expected_s),
            ("found", found_s),
            ("missing", missing_s),
            ("unexpected", unexpected_s),
        ],
    )
}

fn read_named(book: &mut Xlsx<Cursor<Vec<u8>>>, cells: &[NamedCell]) -> EngineResult<SheetAnswer> {
    let defined = single_cell_names(book);
    let mut places = Vec::with_capacity(cells.len());
    let mut missing = Vec::new();
    for cell in cells {
        match defined.iter().find(|(name, _, _)| *name == cell.name) {
            Some((_, sheet, at)) => places.push((cell, sheet.clone(), *at)),
            None => missing.push(cell.name.clone()),
        }
    }
    if !missing.is_empty() {
        let list = quoted_list(&missing);
        return Err(refused_with(
            "surveys.sheet.err.names_missing",
            format!("The file lacks the named cells {list} of the template. Fill in the template of this survey and upload it."),
            vec![("names", list)],
        )
        .into());
    }
    let mut by_sheet: BTreeMap<String, BTreeMap<(u32, u32), Raw>> = BTreeMap::new();
    for (_, sheet, _) in &places {
        if by_sheet.contains_key(sheet) {
            continue;
        }
        let last_row = places
            .iter()
            .filter(|(_, s, _)| s == sheet)
            .map(|(_, _, (row, _))| *row)
            .max()
            .unwrap_or(0);
        let values = read_cells(book, sheet, 0, last_row, u32::MAX)?;
        by_sheet.insert(sheet.clone(), values);
    }
    let mut answer = SheetAnswer::default();
    let row = places
        .iter()
        .map(|(cell, sheet, at)| {
            let raw = by_sheet.get(sheet).and_then(|values| values.get(at));
            convert(
                raw,
                cell.kind,
                || cell_ref(at.0, at.1),
                &cell.name,
                &mut answer.problems,
            )
        })
        .collect();
    answer.rows.push(row);
    Ok(answer)
}

/// `「A」「B」` — how names are listed in messages.
fn quoted_list(items: &[String]) -> String {
    items.iter().map(|s| format!("「{s}」")).collect()
}

fn no_header() -> crate::error::UserError {
    refused(
        "surveys.sheet.err.no_header",
        "No header row was found in the template: put the column names in one row (at least two columns) in the first sheet, or make the range an Excel table.",
    )
}

fn no_names() -> crate::error::UserError {
    refused(
        "surveys.sheet.err.no_names",
        "The template has no named cells. Name the answer cells in Excel (Formulas > Define Name), one cell per name.",
    )
}

fn no_layout() -> crate::error::UserError {
    refused(
        "surveys.sheet.err.no_layout",
        "The template has neither named cells nor a header row. Name the answer cells, or put the column names in one row.",
    )
}

/// Runs an XLSX parse, turning a panic of the parser into the "not an XLSX" error.
fn contained<T>(parse: impl FnOnce() -> EngineResult<T>) -> EngineResult<T> {
    match catch_unwind(AssertUnwindSafe(parse)) {
        Ok(result) => result,
        Err(_) => {
            tracing::warn!("the XLSX parser panicked on an uploaded workbook");
            Err(EngineError::User(not_xlsx()))
        }
    }
}

// ------------------------------------------------------------------ merge

/// Writes all answers into one workbook at `out`: sheet 「回答」 with 「組織」 then the layout's
/// columns, one row per answer row (numbers as numbers, dates as dates, text as text), and sheet
/// 「問題」 listing every cell that did not fit (組織, セル, 列, 値, 期待する型). Both sheets are
/// streamed (rust_xlsxwriter's constant-memory mode: each row goes to a temporary file as it is
/// written), so memory does not grow with the number of answers.
///
/// # Errors
/// `UserError` keyed `export` when the rows do not fit in one Excel sheet; internal errors for
/// the temporary files and `out`.
pub fn write_merged_sheet<I>(spec: &SheetSpec, answers: I, out: &Path) -> EngineResult<()>
where
    I: IntoIterator<Item = (String, SheetAnswer)>,
{
    let mut headers = vec![("組織".to_owned(), ColumnKind::Text)];
    headers.extend(spec.mode.columns());
    let problem_headers: Vec<(String, ColumnKind)> = ["組織", "セル", "列", "値", "期待する型"]
        .iter()
        .map(|h| ((*h).to_owned(), ColumnKind::Text))
        .collect();
    let mut book = XlsxBook::new(out)?;
    let mut rows = book.sheet("回答", &headers)?;
    let mut problems = book.sheet("問題", &problem_headers)?;
    for (organisation, answer) in answers {
        let org = Cell::Text(organisation.clone());
        for row in &answer.rows {
            rows.push(std::iter::once(&org).chain(row))?;
        }
        for p in &answer.problems {
            let cells = [
                org.clone(),
                Cell::Text(p.cell.clone()),
                Cell::Text(p.column.clone()),
                Cell::Text(p.value.clone()),
                Cell::Text(p.expected.label_ja().to_owned()),
            ];
            problems.push(cells.iter())?;
        }
    }
    book.save(vec![rows, problems], out)
}

#[cfg(test)]
mod tests;
