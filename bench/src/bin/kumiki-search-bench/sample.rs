//! The DB-backed sample: records added through the engine (each writes its change-log row), the
//! real indexer catching up through the change log and rebuilding from the database, and query
//! latency for an administrator and for a user whose app has record rules (the path that checks
//! every candidate record in the database after the tantivy search).

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{anyhow, Result};
use kumiki_search::index::SearchIndex;
use kumiki_search::indexer::{Indexer, Progress};
use kumiki_search::morph::Morph;

use crate::db::{self, ADMIN, STAFF};
use crate::latency::{self, Case};
use crate::report::mib;

pub const SAMPLE_APPS: usize = 10;

pub fn run(url: &str, dir: &Path, records: u64, runs: usize, morph: Option<Morph>) -> Result<()> {
    let database = Arc::new(db::open(url)?);
    let mut conn = database.conn().map_err(|e| anyhow!("{e}"))?;
    let apps = db::create_apps(&mut conn, SAMPLE_APPS, true)?;
    let index_dir = dir.join("search-index");
    if index_dir.exists() {
        std::fs::remove_dir_all(&index_dir)?;
    }
    let index = SearchIndex::open_with(&index_dir, morph).map_err(|e| anyhow!("{e}"))?;
    let progress = Arc::new(Progress::default());
    let mut indexer = Indexer::new(
        index.clone(),
        Arc::clone(&database),
        dir.join("files"),
        // The sample corpus has no attachments; nothing is extracted.
        kumiki_search::extract::Extractor::InProcess,
        progress,
    )
    .map_err(|e| anyhow!("{e}"))?;
    // The deploys' whole-app rows, applied while the apps are still empty.
    while indexer.step().map_err(|e| anyhow!("{e}"))? {}

    let start = Instant::now();
    db::add_corpus(&mut conn, &apps, records, 100)?;
    let add_secs = start.elapsed().as_secs_f64();
    println!(
        "| records added through `records::add_records` (100 per transaction, {SAMPLE_APPS} apps) | {records} in {add_secs:.1} s = {:.0} records/s |",
        records as f64 / add_secs
    );

    let start = Instant::now();
    let mut steps = 0;
    while indexer.step().map_err(|e| anyhow!("{e}"))? {
        steps += 1;
    }
    let log_secs = start.elapsed().as_secs_f64();
    println!(
        "| indexer catch-up through the change log ({steps} steps of ≤ 2,000 rows, one commit each) | {records} in {log_secs:.2} s = {:.0} records/s |",
        records as f64 / log_secs
    );

    let start = Instant::now();
    indexer.rebuild().map_err(|e| anyhow!("{e}"))?;
    let rebuild_secs = start.elapsed().as_secs_f64();
    println!(
        "| `Indexer::rebuild` from the database | {records} in {rebuild_secs:.2} s = {:.0} records/s; index {:.1} MiB, {} parts |",
        records as f64 / rebuild_secs,
        mib(index.size_bytes()),
        index.num_docs()
    );

    // What autovacuum does soon after a bulk load anyway; without it PostgreSQL plans the record
    // rule checks of a freshly loaded table badly (docs/benchmarks.md, "Statistics matter").
    conn.batch_execute("ANALYZE").map_err(|e| anyhow!("{e}"))?;

    let admin = db::user(ADMIN, true);
    let staff = db::user(STAFF, false);
    let open_apps = &apps[1..];
    let restricted = &apps[..1];
    let two = Case {
        name: "two words + app filter",
        queries: latency::TWO_WORDS,
        app_filter: true,
    };
    let one_char = Case {
        name: "one char 県 + app filter",
        queries: latency::ONE_CHAR,
        app_filter: true,
    };
    println!();
    latency::print_header();
    for (label, who, over, case) in [
        (
            "Administrator, app without record rules, two words",
            &admin,
            open_apps,
            &two,
        ),
        (
            "Administrator, app without record rules, 県",
            &admin,
            open_apps,
            &one_char,
        ),
        (
            "tanaka, app WITH record rules (post-filter), two words",
            &staff,
            restricted,
            &two,
        ),
        (
            "tanaka, app WITH record rules (post-filter), 県",
            &staff,
            restricted,
            &one_char,
        ),
        (
            "Administrator, app WITH record rules, two words",
            &admin,
            restricted,
            &two,
        ),
    ] {
        let o = latency::run(&index, &mut conn, who, over, case, runs)?;
        latency::print_row(label, &o);
    }
    Ok(())
}
