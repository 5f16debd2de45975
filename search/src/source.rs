//! Reading what gets indexed from the database: records (current state, no permission applied:
//! permissions are applied at query time), their comments and attached files, and the cache of
//! text extracted from files (`file_texts`).

use std::collections::HashMap;

use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::QueryableByName;
use kumiki_engine::db::DbConn;
use kumiki_engine::EngineResult;

/// One record as stored.
#[derive(Debug, Clone, QueryableByName)]
pub struct RecordRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub creator: String,
    #[diesel(sql_type = BigInt)]
    pub created_at: i64,
    #[diesel(sql_type = BigInt)]
    pub updated_at: i64,
    #[diesel(sql_type = Text)]
    pub data: String,
}

#[derive(Debug, Clone, QueryableByName)]
pub struct CommentRow {
    #[diesel(sql_type = BigInt)]
    pub record_id: i64,
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub text: String,
}

/// An attached file's row.
#[derive(Debug, Clone, QueryableByName)]
pub struct FileRow {
    #[diesel(sql_type = Text)]
    pub file_key: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub content_type: String,
    #[diesel(sql_type = Text)]
    pub storage_path: String,
    #[diesel(sql_type = BigInt)]
    pub record_id: i64,
}

/// A cached extraction result.
#[derive(Debug, Clone, QueryableByName)]
pub struct FileText {
    #[diesel(sql_type = Text)]
    pub file_key: String,
    #[diesel(sql_type = Text)]
    pub file_type: String,
    #[diesel(sql_type = Text)]
    pub text: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub error: Option<String>,
}

/// A file whose text could not be extracted, for the index status.
#[derive(Debug, Clone, QueryableByName, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedFile {
    #[diesel(sql_type = Text)]
    pub file_key: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = BigInt)]
    pub app_id: i64,
    #[diesel(sql_type = BigInt)]
    pub record_id: i64,
    #[diesel(sql_type = Text)]
    pub error: String,
}

fn push_ids(b: &mut kumiki_engine::db::SqlBuilder, ids: &[i64]) {
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            b.push(", ");
        }
        b.bind_int(*id);
    }
}

/// The records of `app` among `ids` that exist.
pub fn records_by_id(conn: &mut DbConn, app: i64, ids: &[i64]) -> EngineResult<Vec<RecordRow>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let mut b = conn.sql();
        b.push("SELECT id, creator, created_at, updated_at, data FROM records WHERE app_id = ")
            .bind_int(app)
            .push(" AND id IN (");
        push_ids(&mut b, chunk);
        b.push(")");
        out.extend(conn.load::<RecordRow>(&b)?);
    }
    Ok(out)
}

/// Up to `limit` records of `app` with an id above `after`, by id.
pub fn records_after(
    conn: &mut DbConn,
    app: i64,
    after: i64,
    limit: i64,
) -> EngineResult<Vec<RecordRow>> {
    let mut b = conn.sql();
    b.push("SELECT id, creator, created_at, updated_at, data FROM records WHERE app_id = ")
        .bind_int(app)
        .push(" AND id > ")
        .bind_int(after)
        .push(" ORDER BY id LIMIT ")
        .bind_int(limit);
    conn.load(&b)
}

/// The comments of these records.
pub fn comments_of(conn: &mut DbConn, app: i64, ids: &[i64]) -> EngineResult<Vec<CommentRow>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let mut b = conn.sql();
        b.push("SELECT record_id, id, text FROM record_comments WHERE app_id = ")
            .bind_int(app)
            .push(" AND record_id IN (");
        push_ids(&mut b, chunk);
        b.push(") ORDER BY record_id, id");
        out.extend(conn.load::<CommentRow>(&b)?);
    }
    Ok(out)
}

/// The files attached to these records.
pub fn files_of(conn: &mut DbConn, app: i64, ids: &[i64]) -> EngineResult<Vec<FileRow>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let mut b = conn.sql();
        b.push(
            "SELECT file_key, name, content_type, storage_path, record_id FROM files WHERE app_id = ",
        )
        .bind_int(app)
        .push(" AND record_id IN (");
        push_ids(&mut b, chunk);
        b.push(")");
        out.extend(conn.load::<FileRow>(&b)?);
    }
    Ok(out)
}

/// Cached extraction results of these files.
pub fn cached_texts(conn: &mut DbConn, keys: &[String]) -> EngineResult<HashMap<String, FileText>> {
    let mut out = HashMap::new();
    for chunk in keys.chunks(300) {
        let mut b = conn.sql();
        b.push("SELECT file_key, file_type, text, error FROM file_texts WHERE file_key IN (");
        for (i, k) in chunk.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.bind_text(k);
        }
        b.push(")");
        for row in conn.load::<FileText>(&b)? {
            out.insert(row.file_key.clone(), row);
        }
    }
    Ok(out)
}

/// Keeps an extraction result (replacing an older one of the same key).
pub fn store_text(conn: &mut DbConn, t: &FileText) -> EngineResult<()> {
    let mut b = conn.sql();
    b.push("INSERT INTO file_texts (file_key, file_type, text, error, extracted_at) VALUES (")
        .bind_text(&t.file_key)
        .push(", ")
        .bind_text(&t.file_type)
        .push(", ")
        .bind_text(&t.text)
        .push(", ");
    match &t.error {
        Some(e) => b.bind_text(e),
        None => b.push("NULL"),
    };
    b.push(", ").bind_int(chrono::Utc::now().timestamp()).push(
        ") ON CONFLICT (file_key) DO UPDATE SET file_type = excluded.file_type, \
             text = excluded.text, error = excluded.error, extracted_at = excluded.extracted_at",
    );
    conn.execute(&b)?;
    Ok(())
}

/// Attached files whose text could not be read, newest first.
pub fn failed_files(conn: &mut DbConn, limit: i64) -> EngineResult<Vec<FailedFile>> {
    let mut b = conn.sql();
    b.push(
        "SELECT t.file_key AS file_key, f.name AS name, f.app_id AS app_id, f.record_id AS record_id, \
         t.error AS error FROM file_texts t JOIN files f ON f.file_key = t.file_key \
         WHERE t.error IS NOT NULL AND f.app_id IS NOT NULL AND f.record_id IS NOT NULL \
         ORDER BY t.extracted_at DESC LIMIT ",
    )
    .bind_int(limit);
    conn.load(&b)
}

/// Drops cached texts of files that no longer exist.
pub fn prune_texts(conn: &mut DbConn) -> EngineResult<usize> {
    let mut b = conn.sql();
    b.push(
        "DELETE FROM file_texts WHERE NOT EXISTS \
         (SELECT 1 FROM files f WHERE f.file_key = file_texts.file_key)",
    );
    conn.execute(&b)
}

/// Ids of every app.
pub fn app_ids(conn: &mut DbConn) -> EngineResult<Vec<i64>> {
    let b = {
        let mut b = conn.sql();
        b.push("SELECT id AS n FROM apps ORDER BY id");
        b
    };
    Ok(conn
        .load::<kumiki_engine::db::IntRow>(&b)?
        .into_iter()
        .map(|r| r.n)
        .collect())
}
