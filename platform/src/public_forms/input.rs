//! Reading a resident's post: `multipart/form-data` from the form page (text values and files) or
//! `application/x-www-form-urlencoded` from the confirmation page. Text is held in memory within
//! the server's body budget (`crate::body_budget`) and capped per value and in total; files stream
//! into temporary files (`FileStore::incoming`) with the form's size cap counted as they arrive, and
//! a file of a type the form does not take is never kept. A file over its cap or of a wrong type is
//! drained and reported beside its field (422); a body over the total cap answers 413.

use std::collections::BTreeMap;

use actix_multipart::Multipart;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;
use kumiki_engine::records::{FileStore, Incoming};

use crate::body_budget::{BodyBudget, Refusal};

/// One text value may have this many bytes (a long MULTI_LINE_TEXT fits many times over).
pub const MAX_TEXT_PART: usize = 64 * 1024;
/// All text values of one post together.
pub const MAX_TEXT_TOTAL: usize = 1024 * 1024;
/// Multipart framing (boundaries, part headers) counted on top of the files and the text.
const FRAMING: u64 = 64 * 1024;
/// Bytes gathered in memory before they go to the upload's temporary file.
const FLUSH_BYTES: usize = 256 * 1024;

/// What the form of a post allows.
pub struct Caps<'a> {
    /// Codes of the form's FILE fields: `file.<code>` parts of other names are ignored.
    pub file_fields: &'a [String],
    /// Largest file.
    pub max_file: u64,
    /// Accepted content types; empty accepts any.
    pub types: &'a [String],
}

impl Caps<'_> {
    /// The largest body a post of this form may have.
    pub fn max_body(&self) -> u64 {
        let files = self
            .max_file
            .saturating_mul(self.file_fields.len() as u64 * 2);
        files
            .saturating_add(MAX_TEXT_TOTAL as u64)
            .saturating_add(FRAMING)
    }
}

/// A file that arrived with the post.
pub struct Upload {
    pub code: String,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    /// The bytes, when the file is within the caps.
    pub incoming: Option<Incoming>,
    pub problem: Option<FileProblem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileProblem {
    TooLarge,
    WrongType,
}

/// A post, read.
#[derive(Default)]
pub struct Posted {
    /// `f.<code>` values, repeated ones in order.
    pub values: BTreeMap<String, Vec<String>>,
    /// Every other text field (`step`, `lang`, `homepage`, `pow`, `challenge`, `files`, `sig`,
    /// `copy`, `copy_to`).
    pub other: BTreeMap<String, String>,
    pub uploads: Vec<Upload>,
}

impl Posted {
    pub fn get(&self, name: &str) -> &str {
        self.other.get(name).map(String::as_str).unwrap_or("")
    }

    fn text(&mut self, name: &str, value: String) {
        if let Some(code) = name.strip_prefix("f.") {
            self.values.entry(code.to_owned()).or_default().push(value);
        } else {
            self.other.insert(name.to_owned(), value);
        }
    }
}

/// Why a post could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// Over the caps (413).
    TooLarge,
    /// The server's body budget is spent for now (429).
    Busy,
    /// Not a form post, or cut off (400).
    Malformed,
    /// A temporary file could not be written (logged; the resident sees the server error).
    Internal(String),
}

/// Reads the post of `req`.
pub async fn read(
    req: &HttpRequest,
    payload: web::Payload,
    caps: &Caps<'_>,
    files: &FileStore,
    budget: &std::sync::Arc<BodyBudget>,
) -> Result<Posted, ReadError> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > caps.max_body()) {
        return Err(ReadError::TooLarge);
    }
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut reservation = budget.start();
    let mut reserve = |n: usize| {
        reservation.grow(n).map_err(|r| match r {
            Refusal::Busy => ReadError::Busy,
            Refusal::TooLarge => ReadError::TooLarge,
        })
    };
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let mut payload = payload;
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|_| ReadError::Malformed)?;
            if body.len() + chunk.len() > MAX_TEXT_TOTAL {
                return Err(ReadError::TooLarge);
            }
            reserve(chunk.len())?;
            body.extend_from_slice(&chunk);
        }
        let mut posted = Posted::default();
        for (name, value) in form_urlencoded::parse(&body) {
            if value.len() > MAX_TEXT_PART {
                return Err(ReadError::TooLarge);
            }
            posted.text(&name, value.into_owned());
        }
        return Ok(posted);
    }
    if !content_type.starts_with("multipart/form-data") {
        return Err(ReadError::Malformed);
    }
    let mut multipart = Multipart::new(req.headers(), payload);
    let mut posted = Posted::default();
    let mut text_total = 0usize;
    let mut body_total = 0u64;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|_| ReadError::Malformed)?;
        let name = field.name().unwrap_or("").to_owned();
        let file_name = field
            .content_disposition()
            .and_then(|d| d.get_filename().map(str::to_owned));
        if let Some(code) = name.strip_prefix("file.") {
            let code = code.to_owned();
            let declared_type = field
                .content_type()
                .map(|m| m.essence_str().to_ascii_lowercase())
                .unwrap_or_else(|| "application/octet-stream".into());
            let wanted = caps.file_fields.contains(&code);
            let file_name = file_name.unwrap_or_default();
            // A file input left empty sends a part without a file name: nothing was chosen.
            if !wanted || file_name.is_empty() {
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(|_| ReadError::Malformed)?;
                    body_total += chunk.len() as u64;
                    if body_total > caps.max_body() {
                        return Err(ReadError::TooLarge);
                    }
                }
                continue;
            }
            let upload = read_file(
                &mut field,
                code,
                file_name,
                declared_type,
                caps,
                files,
                &mut body_total,
            )
            .await?;
            posted.uploads.push(upload);
            continue;
        }
        let mut value = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| ReadError::Malformed)?;
            if value.len() + chunk.len() > MAX_TEXT_PART
                || text_total + chunk.len() > MAX_TEXT_TOTAL
            {
                return Err(ReadError::TooLarge);
            }
            reserve(chunk.len())?;
            text_total += chunk.len();
            value.extend_from_slice(&chunk);
        }
        body_total += value.len() as u64;
        let value = String::from_utf8(value).map_err(|_| ReadError::Malformed)?;
        posted.text(&name, value);
    }
    Ok(posted)
}

async fn read_file(
    field: &mut actix_multipart::Field,
    code: String,
    name: String,
    declared_type: String,
    caps: &Caps<'_>,
    files: &FileStore,
    body_total: &mut u64,
) -> Result<Upload, ReadError> {
    let type_ok = caps.types.is_empty()
        || caps
            .types
            .iter()
            .any(|t| t.eq_ignore_ascii_case(&declared_type));
    let mut upload = Upload {
        code,
        name,
        content_type: declared_type,
        size: 0,
        incoming: None,
        problem: (!type_ok).then_some(FileProblem::WrongType),
    };
    let mut incoming = if type_ok {
        let store = files.clone();
        Some(
            web::block(move || store.incoming())
                .await
                .map_err(|e| ReadError::Internal(e.to_string()))?
                .map_err(|e| ReadError::Internal(e.to_string()))?,
        )
    } else {
        None
    };
    let mut pending = web::BytesMut::new();
    let mut first = true;
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|_| ReadError::Malformed)?;
        *body_total += chunk.len() as u64;
        if *body_total > caps.max_body() {
            return Err(ReadError::TooLarge);
        }
        if first && !chunk.is_empty() {
            first = false;
            if upload.problem.is_none() && !looks_like(&upload.content_type, &chunk) {
                upload.problem = Some(FileProblem::WrongType);
                incoming = None;
            }
        }
        upload.size += chunk.len() as u64;
        if upload.size > caps.max_file && upload.problem.is_none() {
            upload.problem = Some(FileProblem::TooLarge);
            incoming = None;
        }
        if incoming.is_none() {
            // Drained, not kept: the rest of the post still needs reading for its other fields.
            pending.clear();
            continue;
        }
        pending.extend_from_slice(&chunk);
        if pending.len() >= FLUSH_BYTES {
            if let Some(inc) = incoming.take() {
                incoming = Some(write(inc, pending.split().freeze()).await?);
            }
        }
    }
    if let Some(mut inc) = incoming.take() {
        if !pending.is_empty() {
            inc = write(inc, pending.freeze()).await?;
        }
        upload.incoming = Some(inc);
    }
    Ok(upload)
}

async fn write(mut incoming: Incoming, bytes: web::Bytes) -> Result<Incoming, ReadError> {
    web::block(move || incoming.write_all(&bytes).map(|()| incoming))
        .await
        .map_err(|e| ReadError::Internal(e.to_string()))?
        .map_err(|e| ReadError::Internal(format!("cannot write an upload: {e}")))
}

/// Whether the first bytes of a file fit its declared type, for the types whose bytes say what
/// they are; others pass (their type was checked against the form's list already).
fn looks_like(content_type: &str, head: &[u8]) -> bool {
    match content_type {
        "image/jpeg" => head.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/png" => head.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/gif" => head.starts_with(b"GIF8"),
        "application/pdf" => head.starts_with(b"%PDF-"),
        "image/webp" => head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP",
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes_of_the_checked_types() {
        assert!(looks_like("application/pdf", b"%PDF-1.7\n"));
        assert!(!looks_like("application/pdf", b"<html>"));
        assert!(looks_like("image/png", b"\x89PNG\r\n\x1a\n...."));
        assert!(!looks_like("image/jpeg", b"GIF89a"));
        assert!(looks_like("text/plain", b"anything"));
    }
}
