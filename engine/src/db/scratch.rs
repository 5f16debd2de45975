//! Test-only: a migrated scratch database, a temp SQLite file by default or, with
//! `KUMIKI_TEST_DATABASE_URL` (a PostgreSQL server URL), a fresh PostgreSQL database dropped when the
//! guard goes (the same convention as the integration tests).

use super::Database;

type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// What keeps a scratch database: its temp directory, or the PostgreSQL database to drop.
pub(crate) enum Scratch {
    Dir(#[allow(dead_code)] tempfile::TempDir),
    Pg { admin: String, name: String },
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Scratch::Pg { admin, name } = self {
            // Best effort: a database left behind only takes space on the test server.
            if let Ok(db) = Database::connect(admin, 1) {
                if let Ok(mut c) = db.conn() {
                    let _ =
                        c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                }
            }
        }
    }
}

/// A migrated database named after `prefix` (lowercase letters and `_`).
pub(crate) fn database(prefix: &str) -> TestResult<(Scratch, Database)> {
    if let Ok(url) = std::env::var("KUMIKI_TEST_DATABASE_URL") {
        if url.starts_with("postgres") {
            let admin = Database::connect(&url, 1)?;
            let name = format!(
                "kumiki_{prefix}_{}",
                crate::public_forms::random_token(9)
                    .to_lowercase()
                    .replace(['-', '_'], "x")
            );
            admin
                .conn()?
                .batch_execute(&format!("CREATE DATABASE {name}"))?;
            let (scheme, rest) = url.split_once("://").ok_or("bad URL")?;
            let server = rest.split('/').next().unwrap_or_default();
            let db = Database::connect(&format!("{scheme}://{server}/{name}"), 1)?;
            let guard = Scratch::Pg {
                admin: url.clone(),
                name,
            };
            db.migrate()?;
            return Ok((guard, db));
        }
    }
    let dir = tempfile::tempdir()?;
    let db = Database::connect(
        &format!("sqlite://{}", dir.path().join("t.db").display()),
        1,
    )?;
    db.migrate()?;
    Ok((Scratch::Dir(dir), db))
}
