//! `kumiki-import-bench`: the import benchmark of issue 16 (docs/benchmarks.md, "Import").
//! It starts the real `kumiki serve` on a fresh data directory (SQLite, or `--database-url`),
//! creates the peer app (`kumiki_bench::peer`, 19 fields), writes `--rows` of the peer data set as
//! a Shift_JIS CSV (as Excel saves it: CRLF, quoted cells with line breaks), and imports it end to
//! end over HTTP as a user would: upload (`/k/v1/file.json`), open and check
//! (`POST /api/records/import.json`: detection, mapping, every row converted and validated), run
//! (`/api/records/import/run.json`: the durable job), and poll until `done`. Goal: 100,000 rows
//! within 30 s on SQLite (≥ 3,000 rows/s, validation included).
//!
//! ```text
//! kumiki-import-bench --kumiki target/release/kumiki --dir D [--database-url postgres://...] [--rows 100000]
//! ```

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use kumiki_bench::peer::{field_properties, record};
use kumiki_bench::served::{self, Server};
use serde_json::{json, Value};

const PASSWORD: &str = "import-bench-admin-password";

struct Args {
    kumiki: std::path::PathBuf,
    dir: std::path::PathBuf,
    database_url: Option<String>,
    rows: usize,
}

fn parse_args() -> Result<Args> {
    let mut a = Args {
        kumiki: "target/release/kumiki".into(),
        dir: std::env::temp_dir().join("kumiki-import-bench"),
        database_url: None,
        rows: 100_000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--kumiki" => a.kumiki = value.into(),
            "--dir" => a.dir = value.into(),
            "--database-url" => a.database_url = Some(value),
            "--rows" => a.rows = value.parse()?,
            other => bail!("unknown flag {other}"),
        }
    }
    Ok(a)
}

fn start(args: &Args) -> Result<Server> {
    served::start(
        &args.kumiki,
        &args.dir,
        args.database_url.as_deref(),
        PASSWORD,
    )
}

fn call(base: &str, method: reqwest::Method, path: &str, body: Value) -> Result<Value> {
    served::call(base, PASSWORD, method, path, body)
}

/// The peer app, deployed: its id.
fn create_app(base: &str) -> Result<i64> {
    use reqwest::Method;
    let b = call(
        base,
        Method::POST,
        "/k/v1/preview/app.json",
        json!({"name": "取込計測"}),
    )?;
    let app: i64 = b["app"]
        .as_str()
        .context("app id")?
        .parse()
        .context("app id")?;
    call(
        base,
        Method::POST,
        "/k/v1/preview/app/form/fields.json",
        json!({"app": app, "properties": field_properties()}),
    )?;
    call(
        base,
        Method::POST,
        "/k/v1/preview/app/deploy.json",
        json!({"apps": [{"app": app}]}),
    )?;
    let started = Instant::now();
    loop {
        let s = call(
            base,
            Method::GET,
            &format!("/k/v1/preview/app/deploy.json?apps[0]={app}"),
            Value::Null,
        )?;
        if s["apps"][0]["status"] == "SUCCESS" {
            return Ok(app);
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!("deploy did not finish: {s}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A cell as a CSV field: quoted, inner quotes doubled.
fn cell(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// The data set's rows as Shift_JIS CSV bytes (header = field codes).
fn csv(rows: usize) -> Result<Vec<u8>> {
    let codes: Vec<String> = field_properties()
        .as_object()
        .context("fields")?
        .keys()
        .cloned()
        .collect();
    let mut text = codes.iter().map(|c| cell(c)).collect::<Vec<_>>().join(",");
    text.push_str("\r\n");
    for i in 0..rows {
        let r = record(i);
        let cells: Vec<String> = codes
            .iter()
            .map(|c| {
                let v = &r[c]["value"];
                let s = match v {
                    Value::Array(items) => items
                        .iter()
                        .map(|x| match x {
                            Value::Object(o) => o
                                .get("code")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_owned(),
                            other => other.as_str().unwrap_or_default().to_owned(),
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                    other => other.as_str().unwrap_or_default().to_owned(),
                };
                // Datetimes as a clerk types them in Excel (local time, no zone).
                let s = if c == "Datetime_a" {
                    s.replace('T', " ").trim_end_matches('Z').to_owned()
                } else {
                    s
                };
                cell(&s.replace('\n', "\r\n"))
            })
            .collect();
        text.push_str(&cells.join(","));
        text.push_str("\r\n");
    }
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&text);
    if unmappable {
        bail!("the data set has characters Shift_JIS cannot hold");
    }
    Ok(bytes.into_owned())
}

fn upload(base: &str, name: &str, bytes: Vec<u8>) -> Result<String> {
    let part = reqwest::blocking::multipart::Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str("text/csv")?;
    let form = reqwest::blocking::multipart::Form::new().part("file", part);
    let resp = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()?
        .post(format!("{base}/k/v1/file.json"))
        .header("X-Cybozu-Authorization", served::admin_auth(PASSWORD))
        .multipart(form)
        .send()?;
    let status = resp.status();
    let body: Value = resp.json().unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("file.json: {status} {body}");
    }
    Ok(body["fileKey"].as_str().context("fileKey")?.to_owned())
}

fn main() -> Result<()> {
    use reqwest::Method;
    let args = parse_args()?;
    let server = start(&args)?;
    let base = server.base.clone();
    let app = create_app(&base)?;
    let bytes = csv(args.rows)?;
    println!(
        "{} rows, {:.1} MB of Shift_JIS CSV ({})",
        args.rows,
        bytes.len() as f64 / 1e6,
        if args.database_url.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    let t = Instant::now();
    let key = upload(&base, "取込計測.csv", bytes)?;
    let uploaded = t.elapsed().as_secs_f64();
    let opened = call(
        &base,
        Method::POST,
        "/api/records/import.json",
        json!({"app": app, "fileKey": key}),
    )?;
    let checked = t.elapsed().as_secs_f64();
    if opened["encoding"] != "shift_jis" {
        bail!("detected {} instead of shift_jis", opened["encoding"]);
    }
    let errors = opened["report"]["errorCount"].as_i64().unwrap_or(-1);
    if errors != 0 {
        bail!(
            "the check found {errors} errors: {}",
            opened["report"]["errors"]
        );
    }
    let id = opened["id"].as_str().context("import id")?.to_owned();
    call(
        &base,
        Method::POST,
        "/api/records/import/run.json",
        json!({ "id": id }),
    )?;
    let status = loop {
        let s = call(
            &base,
            Method::GET,
            &format!("/api/records/import.json?id={id}"),
            Value::Null,
        )?;
        match s["state"].as_str() {
            Some("done") => break s,
            Some("failed") => bail!("the import failed: {s}"),
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    };
    let total = t.elapsed().as_secs_f64();
    let written = status["recordsWritten"].as_i64().unwrap_or(0);
    let count = call(
        &base,
        Method::GET,
        &format!("/k/v1/records.json?app={app}&totalCount=true&query=limit%201"),
        Value::Null,
    )?;
    println!(
        "upload {uploaded:.1} s, open + check {:.1} s, write (job) {:.1} s; end to end {total:.1} s \
         = {:.0} rows/s; {written} records written, the app holds {}",
        checked - uploaded,
        total - checked,
        args.rows as f64 / total,
        count["totalCount"]
    );
    drop(server);
    Ok(())
}
