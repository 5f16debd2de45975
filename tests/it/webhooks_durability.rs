//! Webhook deliveries survive a crash (issue 13 part "webhooks"): the REAL `kumiki` binary is killed
//! with SIGKILL while it sends a batch of deliveries to a slow receiver; after a restart on the same
//! data directory and database every event arrives, and an event sent twice (its attempt was cut
//! off by the kill) carries the same delivery id both times.
//!
//! The binary comes from `KUMIKI_BIN`, else `kumiki` next to this test's target directory.

use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kumiki_tests::{kumiki_bin, PgDatabase};
use serde_json::{json, Value};

use crate::webhooks::{Answer, Receiver};

const PASSWORD: &str = "webhook-durability-password";

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(data: &std::path::Path, pg: Option<&PgDatabase>) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = Command::new(kumiki_bin());
    cmd.arg("--data-dir").arg(data);
    if let Some(db) = pg {
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
    let mut server = Server { child, port };
    let started = Instant::now();
    while reqwest::blocking::get(format!("http://127.0.0.1:{port}/healthz")).is_err() {
        assert!(started.elapsed() < Duration::from_secs(60), "no start");
        assert!(
            server.child.try_wait().unwrap().is_none(),
            "exited at start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

fn call(port: u16, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
    use base64::Engine as _;
    let auth =
        base64::engine::general_purpose::STANDARD.encode(format!("Administrator:{PASSWORD}"));
    let mut req = reqwest::blocking::Client::new()
        .request(method.clone(), format!("http://127.0.0.1:{port}{path}"))
        .header("X-Cybozu-Authorization", auth);
    if method != reqwest::Method::GET {
        req = req.json(&body);
    }
    let resp = req.send().unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().unwrap_or(Value::Null))
}

#[test]
fn a_sigkill_during_deliveries_loses_none() {
    let data = tempfile::tempdir().unwrap();
    let pg = PgDatabase::create();
    // A slow receiver: each answer takes 300 ms, so the kill finds deliveries in flight.
    let rx = Receiver::start(|_| {
        std::thread::sleep(Duration::from_millis(300));
        Answer::Status(200)
    });
    let server = start(data.path(), pg.as_ref());
    let port = server.port;
    let (s, b) = call(
        port,
        reqwest::Method::POST,
        "/k/v1/preview/app.json",
        json!({"name": "耐久"}),
    );
    assert_eq!(s, 200, "{b}");
    let app: i64 = b["app"].as_str().unwrap().parse().unwrap();
    let (s, b) = call(
        port,
        reqwest::Method::POST,
        "/k/v1/preview/app/form/fields.json",
        json!({"app": app, "properties": {"件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"}}}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = call(
        port,
        reqwest::Method::POST,
        "/k/v1/preview/app/deploy.json",
        json!({"apps": [{"app": app}]}),
    );
    assert_eq!(s, 200, "{b}");
    std::thread::sleep(Duration::from_secs(2));
    let (s, b) = call(
        port,
        reqwest::Method::PUT,
        "/api/app/webhooks.json",
        json!({"app": app, "webhooks": [{"name": "受信", "url": rx.url(), "events": ["ADD_RECORD"]}]}),
    );
    assert_eq!(s, 200, "{b}");
    let records: Vec<Value> = (0..40)
        .map(|i| json!({"件名": {"value": format!("件{i}")}}))
        .collect();
    let (s, b) = call(
        port,
        reqwest::Method::POST,
        "/k/v1/records.json",
        json!({"app": app, "records": records}),
    );
    assert_eq!(s, 200, "{b}");
    let expected: HashSet<String> = b["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(expected.len(), 40);
    // Kill once some, not all, have arrived.
    rx.wait_for(Duration::from_secs(30), |g| g.len() >= 5);
    drop(server);
    let before = rx.received().len();
    assert!(
        before < 40,
        "all arrived before the kill; the test proves nothing"
    );

    let server = start(data.path(), pg.as_ref());
    rx.wait_for(Duration::from_secs(60), |g| {
        let seen: HashSet<String> = g
            .iter()
            .map(|r| {
                r.json()["record"]["$id"]["value"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        seen == expected
    });
    // The rows the killed server was sending wait for their lease (30 s) to end, then go again;
    // the log ends with every delivery delivered.
    let started = Instant::now();
    loop {
        let (s, b) = call(
            server.port,
            reqwest::Method::GET,
            &format!("/api/app/webhook/deliveries.json?app={app}&limit=100"),
            Value::Null,
        );
        assert_eq!(s, 200, "{b}");
        let log = b["deliveries"].as_array().unwrap();
        if log.len() == 40 && log.iter().all(|d| d["state"] == "delivered") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(90), "{b}");
        std::thread::sleep(Duration::from_millis(500));
    }
    let got = rx.received();
    // Those cut off by the kill arrived twice (the receiver had them, the server never learnt).
    assert!(got.len() > 40, "no delivery was in flight at the kill");
    let mut ids: HashMap<String, HashSet<String>> = HashMap::new();
    for r in &got {
        let record = r.json()["record"]["$id"]["value"]
            .as_str()
            .unwrap()
            .to_owned();
        ids.entry(record)
            .or_default()
            .insert(r.header("X-Kumiki-Delivery").unwrap().to_owned());
    }
    for (record, deliveries) in &ids {
        assert_eq!(deliveries.len(), 1, "record {record}: {deliveries:?}");
    }
}
