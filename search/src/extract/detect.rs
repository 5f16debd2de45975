//! Which extractor a file goes to, from its name, its declared content type and its first bytes.

use serde::{Deserialize, Serialize};

/// The kinds of attached file whose text can be extracted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FileKind {
    Pdf,
    Docx,
    /// XLSX, XLSM, XLSB, XLS and ODS: everything calamine reads.
    Spreadsheet,
    Csv,
    Text,
    Unsupported,
}

const PDF_MAGIC: &[u8] = b"%PDF-";
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// OLE2 compound file: legacy .xls (and .doc, which is not supported).
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

impl FileKind {
    /// The file-type filter value shown to users and stored in the index: "pdf", "docx", "xlsx"
    /// (all spreadsheets), "csv", "txt", or "other".
    pub fn label(&self) -> &'static str {
        match self {
            FileKind::Pdf => "pdf",
            FileKind::Docx => "docx",
            FileKind::Spreadsheet => "xlsx",
            FileKind::Csv => "csv",
            FileKind::Text => "txt",
            FileKind::Unsupported => "other",
        }
    }

    /// Every label, in display order (for a file-type filter menu).
    pub fn labels() -> [&'static str; 6] {
        ["pdf", "docx", "xlsx", "csv", "txt", "other"]
    }
}

/// Picks the extractor: the extension first, the content type next, and the magic bytes of `head`
/// (the first bytes of the file; a few hundred are plenty) to settle or override them. A name that
/// says PDF but bytes that are not still give `Pdf`, so the user learns the file is damaged.
pub fn detect(file_name: &str, content_type: &str, head: &[u8]) -> FileKind {
    if head.starts_with(PDF_MAGIC) {
        return FileKind::Pdf;
    }
    let extension = file_name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    let content_type = content_type.to_ascii_lowercase();
    if let Some(kind) = from_extension(&extension) {
        return kind;
    }
    if let Some(kind) = from_content_type(&content_type) {
        return kind;
    }
    if head.starts_with(OLE_MAGIC) {
        // Without a telling name an OLE file is as likely a .doc as an .xls; calamine rejects
        // the former with a clear message.
        return FileKind::Spreadsheet;
    }
    if !head.is_empty() && !head.starts_with(ZIP_MAGIC) && looks_like_text(head) {
        return FileKind::Text;
    }
    FileKind::Unsupported
}

fn from_extension(extension: &str) -> Option<FileKind> {
    Some(match extension {
        "pdf" => FileKind::Pdf,
        "docx" | "docm" => FileKind::Docx,
        "xlsx" | "xlsm" | "xlsb" | "xls" | "xla" | "ods" => FileKind::Spreadsheet,
        "csv" | "tsv" => FileKind::Csv,
        "txt" | "text" | "md" | "log" | "tex" | "json" | "xml" | "html" | "htm" => FileKind::Text,
        // Binary Word and PowerPoint: no extractor (yet); said here so the OLE check below does not
        // send a .doc to the spreadsheet reader.
        "doc" | "ppt" | "pptx" => FileKind::Unsupported,
        _ => return None,
    })
}

fn from_content_type(content_type: &str) -> Option<FileKind> {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    Some(match essence {
        "application/pdf" => FileKind::Pdf,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => FileKind::Docx,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        | "application/vnd.ms-excel"
        | "application/vnd.ms-excel.sheet.macroenabled.12"
        | "application/vnd.ms-excel.sheet.binary.macroenabled.12"
        | "application/vnd.oasis.opendocument.spreadsheet" => FileKind::Spreadsheet,
        "text/csv" | "text/tab-separated-values" => FileKind::Csv,
        _ if essence.starts_with("text/") => FileKind::Text,
        _ => return None,
    })
}

/// No NUL bytes and few control chars: a name-less upload that is probably text.
fn looks_like_text(head: &[u8]) -> bool {
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C | 0x1B))
        .count();
    !head.contains(&0) && controls * 20 < head.len()
}
