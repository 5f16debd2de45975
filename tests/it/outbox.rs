//! The change log as a general outbox: rows written by API calls carry the kind, the acting user,
//! the stable ids of the fields whose value changed and the status transition of process actions;
//! the log is pruned only behind the slowest registered consumer (the search index is one, per
//! index directory); a consumer that registers after rows it needed were pruned learns it; search
//! keeps finding new records. The test reads the database of its server directly.

use std::time::{Duration, Instant};

use kumiki_engine::apps::{load_definition, AppId, LIVE};
use kumiki_engine::db::{Database, DbConn};
use kumiki_engine::records::changes::{self, Change, ChangeKind};
use kumiki_tests::{Auth, TestApp};
use serde_json::json;

const PW: &str = "outbox-pw-1";

fn conn(app: &TestApp) -> DbConn {
    Database::connect(&app.database_url, 1)
        .unwrap()
        .conn()
        .unwrap()
}

/// The change rows of `app_id`, oldest first.
fn rows_of(conn: &mut DbConn, app_id: i64) -> Vec<Change> {
    changes::changes_after(conn, 0, 10_000)
        .unwrap()
        .into_iter()
        .filter(|c| c.app_id == app_id)
        .collect()
}

fn field_id(conn: &mut DbConn, app_id: i64, code: &str) -> i32 {
    let (def, _) = load_definition(conn, AppId(app_id), LIVE).unwrap().unwrap();
    *def.field_ids.get(code).unwrap_or_else(|| panic!("{code}"))
}

/// Text, number and a subtable; process 未処理 → 処理中 (any of sato) through 開始.
fn order_app(app: &TestApp) -> i64 {
    let id = app.create_app(
        "注文",
        json!({
            "件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"},
            "数量": {"type": "NUMBER", "code": "数量", "label": "数量"},
            "明細": {"type": "SUBTABLE", "code": "明細", "fields": {
                "品名": {"type": "SINGLE_LINE_TEXT", "code": "品名", "label": "品名"},
                "金額": {"type": "NUMBER", "code": "金額", "label": "金額"}
            }}
        }),
    );
    let (s, b) = app.put(
        "/k/v1/preview/app/status.json",
        json!({"app": id, "enable": true,
               "states": {"未処理": {"name": "未処理", "index": "0"},
                          "処理中": {"name": "処理中", "index": "1", "assignee": {"type": "ANY",
                              "entities": [{"entity": {"type": "USER", "code": "sato"}}]}}},
               "actions": [{"name": "開始", "from": "未処理", "to": "処理中"}]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    id
}

#[test]
fn change_rows_say_what_changed_who_changed_it_and_the_status_transition() {
    let app = TestApp::spawn();
    app.user("sato", PW);
    let sato = app.with_auth(Auth::Password("sato".into(), PW.into()));
    let id = order_app(&app);
    let mut db = conn(&app);
    let deployed = rows_of(&mut db, id);
    assert!(!deployed.is_empty());
    for row in &deployed {
        assert_eq!(row.kind, ChangeKind::AppDeployed, "{row:?}");
        assert_eq!(row.actor.as_deref(), Some("Administrator"));
        assert_eq!(row.record_id, changes::WHOLE_APP);
        assert_eq!((&row.field_ids, &row.status), (&None, &None));
    }
    let seen = deployed.len();

    let (s, b) = sato.post(
        "/k/v1/record.json",
        json!({"app": id, "record": {"件名": {"value": "文具"}, "数量": {"value": "1"},
               "明細": {"value": [{"value": {"品名": {"value": "鉛筆"}, "金額": {"value": "10"}}}]}}}),
    );
    assert_eq!(s, 200, "{b}");
    let rid: i64 = b["id"].as_str().unwrap().parse().unwrap();
    let (_, b) = sato.get(&format!("/k/v1/record.json?app={id}&id={rid}"));
    let row_id = b["record"]["明細"]["value"][0]["id"].clone();

    // Edit the number and one cell of the subtable; the title and the other cell stay.
    let (s, b) = sato.put(
        "/k/v1/record.json",
        json!({"app": id, "id": rid, "record": {"件名": {"value": "文具"}, "数量": {"value": "2"},
               "明細": {"value": [{"id": row_id, "value": {"品名": {"value": "鉛筆"}, "金額": {"value": "20"}}}]}}}),
    );
    assert_eq!(s, 200, "{b}");
    // Saving the same values again changes no field.
    let (s, b) = sato.put(
        "/k/v1/record.json",
        json!({"app": id, "id": rid, "record": {"数量": {"value": "2"}}}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = sato.post(
        "/k/v1/record/comment.json",
        json!({"app": id, "record": rid, "comment": {"text": "確認します"}}),
    );
    assert_eq!(s, 200, "{b}");
    let comment: i64 = b["id"].as_str().unwrap().parse().unwrap();
    let (s, b) = sato.delete(
        "/k/v1/record/comment.json",
        json!({"app": id, "record": rid, "comment": comment}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = sato.put(
        "/k/v1/record/status.json",
        json!({"app": id, "id": rid, "action": "開始"}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.put(
        "/k/v1/record/assignees.json",
        json!({"app": id, "id": rid, "assignees": ["sato", "Administrator"]}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.delete("/k/v1/records.json", json!({"app": id, "ids": [rid]}));
    assert_eq!(s, 200, "{b}");

    let rows: Vec<Change> = rows_of(&mut db, id).into_iter().skip(seen).collect();
    let kinds: Vec<ChangeKind> = rows.iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        [
            ChangeKind::RecordAdded,
            ChangeKind::RecordEdited,
            ChangeKind::RecordEdited,
            ChangeKind::CommentAdded,
            ChangeKind::CommentDeleted,
            ChangeKind::StatusChanged,
            ChangeKind::AssigneesChanged,
            ChangeKind::RecordDeleted,
        ],
        "{rows:#?}"
    );
    assert!(rows.iter().all(|r| r.record_id == rid), "{rows:#?}");
    let actors: Vec<&str> = rows.iter().filter_map(|r| r.actor.as_deref()).collect();
    assert_eq!(
        actors,
        [
            "sato",
            "sato",
            "sato",
            "sato",
            "sato",
            "sato",
            "Administrator",
            "Administrator"
        ]
    );
    let ids = |codes: &[&str], db: &mut DbConn| -> Vec<i32> {
        let mut v: Vec<i32> = codes.iter().map(|c| field_id(db, id, c)).collect();
        v.sort_unstable();
        v
    };
    assert_eq!(rows[0].field_ids, None);
    assert_eq!(
        rows[1].field_ids,
        Some(ids(&["数量", "明細", "金額"], &mut db)),
        "only the fields whose value changed, by stable id"
    );
    assert_eq!(rows[2].field_ids, Some(Vec::new()));
    assert_eq!((&rows[3].field_ids, &rows[4].field_ids), (&None, &None));
    assert_eq!(
        rows[5].status,
        Some(("未処理".to_owned(), "処理中".to_owned()))
    );
    let status_id = field_id(&mut db, id, "Status");
    assert!(
        rows[5].field_ids.as_ref().unwrap().contains(&status_id),
        "{:?}",
        rows[5]
    );
    assert_eq!(rows[6].status, None);
    assert_eq!(
        rows[6].field_ids,
        Some(ids(&["Assignee"], &mut db)),
        "{:?}",
        rows[6]
    );
    assert_eq!(rows[7].field_ids, None);
    assert!(rows.iter().take(5).all(|r| r.status.is_none()));
}

/// The position of the search index's consumer once it has caught up with the log head.
fn search_consumer_at_head(app: &TestApp, db: &mut DbConn) -> (String, i64) {
    app.wait_indexed(Duration::from_secs(30));
    let head = changes::last_seq(db).unwrap();
    let started = Instant::now();
    loop {
        let search: Vec<_> = changes::consumers(db)
            .unwrap()
            .into_iter()
            .filter(|c| c.name.starts_with("search:"))
            .collect();
        // One index, one consumer; none for a moment after an administrator forgot it: the index
        // publishes its position (what `wait_indexed` reads) just before it registers again.
        assert!(search.len() <= 1, "one index, one consumer: {search:?}");
        // The other consumers of the log (issue 13: the bell's `notify`, `webhooks`) hold rows
        // back too: wait until every one of them has passed the head.
        let consumers = changes::consumers(db).unwrap();
        let others_behind = consumers
            .iter()
            .any(|c| !c.name.starts_with("search:") && c.position < head);
        if let [only] = search.as_slice() {
            if only.position == head && !others_behind {
                return (only.name.clone(), head);
            }
        }
        // Past the notify consumer's wait for a change-log hole (10 s) with room for a busy machine.
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "search {search:?}, all {consumers:?} at {head}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn found(app: &TestApp, word: &str) -> i64 {
    let q: String = word.bytes().map(|b| format!("%{b:02X}")).collect();
    let (s, b) = app.get(&format!("/api/search.json?q={q}"));
    assert_eq!(s, 200, "{b}");
    b["total"].as_i64().unwrap()
}

#[test]
fn the_log_is_pruned_only_behind_the_slowest_consumer() {
    let app = TestApp::spawn();
    let id = app.create_app(
        "文書",
        json!({"表題": {"type": "SINGLE_LINE_TEXT", "code": "表題", "label": "表題"}}),
    );
    for word in ["一号", "二号", "三号"] {
        app.add_record(id, json!({"表題": {"value": word}}));
    }
    let mut db = conn(&app);
    let (search, head) = search_consumer_at_head(&app, &mut db);
    let status = app.get("/api/search/status.json").1;
    assert_eq!(status["consumer"], json!(search), "{status}");
    assert!(status["consumers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == json!(search) && c["lagRows"] == 0));
    let total = changes::changes_after(&mut db, 0, 10_000).unwrap().len();
    assert!(total >= 4, "{total}");
    // `before` in the future: only the consumers hold rows back, not the minimum age.
    let before = chrono_now() + 10;

    // A new index (position -1) on a log that was never pruned misses nothing: it applies the log
    // instead of being rebuilt with a warning on a fresh server's first start.
    let new_index = changes::register(&mut db, "test:new-index", -1).unwrap();
    assert_eq!((new_index.is_new, new_index.missed), (true, false));
    assert!(changes::forget(&mut db, "test:new-index").unwrap());

    // A second consumer behind: search has applied everything, yet nothing goes.
    let slow = changes::register(&mut db, "test:slow", 0).unwrap();
    assert_eq!((slow.position, slow.is_new, slow.missed), (0, true, false));
    assert_eq!(changes::prune(&mut db, before).unwrap(), 0);
    assert_eq!(
        changes::changes_after(&mut db, 0, 10_000).unwrap().len(),
        total
    );
    let lagging = changes::consumers(&mut db).unwrap();
    let slow_row = lagging.iter().find(|c| c.name == "test:slow").unwrap();
    assert_eq!(slow_row.lag_rows, i64::try_from(total).unwrap());

    // It advances to just below the head: everything up to there goes, the newest row stays.
    assert!(changes::advance(&mut db, "test:slow", head - 1).unwrap());
    assert_eq!(changes::prune(&mut db, before).unwrap(), total - 1);
    let left = changes::changes_after(&mut db, 0, 10_000).unwrap();
    assert_eq!(left.iter().map(|c| c.seq).collect::<Vec<_>>(), [head]);

    // A consumer registering now at an old position learns that rows it needed are gone; one at the
    // head does not; registering again keeps the stored position.
    let late = changes::register(&mut db, "test:late", 1).unwrap();
    assert!(late.missed, "{late:?}");
    let fresh = changes::register(&mut db, "test:fresh", head).unwrap();
    assert!(!fresh.missed, "{fresh:?}");
    let again = changes::register(&mut db, "test:slow", 0).unwrap();
    assert_eq!((again.position, again.is_new), (head - 1, false));

    // Forgotten, the slow consumer (and the late one) no longer hold the last row back.
    for name in ["test:slow", "test:late"] {
        assert!(changes::forget(&mut db, name).unwrap());
    }
    assert!(!changes::forget(&mut db, "test:slow").unwrap());
    assert_eq!(changes::prune(&mut db, before).unwrap(), 1);
    assert!(changes::changes_after(&mut db, 0, 10_000)
        .unwrap()
        .is_empty());

    // Search still finds what is written next.
    app.add_record(id, json!({"表題": {"value": "四号の議事録"}}));
    app.wait_indexed(Duration::from_secs(30));
    assert_eq!(found(&app, "議事録"), 1);
    assert_eq!(found(&app, "二号"), 1);

    // An administrator forgets the search index's consumer while the server runs: the index
    // registers again at its next commit (it missed nothing: no row it needed was pruned).
    assert!(changes::forget(&mut db, &search).unwrap());
    assert!(changes::forget(&mut db, "test:fresh").unwrap());
    app.add_record(id, json!({"表題": {"value": "五号の報告書"}}));
    let (again, _) = search_consumer_at_head(&app, &mut db);
    assert_eq!(again, search);
    assert_eq!(found(&app, "報告書"), 1);
    assert_eq!(found(&app, "一号"), 1);
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap())
        .unwrap()
}
