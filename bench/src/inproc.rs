//! What the in-process benchmarks (`kumiki-export-bench`, `kumiki-surveys-bench`,
//! `kumiki-threads-bench`, `kumiki-search-bench`) share: the `--dir` / `--database-url` flags, a
//! fresh migrated database (a new SQLite file each run unless PostgreSQL is named), bulk SQL for
//! loading, and the process's memory figures.

use std::path::PathBuf;

use anyhow::{Context, Result};
use kumiki_engine::apps::{check_definition, create_app, deploy, AppDefinition, AppId};
use kumiki_engine::db::{Database, DbConn};
use kumiki_engine::EngineError;

/// The flags every in-process benchmark takes.
pub struct CommonArgs {
    /// Where the SQLite file and the outputs go (`--dir`, default `<tmp>/<bench name>`).
    pub dir: PathBuf,
    /// `--database-url`; the SQLite file `<dir>/<name>.db` when absent.
    pub database_url: Option<String>,
}

/// Reads `--flag value` pairs: `--dir` and `--database-url` here, the benchmark's own through
/// `own(flag, value)`, which answers false for a flag it does not know.
///
/// # Errors
/// A flag without a value, an unknown flag, or what `own` returns.
pub fn parse_args(
    name: &str,
    mut own: impl FnMut(&str, String) -> Result<bool>,
) -> Result<CommonArgs> {
    let mut a = CommonArgs {
        dir: std::env::temp_dir().join(name),
        database_url: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--dir" => a.dir = value.into(),
            "--database-url" => a.database_url = Some(value),
            other => {
                if !own(other, value)? {
                    anyhow::bail!("unknown flag {other}")
                }
            }
        }
    }
    Ok(a)
}

impl CommonArgs {
    /// Creates `dir`, connects (a SQLite file `<dir>/<file>` made anew, so every run starts from the
    /// same empty database, unless `--database-url` was given) and migrates.
    ///
    /// # Errors
    /// The directory, the connection or the migrations failing.
    pub fn open_database(&self, file: &str) -> Result<Database> {
        std::fs::create_dir_all(&self.dir)?;
        let url = self.database_url.clone().unwrap_or_else(|| {
            let path = self.dir.join(file);
            let _ = std::fs::remove_file(&path);
            format!("sqlite://{}", path.display())
        });
        let db = Database::connect(&url, 2)?;
        db.migrate()?;
        Ok(db)
    }
}

/// An engine result as an `anyhow` one (the engine's errors carry keys, not `std::error::Error`
/// sources worth keeping here).
///
/// # Errors
/// The engine's error, as text.
pub fn engine<T>(r: Result<T, EngineError>) -> Result<T> {
    r.map_err(|e| anyhow::anyhow!("{e}"))
}

/// Runs bench-made SQL (no user input).
///
/// # Errors
/// The statement failing.
pub fn exec(conn: &mut DbConn, sql: &str) -> Result<()> {
    let mut b = conn.sql();
    b.push(sql);
    conn.execute(&b)?;
    Ok(())
}

/// Inserts `rows` (SQL value tuples, no user input) into `table (columns)` 500 at a time.
///
/// # Errors
/// A statement failing.
pub fn bulk(conn: &mut DbConn, table: &str, columns: &str, rows: &[String]) -> Result<()> {
    for chunk in rows.chunks(500) {
        exec(
            conn,
            &format!(
                "INSERT INTO {table} ({columns}) VALUES {}",
                chunk.join(", ")
            ),
        )?;
    }
    Ok(())
}

/// A `/proc/self/status` memory figure (`VmRSS`, `VmHWM`) in KiB; 0 when unreadable (not Linux).
pub fn proc_status_kb(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Resets the peak RSS (`VmHWM`; Linux: `5` > `clear_refs`) so that the next reading measures
/// what runs from here, not the load before it.
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Creates the app of `def` as `admin` and deploys it at once, in one transaction (what a
/// benchmark needs before it adds records; the API does the same in two calls).
///
/// # Errors
/// The definition refused or the database failing.
pub fn deployed_app(conn: &mut DbConn, def: AppDefinition, admin: &str) -> Result<AppId> {
    engine(conn.write_transaction(|c| {
        let (id, _) = create_app(c, def, None, None, admin)?;
        deploy(c, id, None, false, admin, |_, preview, _| {
            check_definition(preview).map_err(EngineError::User)
        })?;
        Ok::<_, EngineError>(id)
    }))
}
