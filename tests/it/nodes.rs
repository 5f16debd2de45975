//! Issue 19: three `kumiki` processes on loopback ports against one PostgreSQL database, each with its
//! own data directory (its search index) and one shared attachments directory, as
//! docs/operations.md "Several nodes" describes. A record written on one node is read, found and
//! notified on the others; an upload on one is downloaded from the others; killing a node loses
//! nothing it acknowledged; the webhook deliveries of the change log (jobs claimed under a lease)
//! go out once each although every node runs a sender; a due scheduled script runs once. PostgreSQL
//! only: several nodes need it.

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use kumiki_engine::db::Database;
use kumiki_engine::jobs::JobState;
use kumiki_platform::script_schedule::HOURLY;
use kumiki_tests::{kumiki_bin, url_encode, PgDatabase};
use serde_json::{json, Value};

use crate::real_server::RealServer;
use crate::webhooks::{Answer, Received, Receiver};

const PASSWORD: &str = "three-nodes-admin-password";
const ADMIN: (&str, &str) = ("Administrator", PASSWORD);
const SATO: (&str, &str) = ("sato", "sato-three-nodes-1");

/// The record id a webhook delivery is about.
fn record_of(r: &Received) -> String {
    r.json()["record"]["$id"]["value"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Hits of `q` on `node`, once there are `n` of them; returns how long that took.
fn found_within(node: &RealServer, q: &str, n: usize, limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let (s, b) = node.call(
            reqwest::Method::GET,
            &format!("/api/search.json?q={}", url_encode(q)),
            ADMIN,
            Value::Null,
        );
        assert_eq!(s, 200, "{b}");
        let hits = b["hits"].as_array().unwrap().len();
        if hits >= n {
            assert_eq!(hits, n, "{b}");
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "node on port {}: {q} not found within {limit:?}: {b}",
            node.port
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn add_record(node: &RealServer, app: i64, title: &str) -> i64 {
    let (s, b) = node.call(
        reqwest::Method::POST,
        "/k/v1/record.json",
        ADMIN,
        json!({"app": app, "record": {"件名": {"value": title}}}),
    );
    assert_eq!(s, 200, "{b}");
    b["id"].as_str().unwrap().parse().unwrap()
}

fn title_on(node: &RealServer, app: i64, id: i64) -> String {
    let (s, b) = node.call(
        reqwest::Method::GET,
        &format!("/k/v1/record.json?app={app}&id={id}"),
        ADMIN,
        Value::Null,
    );
    assert_eq!(s, 200, "{b}");
    b["record"]["件名"]["value"].as_str().unwrap().to_owned()
}

fn start_node(data: &Path, pg: &PgDatabase, files: &Path) -> RealServer {
    RealServer::start(
        data,
        Some(pg),
        PASSWORD,
        &["--files-dir".to_owned(), files.display().to_string()],
    )
}

#[test]
fn three_nodes_share_records_search_files_notifications_and_jobs() {
    let Some(pg) = PgDatabase::create() else {
        eprintln!("three nodes need PostgreSQL: this test runs in the PostgreSQL pass");
        return;
    };
    let shared = tempfile::tempdir().unwrap();
    let files = shared.path().join("files");
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let a = start_node(dirs[0].path(), &pg, &files);
    // Every node signs with the same key (docs/operations.md "Secrets"): copied from the first.
    for d in &dirs[1..] {
        std::fs::copy(dirs[0].path().join("jwt.key"), d.path().join("jwt.key")).unwrap();
    }
    let b = start_node(dirs[1].path(), &pg, &files);
    let mut c = start_node(dirs[2].path(), &pg, &files);
    let out = Command::new(kumiki_bin())
        .args(["--data-dir"])
        .arg(dirs[0].path())
        .args(["--database-url", &pg.url(), "user", "add", SATO.0])
        .env("KUMIKI_USER_PASSWORD", SATO.1)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let app = a.deployed_app(
        ADMIN,
        "三台構成",
        json!({
            "件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"},
            "添付": {"type": "FILE", "code": "添付", "label": "添付"},
        }),
    );
    let rx = Receiver::start(|_| Answer::Status(200));
    let (s, body) = b.call(
        reqwest::Method::PUT,
        "/api/app/webhooks.json",
        ADMIN,
        json!({"app": app, "webhooks": [{"name": "受信", "url": rx.url(), "events": ["ADD_RECORD"]}]}),
    );
    assert_eq!(s, 200, "{body}");

    // Written on each node: read at once and found within a second on the other two.
    let nodes = [&a, &b, &c];
    let mut added = Vec::new();
    let mut slowest = Duration::ZERO;
    for (i, writer) in nodes.iter().enumerate() {
        let title = format!("第{i}号機の合言葉{i}");
        let id = add_record(writer, app, &title);
        added.push(id);
        for (j, reader) in nodes.iter().enumerate() {
            if i != j {
                assert_eq!(title_on(reader, app, id), title);
                // The writer's commit wakes the other nodes' indexers (LISTEN/NOTIFY; their poll
                // is 2 s); 5 s only bounds a machine busy with the other test lanes.
                let took = found_within(reader, &format!("合言葉{i}"), 1, Duration::from_secs(5));
                slowest = slowest.max(took);
            }
        }
    }
    eprintln!("slowest search catch-up on another node: {slowest:?}");

    // An upload on one node is downloaded from the others.
    let bytes = "三台で共有する添付ファイル".repeat(100).into_bytes();
    let key = b.upload(ADMIN, "共有.txt", bytes.clone());
    let (s, body) = b.call(
        reqwest::Method::PUT,
        "/k/v1/record.json",
        ADMIN,
        json!({"app": app, "id": added[0], "record": {"添付": {"value": [{"fileKey": key}]}}}),
    );
    assert_eq!(s, 200, "{body}");
    let (_, record) = a.call(
        reqwest::Method::GET,
        &format!("/k/v1/record.json?app={app}&id={}", added[0]),
        ADMIN,
        Value::Null,
    );
    let download = record["record"]["添付"]["value"][0]["fileKey"]
        .as_str()
        .unwrap()
        .to_owned();
    for node in [&a, &c] {
        let (s, got) = node.download(ADMIN, &format!("/k/v1/file.json?fileKey={download}"));
        assert_eq!(s, 200);
        assert_eq!(got, bytes);
    }

    // A mention written on one node reaches the bell read on another, once.
    let (s, body) = c.call(
        reqwest::Method::POST,
        "/k/v1/record/comment.json",
        ADMIN,
        json!({"app": app, "record": added[0], "comment": {"text": "確認をお願いします",
               "mentions": [{"code": SATO.0, "type": "USER"}]}}),
    );
    assert_eq!(s, 200, "{body}");
    let started = Instant::now();
    loop {
        let (s, bell) = b.call(
            reqwest::Method::GET,
            "/api/notifications.json?limit=100",
            SATO,
            Value::Null,
        );
        assert_eq!(s, 200, "{bell}");
        let n = bell["notifications"].as_array().unwrap().len();
        if n > 0 {
            assert_eq!(n, 1, "{bell}");
            assert_eq!(bell["notifications"][0]["body"], "確認をお願いします");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{bell}");
        std::thread::sleep(Duration::from_millis(100));
    }

    // A due scheduled script runs once, on whichever node claims its job first.
    let hourly_app = a.deployed_app(ADMIN, "毎時の集計", json!({}));
    let source = format!("add_record({app}, #{{\"件名\": \"毎時の集計より\"}});");
    let (s, body) = a.call(
        reqwest::Method::PUT,
        "/api/app/scripts.json",
        ADMIN,
        json!({"app": hourly_app, "scripts": crate::jobs::hourly(&source, app)}),
    );
    assert_eq!(s, 200, "{body}");
    a.deploy(ADMIN, hourly_app);
    let db = Database::connect(&pg.url(), 2).unwrap();
    // Every node plans; the app still has one planned job, made due now.
    std::thread::sleep(Duration::from_secs(2));
    let job = crate::jobs::planned(&db, HOURLY, hourly_app);
    crate::jobs::set_run_at(&db, job.id, crate::jobs::now() - 10);
    let ran = |node: &RealServer| {
        let (s, b) = node.call(
            reqwest::Method::GET,
            &format!(
                "/k/v1/records.json?app={app}&query={}&totalCount=true",
                url_encode("件名 = \"毎時の集計より\"")
            ),
            ADMIN,
            Value::Null,
        );
        assert_eq!(s, 200, "{b}");
        b["totalCount"].as_str().unwrap().parse::<i64>().unwrap()
    };
    let started = Instant::now();
    while ran(&b) == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the due job never ran"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Given time to run twice (every node's runner looks every second), none does.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        ran(&c),
        1,
        "the scheduled script ran once across three nodes"
    );
    let all = crate::jobs::jobs_of(&db, HOURLY, hourly_app);
    let done = all.iter().find(|j| j.id == job.id).unwrap();
    assert_eq!((done.state, done.attempts), (JobState::Done, 1), "{done:?}");
    assert_eq!(
        all.iter().filter(|j| j.state.is_pending()).count(),
        1,
        "one next run planned: {all:?}"
    );
    // The script's record goes out as a webhook delivery too.
    let (_, found) = a.call(
        reqwest::Method::GET,
        &format!(
            "/k/v1/records.json?app={app}&query={}",
            url_encode("件名 = \"毎時の集計より\"")
        ),
        ADMIN,
        Value::Null,
    );
    added.push(
        found["records"][0]["$id"]["value"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap(),
    );

    // Killing a node loses nothing it acknowledged; the others go on. (The kill waits until the
    // deliveries so far have arrived: one cut off in flight would rightly be sent again, and this
    // test counts duplicates.)
    let last_on_c = add_record(&c, app, "停止直前の記録");
    added.push(last_on_c);
    let so_far: HashSet<String> = added.iter().map(|id| id.to_string()).collect();
    rx.wait_for(Duration::from_secs(60), |got| {
        got.iter().map(record_of).collect::<HashSet<_>>() == so_far
    });
    c.kill9();
    assert_eq!(title_on(&a, app, last_on_c), "停止直前の記録");
    for i in 0..4 {
        let node = if i % 2 == 0 { &a } else { &b };
        added.push(add_record(node, app, &format!("停止後の記録{i}")));
    }
    found_within(&b, "停止後の記録", 4, Duration::from_secs(5));

    // Each added record was delivered once, by whichever node claimed it.
    let expected: HashSet<String> = added.iter().map(|id| id.to_string()).collect();
    rx.wait_for(Duration::from_secs(60), |got| {
        got.iter().map(record_of).collect::<HashSet<_>>() == expected
    });
    // Given time to send twice, no node does.
    std::thread::sleep(Duration::from_secs(2));
    let got = rx.received();
    assert_eq!(got.len(), expected.len(), "a delivery went out twice");
    let deliveries: HashSet<&str> = got
        .iter()
        .map(|r| r.header("X-Kumiki-Delivery").unwrap())
        .collect();
    assert_eq!(deliveries.len(), expected.len());
}
