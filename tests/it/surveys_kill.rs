//! A SIGKILL during a survey broadcast to 1,800 organisations loses no notification and creates no
//! duplicate answer (issue 14, "Done when"). The real `kumiki` binary gets 1,800 departments with
//! one or two direct members each (2,700 contacts, seeded by bulk SQL into its database while it
//! runs), sends one survey to all of them to measure how long a send takes, then sends further
//! surveys and is killed with SIGKILL at about 30 % and 60 % of that time and right after a 200, and
//! started again on the same data. After each start a survey is either still a draft with no answer,
//! no bell row and no reminder job, or open with exactly 1,800 answers (one per organisation), one
//! `survey:<id>:sent` notice per contact (each to a member of its answer's organisation) and its two
//! `survey.remind` jobs; a 200 means the second. A draft is sent again and completes; a second send
//! is refused (`CB_VA01` on `id`) and changes nothing. A manual remind killed half-way either
//! happened for every contact or not at all, never twice for the same reminder number.

use std::time::{Duration, Instant};

use diesel::sql_types::{BigInt, Text};
use diesel::QueryableByName;
use kumiki_engine::db::Database;
use kumiki_tests::PgDatabase;
use serde_json::{json, Value};

use super::real_server::RealServer;

const PASSWORD: &str = "surveys-kill-admin-password";
const ORGS: i64 = 1800;
/// Department `i` has the member `a`, and `b` too when `i` is even.
const CONTACTS: i64 = 2700;
/// The default reminders `[3, 0]` of a survey due in ten days: two jobs.
const JOBS: i64 = 2;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct State {
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = BigInt)]
    reminders_sent: i64,
}

/// One number from `sql` (test-made SQL, no input).
fn count(db: &Database, sql: &str) -> i64 {
    let mut conn = db.conn().unwrap();
    let mut b = conn.sql();
    b.push(sql);
    conn.load::<Count>(&b).unwrap()[0].n
}

fn survey_state(db: &Database, id: i64) -> State {
    let mut conn = db.conn().unwrap();
    let mut b = conn.sql();
    b.push(&format!(
        "SELECT state, reminders_sent FROM surveys WHERE id = {id}"
    ));
    conn.load::<State>(&b).unwrap().remove(0)
}

fn exec(db: &Database, sql: &str) {
    let mut conn = db.conn().unwrap();
    let mut b = conn.sql();
    b.push(sql);
    conn.execute(&b).unwrap();
}

/// Inserts `rows` into `table (columns)` 500 at a time.
fn bulk(db: &Database, table: &str, columns: &str, rows: &[String]) {
    for chunk in rows.chunks(500) {
        exec(
            db,
            &format!(
                "INSERT INTO {table} ({columns}) VALUES {}",
                chunk.join(", ")
            ),
        );
    }
}

/// 1,800 departments `kd0000`.. with their members `ku0000a` (and `ku0000b` for even ones).
fn seed(db: &Database) {
    let mut users = Vec::new();
    let mut members = Vec::new();
    for i in 0..ORGS {
        let letters: &[&str] = if i % 2 == 0 { &["a", "b"] } else { &["a"] };
        for l in letters {
            users.push(format!(
                "('ku{i:04}{l}', '担当{i}{l}', '-', FALSE, 'ja', 'Asia/Tokyo', 0)"
            ));
            members.push(format!("('ku{i:04}{l}', 'kd{i:04}', TRUE)"));
        }
    }
    bulk(
        db,
        "users",
        "code, name, password_hash, is_admin, locale, timezone, created_at",
        &users,
    );
    let depts: Vec<String> = (0..ORGS)
        .map(|i| format!("('kd{i:04}', '組織{i}', NULL, {i})"))
        .collect();
    bulk(db, "departments", "code, name, parent_code, sort", &depts);
    bulk(
        db,
        "user_departments",
        "user_code, department_code, is_primary",
        &members,
    );
    assert_eq!(
        count(db, "SELECT COUNT(*) AS n FROM users WHERE code LIKE 'ku%'"),
        CONTACTS
    );
}

/// A POST as Administrator that may meet a killed server (then `Err`).
fn post(port: u16, path: &str, body: &Value) -> Result<(u16, Value), reqwest::Error> {
    use base64::Engine as _;
    let auth =
        base64::engine::general_purpose::STANDARD.encode(format!("Administrator:{PASSWORD}"));
    let resp = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()?
        .post(format!("http://127.0.0.1:{port}{path}"))
        .header("X-Cybozu-Authorization", auth)
        .json(body)
        .send()?;
    let status = resp.status().as_u16();
    Ok((status, resp.json().unwrap_or(Value::Null)))
}

fn create(server: &RealServer, title: &str) -> i64 {
    let due = (chrono::Utc::now() + chrono::Duration::days(10))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let recipients: Vec<Value> = (0..ORGS)
        .map(|i| json!({"kind": "department", "code": format!("kd{i:04}")}))
        .collect();
    let (s, b) = post(
        server.port,
        "/api/surveys/survey.json",
        &json!({"title": title, "body": "<p>回答をお願いします。</p>", "dueAt": due,
                "recipients": recipients}),
    )
    .unwrap();
    assert_eq!(s, 200, "{b}");
    b["id"].as_i64().unwrap()
}

/// What a survey has left in the database, checked against the two allowed outcomes; true when it
/// is open (sent completely), false when it is still a draft with nothing of a send.
fn check(db: &Database, id: i64, must_be_open: bool) -> bool {
    let state = survey_state(db, id).state;
    let answers = count(
        db,
        &format!("SELECT COUNT(*) AS n FROM survey_answers WHERE survey_id = {id}"),
    );
    let bells = count(
        db,
        &format!("SELECT COUNT(*) AS n FROM notifications WHERE source_key LIKE 'survey:{id}:%'"),
    );
    let jobs = count(
        db,
        &format!(
            "SELECT COUNT(*) AS n FROM jobs WHERE kind = 'survey.remind' \
             AND dedupe_key LIKE 'survey.remind:{id}:%'"
        ),
    );
    let audits = count(
        db,
        &format!(
            "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'survey.send' \
             AND target = 'survey:{id}'"
        ),
    );
    if state == "draft" {
        assert!(
            !must_be_open,
            "survey {id}: the client got 200 but it is a draft"
        );
        assert_eq!(answers, 0, "survey {id}: a draft has no answers");
        assert_eq!(bells, 0, "survey {id}: a draft has no bell rows");
        assert_eq!(jobs, 0, "survey {id}: a draft has no reminder jobs");
        assert_eq!(
            audits, 0,
            "survey {id}: a draft has no send in the audit log"
        );
        return false;
    }
    assert_eq!(state, "open", "survey {id}");
    assert_eq!(answers, ORGS, "survey {id}: one answer per organisation");
    let orgs = count(
        db,
        &format!(
            "SELECT COUNT(*) AS n FROM (SELECT DISTINCT org_kind, org_code FROM survey_answers \
             WHERE survey_id = {id} AND org_kind = 'department' AND org_code LIKE 'kd%') t"
        ),
    );
    assert_eq!(orgs, ORGS, "survey {id}: every organisation once");
    let sent = format!("source_key = 'survey:{id}:sent'");
    assert_eq!(
        count(
            db,
            &format!("SELECT COUNT(*) AS n FROM notifications WHERE {sent}")
        ),
        CONTACTS,
        "survey {id}: one sent notice per contact"
    );
    assert_eq!(
        count(
            db,
            &format!(
                "SELECT COUNT(*) AS n FROM (SELECT DISTINCT user_code FROM notifications \
                 WHERE {sent}) t"
            )
        ),
        CONTACTS,
        "survey {id}: no contact notified twice, none left out"
    );
    // Each notice links to the answer of an organisation its user is a member of.
    assert_eq!(
        count(
            db,
            &format!(
                "SELECT COUNT(*) AS n FROM notifications n \
                 JOIN survey_answers a ON n.link = ('/surveys/answers/' || a.id) \
                 JOIN user_departments d ON d.user_code = n.user_code \
                 AND d.department_code = a.org_code \
                 WHERE n.{sent} AND a.survey_id = {id}"
            )
        ),
        CONTACTS,
        "survey {id}: every notice to a contact of its own answer"
    );
    assert_eq!(
        jobs, JOBS,
        "survey {id}: the reminder jobs planned once each"
    );
    assert_eq!(
        count(
            db,
            &format!(
                "SELECT COUNT(*) AS n FROM (SELECT DISTINCT dedupe_key FROM jobs \
                 WHERE kind = 'survey.remind' AND dedupe_key LIKE 'survey.remind:{id}:%') t"
            )
        ),
        JOBS
    );
    true
}

/// How many of the server's transactions hold uncommitted writes (the evidence that a kill lands
/// inside the broadcast): on PostgreSQL the backends with a transaction id, on SQLite 1 when the
/// write lock is taken (`BEGIN IMMEDIATE` without waiting is busy), else 0.
fn open_writes(db: &Database, postgres: bool) -> i64 {
    if postgres {
        return count(
            db,
            "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() \
             AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL",
        );
    }
    let mut conn = db.conn().unwrap();
    conn.batch_execute("PRAGMA busy_timeout = 0").unwrap();
    let busy = match conn.batch_execute("BEGIN IMMEDIATE") {
        Ok(()) => {
            conn.batch_execute("ROLLBACK").unwrap();
            0
        }
        Err(_) => 1,
    };
    conn.batch_execute("PRAGMA busy_timeout = 10000").unwrap();
    busy
}

/// Everything of surveys that a refused second send must leave alone (other jobs, e.g. the
/// server's own periodic ones, may come and go).
fn totals(db: &Database) -> [i64; 4] {
    [
        count(db, "SELECT COUNT(*) AS n FROM survey_answers"),
        count(
            db,
            "SELECT COUNT(*) AS n FROM notifications WHERE source_key LIKE 'survey:%'",
        ),
        count(
            db,
            "SELECT COUNT(*) AS n FROM jobs WHERE kind = 'survey.remind'",
        ),
        count(db, "SELECT COUNT(*) AS n FROM survey_answer_events"),
    ]
}

fn send_again_is_refused(server: &RealServer, db: &Database, id: i64) {
    let before = totals(db);
    let (s, b) = post(server.port, "/api/surveys/send.json", &json!({"id": id})).unwrap();
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["code"], "CB_VA01", "{b}");
    assert!(b["errors"]["id"]["messages"][0].is_string(), "{b}");
    assert_eq!(totals(db), before, "a refused send changes nothing");
    assert!(check(db, id, true));
}

/// The manual reminders of survey `id` so far: each reminder number reached every contact once,
/// or (killed) nobody; returns the reminders sent.
fn check_reminders(db: &Database, id: i64) -> i64 {
    let sent = survey_state(db, id).reminders_sent;
    for n in 1..=sent + 1 {
        let key = format!("source_key = 'survey:{id}:remind:{n}'");
        let rows = count(
            db,
            &format!("SELECT COUNT(*) AS n FROM notifications WHERE {key}"),
        );
        let users = count(
            db,
            &format!(
                "SELECT COUNT(*) AS n FROM (SELECT DISTINCT user_code FROM notifications \
                 WHERE {key}) t"
            ),
        );
        let expected = if n <= sent { CONTACTS } else { 0 };
        assert_eq!(rows, expected, "survey {id}: reminder {n} of {sent}");
        assert_eq!(
            users, expected,
            "survey {id}: reminder {n} of {sent}, once per contact"
        );
    }
    assert_eq!(
        count(
            db,
            &format!(
                "SELECT COUNT(*) AS n FROM survey_answer_events e \
                 JOIN survey_answers a ON a.id = e.answer_id \
                 WHERE a.survey_id = {id} AND e.action = 'reminded'"
            )
        ),
        sent * ORGS,
        "survey {id}: one reminded event per answer and reminder"
    );
    sent
}

#[test]
fn a_sigkill_during_a_survey_broadcast_loses_no_notice_and_duplicates_no_answer() {
    let started = Instant::now();
    let data = tempfile::tempdir().unwrap();
    let pg = PgDatabase::create();
    let database_url = match &pg {
        Some(db) => db.url(),
        None => format!("sqlite://{}", data.path().join("kumiki.db").display()),
    };
    let start = || RealServer::start(data.path(), pg.as_ref(), PASSWORD, &[]);
    let mut server = start();
    let db = Database::connect(&database_url, 2).unwrap();
    seed(&db);
    eprintln!("seeded {ORGS} organisations in {:?}", started.elapsed());

    // A whole send, to measure it.
    let measured = create(&server, "計測");
    let t = Instant::now();
    let (s, b) = post(
        server.port,
        "/api/surveys/send.json",
        &json!({"id": measured}),
    )
    .unwrap();
    let send_time = t.elapsed();
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["answers"], ORGS);
    assert!(check(&db, measured, true));
    // A refused send (authentication and the survey's lookup): the time before the broadcast.
    let t = Instant::now();
    send_again_is_refused(&server, &db, measured);
    let overhead = t.elapsed().min(send_time);
    let broadcast = send_time - overhead;
    eprintln!(
        "a send to {ORGS} organisations takes {send_time:?}, {overhead:?} before the broadcast"
    );

    // Kills at 10 %, 50 % and 90 % into the broadcast, and right after its response; more rounds
    // at 30 % while no kill has yet caught a broadcast's uncommitted transaction (a loaded machine).
    let mut plan = vec![Some(0.1), Some(0.5), Some(0.9), None];
    let mut interrupted = 0;
    let mut round = 0;
    while round < plan.len() {
        let fraction = plan[round];
        let id = create(&server, &format!("強制終了 {round}"));
        let port = server.port;
        let client =
            std::thread::spawn(move || post(port, "/api/surveys/send.json", &json!({"id": id})));
        let mut writing = None;
        let answer = match fraction {
            Some(f) => {
                std::thread::sleep(overhead + broadcast.mul_f64(f));
                writing = Some(open_writes(&db, pg.is_some()));
                server.kill9();
                client.join().unwrap()
            }
            None => {
                let answer = client.join().unwrap();
                server.kill9();
                answer
            }
        };
        let got_200 = matches!(&answer, Ok((200, _)));
        if let Ok((s, b)) = &answer {
            assert_eq!(*s, 200, "no error but the kill: {b}");
        }
        server = start();
        let open = check(&db, id, got_200);
        let when = match (fraction, writing) {
            (Some(f), Some(w)) => {
                format!(
                    "{:.0} % into the broadcast ({w} uncommitted writer(s) then)",
                    f * 100.0
                )
            }
            _ => "right after the response".to_owned(),
        };
        let client = if got_200 {
            "got 200"
        } else {
            "lost the connection"
        };
        let survey = if open { "open" } else { "still a draft" };
        eprintln!("round {round}: killed {when}: client {client}, survey {survey}");
        if !open {
            let (s, b) = post(server.port, "/api/surveys/send.json", &json!({"id": id})).unwrap();
            assert_eq!(s, 200, "{b}");
            assert_eq!(b["answers"], ORGS);
            assert!(check(&db, id, true));
        }
        send_again_is_refused(&server, &db, id);
        if !open && writing.is_some_and(|w| w > 0) {
            interrupted += 1;
        }
        round += 1;
        if round == plan.len() && interrupted == 0 && plan.len() < 10 {
            plan.push(Some(0.3));
        }
    }
    assert!(
        interrupted > 0,
        "no kill of {round} caught a broadcast before its commit"
    );

    // A manual remind: a whole one to measure it, then one killed half-way.
    let t = Instant::now();
    let (s, b) = post(
        server.port,
        "/api/surveys/remind.json",
        &json!({"id": measured}),
    )
    .unwrap();
    let remind_time = t.elapsed();
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["reminded"], ORGS);
    assert_eq!(check_reminders(&db, measured), 1);
    let port = server.port;
    let client = std::thread::spawn(move || {
        post(port, "/api/surveys/remind.json", &json!({"id": measured}))
    });
    let remind_overhead = overhead.min(remind_time);
    let kill_at = remind_overhead + (remind_time - remind_overhead) / 2;
    std::thread::sleep(kill_at);
    let writing = open_writes(&db, pg.is_some());
    server.kill9();
    let answer = client.join().unwrap();
    server = start();
    let sent = check_reminders(&db, measured);
    match &answer {
        Ok((s, b)) => {
            assert_eq!(*s, 200, "{b}");
            assert_eq!(sent, 2, "a remind answered 200 happened");
        }
        Err(_) => assert!(sent == 1 || sent == 2, "{sent}"),
    }
    eprintln!(
        "remind killed after {kill_at:?} of {remind_time:?} ({writing} uncommitted writer(s) \
         then): reminders sent {sent}"
    );
    let (s, b) = post(
        server.port,
        "/api/surveys/remind.json",
        &json!({"id": measured}),
    )
    .unwrap();
    assert_eq!(s, 200, "{b}");
    assert_eq!(check_reminders(&db, measured), sent + 1);
    // Two reminds at once (a double click, a client's retry): each answered 200 is one whole
    // reminder under its own number; the other may be refused, never half-counted.
    let before = check_reminders(&db, measured);
    let port = server.port;
    let clients: Vec<_> = (0..2)
        .map(|_| {
            std::thread::spawn(move || {
                post(port, "/api/surveys/remind.json", &json!({"id": measured})).unwrap()
            })
        })
        .collect();
    let mut ok = 0;
    for c in clients {
        let (s, b) = c.join().unwrap();
        if s == 200 {
            ok += 1;
        } else {
            assert_eq!((s, &b["code"]), (400, &json!("CB_VA01")), "{b}");
        }
    }
    assert!(ok >= 1);
    eprintln!("two reminds at once: {ok} answered 200");
    assert_eq!(check_reminders(&db, measured), before + ok);
    assert!(check(&db, measured, true), "reminding sends nothing again");
    drop(server);
    eprintln!("surveys_kill done in {:?}", started.elapsed());
}
