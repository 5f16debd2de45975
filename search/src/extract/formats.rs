//! One reader per file kind. Each writes into a [`TextSink`], which stops taking text at the
//! character cap, and each stops reading as soon as the sink is full.

use std::io::{BufReader, Cursor, Read};

use calamine::Reader as _;
use quick_xml::events::Event;

use super::{ExtractError, ExtractLimits};
use crate::tokenizer::is_cjk;

/// Extracted text with a character cap: text past the cap is dropped and `truncated` set.
#[derive(Debug, Default)]
pub(crate) struct TextSink {
    pub(crate) text: String,
    chars: usize,
    max_chars: usize,
    pub(crate) truncated: bool,
}

impl TextSink {
    pub(crate) fn new(max_chars: usize) -> Self {
        TextSink {
            max_chars,
            ..TextSink::default()
        }
    }

    /// Appends as much of `s` as fits under the cap.
    pub(crate) fn push_str(&mut self, s: &str) {
        if self.truncated {
            return;
        }
        let room = self.max_chars - self.chars;
        match s.char_indices().nth(room) {
            None => {
                self.chars += s.chars().count();
                self.text.push_str(s);
            }
            Some((cut, _)) => {
                self.text.push_str(&s[..cut]);
                self.chars = self.max_chars;
                self.truncated = true;
            }
        }
    }

    pub(crate) fn push(&mut self, c: char) {
        let mut buf = [0u8; 4];
        self.push_str(c.encode_utf8(&mut buf));
    }

    pub(crate) fn is_full(&self) -> bool {
        self.truncated
    }
}

fn malformed(kind: &'static str, error: impl std::fmt::Display) -> ExtractError {
    ExtractError::Malformed {
        kind: kind.to_owned(),
        message: error.to_string(),
    }
}

// ------------------------------------------------------------------ PDF

pub(crate) fn pdf(bytes: &[u8], sink: &mut TextSink) -> Result<(), ExtractError> {
    let mut document = pdf_extract::Document::load_mem(bytes).map_err(|e| malformed("pdf", e))?;
    if document.is_encrypted() {
        // Many PDFs are "encrypted" with an empty user password only to set permissions.
        document.decrypt("").map_err(|e| malformed("pdf", e))?;
    }
    use_identity_for_unicode_cmaps(&mut document);
    let mut text = String::new();
    pdf_extract::output_doc(&document, &mut pdf_extract::PlainTextOutput::new(&mut text))
        .map_err(|e| malformed("pdf", e))?;
    sink.push_str(&tidy_whitespace(&text));
    Ok(())
}

/// pdf-extract panics on Type0 fonts with a predefined CMap other than Identity-H/V. The Unicode
/// CMaps (UniJIS-UCS2-H and the like, common in Japanese PDFs with non-embedded fonts) use the
/// UTF-16 code units themselves as codes, so they read the same as Identity with an identity
/// ToUnicode map: rewrite them that way. Other predefined CMaps (90ms-RKSJ-H, ...) are left alone
/// and end in a contained panic.
fn use_identity_for_unicode_cmaps(document: &mut pdf_extract::Document) {
    use pdf_extract::{Object, Stream};
    let mut patched = Vec::new();
    for (id, object) in &document.objects {
        let Object::Dictionary(font) = object else {
            continue;
        };
        let is_type0 = matches!(font.get(b"Subtype"), Ok(Object::Name(name)) if name == b"Type0");
        let Ok(Object::Name(encoding)) = font.get(b"Encoding") else {
            continue;
        };
        let encoding = String::from_utf8_lossy(encoding);
        if is_type0 && (encoding.contains("UCS2") || encoding.contains("UTF16")) {
            let identity = if encoding.ends_with("-V") {
                "Identity-V"
            } else {
                "Identity-H"
            };
            patched.push((*id, identity, font.has(b"ToUnicode")));
        }
    }
    for (id, identity, has_to_unicode) in patched {
        let to_unicode = (!has_to_unicode)
            .then(|| document.add_object(Stream::new(Default::default(), identity_to_unicode())));
        if let Some(Object::Dictionary(font)) = document.objects.get_mut(&id) {
            font.set("Encoding", Object::Name(identity.as_bytes().to_vec()));
            if let Some(stream_id) = to_unicode {
                font.set("ToUnicode", Object::Reference(stream_id));
            }
        }
    }
}

/// A ToUnicode CMap mapping every 2-byte code to the same UTF-16 code unit.
fn identity_to_unicode() -> Vec<u8> {
    let mut cmap = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    // bfrange entries may not cross a high-byte boundary: one range per high byte.
    for chunk in (0u32..256).collect::<Vec<_>>().chunks(100) {
        cmap.push_str(&format!("{} beginbfrange\n", chunk.len()));
        for high in chunk {
            cmap.push_str(&format!("<{high:02X}00> <{high:02X}FF> <{high:02X}00>\n"));
        }
        cmap.push_str("endbfrange\n");
    }
    cmap.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    cmap.into_bytes()
}

/// pdf-extract puts spaces between text runs and breaks lines where the page did (`令和 5  年度`):
/// whitespace between two CJK chars is removed, any other run of whitespace becomes one space, or
/// one line break if it held one.
pub(crate) fn tidy_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending: Option<char> = None; // the whitespace run seen since the last visible char
    let mut previous_visible: Option<char> = None;
    for ch in text.chars() {
        if ch.is_whitespace() {
            if ch == '\n' || pending.is_none() {
                pending = Some(if ch == '\n' { '\n' } else { ' ' });
            }
            continue;
        }
        if let Some(space) = pending.take() {
            let joins_cjk = previous_visible.is_some_and(is_cjk) && is_cjk(ch);
            if previous_visible.is_some() && !joins_cjk {
                out.push(space);
            }
        }
        out.push(ch);
        previous_visible = Some(ch);
    }
    out
}

// ------------------------------------------------------------------ DOCX

/// Reads `word/document.xml`: the text of `w:t`, a line break after each paragraph and at
/// `w:br`/`w:cr`, a tab after each table cell and at `w:tab`. The XML is streamed through one
/// buffer, so a "zip bomb" stops at the character cap or the unpacked-size cap, whichever comes
/// first, without ever holding more than a buffer of it.
pub(crate) fn docx(
    bytes: &[u8],
    sink: &mut TextSink,
    limits: &ExtractLimits,
) -> Result<(), ExtractError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| malformed("docx", e))?;
    let part = archive
        .by_name("word/document.xml")
        .map_err(|e| malformed("docx", format!("word/document.xml: {e}")))?;
    let capped = CappedReader {
        inner: part,
        remaining: limits.max_unpacked_bytes,
        hit_cap: false,
    };
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(capped));
    let mut buf = Vec::new();
    let mut in_text = false;
    loop {
        let event = xml.read_event_into(&mut buf);
        match event {
            Ok(Event::Start(e)) if e.local_name().as_ref() == "t" => in_text = true,
            Ok(Event::Empty(e)) => match e.local_name().as_ref() {
                "tab" => sink.push('\t'),
                "br" | "cr" => sink.push('\n'),
                _ => {}
            },
            Ok(Event::End(e)) => match e.local_name().as_ref() {
                "t" => in_text = false,
                "p" => sink.push('\n'),
                "tc" => sink.push('\t'),
                _ => {}
            },
            Ok(Event::Text(text)) if in_text => sink.push_str(&text.xml10_content()),
            Ok(Event::CData(text)) if in_text => sink.push_str(&text.xml10_content()),
            Ok(Event::GeneralRef(reference)) if in_text => {
                if let Ok(Some(ch)) = reference.resolve_char_ref() {
                    sink.push(ch);
                } else if let Some(ch) = predefined_entity(&reference) {
                    sink.push(ch);
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(_) if xml.get_ref().get_ref().hit_cap => break,
            Err(e) => return Err(malformed("docx", e)),
        }
        if sink.is_full() {
            break;
        }
        buf.clear();
    }
    if xml.get_ref().get_ref().hit_cap {
        sink.truncated = true;
    }
    Ok(())
}

fn predefined_entity(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => None,
    }
}

/// Ends the stream after `remaining` bytes and remembers that it did.
struct CappedReader<R> {
    inner: R,
    remaining: u64,
    hit_cap: bool,
}

impl<R: Read> Read for CappedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.remaining == 0 {
            self.hit_cap = true;
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let read = self.inner.read(&mut buf[..want])?;
        self.remaining -= read as u64;
        Ok(read)
    }
}

// ------------------------------------------------------------------ XLSX / XLS / ODS

/// Sheet names and cell values (cached results for formulas), one line per non-empty row with
/// tab-separated cells. calamine loads a whole sheet in memory, so zip-based workbooks are refused
/// up front when their entries unpack to more than the unpacked-size cap.
pub(crate) fn spreadsheet(
    bytes: &[u8],
    sink: &mut TextSink,
    limits: &ExtractLimits,
) -> Result<(), ExtractError> {
    if bytes.starts_with(b"PK\x03\x04") {
        check_unpacked_size(bytes, limits.max_unpacked_bytes, "xlsx")?;
    }
    let mut workbook = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| malformed("xlsx", e))?;
    for name in workbook.sheet_names() {
        sink.push_str(&name);
        sink.push('\n');
        let range = workbook
            .worksheet_range(&name)
            .map_err(|e| malformed("xlsx", e))?;
        for row in range.rows() {
            let mut cells: Vec<String> = row.iter().map(ToString::to_string).collect();
            while cells.last().is_some_and(String::is_empty) {
                cells.pop();
            }
            if cells.is_empty() {
                continue;
            }
            sink.push_str(&cells.join("\t"));
            sink.push('\n');
            if sink.is_full() {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Most entries in a zip-based document.
const MAX_ZIP_ENTRIES: usize = 10_000;

/// Refuses a zip whose entries unpack to more than `limit` bytes in all, before anything parses
/// it. The sizes the directory declares are checked first (cheap); since they can lie, every entry
/// is then inflated into nothing, stopping as soon as the running total passes the cap, so a bomb
/// never expands past it and memory stays at one buffer.
fn check_unpacked_size(bytes: &[u8], limit: u64, kind: &'static str) -> Result<(), ExtractError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| malformed(kind, e))?;
    if archive.len() > MAX_ZIP_ENTRIES {
        return Err(malformed(
            kind,
            format!("{} entries (at most {MAX_ZIP_ENTRIES})", archive.len()),
        ));
    }
    let mut declared: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|e| malformed(kind, e))?;
        declared = declared.saturating_add(entry.size());
    }
    if declared > limit {
        return Err(ExtractError::UnpackedTooLarge {
            size: declared,
            limit,
        });
    }
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(|e| malformed(kind, e))?;
        let room = limit - total;
        let read = std::io::copy(&mut entry.take(room + 1), &mut std::io::sink())
            .map_err(|e| malformed(kind, e))?;
        total = total.saturating_add(read);
        if total > limit {
            return Err(ExtractError::UnpackedTooLarge { size: total, limit });
        }
    }
    Ok(())
}

// ------------------------------------------------------------------ CSV / text

/// Rows as lines, cells separated by tabs (quotes removed). A file the CSV reader rejects is kept
/// as plain text.
pub(crate) fn csv(bytes: &[u8], sink: &mut TextSink) {
    let text = decode_text(bytes);
    let first_line = text.lines().next().unwrap_or_default();
    let delimiter = if first_line.contains('\t') && !first_line.contains(',') {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = TextSink::new(sink.max_chars - sink.chars);
    for record in reader.records() {
        let Ok(record) = record else {
            sink.push_str(&text);
            return;
        };
        for (i, cell) in record.iter().enumerate() {
            if i > 0 {
                rows.push('\t');
            }
            rows.push_str(cell);
        }
        rows.push('\n');
        if rows.is_full() {
            break;
        }
    }
    sink.push_str(&rows.text);
    sink.truncated |= rows.truncated;
}

pub(crate) fn text(bytes: &[u8], sink: &mut TextSink) {
    sink.push_str(&decode_text(bytes));
}

/// A byte-order mark wins (UTF-8, UTF-16LE/BE); then UTF-8 if the bytes are valid (or only cut
/// short at the end); then Shift_JIS (Windows-31J, what Excel writes on Japanese Windows) or
/// EUC-JP: the one that decodes without errors, or if both do, the one that looks more like Japanese
/// (Shift_JIS on a tie, and when neither decodes cleanly).
pub fn decode_text(bytes: &[u8]) -> String {
    if let Some((encoding, bom_length)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_length..]);
        return text.into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => return text.to_owned(),
        Err(error) if error.error_len().is_none() => {
            return String::from_utf8_lossy(bytes).into_owned();
        }
        Err(_) => {}
    }
    let (shift_jis, _, sjis_errors) = encoding_rs::SHIFT_JIS.decode(bytes);
    let (euc_jp, _, euc_errors) = encoding_rs::EUC_JP.decode(bytes);
    let prefer_euc = match (sjis_errors, euc_errors) {
        (true, false) => true,
        (false, true) | (true, true) => false,
        // Both decode (rare: Shift_JIS kanji and kana use lead bytes that are errors in EUC-JP):
        // EUC-JP text reads as half-width katakana and private-use chars in Shift_JIS, and
        // Shift_JIS half-width katakana as kanji in EUC-JP. Score what each reading looks like.
        (false, false) => japanese_score(&euc_jp) > japanese_score(&shift_jis),
    };
    if prefer_euc {
        euc_jp.into_owned()
    } else {
        shift_jis.into_owned()
    }
}

/// Full-width kana, CJK punctuation and ideographs count for; half-width katakana and private-use
/// chars count against.
fn japanese_score(text: &str) -> i64 {
    text.chars()
        .map(|c| match c {
            '\u{3000}'..='\u{30FF}' | '\u{4E00}'..='\u{9FFF}' => 1,
            '\u{E000}'..='\u{F8FF}' | '\u{FF61}'..='\u{FF9F}' => -1,
            _ => 0,
        })
        .sum()
}
