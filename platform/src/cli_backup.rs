//! `kumiki backup DIR` and `kumiki restore DIR` (docs/operations.md "Backup and restore").
//!
//! A backup is a directory: the database (`database.sqlite`, a consistent `VACUUM INTO` copy, or
//! `database.pgdump`, `pg_dump`'s custom format), the attachments the database refers to under
//! `files/`, the signing key `jwt.key`, and `kumiki-backup.json`, written last, so a directory
//! without it is an unfinished backup. Both run while the server serves: SQLite's copy and
//! `pg_dump` read one snapshot. The search index is not copied: it is derived from the database,
//! and a restored database starts every node's index over (`kumiki_engine::backup::after_restore`).
//!
//! A restore refuses to run while a server holds this data directory, writes into an empty
//! database (or, with `--replace`, replaces it in one step: a new SQLite file renamed over the old
//! one, on PostgreSQL one transaction that drops the schema and loads the dump), then puts back
//! the attachments and the key.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context};
use kumiki_engine::audit::{action, AuditEvent};
use kumiki_engine::backup::{self, SnapshotFacts};
use kumiki_engine::db::{Database, Dialect};
use kumiki_engine::users::ADMINISTRATOR;
use kumiki_platform::startup::SIGNING_KEY_FILE;
use kumiki_platform::Settings;
use serde::{Deserialize, Serialize};

pub const MANIFEST_FILE: &str = "kumiki-backup.json";
const FORMAT: &str = "kumiki-backup/1";
const SQLITE_FILE: &str = "database.sqlite";
const PG_FILE: &str = "database.pgdump";
const FILES_DIR: &str = "files";

/// `kumiki-backup.json`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub format: String,
    pub kumiki_version: String,
    /// `sqlite` or `postgres`: a backup is restored onto the same kind of database.
    pub backend: String,
    pub created_at: String,
    pub schema_version: String,
    pub records: i64,
    /// Attachments copied into the backup's `files/`.
    pub files: i64,
    /// Attachments whose bytes are inside the database copy (`--files-store database`); absent
    /// in backups from before it existed.
    #[serde(default)]
    pub files_in_database: i64,
    /// Attachments the database refers to that were not on disk (deleted while the backup ran).
    pub files_missing: Vec<String>,
    pub signing_key: bool,
}

fn backend_name(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "sqlite",
        Dialect::Postgres => "postgres",
    }
}

/// Writes a backup of the database, the attachments and the signing key into `out` (a new or
/// empty directory).
pub fn backup(settings: &Settings, out: &Path) -> anyhow::Result<Manifest> {
    if out.exists() {
        let mut entries =
            std::fs::read_dir(out).with_context(|| format!("cannot read {}", out.display()))?;
        if entries.next().is_some() {
            bail!(
                "{} is not empty: a backup goes into a new or empty directory",
                out.display()
            );
        }
    }
    create_private_dir(out)?;
    let url = settings.database_url();
    let db = Database::connect(&url, 2)?;
    let dialect = db.dialect();
    // Written before the copy is taken, so the backup itself says when and where it was made
    // (and a restore shows the backup it came from in the audit log).
    let detail = serde_json::json!({"dir": out.display().to_string()});
    audit_cli(&db, action::SYSTEM_BACKUP, detail)?;
    let facts = match dialect {
        Dialect::Sqlite => {
            let copy = out.join(SQLITE_FILE);
            backup::sqlite_copy(&mut db.conn()?, &copy)?;
            let copy_db = Database::connect(&format!("sqlite://{}", copy.display()), 1)?;
            let mut conn = copy_db.conn()?;
            backup::sqlite_check(&mut conn)?;
            backup::snapshot_facts(&mut conn)?
        }
        Dialect::Postgres => {
            pg_dump(&url, &out.join(PG_FILE))?;
            // Read after the dump: attachments added meanwhile are copied too (harmless), ones
            // deleted meanwhile are listed as missing.
            backup::snapshot_facts(&mut db.conn()?)?
        }
    };
    let files_missing = copy_files(&settings.files_dir(), &out.join(FILES_DIR), &facts)?;
    let key = settings.data_dir.join(SIGNING_KEY_FILE);
    let signing_key = key.exists();
    if signing_key {
        copy_private(&key, &out.join(SIGNING_KEY_FILE))?;
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        kumiki_version: env!("CARGO_PKG_VERSION").into(),
        backend: backend_name(dialect).into(),
        created_at: chrono::Utc::now().to_rfc3339(),
        schema_version: facts.schema_version.clone(),
        records: facts.records,
        files: facts.storage_paths.len() as i64,
        files_in_database: facts.database_files,
        files_missing,
        signing_key,
    };
    let tmp = out.join(format!("{MANIFEST_FILE}.part"));
    std::fs::write(&tmp, serde_json::to_vec_pretty(&manifest)?)?;
    std::fs::rename(&tmp, out.join(MANIFEST_FILE))?;
    Ok(manifest)
}

/// Restores the backup in `from` into the configured database, attachments directory and data
/// directory. Without `replace` the database must be empty.
pub fn restore(settings: &Settings, from: &Path, replace: bool) -> anyhow::Result<Manifest> {
    let manifest_path = from.join(MANIFEST_FILE);
    let manifest: Manifest = serde_json::from_slice(
        &std::fs::read(&manifest_path)
            .with_context(|| format!("{} is not a finished Kumiki backup", from.display()))?,
    )
    .with_context(|| format!("{} cannot be read", manifest_path.display()))?;
    if manifest.format != FORMAT {
        bail!(
            "{}: format {} is not {FORMAT}",
            manifest_path.display(),
            manifest.format
        );
    }
    let index_dir = kumiki_search::index::index_dir(&settings.data_dir);
    if kumiki_search::index::in_use(&index_dir) {
        bail!(
            "a server is running on {}: stop it, and every other node of this database, first",
            settings.data_dir.display()
        );
    }
    let url = settings.database_url();
    std::fs::create_dir_all(&settings.data_dir)?;
    let db = Database::connect(&url, 1)?;
    let dialect = db.dialect();
    if manifest.backend != backend_name(dialect) {
        bail!(
            "this backup is of a {} database and cannot be restored into {}",
            manifest.backend,
            backend_name(dialect)
        );
    }
    let has_data = backup::has_tables(&mut db.conn()?)?;
    if has_data && !replace {
        bail!(
            "the database already holds data; `kumiki restore --replace` replaces it (everything \
             in it is lost)"
        );
    }
    // The key: the restored database only accepts the key it was used with.
    let key_from = from.join(SIGNING_KEY_FILE);
    let key_to = settings.data_dir.join(SIGNING_KEY_FILE);
    if manifest.signing_key && key_to.exists() && !replace {
        let same = std::fs::read(&key_from)? == std::fs::read(&key_to)?;
        if !same {
            bail!(
                "{} holds another signing key; `--replace` overwrites it with the backup's",
                key_to.display()
            );
        }
    }
    // The pool's connection goes first: the SQLite file is renamed over, PostgreSQL's schema dropped.
    drop(db);
    match dialect {
        Dialect::Sqlite => restore_sqlite(&url, &from.join(SQLITE_FILE))?,
        Dialect::Postgres => pg_restore(&url, &from.join(PG_FILE))?,
    }
    let db = Database::connect(&url, 1)?;
    let mut conn = db.conn()?;
    let facts = backup::snapshot_facts(&mut conn)?;
    let rebuilt = backup::after_restore(&mut conn)?;
    if !rebuilt.is_empty() && dialect == Dialect::Postgres {
        eprintln!(
            "search indexes that rebuild at their next start: {} (a node that will not come back: \
             `kumiki outbox forget <name>`)",
            rebuilt.join(", ")
        );
    }
    drop(conn);
    let detail = serde_json::json!({
        "backup": manifest.created_at,
        "schemaVersion": manifest.schema_version,
        "records": facts.records,
        "files": facts.storage_paths.len(),
        "filesInDatabase": facts.database_files,
        "replaced": has_data,
    });
    audit_cli(&db, action::SYSTEM_RESTORE, detail)?;
    let files_dir = settings.files_dir();
    if replace && files_dir.exists() {
        empty_dir(&files_dir, None)?;
    }
    let missing = copy_files(&from.join(FILES_DIR), &files_dir, &facts)?;
    if !missing.is_empty() {
        eprintln!(
            "{} attachments the database refers to are not in the backup (listed in its manifest \
             as filesMissing): {}",
            missing.len(),
            missing.join(", ")
        );
    }
    if manifest.signing_key {
        copy_private(&key_from, &key_to)?;
    }
    // This node's index starts over (its id stays, so it keeps its consumer name).
    if index_dir.exists() {
        empty_dir(&index_dir, Some(kumiki_search::indexer::INDEX_ID_FILE))?;
    }
    Ok(manifest)
}

/// An audit row for an operator's command (the actor is the installation's administrator account,
/// the peer `cli`, as `kumiki user set-password` writes it).
fn audit_cli(db: &Database, what: &str, detail: serde_json::Value) -> anyhow::Result<()> {
    let mut conn = db.conn()?;
    conn.write_transaction(|c| {
        kumiki_engine::audit::record(
            c,
            AuditEvent::success(ADMINISTRATOR, "cli", what, "system", detail),
        )
    })?;
    Ok(())
}

/// Copies the attachments in `facts` from `from` to `to`; returns those missing in `from`.
fn copy_files(from: &Path, to: &Path, facts: &SnapshotFacts) -> anyhow::Result<Vec<String>> {
    let mut missing = Vec::new();
    for p in &facts.storage_paths {
        let src = from.join(p);
        if !src.is_file() {
            missing.push(p.clone());
            continue;
        }
        let dst = to.join(p);
        if let Some(parent) = dst.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(&src, &dst)
            .with_context(|| format!("cannot copy {} to {}", src.display(), dst.display()))?;
    }
    Ok(missing)
}

/// Replaces the SQLite database at `url` by the copy `source`: written next to it first, so a
/// failure leaves the old database as it was.
fn restore_sqlite(url: &str, source: &Path) -> anyhow::Result<()> {
    let target = PathBuf::from(
        url.strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .context("not a SQLite URL")?,
    );
    let staged = with_suffix(&target, ".restoring");
    std::fs::copy(source, &staged).with_context(|| format!("cannot copy {}", source.display()))?;
    std::fs::File::open(&staged)?.sync_all()?;
    for suffix in ["-wal", "-shm"] {
        let side = with_suffix(&target, suffix);
        if side.exists() {
            std::fs::remove_file(&side)?;
        }
    }
    std::fs::rename(&staged, &target)?;
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// `pg_dump` of `url` into `file` (custom format; owners and grants left out, so it loads into a
/// database of another owner).
fn pg_dump(url: &str, file: &Path) -> anyhow::Result<()> {
    let output = pg_tool("pg_dump", url)
        .args(["--format=custom", "--no-owner", "--no-privileges"])
        .arg(format!("--file={}", file.display()))
        .stdin(Stdio::null())
        .output()
        .map_err(|e| tool_missing("pg_dump", e))?;
    if !output.status.success() {
        bail!(
            "pg_dump failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// Loads the dump `file` into `url` in one transaction that first drops and recreates the schema
/// (`pg_restore` writes the SQL, `psql --single-transaction` runs it): on any error nothing of the
/// old or the new content is changed.
fn pg_restore(url: &str, file: &Path) -> anyhow::Result<()> {
    if !file.is_file() {
        bail!("{} is missing from the backup", file.display());
    }
    let mut psql = pg_tool("psql", url)
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction"])
        .env("PGOPTIONS", "-c client_min_messages=warning")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| tool_missing("psql", e))?;
    let mut sql = Command::new("pg_restore")
        .args(["--no-owner", "--no-privileges", "--file=-"])
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| tool_missing("pg_restore", e))?;
    let copied = (|| -> std::io::Result<()> {
        let mut to = psql
            .stdin
            .take()
            .ok_or_else(|| std::io::Error::other("psql has no stdin"))?;
        to.write_all(
            b"DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\nSET search_path = public;\n",
        )?;
        let mut from = sql
            .stdout
            .take()
            .ok_or_else(|| std::io::Error::other("pg_restore has no stdout"))?;
        std::io::copy(&mut from, &mut to)?;
        Ok(())
    })();
    let restore_out = sql.wait_with_output()?;
    let psql_out = psql.wait_with_output()?;
    if !restore_out.status.success() {
        bail!(
            "pg_restore failed (the database is unchanged): {}",
            String::from_utf8_lossy(&restore_out.stderr).trim()
        );
    }
    if !psql_out.status.success() {
        bail!(
            "loading the dump failed (the database is unchanged): {}",
            String::from_utf8_lossy(&psql_out.stderr).trim()
        );
    }
    copied.context("streaming the dump into psql")?;
    Ok(())
}

/// A PostgreSQL client tool for `url`, the password (if the URL has one) passed in the environment
/// instead of on the command line, where other users of the machine could read it.
fn pg_tool(program: &str, url: &str) -> Command {
    let (url, password) = split_password(url);
    let mut cmd = Command::new(program);
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    cmd.arg(format!("--dbname={url}"));
    cmd
}

/// `postgres://user:secret@host/db` → (`postgres://user@host/db`, `secret` percent-decoded).
fn split_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return (url.to_owned(), None);
    };
    let Some((user, password)) = userinfo.split_once(':') else {
        return (url.to_owned(), None);
    };
    let decoded = percent_decode(password);
    (format!("{scheme}://{user}@{host}{tail}"), Some(decoded))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn tool_missing(program: &str, e: std::io::Error) -> anyhow::Error {
    if e.kind() == std::io::ErrorKind::NotFound {
        anyhow::anyhow!(
            "{program} was not found: install PostgreSQL's client programs (Debian: postgresql-client, \
             of the server's major version or newer)"
        )
    } else {
        anyhow::anyhow!("cannot run {program}: {e}")
    }
}

/// Removes everything inside `dir` but the file named `keep` (not `dir` itself: it may be a mount
/// point shared by nodes).
fn empty_dir(dir: &Path, keep: Option<&str>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if keep.is_some_and(|k| entry.file_name() == k) {
            continue;
        }
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            std::fs::remove_dir_all(&path)?;
        } else {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    Ok(())
}

/// Copies a secret file, readable and writable by the owner only.
fn copy_private(from: &Path, to: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let bytes = std::fs::read(from).with_context(|| format!("cannot read {}", from.display()))?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(to)
        .with_context(|| format!("cannot write {}", to.display()))?;
    f.write_all(&bytes)?;
    f.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::split_password;

    #[test]
    fn the_password_leaves_the_url() {
        assert_eq!(
            split_password("postgres://kumiki:s%40cret@db.local:5432/kumiki?sslmode=require"),
            (
                "postgres://kumiki@db.local:5432/kumiki?sslmode=require".to_owned(),
                Some("s@cret".to_owned())
            )
        );
        assert_eq!(
            split_password("postgres://postgres@127.0.0.1:5432/k"),
            ("postgres://postgres@127.0.0.1:5432/k".to_owned(), None)
        );
        assert_eq!(
            split_password("postgresql://h/db"),
            ("postgresql://h/db".to_owned(), None)
        );
    }
}
