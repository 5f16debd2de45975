//! Attachments: uploaded bytes on disk under the attachments directory or in the database's
//! `file_blobs` table (`--files-store`), one `files` row each.
//!
//! An upload gets a key and no owner; saving a record that names the key attaches it to that record.
//! Bytes are written to a temporary file ([`Incoming`], which an HTTP upload fills while it streams),
//! synced, scanned when a virus scanner is configured, and renamed into place before the row is
//! inserted, so an acknowledged upload is never a half-written (or unscanned) file. The file on
//! disk is named by the generated key only; the uploader's file name is kept in the row as a
//! display name, with path components and control characters removed.
//!
//! Where a file's bytes are is written in its row: `storage_path` is a path under the directory, or
//! `db:<key>` for bytes in `file_blobs`. Writes follow the configured [`FilesIn`]; reads follow the
//! row ([`FileStore::open_local`]), so files written under either setting stay readable after the
//! operator switches it. Database bytes are inserted in the transaction of their row and deleted in
//! the transaction that deletes it (`detach_files`; the foreign key cascades too), so nothing
//! acknowledged is lost and a rolled-back write leaves nothing behind.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use diesel::prelude::*;
use serde_json::{json, Value};

use crate::apps::AppId;
use crate::audit::{self, AuditEvent};
use crate::db::schema::{file_blobs, files};
use crate::db::DbConn;
use crate::error::{EngineError, EngineResult, UserError};
use crate::with_conn;

use super::scan::{Clamd, Verdict};

/// Where new uploads put their bytes (`--files-store`). Reads follow each row's `storage_path`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FilesIn {
    /// Files under the attachments directory (shared between nodes by mounting it).
    #[default]
    Directory,
    /// Chunks in the `file_blobs` table: every node that reaches the database reaches them.
    Database,
}

/// The `storage_path` prefix of a file whose bytes are in `file_blobs`.
const IN_DATABASE: &str = "db:";
/// Bytes per `file_blobs` row: large files span rows, so no single value (and no single read of
/// one) is huge.
pub const BLOB_CHUNK_BYTES: usize = 1024 * 1024;

/// The file key of a `storage_path` whose bytes are in the database, None for a file on disk.
pub fn in_database(storage_path: &str) -> Option<&str> {
    storage_path.strip_prefix(IN_DATABASE)
}

/// Where attachment bytes live.
#[derive(Debug, Clone)]
pub struct FileStore {
    /// The attachments directory: files of [`FilesIn::Directory`], and temporary files.
    root: PathBuf,
    /// Where new uploads go.
    writes_to: FilesIn,
    /// Every upload goes through this scanner first when set (fail closed).
    scanner: Option<Clamd>,
}

/// A stored file readable at a local path ([`FileStore::open_local`]): the file itself for one on
/// disk, or a temporary copy of database bytes under `<root>/incoming/`, removed when this is
/// dropped (keep it alive while reading; on Linux an already opened handle keeps reading after).
#[derive(Debug)]
pub struct LocalFile {
    path: PathBuf,
    temporary: bool,
}

impl LocalFile {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for LocalFile {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_file(&self.path);
        }
    }
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
            writes_to: FilesIn::Directory,
            scanner: None,
        })
    }

    /// Puts new uploads where `to` says (reads follow each file's row whatever this is).
    #[must_use]
    pub fn writing_to(mut self, to: FilesIn) -> FileStore {
        self.writes_to = to;
        self
    }

    /// Where new uploads go.
    pub fn writes_to(&self) -> FilesIn {
        self.writes_to
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

    /// The directory of temporary files (uploads on their way in, exports on their way out, copies
    /// of database bytes being read); created when missing.
    pub fn incoming_dir(&self) -> EngineResult<PathBuf> {
        let dir = self.root.join("incoming");
        std::fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    /// Removes temporary files under `incoming/` not written to for `older_than`: what a process
    /// that stopped mid-upload, mid-export or mid-download left behind. Going by age, not by owner,
    /// because several nodes may share the directory and one node's start must not take another's
    /// upload in progress. Returns how many files went; a file that cannot be removed is skipped.
    pub fn remove_stale_temporary_files(
        &self,
        older_than: std::time::Duration,
    ) -> EngineResult<usize> {
        let now = std::time::SystemTime::now();
        let mut removed = 0;
        for entry in std::fs::read_dir(self.incoming_dir()?)? {
            let Ok(entry) = entry else { continue };
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            let age = meta
                .modified()
                .ok()
                .and_then(|at| now.duration_since(at).ok())
                .unwrap_or_default();
            if age >= older_than && std::fs::remove_file(entry.path()).is_ok() {
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// The bytes of the stored file `storage_path` (a `files` row's) at a local path: the file
    /// under the directory, or a temporary copy of its database chunks. Fails (internal) when the
    /// database holds fewer bytes than the row says, e.g. when the file was deleted meanwhile.
    pub fn open_local(&self, conn: &mut DbConn, storage_path: &str) -> EngineResult<LocalFile> {
        let Some(key) = in_database(storage_path) else {
            return Ok(LocalFile {
                path: self.root.join(storage_path),
                temporary: false,
            });
        };
        let path = self
            .incoming_dir()?
            .join(format!("{}.read", uuid::Uuid::new_v4().simple()));
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        // From here on the guard removes the copy, whatever fails.
        let local = LocalFile {
            path,
            temporary: true,
        };
        // One chunk per statement: at most one chunk in memory, whatever the file's size.
        let mut written: i64 = 0;
        for chunk in 0_i64.. {
            let bytes: Option<Vec<u8>> = with_conn!(conn, |c| file_blobs::table
                .find((key, chunk))
                .select(file_blobs::bytes)
                .first(c)
                .optional())?;
            let Some(bytes) = bytes else { break };
            out.write_all(&bytes)?;
            written += i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        }
        out.flush()?;
        // Chunks are read by separate statements: a file deleted (or never fully there) shows as
        // fewer bytes than its row says, never as a silently short file.
        let size: Option<i64> = with_conn!(conn, |c| files::table
            .find(key)
            .select(files::size)
            .first(c)
            .optional())?;
        if size != Some(written) {
            return Err(EngineError::Internal(format!(
                "attachment {key}: the database holds {written} bytes of {size:?}"
            )));
        }
        Ok(local)
    }

    /// The whole stored file in memory (small files: package exports, imports).
    pub fn read(&self, conn: &mut DbConn, storage_path: &str) -> EngineResult<Vec<u8>> {
        let local = self.open_local(conn, storage_path)?;
        Ok(std::fs::read(local.path())?)
    }

    /// A new empty temporary file for an upload.
    pub fn incoming(&self) -> EngineResult<Incoming> {
        let dir = self.incoming_dir()?;
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
    /// `<root>/<2 chars>/<key>` (or, writing to the database, copies it into `file_blobs` in the
    /// transaction of its row, opening one when none is open) and inserts its row. Returns the key.
    /// `peer` is the uploader's address for the audit row.
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
        let now = chrono::Utc::now().timestamp();
        let scan_verdict = verdict.as_ref().map(Verdict::label);
        let scanned_at = verdict.as_ref().map(|_| now);
        let insert_row = |conn: &mut DbConn, storage_path: &str| -> EngineResult<()> {
            with_conn!(conn, |c| diesel::insert_into(files::table)
                .values((
                    files::file_key.eq(&key),
                    files::name.eq(&name),
                    files::content_type.eq(content_type),
                    files::size.eq(size),
                    files::storage_path.eq(storage_path),
                    files::uploaded_by.eq(user),
                    files::created_at.eq(now),
                    files::scan_verdict.eq(scan_verdict),
                    files::scanned_at.eq(scanned_at),
                ))
                .execute(c))?;
            match &verdict {
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
            }
        };
        if self.writes_to == FilesIn::Database {
            let storage_path = format!("{IN_DATABASE}{key}");
            let write = |conn: &mut DbConn| -> EngineResult<()> {
                insert_row(conn, &storage_path)?;
                insert_chunks(conn, &key, &incoming.path)
            };
            // Row and bytes commit together: inside the caller's transaction when there is one,
            // else in one of their own (an upload is not in one), so a failure leaves neither.
            if crate::db::in_transaction() {
                write(conn)?;
            } else {
                conn.write_transaction(write)?;
            }
            // `incoming` drops here and removes the temporary file.
            return Ok(key);
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
        if let Err(e) = insert_row(conn, &storage_path) {
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
        let source = self.open_local(conn, &meta.storage_path)?;
        let mut incoming = self.incoming()?;
        let copied = std::fs::copy(source.path(), &incoming.path)?;
        incoming.len = copied;
        self.store(conn, incoming, &meta.name, &meta.content_type, user, "")
    }

    /// Removes files from disk (after the transaction that dropped their rows committed). Bytes in
    /// the database went with their rows.
    pub fn remove(&self, storage_paths: &[String]) {
        for p in storage_paths {
            if in_database(p).is_some() {
                continue;
            }
            if let Err(e) = std::fs::remove_file(self.root.join(p)) {
                tracing::warn!(error = %e, "could not remove an attachment file");
            }
        }
    }
}

/// Copies the file at `path` into `file_blobs` as chunks of [`BLOB_CHUNK_BYTES`] under `key`
/// (whose `files` row must exist: the foreign key). Chunk 0 is written even for an empty file, so
/// a missing chunk 0 always means missing bytes.
fn insert_chunks(conn: &mut DbConn, key: &str, path: &Path) -> EngineResult<()> {
    let mut file = std::fs::File::open(path)?;
    let mut buf = Vec::with_capacity(BLOB_CHUNK_BYTES);
    for chunk in 0_i64.. {
        buf.clear();
        let n = (&mut file)
            .take(BLOB_CHUNK_BYTES as u64)
            .read_to_end(&mut buf)?;
        if n == 0 && chunk > 0 {
            break;
        }
        with_conn!(conn, |c| diesel::insert_into(file_blobs::table)
            .values((
                file_blobs::file_key.eq(key),
                file_blobs::chunk.eq(chunk),
                file_blobs::bytes.eq(&buf),
            ))
            .execute(c))?;
        if n < BLOB_CHUNK_BYTES {
            break;
        }
    }
    Ok(())
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

/// Drops file rows no record references any more, and the bytes of those in the database (in this
/// transaction); returns their storage paths, for [`FileStore::remove`] after the commit.
pub(crate) fn detach_files(conn: &mut DbConn, keys: &[String]) -> EngineResult<Vec<String>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let paths: Vec<String> = with_conn!(conn, |c| files::table
        .filter(files::file_key.eq_any(keys))
        .select(files::storage_path)
        .load(c))?;
    // The foreign key cascades as well; deleting here does not depend on it being enforced.
    with_conn!(conn, |c| diesel::delete(
        file_blobs::table.filter(file_blobs::file_key.eq_any(keys))
    )
    .execute(c))?;
    with_conn!(conn, |c| diesel::delete(
        files::table.filter(files::file_key.eq_any(keys))
    )
    .execute(c))?;
    Ok(paths)
}

#[cfg(test)]
#[path = "files_tests.rs"]
mod tests;
