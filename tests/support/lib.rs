//! Test support: `TestApp::spawn()` starts the real server on a random port with its own database — a
//! temporary SQLite file, or, when `KUMIKI_TEST_DATABASE_URL` is set (e.g.
//! `postgres://postgres@127.0.0.1:5432/`), a fresh PostgreSQL database dropped when the test ends.
//! Tests therefore run in parallel without shared state.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::mpsc;
use std::thread::JoinHandle;

use base64::Engine as _;
use diesel::{Connection, PgConnection, RunQueryDsl};
use kumiki_platform::{Application, Settings};
use reqwest::blocking::{Client, RequestBuilder};
use serde_json::{json, Value};

pub const ADMIN_PASSWORD: &str = "admin-password-1";

/// Which backend this test run uses.
pub fn postgres_base() -> Option<String> {
    std::env::var("KUMIKI_TEST_DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

/// A PostgreSQL database of one test (when `KUMIKI_TEST_DATABASE_URL` names a server), dropped with
/// it. Tests that start the `kumiki` binary themselves keep one beside their data directory.
pub struct PgDatabase {
    base: String,
    name: String,
}

impl PgDatabase {
    /// A new, empty database on the test server; None when the suite runs on SQLite.
    pub fn create() -> Option<PgDatabase> {
        let base = postgres_base()?;
        let base = if base.ends_with('/') {
            base
        } else {
            format!("{base}/")
        };
        let name = format!("kt_{}", uuid::Uuid::new_v4().simple());
        let mut c =
            PgConnection::establish(&format!("{base}postgres")).expect("connect to PostgreSQL");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut c)
            .expect("create database");
        Some(PgDatabase { base, name })
    }

    pub fn url(&self) -> String {
        format!("{}{}", self.base, self.name)
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut c) = PgConnection::establish(&format!("{}postgres", self.base)) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut c);
        }
    }
}

/// The `kumiki` binary for tests that start the real server process: `KUMIKI_BIN`, else
/// `target/<profile>/kumiki` beside this test binary (`scripts/test.sh` builds it first).
pub fn kumiki_bin() -> std::path::PathBuf {
    if let Some(bin) = std::env::var_os("KUMIKI_BIN").filter(|b| !b.is_empty()) {
        return bin.into();
    }
    let exe = std::env::current_exe().expect("test executable");
    let bin = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target/<profile>")
        .join("kumiki");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p kumiki-platform --bin kumiki` or set KUMIKI_BIN",
        bin.display()
    );
    bin
}

/// A field of `/proc/<pid>/status` in KiB (`VmRSS:`, `VmHWM:`, …); 0 when unreadable.
pub fn process_status_kib(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// The helper binary `kumiki-extract-helper` of this package (built with the tests, next to the
/// `target/<profile>` directory that holds the test binary's `deps/`).
pub fn extract_helper() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>");
    profile_dir.join(format!(
        "kumiki-extract-helper{}",
        std::env::consts::EXE_SUFFIX
    ))
}

/// The extractor the test servers use (a child process, as in production).
pub fn test_extractor() -> kumiki_search::extract::Extractor {
    kumiki_search::extract::Extractor::kumiki(extract_helper())
}

/// How the client authenticates.
#[derive(Clone)]
pub enum Auth {
    Password(String, String),
    Tokens(String),
    Bearer(String),
    None,
}

/// A fresh database for a test server: its own PostgreSQL database when the run uses PostgreSQL,
/// else a SQLite file in `data_dir`; with its URL.
fn test_database(data_dir: &std::path::Path) -> (Option<PgDatabase>, String) {
    let pg = PgDatabase::create();
    let url = match &pg {
        Some(db) => db.url(),
        None => format!("sqlite://{}", data_dir.join("kumiki.db").display()),
    };
    (pg, url)
}

pub struct TestApp {
    pub port: u16,
    /// Issue 15: the port of the public listener, when the settings asked for one.
    pub public_port: Option<u16>,
    pub base_url: String,
    pub data_dir: tempfile::TempDir,
    pub database_url: String,
    pub client: Client,
    pub auth: Auth,
    handle: Option<actix_web::dev::ServerHandle>,
    thread: Option<JoinHandle<()>>,
    /// The server process, for a server started by `spawn_process`.
    child: Option<std::process::Child>,
    _pg: Option<PgDatabase>,
}

impl TestApp {
    /// A server with an empty database (no example apps).
    pub fn spawn() -> TestApp {
        Self::spawn_with(|_| {})
    }

    /// A second node on this server's database (PostgreSQL): its own data directory, with a copy
    /// of the signing key file every node needs (docs/operations.md).
    pub fn second_node(&self) -> TestApp {
        let url = self.database_url.clone();
        let key = self.data_dir.path().join("jwt.key");
        TestApp::spawn_with(move |s| {
            std::fs::copy(&key, s.data_dir.join("jwt.key")).expect("copy the signing key");
            s.database_url = Some(url);
        })
    }

    /// A server whose settings `tweak` may change before start.
    pub fn spawn_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let (pg, database_url) = test_database(data_dir.path());
        let mut settings = Settings {
            port: 0,
            data_dir: data_dir.path().to_path_buf(),
            database_url: Some(database_url.clone()),
            admin_password: Some(ADMIN_PASSWORD.into()),
            load_examples: false,
            workers: 2,
            db_pool_size: 4,
            // Tests run on bigrams; the ranking tests opt in with a shared dictionary.
            search_dictionary: kumiki_search::morph::DictionarySetting::Off,
            extractor: Some(extract_helper()),
            ..Settings::default()
        };
        tweak(&mut settings);
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            let system = actix_web::rt::System::new();
            system.block_on(async move {
                match Application::build(settings).await {
                    Ok(app) => {
                        let _ = tx.send(Ok((app.port(), app.public_port(), app.handle())));
                        let _ = app.run_until_stopped().await;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(format!("{e:#}")));
                    }
                }
            });
        });
        let (port, public_port, handle) = rx.recv().expect("server thread").expect("server starts");
        let mut app = TestApp::unstarted(port, public_port, data_dir, database_url, pg);
        app.handle = Some(handle);
        app.thread = Some(thread);
        app
    }

    /// The client side of a server on `port`, as the Administrator; the caller attaches the server.
    fn unstarted(
        port: u16,
        public_port: Option<u16>,
        data_dir: tempfile::TempDir,
        database_url: String,
        pg: Option<PgDatabase>,
    ) -> TestApp {
        TestApp {
            port,
            public_port,
            base_url: format!("http://localhost:{port}"),
            data_dir,
            database_url,
            client: Client::builder()
                .timeout(std::time::Duration::from_secs(60))
                .build()
                .expect("client"),
            auth: Auth::Password("Administrator".into(), ADMIN_PASSWORD.into()),
            handle: None,
            thread: None,
            child: None,
            _pg: pg,
        }
    }

    /// The real `kumiki` binary (`kumiki_bin`) as a child process with its own database, for tests
    /// that measure the server's memory in `/proc/<pid>/status`: a server inside the test binary
    /// shares that process's memory with every other test running beside it.
    pub fn spawn_process() -> TestApp {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let (pg, database_url) = test_database(data_dir.path());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = std::process::Command::new(kumiki_bin())
            .arg("--data-dir")
            .arg(data_dir.path())
            .arg("--database-url")
            .arg(&database_url)
            .args(["serve", "--no-examples", "--workers", "2", "--port"])
            .arg(port.to_string())
            .env("KUMIKI_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("KUMIKI_SEARCH_DICTIONARY", "off")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start kumiki");
        let mut app = TestApp::unstarted(port, None, data_dir, database_url, pg);
        app.child = Some(child);
        let started = std::time::Instant::now();
        while app.client.get(app.url("/healthz")).send().is_err() {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(60),
                "kumiki did not start within 60 s"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        app
    }

    /// The server's process id, for a server started by `spawn_process`.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// The same server, seen with other credentials.
    pub fn with_auth(&self, auth: Auth) -> Client2<'_> {
        Client2 { app: self, auth }
    }

    fn authed(&self, rb: RequestBuilder, auth: &Auth) -> RequestBuilder {
        match auth {
            Auth::Password(u, p) => rb.header(
                "X-Cybozu-Authorization",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}")),
            ),
            Auth::Tokens(t) => rb.header("X-Cybozu-API-Token", t),
            Auth::Bearer(t) => rb.header("Authorization", format!("Bearer {t}")),
            Auth::None => rb,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    fn send(&self, rb: RequestBuilder, auth: &Auth) -> (u16, Value) {
        let resp = self.authed(rb, auth).send().expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, body)
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        self.send(self.client.get(self.url(path)), &self.auth)
    }

    pub fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(self.client.post(self.url(path)).json(&body), &self.auth)
    }

    pub fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(self.client.put(self.url(path)).json(&body), &self.auth)
    }

    pub fn delete(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(self.client.delete(self.url(path)).json(&body), &self.auth)
    }

    /// Sends raw bytes with a content type.
    pub fn raw(&self, method: reqwest::Method, path: &str, body: Vec<u8>) -> (u16, Value) {
        let rb = self
            .client
            .request(method, self.url(path))
            .header("Content-Type", "application/json")
            .body(body);
        self.send(rb, &self.auth)
    }

    /// Creates and deploys an app with the given fields (kintone property JSON); returns its id.
    pub fn create_app(&self, name: &str, properties: Value) -> i64 {
        let (s, b) = self.post("/k/v1/preview/app.json", json!({"name": name}));
        assert_eq!(s, 200, "create app: {b}");
        let app: i64 = b["app"].as_str().unwrap().parse().unwrap();
        let (s, b) = self.post(
            "/k/v1/preview/app/form/fields.json",
            json!({"app": app, "properties": properties}),
        );
        assert_eq!(s, 200, "add fields: {b}");
        self.deploy(app);
        app
    }

    pub fn deploy(&self, app: i64) {
        let (s, b) = self.post(
            "/k/v1/preview/app/deploy.json",
            json!({"apps": [{"app": app}]}),
        );
        assert_eq!(s, 200, "deploy: {b}");
    }

    /// Adds one record; returns its id.
    pub fn add_record(&self, app: i64, record: Value) -> i64 {
        let (s, b) = self.post("/k/v1/record.json", json!({"app": app, "record": record}));
        assert_eq!(s, 200, "add record: {b}");
        b["id"].as_str().unwrap().parse().unwrap()
    }

    /// A token for `app` with comma-separated rights, made through the engine as the CLI does.
    pub fn token(&self, app: i64, rights: &str) -> String {
        let db = kumiki_engine::db::Database::connect(&self.database_url, 1).unwrap();
        let mut conn = db.conn().unwrap();
        let mut r = kumiki_engine::acl::TokenRights::default();
        for right in rights.split(',') {
            match right {
                "view" => r.view = true,
                "add" => r.add = true,
                "edit" => r.edit = true,
                "delete" => r.delete = true,
                "manage" => r.manage = true,
                _ => panic!("unknown right {right}"),
            }
        }
        kumiki_engine::tokens::create_token(&mut conn, kumiki_engine::apps::AppId(app), r).unwrap()
    }

    /// Uploads a file as Administrator through `POST /k/v1/file.json`; returns its file key.
    pub fn upload(&self, name: &str, content_type: &str, bytes: Vec<u8>) -> String {
        let part = reqwest::blocking::multipart::Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str(content_type)
            .expect("content type");
        let form = reqwest::blocking::multipart::Form::new().part("file", part);
        let resp = self
            .client
            .post(self.url("/k/v1/file.json"))
            .header(
                "X-Cybozu-Authorization",
                "QWRtaW5pc3RyYXRvcjphZG1pbi1wYXNzd29yZC0x",
            )
            .multipart(form)
            .send()
            .expect("upload");
        assert_eq!(resp.status().as_u16(), 200);
        let v: Value = resp.json().expect("upload answer");
        v["fileKey"].as_str().expect("fileKey").to_owned()
    }

    /// Lets every signed-in user create apps (`PUT /api/admin/app-creation.json`; the server's
    /// default is administrators only), for tests where a colleague builds an app.
    pub fn allow_app_creation_by_everyone(&self) {
        let (s, b) = self.put("/api/admin/app-creation.json", json!({"mode": "everyone"}));
        assert_eq!(s, 200, "app creation setting: {b}");
    }

    /// Creates a user through the engine.
    pub fn user(&self, login: &str, password: &str) {
        let db = kumiki_engine::db::Database::connect(&self.database_url, 1).unwrap();
        let mut conn = db.conn().unwrap();
        kumiki_engine::users::User::create(&mut conn, login, login, password, false).unwrap();
    }
}

/// Requests with other credentials against the same server.
pub struct Client2<'a> {
    app: &'a TestApp,
    auth: Auth,
}

impl Client2<'_> {
    pub fn get(&self, path: &str) -> (u16, Value) {
        self.app
            .send(self.app.client.get(self.app.url(path)), &self.auth)
    }
    pub fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.app.send(
            self.app.client.post(self.app.url(path)).json(&body),
            &self.auth,
        )
    }
    pub fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.app.send(
            self.app.client.put(self.app.url(path)).json(&body),
            &self.auth,
        )
    }
    pub fn delete(&self, path: &str, body: Value) -> (u16, Value) {
        self.app.send(
            self.app.client.delete(self.app.url(path)).json(&body),
            &self.auth,
        )
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(handle) = self.handle.take() {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(handle.stop(false));
            }
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A typical test app's fields: text (unique), number, drop-down, check box, date, datetime,
/// multi-line text, file, user select, and a subtable.
pub fn sample_fields() -> Value {
    json!({
        "Text": {"type": "SINGLE_LINE_TEXT", "code": "Text", "label": "文字列", "unique": true},
        "Number": {"type": "NUMBER", "code": "Number", "label": "数値"},
        "Choice": {"type": "DROP_DOWN", "code": "Choice", "label": "選択", "options": {
            "A": {"label": "A", "index": "0"}, "B": {"label": "B", "index": "1"}, "C": {"label": "C", "index": "2"}}},
        "Tags": {"type": "CHECK_BOX", "code": "Tags", "label": "タグ", "options": {
            "x": {"label": "x", "index": "0"}, "y": {"label": "y", "index": "1"}}},
        "Day": {"type": "DATE", "code": "Day", "label": "日付"},
        "When": {"type": "DATETIME", "code": "When", "label": "日時"},
        "Memo": {"type": "MULTI_LINE_TEXT", "code": "Memo", "label": "メモ"},
        "Attachment": {"type": "FILE", "code": "Attachment", "label": "添付"},
        "People": {"type": "USER_SELECT", "code": "People", "label": "担当"},
        "Total": {"type": "CALC", "code": "Total", "label": "合計", "expression": "SUM(Amount)", "format": "NUMBER"},
        "Lines": {"type": "SUBTABLE", "code": "Lines", "fields": {
            "Item": {"type": "SINGLE_LINE_TEXT", "code": "Item", "label": "品名"},
            "Amount": {"type": "NUMBER", "code": "Amount", "label": "金額"}
        }}
    })
}

impl TestApp {
    /// Polls the search index status until every change-log row is applied (or `limit` passes).
    pub fn wait_indexed(&self, limit: std::time::Duration) {
        let start = std::time::Instant::now();
        loop {
            let (s, b) = self.get("/api/search/status.json");
            assert_eq!(s, 200, "{b}");
            if b["lagRows"] == 0 && b["appliedSeq"] == b["logHead"] {
                return;
            }
            assert!(start.elapsed() < limit, "index still behind: {b}");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// Signs in through the browser form; returns the session cookie (`__Host-kumiki_session=...`).
    pub fn sign_in_form(&self, login: &str, password: &str) -> String {
        let c = page_client();
        let page = c.get(self.url("/login")).send().expect("login page");
        // `__Host-` names, or the plain ones of a server run with --insecure-cookies.
        let login_cookie = cookie_value(&page, "__Host-kumiki_login_csrf")
            .or_else(|| cookie_value(&page, "kumiki_login_csrf"))
            .expect("login cookie");
        let html = page.text().expect("login html");
        let marker = "name=\"_csrf\" value=\"";
        let start = html.find(marker).expect("csrf field") + marker.len();
        let end = start + html[start..].find('"').expect("csrf end");
        let csrf = html[start..end].to_owned();
        let resp = c
            .post(self.url("/login"))
            .header("Cookie", login_cookie)
            .form(&[
                ("login", login),
                ("password", password),
                ("_csrf", &csrf),
                ("next", "/"),
            ])
            .send()
            .expect("sign in");
        assert_eq!(resp.status().as_u16(), 303, "sign-in as {login}");
        cookie_value(&resp, "__Host-kumiki_session")
            .or_else(|| cookie_value(&resp, "kumiki_session"))
            .expect("session cookie")
    }

    /// A page's status and HTML, fetched with a session cookie (redirects not followed).
    pub fn page(&self, session: &str, path: &str) -> (u16, String) {
        let resp = page_client()
            .get(self.url(path))
            .header("Cookie", session)
            .send()
            .expect("page");
        (resp.status().as_u16(), resp.text().expect("page html"))
    }
}

/// A client that does not follow redirects, as a browser page test needs.
pub fn page_client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The `name=value` part of a `Set-Cookie` header of `resp`.
pub fn cookie_value(resp: &reqwest::blocking::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

/// Percent-encodes a query-string value (everything but RFC 3986's unreserved characters), for the
/// tests that put a kintone query or a form value into a URL.
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
