//! The database side of `kumiki backup` and `kumiki restore` (the command, the dump tools and the
//! attachments are the platform's, `platform/src/cli_backup.rs`): a consistent SQLite copy, what a
//! snapshot holds (schema version, record count, the attachments it refers to), whether a database is
//! empty, and telling the search indexes that the history they were built from is gone.

use std::path::{Component, Path};

use diesel::sql_types::{BigInt, Text};
use diesel::QueryableByName;

use crate::db::{DbConn, Dialect};
use crate::error::{EngineError, EngineResult};
use crate::records::changes;

/// What a backup's database holds, recorded in its manifest and checked again after a restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotFacts {
    /// The newest migration applied (`__diesel_schema_migrations`), e.g. `20261215000010`.
    pub schema_version: String,
    pub records: i64,
    /// `storage_path` of every attachment stored in the attachments directory, relative to it.
    pub storage_paths: Vec<String>,
    /// Attachments whose bytes are in the database (`file_blobs`): they travel inside the
    /// database copy, never in the backup's `files/`.
    pub database_files: i64,
}

#[derive(QueryableByName)]
struct One {
    #[diesel(sql_type = Text)]
    v: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Writes a consistent copy of the SQLite database to `target` (`VACUUM INTO`: one read
/// transaction, so a server may keep writing meanwhile; the copy is compact and in one file) and
/// checks it with `PRAGMA quick_check`. `target` must not exist.
pub fn sqlite_copy(conn: &mut DbConn, target: &Path) -> EngineResult<()> {
    if conn.dialect() != Dialect::Sqlite {
        return Err(EngineError::Internal("sqlite_copy on PostgreSQL".into()));
    }
    let path = target
        .to_str()
        .ok_or_else(|| EngineError::Internal("the backup path is not UTF-8".into()))?;
    let mut b = conn.sql();
    b.push("VACUUM INTO ");
    b.bind_text(path);
    conn.execute(&b)?;
    Ok(())
}

/// `PRAGMA quick_check` of a SQLite database: `Ok` when it answers `ok`.
pub fn sqlite_check(conn: &mut DbConn) -> EngineResult<()> {
    let mut b = conn.sql();
    b.push("SELECT quick_check AS v FROM pragma_quick_check");
    let rows: Vec<One> = conn.load(&b)?;
    match rows.first() {
        Some(r) if r.v == "ok" && rows.len() == 1 => Ok(()),
        _ => Err(EngineError::Internal(format!(
            "the database copy is damaged: {}",
            rows.iter()
                .map(|r| r.v.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ))),
    }
}

/// The schema version, the number of records and the attachments of the database behind `conn`.
pub fn snapshot_facts(conn: &mut DbConn) -> EngineResult<SnapshotFacts> {
    let mut b = conn.sql();
    b.push("SELECT COALESCE(MAX(version), '') AS v FROM __diesel_schema_migrations");
    let schema_version = conn.load::<One>(&b)?.pop().map(|r| r.v).unwrap_or_default();
    let mut b = conn.sql();
    b.push("SELECT COUNT(*) AS n FROM records");
    let records = conn.load::<Count>(&b)?.pop().map(|r| r.n).unwrap_or(0);
    let mut b = conn.sql();
    b.push("SELECT storage_path AS v FROM files ORDER BY storage_path");
    let (in_database, storage_paths): (Vec<String>, Vec<String>) = conn
        .load::<One>(&b)?
        .into_iter()
        .map(|r| r.v)
        .partition(|p| crate::records::in_database(p).is_some());
    let database_files = i64::try_from(in_database.len()).unwrap_or(i64::MAX);
    for p in &storage_paths {
        if !is_plain_relative(p) {
            return Err(EngineError::Internal(format!(
                "an attachment's storage path leaves the attachments directory: {p}"
            )));
        }
    }
    Ok(SnapshotFacts {
        schema_version,
        records,
        storage_paths,
        database_files,
    })
}

/// Whether `p` is a relative path of plain names (no `..`, no root): safe to join under a directory.
pub fn is_plain_relative(p: &str) -> bool {
    !p.is_empty()
        && Path::new(p)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
}

/// Whether the database has any table: a restore writes only into an empty database unless told
/// to replace it.
pub fn has_tables(conn: &mut DbConn) -> EngineResult<bool> {
    let mut b = conn.sql();
    match conn.dialect() {
        Dialect::Sqlite => {
            b.push("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table'");
        }
        Dialect::Postgres => {
            b.push(
                "SELECT COUNT(*) AS n FROM information_schema.tables \
                 WHERE table_schema = current_schema()",
            );
        }
    }
    Ok(conn.load::<Count>(&b)?.pop().map(|r| r.n).unwrap_or(0) > 0)
}

/// The consumers named so belong to search indexes (`search:<index id>`).
const SEARCH_CONSUMERS: &str = "search:";

/// After a restore: the search indexes of every node were fed by changes the restored database no
/// longer has. On PostgreSQL (several nodes) each index's consumer is set to rebuild, so every node
/// rebuilds its index at its next start; nodes that will not come back must be forgotten
/// (`kumiki outbox forget`). On SQLite there is only this node, whose index the restore empties:
/// its old registration is removed, so nothing holds back pruning. Returns the consumers touched.
pub fn after_restore(conn: &mut DbConn) -> EngineResult<Vec<String>> {
    let names: Vec<String> = changes::consumers(conn)?
        .into_iter()
        .map(|c| c.name)
        .filter(|n| n.starts_with(SEARCH_CONSUMERS))
        .collect();
    match conn.dialect() {
        Dialect::Sqlite => {
            for n in &names {
                changes::forget(conn, n)?;
            }
        }
        Dialect::Postgres => {
            changes::request_rebuild(conn, SEARCH_CONSUMERS)?;
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::is_plain_relative;

    #[test]
    fn storage_paths_stay_inside_the_directory() {
        assert!(is_plain_relative("ab/cdef0123"));
        assert!(is_plain_relative("x"));
        assert!(!is_plain_relative(""));
        assert!(!is_plain_relative("../etc/passwd"));
        assert!(!is_plain_relative("a/../../b"));
        assert!(!is_plain_relative("/etc/passwd"));
        assert!(!is_plain_relative("./a"));
    }
}
