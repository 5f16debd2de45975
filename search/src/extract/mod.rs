//! Text out of attached files, contained so that no file can take the server down.
//!
//! Supported: PDF (pdf-extract), DOCX (zip + quick-xml), XLSX/XLSM/XLSB/XLS/ODS (calamine), CSV and
//! plain text (BOM, else UTF-8, else Shift_JIS, else EUC-JP). The server extracts in a child process
//! with a hard memory cap that is killed at the timeout ([`child`], [`extract_file`]); inside it, every
//! extraction runs on its own thread under `catch_unwind`, with caps on input size, unpacked size
//! (zip entries are measured by inflating them into nothing before any is parsed) and output
//! characters. A failure comes back as an [`ExtractError`] whose message says why, fit to store next
//! to the file and show to an administrator.

pub mod child;
mod detect;
mod formats;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use child::{child_main, extract_file, Extractor};
pub use detect::{detect, FileKind};
pub use formats::decode_text;
use formats::TextSink;

/// Caps on one extraction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtractLimits {
    /// Larger files are not read at all.
    pub max_input_bytes: usize,
    /// Text past this many chars is dropped and `Extracted::truncated` set.
    pub max_text_chars: usize,
    /// Most bytes read out of a zip part (DOCX) or declared by a zip (XLSX, ODS): zip bombs.
    pub max_unpacked_bytes: u64,
    /// How long the extractor may run; a child process is killed then.
    pub timeout: Duration,
    /// The child process's memory cap (`RLIMIT_DATA`; the address space gets some more room).
    pub max_memory_bytes: u64,
}

impl Default for ExtractLimits {
    fn default() -> Self {
        ExtractLimits {
            max_input_bytes: 50 * 1024 * 1024,
            max_text_chars: 1_000_000,
            max_unpacked_bytes: 200 * 1024 * 1024,
            timeout: Duration::from_secs(10),
            max_memory_bytes: 384 * 1024 * 1024,
        }
    }
}

/// The text of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extracted {
    pub kind: FileKind,
    pub text: String,
    /// True when the text stopped at `max_text_chars` or the unpacked-size cap.
    pub truncated: bool,
}

/// Why a file's text could not be extracted. The messages are meant for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ExtractError {
    #[error("the file is {size} bytes, over the {limit}-byte limit for text extraction")]
    TooLarge { size: usize, limit: usize },
    #[error("the file unpacks to {size} bytes, over the {limit}-byte limit for text extraction")]
    UnpackedTooLarge { size: u64, limit: u64 },
    #[error("text cannot be extracted from this type of file")]
    Unsupported,
    #[error("the file could not be read as {kind}: {message}")]
    Malformed { kind: String, message: String },
    #[error("text extraction took longer than {0:?} and was stopped")]
    TimedOut(Duration),
    #[error("text extraction needed more than its memory limit of {limit} bytes and was stopped")]
    OutOfMemory { limit: u64 },
    #[error("the text extractor crashed on this file: {0}")]
    Panicked(String),
    #[error("the text extractor process failed on this file: {0}")]
    Crashed(String),
    #[error("text extraction is unavailable: {0}")]
    Unavailable(String),
}

/// Extractor threads alive now, stuck ones included. Rust cannot kill a thread, so a file that
/// makes an extractor loop forever keeps its thread after the timeout; past this many threads new
/// extractions are refused instead of piling up more.
const MAX_EXTRACTOR_THREADS: usize = 8;
static EXTRACTOR_THREADS: AtomicUsize = AtomicUsize::new(0);

/// Counts one extractor thread for as long as it lives.
struct ThreadSlot;

impl ThreadSlot {
    fn take() -> Option<ThreadSlot> {
        let taken = EXTRACTOR_THREADS.fetch_add(1, Ordering::SeqCst);
        if taken >= MAX_EXTRACTOR_THREADS {
            EXTRACTOR_THREADS.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(ThreadSlot)
    }
}

impl Drop for ThreadSlot {
    fn drop(&mut self) {
        EXTRACTOR_THREADS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Stack for the extractor thread: PDF object graphs are walked recursively, and a stack overflow
/// aborts the process (it is not a panic), so give deep files room.
const EXTRACTOR_STACK_BYTES: usize = 32 * 1024 * 1024;

/// Extracts the text of one file in this process. `file_name` and `content_type` are what the
/// uploader said; the first bytes of the file settle the kind (see [`detect`]). Never panics: an
/// extractor panic becomes [`ExtractError::Panicked`], a stuck extractor [`ExtractError::TimedOut`]
/// (its thread is abandoned, not stopped, and nothing caps its memory: the server uses
/// [`extract_file`] with a child process instead). Blocks the calling thread for at most about
/// `limits.timeout`; call it from a blocking context.
pub fn extract_text(
    file_name: &str,
    content_type: &str,
    bytes: Vec<u8>,
    limits: &ExtractLimits,
) -> Result<Extracted, ExtractError> {
    checked_run(file_name, content_type, bytes, limits, Some(limits.timeout))
}

/// Like [`extract_text`] without a timeout: for the child process, which its parent kills.
pub(crate) fn run_contained(
    file_name: &str,
    content_type: &str,
    bytes: Vec<u8>,
    limits: &ExtractLimits,
) -> Result<Extracted, ExtractError> {
    checked_run(file_name, content_type, bytes, limits, None)
}

fn checked_run(
    file_name: &str,
    content_type: &str,
    bytes: Vec<u8>,
    limits: &ExtractLimits,
    timeout: Option<Duration>,
) -> Result<Extracted, ExtractError> {
    let kind = detect(file_name, content_type, &bytes[..bytes.len().min(1024)]);
    if kind == FileKind::Unsupported {
        return Err(ExtractError::Unsupported);
    }
    if bytes.len() > limits.max_input_bytes {
        return Err(ExtractError::TooLarge {
            size: bytes.len(),
            limit: limits.max_input_bytes,
        });
    }
    let thread_limits = limits.clone();
    contained_for(timeout, move || run(kind, &bytes, &thread_limits))
}

/// Runs `extractor` on its own thread under `catch_unwind` and waits at most `timeout` for it.
#[cfg(test)]
fn contained<F>(timeout: Duration, extractor: F) -> Result<Extracted, ExtractError>
where
    F: FnOnce() -> Result<Extracted, ExtractError> + Send + 'static,
{
    contained_for(Some(timeout), extractor)
}

/// Runs `extractor` on its own thread under `catch_unwind` and waits at most `timeout` for it
/// (without end when None).
fn contained_for<F>(timeout: Option<Duration>, extractor: F) -> Result<Extracted, ExtractError>
where
    F: FnOnce() -> Result<Extracted, ExtractError> + Send + 'static,
{
    let slot = ThreadSlot::take().ok_or_else(|| {
        ExtractError::Unavailable(
            "too many extractions are running (some may be stuck after timing out)".to_owned(),
        )
    })?;
    let (sender, receiver) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("kumiki-extract".to_owned())
        .stack_size(EXTRACTOR_STACK_BYTES)
        .spawn(move || {
            let _slot = slot;
            let outcome = catch_unwind(AssertUnwindSafe(extractor));
            // Fails when the caller timed out and left: the late result is simply dropped.
            let _ = sender.send(outcome);
        })
        .map_err(|e| ExtractError::Unavailable(format!("cannot start a thread: {e}")))?;
    let received = match timeout {
        Some(timeout) => receiver.recv_timeout(timeout),
        None => receiver
            .recv()
            .map_err(|_| mpsc::RecvTimeoutError::Disconnected),
    };
    match received {
        Ok(Ok(result)) => result,
        Ok(Err(panic)) => Err(ExtractError::Panicked(panic_message(panic.as_ref()))),
        Err(mpsc::RecvTimeoutError::Timeout) => {
            // The thread is abandoned, not killed (Rust has no way to): it keeps its slot until it
            // ends on its own.
            Err(ExtractError::TimedOut(timeout.unwrap_or_default()))
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(ExtractError::Panicked(
            "the extractor thread ended without a result".to_owned(),
        )),
    }
}

fn run(kind: FileKind, bytes: &[u8], limits: &ExtractLimits) -> Result<Extracted, ExtractError> {
    let mut sink = TextSink::new(limits.max_text_chars);
    match kind {
        FileKind::Pdf => formats::pdf(bytes, &mut sink)?,
        FileKind::Docx => formats::docx(bytes, &mut sink, limits)?,
        FileKind::Spreadsheet => formats::spreadsheet(bytes, &mut sink, limits)?,
        FileKind::Csv => formats::csv(bytes, &mut sink),
        FileKind::Text => formats::text(bytes, &mut sink),
        FileKind::Unsupported => return Err(ExtractError::Unsupported),
    }
    Ok(Extracted {
        kind,
        text: sink.text,
        truncated: sink.truncated,
    })
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(message) = panic.downcast_ref::<&str>() {
        (*message).to_owned()
    } else if let Some(message) = panic.downcast_ref::<String>() {
        message.clone()
    } else {
        "unknown panic".to_owned()
    }
}

#[cfg(test)]
mod tests;
