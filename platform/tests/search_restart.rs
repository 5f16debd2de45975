//! Kill-and-restart: the real `kumiki` binary is killed with SIGKILL right after a burst of writes;
//! after a restart every record is searchable and the index equals one rebuilt from the database.
//! Runs on SQLite, or on a fresh PostgreSQL database when `KUMIKI_TEST_DATABASE_URL` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use diesel::{Connection, RunQueryDsl};
use serde_json::{json, Value};

const PASSWORD: &str = "restart-admin-pw";

struct Server {
    child: Child,
    base: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(data_dir: &std::path::Path, database_url: Option<&str>) -> Server {
    let port = free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kumiki"));
    cmd.arg("--data-dir").arg(data_dir);
    if let Some(url) = database_url {
        cmd.arg("--database-url").arg(url);
    }
    let child = cmd
        .args(["serve", "--no-examples", "--port", &port.to_string()])
        .env("KUMIKI_ADMIN_PASSWORD", PASSWORD)
        // The test opens the index itself without a dictionary: keep the server on bigrams too.
        .env("KUMIKI_SEARCH_DICTIONARY", "off")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start kumiki");
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let started = Instant::now();
    while reqwest::blocking::get(format!("{}/healthz", server.base)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

fn auth() -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("Administrator:{PASSWORD}"))
}

fn call(s: &Server, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
    let mut rb = client()
        .request(method, format!("{}{path}", s.base))
        .header("X-Cybozu-Authorization", auth());
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let resp = rb.send().unwrap();
    let status = resp.status().as_u16();
    let v: Value = resp.json().unwrap();
    assert_eq!(status, 200, "{path}: {v}");
    v
}

/// A fresh PostgreSQL database (dropped by the caller's guard) or None for SQLite.
struct Pg {
    base: String,
    name: String,
}

impl Drop for Pg {
    fn drop(&mut self) {
        if let Ok(mut c) = diesel::PgConnection::establish(&format!("{}postgres", self.base)) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut c);
        }
    }
}

fn postgres() -> Option<(Pg, String)> {
    let base = std::env::var("KUMIKI_TEST_DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty())?;
    let base = if base.ends_with('/') {
        base
    } else {
        format!("{base}/")
    };
    let name = format!("kr_{}", uuid::Uuid::new_v4().simple());
    let mut c = diesel::PgConnection::establish(&format!("{base}postgres")).unwrap();
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut c)
        .unwrap();
    let url = format!("{base}{name}");
    Some((Pg { base, name }, url))
}

#[test]
fn killed_server_catches_up_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let pg = postgres();
    let url = pg.as_ref().map(|(_, u)| u.clone());
    let mut server = start(dir.path(), url.as_deref());
    let created = call(
        &server,
        reqwest::Method::POST,
        "/k/v1/preview/app.json",
        Some(json!({"name": "再起動"})),
    );
    let app: i64 = created["app"].as_str().unwrap().parse().unwrap();
    call(
        &server,
        reqwest::Method::POST,
        "/k/v1/preview/app/form/fields.json",
        Some(json!({"app": app, "properties": {
            "表題": {"type": "SINGLE_LINE_TEXT", "code": "表題", "label": "表題"}}})),
    );
    call(
        &server,
        reqwest::Method::POST,
        "/k/v1/preview/app/deploy.json",
        Some(json!({"apps": [{"app": app}]})),
    );
    let total = 120;
    for chunk in 0..(total / 40) {
        let records: Vec<Value> = (0..40)
            .map(|i| json!({"表題": {"value": format!("再起動試験 第{}号", chunk * 40 + i)}}))
            .collect();
        call(
            &server,
            reqwest::Method::POST,
            "/k/v1/records.json",
            Some(json!({"app": app, "records": records})),
        );
    }
    // Kill at once: some changes are committed in the database but not yet in the index.
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    let killed_at = kumiki_search::index::SearchIndex::open(&dir.path().join("search-index"))
        .unwrap()
        .committed_seq()
        .unwrap();
    eprintln!("index position when killed: {killed_at:?}");

    let mut server = start(dir.path(), url.as_deref());
    let started = Instant::now();
    loop {
        let b = call(
            &server,
            reqwest::Method::GET,
            "/api/search.json?q=%E5%86%8D%E8%B5%B7%E5%8B%95%E8%A9%A6%E9%A8%93&size=1",
            None,
        );
        if b["total"] == total {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "not caught up: {b}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = call(
        &server,
        reqwest::Method::GET,
        "/api/search/status.json",
        None,
    );
    assert_eq!(status["appliedSeq"], status["logHead"], "{status}");
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    // The index after catch-up equals a rebuild from the database.
    let live = kumiki_search::index::SearchIndex::open(&dir.path().join("search-index")).unwrap();
    let caught_up = kumiki_search::index::all_parts(&live).unwrap();
    let db_url =
        url.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("kumiki.db").display()));
    let db = std::sync::Arc::new(kumiki_engine::db::Database::connect(&db_url, 2).unwrap());
    let other = tempfile::tempdir().unwrap();
    let extractor = kumiki_search::extract::Extractor::kumiki(env!("CARGO_BIN_EXE_kumiki"));
    kumiki_search::service::rebuild(db, other.path(), &dir.path().join("files"), extractor, None)
        .unwrap();
    let rebuilt =
        kumiki_search::index::SearchIndex::open(&other.path().join("search-index")).unwrap();
    assert_eq!(
        caught_up,
        kumiki_search::index::all_parts(&rebuilt).unwrap()
    );
    assert_eq!(caught_up.len(), total);
    drop(pg);
}
