//! `kumiki-export-bench`: the export benchmark of issue 16 (docs/benchmarks.md, "Export").
//! In-process, no HTTP server: it links kumiki-engine and times `export::export_records`, the use
//! case `GET /api/records/export` runs (in a read transaction, to a file).
//!
//! ```text
//! kumiki-export-bench --dir D [--database-url postgres://...] [--records 1000000]
//! ```
//! Loads an app of 8 fields (text, number, date, date-time, drop-down, multi-line text, creator,
//! created time) with 1,000 records added through `records::add_records`, then doubles them by SQL
//! (`INSERT ... SELECT` with shifted ids) up to `--records`. Then exports every record to XLSX,
//! to CSV (UTF-8) and to CSV (Shift_JIS), each once, printing the time, the file size and the peak
//! RSS (`VmHWM`, reset through `/proc/self/clear_refs` before each export). Goal: RSS ≤ 300 MB.

use std::time::Instant;

use anyhow::{Context, Result};
use kumiki_bench::inproc::{
    self, deployed_app, engine, exec, proc_status_kb, reset_peak_rss, CommonArgs,
};
use kumiki_engine::acl::{AppRight, Principal};
use kumiki_engine::acting::{ActingContext, Channel};
use kumiki_engine::apps::{AppDefinition, AppId};
use kumiki_engine::db::DbConn;
use kumiki_engine::export::{export_records, ExportFormat, ExportRequest};
use kumiki_engine::fields::FieldProperty;
use kumiki_engine::records::{add_records, Actor};
use kumiki_engine::tabular::CsvEncoding;
use kumiki_engine::EngineError;
use serde_json::{json, Map, Value};

const ADMIN: &str = "Administrator";
const SEED: usize = 1_000;

struct Args {
    common: CommonArgs,
    records: usize,
}

fn parse_args() -> Result<Args> {
    let mut records = 1_000_000;
    let common = inproc::parse_args("kumiki-export-bench", |flag, value| {
        match flag {
            "--records" => records = value.parse()?,
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok(Args { common, records })
}

fn definition() -> Result<AppDefinition> {
    let mut def = AppDefinition::new("書き出し計測");
    let fields = [
        json!({"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"}),
        json!({"type": "NUMBER", "code": "金額", "label": "金額"}),
        json!({"type": "DATE", "code": "受付日", "label": "受付日"}),
        json!({"type": "DATETIME", "code": "受付日時", "label": "受付日時"}),
        json!({"type": "DROP_DOWN", "code": "区分", "label": "区分", "options": {
            "相談": {"label": "相談", "index": "0"}, "申請": {"label": "申請", "index": "1"}}}),
        json!({"type": "MULTI_LINE_TEXT", "code": "内容", "label": "内容"}),
        json!({"type": "CREATOR", "code": "作成者", "label": "作成者"}),
        json!({"type": "CREATED_TIME", "code": "作成日時", "label": "作成日時"}),
    ];
    for f in fields {
        let p: FieldProperty = serde_json::from_value(f).context("field")?;
        def.properties.insert(p.code.clone(), p);
    }
    Ok(def)
}

fn seed_record(i: usize) -> Map<String, Value> {
    let v = |x: Value| json!({ "value": x });
    let mut m = Map::new();
    m.insert("件名".into(), v(json!(format!("道路の補修の相談 第{i}号"))));
    m.insert("金額".into(), v(json!(format!("{}", (i * 7919) % 100_000))));
    m.insert(
        "受付日".into(),
        v(json!(format!("2026-{:02}-{:02}", 1 + i % 12, 1 + i % 28))),
    );
    m.insert(
        "受付日時".into(),
        v(json!(format!(
            "2026-{:02}-{:02}T{:02}:30:00Z",
            1 + i % 12,
            1 + i % 28,
            i % 24
        ))),
    );
    m.insert(
        "区分".into(),
        v(json!(if i.is_multiple_of(3) {
            "申請"
        } else {
            "相談"
        })),
    );
    m.insert(
        "内容".into(),
        v(json!(format!(
            "松本市中央 {i} 丁目の市道で舗装がはがれています。\n現地確認のうえ対応をお願いします。"
        ))),
    );
    m
}

/// The app with `records` records: SEED through the engine, the rest copies by SQL.
fn load(conn: &mut DbConn, records: usize) -> Result<i64> {
    let def = definition()?;
    let id = deployed_app(conn, def, ADMIN)?;
    let system = ActingContext::system(Channel::Cli, chrono_tz::Asia::Tokyo);
    let live = engine(system.open_app(conn, id, AppRight::Add))?;
    let actor = Actor::new(ADMIN, ADMIN, chrono_tz::Asia::Tokyo);
    let inputs: Vec<Map<String, Value>> = (0..SEED.min(records)).map(seed_record).collect();
    engine(conn.write_transaction(|c| add_records(c, &live, &inputs, &actor, true)))?;
    let mut have = SEED.min(records);
    while have < records {
        let add = have.min(records - have);
        // Copies of the first `add` records after the last id (ids stay dense: 1..=have+add).
        let sql = format!(
            "INSERT INTO records (app_id, id, revision, creator, created_at, modifier, updated_at, data) \
             SELECT app_id, id + {have}, revision, creator, created_at, modifier, updated_at, data \
             FROM records WHERE id <= {add} AND app_id = "
        );
        engine(conn.write_transaction(|c| {
            let mut b = c.sql();
            b.push(&sql).bind_int(id.0);
            c.execute(&b)?;
            Ok::<_, EngineError>(())
        }))?;
        have += add;
    }
    exec(
        conn,
        &format!(
            "UPDATE apps SET next_record_id = {} WHERE id = {}",
            records + 1,
            id.0
        ),
    )?;
    Ok(id.0)
}

fn main() -> Result<()> {
    let args = parse_args()?;
    let db = args.common.open_database("export.db")?;
    let mut conn = db.conn()?;
    let t = Instant::now();
    let app = load(&mut conn, args.records)?;
    println!(
        "loaded {} records in {:.1} s; RSS {:.0} MB",
        args.records,
        t.elapsed().as_secs_f64(),
        proc_status_kb("VmRSS:") as f64 / 1024.0
    );
    let admin = ActingContext::new(
        engine(Principal::for_user(&mut conn, ADMIN, ADMIN, true))?,
        Channel::Api,
        chrono_tz::Asia::Tokyo,
    );
    for (name, format) in [
        ("XLSX", ExportFormat::Xlsx),
        ("CSV (UTF-8)", ExportFormat::Csv(CsvEncoding::Utf8Bom)),
        ("CSV (Shift_JIS)", ExportFormat::Csv(CsvEncoding::ShiftJis)),
    ] {
        let out = args
            .common
            .dir
            .join(format!("export.{}", format.extension()));
        let _ = std::fs::remove_file(&out);
        let req = ExportRequest {
            app: AppId(app),
            view: None,
            query: Some("order by $id asc".into()),
            fields: None,
            format,
        };
        // Resets the peak RSS (VmHWM) so it measures this export, not the load or the last one.
        reset_peak_rss();
        let before = proc_status_kb("VmRSS:");
        let t = Instant::now();
        let done = engine(conn.read_transaction(|c| export_records(c, &admin, None, &req, &out)))?;
        let secs = t.elapsed().as_secs_f64();
        let peak = proc_status_kb("VmHWM:");
        let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
        println!(
            "{name}: {} records, {} rows in {secs:.1} s ({:.0} records/s), {:.1} MB; RSS before {:.0} MB, peak {:.0} MB (goal ≤ 300 MB) {}",
            done.records,
            done.rows,
            done.records as f64 / secs,
            size as f64 / 1e6,
            before as f64 / 1024.0,
            peak as f64 / 1024.0,
            if peak <= 300 * 1024 { "OK" } else { "MISSED" }
        );
    }
    Ok(())
}
