//! Per-app webhooks (issue 13 part "webhooks") against a real receiver: a small HTTP server on a
//! random port in the test. Each event type delivers kintone's payload, signed; a receiver that
//! fails is retried with the same delivery id; one that hangs times out; URLs that point at the
//! server itself or are not http(s) are refused; only app managers see or change webhooks.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use kumiki_tests::{Auth, TestApp};
use serde_json::{json, Value};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// What the receiver answers to its n-th request (0-based).
pub enum Answer {
    Status(u16),
    /// Never answers (holds the connection this long).
    Hang(Duration),
    /// Takes the request (it is in `got` at once), then answers with the status after this long.
    Slow(Duration, u16),
}

/// A minimal HTTP/1.1 receiver: one thread, one request per connection.
pub struct Receiver {
    pub port: u16,
    pub got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub fn start(answer: impl Fn(usize) -> Answer + Send + Sync + 'static) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let got = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&got);
        let answer = Arc::new(answer);
        std::thread::spawn(move || {
            let mut n = 0;
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (log, answer, i) = (Arc::clone(&log), Arc::clone(&answer), n);
                n += 1;
                std::thread::spawn(move || serve(stream, &log, answer(i)));
            }
        });
        Receiver { port, got }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until `pred` holds on what was received.
    pub fn wait_for(&self, limit: Duration, pred: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let start = Instant::now();
        loop {
            let got = self.received();
            if pred(&got) {
                return got;
            }
            assert!(
                start.elapsed() < limit,
                "the receiver did not get what was expected in time; got {got:#?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn serve(stream: std::net::TcpStream, log: &Mutex<Vec<Received>>, answer: Answer) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut headers = Vec::new();
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.trim_end().split_once(':') {
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    log.lock().unwrap().push(Received {
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let mut stream = stream;
    let status = |stream: &mut std::net::TcpStream, code: u16| {
        let _ = write!(
            stream,
            "HTTP/1.1 {code} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
        );
    };
    match answer {
        Answer::Status(code) => status(&mut stream, code),
        Answer::Hang(d) => std::thread::sleep(d),
        Answer::Slow(d, code) => {
            std::thread::sleep(d);
            status(&mut stream, code);
        }
    }
}

/// The signature a receiver expects, computed here independently of the server.
pub fn expected_signature(secret: &str, timestamp: &str, body: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{body}").as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

const PW: &str = "password-1234";

fn fields() -> Value {
    json!({
        "件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"},
        "数量": {"type": "NUMBER", "code": "数量", "label": "数量"}
    })
}

/// Adds one webhook for `events` to `app`; returns its id and secret.
pub fn add_webhook(app: &TestApp, id: i64, url: &str, events: &[&str]) -> (String, String) {
    let (s, b) = app.put(
        "/api/app/webhooks.json",
        json!({"app": id, "webhooks": [{"name": "受信", "url": url, "events": events}]}),
    );
    assert_eq!(s, 200, "{b}");
    let hook = b["webhooks"][0]["id"].as_str().unwrap().to_owned();
    let (s, b) = app.post(
        "/api/app/webhook/secret.json",
        json!({"app": id, "id": hook}),
    );
    assert_eq!(s, 200, "{b}");
    (hook, b["secret"].as_str().unwrap().to_owned())
}

/// The delivery log of `app`.
pub fn log(app: &TestApp, id: i64) -> Vec<Value> {
    let (s, b) = app.get(&format!("/api/app/webhook/deliveries.json?app={id}"));
    assert_eq!(s, 200, "{b}");
    b["deliveries"].as_array().unwrap().clone()
}

#[test]
fn each_event_delivers_kintones_payload_signed() {
    let app = TestApp::spawn();
    let rx = Receiver::start(|_| Answer::Status(200));
    let id = app.create_app("備品管理", fields());
    let (s, b) = app.put(
        "/k/v1/preview/app/status.json",
        json!({"app": id, "enable": true,
            "states": {"未処理": {"name": "未処理", "index": "0"}, "完了": {"name": "完了", "index": "1", "assignee": {"type": "ONE", "entities": []}}},
            "actions": [{"name": "完了にする", "from": "未処理", "to": "完了"}]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    let (_, secret) = add_webhook(
        &app,
        id,
        &rx.url(),
        &[
            "ADD_RECORD",
            "UPDATE_RECORD",
            "DELETE_RECORD",
            "UPDATE_STATUS",
            "ADD_RECORD_COMMENT",
        ],
    );

    let rid = app.add_record(
        id,
        json!({"件名": {"value": "プロジェクター"}, "数量": {"value": "2"}}),
    );
    rx.wait_for(Duration::from_secs(10), |g| !g.is_empty());
    let (s, b) = app.put(
        "/k/v1/record.json",
        json!({"app": id, "id": rid, "record": {"数量": {"value": "3"}}}),
    );
    assert_eq!(s, 200, "{b}");
    rx.wait_for(Duration::from_secs(10), |g| g.len() >= 2);
    let (s, b) = app.put(
        "/k/v1/record/status.json",
        json!({"app": id, "id": rid, "action": "完了にする"}),
    );
    assert_eq!(s, 200, "{b}");
    rx.wait_for(Duration::from_secs(10), |g| g.len() >= 3);
    let (s, b) = app.post(
        "/k/v1/record/comment.json",
        json!({"app": id, "record": rid, "comment": {"text": "確認しました"}}),
    );
    assert_eq!(s, 200, "{b}");
    rx.wait_for(Duration::from_secs(10), |g| g.len() >= 4);
    let (s, b) = app.delete("/k/v1/records.json", json!({"app": id, "ids": [rid]}));
    assert_eq!(s, 200, "{b}");

    let got = rx.wait_for(Duration::from_secs(20), |g| g.len() >= 5);
    let by_type = |t: &str| {
        got.iter()
            .find(|r| r.json()["type"] == t)
            .unwrap_or_else(|| panic!("no {t} delivery in {got:#?}"))
            .clone()
    };
    let rid_s = rid.to_string();
    let record_url = format!("/apps/{id}/records/{rid}");

    let add = by_type("ADD_RECORD").json();
    assert_eq!(
        add["app"],
        json!({"id": id.to_string(), "name": "備品管理"})
    );
    assert_eq!(add["record"]["件名"]["value"], "プロジェクター");
    assert_eq!(add["record"]["$id"]["value"], rid_s);
    assert_eq!(add["recordTitle"], "プロジェクター");
    assert!(add["url"].as_str().unwrap().ends_with(&record_url), "{add}");
    let keys: Vec<&String> = add.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["id", "type", "app", "record", "recordTitle", "url"]);

    let update = by_type("UPDATE_RECORD").json();
    assert_eq!(update["record"]["数量"]["value"], "3");

    let status = by_type("UPDATE_STATUS").json();
    let status_field = status["record"]
        .as_object()
        .unwrap()
        .values()
        .find(|f| f["type"] == "STATUS")
        .unwrap_or_else(|| panic!("no STATUS field in {status}"));
    assert_eq!(status_field["value"], "完了", "{status}");

    let comment = by_type("ADD_RECORD_COMMENT").json();
    assert_eq!(comment["recordId"], rid_s);
    assert_eq!(comment["comment"]["text"], "確認しました");
    assert_eq!(comment["comment"]["creator"]["code"], "Administrator");
    assert!(comment["url"].as_str().unwrap().ends_with(&record_url));

    let delete = by_type("DELETE_RECORD").json();
    assert_eq!(delete["recordId"], rid_s);
    assert_eq!(delete["deletedBy"]["code"], "Administrator");
    assert!(delete["deletedAt"].as_str().unwrap().ends_with('Z'));
    assert!(delete.get("record").is_none());

    // Every delivery is signed over "<timestamp>.<body>" with the webhook's secret, and its id is
    // the payload's id.
    for r in &got {
        let ts = r.header("X-Kumiki-Timestamp").unwrap();
        assert_eq!(
            r.header("X-Kumiki-Signature").unwrap(),
            expected_signature(&secret, ts, &r.body)
        );
        assert_ne!(
            r.header("X-Kumiki-Signature").unwrap(),
            expected_signature("another secret", ts, &r.body)
        );
        assert_eq!(r.header("X-Kumiki-Delivery").unwrap(), r.json()["id"]);
        assert_eq!(r.header("Content-Type").unwrap(), "application/json");
    }
    // The log shows them delivered.
    let start = Instant::now();
    while log(&app, id).iter().any(|d| d["state"] != "delivered") {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{:#?}",
            log(&app, id)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let entries = log(&app, id);
    assert_eq!(entries.len(), 5);
    assert!(entries.iter().all(|d| d["responseCode"] == 200));
}

#[test]
fn a_failing_receiver_is_retried_with_the_same_delivery_id() {
    let app = TestApp::spawn_with(|s| s.webhook_retry_base_secs = 1);
    let rx = Receiver::start(|n| Answer::Status(if n < 2 { 500 } else { 200 }));
    let id = app.create_app("受付", fields());
    add_webhook(&app, id, &rx.url(), &["ADD_RECORD"]);
    app.add_record(id, json!({"件名": {"value": "一件"}}));
    let got = rx.wait_for(Duration::from_secs(30), |g| g.len() >= 3);
    let ids: Vec<&str> = got
        .iter()
        .map(|r| r.header("X-Kumiki-Delivery").unwrap())
        .collect();
    assert!(ids.iter().all(|d| *d == ids[0]), "{ids:?}");
    assert!(got.iter().all(|r| r.body == got[0].body));
    let start = Instant::now();
    loop {
        let entry = log(&app, id)[0].clone();
        if entry["state"] == "delivered" {
            assert_eq!(entry["attempts"], 3);
            assert_eq!(entry["responseCode"], 200);
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{entry}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_hanging_receiver_times_out_and_does_not_block_others() {
    let app = TestApp::spawn();
    let hang = Receiver::start(|_| Answer::Hang(Duration::from_secs(60)));
    let ok = Receiver::start(|_| Answer::Status(200));
    let id = app.create_app("受付", fields());
    let (s, b) = app.put(
        "/api/app/webhooks.json",
        json!({"app": id, "webhooks": [
            {"name": "止まる", "url": hang.url(), "events": ["ADD_RECORD"]},
            {"name": "動く", "url": ok.url(), "events": ["ADD_RECORD"]}]}),
    );
    assert_eq!(s, 200, "{b}");
    let started = Instant::now();
    app.add_record(id, json!({"件名": {"value": "一件"}}));
    ok.wait_for(Duration::from_secs(8), |g| g.len() == 1);
    hang.wait_for(Duration::from_secs(8), |g| g.len() == 1);
    // The 10 s limit ends the hanging attempt well before the receiver would answer.
    loop {
        let stuck = log(&app, id)
            .into_iter()
            .find(|d| d["state"] != "delivered")
            .unwrap();
        if stuck["lastError"]
            .as_str()
            .is_some_and(|e| e.contains("timed out"))
        {
            assert_eq!(stuck["state"], "queued", "{stuck}");
            assert!(started.elapsed() < Duration::from_secs(30));
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(25), "{stuck}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn bad_urls_are_refused_with_kintone_errors() {
    let app = TestApp::spawn();
    let id = app.create_app("受付", fields());
    let own = format!("http://localhost:{}/k/v1/record.json", app.port);
    let own_ip = format!("http://127.0.0.1:{}/", app.port);
    for (url, why) in [
        ("ftp://example.com/hook", "http"),
        ("javascript:alert(1)", "http"),
        (own.as_str(), "this server"),
        (own_ip.as_str(), "this server"),
        ("http://user:pass@example.com/", "user name"),
    ] {
        let (s, b) = app.put(
            "/api/app/webhooks.json",
            json!({"app": id, "webhooks": [{"name": "x", "url": url, "events": ["ADD_RECORD"]}]}),
        );
        assert_eq!(s, 400, "{url}: {b}");
        assert_eq!(b["code"], "CB_VA01");
        let msg = b["errors"]["webhooks[0].url"]["messages"][0]
            .as_str()
            .unwrap();
        assert!(msg.contains(why), "{url}: {msg}");
    }
    let (s, b) = app.put(
        "/api/app/webhooks.json",
        json!({"app": id, "webhooks": [{"name": "x", "url": "https://example.com/", "events": ["NOPE"]}]}),
    );
    assert_eq!(s, 400, "{b}");
    assert!(b["errors"]["webhooks[0].events"].is_object(), "{b}");
    // A receiver in the closed network (a private address on another port) is legitimate.
    let (s, b) = app.put(
        "/api/app/webhooks.json",
        json!({"app": id, "webhooks": [{"name": "庁内", "url": "http://10.0.0.5:8080/in", "events": ["ADD_RECORD"]}]}),
    );
    assert_eq!(s, 200, "{b}");
    // Nothing was saved by the refused calls.
    let (_, b) = app.get(&format!("/api/app/webhooks.json?app={id}"));
    assert_eq!(b["webhooks"].as_array().unwrap().len(), 1);
}

#[test]
fn only_app_managers_see_and_change_webhooks_and_it_is_audited() {
    let app = TestApp::spawn();
    app.user("sato", PW);
    let id = app.create_app("受付", fields());
    let (hook, _) = add_webhook(&app, id, "https://hooks.example.lg.jp/in", &["ADD_RECORD"]);
    let sato = app.with_auth(Auth::Password("sato".into(), PW.into()));
    // sato may use the app (everyone may by default) but not manage it.
    let (s, _) = sato.get(&format!("/k/v1/records.json?app={id}"));
    assert_eq!(s, 200);
    for (s, b) in [
        sato.get(&format!("/api/app/webhooks.json?app={id}")),
        sato.put("/api/app/webhooks.json", json!({"app": id, "webhooks": []})),
        sato.post(
            "/api/app/webhook/secret.json",
            json!({"app": id, "id": hook}),
        ),
        sato.post(
            "/api/app/webhook/secret.json",
            json!({"app": id, "id": hook, "regenerate": true}),
        ),
        sato.get(&format!("/api/app/webhook/deliveries.json?app={id}")),
        sato.post("/api/app/webhook/test.json", json!({"app": id, "id": hook})),
    ] {
        assert_eq!(s, 403, "{b}");
    }
    // Regenerating changes the secret; both the change and each view are audited.
    let (_, b) = app.post(
        "/api/app/webhook/secret.json",
        json!({"app": id, "id": hook}),
    );
    let old = b["secret"].as_str().unwrap().to_owned();
    let (s, b) = app.post(
        "/api/app/webhook/secret.json",
        json!({"app": id, "id": hook, "regenerate": true}),
    );
    assert_eq!(s, 200, "{b}");
    assert_ne!(b["secret"].as_str().unwrap(), old);
    let db = kumiki_engine::db::Database::connect(&app.database_url, 1).unwrap();
    let mut conn = db.conn().unwrap();
    let actions: Vec<String> = kumiki_engine::audit::list(
        &mut conn,
        &kumiki_engine::audit::AuditFilter::default(),
        200,
        0,
    )
    .unwrap()
    .into_iter()
    .map(|e| e.action)
    .collect();
    for a in [
        "webhook.update",
        "webhook.secret.view",
        "webhook.secret.regenerate",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} not in {actions:?}");
    }
}

#[test]
fn a_test_delivery_is_sent_and_logged() {
    let app = TestApp::spawn();
    let rx = Receiver::start(|_| Answer::Status(204));
    let id = app.create_app("受付", fields());
    let (hook, _) = add_webhook(&app, id, &rx.url(), &["ADD_RECORD"]);
    let (s, b) = app.post("/api/app/webhook/test.json", json!({"app": id, "id": hook}));
    assert_eq!(s, 200, "{b}");
    let delivery = b["delivery"].as_str().unwrap().to_owned();
    let got = rx.wait_for(Duration::from_secs(10), |g| g.len() == 1);
    assert_eq!(got[0].header("X-Kumiki-Delivery").unwrap(), delivery);
    assert_eq!(got[0].json()["test"], true);
}
