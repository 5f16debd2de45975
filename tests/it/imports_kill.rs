//! A record import is a durable job (issue 16): the real `kumiki` binary checks a CSV of 4,000
//! rows and plans its import, is killed with SIGKILL once the job has written some records inside
//! its transaction, and is started again on the same data. Nothing of the killed run is kept. The import then completes
//! exactly once: every row is one record, none twice, the import says `done` with the count, and
//! its one job is done. A killed node's job runs again once its lease has ended; the test ends the
//! lease in the database instead of waiting the two minutes.

use std::time::{Duration, Instant};

use kumiki_engine::db::Database;
use kumiki_tests::PgDatabase;
use serde_json::{json, Value};

use super::real_server::{count, database_url, execute, RealServer};

const PASSWORD: &str = "imports-kill-admin-password";
const ADMIN: (&str, &str) = ("Administrator", PASSWORD);
const ROWS: usize = 4000;

fn app_with_fields(server: &RealServer) -> i64 {
    server.deployed_app(
        ADMIN,
        "読込（kill）",
        json!({
            "件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名", "unique": true},
            "数量": {"type": "NUMBER", "code": "数量", "label": "数量"},
        }),
    )
}

#[test]
fn an_import_killed_half_way_completes_exactly_once_after_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let pg = PgDatabase::create();
    let database_url = database_url(data.path(), pg.as_ref());
    let mut server = RealServer::start(data.path(), pg.as_ref(), PASSWORD, &[]);
    let app = app_with_fields(&server);
    let mut csv = String::from("件名,数量\n");
    for i in 0..ROWS {
        csv.push_str(&format!("案件{i},{i}\n"));
    }
    let key = server.upload(ADMIN, "many.csv", csv.into_bytes());
    let (s, b) = server.call(
        reqwest::Method::POST,
        "/api/records/import.json",
        ADMIN,
        json!({"app": app, "fileKey": key}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["report"]["errors"], json!([]), "{b}");
    let id = b["id"].as_str().unwrap().to_owned();
    let (s, b) = server.call(
        reqwest::Method::POST,
        "/api/records/import/run.json",
        ADMIN,
        json!({"id": id}),
    );
    assert_eq!(s, 200, "{b}");
    assert!(b["state"] == "queued" || b["state"] == "running", "{b}");
    // Kill once the runner has written some records inside its transaction.
    let started = Instant::now();
    loop {
        let (s, b) = server.call(
            reqwest::Method::GET,
            &format!("/api/records/import.json?id={id}"),
            ADMIN,
            Value::Null,
        );
        assert_eq!(s, 200, "{b}");
        assert_ne!(b["state"], "done", "the import ended before the kill: {b}");
        if b["progress"]["done"].as_i64().unwrap_or(0) > 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no progress: {b}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill9();

    let db = Database::connect(&database_url, 1).unwrap();
    // Nothing of a killed import is kept: its records were in one uncommitted transaction.
    let written = count(
        &db,
        &format!("SELECT COUNT(*) AS n FROM records WHERE app_id = {app}"),
    );
    assert_eq!(written, 0, "half an import was kept");
    // The lease of the killed node's job ends (as it would two minutes later).
    execute(
        &db,
        "UPDATE jobs SET lease_until = 0 WHERE kind = 'records.import' AND state = 'running'",
    );

    server.restart();
    let started = Instant::now();
    let status = loop {
        let (s, b) = server.call(
            reqwest::Method::GET,
            &format!("/api/records/import.json?id={id}"),
            ADMIN,
            Value::Null,
        );
        assert_eq!(s, 200, "{b}");
        if b["state"] == "done" || b["state"] == "failed" {
            break b;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "not done: {b}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(status["state"], "done", "{status}");
    assert_eq!(status["recordsWritten"], ROWS as i64, "{status}");
    assert_eq!(
        count(
            &db,
            &format!("SELECT COUNT(*) AS n FROM records WHERE app_id = {app}"),
        ),
        ROWS as i64,
        "every row once"
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) AS n FROM jobs WHERE kind = 'records.import' AND state = 'done'",
        ),
        1
    );
    // A finished import does not run again.
    let (s, _) = server.call(
        reqwest::Method::POST,
        "/api/records/import/run.json",
        ADMIN,
        json!({"id": id}),
    );
    assert_eq!(s, 400);
    assert_eq!(
        count(
            &db,
            &format!("SELECT COUNT(*) AS n FROM records WHERE app_id = {app}"),
        ),
        ROWS as i64
    );
}
