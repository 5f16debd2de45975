//! Periodic reports (issue 16, kintone's 定期レポート): a chart with an active `periodicReport`
//! gets a snapshot of its numbers at each moment its period names (`reports::snapshots::run`,
//! called here with a chosen "now", as the server's `reports.periodic` job calls it with the
//! clock's): the numbers equal the live chart's at that time and stay as they were, a second run
//! for the same moment stores nothing, a run after a downtime stores one snapshot, not one per
//! missed moment. Snapshots count every record, so a user narrowed by a record rule sees neither
//! them (API `CB_NO02`, a note on the page) nor their CSV, while the app's manager does.

use chrono::TimeZone;
use chrono_tz::Asia::Tokyo;
use kumiki_engine::db::{Database, DbConn};
use kumiki_engine::jobs;
use kumiki_engine::reports::snapshots;
use kumiki_tests::{page_client, Auth, TestApp, ADMIN_PASSWORD};
use serde_json::{json, Value};

use crate::reports::{cases, put_reports, report};

const PW: &str = "report-snapshots-pw-1";

/// Every year on April 1st at 09:00 (the start of the fiscal year).
fn fiscal_year() -> Value {
    json!({"active": true, "period": {"every": "YEAR", "month": "4", "dayOfMonth": "1", "time": "09:00"}})
}

/// The first April 1st, 09:00 in Tokyo after now, plus `years`, as unix seconds.
fn april_first(years: i32) -> i64 {
    let now = chrono::Utc::now().with_timezone(&Tokyo);
    let this = Tokyo
        .with_ymd_and_hms(chrono::Datelike::year(&now), 4, 1, 9, 0, 0)
        .unwrap();
    let first = if this > now {
        this
    } else {
        Tokyo
            .with_ymd_and_hms(chrono::Datelike::year(&now) + 1, 4, 1, 9, 0, 0)
            .unwrap()
    };
    Tokyo
        .with_ymd_and_hms(chrono::Datelike::year(&first) + years, 4, 1, 9, 0, 0)
        .unwrap()
        .timestamp()
}

fn label(at: i64) -> String {
    Tokyo
        .timestamp_opt(at, 0)
        .unwrap()
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn db(app: &TestApp) -> DbConn {
    Database::connect(&app.database_url, 1)
        .unwrap()
        .conn()
        .unwrap()
}

/// `{区分: [COUNT, SUM 金額]}` of a data-API-shaped answer.
fn by_kind(b: &Value) -> Vec<(String, Vec<f64>)> {
    b["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["keys"][0].as_str().unwrap_or("").to_owned(),
                r["values"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_f64().unwrap_or(f64::NAN))
                    .collect(),
            )
        })
        .collect()
}

fn kind_chart() -> Value {
    let mut r = report(
        "PIE",
        json!([{"code": "区分"}]),
        json!([{"type": "COUNT"}, {"type": "SUM", "code": "金額"}]),
    );
    r["periodicReport"] = fiscal_year();
    r
}

#[test]
fn a_periodic_report_keeps_the_numbers_of_each_moment_once() {
    let app = TestApp::spawn();
    let id = cases(&app);
    // An active schedule must name its moments.
    let mut wrong = kind_chart();
    wrong["periodicReport"]["period"] = json!({"every": "DAY"});
    let (s, b) = put_reports(&app, id, json!({"区分別": wrong}));
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["code"], "CB_VA01", "{b}");
    assert!(
        b["errors"]["reports.区分別.periodicReport"].is_object(),
        "{b}"
    );
    let mut consults = report(
        "TABLE",
        json!([{"code": "区分"}]),
        json!([{"type": "COUNT"}]),
    );
    consults["filterCond"] = json!("区分 in (\"相談\")");
    consults["periodicReport"] = fiscal_year();
    let (s, b) = put_reports(
        &app,
        id,
        json!({"区分別": kind_chart(), "相談だけ": consults, "予定なし": report("PIE", json!([{"code": "区分"}]), json!([{"type": "COUNT"}]))}),
    );
    assert_eq!(s, 200, "{b}");
    let rid = b["reports"]["区分別"]["id"].as_str().unwrap().to_owned();
    let consult_rid = b["reports"]["相談だけ"]["id"].as_str().unwrap().to_owned();
    app.deploy(id);
    let mut conn = db(&app);

    // The server plans its job (one per minute, `reports.periodic`).
    let started = std::time::Instant::now();
    while jobs::list(&mut conn, None, 500)
        .unwrap()
        .iter()
        .all(|j| j.kind != snapshots::JOB_KIND)
    {
        assert!(
            started.elapsed().as_secs() < 20,
            "no reports.periodic job planned"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }

    // Before the first moment after the deploy: nothing (last April 1st was before the schedule).
    let now = chrono::Utc::now().timestamp();
    assert_eq!(snapshots::run(&mut conn, now, Tokyo).unwrap(), 0);
    let first = april_first(0);
    assert_eq!(
        snapshots::run(&mut conn, first + 60, Tokyo).unwrap(),
        2,
        "the two scheduled charts, not the third"
    );
    assert_eq!(snapshots::run(&mut conn, first + 120, Tokyo).unwrap(), 0);
    assert_eq!(snapshots::run(&mut conn, first + 86_400, Tokyo).unwrap(), 0);

    let list = |rid: &str| -> Vec<Value> {
        let (s, b) = app.get(&format!("/api/app/report/snapshots.json?app={id}&id={rid}"));
        assert_eq!(s, 200, "{b}");
        b["snapshots"].as_array().unwrap().clone()
    };
    let kept = list(&rid);
    assert_eq!(kept.len(), 1, "one snapshot per moment: {kept:?}");
    assert_eq!(kept[0]["period"], label(first));
    let one = |rid: &str, sid: &Value| -> Value {
        let (s, b) = app.get(&format!(
            "/api/app/report/snapshots.json?app={id}&id={rid}&snapshot={}",
            sid.as_str().unwrap()
        ));
        assert_eq!(s, 200, "{b}");
        b
    };
    let snap = one(&rid, &kept[0]["id"]);
    let (s, live) = app.get(&format!("/api/app/report/data.json?app={id}&id={rid}"));
    assert_eq!(s, 200, "{live}");
    assert_eq!(by_kind(&snap), by_kind(&live), "the numbers of that moment");
    let consult = by_kind(&snap)
        .into_iter()
        .find(|(k, _)| k == "相談")
        .unwrap();
    assert_eq!(consult.1, vec![4.0, 100.0 + 250.0 + 7.0 + 3.0]);
    assert_eq!(snap["total"]["values"][0].as_f64(), Some(9.0));
    assert_eq!(snap["snapshot"]["period"], label(first));
    // The chart's filter applies.
    let filtered = one(&consult_rid, &list(&consult_rid)[0]["id"]);
    assert_eq!(by_kind(&filtered), vec![("相談".to_owned(), vec![4.0])]);

    // A new record changes the live chart, not the kept result.
    app.add_record(
        id,
        json!({"件名": {"value": "追加"}, "区分": {"value": "相談"}, "金額": {"value": "1"}}),
    );
    let snap_again = one(&rid, &kept[0]["id"]);
    assert_eq!(by_kind(&snap_again), by_kind(&snap));

    // Three years without a run (the servers were down): one snapshot on catch-up.
    let later = april_first(3);
    assert_eq!(snapshots::run(&mut conn, later + 3600, Tokyo).unwrap(), 2);
    let kept = list(&rid);
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert_eq!(kept[0]["period"], label(later), "newest first");
    let latest = one(&rid, &kept[0]["id"]);
    let consult = by_kind(&latest)
        .into_iter()
        .find(|(k, _)| k == "相談")
        .unwrap();
    assert_eq!(consult.1, vec![5.0, 361.0]);

    // An unknown snapshot or chart is not found; a chart without a schedule has none.
    let (s, b) = app.get(&format!(
        "/api/app/report/snapshots.json?app={id}&id={rid}&snapshot=999999"
    ));
    assert_eq!(s, 404, "{b}");
    let (s, b) = app.get(&format!("/api/app/report/snapshots.json?app={id}&id=987"));
    assert_eq!((s, b["code"].as_str()), (404, Some("GAIA_RP01")), "{b}");

    // A chart removed from the app loses its snapshots at the next run.
    let (s, b) = put_reports(&app, id, json!({"区分別": kind_chart()}));
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    snapshots::run(&mut conn, later + 7200, Tokyo).unwrap();
    assert_eq!(list(&rid).len(), 2, "the kept chart keeps its snapshots");
    let (s, b) = app.get(&format!(
        "/api/app/report/snapshots.json?app={id}&id={consult_rid}"
    ));
    assert_eq!(s, 404, "{b}");
    let mut b = conn.sql();
    b.push("SELECT COUNT(*) AS n FROM report_snapshots WHERE report_id = ")
        .bind_text(&consult_rid);
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let n: Vec<N> = conn.load(&b).unwrap();
    assert_eq!(n[0].n, 0, "the removed chart's snapshots are gone");
}

/// A download's status and bytes, with a session cookie.
fn download(app: &TestApp, session: &str, path: &str) -> (u16, Vec<u8>) {
    let resp = page_client()
        .get(app.url(path))
        .header("Cookie", session)
        .send()
        .unwrap();
    (resp.status().as_u16(), resp.bytes().unwrap().to_vec())
}

#[test]
fn only_those_who_see_every_record_or_manage_the_app_see_past_results() {
    let app = TestApp::spawn();
    app.user("clerk", PW);
    app.user("kanri", PW);
    let id = cases(&app);
    let admin = json!({"type": "USER", "code": "Administrator"});
    let kanri = json!({"type": "USER", "code": "kanri"});
    let everyone = json!({"type": "GROUP", "code": "everyone"});
    // kanri manages the app; clerk only views it.
    let (s, b) = app.put(
        "/k/v1/preview/app/acl.json",
        json!({"app": id, "rights": [
            {"entity": admin, "appEditable": true, "recordViewable": true, "recordAddable": true, "recordEditable": true, "recordDeletable": true},
            {"entity": kanri, "appEditable": true, "recordViewable": true},
            {"entity": everyone, "recordViewable": true},
        ]}),
    );
    assert_eq!(s, 200, "{b}");
    // 苦情 records are hidden from everyone but the Administrator: the rule narrows clerk and kanri.
    let (s, b) = app.put(
        "/k/v1/preview/record/acl.json",
        json!({"app": id, "rights": [{"filterCond": "区分 in (\"苦情\")", "entities": [
            {"entity": admin, "viewable": true, "editable": true, "deletable": true},
            {"entity": everyone, "viewable": false, "editable": false, "deletable": false}]}]}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = put_reports(&app, id, json!({"区分別": kind_chart()}));
    assert_eq!(s, 200, "{b}");
    let rid = b["reports"]["区分別"]["id"].as_str().unwrap().to_owned();
    app.deploy(id);
    let mut conn = db(&app);
    let first = april_first(0);
    assert_eq!(snapshots::run(&mut conn, first + 60, Tokyo).unwrap(), 1);

    let list_path = format!("/api/app/report/snapshots.json?app={id}&id={rid}");
    let (s, b) = app.get(&list_path);
    assert_eq!(s, 200, "{b}");
    let sid = b["snapshots"][0]["id"].as_str().unwrap().to_owned();
    let one_path = format!("{list_path}&snapshot={sid}");

    // The clerk: the API refuses, the page says why, the CSV is not found.
    let clerk = app.with_auth(Auth::Password("clerk".into(), PW.into()));
    for path in [&list_path, &one_path] {
        let (s, b) = clerk.get(path);
        assert_eq!((s, b["code"].as_str()), (403, Some("CB_NO02")), "{b}");
        assert!(!b.to_string().contains("苦情"), "{b}");
    }
    let clerk_session = app.sign_in_form("clerk", PW);
    let page = format!("/apps/{id}/reports/{rid}");
    let (s, html) = app.page(&clerk_session, &page);
    assert_eq!(s, 200);
    assert!(html.contains("過去の集計結果"), "the section is there");
    assert!(
        html.contains("過去の集計結果は、アプリのすべてのレコードを閲覧できる人"),
        "the note for those a rule narrows"
    );
    assert!(!html.contains(&label(first)), "no period listed");
    let (s, html) = app.page(&clerk_session, &format!("{page}?snapshot={sid}"));
    assert_eq!(s, 200);
    assert!(!html.contains("苦情"), "no hidden group through a snapshot");
    let (s, _) = download(
        &app,
        &clerk_session,
        &format!("{page}?snapshot={sid}&format=csv"),
    );
    assert_eq!(s, 404);

    // kanri is narrowed by the same rule but manages the app: sees everything the snapshot counted.
    let manager = app.with_auth(Auth::Password("kanri".into(), PW.into()));
    let (s, b) = manager.get(&one_path);
    assert_eq!(s, 200, "{b}");
    let complaints = by_kind(&b).into_iter().find(|(k, _)| k == "苦情").unwrap();
    assert_eq!(complaints.1[0], 2.0, "all records were counted");
    let manager_session = app.sign_in_form("kanri", PW);
    let (s, html) = app.page(&manager_session, &page);
    assert_eq!(s, 200);
    assert!(html.contains(&label(first)), "the period is listed");
    assert!(!html.contains("report-past-hidden"));
    let (s, html) = app.page(&manager_session, &format!("{page}?snapshot={sid}"));
    assert_eq!(s, 200);
    assert!(html.contains("report-past-table"), "the snapshot's table");
    assert!(html.contains("苦情"));
    let (s, bytes) = download(
        &app,
        &manager_session,
        &format!("{page}?snapshot={sid}&format=csv"),
    );
    assert_eq!(s, 200);
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with BOM");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(text.contains("苦情,2,15"), "{text}");
    // The Administrator, whom no rule narrows, sees them too.
    let admin_session = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    let (s, html) = app.page(&admin_session, &page);
    assert_eq!(s, 200);
    assert!(html.contains(&label(first)));
}
