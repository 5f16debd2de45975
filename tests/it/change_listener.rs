//! Issue 19: a write committed on the server wakes a change listener on PostgreSQL (what wakes the
//! other nodes' search indexers and webhook senders, `kumiki_engine::db::listen`); a refused write and
//! a rolled-back transaction wake no one; a listening connection that is killed comes back. On SQLite
//! nothing listens.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kumiki_engine::db::listen::{notify_changes, ChangeListener};
use kumiki_engine::db::Database;
use kumiki_engine::{EngineError, EngineResult};
use kumiki_tests::TestApp;
use serde_json::json;

/// Waits until `counter` is past `seen`; how long that took, or None after `limit`.
fn woken_after(counter: &AtomicUsize, seen: usize, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if counter.load(Ordering::SeqCst) > seen {
            return Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    None
}

#[test]
fn a_committed_write_wakes_the_listener_and_nothing_else_does() {
    let app = TestApp::spawn();
    let id = app.create_app(
        "起こす",
        json!({"title": {"type": "SINGLE_LINE_TEXT", "code": "title", "label": "件名"}}),
    );
    let db = Database::connect(&app.database_url, 2).unwrap();
    let woken = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&woken);
    let listener = ChangeListener::start(&db, move || {
        counter.fetch_add(1, Ordering::SeqCst);
    })
    .unwrap();
    if !app.database_url.starts_with("postgres") {
        assert!(
            listener.is_none(),
            "one process on SQLite: nothing to listen to"
        );
        return;
    }
    // Once after connecting: what was written while no one listened.
    woken_after(&woken, 0, Duration::from_secs(10)).expect("the wake-up after connecting");
    std::thread::sleep(Duration::from_millis(200));
    let seen = woken.load(Ordering::SeqCst);
    assert_eq!(seen, 1);

    let (s, b) = app.post(
        "/k/v1/record.json",
        json!({"app": id, "record": {"title": {"value": "別の窓口で登録"}}}),
    );
    assert_eq!(s, 200, "{b}");
    let took = woken_after(&woken, seen, Duration::from_secs(5)).expect("a commit wakes");
    eprintln!("woken {took:?} after the answer");
    assert!(took < Duration::from_secs(1), "woken after {took:?}");

    // Refused (a value of the wrong shape): nothing was written, no one is woken.
    std::thread::sleep(Duration::from_millis(100));
    let seen = woken.load(Ordering::SeqCst);
    let (s, b) = app.post(
        "/k/v1/record.json",
        json!({"app": id, "record": {"title": {"value": {"not": "text"}}}}),
    );
    assert_eq!(s, 400, "{b}");
    let mut conn = db.conn().unwrap();
    let rolled_back: EngineResult<()> = conn.write_transaction(|c| {
        notify_changes(c)?;
        Err(EngineError::Internal("rolled back on purpose".into()))
    });
    assert!(rolled_back.is_err());
    assert_eq!(woken_after(&woken, seen, Duration::from_millis(500)), None);

    // One wake-up per transaction, however many rows it wrote.
    let (s, b) = app.post(
        "/k/v1/records.json",
        json!({"app": id, "records": (0..50).map(|i| json!({"title": {"value": format!("一括{i}")}})).collect::<Vec<_>>()}),
    );
    assert_eq!(s, 200, "{b}");
    woken_after(&woken, seen, Duration::from_secs(5)).expect("a bulk add wakes");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(woken.load(Ordering::SeqCst), seen + 1);

    // The listening connection killed (a PostgreSQL restart, a failover): the listener connects
    // again, wakes once for what it may have missed, and the next commit wakes it as before.
    let seen = woken.load(Ordering::SeqCst);
    let mut b = conn.sql();
    b.push(
        "SELECT COUNT(pg_terminate_backend(pid)) AS n FROM pg_stat_activity \
         WHERE datname = current_database() AND query LIKE 'LISTEN%'",
    );
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    // The server's listener and this test's.
    assert_eq!(
        conn.load::<Count>(&b).unwrap()[0].n,
        2,
        "two listening connections"
    );
    woken_after(&woken, seen, Duration::from_secs(15)).expect("a wake-up after reconnecting");
    std::thread::sleep(Duration::from_millis(300));
    let seen = woken.load(Ordering::SeqCst);
    let (s, b) = app.post(
        "/k/v1/record.json",
        json!({"app": id, "record": {"title": {"value": "再接続の後"}}}),
    );
    assert_eq!(s, 200, "{b}");
    woken_after(&woken, seen, Duration::from_secs(5)).expect("a commit after reconnecting wakes");
    drop(listener);
}
