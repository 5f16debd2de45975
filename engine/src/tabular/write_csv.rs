//! CSV written row by row (RFC 4180: fields quoted when they hold a comma, quote or line break,
//! quotes doubled, CRLF after each record), UTF-8 with a byte-order mark or Shift_JIS as Windows
//! writes it (Windows-31J/CP932).
//!
//! Numbers are written plainly (`1234.5`), dates as `yyyy-mm-dd`, date-times as
//! `yyyy-mm-dd hh:mm`. A text that a spreadsheet would take for a formula (starting with `=`, `@`,
//! a tab or CR, or `+`/`-` without being a number) gets a leading `'` (CSV injection).
//!
//! Shift_JIS: the JIS characters that Macs and phones type with other code points (`〜` U+301C,
//! `‖`, `—`, `¢`, `£`, `¬`) are written as the bytes Windows writes for them. Every row is encoded
//! before it is written; once a character cannot be encoded (𠮷, emoji, ...) nothing more is
//! written, the remaining rows are still checked, and [`CsvWriter::finish`] returns the places
//! ([`Unencodable`]). What was written by then is incomplete: callers write to a temporary file
//! and send it only when `finish` is `Ok`.

use std::io::Write;

use encoding_rs::{EncoderResult, SHIFT_JIS};
use serde::{Deserialize, Serialize};

use super::cell::{format_number, parse_number_text, Cell};
use crate::error::EngineResult;

/// The character encoding of a CSV export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CsvEncoding {
    /// UTF-8 with a byte-order mark, so Excel opens it as UTF-8.
    Utf8Bom,
    /// Shift_JIS as Windows writes it (Windows-31J/CP932: NEC and IBM extensions such as ① and 髙
    /// included), for systems that read nothing else.
    ShiftJis,
}

/// Most unencodable places kept (the count says how many there were).
pub const MAX_LISTED_PROBLEMS: usize = 20;

/// The characters a Shift_JIS CSV could not hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Unencodable {
    /// How many characters in all.
    pub count: usize,
    /// The first [`MAX_LISTED_PROBLEMS`]: (the row's tag, 0-based column, character). The tag is
    /// what the caller named the row with (`push_tagged`), else the row as a spreadsheet numbers
    /// it (the header being row 1).
    pub places: Vec<(String, usize, char)>,
}

/// A CSV file being written to `W`.
pub struct CsvWriter<W: Write> {
    out: W,
    encoding: CsvEncoding,
    rows: usize,
    line: Vec<u8>,
    bad: Vec<char>,
    problems: Unencodable,
}

impl<W: Write> CsvWriter<W> {
    /// Starts the file (the BOM for UTF-8) and writes `headers` as its first row.
    ///
    /// # Errors
    /// An internal error when `out` fails.
    pub fn new(out: W, encoding: CsvEncoding, headers: &[String]) -> EngineResult<CsvWriter<W>> {
        let mut writer = CsvWriter {
            out,
            encoding,
            rows: 0,
            line: Vec::new(),
            bad: Vec::new(),
            problems: Unencodable::default(),
        };
        if encoding == CsvEncoding::Utf8Bom {
            writer.out.write_all(b"\xEF\xBB\xBF")?;
        }
        let header: Vec<Cell> = headers.iter().map(|h| Cell::Text(h.clone())).collect();
        writer.push(&header)?;
        Ok(writer)
    }

    /// Writes the next row; unencodable characters are reported under the row's number.
    pub fn push(&mut self, cells: &[Cell]) -> EngineResult<()> {
        self.write_row(cells, None)
    }

    /// Writes the next row; unencodable characters are reported under `tag` (a record's number).
    pub fn push_tagged(&mut self, cells: &[Cell], tag: &str) -> EngineResult<()> {
        self.write_row(cells, Some(tag))
    }

    fn write_row(&mut self, cells: &[Cell], tag: Option<&str>) -> EngineResult<()> {
        self.rows += 1;
        self.line.clear();
        for (col, cell) in cells.iter().enumerate() {
            if col > 0 {
                self.line.push(b',');
            }
            let field = csv_field(cell);
            match self.encoding {
                CsvEncoding::Utf8Bom => self.line.extend_from_slice(field.as_bytes()),
                CsvEncoding::ShiftJis => {
                    self.bad.clear();
                    encode_shift_jis(&field, &mut self.line, &mut self.bad);
                    for c in self.bad.drain(..) {
                        self.problems.count += 1;
                        if self.problems.places.len() < MAX_LISTED_PROBLEMS {
                            let tag = tag.map_or_else(|| self.rows.to_string(), str::to_owned);
                            self.problems.places.push((tag, col, c));
                        }
                    }
                }
            }
        }
        self.line.extend_from_slice(b"\r\n");
        if self.problems.count == 0 {
            self.out.write_all(&self.line)?;
        }
        Ok(())
    }

    /// Flushes the file; `Err(places)` when some character could not be encoded (the file is
    /// then incomplete and must be discarded).
    ///
    /// # Errors
    /// The outer error when `out` fails.
    pub fn finish(mut self) -> EngineResult<Result<W, Unencodable>> {
        if self.problems.count > 0 {
            return Ok(Err(self.problems));
        }
        self.out.flush()?;
        Ok(Ok(self.out))
    }
}

/// One field as CSV text (quoted when needed).
fn csv_field(cell: &Cell) -> String {
    let text = match cell {
        Cell::Empty => return String::new(),
        Cell::Number(n) => return format_number(*n),
        Cell::Date(d) => return d.format("%Y-%m-%d").to_string(),
        Cell::DateTime(t) => return t.format("%Y-%m-%d %H:%M").to_string(),
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

/// Text that a spreadsheet would evaluate when opening the CSV (CSV injection).
pub fn looks_like_formula(text: &str) -> bool {
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
pub(crate) fn encode_shift_jis(text: &str, out: &mut Vec<u8>, bad: &mut Vec<char>) {
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
