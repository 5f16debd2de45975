//! Indexing throughput without the database: corpus records become `source::RecordRow`s and go
//! through the indexer's own document building (`parts::record_parts`, `parts::to_document`) into
//! the index's own writer (`SearchIndex::writer`, `index::commit_at`). Only reading the rows from
//! SQL is skipped.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use anyhow::{anyhow, Result};
use kumiki_engine::apps::AppDefinition;
use kumiki_search::index::{commit_at, SearchIndex};
use kumiki_search::morph::Morph;
use kumiki_search::parts::{record_parts, to_document};
use kumiki_search::source::RecordRow;

use crate::corpus;
use crate::report::{cpu_secs, mib, rss_kib};

pub struct BuildStats {
    pub records: u64,
    pub parts: u64,
    /// Characters of all field values (title + body + department).
    pub chars: u64,
    /// Adding every document (the writer's threads may still be indexing the tail).
    pub add_secs: f64,
    /// Until the commit returned: every document searchable.
    pub commit_secs: f64,
    /// Until background merges finished (the index at rest).
    pub merged_secs: f64,
    pub size_bytes: u64,
    pub segments: usize,
    /// CPU seconds the process used until the merges finished (all threads).
    pub cpu_secs: f64,
    /// Of the wall time to add every document, the seconds the feeding thread spent generating
    /// the corpus records (the harness, not the code measured).
    pub generate_secs: f64,
    /// Peak RSS of the process right after indexing (`VmHWM`), KiB.
    pub peak_rss_kib: u64,
}

/// The corpus row of record `i`, as `source::records_after` would read it.
pub fn row(r: &corpus::Record) -> RecordRow {
    RecordRow {
        id: r.id,
        creator: r.creator.clone(),
        created_at: r.updated - 86_400,
        updated_at: r.updated,
        data: r.data_json(),
    }
}

/// Builds `<dir>` from corpus records `0..records` (with the word field when `morph` is given);
/// `apps[k]` is the id and definition of corpus app k.
pub fn build(
    dir: &Path,
    morph: Option<Morph>,
    apps: &[(i64, AppDefinition)],
    records: u64,
) -> Result<BuildStats> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    let index = SearchIndex::open_with(dir, morph).map_err(|e| anyhow!("{e}"))?;
    let mut writer = index.writer().map_err(|e| anyhow!("{e}"))?;
    let no_texts = HashMap::new();
    // Reset the peak RSS (Linux: `5` > clear_refs) so that it covers indexing only, not the
    // dictionary compiled just before or the setup.
    if let Err(e) = std::fs::write("/proc/self/clear_refs", "5") {
        eprintln!("  cannot reset the peak RSS ({e}); it includes the setup");
    }
    let cpu_before = cpu_secs();
    let start = Instant::now();
    let mut generate_secs = 0.0;
    let mut parts = 0u64;
    let mut chars = 0u64;
    let mut last = Instant::now();
    for i in 0..records {
        let generating = Instant::now();
        let r = corpus::record(i);
        let (app, def) = &apps[r.app % apps.len()];
        let row = row(&r);
        chars += r
            .texts()
            .iter()
            .map(|t| t.chars().count() as u64)
            .sum::<u64>();
        generate_secs += generating.elapsed().as_secs_f64();
        for part in record_parts(def, *app, &row, &[], &no_texts) {
            writer.add_document(to_document(&index.fields, *app, &row, &part))?;
            parts += 1;
        }
        if (i + 1) % 100_000 == 0 {
            let secs = last.elapsed().as_secs_f64();
            last = Instant::now();
            eprintln!(
                "  indexed {:>8} records  {:>7.0} records/s (last 100k)  RSS {:.0} MiB",
                i + 1,
                100_000.0 / secs,
                rss_kib("VmRSS") as f64 / 1024.0
            );
        }
    }
    let add_secs = start.elapsed().as_secs_f64();
    commit_at(&index, &mut writer, 0).map_err(|e| anyhow!("{e}"))?;
    let commit_secs = start.elapsed().as_secs_f64();
    writer.wait_merging_threads()?;
    let merged_secs = start.elapsed().as_secs_f64();
    let cpu_secs = cpu_secs() - cpu_before;
    let peak_rss_kib = rss_kib("VmHWM");
    index.reader.reload()?;
    let segments = index.reader.searcher().segment_readers().len();
    let size_bytes = index.size_bytes();
    eprintln!(
        "  {records} records, {parts} parts, {segments} segments, {:.0} MiB on disk",
        mib(size_bytes)
    );
    Ok(BuildStats {
        records,
        parts,
        chars,
        add_secs,
        commit_secs,
        merged_secs,
        size_bytes,
        segments,
        cpu_secs,
        generate_secs,
        peak_rss_kib,
    })
}
