//! A SIGKILL during notification mail deliveries loses none (issue 13): the real `kumiki` binary
//! mails 20 notifications through a slow SMTP server (aiosmtpd with `mail_sink.py`, 0.3 s a
//! message), is killed with SIGKILL once a few have arrived, and is started again on the same data.
//! Every notification's mail arrives; a mail sent twice (sent, then killed before its delivery was
//! marked) carries the same Message-ID both times, so the receiver can drop the copy.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use kumiki_tests::PgDatabase;
use serde_json::json;

use super::mail::{db_of, free_port, notice, notify, Sink, FROM};
use super::real_server::RealServer;

const PASSWORD: &str = "mail-kill-admin-password";
const MAILS: usize = 20;

fn start(data: &std::path::Path, pg: Option<&PgDatabase>, smtp_port: u16) -> RealServer {
    let extra = [
        "--smtp-url".to_owned(),
        format!("smtp://127.0.0.1:{smtp_port}"),
        "--smtp-from".to_owned(),
        FROM.to_owned(),
        "--smtp-timeout".to_owned(),
        "1".to_owned(),
        "--public-url".to_owned(),
        "https://kumiki.example.jp".to_owned(),
    ];
    RealServer::start(data, pg, PASSWORD, &extra)
}

#[test]
fn a_sigkill_during_deliveries_loses_no_mail() {
    let data = tempfile::tempdir().unwrap();
    let pg = PgDatabase::create();
    let database_url = match &pg {
        Some(db) => db.url(),
        None => format!("sqlite://{}", data.path().join("kumiki.db").display()),
    };
    let mail_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start_on(free_port(), mail_dir.path(), 0.3);
    let mut server = start(data.path(), pg.as_ref(), sink.port);
    let (s, b) = server.call(
        reqwest::Method::POST,
        "/api/org/users.json",
        ("Administrator", PASSWORD),
        json!({"code": "alice", "password": "user-password-1", "mustChangePassword": false}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = server.call(
        reqwest::Method::PUT,
        "/api/account/notifications.json",
        ("alice", "user-password-1"),
        json!({"mode": "each", "email": "alice@example.jp"}),
    );
    assert_eq!(s, 200, "{b}");
    // The planner's position starts at the newest notification on its first run.
    std::thread::sleep(Duration::from_millis(1500));
    {
        let db = db_of(&database_url);
        let mut conn = db.conn().unwrap();
        for n in 0..MAILS {
            notify(&mut conn, &["alice"], &notice(n, &format!("Notice {n}")));
        }
    }
    sink.wait_until("a few mails", Duration::from_secs(60), |m| m.len() >= 3);
    server.kill9();
    let before = sink.messages().len();
    assert!(
        before < MAILS,
        "killed before the batch was done ({before})"
    );

    let _server = start(data.path(), pg.as_ref(), sink.port);
    // Mails claimed by the killed process wait for their lease (8 × (1 s + 1) + 5 s) to end.
    let mails = sink.wait_until("every mail", Duration::from_secs(120), |m| {
        m.iter()
            .map(|m| m["subject"].as_str().unwrap_or(""))
            .collect::<HashSet<_>>()
            .len()
            >= MAILS
    });
    let mut ids_by_subject: HashMap<String, HashSet<String>> = HashMap::new();
    for m in &mails {
        assert_eq!(m["to"], "alice@example.jp");
        ids_by_subject
            .entry(m["subject"].as_str().unwrap().to_owned())
            .or_default()
            .insert(m["messageId"].as_str().unwrap().to_owned());
    }
    for n in 0..MAILS {
        let ids = ids_by_subject
            .get(&format!("[Kumiki] Notice {n}"))
            .unwrap_or_else(|| panic!("notice {n} never arrived"));
        assert_eq!(
            ids.len(),
            1,
            "a resent mail carries the same Message-ID: {ids:?}"
        );
    }
    let distinct: HashSet<&str> = mails
        .iter()
        .map(|m| m["messageId"].as_str().unwrap())
        .collect();
    assert_eq!(distinct.len(), MAILS, "one Message-ID per notification");
    eprintln!(
        "{} mails for {MAILS} notifications ({} sent before the kill)",
        mails.len(),
        before
    );
}
