//! Attachments: uploaded bytes on disk under the data directory, one `files` row each.
//!
//! An upload gets a key and no owner; saving a record that names the key attaches it to that record.
//! Bytes are written to a temporary file, synced and renamed into place before the row is inserted, so
//! an acknowledged upload is never a half-written file.

use std::io::Write;
use std::path::{Path, PathBuf};

use diesel::prelude::*;
use serde_json::{json, Value};

use crate::apps::AppId;
use crate::db::schema::files;
use crate::db::DbConn;
use crate::error::{EngineResult, UserError};
use crate::with_conn;

/// Where attachment bytes live.
#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
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
}

impl FileStore {
    /// Files go to `<root>/<2 chars>/<key>`; `root` is created when missing.
    pub fn new(root: impl Into<PathBuf>) -> EngineResult<FileStore> {
        let root = root.into();
        std::fs::create_dir_all(&root)?;
        Ok(FileStore { root })
    }

    pub fn path_of(&self, storage_path: &str) -> PathBuf {
        self.root.join(storage_path)
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
        let key = uuid::Uuid::new_v4().simple().to_string();
        let dir = key.get(..2).unwrap_or("00");
        let storage_path = format!("{dir}/{key}");
        let final_path = self.root.join(&storage_path);
        if let Some(parent) = final_path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let tmp = self.root.join(format!("{storage_path}.part"));
        write_synced(&tmp, bytes)?;
        std::fs::rename(&tmp, &final_path)?;
        let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        let now = chrono::Utc::now().timestamp();
        let inserted = with_conn!(conn, |c| diesel::insert_into(files::table)
            .values((
                files::file_key.eq(&key),
                files::name.eq(name),
                files::content_type.eq(content_type),
                files::size.eq(size),
                files::storage_path.eq(&storage_path),
                files::uploaded_by.eq(user),
                files::created_at.eq(now),
            ))
            .execute(c));
        if let Err(e) = inserted {
            let _ = std::fs::remove_file(&final_path);
            return Err(e.into());
        }
        Ok(key)
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

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
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
