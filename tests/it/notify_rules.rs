//! kintone's per-app notification settings (issue 13): `[preview/]app/notifications/general.json`,
//! `perRecord.json`, `reminder.json` — defaults, bad input, pre-live until deployed, revert — and
//! the rules delivering to the bell (general and per-record through the change-log consumer,
//! reminders through the reminder job, once per record, rule and moment).

use std::time::{Duration, Instant};

use kumiki_engine::db::Database;
use kumiki_engine::notifications::reminders;
use kumiki_tests::{Auth, Client2, TestApp};

use crate::notify::{bell, wait_bell};
use serde_json::{json, Value};

const PW: &str = "rules-pw-1";

fn as_user<'a>(app: &'a TestApp, login: &str) -> Client2<'a> {
    app.with_auth(Auth::Password(login.into(), PW.into()))
}

fn app_with_fields(app: &TestApp) -> i64 {
    app.create_app(
        "案件",
        json!({
            "件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"},
            "金額": {"type": "NUMBER", "code": "金額", "label": "金額"},
            "担当": {"type": "USER_SELECT", "code": "担当", "label": "担当"},
            "期限": {"type": "DATE", "code": "期限", "label": "期限"}
        }),
    )
}

#[test]
fn the_three_settings_are_pre_live_until_deployed_and_refuse_bad_input() {
    let app = TestApp::spawn();
    app.user("sato", PW);
    let id = app_with_fields(&app);
    let base = "/k/v1/app/notifications";
    let (s, b) = app.get(&format!("{base}/general.json?app={id}"));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["notifications"], json!([]));
    assert_eq!(b["notifyToCommenter"], false);
    assert!(b["revision"].is_string());
    let (_, b) = app.get(&format!("{base}/perRecord.json?app={id}"));
    assert_eq!(b["notifications"], json!([]));
    let (_, b) = app.get(&format!("{base}/reminder.json?app={id}"));
    assert_eq!(
        (&b["notifications"], &b["timezone"]),
        (&json!([]), &json!("Asia/Tokyo"))
    );

    let general = json!({"app": id, "notifyToCommenter": true, "notifications": [
        {"entity": {"type": "USER", "code": "sato"}, "recordAdded": true, "commentAdded": true},
        {"entity": {"type": "FIELD_ENTITY", "code": "担当"}, "includeSubs": false, "statusChanged": true}]});
    let (s, b) = app.put("/k/v1/preview/app/notifications/general.json", general);
    assert_eq!(s, 200, "{b}");
    let rev = b["revision"].clone();
    let (_, b) = app.get(&format!(
        "/k/v1/preview/app/notifications/general.json?app={id}"
    ));
    assert_eq!(b["revision"], rev);
    assert_eq!(b["notifyToCommenter"], true);
    assert_eq!(
        b["notifications"][0],
        json!({"entity": {"type": "USER", "code": "sato"}, "includeSubs": false,
               "recordAdded": true, "recordEdited": false, "commentAdded": true,
               "statusChanged": false, "fileImported": false})
    );
    let (s, b) = app.put(
        "/k/v1/preview/app/notifications/perRecord.json",
        json!({"app": id, "notifications": [{"filterCond": "金額 >= 100000", "title": "高額案件",
               "targets": [{"entity": {"type": "USER", "code": "sato"}}]}]}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.put(
        "/k/v1/preview/app/notifications/reminder.json",
        json!({"app": id, "timezone": "UTC", "notifications": [{"timing": {"code": "期限", "daysLater": -1, "time": "09:00"},
               "filterCond": "", "title": "期限の前日", "targets": [{"entity": {"type": "FIELD_ENTITY", "code": "担当"}}]}]}),
    );
    assert_eq!(s, 200, "{b}");
    let (_, b) = app.get(&format!(
        "/k/v1/preview/app/notifications/reminder.json?app={id}"
    ));
    assert_eq!(b["timezone"], "UTC");
    assert_eq!(
        b["notifications"][0]["timing"],
        json!({"code": "期限", "daysLater": "-1", "time": "09:00"})
    );

    // Live settings stay empty until the deploy.
    let (_, b) = app.get(&format!("{base}/general.json?app={id}"));
    assert_eq!(b["notifications"], json!([]), "{b}");
    app.deploy(id);
    let started = Instant::now();
    loop {
        let (_, b) = app.get(&format!("{base}/general.json?app={id}"));
        if b["notifications"].as_array().map(Vec::len) == Some(2) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{b}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (_, b) = app.get(&format!("{base}/perRecord.json?app={id}"));
    assert_eq!(b["notifications"][0]["title"], "高額案件");

    // Revert drops a pre-live change.
    let (s, _) = app.put(
        "/k/v1/preview/app/notifications/perRecord.json",
        json!({"app": id, "notifications": []}),
    );
    assert_eq!(s, 200);
    let (s, b) = app.post(
        "/k/v1/preview/app/deploy.json",
        json!({"apps": [{"app": id}], "revert": true}),
    );
    assert_eq!(s, 200, "{b}");
    let started = Instant::now();
    loop {
        let (_, b) = app.get(&format!(
            "/k/v1/preview/app/notifications/perRecord.json?app={id}"
        ));
        if b["notifications"].as_array().map(Vec::len) == Some(1) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{b}");
        std::thread::sleep(Duration::from_millis(100));
    }

    // Bad input: kintone's CB_VA01 with the member named, nothing stored.
    let bad: Vec<(&str, Value, &str)> = vec![
        (
            "general",
            json!({"notifications": [{"entity": {"type": "USER", "code": "nobody"}}]}),
            "notifications[0].entity.code",
        ),
        (
            "general",
            json!({"notifications": [{"entity": {"type": "ROBOT", "code": "x"}}]}),
            "notifications[0].entity.type",
        ),
        (
            "general",
            json!({"notifications": [{"entity": {"type": "FIELD_ENTITY", "code": "件名"}}]}),
            "notifications[0].entity.code",
        ),
        (
            "general",
            json!({"notifications": [{"entity": {"type": "USER", "code": "sato"}, "recordAdded": "yes"}]}),
            "notifications[0].recordAdded",
        ),
        ("general", json!({"notifications": "all"}), "notifications"),
        (
            "general",
            json!({"notifyToCommenter": 3}),
            "notifyToCommenter",
        ),
        (
            "perRecord",
            json!({"notifications": [{"filterCond": "金額 >>> 1", "targets": [{"entity": {"type": "USER", "code": "sato"}}]}]}),
            "notifications[0].filterCond",
        ),
        (
            "perRecord",
            json!({"notifications": [{"filterCond": "", "targets": []}]}),
            "notifications[0].targets",
        ),
        (
            "perRecord",
            json!({"notifications": [{"filterCond": "", "title": "x".repeat(201), "targets": [{"entity": {"type": "USER", "code": "sato"}}]}]}),
            "notifications[0].title",
        ),
        (
            "reminder",
            json!({"notifications": [{"timing": {"code": "件名", "daysLater": 0, "time": "09:00"}, "targets": [{"entity": {"type": "USER", "code": "sato"}}]}]}),
            "notifications[0].timing.code",
        ),
        (
            "reminder",
            json!({"notifications": [{"timing": {"code": "期限", "time": "09:15"}, "targets": [{"entity": {"type": "USER", "code": "sato"}}]}]}),
            "notifications[0].timing.time",
        ),
        (
            "reminder",
            json!({"notifications": [{"timing": {"code": "期限", "hoursLater": 2}, "targets": [{"entity": {"type": "USER", "code": "sato"}}]}]}),
            "notifications[0].timing.hoursLater",
        ),
        (
            "reminder",
            json!({"notifications": [{"timing": {"code": "期限", "daysLater": 99999}, "targets": [{"entity": {"type": "USER", "code": "sato"}}]}]}),
            "notifications[0].timing.daysLater",
        ),
        ("reminder", json!({"timezone": "Mars/Olympus"}), "timezone"),
    ];
    let (_, before) = app.get(&format!(
        "/k/v1/preview/app/notifications/general.json?app={id}"
    ));
    for (which, mut body, key) in bad {
        body["app"] = json!(id);
        let (s, b) = app.put(
            &format!("/k/v1/preview/app/notifications/{which}.json"),
            body.clone(),
        );
        assert_eq!(
            (s, b["code"].as_str()),
            (400, Some("CB_VA01")),
            "{which} {body}: {b}"
        );
        assert!(b["errors"].get(key).is_some(), "{which}: {key} in {b}");
    }
    let (_, after) = app.get(&format!(
        "/k/v1/preview/app/notifications/general.json?app={id}"
    ));
    assert_eq!(before, after);
    // Only managers change settings; the live settings are read with the view right.
    let sato = as_user(&app, "sato");
    let (s, _) = sato.put(
        "/k/v1/preview/app/notifications/general.json",
        json!({"app": id, "notifications": []}),
    );
    assert_eq!(s, 403);
    let (s, _) = app.get("/k/v1/app/notifications/general.json?app=99999");
    assert_eq!(s, 404);
}

#[test]
fn rules_deliver_to_the_bell_once() {
    let app = TestApp::spawn();
    for u in ["sato", "suzuki", "tanaka"] {
        app.user(u, PW);
    }
    let id = app_with_fields(&app);
    let (s, b) = app.put(
        "/k/v1/preview/app/notifications/general.json",
        json!({"app": id, "notifications": [
            {"entity": {"type": "USER", "code": "suzuki"}, "recordAdded": true, "recordEdited": true}]}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.put(
        "/k/v1/preview/app/notifications/perRecord.json",
        json!({"app": id, "notifications": [{"filterCond": "金額 >= 100000", "title": "高額案件",
               "targets": [{"entity": {"type": "FIELD_ENTITY", "code": "担当"}}]}]}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.put(
        "/k/v1/preview/app/notifications/reminder.json",
        json!({"app": id, "timezone": "UTC", "notifications": [{"timing": {"code": "期限", "daysLater": 0, "time": "00:00"},
               "filterCond": "", "title": "本日が期限", "targets": [{"entity": {"type": "FIELD_ENTITY", "code": "担当"}}]}]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    std::thread::sleep(Duration::from_millis(500));

    let sato = as_user(&app, "sato");
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let (s, b) = sato.post(
        "/k/v1/record.json",
        json!({"app": id, "record": {"件名": {"value": "庁舎改修"}, "金額": {"value": "50000"},
               "担当": {"value": [{"code": "tanaka"}]}, "期限": {"value": today}}}),
    );
    assert_eq!(s, 200, "{b}");
    let rid: i64 = b["id"].as_str().unwrap().parse().unwrap();
    let suzuki = as_user(&app, "suzuki");
    let b = wait_bell(&suzuki, 1);
    assert_eq!(b["notifications"][0]["kind"], "app_rule");
    assert_eq!(b["notifications"][0]["actor"], "sato");
    assert!(
        b["notifications"][0]["title"]
            .as_str()
            .unwrap()
            .contains("庁舎改修"),
        "{b}"
    );
    // Below the per-record condition: tanaka hears nothing yet; above it, once.
    let tanaka = as_user(&app, "tanaka");
    let mut db = Database::connect(&app.database_url, 1)
        .unwrap()
        .conn()
        .unwrap();
    crate::notify::wait_consumer(&mut db);
    assert_eq!(bell(&tanaka)["total"], "0");
    let (s, b) = sato.put(
        "/k/v1/record.json",
        json!({"app": id, "id": rid, "record": {"金額": {"value": "120000"}}}),
    );
    assert_eq!(s, 200, "{b}");
    let b = wait_bell(&tanaka, 1);
    assert!(
        b["notifications"][0]["title"]
            .as_str()
            .unwrap()
            .starts_with("高額案件"),
        "{b}"
    );
    wait_bell(&suzuki, 2);

    // The reminder: today's date at 00:00 UTC has passed; the job notifies tanaka once, however
    // often it runs (also the server's own runs).
    let now = chrono::Utc::now().timestamp();
    reminders::run(&mut db, now, chrono_tz::Asia::Tokyo).unwrap();
    reminders::run(&mut db, now + 60, chrono_tz::Asia::Tokyo).unwrap();
    let b = wait_bell(&tanaka, 2);
    let titles: Vec<&str> = b["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .collect();
    assert!(
        titles.iter().any(|t| t.starts_with("本日が期限")),
        "{titles:?}"
    );
    // A record whose date is next week is not reminded today.
    let later = (chrono::Utc::now() + chrono::Duration::days(7))
        .format("%Y-%m-%d")
        .to_string();
    app.add_record(
        id,
        json!({"件名": {"value": "来週"}, "担当": {"value": [{"code": "sato"}]}, "期限": {"value": later}}),
    );
    crate::notify::wait_consumer(&mut db);
    assert_eq!(
        reminders::run(&mut db, now + 120, chrono_tz::Asia::Tokyo).unwrap(),
        0
    );
    // The editor is never told of their own change.
    assert_eq!(bell(&sato)["total"], "0");
}

#[test]
fn a_rule_tells_only_those_who_may_see_the_record() {
    let app = TestApp::spawn();
    for u in ["sato", "suzuki", "tanaka"] {
        app.user(u, PW);
    }
    let id = app_with_fields(&app);
    let (s, b) = app.put(
        "/k/v1/preview/app/notifications/general.json",
        json!({"app": id, "notifications": [
            {"entity": {"type": "USER", "code": "suzuki"}, "recordAdded": true},
            {"entity": {"type": "USER", "code": "tanaka"}, "recordAdded": true}]}),
    );
    assert_eq!(s, 200, "{b}");
    // tanaka may not view this app's records.
    let full = json!({"appEditable": false, "recordViewable": true, "recordAddable": true,
                      "recordEditable": true, "recordDeletable": false, "recordImportable": false,
                      "recordExportable": false});
    let mut rights = Vec::new();
    for u in ["Administrator", "sato", "suzuki"] {
        let mut r = full.clone();
        r["entity"] = json!({"type": "USER", "code": u});
        if u == "Administrator" {
            r["appEditable"] = json!(true);
        }
        rights.push(r);
    }
    let (s, b) = app.put(
        "/k/v1/preview/app/acl.json",
        json!({"app": id, "rights": rights}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    let sato = as_user(&app, "sato");
    let (s, b) = sato.post(
        "/k/v1/record.json",
        json!({"app": id, "record": {"件名": {"value": "非公開の相談"}}}),
    );
    assert_eq!(s, 200, "{b}");
    wait_bell(&as_user(&app, "suzuki"), 1);
    let mut db = Database::connect(&app.database_url, 1)
        .unwrap()
        .conn()
        .unwrap();
    crate::notify::wait_consumer(&mut db);
    assert_eq!(bell(&as_user(&app, "tanaka"))["total"], "0");
}
