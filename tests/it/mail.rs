//! Notification mail (issue 13; docs/notifications-mail.md) against a real SMTP server process:
//! Python's aiosmtpd with `mail_sink.py`, which writes every accepted message (decoded) to a
//! directory. Notifications are written with the engine's `notifications::notify`, as every
//! producer does.
//! - `each` mails every notification, `digest` mails one digest at the user's hour, `none` mails
//!   nothing; To, Subject, link and Message-ID are checked;
//! - with the SMTP server down the delivery is retried with backoff and arrives once it is up;
//! - the preference API refuses bad input; the admin API and test mail are for administrators.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
use kumiki_engine::db::{Database, DbConn};
use kumiki_engine::notifications::{self, kind, Notice};
use kumiki_tests::{Auth, TestApp};
use serde_json::{json, Value};

pub const FROM: &str = "Kumiki <kumiki@example.jp>";
pub const PUBLIC_URL: &str = "https://kumiki.example.jp";

/// The Python that has Debian's python3-aiosmtpd (a pyenv `python3` earlier on PATH does not).
fn python() -> &'static str {
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running aiosmtpd writing each message as JSON into its directory; stopped when dropped.
pub struct Sink {
    child: Child,
    pub port: u16,
    pub dir: PathBuf,
}

impl Sink {
    /// An SMTP server on `port`, delaying each message by `delay` seconds, writing into `dir`.
    pub fn start_on(port: u16, dir: &Path, delay: f64) -> Sink {
        let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("it");
        let child = Command::new(python())
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "mail_sink.Sink"])
            .arg(dir)
            .arg(delay.to_string())
            .env("PYTHONPATH", &here)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd (apt-get install python3-aiosmtpd)");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "aiosmtpd did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Sink {
            child,
            port,
            dir: dir.to_path_buf(),
        }
    }

    /// The messages received so far, oldest first.
    pub fn messages(&self) -> Vec<Value> {
        messages_in(&self.dir)
    }

    /// Waits until `pred` holds for the received messages; returns them.
    pub fn wait_until(
        &self,
        what: &str,
        limit: Duration,
        pred: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let got = self.messages();
            if pred(&got) {
                return got;
            }
            assert!(
                started.elapsed() < limit,
                "timed out waiting for {what}; got {got:#?}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn messages_in(dir: &Path) -> Vec<Value> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    names.retain(|p| p.extension().is_some_and(|e| e == "json"));
    names.sort();
    names
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .filter_map(|s| serde_json::from_str(&s).ok())
        .collect()
}

/// A server that mails through `smtp_port`.
fn app_mailing(smtp_port: u16) -> TestApp {
    TestApp::spawn_with(move |s| {
        s.smtp_url = Some(format!("smtp://127.0.0.1:{smtp_port}"));
        s.smtp_from = Some(FROM.into());
        s.public_url = Some(PUBLIC_URL.into());
        s.smtp_timeout = Duration::from_secs(2);
    })
}

pub fn db_of(url: &str) -> Database {
    Database::connect(url, 2).unwrap()
}

fn add_user(app: &TestApp, code: &str) -> Auth {
    let (s, b) = app.post(
        "/api/org/users.json",
        json!({"code": code, "name": code, "password": "user-password-1", "mustChangePassword": false}),
    );
    assert_eq!(s, 200, "add {code}: {b}");
    Auth::Password(code.into(), "user-password-1".into())
}

fn prefer(app: &TestApp, auth: &Auth, body: Value) -> Value {
    let (s, b) = app
        .with_auth(auth.clone())
        .put("/api/account/notifications.json", body);
    assert_eq!(s, 200, "preference: {b}");
    b
}

pub fn notice(n: usize, title: &str) -> Notice {
    Notice {
        kind: kind::MENTION,
        source_key: format!("mail-test:{n}"),
        title: title.into(),
        body: format!("本文 {n}"),
        link: format!("/k/#/space/1/thread/{n}"),
        actor: "someone".into(),
        ..Notice::default()
    }
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub fn notify(conn: &mut DbConn, users: &[&str], n: &Notice) {
    let users: Vec<String> = users.iter().map(|u| (*u).to_owned()).collect();
    notifications::notify(conn, &users, n, now()).unwrap();
}

/// The deliveries as the administrators' API lists them.
fn deliveries(app: &TestApp) -> Vec<Value> {
    let (s, b) = app.get("/api/admin/mail.json");
    assert_eq!(s, 200, "{b}");
    b["deliveries"].as_array().unwrap().clone()
}

fn wait_deliveries(app: &TestApp, what: &str, pred: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let d = deliveries(app);
        if pred(&d) {
            return d;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}: {d:#?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Moves the durable job of delivery `id` to now, as if its time had come (a digest due at 08:00,
/// a retry after its backoff).
fn due_now(conn: &mut DbConn, id: i64) {
    let sql = format!(
        "UPDATE jobs SET run_at = {} WHERE dedupe_key = 'mail.deliver:{id}'",
        now() - 1
    );
    match conn {
        DbConn::Sqlite(c) => diesel::sql_query(sql).execute(&mut **c).unwrap(),
        DbConn::Postgres(c) => diesel::sql_query(sql).execute(&mut **c).unwrap(),
    };
}

#[test]
fn each_and_digest_arrive_and_none_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::start_on(free_port(), dir.path(), 0.0);
    let app = app_mailing(sink.port);
    let alice = add_user(&app, "alice");
    let bob = add_user(&app, "bob");
    let carol = add_user(&app, "carol");
    let got = prefer(
        &app,
        &alice,
        json!({"mode": "each", "email": "alice@example.jp"}),
    );
    assert_eq!(got["mode"], "each");
    assert_eq!(got["address"], "alice@example.jp");
    assert_eq!(got["mailEnabled"], true);
    prefer(
        &app,
        &bob,
        json!({"mode": "digest", "digestHour": 8, "email": "bob@example.jp"}),
    );
    prefer(
        &app,
        &carol,
        json!({"mode": "none", "email": "carol@example.jp"}),
    );
    // Saved and read back.
    let (_, b) = app
        .with_auth(bob.clone())
        .get("/api/account/notifications.json");
    assert_eq!(
        (b["mode"].as_str(), b["digestHour"].as_i64()),
        (Some("digest"), Some(8))
    );

    // The planner starts at the newest notification when it first runs; give it a moment.
    std::thread::sleep(Duration::from_millis(1500));
    let db = db_of(&app.database_url);
    let mut conn = db.conn().unwrap();
    notify(
        &mut conn,
        &["alice", "bob", "carol"],
        &notice(1, "佐藤さんがあなたをメンションしました"),
    );
    notify(
        &mut conn,
        &["alice", "bob", "carol"],
        &notice(2, "Second notice"),
    );

    let mails = sink.wait_until("alice's two mails", Duration::from_secs(30), |m| {
        m.iter().filter(|m| m["to"] == "alice@example.jp").count() >= 2
    });
    let to_alice: Vec<&Value> = mails
        .iter()
        .filter(|m| m["to"] == "alice@example.jp")
        .collect();
    let first = to_alice
        .iter()
        .find(|m| m["subject"] == "[Kumiki] 佐藤さんがあなたをメンションしました")
        .unwrap_or_else(|| panic!("subject: {to_alice:#?}"));
    assert_eq!(first["rcpt"], json!(["alice@example.jp"]));
    assert_eq!(first["from"], FROM);
    let body = first["body"].as_str().unwrap();
    assert!(body.contains("本文 1"), "{body}");
    assert!(
        body.contains("https://kumiki.example.jp/k/#/space/1/thread/1"),
        "{body}"
    );
    assert!(
        body.contains("https://kumiki.example.jp/account/notifications"),
        "{body}"
    );
    assert!(to_alice
        .iter()
        .any(|m| m["subject"] == "[Kumiki] Second notice"));

    // Bob's digest: one row for both notifications, due at 08:00 Tokyo time.
    let d = wait_deliveries(&app, "bob's digest", |d| {
        d.iter().any(|d| {
            d["userCode"] == "bob" && d["notificationIds"].as_str().unwrap_or("").contains(',')
        })
    });
    let digest: Vec<&Value> = d.iter().filter(|d| d["userCode"] == "bob").collect();
    assert_eq!(digest.len(), 1, "one digest a day: {digest:#?}");
    let digest = digest[0];
    assert_eq!(digest["mode"], "digest");
    assert_eq!(digest["state"], "pending");
    let send_at = digest["sendAt"].as_i64().unwrap();
    assert!(send_at > now() && send_at <= now() + 86_400 + 60);
    assert_eq!(
        (send_at + 9 * 3600) % 86_400,
        8 * 3600,
        "08:00 in Asia/Tokyo"
    );
    assert!(
        sink.messages().iter().all(|m| m["to"] != "bob@example.jp"),
        "not before its hour"
    );

    // Its hour comes.
    due_now(&mut conn, digest["id"].as_i64().unwrap());
    let mails = sink.wait_until("bob's digest", Duration::from_secs(30), |m| {
        m.iter().any(|m| m["to"] == "bob@example.jp")
    });
    let to_bob: Vec<&Value> = mails
        .iter()
        .filter(|m| m["to"] == "bob@example.jp")
        .collect();
    assert_eq!(to_bob.len(), 1);
    assert_eq!(to_bob[0]["subject"], "[Kumiki] 通知のまとめ（2 件）");
    let body = to_bob[0]["body"].as_str().unwrap();
    assert!(
        body.contains("佐藤さんがあなたをメンションしました") && body.contains("Second notice"),
        "{body}"
    );
    assert!(
        body.contains("https://kumiki.example.jp/k/#/space/1/thread/2"),
        "{body}"
    );
    assert_eq!(
        to_bob[0]["messageId"],
        format!("<kumiki-mail-{}@example.jp>", digest["id"])
    );

    // Carol chose none: no delivery, no mail.
    std::thread::sleep(Duration::from_secs(2));
    assert!(deliveries(&app).iter().all(|d| d["userCode"] != "carol"));
    assert!(sink
        .messages()
        .iter()
        .all(|m| m["to"] != "carol@example.jp"));
    // Every mail has the Message-ID of its delivery.
    let d = deliveries(&app);
    for m in sink.messages() {
        let id = d
            .iter()
            .find(|d| {
                format!("<kumiki-mail-{}@example.jp>", d["id"]) == m["messageId"].as_str().unwrap()
            })
            .unwrap_or_else(|| panic!("no delivery for {m}"));
        assert_eq!(id["state"], "sent");
        assert_eq!(id["toAddress"], m["to"]);
    }
}

#[test]
fn smtp_down_is_retried_until_it_is_up() {
    let port = free_port();
    let app = app_mailing(port);
    let alice = add_user(&app, "alice");
    prefer(
        &app,
        &alice,
        json!({"mode": "each", "email": "alice@example.jp"}),
    );
    std::thread::sleep(Duration::from_millis(1500));
    let db = db_of(&app.database_url);
    let mut conn = db.conn().unwrap();
    notify(
        &mut conn,
        &["alice"],
        &notice(1, "While the mail server was down"),
    );

    // The first attempt fails and is recorded; the job waits for its backoff (30 s).
    let d = wait_deliveries(&app, "a failed attempt", |d| {
        d.first()
            .is_some_and(|d| d["attempts"].as_i64() >= Some(1) && d["lastError"].is_string())
    });
    assert_eq!(d[0]["state"], "pending", "{d:#?}");
    let id = d[0]["id"].as_i64().unwrap();
    let retry_at = queued_run_at(&mut conn, id);
    assert!(
        retry_at >= now() + 20,
        "retried after a backoff, not at once"
    );

    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::start_on(port, dir.path(), 0.0);
    // The backoff passes.
    due_now(&mut conn, id);
    let mails = sink.wait_until("the retried mail", Duration::from_secs(30), |m| {
        !m.is_empty()
    });
    assert_eq!(
        mails[0]["subject"],
        "[Kumiki] While the mail server was down"
    );
    assert_eq!(
        mails[0]["messageId"],
        format!("<kumiki-mail-{id}@example.jp>")
    );
    let d = wait_deliveries(&app, "sent", |d| d[0]["state"] == "sent");
    assert_eq!(d[0]["attempts"], 2);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(sink.messages().len(), 1, "sent once");
}

fn queued_run_at(conn: &mut DbConn, id: i64) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        run_at: i64,
    }
    let sql = format!(
        "SELECT run_at FROM jobs WHERE dedupe_key = 'mail.deliver:{id}' AND state = 'queued'"
    );
    let rows: Vec<Row> = match conn {
        DbConn::Sqlite(c) => diesel::sql_query(sql).load(&mut **c).unwrap(),
        DbConn::Postgres(c) => diesel::sql_query(sql).load(&mut **c).unwrap(),
    };
    rows.first().map(|r| r.run_at).unwrap_or(0)
}

#[test]
fn preferences_refuse_bad_input_and_admin_calls_are_for_administrators() {
    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::start_on(free_port(), dir.path(), 0.0);
    let app = app_mailing(sink.port);
    let alice = add_user(&app, "alice");
    let as_alice = app.with_auth(alice.clone());
    let (_, b) = as_alice.get("/api/account/notifications.json");
    assert_eq!(
        b,
        json!({"mode": "none", "digestHour": 8, "email": "", "address": "", "mailEnabled": true})
    );
    for (body, field) in [
        (json!({"mode": "weekly"}), "mode"),
        (json!({"mode": "each", "email": "not an address"}), "email"),
        (json!({"mode": "digest", "digestHour": 24}), "digestHour"),
        (json!({"mode": "digest", "digestHour": -1}), "digestHour"),
    ] {
        let (s, b) = as_alice.put("/api/account/notifications.json", body.clone());
        assert_eq!(s, 400, "{body}: {b}");
        assert_eq!(b["code"], "CB_VA01");
        assert!(b["errors"][field].is_object(), "{body}: {b}");
    }
    let (_, b) = as_alice.get("/api/account/notifications.json");
    assert_eq!(b["mode"], "none", "nothing was saved");

    // Administrators only.
    let (s, b) = as_alice.get("/api/admin/mail.json");
    assert_eq!((s, b["code"].as_str()), (403, Some("CB_NO02")));
    let (s, _) = as_alice.post("/api/admin/mail/test.json", json!({"to": "x@example.jp"}));
    assert_eq!(s, 403);
    let (s, _) = as_alice.put(
        "/api/admin/mail/address.json",
        json!({"code": "alice", "email": "a@example.jp"}),
    );
    assert_eq!(s, 403);

    // An administrator sets alice's address; her choice is kept.
    let (s, b) = app.put(
        "/api/admin/mail/address.json",
        json!({"code": "alice", "email": "alice@example.jp"}),
    );
    assert_eq!(s, 200, "{b}");
    let (_, b) = as_alice.get("/api/account/notifications.json");
    assert_eq!(
        (b["email"].as_str(), b["mode"].as_str()),
        (Some("alice@example.jp"), Some("none"))
    );
    let (s, _) = app.put(
        "/api/admin/mail/address.json",
        json!({"code": "nobody", "email": "n@example.jp"}),
    );
    assert_eq!(s, 400);

    // The test mail goes out now, and is audited.
    let (s, b) = app.post(
        "/api/admin/mail/test.json",
        json!({"to": "admin@example.jp"}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["sent"], true);
    let mails = sink.wait_until("the test mail", Duration::from_secs(20), |m| !m.is_empty());
    assert_eq!(mails[0]["to"], "admin@example.jp");
    assert_eq!(mails[0]["subject"], "[Kumiki] テストメール");
    let (s, b) = app.post("/api/admin/mail/test.json", json!({"to": "bad address"}));
    assert_eq!((s, b["code"].as_str()), (400, Some("CB_VA01")));
    let (s, b) = app.raw(
        reqwest::Method::POST,
        "/api/admin/mail/test.json",
        b"{".to_vec(),
    );
    assert_eq!(s, 400, "{b}");
    let (_, b) = app.get("/api/audit.json?action=mail.test");
    let rows = b["entries"].as_array().cloned().unwrap_or_default();
    assert!(
        rows.iter()
            .any(|r| r.to_string().contains("admin@example.jp")),
        "audited: {b}"
    );
    let (_, b) = app.get("/api/admin/mail.json");
    assert_eq!(b["status"]["enabled"], true);
    assert_eq!(
        b["status"]["server"],
        format!("smtp://127.0.0.1:{}", sink.port)
    );
    assert_eq!(b["status"]["publicUrl"], PUBLIC_URL);
}

#[test]
fn without_smtp_mail_is_off() {
    let app = TestApp::spawn();
    let alice = add_user(&app, "alice");
    let b = prefer(
        &app,
        &alice,
        json!({"mode": "each", "email": "alice@example.jp"}),
    );
    assert_eq!(b["mailEnabled"], false);
    let db = db_of(&app.database_url);
    let mut conn = db.conn().unwrap();
    notify(&mut conn, &["alice"], &notice(1, "Nobody mails this"));
    std::thread::sleep(Duration::from_secs(2));
    let (_, b) = app.get("/api/admin/mail.json");
    assert_eq!(b["status"]["enabled"], false);
    assert_eq!(b["deliveries"], json!([]));
    let (s, b) = app.post(
        "/api/admin/mail/test.json",
        json!({"to": "admin@example.jp"}),
    );
    assert_eq!((s, b["code"].as_str()), (400, Some("CB_VA01")));
}
