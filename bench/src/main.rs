//! `kumiki-bench`: loads records into a running `kumiki serve` through the kintone REST API and measures
//! bulk add throughput, list queries, single-record reads and server memory. It starts nothing itself;
//! `bench/run.sh` builds, starts the server on a fresh database, runs this and cleans up.
//!
//! Usage: `kumiki-bench --url http://127.0.0.1:PORT --password PW [--records N] [--threads 2]
//! [--runs 200] [--pid SERVER_PID] [--app ID (reuse a loaded app, skip the load)] [--out FILE]`.
//!
//! Data is deterministic (a seeded generator), so two runs load the same records and the query
//! selectivities below hold at any size: `Number_a` is uniform in 0..10,000, `Number_b` in
//! 0..1,000,000, `Number_c` in 0..100, `Dropdown` uniform over A..E.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use kumiki_bench::peer::{
    create_app, memo_has_like_word, record, rss, rss_parts, Api, Rng, LIKE_WORD,
};
use serde_json::{json, Map, Value};

/// Records per `records.json` POST, and POSTs per `bulkRequest.json` (the official client's
/// `addAllRecords` shape).
const RECORDS_PER_POST: usize = 100;
const POSTS_PER_BULK: usize = 20;

struct Args {
    url: String,
    password: String,
    records: usize,
    threads: usize,
    runs: usize,
    pid: Option<u32>,
    app: Option<i64>,
    out: Option<String>,
}

fn parse_args() -> Result<Args> {
    let mut a = Args {
        url: "http://127.0.0.1:8080".into(),
        password: String::new(),
        records: 1_000_000,
        threads: 2,
        runs: 200,
        pid: None,
        app: None,
        out: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => a.url = value()?,
            "--password" => a.password = value()?,
            "--records" => a.records = value()?.parse()?,
            "--threads" => a.threads = value()?.parse()?,
            "--runs" => a.runs = value()?.parse()?,
            "--pid" => a.pid = Some(value()?.parse()?),
            "--app" => a.app = Some(value()?.parse()?),
            "--out" => a.out = Some(value()?),
            other => bail!("unknown argument {other}"),
        }
    }
    if a.password.is_empty() {
        a.password = std::env::var("KUMIKI_ADMIN_PASSWORD").unwrap_or_default();
    }
    Ok(a)
}

/// Adds `n` records with `threads` clients; returns records/s.
fn load(api: &Api, app: i64, n: usize, threads: usize, pid: Option<u32>) -> Result<f64> {
    let per_bulk = RECORDS_PER_POST * POSTS_PER_BULK;
    let chunks = n.div_ceil(per_bulk);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let failure: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    let start = Instant::now();
    let last_report = Mutex::new((Instant::now(), 0usize));
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| loop {
                let c = next.fetch_add(1, Ordering::Relaxed);
                if c >= chunks {
                    break;
                }
                let first = c * per_bulk;
                let last = (first + per_bulk).min(n);
                let requests: Vec<Value> = (first..last)
                    .step_by(RECORDS_PER_POST)
                    .map(|lo| {
                        let hi = (lo + RECORDS_PER_POST).min(last);
                        json!({
                            "method": "POST",
                            "api": "/k/v1/records.json",
                            "payload": {"app": app, "records": (lo..hi).map(record).collect::<Vec<_>>()}
                        })
                    })
                    .collect();
                if let Err(e) = api.post("/k/v1/bulkRequest.json", &json!({ "requests": requests })) {
                    if let Ok(mut f) = failure.lock() {
                        f.get_or_insert(e);
                    }
                    next.store(chunks, Ordering::Relaxed);
                    break;
                }
                let total = done.fetch_add(last - first, Ordering::Relaxed) + (last - first);
                if total % 100_000 < per_bulk {
                    if let Ok(mut l) = last_report.lock() {
                        let rate = (total - l.1) as f64 / l.0.elapsed().as_secs_f64();
                        let mem = rss(pid).map(|(r, _)| format!(", RSS {} MB", r / 1024)).unwrap_or_default();
                        println!(
                            "  {total:>8} records, {:>6.0} s, last slice {rate:.0} rec/s{mem}",
                            start.elapsed().as_secs_f64()
                        );
                        *l = (Instant::now(), total);
                    }
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().ok().flatten() {
        return Err(e);
    }
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

struct Stats {
    p50: f64,
    p99: f64,
    mean: f64,
    rows: usize,
}

/// Runs `f` `runs` times (after 3 warm-up calls); milliseconds per call. `f` returns rows seen.
fn measure(runs: usize, mut f: impl FnMut(usize) -> Result<usize>) -> Result<Stats> {
    for i in 0..3 {
        f(i)?;
    }
    let mut times = Vec::with_capacity(runs);
    let mut rows = 0;
    for i in 0..runs {
        let t = Instant::now();
        rows = f(i)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1];
    Ok(Stats {
        p50: at(0.50),
        p99: at(0.99),
        mean: times.iter().sum::<f64>() / times.len() as f64,
        rows,
    })
}

fn list(api: &Api, app: i64, query: &str, total: bool) -> Result<(usize, Option<i64>)> {
    let mut body = json!({"app": app, "query": query, "fields": ["$id", "Date_a", "Number_a"]});
    if total {
        body["totalCount"] = json!(true);
    }
    let r = api.get("/k/v1/records.json", &body)?;
    let n = r["records"].as_array().map(Vec::len).unwrap_or(0);
    let count = r["totalCount"].as_str().and_then(|s| s.parse().ok());
    Ok((n, count))
}

/// Waits (up to 30 minutes) until the full-text index has applied the whole change log.
fn wait_for_search_index(api: &Api) -> Result<()> {
    for _ in 0..3_600 {
        let s = api.get("/api/search/status.json", &json!({}))?;
        if s["lagRows"].as_i64() == Some(0) && s["rebuilding"] != json!(true) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    bail!("the search index did not catch up")
}

/// Prints the server's memory (`when`: "after load", ...) and records it as `rss_<key>_mb`,
/// `hwm_<key>_mb`, `rss_anon_<key>_mb`, `rss_file_<key>_mb`.
fn report_memory(pid: Option<u32>, when: &str, key: &str, results: &mut Map<String, Value>) {
    let Some((rss, hwm)) = rss(pid) else { return };
    println!(
        "server memory {when}: VmRSS {} MB, VmHWM {} MB",
        rss / 1024,
        hwm / 1024
    );
    results.insert(format!("rss_{key}_mb"), json!(rss / 1024));
    results.insert(format!("hwm_{key}_mb"), json!(hwm / 1024));
    if let Some((anon, file)) = rss_parts(pid) {
        println!(
            "  of which RssAnon {} MB (allocated), RssFile {} MB (mapped files)",
            anon / 1024,
            file / 1024
        );
        results.insert(format!("rss_anon_{key}_mb"), json!(anon / 1024));
        results.insert(format!("rss_file_{key}_mb"), json!(file / 1024));
    }
}

fn main() -> Result<()> {
    let args = parse_args()?;
    let api = Api::new(&args.url, &args.password)?;
    let mut results = Map::new();
    let app = match args.app {
        Some(app) => app,
        None => {
            let app = create_app(&api)?;
            println!(
                "app {app}: loading {} records with {} client threads",
                args.records, args.threads
            );
            let rate = load(&api, app, args.records, args.threads, args.pid)?;
            println!("bulk add: {rate:.0} records/s");
            results.insert("bulk_add_records_per_s".into(), json!(rate.round()));
            app
        }
    };
    results.insert("app".into(), json!(app));
    report_memory(args.pid, "after load", "after_load", &mut results);
    let (_, count) = list(&api, app, "limit 1", true)?;
    let n = usize::try_from(count.unwrap_or(0)).unwrap_or(0);
    println!("records in app: {n}");
    results.insert("records".into(), json!(n));

    let runs = args.runs;
    let mut rng = Rng(42);
    type QueryFn = Box<dyn Fn(usize) -> String>;
    let queries: Vec<(&str, QueryFn)> = vec![
        (
            "range+in, order by date (~0.4%)",
            Box::new(|i| {
                let lo = (i * 97) % 9_900;
                format!("Number_a >= {lo} and Number_a < {} and Dropdown in (\"B\",\"C\") order by Date_a desc limit 100", lo + 100)
            }),
        ),
        (
            "selective (~0.05%), order by date",
            Box::new(|i| {
                let lo = (i * 4_999) % 998_000;
                format!("Number_b >= {lo} and Number_b < {} and Dropdown in (\"A\",\"B\") order by Date_a desc limit 100", lo + 1_250)
            }),
        ),
        (
            "non-selective (~50%), order by date",
            Box::new(|_| "Number_c < 50 order by Date_a desc limit 100".to_owned()),
        ),
        (
            "non-selective (~50%), order by date asc",
            Box::new(|_| "Radio in (\"Y\") order by Datetime_a asc limit 100".to_owned()),
        ),
        (
            "no filter (default order $id desc)",
            Box::new(|_| "limit 100".to_owned()),
        ),
    ];
    let mut table = Vec::new();
    for (name, q) in &queries {
        let s = measure(runs, |i| Ok(list(&api, app, &q(i), false)?.0))?;
        println!(
            "{name:<45} p50 {:>8.2} ms  p99 {:>8.2} ms  mean {:>8.2} ms  rows {}",
            s.p50, s.p99, s.mean, s.rows
        );
        table.push(json!({"query": name, "example": q(0), "total_count": false, "p50_ms": s.p50, "p99_ms": s.p99, "mean_ms": s.mean}));
    }
    for depth in [0.0, 0.25, 0.5, 0.9] {
        let from = (n as f64 * depth) as usize;
        let name = format!("keyset $id > {from} limit 500");
        let s = measure(runs, |i| {
            Ok(list(
                &api,
                app,
                &format!("$id > {} order by $id asc limit 500", from + i % 7),
                false,
            )?
            .0)
        })?;
        println!(
            "{name:<45} p50 {:>8.2} ms  p99 {:>8.2} ms  mean {:>8.2} ms  rows {}",
            s.p50, s.p99, s.mean, s.rows
        );
        table.push(json!({"query": name, "total_count": false, "p50_ms": s.p50, "p99_ms": s.p99, "mean_ms": s.mean}));
    }
    // totalCount: fewer runs, it scans what matches.
    let count_runs = (runs / 10).max(10);
    for (name, q) in queries.iter().take(3) {
        let mut total = None;
        let s = measure(count_runs, |i| {
            let (rows, c) = list(&api, app, &q(i), true)?;
            total = c;
            Ok(rows)
        })?;
        let name = format!("{name} + totalCount");
        println!(
            "{name:<45} p50 {:>8.2} ms  p99 {:>8.2} ms  mean {:>8.2} ms  (count {})",
            s.p50,
            s.p99,
            s.mean,
            total.unwrap_or(-1)
        );
        table.push(json!({"query": name, "total_count": true, "runs": count_runs, "p50_ms": s.p50, "p99_ms": s.p99, "mean_ms": s.mean, "count": total}));
    }
    // `like` on long text (issue 18): a word in ~3% of the Memo values, answered through the
    // full-text index once it has caught up with the load (else the plain probe would be timed).
    wait_for_search_index(&api)?;
    let like_expected = (0..n).filter(|i| memo_has_like_word(*i)).count();
    let like_queries = [
        (
            "like long text (~3%), default order",
            format!("Memo like \"{LIKE_WORD}\" limit 100"),
        ),
        (
            "like long text (~3%), order by date",
            format!("Memo like \"{LIKE_WORD}\" order by Date_a desc limit 100"),
        ),
    ];
    for (name, q) in &like_queries {
        let s = measure(runs, |_| Ok(list(&api, app, q, false)?.0))?;
        println!(
            "{name:<45} p50 {:>8.2} ms  p99 {:>8.2} ms  mean {:>8.2} ms  rows {}",
            s.p50, s.p99, s.mean, s.rows
        );
        table.push(json!({"query": name, "example": q, "total_count": false, "p50_ms": s.p50, "p99_ms": s.p99, "mean_ms": s.mean}));
    }
    for (name, q) in &like_queries {
        let mut total = None;
        let s = measure(count_runs, |_| {
            let (rows, c) = list(&api, app, q, true)?;
            total = c;
            Ok(rows)
        })?;
        let name = format!("{name} + totalCount");
        println!(
            "{name:<45} p50 {:>8.2} ms  p99 {:>8.2} ms  mean {:>8.2} ms  (count {}, generator {like_expected})",
            s.p50,
            s.p99,
            s.mean,
            total.unwrap_or(-1)
        );
        if total != i64::try_from(like_expected).ok() {
            bail!("{name}: count {total:?}, the generator wrote the word into {like_expected} records");
        }
        table.push(json!({"query": name, "total_count": true, "runs": count_runs, "p50_ms": s.p50, "p99_ms": s.p99, "mean_ms": s.mean, "count": total}));
    }
    let get_runs = runs.max(1000);
    let s = measure(get_runs, |_| {
        let id = 1 + rng.below(n.max(1) as u64);
        let r = api.get("/k/v1/record.json", &json!({"app": app, "id": id}))?;
        Ok(usize::from(r["record"].is_object()))
    })?;
    println!(
        "{:<45} p50 {:>8.2} ms  p99 {:>8.2} ms  mean {:>8.2} ms",
        "GET record.json", s.p50, s.p99, s.mean
    );
    table.push(json!({"query": "GET record.json", "runs": get_runs, "p50_ms": s.p50, "p99_ms": s.p99, "mean_ms": s.mean}));
    results.insert("latency".into(), Value::Array(table));
    report_memory(args.pid, "after queries", "end", &mut results);
    if let Some(path) = &args.out {
        std::fs::write(path, serde_json::to_string_pretty(&Value::Object(results))?)?;
    }
    Ok(())
}
