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

use anyhow::Result;
use kumiki_bench::inproc::{self, engine, proc_status_kb, reset_peak_rss, CommonArgs};
use kumiki_bench::records_fixture::{definition, load, ADMIN};
use kumiki_engine::acl::Principal;
use kumiki_engine::acting::{ActingContext, Channel};
use kumiki_engine::apps::AppId;
use kumiki_engine::export::{export_records, ExportFormat, ExportRequest};
use kumiki_engine::tabular::CsvEncoding;

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

fn main() -> Result<()> {
    let args = parse_args()?;
    let db = args.common.open_database("export.db")?;
    let mut conn = db.conn()?;
    let t = Instant::now();
    let app = load(&mut conn, definition("書き出し計測")?, args.records)?;
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
