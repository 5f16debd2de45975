//! The bell (issue 13): `GET /api/notifications.json` and `POST /api/notifications/read.json`, and
//! its producers — comments on my records and mentions, process assignments, review requests and
//! decisions — each event once per user, also when the change log is replayed.

use std::time::{Duration, Instant};

use kumiki_engine::db::{Database, DbConn};
use kumiki_engine::records::changes;
use kumiki_tests::{Auth, Client2, TestApp};
use serde_json::{json, Value};

const PW: &str = "notify-pw-1";

fn conn(app: &TestApp) -> DbConn {
    Database::connect(&app.database_url, 1)
        .unwrap()
        .conn()
        .unwrap()
}

fn as_user<'a>(app: &'a TestApp, login: &str) -> Client2<'a> {
    app.with_auth(Auth::Password(login.into(), PW.into()))
}

pub fn bell(who: &Client2<'_>) -> Value {
    let (s, b) = who.get("/api/notifications.json?limit=100");
    assert_eq!(s, 200, "{b}");
    b
}

/// Waits until the bell of `who` holds `n` notifications (the consumer runs every half second).
pub fn wait_bell(who: &Client2<'_>, n: usize) -> Value {
    let started = Instant::now();
    loop {
        let b = bell(who);
        let have = b["notifications"].as_array().unwrap().len();
        if have >= n {
            assert_eq!(have, n, "{b}");
            return b;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "waiting for {n}: {b}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits until the consumer `notify` has handled every change written so far.
pub fn wait_consumer(db: &mut DbConn) {
    let head = changes::last_seq(db).unwrap();
    let started = Instant::now();
    loop {
        let at = changes::consumers(db)
            .unwrap()
            .into_iter()
            .find(|c| c.name == "notify")
            .map(|c| c.position)
            .unwrap_or(-1);
        if at >= head {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "notify at {at}, head {head}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn kinds(b: &Value) -> Vec<String> {
    b["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_owned())
        .collect()
}

/// Text and a user field; process 未処理 → 処理中 (sato) through 開始.
fn order_app(app: &TestApp) -> i64 {
    let id = app.create_app(
        "注文",
        json!({"件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"}}),
    );
    let (s, b) = app.put(
        "/k/v1/preview/app/status.json",
        json!({"app": id, "enable": true,
               "states": {"未処理": {"name": "未処理", "index": "0"},
                          "処理中": {"name": "処理中", "index": "1", "assignee": {"type": "ONE",
                              "entities": [{"entity": {"type": "USER", "code": "sato"}}]}}},
               "actions": [{"name": "開始", "from": "未処理", "to": "処理中"}]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    id
}

#[test]
fn comments_on_my_records_and_mentions_reach_the_bell_once_and_are_read() {
    let app = TestApp::spawn();
    for u in ["sato", "suzuki", "tanaka"] {
        app.user(u, PW);
    }
    let (sato, suzuki, tanaka) = (
        as_user(&app, "sato"),
        as_user(&app, "suzuki"),
        as_user(&app, "tanaka"),
    );
    let id = app.create_app(
        "相談",
        json!({"件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"}}),
    );
    let (s, b) = sato.post(
        "/k/v1/record.json",
        json!({"app": id, "record": {"件名": {"value": "道路の穴"}}}),
    );
    assert_eq!(s, 200, "{b}");
    let rid: i64 = b["id"].as_str().unwrap().parse().unwrap();
    let (s, b) = suzuki.post(
        "/k/v1/record/comment.json",
        json!({"app": id, "record": rid, "comment": {"text": "現地を見ました",
               "mentions": [{"code": "tanaka", "type": "USER"}]}}),
    );
    assert_eq!(s, 200, "{b}");

    let b = wait_bell(&sato, 1);
    assert_eq!(kinds(&b), ["record_comment"]);
    let n = &b["notifications"][0];
    assert_eq!(n["actor"], "suzuki");
    assert_eq!(n["body"], "現地を見ました");
    assert_eq!(n["link"], format!("/apps/{id}/records/{rid}"));
    assert_eq!(n["read"], false);
    assert_eq!(b["unread"], "1");
    let b = wait_bell(&tanaka, 1);
    assert_eq!(kinds(&b), ["mention"]);
    // The commenter is not told of their own comment.
    let mut db = conn(&app);
    wait_consumer(&mut db);
    assert_eq!(bell(&suzuki)["total"], "0");

    // A second comment by the creator mentioning herself and suzuki: suzuki hears once (a mention).
    let (s, b) = sato.post(
        "/k/v1/record/comment.json",
        json!({"app": id, "record": rid, "comment": {"text": "ありがとう",
               "mentions": [{"code": "suzuki", "type": "USER"}, {"code": "sato", "type": "USER"}]}}),
    );
    assert_eq!(s, 200, "{b}");
    let b = wait_bell(&suzuki, 1);
    assert_eq!(kinds(&b), ["mention"]);
    wait_consumer(&mut db);
    assert_eq!(bell(&sato)["total"], "1");

    // Reading: one, then all; the bell counts only the caller's own rows.
    let first = wait_bell(&tanaka, 1)["notifications"][0]["id"].clone();
    let (s, b) = sato.post("/api/notifications/read.json", json!({"ids": [first]}));
    assert_eq!(
        (s, &b["read"]),
        (200, &json!("0")),
        "someone else's id changes nothing: {b}"
    );
    let (s, b) = tanaka.post("/api/notifications/read.json", json!({"ids": [first]}));
    assert_eq!(
        (s, &b["read"], &b["unread"]),
        (200, &json!("1"), &json!("0")),
        "{b}"
    );
    let (s, b) = sato.post("/api/notifications/read.json", json!({"all": true}));
    assert_eq!((s, &b["unread"]), (200, &json!("0")), "{b}");
    assert_eq!(bell(&sato)["notifications"][0]["read"], true);

    // Unread first: a new notification for sato comes before the read one.
    let (s, _) = tanaka.post(
        "/k/v1/record/comment.json",
        json!({"app": id, "record": rid, "comment": {"text": "了解"}}),
    );
    assert_eq!(s, 200);
    let started = Instant::now();
    while bell(&sato)["unread"] != "1" {
        assert!(started.elapsed() < Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(100));
    }
    let (_, b) = sato.get("/api/notifications.json?unreadFirst=true&limit=1");
    assert_eq!(b["notifications"][0]["read"], false, "{b}");
    assert_eq!(b["notifications"].as_array().unwrap().len(), 1);
    let (_, b) = sato.get("/api/notifications.json?unreadOnly=true");
    assert_eq!(b["notifications"].as_array().unwrap().len(), 1, "{b}");

    // Bad input: kintone-style errors, nothing marked.
    for (path, body) in [
        ("/api/notifications/read.json", json!({})),
        ("/api/notifications/read.json", json!({"ids": ["x"]})),
        (
            "/api/notifications/read.json",
            json!({"ids": [1], "all": true}),
        ),
    ] {
        let (s, b) = sato.post(path, body);
        assert_eq!((s, b["code"].as_str()), (400, Some("CB_VA01")), "{b}");
    }
    for q in ["limit=0", "limit=101", "offset=-1", "limit=abc"] {
        let (s, b) = sato.get(&format!("/api/notifications.json?{q}"));
        assert_eq!(s, 400, "{q}: {b}");
    }
    assert_eq!(bell(&sato)["unread"], "1");
    // API tokens have no bell.
    let token = app.token(id, "view");
    let (s, _) = app
        .with_auth(Auth::Tokens(token))
        .get("/api/notifications.json");
    assert_eq!(s, 403);
}

#[test]
fn new_assignees_hear_of_their_records_and_a_replay_notifies_nobody_twice() {
    let app = TestApp::spawn();
    app.user("sato", PW);
    app.user("suzuki", PW);
    let sato = as_user(&app, "sato");
    let id = order_app(&app);
    let rid = app.add_record(id, json!({"件名": {"value": "机"}}));
    let (s, b) = app.put(
        "/k/v1/record/status.json",
        json!({"app": id, "id": rid, "action": "開始", "assignee": "sato"}),
    );
    assert_eq!(s, 200, "{b}");
    let b = wait_bell(&sato, 1);
    assert_eq!(kinds(&b), ["process_assignee"]);
    assert_eq!(b["notifications"][0]["body"], "未処理 → 処理中");
    assert_eq!(b["notifications"][0]["actor"], "Administrator");
    // Reassigned to suzuki: suzuki hears of it.
    let (s, b) = app.put(
        "/k/v1/record/assignees.json",
        json!({"app": id, "id": rid, "assignees": ["suzuki"]}),
    );
    assert_eq!(s, 200, "{b}");
    let suzuki = as_user(&app, "suzuki");
    assert_eq!(kinds(&wait_bell(&suzuki, 1)), ["process_assignee"]);

    // Replay the whole log (as after a crash before the position was stored): nothing new.
    let mut db = conn(&app);
    wait_consumer(&mut db);
    assert!(changes::advance(&mut db, "notify", 0).unwrap());
    wait_consumer(&mut db);
    assert_eq!(bell(&sato)["total"], "1");
    assert_eq!(bell(&suzuki)["total"], "1");
}

#[test]
fn the_bell_survives_a_restart_and_resumes_where_it_stopped() {
    let app = TestApp::spawn();
    app.user("sato", PW);
    let id = app.create_app(
        "記録",
        json!({"件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"}}),
    );
    let sato = as_user(&app, "sato");
    let (s, b) = sato.post("/k/v1/record.json", json!({"app": id, "record": {}}));
    assert_eq!(s, 200, "{b}");
    let rid: i64 = b["id"].as_str().unwrap().parse().unwrap();
    let (s, _) = app.post(
        "/k/v1/record/comment.json",
        json!({"app": id, "record": rid, "comment": {"text": "一"}}),
    );
    assert_eq!(s, 200);
    wait_bell(&sato, 1);
    // A second server on the same database (a restarted or another node) runs the same consumer:
    // it resumes at the stored position and writes nothing twice.
    let node = app.second_node();
    let (s, _) = app.post(
        "/k/v1/record/comment.json",
        json!({"app": id, "record": rid, "comment": {"text": "二"}}),
    );
    assert_eq!(s, 200);
    wait_bell(&sato, 2);
    let mut db = conn(&app);
    wait_consumer(&mut db);
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(bell(&sato)["total"], "2");
    drop(node);
}

#[test]
fn reviewers_hear_of_requests_and_submitters_of_decisions() {
    let app = TestApp::spawn();
    app.user("sato", PW);
    app.user("ito", PW);
    let (s, b) = app.post(
        "/api/org/groups.json",
        json!({"code": "it-reviewers", "name": "情報政策課"}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.put(
        "/api/org/memberships.json",
        json!({"user": "ito", "groups": ["it-reviewers"]}),
    );
    assert_eq!(s, 200, "{b}");
    app.allow_app_creation_by_everyone();
    let sato = as_user(&app, "sato");
    let (s, b) = sato.post("/k/v1/preview/app.json", json!({"name": "窓口受付"}));
    assert_eq!(s, 200, "{b}");
    let id: i64 = b["app"].as_str().unwrap().parse().unwrap();
    let (s, b) = sato.post(
        "/api/app/review/submit.json",
        json!({"app": id, "comment": "公開前の確認をお願いします"}),
    );
    assert_eq!(s, 200, "{b}");
    let sub = b["submission"]["id"].as_str().unwrap().to_owned();
    let ito = as_user(&app, "ito");
    let b = bell(&ito);
    assert_eq!(
        kinds(&b),
        ["review_request"],
        "written with the submission: {b}"
    );
    assert_eq!(b["notifications"][0]["title"], "窓口受付");
    assert_eq!(b["notifications"][0]["link"], format!("/apps/{id}/review"));
    let (_, admin) = app.get("/api/notifications.json");
    assert_eq!(
        kinds(&admin),
        ["review_request"],
        "administrators review too: {admin}"
    );
    assert_eq!(bell(&sato)["total"], "0");

    let (s, b) = ito.post(
        "/api/app/review/decide.json",
        json!({"app": id, "submission": sub, "approve": false, "comment": "項目名を直してください"}),
    );
    assert_eq!(s, 200, "{b}");
    let b = bell(&sato);
    assert_eq!(kinds(&b), ["review_decision"]);
    assert_eq!(b["notifications"][0]["body"], "項目名を直してください");
    assert_eq!(b["notifications"][0]["actor"], "ito");
}
