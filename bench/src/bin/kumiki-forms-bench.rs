//! `kumiki-forms-bench`: the public-form benchmark of issue 15 (docs/benchmarks.md, "Public forms").
//! It starts the real `kumiki serve` on a fresh data directory (SQLite, or `--database-url`), makes
//! an app with a published form through the APIs, and loads it over HTTP on loopback:
//!
//! ```text
//! kumiki-forms-bench --kumiki target/release/kumiki --dir D [--database-url postgres://...]
//!                    [--rate 300] [--seconds 60] [--answers 100000] [--result-runs 200]
//! ```
//! 1. **Sustained submissions**: an open-loop load of `--rate` submissions a second for
//!    `--seconds` (a resident's final `step=submit` POST to `/f/<slug>`, three fields, answered
//!    `303 …/done?r=<receipt>`). Each request has its scheduled start; its latency is measured
//!    from that start, so a server that falls behind shows it in the figures (no coordinated
//!    omission). Goal: the rate is held and p99 ≤ 100 ms.
//! 2. **Fill**: more answers until the form holds `--answers` (closed loop, 16 residents).
//! 3. **Results**: `--result-runs` sequential reads each of `GET /api/public-form/results.json`
//!    and of the staff results page `GET /forms/<id>/results`. Goal: p99 ≤ 100 ms at 100,000
//!    answers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use base64::Engine as _;
use kumiki_bench::served::{self, Server};
use serde_json::{json, Value};

const PASSWORD: &str = "forms-bench-admin-password";

struct Args {
    kumiki: std::path::PathBuf,
    dir: std::path::PathBuf,
    database_url: Option<String>,
    rate: u64,
    seconds: u64,
    answers: usize,
    result_runs: usize,
}

fn parse_args() -> Result<Args> {
    let mut a = Args {
        kumiki: "target/release/kumiki".into(),
        dir: std::env::temp_dir().join("kumiki-forms-bench"),
        database_url: None,
        rate: 300,
        seconds: 60,
        answers: 100_000,
        result_runs: 200,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--kumiki" => a.kumiki = value.into(),
            "--dir" => a.dir = value.into(),
            "--database-url" => a.database_url = Some(value),
            "--rate" => a.rate = value.parse()?,
            "--seconds" => a.seconds = value.parse()?,
            "--answers" => a.answers = value.parse()?,
            "--result-runs" => a.result_runs = value.parse()?,
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

/// The app (three fields) and its published form without rate limits: (form id, slug).
fn setup(base: &str) -> Result<(i64, String)> {
    use reqwest::Method;
    let b = call(
        base,
        Method::POST,
        "/k/v1/preview/app.json",
        json!({"name": "申込ベンチ"}),
    )?;
    let app: i64 = b["app"].as_str().context("app id")?.parse()?;
    call(
        base,
        Method::POST,
        "/k/v1/preview/app/form/fields.json",
        json!({"app": app, "properties": {
            "氏名": {"type": "SINGLE_LINE_TEXT", "code": "氏名", "label": "氏名", "required": true},
            "人数": {"type": "NUMBER", "code": "人数", "label": "人数"},
            "区分": {"type": "RADIO_BUTTON", "code": "区分", "label": "区分", "options": {
                "大人": {"label": "大人", "index": "0"}, "子ども": {"label": "子ども", "index": "1"}},
                "defaultValue": "大人"}
        }}),
    )?;
    call(
        base,
        Method::POST,
        "/k/v1/preview/app/deploy.json",
        json!({"apps": [{"app": app}]}),
    )?;
    std::thread::sleep(Duration::from_millis(500));
    let b = call(
        base,
        Method::POST,
        "/api/public-form.json",
        json!({"app": app, "name": "申込", "settings": {
            "fields": [{"code": "氏名", "required": true}, {"code": "人数"}, {"code": "区分"}],
            "limits": {"per_address_per_minute": 0, "per_form_per_minute": 0}
        }}),
    )?;
    let form = b["id"]
        .as_i64()
        .or_else(|| b["id"].as_str().and_then(|s| s.parse().ok()))
        .context("form id")?;
    let slug = b["slug"].as_str().context("slug")?.to_owned();
    call(
        base,
        Method::PUT,
        "/api/public-form.json",
        json!({"id": form, "state": "published"}),
    )?;
    Ok((form, slug))
}

fn client() -> Result<reqwest::blocking::Client> {
    Ok(reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()?)
}

/// One submission; whether it was acknowledged (303).
fn submit(client: &reqwest::blocking::Client, url: &str, n: usize) -> bool {
    let name = format!("住民{n}");
    let people = (n % 5).to_string();
    let kind = if n.is_multiple_of(3) {
        "子ども"
    } else {
        "大人"
    };
    client
        .post(url)
        .form(&[
            ("step", "submit"),
            ("lang", "ja"),
            ("homepage", ""),
            ("f.氏名", name.as_str()),
            ("f.人数", people.as_str()),
            ("f.区分", kind),
        ])
        .send()
        .map(|r| r.status().as_u16() == 303)
        .unwrap_or(false)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(name: &str, mut lat: Vec<Duration>) {
    lat.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name}: n={} p50={:.1} ms p95={:.1} ms p99={:.1} ms max={:.1} ms",
        lat.len(),
        ms(percentile(&lat, 0.50)),
        ms(percentile(&lat, 0.95)),
        ms(percentile(&lat, 0.99)),
        ms(lat.last().copied().unwrap_or_default()),
    );
}

/// Open loop: request `i` is due at `start + i / rate`; a pool of residents takes them in order.
fn sustained(url: &str, rate: u64, seconds: u64, counter: &AtomicUsize) -> Result<()> {
    let total = (rate * seconds) as usize;
    let (tx, rx) = mpsc::channel::<Instant>();
    let rx = Arc::new(Mutex::new(rx));
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(total)));
    let failures = Arc::new(AtomicUsize::new(0));
    let mut pool = Vec::new();
    for _ in 0..64 {
        let (rx, latencies, failures) = (
            Arc::clone(&rx),
            Arc::clone(&latencies),
            Arc::clone(&failures),
        );
        let (client, url) = (client()?, url.to_owned());
        let first = counter.fetch_add(1_000_000, Ordering::Relaxed);
        pool.push(std::thread::spawn(move || {
            let mut n = first;
            loop {
                let due = match rx.lock().map(|r| r.recv()) {
                    Ok(Ok(due)) => due,
                    _ => break,
                };
                let now = Instant::now();
                if due > now {
                    std::thread::sleep(due - now);
                }
                let ok = submit(&client, &url, n);
                n += 1;
                if !ok {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
                if let Ok(mut l) = latencies.lock() {
                    l.push(due.elapsed());
                }
            }
        }));
    }
    let start = Instant::now() + Duration::from_millis(200);
    for i in 0..total {
        let due = start + Duration::from_secs_f64(i as f64 / rate as f64);
        // Hand out work no earlier than 50 ms before it is due, so the pool stays in step.
        let now = Instant::now();
        if due > now + Duration::from_millis(50) {
            std::thread::sleep(due - now - Duration::from_millis(50));
        }
        tx.send(due)?;
    }
    drop(tx);
    for t in pool {
        let _ = t.join();
    }
    let elapsed = start.elapsed().as_secs_f64();
    let lat = std::mem::take(&mut *latencies.lock().map_err(|_| anyhow::anyhow!("lock"))?);
    let failed = failures.load(Ordering::Relaxed);
    println!(
        "sustained: target {rate}/s for {seconds} s: {} sent, {} acknowledged, {} failed, {:.1}/s achieved",
        lat.len(),
        lat.len() - failed,
        failed,
        (lat.len() - failed) as f64 / elapsed
    );
    report("sustained submit latency (from scheduled start)", lat);
    Ok(())
}

fn fill(url: &str, base: &str, form: i64, answers: usize, counter: &AtomicUsize) -> Result<()> {
    let have = call(
        base,
        reqwest::Method::GET,
        &format!("/api/public-form/results.json?form={form}"),
        Value::Null,
    )?["answers"]
        .as_u64()
        .unwrap_or(0) as usize;
    if have >= answers {
        return Ok(());
    }
    let left = Arc::new(AtomicUsize::new(answers - have));
    let started = Instant::now();
    let mut pool = Vec::new();
    for _ in 0..16 {
        let (left, client, url) = (Arc::clone(&left), client()?, url.to_owned());
        let first = counter.fetch_add(10_000_000, Ordering::Relaxed);
        pool.push(std::thread::spawn(move || {
            let mut n = first;
            while left
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |l| l.checked_sub(1))
                .is_ok()
            {
                if !submit(&client, &url, n) {
                    left.fetch_add(1, Ordering::Relaxed);
                }
                n += 1;
            }
        }));
    }
    for t in pool {
        let _ = t.join();
    }
    println!(
        "fill: {} answers more in {:.1} s ({:.0}/s, closed loop, 16 residents)",
        answers - have,
        started.elapsed().as_secs_f64(),
        (answers - have) as f64 / started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Signs in through the login form (the server runs with --insecure-cookies); the session cookie.
fn session(base: &str) -> Result<String> {
    let c = client()?;
    let page = c.get(format!("{base}/login")).send()?;
    let cookie = |r: &reqwest::blocking::Response, name: &str| {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .and_then(|v| v.split(';').next())
            .map(str::to_owned)
    };
    let login_cookie = cookie(&page, "kumiki_login_csrf").context("login cookie")?;
    let html = page.text()?;
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker).context("csrf")? + marker.len();
    let end = start + html[start..].find('"').context("csrf end")?;
    let resp = c
        .post(format!("{base}/login"))
        .header("Cookie", login_cookie)
        .form(&[
            ("login", "Administrator"),
            ("password", PASSWORD),
            ("_csrf", &html[start..end]),
            ("next", "/"),
        ])
        .send()?;
    cookie(&resp, "kumiki_session").context("session cookie")
}

fn results(base: &str, form: i64, runs: usize) -> Result<()> {
    let auth =
        base64::engine::general_purpose::STANDARD.encode(format!("Administrator:{PASSWORD}"));
    let c = client()?;
    let check = call(
        base,
        reqwest::Method::GET,
        &format!("/api/public-form/results.json?form={form}"),
        Value::Null,
    )?;
    println!("results at {} answers", check["answers"]);
    let mut lat = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let r = c
            .get(format!("{base}/api/public-form/results.json?form={form}"))
            .header("X-Cybozu-Authorization", &auth)
            .send()?;
        if !r.status().is_success() {
            bail!("results.json: {}", r.status());
        }
        r.bytes()?;
        lat.push(t.elapsed());
    }
    report("results.json", lat);
    let cookie = session(base)?;
    let mut lat = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let r = c
            .get(format!("{base}/forms/{form}/results"))
            .header("Cookie", &cookie)
            .send()?;
        if !r.status().is_success() {
            bail!("results page: {}", r.status());
        }
        r.bytes()?;
        lat.push(t.elapsed());
    }
    report("results page /forms/<id>/results", lat);
    Ok(())
}

fn main() -> Result<()> {
    let args = parse_args()?;
    let server = start(&args)?;
    let (form, slug) = setup(&server.base)?;
    let url = format!("{}/f/{slug}", server.base);
    let counter = AtomicUsize::new(0);
    sustained(&url, args.rate, args.seconds, &counter)?;
    fill(&url, &server.base, form, args.answers, &counter)?;
    results(&server.base, form, args.result_runs)?;
    Ok(())
}
