//! Reading an uploaded table: a CSV (UTF-8 with or without BOM, or Shift_JIS/CP932 as Excel writes
//! it in Japan) or one sheet of an XLSX. The first row is the header; every later row keeps its
//! line number in the file so the report can point at it. Problems of single rows (a broken quote,
//! a row longer or shorter than the header) are row messages, not a refusal of the whole file.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use serde::{Deserialize, Serialize};

use crate::error::{EngineResult, Message, UserError};
use crate::surveys::sheet::guard;

/// The character encoding of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// UTF-8 starting with a byte-order mark (Excel's 「CSV UTF-8」).
    Utf8Bom,
    Utf8,
    /// Shift_JIS as Windows writes it (CP932 / Windows-31J).
    ShiftJis,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Utf8Bom => "utf8_bom",
            Encoding::Utf8 => "utf8",
            Encoding::ShiftJis => "shift_jis",
        }
    }

    pub fn parse(s: &str) -> Option<Encoding> {
        match s {
            "utf8_bom" => Some(Encoding::Utf8Bom),
            "utf8" | "utf-8" | "UTF-8" => Some(Encoding::Utf8),
            "shift_jis" | "sjis" | "Shift_JIS" | "cp932" | "windows-31j" => {
                Some(Encoding::ShiftJis)
            }
            _ => None,
        }
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Guesses a CSV's encoding: a BOM says UTF-8, so does valid UTF-8; anything else is taken for
/// Shift_JIS, the only other encoding Japanese spreadsheets write.
pub fn detect_encoding(bytes: &[u8]) -> Encoding {
    if bytes.starts_with(BOM) {
        Encoding::Utf8Bom
    } else if std::str::from_utf8(bytes).is_ok() {
        Encoding::Utf8
    } else {
        Encoding::ShiftJis
    }
}

/// One data row of the file: its 1-based line (row) number in the file and its cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceRow {
    pub line: usize,
    pub cells: Vec<String>,
}

/// A problem with one row of the file (the line number is 1-based, the header is line 1).
#[derive(Debug, Clone, PartialEq)]
pub struct RowProblem {
    pub line: usize,
    pub column: Option<usize>,
    pub message: Message,
}

/// The table read from a file: header, data rows, and the rows that could not be read cleanly.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<SourceRow>,
    pub problems: Vec<RowProblem>,
}

fn refused(key: &'static str, text: &str) -> UserError {
    UserError::invalid("file", Message::keyed(key, text))
}

/// Decodes CSV bytes in `encoding`. Bytes that are not valid in it refuse the file (a wrong
/// guess shows as mojibake otherwise; the user can choose the other encoding).
pub fn decode(bytes: &[u8], encoding: Encoding) -> EngineResult<String> {
    let text = match encoding {
        Encoding::Utf8Bom | Encoding::Utf8 => {
            let body = bytes.strip_prefix(BOM).unwrap_or(bytes);
            std::str::from_utf8(body)
                .map_err(|_| {
                    refused(
                        "import.err.not_utf8",
                        "The file is not valid UTF-8; choose another encoding.",
                    )
                })?
                .to_owned()
        }
        Encoding::ShiftJis => {
            let (text, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes);
            if had_errors {
                return Err(refused(
                    "import.err.not_shift_jis",
                    "The file is not valid Shift_JIS; choose another encoding.",
                )
                .into());
            }
            text.into_owned()
        }
    };
    Ok(text)
}

/// Reads a CSV: the first record is the header (trimmed), the others data rows. Rows that do
/// not have as many cells as the header are reported and left out.
pub fn read_csv(bytes: &[u8], encoding: Encoding) -> EngineResult<Table> {
    let text = decode(bytes, encoding)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut table = Table::default();
    let mut first = true;
    let mut lines = LineCounter::new(&text);
    for result in reader.records() {
        let record = match result {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.line_at(p.byte()));
                table.problems.push(RowProblem {
                    line,
                    column: None,
                    message: Message::keyed(
                        "import.err.unreadable_row",
                        "This row cannot be read.",
                    ),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| lines.line_at(p.byte()));
        let cells: Vec<String> = record.iter().map(str::to_owned).collect();
        if first {
            first = false;
            table.headers = cells.iter().map(|c| c.trim().to_owned()).collect();
            continue;
        }
        push_row(&mut table, line, cells);
    }
    if table.headers.iter().all(String::is_empty) {
        return Err(refused("import.err.no_header", "The file has no header row.").into());
    }
    Ok(table)
}

/// The 1-based line of a byte offset, counted from the newlines before it. The csv crate's own
/// line numbers run one behind after CRLF line ends (as Excel writes them), so they are not used.
/// Offsets are asked for in increasing order, so each byte is looked at once.
struct LineCounter<'a> {
    text: &'a [u8],
    byte: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> LineCounter<'a> {
        LineCounter {
            text: text.as_bytes(),
            byte: 0,
            line: 1,
        }
    }

    fn line_at(&mut self, byte: u64) -> usize {
        let mut to = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        // After a CRLF the csv crate starts the next record at its `\n`; a record never starts
        // with a line end (blank lines are skipped), so step over them.
        while self
            .text
            .get(to)
            .is_some_and(|b| *b == b'\r' || *b == b'\n')
        {
            to += 1;
        }
        if to > self.byte {
            let seen = self.text.get(self.byte..to).unwrap_or_default();
            self.line += seen.iter().filter(|b| **b == b'\n').count();
            self.byte = to;
        }
        self.line
    }
}

/// Adds a data row, or a problem when its length differs from the header's. Blank rows are skipped.
fn push_row(table: &mut Table, line: usize, mut cells: Vec<String>) {
    if cells.iter().all(|c| c.trim().is_empty()) {
        return;
    }
    // Trailing empty cells past the header are what spreadsheets leave behind; not a problem.
    while cells.len() > table.headers.len() && cells.last().is_some_and(|c| c.trim().is_empty()) {
        cells.pop();
    }
    if cells.len() != table.headers.len() {
        table.problems.push(RowProblem {
            line,
            column: None,
            message: Message::keyed(
                "import.err.ragged_row",
                format!(
                    "This row has {} cells but the header has {}; check the quotes and commas.",
                    cells.len(),
                    table.headers.len()
                ),
            )
            .arg("cells", cells.len().to_string())
            .arg("columns", table.headers.len().to_string()),
        });
        return;
    }
    table.rows.push(SourceRow { line, cells });
}

/// The sheet names of an XLSX, after the workbook checks (macros, encryption, zip bombs).
pub fn xlsx_sheets(bytes: &[u8]) -> EngineResult<Vec<String>> {
    guard::check_bytes(bytes)?;
    let book = Xlsx::new(Cursor::new(bytes)).map_err(|_| guard::not_xlsx())?;
    Ok(book.sheet_names())
}

/// Reads one sheet of an XLSX (the first when `sheet` is None) after the workbook checks.
/// Formulas are never evaluated: a cell holds its cached value, and a text such as `=cmd|...`
/// stays text.
pub fn read_xlsx(bytes: &[u8], sheet: Option<&str>) -> EngineResult<Table> {
    guard::check_bytes(bytes)?;
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|_| guard::not_xlsx())?;
    let names = book.sheet_names();
    let name = match sheet {
        Some(s) if names.iter().any(|n| n == s) => s.to_owned(),
        Some(_) => {
            return Err(refused("import.err.no_sheet", "The workbook has no such sheet.").into())
        }
        None => names
            .first()
            .cloned()
            .ok_or_else(|| refused("import.err.no_sheet", "The workbook has no such sheet."))?,
    };
    // The streaming reader keeps only the cells present: a stray cell at XFD1048576 costs one
    // entry, not a dense sheet.
    let mut reader = book
        .worksheet_cells_reader(&name)
        .map_err(|_| guard::not_xlsx())?;
    let mut cells: BTreeMap<u32, BTreeMap<u32, String>> = BTreeMap::new();
    while let Some(cell) = reader.next_cell().map_err(|_| guard::not_xlsx())? {
        let text = cell_text(&cell.get_value().clone().into());
        if text.trim().is_empty() {
            continue;
        }
        let (row, col) = cell.get_position();
        cells.entry(row).or_default().insert(col, text);
    }
    let mut table = Table::default();
    let mut rows = cells.into_iter();
    let Some((_, header)) = rows.next() else {
        return Err(refused("import.err.no_header", "The file has no header row.").into());
    };
    let width = header.keys().next_back().map_or(0, |c| *c as usize + 1);
    table.headers = (0..width)
        .map(|c| {
            header
                .get(&(c as u32))
                .map_or(String::new(), |t| t.trim().to_owned())
        })
        .collect();
    for (row, by_col) in rows {
        let last = by_col.keys().next_back().map_or(0, |c| *c as usize + 1);
        let cells: Vec<String> = (0..last.max(width))
            .map(|c| by_col.get(&(c as u32)).cloned().unwrap_or_default())
            .collect();
        push_row(&mut table, row as usize + 1, cells);
    }
    Ok(table)
}

/// A cell as text: numbers without a trailing `.0`, dates as `YYYY-MM-DD` (with the time when
/// there is one), everything else as stored.
fn cell_text(data: &Data) -> String {
    match data {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => format_number(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, h, min, _, _) = dt.to_ymd_hms_milli();
            let serial = dt.as_f64();
            if serial < 1.0 {
                format!("{h:02}:{min:02}")
            } else if serial.fract() == 0.0 {
                format!("{y:04}-{m:02}-{d:02}")
            } else {
                format!("{y:04}-{m:02}-{d:02} {h:02}:{min:02}")
            }
        }
        Data::DateTime(dt) => format_number(dt.as_f64()),
        Data::Error(e) => format!("#{e:?}"),
    }
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn detects_bom_utf8_and_shift_jis() {
        assert_eq!(detect_encoding(b"\xEF\xBB\xBFa,b"), Encoding::Utf8Bom);
        assert_eq!(detect_encoding("名前,数".as_bytes()), Encoding::Utf8);
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("名前,数量\n山田,１,２３４\n");
        assert_eq!(detect_encoding(&sjis), Encoding::ShiftJis);
    }

    #[test]
    fn reads_shift_jis_and_reports_ragged_rows() {
        let (sjis, _, _) =
            encoding_rs::SHIFT_JIS.encode("名前,数量\n山田,\"1,234\"\n鈴木\n佐藤,5,6\n\n①,7\n");
        let table = read_csv(&sjis, Encoding::ShiftJis).unwrap();
        assert_eq!(table.headers, vec!["名前", "数量"]);
        assert_eq!(table.rows.len(), 2);
        assert_eq!(table.rows[0].cells, vec!["山田", "1,234"]);
        assert_eq!(table.rows[0].line, 2);
        assert_eq!(table.rows[1].cells, vec!["①", "7"]);
        let lines: Vec<usize> = table.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![3, 4]);
    }

    #[test]
    fn bom_is_stripped_and_wrong_encoding_refused() {
        let table = read_csv("\u{feff}名前\n山田\n".as_bytes(), Encoding::Utf8Bom).unwrap();
        assert_eq!(table.headers, vec!["名前"]);
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("名前\n山田\n");
        assert!(read_csv(&sjis, Encoding::Utf8).is_err());
    }

    #[test]
    fn a_broken_quote_is_a_row_problem() {
        let table = read_csv(b"a,b\n1,2\n\"3,4\n5,6\n", Encoding::Utf8).unwrap();
        assert_eq!(table.rows.len(), 1);
        assert_eq!(table.problems.len(), 1);
        assert_eq!(table.problems[0].line, 3);
    }

    #[test]
    fn non_xlsx_is_refused() {
        assert!(read_xlsx(b"name,value\n", None).is_err());
        assert!(xlsx_sheets(b"PK\x03\x04garbage").is_err());
    }
}
