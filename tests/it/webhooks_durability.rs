//! Webhook deliveries survive a crash (issue 13 part "webhooks"): the REAL `kumiki` binary is killed
//! with SIGKILL while it sends a batch of deliveries to a slow receiver; after a restart on the same
//! data directory and database every event arrives, and an event sent twice (its attempt was cut
//! off by the kill) carries the same delivery id both times.
//!
//! The binary comes from `KUMIKI_BIN`, else `kumiki` next to this test's target directory.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use kumiki_tests::PgDatabase;
use serde_json::{json, Value};

use crate::real_server::RealServer;
use crate::webhooks::{Answer, Receiver};

const PASSWORD: &str = "webhook-durability-password";
const ADMIN: (&str, &str) = ("Administrator", PASSWORD);

#[test]
fn a_sigkill_during_deliveries_loses_none() {
    let data = tempfile::tempdir().unwrap();
    let pg = PgDatabase::create();
    // A slow receiver: it holds each request 300 ms before answering, and the fifth to eighth
    // for 2 s, so the kill (once five have arrived) finds a delivery in flight even when a busy
    // machine delays this thread (it once missed a 300 ms window under the full test run's load).
    let rx = Receiver::start(|i| {
        let hold = if (4..8).contains(&i) { 2_000 } else { 300 };
        Answer::Slow(Duration::from_millis(hold), 200)
    });
    let mut server = RealServer::start(data.path(), pg.as_ref(), PASSWORD, &[]);
    let app = server.deployed_app(
        ADMIN,
        "耐久",
        json!({"件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"}}),
    );
    let (s, b) = server.call(reqwest::Method::PUT, "/api/app/webhooks.json", ADMIN,
        json!({"app": app, "webhooks": [{"name": "受信", "url": rx.url(), "events": ["ADD_RECORD"]}]}),
    );
    assert_eq!(s, 200, "{b}");
    let records: Vec<Value> = (0..40)
        .map(|i| json!({"件名": {"value": format!("件{i}")}}))
        .collect();
    let (s, b) = server.call(
        reqwest::Method::POST,
        "/k/v1/records.json",
        ADMIN,
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
    server.kill9();
    let before = rx.received().len();
    assert!(
        before < 40,
        "all arrived before the kill; the test proves nothing"
    );

    server.restart();
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
        let (s, b) = server.call(
            reqwest::Method::GET,
            &format!("/api/app/webhook/deliveries.json?app={app}&limit=100"),
            ADMIN,
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
