//! Tables written as files: the typed cell ([`Cell`]), a streaming XLSX workbook writer
//! ([`write_xlsx::XlsxBook`], rust_xlsxwriter in constant-memory mode) and a streaming CSV writer
//! ([`write_csv::CsvWriter`], UTF-8 with a BOM or Shift_JIS as Windows writes it).
//!
//! Guarantees shared by every export (surveys, record lists): numbers stay numbers and dates dates
//! in XLSX; a CSV cell that a spreadsheet would take for a formula (`=`, `+`, `-`, `@`) is escaped
//! with a leading `'`; a Shift_JIS CSV never replaces a character it cannot hold with `?` — the
//! writer lists every such place and the caller reports them (and discards the file). Both writers
//! take one row at a time, so memory does not grow with the number of rows.

pub mod cell;
pub mod value;
pub mod write_csv;
pub mod write_xlsx;

pub use cell::{format_number, parse_number_text, Cell, ColumnKind};
pub use value::{line_count, row_value, table_rows, typed_cell, value_of, value_text, EntityBy};
pub use write_csv::{CsvEncoding, CsvWriter, Unencodable};
pub use write_xlsx::{SheetWriter, XlsxBook, MAX_SHEET_ROWS};
