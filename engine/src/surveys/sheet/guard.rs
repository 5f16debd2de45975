//! What an uploaded workbook must pass before calamine parses it: a size cap, the ZIP magic (an
//! OLE/CFB file is a password-protected workbook or a legacy `.xls`), no macros (`vbaProject.bin`,
//! a macro-enabled content type), and caps against zip bombs: the entry count, the uncompressed
//! sizes the directory declares (in total and as a ratio per entry), and, since a directory can
//! lie, the bytes actually inflated, counted into nothing before anything parses them.
//!
//! The search crate's text extractor (`search/src/extract/formats.rs`, `check_unpacked_size`)
//! has a similar size check of its own; the engine cannot depend on search, and this one adds the
//! macro, encryption and ratio checks the answer sheets need. Search could call this one instead.

use std::io::{Cursor, Read};
use std::path::Path;

use crate::error::{EngineResult, Message, UserError};

/// Largest workbook file read (templates and answer sheets are forms, not data dumps).
pub const MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;
/// Most bytes all entries of the workbook may unpack to (declared and actually inflated).
pub const MAX_UNPACKED_BYTES: u64 = 200 * 1024 * 1024;
/// Highest uncompressed/compressed ratio of one entry larger than [`RATIO_MIN_BYTES`].
pub const MAX_RATIO: u64 = 100;
/// Entries smaller than this are not held to [`MAX_RATIO`]: small XML parts of real workbooks
/// (an empty sheet, shared strings of one repeated word) compress far better than 100:1 and harmless.
pub const RATIO_MIN_BYTES: u64 = 1024 * 1024;
/// Most entries in the workbook's zip.
pub const MAX_ENTRIES: usize = 10_000;

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const CFB_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// The error for a refused workbook: CB_VA01 keyed `sheet` with a catalog message.
pub(crate) fn refused(msg_key: &'static str, text: impl Into<String>) -> UserError {
    refused_with(msg_key, text, Vec::new())
}

/// [`refused`] with the catalog message's `{name}` arguments.
pub(crate) fn refused_with(
    msg_key: &'static str,
    text: impl Into<String>,
    args: Vec<(&'static str, String)>,
) -> UserError {
    let message = args
        .into_iter()
        .fold(Message::keyed(msg_key, text), |m, (name, value)| {
            m.arg(name, value)
        });
    UserError::invalid("sheet", message)
}

/// Reads the workbook at `path` after the checks of this module, and returns its bytes.
///
/// # Errors
/// `UserError` (CB_VA01 keyed `sheet`) for a file over [`MAX_FILE_BYTES`], an encrypted or legacy
/// OLE file, anything that is not an XLSX, a macro-enabled workbook and a zip bomb; an internal
/// error when the file cannot be read.
pub fn read_checked(path: &Path) -> EngineResult<Vec<u8>> {
    let size = std::fs::metadata(path)?.len();
    if size > MAX_FILE_BYTES {
        let (size_mb, limit_mb) = (size.div_ceil(1024 * 1024), MAX_FILE_BYTES / (1024 * 1024));
        return Err(refused_with(
            "surveys.sheet.err.too_large",
            format!(
                "The file is {size_mb} MB, over the limit of {limit_mb} MB for an answer sheet."
            ),
            vec![
                ("size", size_mb.to_string()),
                ("limit", limit_mb.to_string()),
            ],
        )
        .into());
    }
    let bytes = std::fs::read(path)?;
    check_bytes(&bytes)?;
    Ok(bytes)
}

/// The checks of [`read_checked`] on bytes already in memory.
pub fn check_bytes(bytes: &[u8]) -> EngineResult<()> {
    if bytes.starts_with(CFB_MAGIC) {
        return Err(if is_encrypted_ooxml(bytes) {
            refused(
                "surveys.sheet.err.encrypted",
                "The file is password-protected. Remove the password in Excel (File > Info > Protect Workbook) and upload it again.",
            )
        } else {
            refused(
                "surveys.sheet.err.legacy_xls",
                "The file is in the old Excel format (.xls). Save it as an Excel workbook (.xlsx) and upload it again.",
            )
        }
        .into());
    }
    if !bytes.starts_with(ZIP_MAGIC) {
        return Err(not_xlsx().into());
    }
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| not_xlsx())?;
    if archive.len() > MAX_ENTRIES {
        return Err(bomb().into());
    }
    let mut declared: u64 = 0;
    let mut has_workbook = false;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|_| not_xlsx())?;
        let name = entry.name().map_err(|_| not_xlsx())?.to_ascii_lowercase();
        if name.rsplit('/').next() == Some("vbaproject.bin") {
            return Err(macro_enabled().into());
        }
        if name == "xl/workbook.xml" {
            has_workbook = true;
        }
        declared = declared.saturating_add(entry.size());
        if declared > MAX_UNPACKED_BYTES || too_compressed(entry.size(), entry.compressed_size()) {
            return Err(bomb().into());
        }
    }
    if !has_workbook {
        // A .docx, a .xlsb (xl/workbook.bin), an .ods or any other zip.
        return Err(not_xlsx().into());
    }
    let content_types = read_capped(&mut archive, "[Content_Types].xml", 1024 * 1024)?;
    if content_types.to_ascii_lowercase().contains("macroenabled") {
        return Err(macro_enabled().into());
    }
    // The directory's sizes may lie: inflate everything into nothing, stopping at the cap.
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(|_| not_xlsx())?;
        let compressed = entry.compressed_size();
        let room = MAX_UNPACKED_BYTES - total;
        let read = std::io::copy(&mut entry.take(room + 1), &mut std::io::sink())
            .map_err(|_| not_xlsx())?;
        total = total.saturating_add(read);
        if total > MAX_UNPACKED_BYTES || too_compressed(read, compressed) {
            return Err(bomb().into());
        }
    }
    Ok(())
}

fn too_compressed(size: u64, compressed: u64) -> bool {
    size > RATIO_MIN_BYTES && size / compressed.max(1) > MAX_RATIO
}

/// The text of one small entry (at most `cap` bytes are read).
fn read_capped(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
    cap: u64,
) -> EngineResult<String> {
    let entry = archive.by_name(name).map_err(|_| not_xlsx())?;
    let mut text = String::new();
    entry
        .take(cap)
        .read_to_string(&mut text)
        .map_err(|_| not_xlsx())?;
    Ok(text)
}

/// An encrypted OOXML package is a CFB file with an `EncryptedPackage` stream; a legacy `.xls`
/// has a `Workbook` stream instead. Directory entry names are UTF-16LE.
fn is_encrypted_ooxml(bytes: &[u8]) -> bool {
    let needle: Vec<u8> = "EncryptedPackage"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    bytes.windows(needle.len()).any(|w| w == needle.as_slice())
}

pub(crate) fn not_xlsx() -> UserError {
    refused(
        "surveys.sheet.err.not_xlsx",
        "The file is not an Excel workbook (.xlsx). Upload the answer sheet as an .xlsx file.",
    )
}

fn macro_enabled() -> UserError {
    refused(
        "surveys.sheet.err.macro",
        "The file contains macros (.xlsm). Save it as an Excel workbook without macros (.xlsx) and upload it again.",
    )
}

fn bomb() -> UserError {
    let limit_mb = MAX_UNPACKED_BYTES / (1024 * 1024);
    refused_with(
        "surveys.sheet.err.bomb",
        format!(
            "The file unpacks to more than {limit_mb} MB or to over {MAX_RATIO} times its size (a zip bomb?): it was not read."
        ),
        vec![("limit", limit_mb.to_string()), ("ratio", MAX_RATIO.to_string())],
    )
}
