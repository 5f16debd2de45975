//! Issue 13, "done when": an app's notification rule delivers to a real SMTP server and the app's
//! webhook to a real receiver, from one record added by a colleague — the whole path from the change
//! log through the bell's rule consumer to the mail planner, and through the webhook consumer to
//! the signed sender.

use std::time::Duration;

use kumiki_tests::{Auth, TestApp};
use serde_json::{json, Value};

use crate::mail::{free_port, Sink, FROM, PUBLIC_URL};
use crate::webhooks::{add_webhook, expected_signature, Answer, Receiver};

const PW: &str = "password-1234";

#[test]
fn a_rule_mails_the_user_and_a_webhook_reaches_its_receiver() {
    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::start_on(free_port(), dir.path(), 0.0);
    let smtp_port = sink.port;
    let app = TestApp::spawn_with(move |s| {
        s.smtp_url = Some(format!("smtp://127.0.0.1:{smtp_port}"));
        s.smtp_from = Some(FROM.into());
        s.public_url = Some(PUBLIC_URL.into());
        s.smtp_timeout = Duration::from_secs(2);
    });
    app.user("sato", PW);
    app.user("suzuki", PW);
    let suzuki = app.with_auth(Auth::Password("suzuki".into(), PW.into()));
    let (s, b) = suzuki.put(
        "/api/account/notifications.json",
        json!({"mode": "each", "email": "suzuki@example.jp"}),
    );
    assert_eq!(s, 200, "{b}");

    let id = app.create_app(
        "備品購入",
        json!({"件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"}}),
    );
    let (s, b) = app.put(
        "/k/v1/preview/app/notifications/general.json",
        json!({"app": id, "notifications": [
            {"entity": {"type": "USER", "code": "suzuki"}, "recordAdded": true}]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    let rx = Receiver::start(|_| Answer::Status(200));
    let (_, secret) = add_webhook(&app, id, &rx.url(), &["ADD_RECORD"]);
    // The mail planner starts at the newest notification when it first runs: wait until it has.
    wait_for_the_mail_planner(&app);

    let sato = app.with_auth(Auth::Password("sato".into(), PW.into()));
    let (s, b) = sato.post(
        "/k/v1/record.json",
        json!({"app": id, "record": {"件名": {"value": "ノートPC 3台"}}}),
    );
    assert_eq!(s, 200, "{b}");
    let rid = b["id"].as_str().unwrap().to_owned();

    // The rule's notification reaches suzuki's mailbox, with a link to the record.
    let mails = sink.wait_until("suzuki's mail", Duration::from_secs(60), |m| {
        m.iter().any(|m| m["to"] == "suzuki@example.jp")
    });
    let mail: &Value = mails
        .iter()
        .find(|m| m["to"] == "suzuki@example.jp")
        .unwrap();
    let subject = mail["subject"].as_str().unwrap();
    assert!(subject.contains("ノートPC 3台"), "{mail:#}");
    let body = mail["body"].as_str().unwrap();
    let link = format!("{PUBLIC_URL}/apps/{id}/records/{rid}");
    assert!(body.contains(&link), "{link} in {body}");
    // sato, who added it, is not mailed.
    assert!(mails.iter().all(|m| m["to"] != "sato@example.jp"));

    // The webhook receiver gets kintone's ADD_RECORD payload, signed with the webhook's secret.
    let got = rx.wait_for(Duration::from_secs(60), |r| !r.is_empty());
    let hook = &got[0];
    let payload = hook.json();
    assert_eq!(payload["type"], "ADD_RECORD");
    assert_eq!(payload["app"]["id"], id.to_string());
    assert_eq!(payload["record"]["件名"]["value"], "ノートPC 3台");
    assert_eq!(payload["record"]["$id"]["value"], rid);
    let ts = hook.header("X-Kumiki-Timestamp").unwrap();
    assert_eq!(
        hook.header("X-Kumiki-Signature").unwrap(),
        expected_signature(&secret, ts, &hook.body)
    );
    // The bell shows the same notification.
    let (_, bell) = suzuki.get("/api/notifications.json");
    assert_eq!(bell["unread"], "1", "{bell}");
}

fn wait_for_the_mail_planner(app: &TestApp) {
    use diesel::prelude::*;
    use kumiki_engine::db::schema::mail_planner;
    let db = kumiki_engine::db::Database::connect(&app.database_url, 1).unwrap();
    let mut conn = db.conn().unwrap();
    let started = std::time::Instant::now();
    loop {
        let rows: i64 =
            kumiki_engine::with_conn!(&mut conn, |c| mail_planner::table.count().get_result(c))
                .unwrap();
        if rows > 0 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the mail planner did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
