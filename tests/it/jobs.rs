//! Durable jobs (issue 11): the job table's contract (planned once, leased, taken over after the
//! lease, retried with backoff, given up, pruned), scheduled scripts that survive a SIGKILL and run
//! once when the server is back, two servers on one PostgreSQL that run a due job once, and a
//! failing scheduled script that is retried, recorded and blocks no other app.
//!
//! A missed hour is simulated by moving a planned job's `run_at` into the past directly in the
//! database while the server is down (the product has no switch for it).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use diesel::{Connection, PgConnection, RunQueryDsl};
use kumiki_engine::apps::ScriptEvent;
use kumiki_engine::db::Database;
use kumiki_engine::jobs::{self, Job, JobState, NewJob};
use kumiki_platform::script_schedule::{next_boundary, DAILY, HOURLY, MAX_ATTEMPTS};
use kumiki_tests::{postgres_base, TestApp, ADMIN_PASSWORD};
use serde_json::{json, Value};

/// Unix seconds.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap())
        .unwrap()
}

fn text(code: &str) -> Value {
    json!({"type": "SINGLE_LINE_TEXT", "code": code, "label": code})
}

/// An hourly script that writes to app `log` (declared, as every other app a script uses).
pub(crate) fn hourly(source: &str, log: i64) -> Value {
    json!([{"name": "hourly", "events": ["schedule.hourly"], "source": source,
        "apps": [{"app": log, "access": "write"}]}])
}

/// Polls `f` every 100 ms until it gives a value; fails after `limit`.
fn wait_for<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Every job of `kind` for `app`, oldest first.
pub(crate) fn jobs_of(db: &Database, kind: &str, app: i64) -> Vec<Job> {
    let mut all = jobs::list(&mut db.conn().unwrap(), None, 10_000).unwrap();
    all.retain(|j| j.kind == kind && j.payload["app"] == app);
    all.reverse();
    all
}

/// The one planned (queued) job of `kind` for `app`, once the server has planned it.
pub(crate) fn planned(db: &Database, kind: &str, app: i64) -> Job {
    wait_for("the planned job", Duration::from_secs(30), || {
        let pending: Vec<Job> = jobs_of(db, kind, app)
            .into_iter()
            .filter(|j| j.state == JobState::Queued)
            .collect();
        assert!(pending.len() <= 1, "one planned job per app: {pending:?}");
        pending.into_iter().next()
    })
}

/// Moves job `id`'s run time, as if the clock had moved on.
pub(crate) fn set_run_at(db: &Database, id: i64, at: i64) {
    let mut conn = db.conn().unwrap();
    let mut b = conn.sql();
    b.push("UPDATE jobs SET run_at = ")
        .bind_int(at)
        .push(" WHERE id = ")
        .bind_int(id);
    assert_eq!(conn.execute(&b).unwrap(), 1);
}

#[test]
fn jobs_are_planned_once_leased_taken_over_retried_and_pruned() {
    // The server's runner only claims its own kinds; this kind is the test's alone.
    let app = TestApp::spawn();
    let db = Database::connect(&app.database_url, 2).unwrap();
    let mut conn = db.conn().unwrap();
    let kinds = ["test.echo"];
    // In the future: the server prunes finished jobs of the past (kinds aside).
    let t = now() + 100_000;
    let payload = json!({"n": 1});
    let job = |key: &'static str, run_at: i64| NewJob {
        kind: "test.echo",
        dedupe_key: key,
        payload: &payload,
        run_at,
        max_attempts: 2,
    };
    assert!(jobs::enqueue(&mut conn, &job("a", t), t).unwrap());
    assert!(
        !jobs::enqueue(&mut conn, &job("a", t + 5), t).unwrap(),
        "the same key is planned once"
    );
    assert!(jobs::enqueue(&mut conn, &job("later", t + 100), t).unwrap());

    // Not due yet; then due, and claimed by exactly one node.
    assert!(jobs::claim(&mut conn, "node-a", &kinds, t - 1, 60, 10)
        .unwrap()
        .0
        .is_empty());
    let (got, _) = jobs::claim(&mut conn, "node-a", &kinds, t, 60, 10).unwrap();
    assert_eq!(got.len(), 1);
    let a = &got[0];
    assert_eq!(
        (a.dedupe_key.as_str(), a.state, a.attempts),
        ("a", JobState::Running, 1)
    );
    assert_eq!(
        (a.lease_owner.as_deref(), a.lease_until),
        (Some("node-a"), Some(t + 60))
    );
    assert_eq!(a.payload, payload);
    assert!(jobs::claim(&mut conn, "node-b", &kinds, t + 30, 60, 10)
        .unwrap()
        .0
        .is_empty());
    // A long job's heartbeat: node-a renews its lease; node-b cannot renew what it does not hold
    // and cannot claim the job past the first lease.
    assert!(jobs::renew(&mut conn, a.id, "node-a", t + 90).unwrap());
    assert!(!jobs::renew(&mut conn, a.id, "node-b", t + 200).unwrap());
    assert!(jobs::claim(&mut conn, "node-b", &kinds, t + 61, 60, 10)
        .unwrap()
        .0
        .is_empty());
    assert!(jobs::renew(&mut conn, a.id, "node-a", t + 60).unwrap());

    // node-a dies: after the lease node-b takes the job over; node-a's late completion changes
    // nothing, node-b's counts.
    let (got, _) = jobs::claim(&mut conn, "node-b", &kinds, t + 61, 60, 10).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].id, got[0].attempts), (a.id, 2));
    assert!(!jobs::complete(&mut conn, a.id, "node-a", t + 62).unwrap());
    assert_eq!(
        jobs::fail(&mut conn, a.id, "node-a", "late", t + 62).unwrap(),
        None
    );
    assert!(jobs::complete(&mut conn, a.id, "node-b", t + 63).unwrap());
    let done = jobs::find_by_key(&mut conn, "a").unwrap().unwrap();
    assert_eq!(
        (done.state, done.finished_at, done.lease_owner),
        (JobState::Done, Some(t + 63), None)
    );

    // A failure is retried after the backoff, then given up with its error.
    let (got, _) = jobs::claim(&mut conn, "node-a", &kinds, t + 100, 60, 10).unwrap();
    let later = got[0].id;
    assert_eq!(
        jobs::fail(&mut conn, later, "node-a", "disk full", t + 101).unwrap(),
        Some(JobState::Queued)
    );
    let retry = jobs::find_by_key(&mut conn, "later").unwrap().unwrap();
    assert_eq!(retry.run_at, t + 101 + jobs::backoff(1));
    assert_eq!(retry.last_error.as_deref(), Some("disk full"));
    assert!(jobs::claim(&mut conn, "node-a", &kinds, t + 102, 60, 10)
        .unwrap()
        .0
        .is_empty());
    let (got, _) = jobs::claim(&mut conn, "node-a", &kinds, retry.run_at, 60, 10).unwrap();
    assert_eq!(got[0].attempts, 2);
    assert_eq!(
        jobs::fail(
            &mut conn,
            later,
            "node-a",
            "disk still full",
            retry.run_at + 1
        )
        .unwrap(),
        Some(JobState::Failed)
    );
    let failed = jobs::list(&mut conn, Some(JobState::Failed), 10).unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].last_error.as_deref(), Some("disk still full"));

    // A node that dies during the last attempt: the job is given up when its lease ends.
    assert!(jobs::enqueue(&mut conn, &job("killer", t), t).unwrap());
    let killer = jobs::find_by_key(&mut conn, "killer").unwrap().unwrap().id;
    for (i, node) in ["node-a", "node-b"].into_iter().enumerate() {
        let at = t + 1_000 + 100 * i64::try_from(i).unwrap();
        let (got, _) = jobs::claim(&mut conn, node, &kinds, at, 60, 10).unwrap();
        assert_eq!(got.iter().map(|j| j.id).collect::<Vec<_>>(), vec![killer]);
    }
    let (got, gave_up) = jobs::claim(&mut conn, "node-c", &kinds, t + 2_000, 60, 10).unwrap();
    assert_eq!((got.len(), gave_up), (0, 1));
    let given_up = jobs::find_by_key(&mut conn, "killer").unwrap().unwrap();
    assert_eq!(given_up.state, JobState::Failed);
    assert_eq!(given_up.last_error.as_deref(), Some(jobs::LEASE_ENDED));

    // Pruning keeps what finished after the cut-offs. The server's own jobs (of other kinds, done
    // at start-up while this test ran) may be pruned too, so only this test's rows are counted.
    let mine = |conn: &mut kumiki_engine::db::DbConn| {
        ["a", "later", "killer"]
            .into_iter()
            .filter(|k| jobs::find_by_key(conn, k).unwrap().is_some())
            .collect::<Vec<_>>()
    };
    jobs::prune(&mut conn, t + 64, t).unwrap();
    assert_eq!(mine(&mut conn), ["later", "killer"], "the done job");
    jobs::prune(&mut conn, t + 64, t + 10_000).unwrap();
    assert_eq!(mine(&mut conn), Vec::<&str>::new(), "the failed ones");
    assert!(jobs::find_by_key(&mut conn, "a").unwrap().is_none());
}

/// A `kumiki` server in its own process (this test binary re-run as `server_process`), so that
/// the test can kill it with SIGKILL.
struct ServerProcess {
    child: Child,
    base: String,
    client: reqwest::blocking::Client,
}

impl ServerProcess {
    fn start(data_dir: &Path, database_url: &str) -> ServerProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(std::env::current_exe().unwrap())
            .args([
                "jobs::server_process",
                "--exact",
                "--ignored",
                "--test-threads=1",
            ])
            .env("KUMIKI_JOBS_SERVER_DIR", data_dir)
            .env("KUMIKI_JOBS_SERVER_DB", database_url)
            .env("KUMIKI_JOBS_SERVER_PORT", port.to_string())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut server = ServerProcess {
            child,
            base: format!("http://127.0.0.1:{port}"),
            client: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
        };
        wait_for("the server to start", Duration::from_secs(60), || {
            assert!(server.child.try_wait().unwrap().is_none(), "server exited");
            server
                .client
                .get(format!("{}/healthz", server.base))
                .send()
                .ok()
                .filter(|r| r.status().is_success())
        });
        server
    }

    fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let login = base64::engine::general_purpose::STANDARD
            .encode(format!("Administrator:{ADMIN_PASSWORD}"));
        let mut rb = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("X-Cybozu-Authorization", login);
        if !body.is_null() {
            rb = rb.json(&body);
        }
        let resp = rb.send().unwrap();
        let status = resp.status().as_u16();
        let v: Value = resp.json().unwrap();
        assert_eq!(status, 200, "{path}: {v}");
        v
    }

    fn create_app(&self, name: &str) -> i64 {
        let b = self.call(
            reqwest::Method::POST,
            "/k/v1/preview/app.json",
            json!({"name": name}),
        );
        let app: i64 = b["app"].as_str().unwrap().parse().unwrap();
        self.call(
            reqwest::Method::POST,
            "/k/v1/preview/app/form/fields.json",
            json!({"app": app, "properties": {"title": text("title")}}),
        );
        self.deploy(app);
        app
    }

    fn deploy(&self, app: i64) {
        self.call(
            reqwest::Method::POST,
            "/k/v1/preview/app/deploy.json",
            json!({"apps": [{"app": app}]}),
        );
    }

    fn count(&self, app: i64) -> i64 {
        let b = self.call(
            reqwest::Method::GET,
            &format!("/k/v1/records.json?app={app}&totalCount=true"),
            Value::Null,
        );
        b["totalCount"].as_str().unwrap().parse().unwrap()
    }

    /// SIGKILL: no shutdown code runs.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
#[ignore = "not a test: the server process that the SIGKILL test starts and kills"]
fn server_process() {
    let (Ok(dir), Ok(url), Ok(port)) = (
        std::env::var("KUMIKI_JOBS_SERVER_DIR"),
        std::env::var("KUMIKI_JOBS_SERVER_DB"),
        std::env::var("KUMIKI_JOBS_SERVER_PORT"),
    ) else {
        return;
    };
    let settings = kumiki_platform::Settings {
        port: port.parse().unwrap(),
        data_dir: dir.into(),
        database_url: Some(url),
        admin_password: Some(ADMIN_PASSWORD.into()),
        load_examples: false,
        workers: 2,
        db_pool_size: 4,
        search_dictionary: kumiki_search::morph::DictionarySetting::Off,
        ..kumiki_platform::Settings::default()
    };
    actix_web::rt::System::new().block_on(async move {
        let app = kumiki_platform::Application::build(settings).await.unwrap();
        app.run_until_stopped().await.unwrap();
    });
}

/// A fresh PostgreSQL database for a server process (dropped at the end), or None on SQLite.
struct PgDatabase {
    base: String,
    name: String,
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

fn database_for(dir: &Path) -> (String, Option<PgDatabase>) {
    let Some(base) = postgres_base() else {
        return (
            format!("sqlite://{}", dir.join("kumiki.db").display()),
            None,
        );
    };
    let base = if base.ends_with('/') {
        base
    } else {
        format!("{base}/")
    };
    let name = format!("kj_{}", uuid::Uuid::new_v4().simple());
    let mut c = PgConnection::establish(&format!("{base}postgres")).unwrap();
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut c)
        .unwrap();
    (format!("{base}{name}"), Some(PgDatabase { base, name }))
}

#[test]
fn a_run_missed_while_the_server_was_down_runs_once_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (url, pg) = database_for(dir.path());
    let server = ServerProcess::start(dir.path(), &url);
    let log = server.create_app("記録");
    let hourly_app = server.create_app("毎時");
    server.call(
        reqwest::Method::PUT,
        "/api/app/scripts.json",
        json!({"app": hourly_app, "scripts": hourly(&format!("add_record({log}, #{{title: \"毎時\"}});"), log)}),
    );
    server.deploy(hourly_app);

    let db = Database::connect(&url, 2).unwrap();
    let job = planned(&db, HOURLY, hourly_app);
    let t = now();
    assert!(
        job.run_at > t && job.run_at <= t + 3600,
        "the next hour: {job:?}"
    );
    assert_eq!(
        job.run_at,
        next_boundary(
            ScriptEvent::ScheduleHourly,
            job.run_at - 1,
            chrono_tz::Asia::Tokyo
        )
    );
    assert!(
        jobs_of(&db, DAILY, hourly_app).is_empty(),
        "no daily script, no daily job"
    );

    server.kill();
    // Three hours pass while the server is down.
    set_run_at(&db, job.id, t - 3 * 3600);

    let server = ServerProcess::start(dir.path(), &url);
    wait_for("the missed run", Duration::from_secs(30), || {
        (server.count(log) > 0).then_some(())
    });
    // Several runner polls later there is still exactly one run.
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(server.count(log), 1, "the missed hours run once");
    let all = jobs_of(&db, HOURLY, hourly_app);
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(
        (all[0].id, all[0].state, all[0].attempts),
        (job.id, JobState::Done, 1)
    );
    // The next run is planned after now (the moved job's own boundary counts as run).
    let next = &all[1];
    assert_eq!(next.state, JobState::Queued);
    assert!(
        next.run_at > now() && next.run_at <= now() + 2 * 3600,
        "{next:?}"
    );
    server.kill();
    drop(pg);
}

#[test]
fn two_servers_on_one_postgres_run_a_due_job_once() {
    if postgres_base().is_none() {
        return; // SQLite: one file has one server.
    }
    let a = TestApp::spawn();
    let url = a.database_url.clone();
    let b = a.second_node();
    let log = a.create_app("記録", json!({"title": text("title")}));
    let apps: Vec<i64> = (0..3)
        .map(|i| {
            let id = a.create_app(&format!("毎時{i}"), json!({"title": text("title")}));
            let source = format!("add_record({log}, #{{title: \"{id}\"}});");
            let (s, body) = a.put(
                "/api/app/scripts.json",
                json!({"app": id, "scripts": hourly(&source, log)}),
            );
            assert_eq!(s, 200, "{body}");
            a.deploy(id);
            id
        })
        .collect();
    let db = Database::connect(&url, 2).unwrap();
    // Both nodes plan; each app still has one planned job.
    std::thread::sleep(Duration::from_secs(3));
    let due: Vec<Job> = apps.iter().map(|id| planned(&db, HOURLY, *id)).collect();
    for job in &due {
        set_run_at(&db, job.id, now() - 10);
    }
    let titles = || {
        let (s, body) = b.get(&format!("/k/v1/records.json?app={log}"));
        assert_eq!(s, 200, "{body}");
        let mut t: Vec<String> = body["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["title"]["value"].as_str().unwrap().to_owned())
            .collect();
        t.sort();
        t
    };
    wait_for("every due job to run", Duration::from_secs(30), || {
        (titles().len() >= apps.len()).then_some(())
    });
    std::thread::sleep(Duration::from_secs(4));
    let mut expected: Vec<String> = apps.iter().map(|id| id.to_string()).collect();
    expected.sort();
    assert_eq!(titles(), expected, "each app ran once across both servers");
    for job in &due {
        let all = jobs_of(&db, HOURLY, job.payload["app"].as_i64().unwrap());
        let ran = all.iter().find(|j| j.id == job.id).unwrap();
        assert_eq!((ran.state, ran.attempts), (JobState::Done, 1), "{ran:?}");
        assert_eq!(
            all.iter().filter(|j| j.state.is_pending()).count(),
            1,
            "one next run planned: {all:?}"
        );
    }
    drop(b);
}

#[test]
fn a_failing_scheduled_script_is_retried_recorded_and_blocks_no_one() {
    let app = TestApp::spawn();
    let log = app.create_app("記録", json!({"title": text("title")}));
    let broken = app.create_app("壊れた", json!({"title": text("title")}));
    let fine = app.create_app("正常", json!({"title": text("title")}));
    for (id, source) in [
        (broken, "throw \"boom\";".to_owned()),
        (fine, format!("add_record({log}, #{{title: \"ok\"}});")),
    ] {
        let (s, b) = app.put(
            "/api/app/scripts.json",
            json!({"app": id, "scripts": hourly(&source, log)}),
        );
        assert_eq!(s, 200, "{b}");
        app.deploy(id);
    }
    let db = Database::connect(&app.database_url, 2).unwrap();
    let failing = planned(&db, HOURLY, broken);
    let working = planned(&db, HOURLY, fine);
    // The broken app's job comes first.
    set_run_at(&db, failing.id, now() - 20);
    set_run_at(&db, working.id, now() - 10);

    let count = |id: i64| {
        let (s, b) = app.get(&format!("/k/v1/records.json?app={id}&totalCount=true"));
        assert_eq!(s, 200, "{b}");
        b["totalCount"].as_str().unwrap().parse::<i64>().unwrap()
    };
    wait_for("the working app's run", Duration::from_secs(30), || {
        (count(log) == 1).then_some(())
    });
    let job_now = |id: i64| {
        jobs_of(&db, HOURLY, broken)
            .into_iter()
            .find(|j| j.id == id)
            .unwrap()
    };
    for attempt in 1..=MAX_ATTEMPTS {
        let j = wait_for("the failed attempt", Duration::from_secs(30), || {
            Some(job_now(failing.id))
                .filter(|j| j.attempts == attempt && j.state != JobState::Running)
        });
        assert!(
            j.last_error.as_deref().unwrap_or("").contains("boom"),
            "{j:?}"
        );
        if attempt < MAX_ATTEMPTS {
            assert_eq!(j.state, JobState::Queued, "retried later: {j:?}");
            assert!(j.run_at > now(), "after a backoff: {j:?}");
            // The backoff passes.
            set_run_at(&db, j.id, now() - 1);
        } else {
            assert_eq!(j.state, JobState::Failed, "given up: {j:?}");
            assert!(j.finished_at.is_some());
        }
    }
    // The failure is the administrator's to read, and the schedule goes on.
    let failed = jobs::list(&mut db.conn().unwrap(), Some(JobState::Failed), 10).unwrap();
    assert_eq!(
        failed.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![failing.id]
    );
    let next = planned(&db, HOURLY, broken);
    assert!(next.run_at > now(), "{next:?}");
    let (s, b) = app.get(&format!("/api/app/script/logs.json?app={broken}"));
    assert_eq!(s, 200, "{b}");
    let logs = b["logs"].as_array().unwrap();
    assert_eq!(logs.len(), 3, "one failure a attempt: {logs:?}");
    assert!(
        logs.iter()
            .all(|l| l["message"].as_str().unwrap().contains("boom")),
        "{logs:?}"
    );
    // Nothing of a failed run stays; the working app ran once.
    assert_eq!(count(broken), 0);
    assert_eq!(count(log), 1);
    assert_eq!(jobs_of(&db, HOURLY, fine)[0].state, JobState::Done);
}
