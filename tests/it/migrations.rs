//! Migrations: both backends have the same list, and up → down → up works.

use std::collections::BTreeSet;

use kumiki_tests::TestApp;

fn listing(backend: &str) -> BTreeSet<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../migrations")
        .join(backend);
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn both_backends_have_the_same_migrations_in_pairs() {
    let sqlite = listing("sqlite");
    assert_eq!(sqlite, listing("postgres"));
    for backend in ["sqlite", "postgres"] {
        for m in &sqlite {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../migrations")
                .join(backend)
                .join(m);
            assert!(
                dir.join("up.sql").exists() && dir.join("down.sql").exists(),
                "{backend}/{m}"
            );
        }
    }
}

#[test]
fn up_down_up() {
    let app = TestApp::spawn();
    let db = kumiki_engine::db::Database::connect(&app.database_url, 1).unwrap();
    db.revert_all_migrations().unwrap();
    assert!(db.migrate().unwrap() >= 1);
}

/// A new SQLite database uses 8 KiB pages, so that a record's JSON of a kilobyte or two stays in
/// its page instead of spilling into a mostly empty overflow page (issue 18: disk per record).
#[test]
fn a_new_sqlite_database_has_pages_that_hold_a_record() {
    let app = TestApp::spawn();
    if !app.database_url.starts_with("sqlite") {
        return; // PostgreSQL's pages are its own (8 KiB).
    }
    #[derive(diesel::QueryableByName)]
    struct PageSize {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        page_size: i64,
    }
    let db = kumiki_engine::db::Database::connect(&app.database_url, 1).unwrap();
    let mut conn = db.conn().unwrap();
    let mut b = conn.sql();
    b.push("PRAGMA page_size");
    let rows = conn.load::<PageSize>(&b).unwrap();
    assert_eq!(rows[0].page_size, 8192);
}

/// All of SQLite's memory in the server is bounded together (the pool's page caches share one
/// 64 MiB budget; issue 18's memory budget), on every pooled connection, not only the first.
#[test]
fn sqlite_memory_is_bounded_for_the_whole_pool() {
    let app = TestApp::spawn();
    if !app.database_url.starts_with("sqlite") {
        return; // PostgreSQL's memory is its own server's.
    }
    #[derive(diesel::QueryableByName)]
    struct Limit {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        soft_heap_limit: i64,
    }
    let db = kumiki_engine::db::Database::connect(&app.database_url, 3).unwrap();
    let conns: Vec<_> = (0..3).map(|_| db.conn().unwrap()).collect();
    for mut conn in conns {
        let mut b = conn.sql();
        b.push("PRAGMA soft_heap_limit");
        let rows = conn.load::<Limit>(&b).unwrap();
        assert_eq!(rows[0].soft_heap_limit, 64 * 1024 * 1024);
    }
}

/// Issue 18: every pooled PostgreSQL session runs without JIT (a walk's large cost estimate made
/// PostgreSQL compile ~200 ms of JIT for a 38 ms statement; docs/benchmarks.md "PostgreSQL: JIT").
#[test]
fn postgres_sessions_run_without_jit() {
    let app = TestApp::spawn();
    if !app.database_url.starts_with("postgres") {
        return; // SQLite has no JIT.
    }
    #[derive(diesel::QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        jit: String,
    }
    let db = kumiki_engine::db::Database::connect(&app.database_url, 3).unwrap();
    let conns: Vec<_> = (0..3).map(|_| db.conn().unwrap()).collect();
    for mut conn in conns {
        let mut b = conn.sql();
        b.push("SELECT current_setting('jit') AS jit");
        let rows = conn.load::<Setting>(&b).unwrap();
        assert_eq!(rows[0].jit, "off");
    }
}
