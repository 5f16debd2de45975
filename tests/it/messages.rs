//! Messages as keys and request ids: the kintone API keeps kintone's English wire texts and its
//! envelope, a call made from a signed-in page gets the texts of the server's catalogs in the user's
//! language, every response names its request id, and an internal fault is logged with the id the
//! client received, inside the request's span.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use kumiki_tests::{page_client, TestApp, ADMIN_PASSWORD};
use serde_json::{json, Value};

/// The Japanese record messages, read from the catalog the server embeds.
fn records_ja(key: &str, v: &str) -> String {
    let catalog: Value =
        serde_json::from_str(include_str!("../../platform/i18n/records.ja.json")).unwrap();
    catalog[key].as_str().unwrap().replace("{v}", v)
}

fn api_ja(key: &str) -> String {
    let catalog: Value =
        serde_json::from_str(include_str!("../../platform/i18n/api.ja.json")).unwrap();
    catalog[key].as_str().unwrap().to_owned()
}

/// An app with a unique required text and a number of at most 10, and one record `A-1`.
fn app_with_checks(app: &TestApp) -> i64 {
    let id = app.create_app(
        "Checks",
        json!({
            "code": {"type": "SINGLE_LINE_TEXT", "code": "code", "label": "Code", "required": true, "unique": true},
            "qty": {"type": "NUMBER", "code": "qty", "label": "Qty", "maxValue": "10"}
        }),
    );
    app.add_record(id, json!({"code": {"value": "A-1"}}));
    id
}

fn messages(body: &Value, key: &str) -> Vec<String> {
    body["errors"][key]["messages"]
        .as_array()
        .unwrap_or_else(|| panic!("no messages for {key}: {body}"))
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_api_keeps_kintones_wire_messages_and_envelope() {
    let app = TestApp::spawn();
    let id = app_with_checks(&app);
    let (s, b) = app.post(
        "/k/v1/record.json",
        json!({"app": id, "record": {"code": {"value": ""}, "qty": {"value": "11"}}}),
    );
    assert_eq!(s, 400, "{b}");
    let mut members: Vec<&String> = b.as_object().unwrap().keys().collect();
    members.sort();
    assert_eq!(members, ["code", "errors", "id", "message"], "{b}");
    assert_eq!(b["code"], "CB_VA01");
    assert_eq!(b["message"], "Missing or invalid input.");
    assert_eq!(messages(&b, "record.code.value"), ["Required."]);
    assert_eq!(
        messages(&b, "record.qty.value"),
        ["The value must be 10 or less."]
    );
    // The unique check runs once the values are valid.
    let duplicate = json!({"app": id, "record": {"code": {"value": "A-1"}}});
    let (s, b) = app.post("/k/v1/record.json", duplicate.clone());
    assert_eq!(s, 400, "{b}");
    assert_eq!(
        messages(&b, "record.code.value"),
        ["This value already exists in another record."]
    );
    // Accept-Language: ja gets the Japanese catalog, in the same envelope.
    let post_ja = |body: &Value| -> Value {
        app.client
            .post(app.url("/k/v1/record.json"))
            .header(
                "X-Cybozu-Authorization",
                base64_login("Administrator", ADMIN_PASSWORD),
            )
            .header("Accept-Language", "ja")
            .json(body)
            .send()
            .unwrap()
            .json()
            .unwrap()
    };
    let b = post_ja(&json!({"app": id, "record": {"code": {"value": ""}, "qty": {"value": "11"}}}));
    assert_eq!(b["message"], api_ja("api.CB_VA01").as_str());
    assert_eq!(
        messages(&b, "record.qty.value"),
        [records_ja("records.err.max_value", "10")]
    );
    assert_eq!(
        messages(&post_ja(&duplicate), "record.code.value"),
        [records_ja("records.err.unique", "")]
    );
}

#[test]
fn a_page_call_gets_the_catalog_texts_in_the_users_language() {
    let app = TestApp::spawn();
    let id = app_with_checks(&app);
    let session = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    let csrf = page_csrf(&app, &session);
    // The browser's Accept-Language does not matter: the user's language (Japanese) does.
    let post = |record: Value| -> Value {
        let resp = page_client()
            .post(app.url("/k/v1/record.json"))
            .header("Cookie", &session)
            .header("X-CSRF-Token", &csrf)
            .header("Accept-Language", "en-US")
            .json(&json!({"app": id, "record": record}))
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 400);
        resp.json().unwrap()
    };
    let b = post(json!({"code": {"value": ""}, "qty": {"value": "11"}}));
    assert_eq!(b["code"], "CB_VA01");
    assert_eq!(b["message"], api_ja("api.CB_VA01").as_str());
    assert_eq!(
        messages(&b, "record.code.value"),
        [records_ja("records.err.required", "")]
    );
    assert_eq!(
        messages(&b, "record.qty.value"),
        [records_ja("records.err.max_value", "10")]
    );
    let b = post(json!({"code": {"value": "A-1"}}));
    assert_eq!(
        messages(&b, "record.code.value"),
        [records_ja("records.err.unique", "")]
    );
    // A top-level error of a page call too (a missing record).
    let resp = page_client()
        .get(app.url(&format!("/k/v1/record.json?app={id}&id=999")))
        .header("Cookie", &session)
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    let b: Value = resp.json().unwrap();
    assert_eq!(b["code"], "GAIA_RE01");
    let expected = api_ja("api.GAIA_RE01").replace("{id}", "999");
    assert_eq!(b["message"], expected.as_str());
}

#[test]
fn every_response_names_its_request_id() {
    let app = TestApp::spawn();
    let request_id = |sent: Option<&str>| -> String {
        let mut rb = app.client.get(app.url("/k/v1/apps.json"));
        if let Some(id) = sent {
            rb = rb.header("X-Request-Id", id);
        }
        let resp = rb.send().unwrap();
        assert_eq!(resp.status().as_u16(), 401, "no credentials");
        resp.headers()
            .get("x-request-id")
            .expect("X-Request-Id on an error response")
            .to_str()
            .unwrap()
            .to_owned()
    };
    let made = request_id(None);
    assert_eq!(made.len(), 32, "{made}");
    assert_ne!(made, request_id(None), "each request gets its own id");
    assert_eq!(request_id(Some("edge-7f3a.01:2")), "edge-7f3a.01:2");
    for unsafe_id in ["a b", "<script>", &"x".repeat(65)] {
        let got = request_id(Some(unsafe_id));
        assert_ne!(got, unsafe_id);
        assert_eq!(got.len(), 32, "a new id replaces {unsafe_id:?}");
    }
    let page = page_client().get(app.url("/login")).send().unwrap();
    assert!(page.headers().contains_key("x-request-id"), "pages too");
}

/// Error lines of every server of this test binary, written as the `kumiki` binary writes them.
fn error_log() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&log);
        let installed = tracing_subscriber::fmt()
            .with_max_level(tracing_subscriber::filter::LevelFilter::ERROR)
            .with_ansi(false)
            .with_writer(move || LogWriter(Arc::clone(&sink)))
            .try_init();
        assert!(installed.is_ok(), "no other test installs a subscriber");
        log
    })
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn an_internal_error_is_logged_with_the_envelope_id_and_the_request_id() {
    let log = error_log();
    let app = TestApp::spawn();
    let id = app.create_app(
        "Broken",
        json!({"title": {"type": "SINGLE_LINE_TEXT", "code": "title", "label": "Title"}}),
    );
    let record = app.add_record(id, json!({"title": {"value": "x"}}));
    // A fault of ours: the comments table is gone.
    let drop = diesel::sql_query("DROP TABLE record_comments");
    if let Some(path) = app.database_url.strip_prefix("sqlite://") {
        // The server's background threads (indexer, job runner) write too: wait for the lock.
        let mut c = SqliteConnection::establish(path).unwrap();
        diesel::sql_query("PRAGMA busy_timeout = 10000")
            .execute(&mut c)
            .unwrap();
        drop.execute(&mut c).unwrap();
    } else {
        drop.execute(&mut PgConnection::establish(&app.database_url).unwrap())
            .unwrap();
    }
    let resp = app
        .client
        .get(app.url(&format!(
            "/k/v1/record/comments.json?app={id}&record={record}"
        )))
        .header(
            "X-Cybozu-Authorization",
            base64_login("Administrator", ADMIN_PASSWORD),
        )
        .header("X-Request-Id", format!("it-{id}-{record}-comments"))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 500);
    let request_id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    let b: Value = resp.json().unwrap();
    assert_eq!(b["code"], "CB_IN01");
    assert!(
        !b.to_string().contains("record_comments"),
        "no details: {b}"
    );
    let error_id = b["id"].as_str().unwrap().to_owned();
    let text = String::from_utf8(log.lock().unwrap().clone()).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains(&format!("error_id={error_id}")))
        .unwrap_or_else(|| panic!("no log line with error_id={error_id} in:\n{text}"));
    assert!(
        line.contains(&format!("id={request_id}")),
        "the line names the request: {line}"
    );
    assert!(
        line.contains(&format!("app_id={id}")),
        "and the app: {line}"
    );
    assert!(line.contains("record_comments"), "and the detail: {line}");
}

fn base64_login(login: &str, password: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{login}:{password}"))
}

fn page_csrf(app: &TestApp, session: &str) -> String {
    let html = page_client()
        .get(app.url("/"))
        .header("Cookie", session)
        .send()
        .unwrap()
        .text()
        .unwrap();
    let marker = "<script type=\"application/json\" id=\"kumiki-session\">\"";
    let start = html.find(marker).unwrap() + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}
