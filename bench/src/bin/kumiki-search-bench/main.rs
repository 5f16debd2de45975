//! `kumiki-search-bench`: the full-text search benchmark (docs/benchmarks.md, "Full-text search").
//! In-process, no server: it links kumiki-search and kumiki-engine and measures their code.
//!
//! ```text
//! kumiki-search-bench full   --dir D [--records 1000000] [--runs 500] [--queries F] [--judge-records N]
//! kumiki-search-bench index  --dir D [--records 1000000]            # `full` without queries
//! kumiki-search-bench query  --dir D [--runs 500] [--cases TEXT]   # again on the index of `full`
//! kumiki-search-bench judge  --dir D [--queries F] [--judge-records N]
//! kumiki-search-bench sample --dir D [--records 20000] [--runs 500] [--database-url postgres://...]
//! ```
//! Every command takes `--dictionary auto|off|DIR` (default `auto`, as the server: the IPADIC word
//! field when Debian's `mecab-ipadic` seed is installed); `query` and `judge` need the choice the
//! index was built with.
//! `full` creates `D/kumiki.db` (SQLite, the 50 archive apps), indexes the corpus into
//! `D/search-index` without the database (see `indexing`), then runs the latency cases as
//! Administrator through the search layer and the judged query set. `sample` is the DB-backed run
//! (see `sample`); it uses `D/kumiki.db` unless `--database-url` names another (empty) database.

mod corpus;
mod db;
mod indexing;
mod judge;
mod latency;
mod report;
mod sample;
mod words;

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use kumiki_search::index::{index_dir, SearchIndex};
use kumiki_search::morph::{resolve, DictionarySetting, Morph};

use crate::report::{dir_size, mib};

struct Args {
    command: String,
    dir: PathBuf,
    records: u64,
    runs: usize,
    queries: PathBuf,
    judge_records: Option<u64>,
    database_url: Option<String>,
    /// `auto` (the server's default: the IPADIC word field when Debian's seed is installed),
    /// `off` (bigrams only) or a compiled dictionary directory.
    dictionary: String,
    /// Only the latency cases whose name contains this (`query`).
    cases: String,
}

fn parse_args() -> Result<Args> {
    let mut it = std::env::args().skip(1);
    let command = it
        .next()
        .context("usage: kumiki-search-bench full|query|judge|sample --dir D")?;
    let mut a = Args {
        records: if command == "sample" {
            20_000
        } else {
            1_000_000
        },
        command,
        dir: PathBuf::new(),
        runs: 500,
        queries: PathBuf::from("bench/data/search-queries.txt"),
        judge_records: None,
        database_url: None,
        dictionary: "auto".into(),
        cases: String::new(),
    };
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--dir" => a.dir = PathBuf::from(value()?),
            "--records" => a.records = value()?.parse()?,
            "--runs" => a.runs = value()?.parse()?,
            "--queries" => a.queries = PathBuf::from(value()?),
            "--judge-records" => a.judge_records = Some(value()?.parse()?),
            "--database-url" => a.database_url = Some(value()?),
            "--dictionary" => a.dictionary = value()?,
            "--cases" => a.cases = value()?,
            other => bail!("unknown argument {other}"),
        }
    }
    if a.dir.as_os_str().is_empty() {
        bail!("--dir is required");
    }
    Ok(a)
}

/// The word-field dictionary as the server resolves it for data directory `dir`.
pub fn morph(dir: &Path, setting: &str) -> Result<Option<Morph>> {
    let setting = DictionarySetting::parse(setting);
    resolve(&setting, dir, true).map_err(|e| anyhow!("dictionary: {e}"))
}

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("kumiki.db").display())
}

fn main() -> Result<()> {
    let args = parse_args()?;
    match args.command.as_str() {
        "full" | "index" => full(&args),
        "query" => {
            let (index, apps) = reopen(&args)?;
            query(&args, &index, &apps)
        }
        "judge" => {
            let (index, apps) = reopen(&args)?;
            judge(&args, &index, &apps, built_records(&args.dir)?)
        }
        "sample" => {
            std::fs::create_dir_all(&args.dir)?;
            let url = args
                .database_url
                .clone()
                .unwrap_or_else(|| sqlite_url(&args.dir));
            println!("## DB-backed sample: {} records, {url}\n", args.records);
            println!("| figure | result |\n|---|---|");
            let morph = morph(&args.dir, &args.dictionary)?;
            println!(
                "| word field (IPADIC) | {} |",
                if morph.is_some() { "on" } else { "off" }
            );
            sample::run(&url, &args.dir, args.records, args.runs, morph)
        }
        other => bail!("unknown command {other} (full, query, judge, sample)"),
    }
}

fn full(args: &Args) -> Result<()> {
    let app_count = corpus::APPS as u64;
    if args.records / app_count * app_count != args.records {
        bail!("--records must be a multiple of {}", corpus::APPS);
    }
    if args.dir.exists() {
        std::fs::remove_dir_all(&args.dir)?;
    }
    std::fs::create_dir_all(&args.dir)?;
    let database = db::open(&sqlite_url(&args.dir))?;
    let mut conn = database.conn().map_err(|e| anyhow!("{e}"))?;
    let app_ids = db::create_apps(&mut conn, corpus::APPS, false)?;
    let defs = db::definitions(&mut conn, &app_ids)?;
    let apps: Vec<_> = app_ids.iter().copied().zip(defs).collect();
    drop(conn);
    eprintln!(
        "indexing {} records into {}",
        args.records,
        args.dir.display()
    );
    let morph = morph(&args.dir, &args.dictionary)?;
    let with_words = morph.is_some();
    let stats = indexing::build(&index_dir(&args.dir), morph, &apps, args.records)?;
    std::fs::write(args.dir.join("corpus-records"), args.records.to_string())?;
    let per_sec = |secs: f64| stats.records as f64 / secs;
    println!(
        "## Indexing {} records ({} parts), no database, word field (IPADIC) {}\n",
        stats.records,
        stats.parts,
        if with_words { "on" } else { "off" }
    );
    println!("| figure | result |\n|---|---|");
    println!(
        "| mean characters per record (all fields) | {:.0} |",
        stats.chars as f64 / stats.records.max(1) as f64
    );
    println!(
        "| all documents added | {:.1} s = {:.0} records/s |",
        stats.add_secs,
        per_sec(stats.add_secs)
    );
    println!(
        "| + commit (all searchable) | {:.1} s = **{:.0} records/s** |",
        stats.commit_secs,
        per_sec(stats.commit_secs)
    );
    println!(
        "| + background merges finished | {:.1} s = {:.0} records/s |",
        stats.merged_secs,
        per_sec(stats.merged_secs)
    );
    println!(
        "| CPU time, all threads | {:.0} s = {:.0} records per CPU-second |",
        stats.cpu_secs,
        stats.records as f64 / stats.cpu_secs.max(0.001)
    );
    println!(
        "| of which generating the corpus (feeding thread) | {:.1} s |",
        stats.generate_secs
    );
    println!(
        "| peak RSS (VmHWM) | {:.0} MiB |",
        stats.peak_rss_kib as f64 / 1024.0
    );
    println!(
        "| index on disk | {:.0} MiB in {} segments ({:.0} bytes/record) |",
        mib(stats.size_bytes),
        stats.segments,
        stats.size_bytes as f64 / stats.records as f64
    );
    if args.command == "index" {
        return Ok(());
    }
    let (index, apps) = reopen(args)?;
    query(args, &index, &apps)?;
    judge(args, &index, &apps, stats.records)
}

/// The index and the app ids (corpus app i = `apps[i]`) of a `full` run's directory.
fn reopen(args: &Args) -> Result<(SearchIndex, Vec<i64>)> {
    let dir = &args.dir;
    let morph = morph(dir, &args.dictionary)?;
    // Opening with the other dictionary choice would wipe the index (it is rebuilt on a version
    // change), so refuse instead.
    let wanted = kumiki_search::schema::version_tag(morph.is_some());
    let found = std::fs::read_to_string(index_dir(dir).join("kumiki-schema-version"))
        .with_context(|| format!("{} holds no index; run `full` first", dir.display()))?;
    if found.trim() != wanted {
        bail!(
            "the index in {} was built with another --dictionary (version {}, this choice {wanted})",
            dir.display(),
            found.trim()
        );
    }
    let index = SearchIndex::open_with(&index_dir(dir), morph).map_err(|e| anyhow!("{e}"))?;
    if index.num_docs() == 0 {
        bail!("{} holds no index; run `full` first", dir.display());
    }
    let database = db::open(&sqlite_url(dir))?;
    let mut conn = database.conn().map_err(|e| anyhow!("{e}"))?;
    let apps = kumiki_search::source::app_ids(&mut conn).map_err(|e| anyhow!("{e}"))?;
    Ok((index, apps))
}

fn built_records(dir: &Path) -> Result<u64> {
    let s = std::fs::read_to_string(dir.join("corpus-records")).context("corpus-records")?;
    Ok(s.trim().parse()?)
}

fn query(args: &Args, index: &SearchIndex, apps: &[i64]) -> Result<()> {
    let database = db::open(&sqlite_url(&args.dir))?;
    let mut conn = database.conn().map_err(|e| anyhow!("{e}"))?;
    let admin = db::user(db::ADMIN, true);
    println!(
        "\n## Query latency, Administrator, search layer, {} parts, index {:.0} MiB\n",
        index.num_docs(),
        mib(dir_size(&index.dir))
    );
    latency::print_header();
    for case in latency::cases()
        .into_iter()
        .filter(|c| c.name.contains(args.cases.as_str()))
    {
        let o = latency::run(index, &mut conn, &admin, apps, &case, args.runs)?;
        latency::print_row(case.name, &o);
    }
    Ok(())
}

fn judge(args: &Args, index: &SearchIndex, apps: &[i64], built: u64) -> Result<()> {
    let records = args.judge_records.unwrap_or(built).min(built);
    let apps_count = corpus::APPS as u64;
    if records / apps_count * apps_count != records {
        bail!("--judge-records must be a multiple of {}", corpus::APPS);
    }
    let queries = judge::load_queries(&args.queries)?;
    eprintln!("judging {} queries over {records} records", queries.len());
    let start = std::time::Instant::now();
    let results = judge::judge(index, apps, records, &queries)?;
    judge::print(&results);
    eprintln!("judged in {:.1} s", start.elapsed().as_secs_f64());
    Ok(())
}
