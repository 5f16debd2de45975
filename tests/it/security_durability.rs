//! Issue 12, security test plan §6 "Durability and consistency", as tests of the normal suite
//! (SQLite, or PostgreSQL with `KUMIKI_TEST_DATABASE_URL`):
//! - D1: the REAL `kumiki` binary is killed with SIGKILL while clients add records (3 rounds, each
//!   restart on the same data directory and database); every acknowledged record survives
//!   byte-identical, a 100-record batch is all or nothing, SQLite passes its integrity checks and
//!   the search index catches up.
//! - D4: 2 writers and 8 readers against one server for ~10 s: no 5xx, no "database is locked".
//! - D7: the binary under `strace -f -e trace=connect` connects only to loopback, unix sockets and
//!   the PostgreSQL address, and its pages reference no other host.
//!
//! The binary comes from `KUMIKI_BIN`, else `kumiki` next to this test's target directory (build
//! it with `cargo build -p kumiki-platform --bin kumiki`; scripts/test.sh does).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::{Connection, QueryableByName, RunQueryDsl};
use kumiki_tests::{kumiki_bin, url_encode, PgDatabase, TestApp};
use serde_json::{json, Value};

const PASSWORD: &str = "durability-admin-password";

/// The data a server keeps across restarts: its data directory and, on PostgreSQL, its own
/// database (dropped at the end).
struct Store {
    data: tempfile::TempDir,
    pg: Option<PgDatabase>,
}

impl Store {
    fn new() -> Store {
        Store {
            data: tempfile::tempdir().unwrap(),
            pg: PgDatabase::create(),
        }
    }
}

struct Server {
    child: Child,
    /// The `kumiki` process itself (the child is `strace` when traced).
    pid: u32,
    port: u16,
}

impl Server {
    /// SIGKILL, as a power cut or the OOM killer would.
    fn kill9(&mut self) {
        let _ = Command::new("kill")
            .args(["-9", &self.pid.to_string()])
            .status();
        // Under strace, let it see kumiki die and write its last lines before it is stopped too.
        let started = Instant::now();
        while self.child.id() != self.pid
            && matches!(self.child.try_wait(), Ok(None))
            && started.elapsed() < Duration::from_secs(10)
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the binary on `store` (under `strace` when `trace` names the output file).
fn start(store: &Store, trace: Option<&Path>) -> Server {
    let port = free_port();
    let mut cmd = match trace {
        Some(out) => {
            let mut c = Command::new(strace_path().unwrap());
            c.args(["-f", "-e", "trace=connect,execve", "-o"])
                .arg(out)
                .arg(kumiki_bin());
            c
        }
        None => Command::new(kumiki_bin()),
    };
    cmd.arg("--data-dir").arg(store.data.path());
    if let Some(db) = &store.pg {
        cmd.arg("--database-url").arg(db.url());
    }
    let child = cmd
        .args(["serve", "--no-examples", "--workers", "2", "--port"])
        .arg(port.to_string())
        .env("KUMIKI_ADMIN_PASSWORD", PASSWORD)
        .env("KUMIKI_SEARCH_DICTIONARY", "off")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut server = Server {
        pid: child.id(),
        child,
        port,
    };
    let started = Instant::now();
    while reqwest::blocking::get(format!("http://127.0.0.1:{port}/healthz")).is_err() {
        assert!(started.elapsed() < Duration::from_secs(60), "no start");
        assert!(
            server.child.try_wait().unwrap().is_none(),
            "the server exited at start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    if trace.is_some() {
        // The traced kumiki is strace's only child.
        let children = std::fs::read_to_string(format!(
            "/proc/{}/task/{}/children",
            server.child.id(),
            server.child.id()
        ))
        .unwrap();
        server.pid = children.split_whitespace().next().unwrap().parse().unwrap();
    }
    server
}

fn auth() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("Administrator:{PASSWORD}"))
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// An API call; `Err` when the server is unreachable or the connection broke (it was killed).
fn try_call(
    c: &reqwest::blocking::Client,
    port: u16,
    method: reqwest::Method,
    path: &str,
    body: &Value,
) -> Result<(u16, Value), String> {
    let mut req = c
        .request(method.clone(), format!("http://127.0.0.1:{port}{path}"))
        .header("X-Cybozu-Authorization", auth());
    if method != reqwest::Method::GET {
        req = req.json(body);
    }
    let resp = req.send().map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let text = resp.text().map_err(|e| e.to_string())?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

fn call(port: u16, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
    try_call(&client(), port, method, path, &body).unwrap()
}

fn make_app(port: u16) -> i64 {
    let (s, b) = call(
        port,
        reqwest::Method::POST,
        "/k/v1/preview/app.json",
        json!({"name": "durability"}),
    );
    assert_eq!(s, 200, "{b}");
    let app = b["app"].as_str().unwrap().parse::<i64>().unwrap();
    let (s, b) = call(
        port,
        reqwest::Method::POST,
        "/k/v1/preview/app/form/fields.json",
        json!({"app": app, "properties": {
            "t": {"type": "SINGLE_LINE_TEXT", "code": "t", "label": "t"},
            "batch": {"type": "SINGLE_LINE_TEXT", "code": "batch", "label": "batch"},
            "memo": {"type": "MULTI_LINE_TEXT", "code": "memo", "label": "memo"},
            "n": {"type": "NUMBER", "code": "n", "label": "n"},
            "file": {"type": "FILE", "code": "file", "label": "file"}}}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = call(
        port,
        reqwest::Method::POST,
        "/k/v1/preview/app/deploy.json",
        json!({"apps": [{"app": app}]}),
    );
    assert_eq!(s, 200, "{b}");
    // Deploying finishes in the background: wait until a record can be added.
    let started = Instant::now();
    loop {
        let (s, b) = call(
            port,
            reqwest::Method::GET,
            &format!("/k/v1/app/form/fields.json?app={app}"),
            json!({}),
        );
        if s == 200 && b["properties"]["batch"].is_object() {
            return app;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no deploy: {b}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A pseudo-random number from a fresh UUID (no extra crate).
fn random_below(n: u64) -> u64 {
    (uuid::Uuid::new_v4().as_u128() as u64) % n
}

/// What a client was told was saved: the record id and the values it sent.
#[derive(Clone, Debug)]
struct Acked {
    id: i64,
    t: String,
    batch: String,
    memo: String,
    n: String,
}

fn values(t: &str, batch: &str, memo: &str, n: &str) -> Value {
    json!({"t": {"value": t}, "batch": {"value": batch}, "memo": {"value": memo}, "n": {"value": n}})
}

/// One writer: single records and 100-record batches in turn, until `stop`; every 200 is logged.
fn writer(
    w: usize,
    port: &AtomicU64,
    app: i64,
    stop: &AtomicBool,
    acked: &Mutex<Vec<Acked>>,
    batches: &Mutex<Vec<(String, bool)>>,
) {
    let c = client();
    let mut seq = 0u64;
    while !stop.load(Ordering::Relaxed) {
        seq += 1;
        let p = port.load(Ordering::Relaxed) as u16;
        let tag = format!("w{w}s{seq}x{}", uuid::Uuid::new_v4().simple());
        let memo = format!("耐久テスト 行1\n\"引用\" <b>&amp; 行2 {tag}\t終わり");
        if seq.is_multiple_of(4) {
            let rows: Vec<(String, String)> = (0..100)
                .map(|i| (format!("{tag}r{i}"), (seq * 1000 + i).to_string()))
                .collect();
            let records: Vec<Value> = rows
                .iter()
                .map(|(t, n)| values(t, &tag, &memo, n))
                .collect();
            batches.lock().unwrap().push((tag.clone(), false));
            let res = try_call(
                &c,
                p,
                reqwest::Method::POST,
                "/k/v1/records.json",
                &json!({"app": app, "records": records}),
            );
            if let Ok((200, b)) = res {
                let ids: Vec<i64> = b["ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i.as_str().unwrap().parse().unwrap())
                    .collect();
                assert_eq!(ids.len(), 100, "{b}");
                let mut log = acked.lock().unwrap();
                for (id, (t, n)) in ids.into_iter().zip(rows) {
                    log.push(Acked {
                        id,
                        t,
                        batch: tag.clone(),
                        memo: memo.clone(),
                        n,
                    });
                }
                batches
                    .lock()
                    .unwrap()
                    .iter_mut()
                    .find(|(b, _)| *b == tag)
                    .unwrap()
                    .1 = true;
                continue;
            }
            assert_retryable(res);
        } else {
            let n = seq.to_string();
            let res = try_call(
                &c,
                p,
                reqwest::Method::POST,
                "/k/v1/record.json",
                &json!({"app": app, "record": values(&tag, "", &memo, &n)}),
            );
            if let Ok((200, b)) = res {
                acked.lock().unwrap().push(Acked {
                    id: b["id"].as_str().unwrap().parse().unwrap(),
                    t: tag,
                    batch: String::new(),
                    memo,
                    n,
                });
                continue;
            }
            assert_retryable(res);
        }
        // The server is down (killed) or restarting: try again shortly.
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A write that did not succeed may only have failed because the server went away.
fn assert_retryable(res: Result<(u16, Value), String>) {
    if let Ok((s, b)) = res {
        panic!("a write answered {s} {b}, not a lost connection");
    }
}

/// Every record of `app`, by id.
fn all_records(port: u16, app: i64) -> HashMap<i64, Value> {
    let mut out = HashMap::new();
    let mut last = 0i64;
    loop {
        let query = format!("$id > {last} order by $id asc limit 500");
        let (s, b) = call(
            port,
            reqwest::Method::GET,
            &format!("/k/v1/records.json?app={app}&query={}", url_encode(&query)),
            json!({}),
        );
        assert_eq!(s, 200, "{b}");
        let page = b["records"].as_array().unwrap();
        if page.is_empty() {
            return out;
        }
        for r in page {
            let id: i64 = r["$id"]["value"].as_str().unwrap().parse().unwrap();
            last = last.max(id);
            out.insert(id, r.clone());
        }
    }
}

fn same(record: &Value, a: &Acked) -> bool {
    record["t"]["value"] == a.t.as_str()
        && record["batch"]["value"] == a.batch.as_str()
        && record["memo"]["value"] == a.memo.as_str()
        && record["n"]["value"] == a.n.as_str()
}

fn wait_indexed(port: u16, limit: Duration) {
    let started = Instant::now();
    loop {
        let (s, b) = call(
            port,
            reqwest::Method::GET,
            "/api/search/status.json",
            json!({}),
        );
        assert_eq!(s, 200, "{b}");
        if b["lagRows"] == 0 && b["appliedSeq"] == b["logHead"] {
            return;
        }
        assert!(started.elapsed() < limit, "index still behind: {b}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn search_ids(port: u16, q: &str) -> Vec<i64> {
    let (s, b) = call(
        port,
        reqwest::Method::GET,
        &format!("/api/search.json?q={}", url_encode(q)),
        json!({}),
    );
    assert_eq!(s, 200, "{b}");
    b["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["record"].as_i64().unwrap())
        .collect()
}

#[derive(QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    v: String,
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    let store = Store::new();
    let mut server = start(&store, None);
    let app = make_app(server.port);
    let port = Arc::new(AtomicU64::new(u64::from(server.port)));
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::<Acked>::new()));
    let batches = Arc::new(Mutex::new(Vec::<(String, bool)>::new()));
    let writers: Vec<_> = (0..3)
        .map(|w| {
            let (port, stop, acked, batches) = (
                Arc::clone(&port),
                Arc::clone(&stop),
                Arc::clone(&acked),
                Arc::clone(&batches),
            );
            std::thread::spawn(move || writer(w, &port, app, &stop, &acked, &batches))
        })
        .collect();
    for round in 0..3 {
        let before = acked.lock().unwrap().len();
        // Let some writes be acknowledged, then kill at a random moment after that.
        let started = Instant::now();
        while acked.lock().unwrap().len() < before + 3 {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no write acknowledged in round {round}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(200 + random_below(1500)));
        server.kill9();
        eprintln!(
            "round {round}: killed with {} records acknowledged",
            acked.lock().unwrap().len()
        );
        server = start(&store, None);
        port.store(u64::from(server.port), Ordering::Relaxed);
    }
    // A little more after the last restart, then the writers stop.
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let batches = batches.lock().unwrap().clone();
    let p = server.port;

    let stored = all_records(p, app);
    let mut by_batch: HashMap<&str, usize> = HashMap::new();
    for r in stored.values() {
        if let Some(b) = r["batch"]["value"].as_str().filter(|b| !b.is_empty()) {
            *by_batch.entry(b).or_default() += 1;
        }
    }
    let missing: Vec<&Acked> = acked
        .iter()
        .filter(|a| !stored.get(&a.id).is_some_and(|r| same(r, a)))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged records are lost or changed, e.g. {:?} (stored: {:?})",
        missing.len(),
        acked.len(),
        missing[0],
        stored.get(&missing[0].id)
    );
    // GET by id too, for every acknowledged single record and the first of each batch.
    let c = client();
    for a in acked
        .iter()
        .filter(|a| a.batch.is_empty() || a.t.ends_with("r0"))
    {
        let (s, b) = try_call(
            &c,
            p,
            reqwest::Method::GET,
            &format!("/k/v1/record.json?app={app}&id={}", a.id),
            &json!({}),
        )
        .unwrap();
        assert!(s == 200 && same(&b["record"], a), "{a:?}: {s} {b}");
    }
    for (tag, was_acked) in &batches {
        let n = by_batch.get(tag.as_str()).copied().unwrap_or(0);
        assert!(
            n == 0 || n == 100,
            "batch {tag} is partly visible: {n} of 100"
        );
        assert!(!was_acked || n == 100, "acknowledged batch {tag} has {n}");
    }
    let acked_batches = batches.iter().filter(|b| b.1).count();
    eprintln!(
        "{} records acknowledged ({} in {acked_batches} batches of {} sent), {} stored",
        acked.len(),
        acked_batches * 100,
        batches.len(),
        stored.len()
    );

    // The index catches up after the kills, and finds the last acknowledged record.
    wait_indexed(p, Duration::from_secs(60));
    let last = acked.last().unwrap();
    let hits = search_ids(p, &last.t);
    assert!(hits.contains(&last.id), "{last:?} not found: {hits:?}");

    if store.pg.is_none() {
        drop(server);
        let db = store.data.path().join("kumiki.db");
        let mut c = diesel::SqliteConnection::establish(db.to_str().unwrap()).unwrap();
        let check: Vec<Text> =
            diesel::sql_query("SELECT integrity_check AS v FROM pragma_integrity_check")
                .load(&mut c)
                .unwrap();
        let check: Vec<String> = check.into_iter().map(|t| t.v).collect();
        assert_eq!(check, vec!["ok".to_owned()]);
        let fk: Vec<Text> = diesel::sql_query(
            "SELECT \"table\" || ':' || coalesce(rowid, '') || '->' || parent AS v \
             FROM pragma_foreign_key_check",
        )
        .load(&mut c)
        .unwrap();
        let fk: Vec<String> = fk.into_iter().map(|t| t.v).collect();
        assert!(fk.is_empty(), "foreign key violations: {fk:?}");
    }
}

#[test]
fn readers_and_writers_never_see_a_server_error() {
    let app = TestApp::spawn();
    let a = app.create_app(
        "混雑",
        json!({"t": {"type": "SINGLE_LINE_TEXT", "code": "t", "label": "t"},
               "n": {"type": "NUMBER", "code": "n", "label": "n"}}),
    );
    let first = app.add_record(
        a,
        json!({"t": {"value": "混雑試験 seed"}, "n": {"value": "1"}}),
    );
    let stop = AtomicBool::new(false);
    let calls = AtomicU64::new(0);
    let bad = Mutex::new(Vec::<String>::new());
    let check = |what: &str, s: u16, b: &Value| {
        calls.fetch_add(1, Ordering::Relaxed);
        let text = b.to_string();
        if s >= 500 || text.contains("database is locked") {
            bad.lock().unwrap().push(format!("{what}: {s} {text}"));
        }
    };
    std::thread::scope(|scope| {
        for w in 0..2 {
            let (app, stop, check) = (&app, &stop, &check);
            scope.spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let (s, b) = app.post(
                        "/k/v1/record.json",
                        json!({"app": a, "record": {"t": {"value": format!("混雑試験 w{w} {i}")},
                            "n": {"value": i.to_string()}}}),
                    );
                    check("add", s, &b);
                    let (s, b) = app.put(
                        "/k/v1/record.json",
                        json!({"app": a, "id": first, "record": {"n": {"value": (i % 50).to_string()}}}),
                    );
                    check("update", s, &b);
                }
            });
        }
        for r in 0..8 {
            let (app, stop, check) = (&app, &stop, &check);
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let (s, b) = match r % 3 {
                        0 => app.get(&format!(
                            "/k/v1/records.json?app={a}&query={}",
                            url_encode("n > 5 order by $id desc limit 20")
                        )),
                        1 => app.get(&format!("/k/v1/record.json?app={a}&id={first}")),
                        _ => app.get(&format!("/api/search.json?q={}", url_encode("混雑試験"))),
                    };
                    check("read", s, &b);
                }
            });
        }
        std::thread::sleep(Duration::from_secs(10));
        stop.store(true, Ordering::Relaxed);
    });
    let bad = bad.into_inner().unwrap();
    eprintln!(
        "{} calls in 10 s, {} bad",
        calls.load(Ordering::Relaxed),
        bad.len()
    );
    assert!(bad.is_empty(), "{} bad answers, e.g. {}", bad.len(), bad[0]);
    assert!(
        calls.load(Ordering::Relaxed) > 100,
        "too few calls to mean anything"
    );
}

fn strace_path() -> Option<PathBuf> {
    ["/usr/bin/strace", "/bin/strace"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// The address of one `connect(` line of an strace log, when it is not a local one.
fn foreign_connect(line: &str) -> Option<String> {
    let start = line.find("{sa_family=")?;
    let addr = &line[start
        ..line[start..]
            .find('}')
            .map_or(line.len(), |e| start + e + 1)];
    let family = addr["{sa_family=".len()..]
        .split([',', '}'])
        .next()
        .unwrap_or_default();
    let local = match family {
        // A unix socket (nscd, PostgreSQL's socket), netlink (the kernel) or AF_UNSPEC (dissolving
        // a UDP association) never leaves the machine.
        "AF_UNIX" | "AF_LOCAL" | "AF_NETLINK" | "AF_UNSPEC" => true,
        "AF_INET" => addr.contains("inet_addr(\"127.0.0.1\")"),
        "AF_INET6" => addr.contains("\"::1\"") || addr.contains("\"::ffff:127.0.0.1\""),
        _ => false,
    };
    (!local).then(|| addr.to_owned())
}

#[test]
fn foreign_connect_lines_are_recognised() {
    let local = [
        r#"12 connect(3, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT"#,
        r#"12 connect(5, {sa_family=AF_INET, sin_port=htons(5432), sin_addr=inet_addr("127.0.0.1")}, 16) = 0"#,
        r#"12 connect(5, {sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0"#,
        r#"12 <... connect resumed>) = 0"#,
    ];
    for l in local {
        assert_eq!(foreign_connect(l), None, "{l}");
    }
    let foreign = [
        r#"12 connect(5, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("142.250.1.1")}, 16) = -1"#,
        r#"12 connect(5, {sa_family=AF_INET6, sin6_port=htons(53), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2001:db8::1", &sin6_addr), sin6_scope_id=0}, 28 <unfinished ...>"#,
        r#"12 connect(5, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("127.0.0.53")}, 16) = 0"#,
    ];
    for l in foreign {
        assert!(foreign_connect(l).is_some(), "{l}");
    }
    let own = "http://127.0.0.1:8080";
    let html = r#"<link href="/static/a.css"><script src='https://cdn.example.com/x.js'></script>
        <img src=//evil.example/p.png><a href="http://127.0.0.1:8080/apps/1">x</a>"#;
    assert_eq!(
        external_refs(html, own),
        vec!["https://cdn.example.com/x.js", "//evil.example/p.png"]
    );
}

/// `src`, `href` and `action` values of `html` that name another host.
fn external_refs(html: &str, own: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=", "href=", "action=", "srcset="] {
        for (i, _) in html.match_indices(attr) {
            let rest = &html[i + attr.len()..];
            let (quote, rest) = match rest.chars().next() {
                Some(q @ ('"' | '\'')) => (q, &rest[1..]),
                _ => (' ', rest),
            };
            let value = rest[..rest.find([quote, '>']).unwrap_or(rest.len())].trim();
            let lower = value.to_ascii_lowercase();
            let external = lower.starts_with("http:")
                || lower.starts_with("https:")
                || lower.starts_with("//");
            if external && !lower.starts_with(own) {
                out.push(value.to_owned());
            }
        }
    }
    out
}

fn sign_in(port: u16) -> String {
    let c = kumiki_tests::page_client();
    let url = format!("http://127.0.0.1:{port}/login");
    let page = c.get(&url).send().unwrap();
    let login_cookie = kumiki_tests::cookie_value(&page, "__Host-kumiki_login_csrf")
        .or_else(|| kumiki_tests::cookie_value(&page, "kumiki_login_csrf"))
        .expect("login cookie");
    let html = page.text().unwrap();
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker).expect("csrf field") + marker.len();
    let csrf = &html[start..start + html[start..].find('"').unwrap()];
    let resp = c
        .post(&url)
        .header("Cookie", login_cookie)
        .form(&[
            ("login", "Administrator"),
            ("password", PASSWORD),
            ("_csrf", csrf),
            ("next", "/"),
        ])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303, "sign-in");
    kumiki_tests::cookie_value(&resp, "__Host-kumiki_session")
        .or_else(|| kumiki_tests::cookie_value(&resp, "kumiki_session"))
        .expect("session cookie")
}

fn page(port: u16, session: &str, path: &str) -> String {
    let resp = kumiki_tests::page_client()
        .get(format!("http://127.0.0.1:{port}{path}"))
        .header("Cookie", session)
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200, "{path}");
    resp.text().unwrap()
}

#[test]
fn the_server_never_connects_outside_the_machine() {
    if strace_path().is_none() {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        assert!(
            !ci,
            "strace is missing (/usr/bin/strace): CI must install it (.ci/run)"
        );
        eprintln!("SKIPPED: strace is not installed");
        return;
    }
    let store = Store::new();
    let trace_dir = tempfile::tempdir().unwrap();
    let trace = trace_dir.path().join("connect.log");
    let mut server = start(&store, Some(&trace));
    let p = server.port;
    let session = sign_in(p);
    let app = make_app(p);
    let pdf = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../apps-examples/document-archive/files/r8-0002-1.pdf"),
    )
    .unwrap();
    let part = reqwest::blocking::multipart::Part::bytes(pdf)
        .file_name("r8-0002-1.pdf")
        .mime_str("application/pdf")
        .unwrap();
    let resp = client()
        .post(format!("http://127.0.0.1:{p}/k/v1/file.json"))
        .header("X-Cybozu-Authorization", auth())
        .multipart(reqwest::blocking::multipart::Form::new().part("file", part))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let key = resp.json::<Value>().unwrap()["fileKey"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, b) = call(
        p,
        reqwest::Method::POST,
        "/k/v1/record.json",
        json!({"app": app, "record": {"t": {"value": "オフライン確認"},
            "file": {"value": [{"fileKey": key}]}}}),
    );
    assert_eq!(s, 200, "{b}");
    let id: i64 = b["id"].as_str().unwrap().parse().unwrap();
    // The PDF's text is extracted (in a child process) and searchable.
    wait_indexed(p, Duration::from_secs(60));
    assert!(search_ids(p, "調査照会アプリ").contains(&id));
    let own = format!("http://127.0.0.1:{p}");
    let mut external = Vec::new();
    for path in [
        "/".to_owned(),
        format!("/apps/{app}"),
        format!("/apps/{app}/records/{id}"),
        format!("/apps/{app}/records/new"),
        format!("/apps/{app}/settings"),
        "/search?q=%E8%AA%BF%E6%9F%BB".to_owned(),
        "/settings".to_owned(),
        "/guide".to_owned(),
    ] {
        let html = page(p, &session, &path);
        external.extend(
            external_refs(&html, &own)
                .into_iter()
                .map(|r| format!("{path}: {r}")),
        );
    }
    let login = reqwest::blocking::get(format!("{own}/login"))
        .unwrap()
        .text()
        .unwrap();
    external.extend(
        external_refs(&login, &own)
            .into_iter()
            .map(|r| format!("/login: {r}")),
    );
    assert!(
        external.is_empty(),
        "pages reference other hosts: {external:?}"
    );

    // Stop kumiki; strace then writes its last lines and exits.
    server.kill9();
    let log = std::fs::read_to_string(&trace).unwrap();
    assert!(log.contains("+++ killed by SIGKILL +++"), "no trace: {log}");
    let connects: Vec<&str> = log.lines().filter(|l| l.contains("connect(")).collect();
    let foreign: Vec<String> = connects.iter().filter_map(|l| foreign_connect(l)).collect();
    let processes: std::collections::HashSet<&str> = log
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    eprintln!(
        "{} connect calls from {} traced processes/threads, {} foreign",
        connects.len(),
        processes.len(),
        foreign.len()
    );
    // The extraction child was traced too: kumiki's own execve and at least one more.
    let execs = log
        .lines()
        .filter(|l| l.contains("execve(") && l.contains("= 0"))
        .count();
    assert!(execs >= 2, "the extraction child was not traced: {log}");
    if store.pg.is_some() {
        assert!(
            log.contains("htons(5432)"),
            "the trace shows no PostgreSQL connection, so it saw nothing"
        );
    }
    assert!(
        foreign.is_empty(),
        "connections outside the machine: {foreign:?}"
    );
}
