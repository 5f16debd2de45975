//! `kumiki-charts-bench`: the chart benchmark of issue 16 (docs/benchmarks.md, "Charts").
//! In-process, no HTTP server: it times `reports::open_report`, what the chart page and
//! `/api/app/report/data.json` run (open the app with the caller's rights, check the report, one
//! `GROUP BY` over the index tables).
//!
//! ```text
//! kumiki-charts-bench --dir D [--database-url postgres://...] [--records 1000000] [--runs 30]
//! ```
//! Loads the app of `kumiki_bench::records_fixture` with three charts of the kinds the example app
//! 相談案件管理 has (count per drop-down option, sum per month of a date, a cross table of option ×
//! month with an average) and a fourth with a filter, then opens each chart `--runs` times and
//! prints p50, p99 and max. Goal: p99 ≤ 500 ms on SQLite, ≤ 300 ms on PostgreSQL.

use std::time::Instant;

use anyhow::{Context, Result};
use kumiki_bench::inproc::{self, engine, CommonArgs};
use kumiki_bench::records_fixture::{definition, load, seed_record, ADMIN};
use kumiki_engine::acl::AppRight;
use kumiki_engine::acl::Principal;
use kumiki_engine::acting::{ActingContext, Channel};
use kumiki_engine::apps::AppId;
use kumiki_engine::records::{add_records, Actor};
use kumiki_engine::reports::open_report;
use serde_json::{json, Value};

struct Args {
    common: CommonArgs,
    records: usize,
    runs: usize,
}

fn parse_args() -> Result<Args> {
    let (mut records, mut runs) = (1_000_000, 30);
    let common = inproc::parse_args("kumiki-charts-bench", |flag, value| {
        match flag {
            "--records" => records = value.parse()?,
            "--runs" => runs = value.parse()?,
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok(Args {
        common,
        records,
        runs,
    })
}

/// The charts, in kintone's `app/reports.json` format.
fn reports() -> Value {
    json!({
        "区分別の件数": {"chartType": "PIE",
            "groups": [{"code": "区分"}],
            "aggregations": [{"type": "COUNT"}],
            "sorts": [{"by": "TOTAL", "order": "DESC"}]},
        "月別の金額": {"chartType": "COLUMN",
            "groups": [{"code": "受付日", "per": "MONTH"}],
            "aggregations": [{"type": "SUM", "code": "金額"}],
            "sorts": [{"by": "GROUP1", "order": "ASC"}]},
        "区分×月": {"chartType": "PIVOT_TABLE",
            "groups": [{"code": "区分"}, {"code": "受付日", "per": "MONTH"}],
            "aggregations": [{"type": "COUNT"}, {"type": "AVERAGE", "code": "金額"}],
            "sorts": [{"by": "GROUP1", "order": "ASC"}]},
        "申請の日別件数": {"chartType": "LINE",
            "groups": [{"code": "受付日", "per": "DAY"}],
            "aggregations": [{"type": "COUNT"}],
            "filterCond": "区分 in (\"申請\")",
            "sorts": [{"by": "GROUP1", "order": "ASC"}]}
    })
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn main() -> Result<()> {
    let args = parse_args()?;
    let db = args.common.open_database("charts.db")?;
    let mut conn = db.conn()?;
    let mut def = definition("グラフ計測")?;
    // As a package import does: names are the keys, ids the bench's own; each chart is checked
    // against the deployed app when it is opened (`find_report`), so a bad one fails the run.
    let mut ids = Vec::new();
    for (i, (name, report)) in reports().as_object().context("reports")?.iter().enumerate() {
        let mut r = report.clone();
        let id = (i + 1).to_string();
        if let Some(obj) = r.as_object_mut() {
            obj.insert("name".into(), json!(name));
            obj.insert("id".into(), json!(id));
            obj.insert("index".into(), json!(i.to_string()));
        }
        def.reports.insert(name.clone(), r);
        ids.push((name.clone(), id));
    }
    let t = Instant::now();
    let app = load(&mut conn, def, args.records)?;
    println!(
        "loaded {} records in {:.1} s ({})",
        args.records,
        t.elapsed().as_secs_f64(),
        if args.common.database_url.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    let admin = ActingContext::new(
        engine(Principal::for_user(&mut conn, ADMIN, ADMIN, true))?,
        Channel::Page,
        chrono_tz::Asia::Tokyo,
    );
    time_adds(&mut conn, app, 0, 200)?;
    // First open: computed from the index tables and stored as the chart's rollup.
    for (name, id) in &ids {
        let t = Instant::now();
        let opened = engine(open_report(&mut conn, &admin, AppId(app), id))?;
        let (_, _, data) = opened.context("report missing")?;
        println!(
            "{name}: first open (builds the rollup) {:.1} ms, {} groups",
            t.elapsed().as_secs_f64() * 1000.0,
            data.rows.len()
        );
    }
    time_opens(
        &mut conn,
        &admin,
        app,
        &ids,
        args.runs,
        "after the first open",
    )?;
    time_adds(&mut conn, app, ids.len(), 200)?;
    time_opens(&mut conn, &admin, app, &ids, args.runs, "after the adds")?;
    Ok(())
}

/// Adds `writes` records one at a time, as users do, and prints p50 and p99; `rollups` charts
/// are kept current by each write.
fn time_adds(
    conn: &mut kumiki_engine::db::DbConn,
    app: i64,
    rollups: usize,
    writes: usize,
) -> Result<()> {
    let system = ActingContext::system(Channel::Cli, chrono_tz::Asia::Tokyo);
    let live = engine(system.open_app(conn, AppId(app), AppRight::Add))?;
    let actor = Actor::new(ADMIN, ADMIN, chrono_tz::Asia::Tokyo);
    let mut times = Vec::with_capacity(writes);
    for i in 0..writes {
        let input = vec![seed_record(i)];
        let t = Instant::now();
        engine(conn.write_transaction(|c| add_records(c, &live, &input, &actor, true)))?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{writes} single-record adds with {rollups} charts kept current: p50 {:.1} ms, p99 {:.1} ms",
        percentile(&times, 50.0),
        percentile(&times, 99.0)
    );
    Ok(())
}

/// Opens each chart `runs` times and prints p50, p99 and max.
fn time_opens(
    conn: &mut kumiki_engine::db::DbConn,
    admin: &ActingContext,
    app: i64,
    ids: &[(String, String)],
    runs: usize,
    when: &str,
) -> Result<()> {
    for (name, id) in ids {
        let mut times = Vec::with_capacity(runs);
        let mut groups = 0;
        let mut total = String::new();
        for _ in 0..runs {
            let t = Instant::now();
            let opened = engine(open_report(conn, admin, AppId(app), id))?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            let (_, _, data) = opened.context("report missing")?;
            groups = data.rows.len();
            total = format!("{:?}", data.total.values);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{name} ({when}): {groups} groups, totals {total}; {runs} runs p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            percentile(&times, 50.0),
            percentile(&times, 99.0),
            times.last().copied().unwrap_or(0.0)
        );
    }
    Ok(())
}
