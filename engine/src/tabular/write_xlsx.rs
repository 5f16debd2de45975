//! A workbook written sheet by sheet and row by row in rust_xlsxwriter's constant-memory mode:
//! each sheet's rows go to a temporary file beside the output as they are pushed, so a sheet of a
//! million rows costs the memory of one row.

use std::path::Path;

use chrono::{Datelike, Timelike};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use super::cell::{Cell, ColumnKind};
use crate::error::{EngineError, EngineResult, Message, UserError};

/// Excel's longest cell text; longer texts are cut there (with a final `…`).
const MAX_CELL_CHARS: usize = 32_767;
/// Excel's rows per sheet.
pub const MAX_SHEET_ROWS: u32 = 1_048_576;

/// A workbook being streamed: the formats shared by its sheets.
pub struct XlsxBook {
    workbook: Workbook,
    header: Format,
    date: Format,
    datetime: Format,
}

/// One constant-memory sheet of an [`XlsxBook`], written row by row.
pub struct SheetWriter {
    sheet: Worksheet,
    next_row: u32,
    date: Format,
    datetime: Format,
}

impl SheetWriter {
    /// Writes the next row: numbers as numbers, dates and date-times as Excel dates, text as text
    /// (never as a formula), empty cells not at all.
    ///
    /// # Errors
    /// `UserError` keyed `export` (message `tabular.err.too_many_rows`) past Excel's last row.
    pub fn push<'a>(&mut self, cells: impl IntoIterator<Item = &'a Cell>) -> EngineResult<()> {
        if self.next_row >= MAX_SHEET_ROWS {
            return Err(UserError::invalid(
                "export",
                Message::keyed(
                    "tabular.err.too_many_rows",
                    format!("There are more rows than one Excel sheet holds ({MAX_SHEET_ROWS}). Export them as CSV."),
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
                    match excel_date(d) {
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
                Cell::DateTime(t) => {
                    let excel = excel_date(&t.date())
                        .and_then(|d| d.and_hms(t.hour() as u16, t.minute() as u8, t.second()));
                    match excel {
                        Ok(at) => self
                            .sheet
                            .write_datetime_with_format(row, col, &at, &self.datetime)
                            .map(|_| ()),
                        Err(_) => self
                            .sheet
                            .write_string(row, col, t.format("%Y-%m-%d %H:%M").to_string())
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

fn excel_date(d: &chrono::NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(
        u16::try_from(d.year()).unwrap_or(1900),
        d.month() as u8,
        d.day() as u8,
    )
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
    pub fn new(out: &Path) -> EngineResult<XlsxBook> {
        let mut workbook = Workbook::new();
        if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
            workbook.set_tempdir(dir).map_err(xlsx_error)?;
        }
        Ok(XlsxBook {
            workbook,
            header: Format::new().set_bold(),
            date: Format::new().set_num_format("yyyy/mm/dd"),
            datetime: Format::new().set_num_format("yyyy/mm/dd hh:mm"),
        })
    }

    /// A new sheet named `name` with `headers` written as its first row (bold, frozen).
    pub fn sheet(
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
            datetime: self.datetime.clone(),
        })
    }

    /// Adds the sheets in this order and writes the workbook to `out`.
    pub fn save(mut self, sheets: Vec<SheetWriter>, out: &Path) -> EngineResult<()> {
        for sheet in sheets {
            self.workbook.push_worksheet(sheet.sheet);
        }
        self.workbook.save(out).map_err(xlsx_error)
    }
}
