//! Cells as read from a sheet: a streaming reader that keeps only the cells a layout needs, and
//! the conversion of a cell to its column's kind (numbers and dates typed as text included).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;

use calamine::{DataRef, Xlsx};
use chrono::NaiveDate;
use unicode_normalization::UnicodeNormalization;

use super::guard::not_xlsx;
use super::{Cell, CellProblem, ColumnKind};
use crate::error::EngineResult;
use crate::tabular::{format_number, parse_number_text};

/// A non-empty cell value as read.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Raw {
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Bool(bool),
    Error(String),
}

impl Raw {
    fn from_data(data: &DataRef<'_>) -> Option<Raw> {
        Some(match data {
            DataRef::Empty => return None,
            DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s)
                if s.trim().is_empty() =>
            {
                return None
            }
            DataRef::SharedString(s) if s.trim().is_empty() => return None,
            DataRef::String(s) | DataRef::DurationIso(s) => Raw::Text(s.clone()),
            DataRef::SharedString(s) => Raw::Text((*s).to_owned()),
            DataRef::DateTimeIso(s) => match parse_date_text(s) {
                Some(date) => Raw::Date(date),
                None => Raw::Text(s.clone()),
            },
            DataRef::Int(i) => Raw::Number(*i as f64),
            DataRef::Float(f) => Raw::Number(*f),
            DataRef::Bool(b) => Raw::Bool(*b),
            DataRef::DateTime(dt) if dt.is_datetime() && dt.as_f64() >= 1.0 => {
                let (y, m, d, ..) = dt.to_ymd_hms_milli();
                match NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d)) {
                    Some(date) => Raw::Date(date),
                    None => Raw::Number(dt.as_f64()),
                }
            }
            // A time of day or a duration: its number, which fits no date column.
            DataRef::DateTime(dt) => Raw::Number(dt.as_f64()),
            DataRef::Error(e) => Raw::Error(e.to_string()),
        })
    }

    /// The value as the person sees it (near enough: numbers without their format).
    pub(super) fn text(&self) -> String {
        match self {
            Raw::Text(s) | Raw::Error(s) => s.clone(),
            Raw::Number(n) => format_number(*n),
            Raw::Date(d) => d.format("%Y-%m-%d").to_string(),
            Raw::Bool(true) => "TRUE".to_owned(),
            Raw::Bool(false) => "FALSE".to_owned(),
        }
    }
}

/// Non-empty cells by (row, column), 0-based.
pub(super) type Cells = BTreeMap<(u32, u32), Raw>;

/// The non-empty cells of `sheet` in rows `first_row..=last_row` and columns `0..=last_col`
/// (0-based), read as a stream that stops after `last_row`: only what the layout needs is kept.
pub(super) fn read_cells(
    book: &mut Xlsx<Cursor<Vec<u8>>>,
    sheet: &str,
    first_row: u32,
    last_row: u32,
    last_col: u32,
) -> EngineResult<Cells> {
    Ok(read_cells_with_formulas(book, sheet, first_row, last_row, last_col)?.0)
}

/// [`read_cells`], and which of the cells hold a formula (their value is the cached result).
pub(super) fn read_cells_with_formulas(
    book: &mut Xlsx<Cursor<Vec<u8>>>,
    sheet: &str,
    first_row: u32,
    last_row: u32,
    last_col: u32,
) -> EngineResult<(Cells, BTreeSet<(u32, u32)>)> {
    let mut reader = book.worksheet_cells_reader(sheet).map_err(|_| not_xlsx())?;
    let mut cells = BTreeMap::new();
    let mut formulas = BTreeSet::new();
    while let Some(cell) = reader
        .next_cell_with_formula_metadata()
        .map_err(|_| not_xlsx())?
    {
        let (row, col) = cell.pos;
        if row > last_row {
            break;
        }
        if row < first_row || col > last_col {
            continue;
        }
        if let Some(raw) = Raw::from_data(&cell.value) {
            if cell.formula.is_some() {
                formulas.insert((row, col));
            }
            cells.insert((row, col), raw);
        }
    }
    Ok((cells, formulas))
}

/// The header run of `row`: the column of its first non-empty cell and the texts of the cells
/// from there up to the first empty one.
pub(super) fn header_texts(cells: &Cells, row: u32) -> (u32, Vec<String>) {
    let Some((&(_, first), _)) = cells.range((row, 0)..(row + 1, 0)).next() else {
        return (0, Vec::new());
    };
    let mut texts = Vec::new();
    let mut col = first;
    while let Some(raw) = cells.get(&(row, col)) {
        texts.push(raw.text().trim().to_owned());
        col += 1;
    }
    (first, texts)
}

/// Headers compare after NFKC and with runs of whitespace (line breaks in a header cell) as one
/// space: `ＡＢＣ` and a re-wrapped header still match.
pub(super) fn normalise_header(text: &str) -> String {
    text.nfkc()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A cell as its column's kind, or its text with a problem.
pub(super) fn convert(
    raw: Option<&Raw>,
    kind: ColumnKind,
    at: impl FnOnce() -> String,
    column: &str,
    problems: &mut Vec<CellProblem>,
) -> Cell {
    let Some(raw) = raw else {
        return Cell::Empty;
    };
    let fitted = match (kind, raw) {
        (_, Raw::Error(_)) => None,
        (ColumnKind::Text, raw) => Some(Cell::Text(raw.text())),
        (ColumnKind::Number, Raw::Number(n)) => Some(Cell::Number(*n)),
        (ColumnKind::Number, Raw::Text(s)) => parse_number_text(s).map(Cell::Number),
        (ColumnKind::Date, Raw::Date(d)) => Some(Cell::Date(*d)),
        (ColumnKind::Date, Raw::Text(s)) => parse_date_text(s).map(Cell::Date),
        _ => None,
    };
    fitted.unwrap_or_else(|| {
        let value = raw.text();
        problems.push(CellProblem {
            cell: at(),
            column: column.to_owned(),
            value: value.clone(),
            expected: kind,
        });
        Cell::Text(value)
    })
}

/// `2025-04-01`, `2025/4/1`, `2025.4.1`, `2025年4月1日` (full-width digits too, a time after the
/// date ignored) → a date.
pub fn parse_date_text(text: &str) -> Option<NaiveDate> {
    let folded: String = text.nfkc().collect();
    let date_part = folded
        .trim()
        .split([' ', 'T'])
        .next()
        .unwrap_or_default()
        .replace(['年', '月'], "-")
        .replace('日', "");
    let parts: Vec<&str> = date_part.split(['-', '/', '.']).collect();
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    if y.len() != 4 || m.is_empty() || m.len() > 2 || d.is_empty() || d.len() > 2 {
        return None;
    }
    if ![y, m, d]
        .iter()
        .all(|p| p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}
