//! Attachments: uploaded bytes on disk under the data directory, one `files` row each.
//!
//! An upload gets a key and no owner; saving a record that names the key attaches it to that record.
//! Bytes are written to a temporary file ([`Incoming`], which an HTTP upload fills while it streams),
//! synced, scanned when a virus scanner is configured, and renamed into place before the row is
//! inserted, so an acknowledged upload is never a half-written (or unscanned) file. The file on
//! disk is named by the generated key only; the uploader's file name is kept in the row as a
//! display name, with path components and control characters removed.

use std::io::Write;
use std::path::PathBuf;

use diesel::prelude::*;
use serde_json::{json, Value};

use crate::apps::AppId;
use crate::audit::{self, AuditEvent};
use crate::db::schema::files;
use crate::db::DbConn;
use crate::error::{EngineResult, UserError};
use crate::with_conn;

use super::scan::{Clamd, Verdict};

/// Where attachment bytes live.
#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
    /// Every upload goes through this scanner first when set (fail closed).
    scanner: Option<Clamd>,
}

/// An upload on its way in: a temporary file under `<root>/incoming/`, removed when dropped unless
/// [`FileStore::store`] took it.
#[derive(Debug)]
pub struct Incoming {
    path: PathBuf,
    file: Option<std::fs::File>,
    len: u64,
}

impl Incoming {
    /// Appends bytes.
    pub fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| std::io::Error::other("the upload was already stored"))?;
        file.write_all(bytes)?;
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Drop for Incoming {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A stored file's metadata.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = files)]
pub struct FileMeta {
    pub file_key: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub storage_path: String,
    pub app_id: Option<i64>,
    pub record_id: Option<i64>,
    pub uploaded_by: String,
    pub created_at: i64,
    /// `clean` when a virus scanner passed the file; None when none was configured.
    pub scan_verdict: Option<String>,
}

impl FileStore {
    /// Files go to `<root>/<2 chars>/<key>`; `root` is created when missing.
    pub fn new(root: impl Into<PathBuf>) -> EngineResult<FileStore> {
        let root = root.into();
        std::fs::create_dir_all(&root)?;
        Ok(FileStore {
            root,
            scanner: None,
        })
    }

    /// Scans every upload with `clamd` before accepting it.
    #[must_use]
    pub fn with_scanner(mut self, clamd: Option<Clamd>) -> FileStore {
        self.scanner = clamd;
        self
    }

    /// The configured virus scanner, if any.
    pub fn scanner(&self) -> Option<&Clamd> {
        self.scanner.as_ref()
    }

    pub fn path_of(&self, storage_path: &str) -> PathBuf {
        self.root.join(storage_path)
    }

    /// A new empty temporary file for an upload.
    pub fn incoming(&self) -> EngineResult<Incoming> {
        let dir = self.root.join("incoming");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{}.part", uuid::Uuid::new_v4().simple()));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        Ok(Incoming {
            path,
            file: Some(file),
            len: 0,
        })
    }

    /// Stores the bytes and records an unattached upload. Returns the key.
    pub fn upload(
        &self,
        conn: &mut DbConn,
        name: &str,
        content_type: &str,
        bytes: &[u8],
        user: &str,
    ) -> EngineResult<String> {
        let mut incoming = self.incoming()?;
        incoming.write_all(bytes)?;
        self.store(conn, incoming, name, content_type, user, "")
    }

    /// Accepts a finished upload: syncs it, has it scanned when a scanner is configured (an infected
    /// file or a failed scan is refused and the verdict audited as a failure), moves it to
    /// `<root>/<2 chars>/<key>` and inserts its row. Returns the key. `peer` is the uploader's
    /// address for the audit row.
    pub fn store(
        &self,
        conn: &mut DbConn,
        mut incoming: Incoming,
        name: &str,
        content_type: &str,
        user: &str,
        peer: &str,
    ) -> EngineResult<String> {
        let name = display_name(name);
        if let Some(file) = incoming.file.as_mut() {
            file.sync_all()?;
        }
        let size = i64::try_from(incoming.len).unwrap_or(i64::MAX);
        let verdict = self.scanner.as_ref().map(|s| s.scan_file(&incoming.path));
        let key = uuid::Uuid::new_v4().simple().to_string();
        let detail = |verdict: &Verdict| {
            let mut d = json!({"verdict": verdict.label(), "name": name, "size": size});
            match verdict {
                Verdict::Infected(signature) => d["signature"] = json!(signature),
                Verdict::Failed(reason) => d["reason"] = json!(reason),
                Verdict::Clean => {}
            }
            d
        };
        match &verdict {
            Some(v @ Verdict::Infected(signature)) => {
                tracing::warn!(signature, user, "an upload was refused: virus found");
                audit::record(
                    conn,
                    AuditEvent::failure(user, peer, audit::action::FILE_SCAN, "file:-", detail(v)),
                )?;
                return Err(UserError::FileInfected(signature.clone()).into());
            }
            Some(v @ Verdict::Failed(reason)) => {
                tracing::error!(reason, user, "an upload was refused: the virus scan failed");
                audit::record(
                    conn,
                    AuditEvent::failure(user, peer, audit::action::FILE_SCAN, "file:-", detail(v)),
                )?;
                return Err(UserError::FileScanFailed.into());
            }
            Some(Verdict::Clean) | None => {}
        }
        let dir = key.get(..2).unwrap_or("00");
        let storage_path = format!("{dir}/{key}");
        let final_path = self.root.join(&storage_path);
        if let Some(parent) = final_path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::rename(&incoming.path, &final_path)?;
        // Moved: nothing left for the drop to remove.
        incoming.file = None;
        let now = chrono::Utc::now().timestamp();
        let scan_verdict = verdict.as_ref().map(Verdict::label);
        let scanned_at = verdict.as_ref().map(|_| now);
        let inserted = with_conn!(conn, |c| diesel::insert_into(files::table)
            .values((
                files::file_key.eq(&key),
                files::name.eq(&name),
                files::content_type.eq(content_type),
                files::size.eq(size),
                files::storage_path.eq(&storage_path),
                files::uploaded_by.eq(user),
                files::created_at.eq(now),
                files::scan_verdict.eq(scan_verdict),
                files::scanned_at.eq(scanned_at),
            ))
            .execute(c))
        .map_err(crate::EngineError::from)
        .and_then(|_| match &verdict {
            Some(v) => audit::record(
                conn,
                AuditEvent::success(
                    user,
                    peer,
                    audit::action::FILE_SCAN,
                    &format!("file:{key}"),
                    detail(v),
                ),
            ),
            None => Ok(()),
        });
        if let Err(e) = inserted {
            let _ = std::fs::remove_file(&final_path);
            return Err(e);
        }
        Ok(key)
    }

    /// A copy of the stored file `key` as a new unattached upload of `user` (same name and type):
    /// copying a survey (next year's request) or relaying it gives the new draft files of its own,
    /// so deleting one draft never takes another's files. Returns the new key.
    pub fn duplicate(&self, conn: &mut DbConn, key: &str, user: &str) -> EngineResult<String> {
        let meta = file_meta(conn, key)?;
        let mut incoming = self.incoming()?;
        let copied = std::fs::copy(self.path_of(&meta.storage_path), &incoming.path)?;
        incoming.len = copied;
        self.store(conn, incoming, &meta.name, &meta.content_type, user, "")
    }

    /// Removes files from disk (after the transaction that dropped their rows committed).
    pub fn remove(&self, storage_paths: &[String]) {
        for p in storage_paths {
            if let Err(e) = std::fs::remove_file(self.root.join(p)) {
                tracing::warn!(error = %e, "could not remove an attachment file");
            }
        }
    }
}

/// The name a file is shown and downloaded under: the last path component of what the uploader
/// sent (`../../x` becomes `x`), without control characters, at most 255 chars; `file` when
/// nothing is left. The bytes on disk are named by the key, never by this.
pub fn display_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last.chars().filter(|c| !c.is_control()).take(255).collect();
    let clean = clean.trim();
    if clean.is_empty() || clean == "." || clean == ".." {
        "file".to_owned()
    } else {
        clean.to_owned()
    }
}

/// A file's metadata by key, or `FileNotFound`.
pub fn file_meta(conn: &mut DbConn, key: &str) -> EngineResult<FileMeta> {
    let found = with_conn!(conn, |c| files::table
        .find(key)
        .select(FileMeta::as_select())
        .first(c)
        .optional())?;
    found.ok_or_else(|| UserError::FileNotFound(key.to_owned()).into())
}

/// The record-value shape of a file key that may be attached to `record` of `app`: a fresh upload, or a
/// file already attached to that very record. None otherwise.
pub(crate) fn resolve_for_record(
    conn: &mut DbConn,
    key: &str,
    app: AppId,
    record: Option<i64>,
) -> EngineResult<Option<Value>> {
    let Ok(meta) = file_meta(conn, key) else {
        return Ok(None);
    };
    let usable = match (meta.app_id, meta.record_id) {
        (None, _) => true,
        (Some(a), Some(r)) => a == app.0 && Some(r) == record,
        _ => false,
    };
    if !usable {
        return Ok(None);
    }
    Ok(Some(json!({
        "contentType": meta.content_type,
        "fileKey": meta.file_key,
        "name": meta.name,
        "size": meta.size.to_string(),
    })))
}

/// Marks the files as belonging to a record.
pub(crate) fn attach_files(
    conn: &mut DbConn,
    app: AppId,
    record: i64,
    keys: &[String],
) -> EngineResult<()> {
    if keys.is_empty() {
        return Ok(());
    }
    with_conn!(conn, |c| diesel::update(
        files::table.filter(files::file_key.eq_any(keys))
    )
    .set((
        files::app_id.eq(Some(app.0)),
        files::record_id.eq(Some(record))
    ))
    .execute(c))?;
    Ok(())
}

/// Drops file rows no record references any more; returns their storage paths.
pub(crate) fn detach_files(conn: &mut DbConn, keys: &[String]) -> EngineResult<Vec<String>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let paths: Vec<String> = with_conn!(conn, |c| files::table
        .filter(files::file_key.eq_any(keys))
        .select(files::storage_path)
        .load(c))?;
    with_conn!(conn, |c| diesel::delete(
        files::table.filter(files::file_key.eq_any(keys))
    )
    .execute(c))?;
    Ok(paths)
}
