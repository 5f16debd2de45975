//! A SIGKILL in the middle of a submission load loses no acknowledged answer (issue 15, "Speed and
//! durability"). The real `kumiki` binary serves a published public form; eight residents submit
//! as fast as they can; the server is killed with SIGKILL while they do, and started again on the
//! same data. Every submission that got its `303 …/done?r=<receipt>` (the acknowledgement a
//! resident sees) has its answer row and its record; no record was written without its answer row
//! or the other way round (nothing half-saved); the form's answer counter, its tallies and the rows
//! agree; and the form takes answers again after the restart.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::sql_types::Text;
use diesel::QueryableByName;
use kumiki_engine::db::Database;
use kumiki_tests::PgDatabase;
use serde_json::{json, Value};

use super::real_server::{count, database_url, RealServer};

const PASSWORD: &str = "forms-kill-admin-password";
const ADMIN: (&str, &str) = ("Administrator", PASSWORD);
const RESIDENTS: usize = 8;

#[derive(QueryableByName)]
struct Receipt {
    #[diesel(sql_type = Text)]
    receipt: String,
}

fn receipts(db: &Database, form: i64) -> HashSet<String> {
    let mut conn = db.conn().unwrap();
    let mut b = conn.sql();
    b.push(&format!(
        "SELECT receipt FROM public_form_answers WHERE form_id = {form}"
    ));
    conn.load::<Receipt>(&b)
        .unwrap()
        .into_iter()
        .map(|r| r.receipt)
        .collect()
}

/// An app with three fields and a published form on it without rate limits; returns (app, form, slug).
fn published_form(server: &RealServer) -> (i64, i64, String) {
    let app = server.deployed_app(
        ADMIN,
        "申込（kill）",
        json!({
            "氏名": {"type": "SINGLE_LINE_TEXT", "code": "氏名", "label": "氏名", "required": true},
            "人数": {"type": "NUMBER", "code": "人数", "label": "人数"},
            "区分": {"type": "RADIO_BUTTON", "code": "区分", "label": "区分", "options": {
                "大人": {"label": "大人", "index": "0"}, "子ども": {"label": "子ども", "index": "1"}},
                "defaultValue": "大人"}
        }),
    );
    let (s, b) = server.call(
        reqwest::Method::POST,
        "/api/public-form.json",
        ADMIN,
        json!({"app": app, "name": "申込", "settings": {
            "fields": [{"code": "氏名", "required": true}, {"code": "人数"}, {"code": "区分"}],
            "limits": {"per_address_per_minute": 0, "per_form_per_minute": 0}
        }}),
    );
    assert_eq!(s, 200, "{b}");
    let form = b["id"]
        .as_i64()
        .or_else(|| b["id"].as_str().and_then(|s| s.parse().ok()));
    let form = form.unwrap();
    let slug = b["slug"].as_str().unwrap().to_owned();
    let (s, b) = server.call(
        reqwest::Method::PUT,
        "/api/public-form.json",
        ADMIN,
        json!({"id": form, "state": "published"}),
    );
    assert_eq!(s, 200, "{b}");
    (app, form, slug)
}

/// One resident's submission; `Some(receipt)` when it was acknowledged.
fn submit(client: &reqwest::blocking::Client, port: u16, slug: &str, n: usize) -> Option<String> {
    let name = format!("住民{n}");
    let people = (n % 5).to_string();
    let kind = if n.is_multiple_of(3) {
        "子ども"
    } else {
        "大人"
    };
    let resp = client
        .post(format!("http://127.0.0.1:{port}/f/{slug}"))
        .form(&[
            ("step", "submit"),
            ("lang", "ja"),
            ("homepage", ""),
            ("f.氏名", name.as_str()),
            ("f.人数", people.as_str()),
            ("f.区分", kind),
        ])
        .send()
        .ok()?;
    if resp.status().as_u16() != 303 {
        return None;
    }
    let location = resp.headers().get("location")?.to_str().ok()?;
    let receipt = location.split("r=").nth(1)?;
    Some(receipt.split('&').next()?.to_owned())
}

#[test]
fn a_sigkill_during_submissions_loses_no_acknowledged_answer() {
    let data = tempfile::tempdir().unwrap();
    let pg = PgDatabase::create();
    let database_url = database_url(data.path(), pg.as_ref());
    let mut server = RealServer::start(data.path(), pg.as_ref(), PASSWORD, &[]);
    let (app, form, slug) = published_form(&server);
    let port = server.port;

    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut residents = Vec::new();
    for r in 0..RESIDENTS {
        let (acked, stop, slug) = (Arc::clone(&acked), Arc::clone(&stop), slug.clone());
        residents.push(std::thread::spawn(move || {
            let client = reqwest::blocking::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap();
            let mut n = r;
            while !stop.load(Ordering::Relaxed) {
                if let Some(receipt) = submit(&client, port, &slug, n) {
                    acked.lock().unwrap().push(receipt);
                }
                n += RESIDENTS;
            }
        }));
    }
    // Kill once a good number of answers went through, in the middle of the load.
    let started = Instant::now();
    while acked.lock().unwrap().len() < 200 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the load made no progress ({} acknowledged)",
            acked.lock().unwrap().len()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill9();
    stop.store(true, Ordering::Relaxed);
    for r in residents {
        r.join().unwrap();
    }
    let acked: Vec<String> = acked.lock().unwrap().clone();
    assert!(acked.len() >= 200);

    server.restart();
    let db = Database::connect(&database_url, 1).unwrap();
    let stored = receipts(&db, form);
    let lost: Vec<&String> = acked.iter().filter(|r| !stored.contains(*r)).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    assert_eq!(
        acked.iter().collect::<HashSet<_>>().len(),
        acked.len(),
        "a receipt was given twice"
    );

    // Nothing half-saved: one record per answer row and the other way round.
    let answers = stored.len() as i64;
    let (s, b) = server.call(
        reqwest::Method::GET,
        &format!("/k/v1/records.json?app={app}&totalCount=true&query=limit%201"),
        ADMIN,
        Value::Null,
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["totalCount"].as_str().unwrap(), answers.to_string());
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT COUNT(*) AS n FROM public_form_answers a WHERE a.form_id = {form} \
                 AND NOT EXISTS (SELECT 1 FROM records r WHERE r.app_id = {app} AND r.id = a.record_id)"
            )
        ),
        0,
        "an answer row without its record"
    );
    assert_eq!(
        count(
            &db,
            &format!("SELECT answer_count AS n FROM public_forms WHERE id = {form}")
        ),
        answers,
        "the answer counter (the max-answers gate) disagrees with the rows"
    );
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT CAST(COALESCE(SUM(answers), 0) AS BIGINT) AS n FROM public_form_tallies \
                 WHERE form_id = {form} AND field = '区分'"
            )
        ),
        answers,
        "the tallies disagree with the rows"
    );
    let (s, b) = server.call(
        reqwest::Method::GET,
        &format!("/api/public-form/results.json?form={form}"),
        ADMIN,
        Value::Null,
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["answers"].as_i64(), Some(answers), "{b}");

    // The form takes answers again.
    let client = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let receipt =
        submit(&client, server.port, &slug, 999_999).expect("a submission after the restart");
    assert!(receipts(&db, form).contains(&receipt));
}
