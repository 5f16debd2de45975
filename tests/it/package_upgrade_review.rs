//! Issue 17 part 3, upgrades and IT's review gate: a department covered by the review policy takes
//! version 2 of a shared set of linked apps; each upgraded app waits for review while its old
//! version keeps running (its live form, records added with the old fields), and goes live once
//! IT approves. And a version 2 that changes a field's type the installed app's records do not
//! allow is refused as a whole, with or without review: no new app, the installed version still
//! recorded, the apps still on version 1, nothing pending.

use kumiki_tests::{Auth, Client2, TestApp};
use serde_json::{json, Value};

use super::package_upgrade_linked::{add_field, app_of, export, linked_source, text};

const PW: &str = "upgrade-password-1";

fn as_user<'a>(app: &'a TestApp, login: &str) -> Client2<'a> {
    app.with_auth(Auth::Password(login.into(), PW.into()))
}

/// 管財課 (`kanzai`) with sato, and ito of IT's reviewers; the policy covers 管財課.
fn organisation(app: &TestApp) {
    let (s, b) = app.post(
        "/api/org/departments.json",
        json!({"code": "kanzai", "name": "管財課"}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.post(
        "/api/org/groups.json",
        json!({"code": "it-reviewers", "name": "情報政策課"}),
    );
    assert_eq!(s, 200, "{b}");
    for (code, name) in [("sato", "佐藤"), ("ito", "伊藤")] {
        let (s, b) = app.post(
            "/api/org/users.json",
            json!({"code": code, "name": name, "password": PW, "mustChangePassword": false}),
        );
        assert_eq!(s, 200, "{b}");
    }
    let (s, b) = app.put(
        "/api/org/memberships.json",
        json!({"user": "sato", "departments": ["kanzai"], "primaryDepartment": "kanzai"}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.put(
        "/api/org/memberships.json",
        json!({"user": "ito", "groups": ["it-reviewers"]}),
    );
    assert_eq!(s, 200, "{b}");
    app.allow_app_creation_by_everyone();
    let (s, b) = app.put(
        "/api/review/policy.json",
        json!({"mode": "departments", "departments": ["kanzai"]}),
    );
    assert_eq!(s, 200, "{b}");
}

/// The submissions of `app`, newest first.
fn submissions(app: &TestApp, id: i64) -> Vec<Value> {
    let (s, b) = as_user(app, "sato").get(&format!("/api/app/review/submissions.json?app={id}"));
    assert_eq!(s, 200, "{b}");
    b["submissions"].as_array().unwrap().clone()
}

/// ito approves the newest submission of `app`, then sato deploys it.
fn approve_and_deploy(app: &TestApp, id: i64) {
    let latest = submissions(app, id)[0]["id"].as_str().unwrap().to_owned();
    let (s, b) = as_user(app, "ito").post(
        "/api/app/review/decide.json",
        json!({"app": id, "submission": latest, "approve": true, "comment": "OK"}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = as_user(app, "sato").post(
        "/k/v1/preview/app/deploy.json",
        json!({"apps": [{"app": id}]}),
    );
    assert_eq!(s, 200, "{b}");
}

fn live_fields(app: &TestApp, id: i64) -> Value {
    let (s, b) = as_user(app, "sato").get(&format!("/k/v1/app/form/fields.json?app={id}"));
    assert_eq!(s, 200, "{b}");
    b["properties"].clone()
}

fn preview_fields(app: &TestApp, id: i64) -> Value {
    let (s, b) = app.get(&format!("/k/v1/preview/app/form/fields.json?app={id}"));
    assert_eq!(s, 200, "{b}");
    b["properties"].clone()
}

#[test]
fn an_upgrade_waits_for_review_while_version_1_keeps_running() {
    let src = TestApp::spawn();
    let source = linked_source(&src);
    let v1 = export(
        &src,
        &[source.bihin, source.kashidashi, source.shinsei],
        "1",
    );

    let dst = TestApp::spawn();
    organisation(&dst);
    let sato = as_user(&dst, "sato");
    // Version 1 itself goes through review, as any import of 管財課.
    let (_, plan) = sato.post("/api/packages/plan.json", json!({"package": v1}));
    assert_eq!(plan["reviewRequired"], true, "{plan}");
    let (s, installed) = sato.post("/api/packages/import.json", json!({"package": v1}));
    assert_eq!(s, 200, "{installed}");
    let ids = [
        app_of(&installed, "BIHIN"),
        app_of(&installed, "KASHIDASHI"),
        app_of(&installed, "SHINSEI"),
    ];
    let [bihin, _, shinsei] = ids;
    for id in ids {
        let (s, b) = sato.post(
            "/api/app/review/submit.json",
            json!({"app": id, "comment": "備品貸出 v1"}),
        );
        assert_eq!(s, 200, "{b}");
        approve_and_deploy(&dst, id);
    }
    let add = |app: i64, record: Value| {
        let (s, b) = sato.post("/k/v1/record.json", json!({"app": app, "record": record}));
        assert_eq!(s, 200, "{b}");
    };
    add(
        bihin,
        json!({"品名": {"value": "プロジェクター"}, "保管場所": {"value": "3階倉庫"}}),
    );
    add(shinsei, json!({"備品": {"value": "プロジェクター"}}));

    // Version 2: a new field in 備品 and in 申請; 貸出記録 unchanged.
    add_field(&src, source.bihin, "購入日");
    add_field(&src, source.shinsei, "返却予定日");
    let v2 = export(
        &src,
        &[source.bihin, source.kashidashi, source.shinsei],
        "2",
    );
    let (s, done) = sato.post("/api/packages/import.json", json!({"package": v2}));
    assert_eq!(s, 200, "{done}");
    assert_eq!(app_of(&done, "BIHIN"), bihin, "{done}");

    // Each changed app waits for review with the upgrade named; the unchanged one has nothing new.
    for id in [bihin, shinsei] {
        let list = submissions(&dst, id);
        assert_eq!(list[0]["state"], "PENDING", "{list:?}");
        assert_eq!(list[0]["comment"], "bihin-kashidashi 1 → 2", "{list:?}");
    }
    assert_eq!(submissions(&dst, ids[1])[0]["state"], "APPROVED");
    let (_, queue) = as_user(&dst, "ito").get("/api/review/queue.json");
    assert!(
        queue.to_string().contains("bihin-kashidashi 1 → 2"),
        "{queue}"
    );
    // IT's audit trail has the upgrade's submissions, by the importer.
    let (s, audit) = dst.get("/api/audit.json?action=app.review.submit");
    assert_eq!(s, 200, "{audit}");
    let mut upgraded: Vec<(String, String)> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["detail"]["package"] == "bihin-kashidashi")
        .map(|e| {
            (
                e["actor"].as_str().unwrap().to_owned(),
                e["target"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    upgraded.sort();
    let mut expected = vec![
        ("sato".to_owned(), format!("app:{bihin}")),
        ("sato".to_owned(), format!("app:{shinsei}")),
    ];
    expected.sort();
    assert_eq!(upgraded, expected, "{audit}");

    // Until approved, the live form is version 1 and takes records with version 1's fields.
    assert!(live_fields(&dst, bihin).get("購入日").is_none());
    assert!(live_fields(&dst, shinsei).get("返却予定日").is_none());
    assert!(preview_fields(&dst, bihin).get("購入日").is_some());
    add(
        bihin,
        json!({"品名": {"value": "脚立"}, "保管場所": {"value": "1階"}}),
    );
    add(shinsei, json!({"備品": {"value": "脚立"}}));
    // A deploy without the approval is refused.
    let (s, b) = sato.post(
        "/k/v1/preview/app/deploy.json",
        json!({"apps": [{"app": bihin}]}),
    );
    assert_eq!((s, b["code"].as_str()), (409, Some("GAIA_RV01")), "{b}");

    approve_and_deploy(&dst, bihin);
    approve_and_deploy(&dst, shinsei);
    assert!(live_fields(&dst, bihin).get("購入日").is_some());
    assert!(live_fields(&dst, shinsei).get("返却予定日").is_some());
    add(
        bihin,
        json!({"品名": {"value": "机"}, "購入日": {"value": "2026-04-01"}}),
    );
    let (_, r) = sato.get(&format!("/k/v1/records.json?app={bihin}"));
    assert_eq!(r["records"].as_array().unwrap().len(), 3, "{r}");
    let (_, r) = sato.get(&format!("/k/v1/records.json?app={shinsei}"));
    assert_eq!(r["records"].as_array().unwrap().len(), 2, "{r}");
}

fn app_ids(app: &TestApp) -> Vec<Value> {
    let (s, b) = app.get("/k/v1/apps.json");
    assert_eq!(s, 200, "{b}");
    b["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["appId"].clone())
        .collect()
}

#[test]
fn a_type_change_the_records_refuse_fails_the_whole_upgrade_and_writes_nothing() {
    let src = TestApp::spawn();
    let source = linked_source(&src);
    let v1 = export(
        &src,
        &[source.bihin, source.kashidashi, source.shinsei],
        "1",
    );
    let dst = TestApp::spawn();
    let (s, installed) = dst.post("/api/packages/import.json", json!({"package": v1}));
    assert_eq!(s, 200, "{installed}");
    let bihin = app_of(&installed, "BIHIN");
    let kashidashi = app_of(&installed, "KASHIDASHI");
    dst.add_record(
        kashidashi,
        json!({"品名": {"value": "脚立"}, "貸出日": {"value": "12月1日"}}),
    );

    // Version 2: 貸出日 becomes a date (removed and added again with the same code), a new field
    // in 備品, and a fourth app.
    let (s, b) = src.delete(
        "/k/v1/preview/app/form/fields.json",
        json!({"app": source.kashidashi, "fields": ["貸出日"]}),
    );
    assert_eq!(s, 200, "{b}");
    src.deploy(source.kashidashi);
    let (s, b) = src.post(
        "/k/v1/preview/app/form/fields.json",
        json!({"app": source.kashidashi, "properties": {
            "貸出日": {"type": "DATE", "code": "貸出日", "label": "貸出日"}}}),
    );
    assert_eq!(s, 200, "{b}");
    src.deploy(source.kashidashi);
    add_field(&src, source.bihin, "購入日");
    let extra = src.create_app("返却記録", json!({"品名": text("品名")}));
    let v2 = export(
        &src,
        &[source.bihin, source.kashidashi, source.shinsei, extra],
        "2",
    );

    // The plan says it before anything is tried.
    let (s, plan) = dst.post("/api/packages/plan.json", json!({"package": v2}));
    assert_eq!(s, 200, "{plan}");
    let problem = &plan["problems"][0];
    assert_eq!(
        problem["message"]["key"], "packages.err.upgrade_refused_type",
        "{plan}"
    );
    assert_eq!(problem["message"]["args"]["field"], "貸出日", "{plan}");
    assert_eq!(problem["message"]["args"]["to"], "DATE", "{plan}");

    let apps_before = app_ids(&dst);
    let check_nothing_written = |what: &str| {
        assert_eq!(app_ids(&dst), apps_before, "{what}: no new app");
        let (_, plan) = dst.post("/api/packages/plan.json", json!({"package": v1}));
        assert_eq!(
            plan["upgrade"]["status"], "same",
            "{what}: version 1 still installed: {plan}"
        );
        for id in [bihin, kashidashi] {
            let (_, live) = dst.get(&format!("/k/v1/app/form/fields.json?app={id}"));
            assert_eq!(
                preview_fields(&dst, id),
                live["properties"],
                "{what}: no pending settings"
            );
            let (_, subs) = dst.get(&format!("/api/app/review/submissions.json?app={id}"));
            assert_eq!(subs["submissions"], json!([]), "{what}: {subs}");
        }
        let (_, live) = dst.get(&format!("/k/v1/app/form/fields.json?app={bihin}"));
        assert!(live["properties"].get("購入日").is_none(), "{what}");
        let (_, live) = dst.get(&format!("/k/v1/app/form/fields.json?app={kashidashi}"));
        assert_eq!(live["properties"]["貸出日"]["type"], "SINGLE_LINE_TEXT");
        let (_, r) = dst.get(&format!("/k/v1/records.json?app={kashidashi}"));
        assert_eq!(r["records"][0]["貸出日"]["value"], "12月1日", "{what}");
    };

    // Without review the deploy refuses it; the whole import is undone.
    let (s, b) = dst.post("/api/packages/import.json", json!({"package": v2}));
    assert_eq!(s, 400, "{b}");
    let text = b.to_string();
    assert!(
        text.contains("The app \\\"貸出記録\\\" cannot be upgraded") && text.contains("貸出日"),
        "{b}"
    );
    check_nothing_written("deploy");

    // Under review it is refused as well, rather than submitted and refused after approval.
    let (s, b) = dst.put("/api/review/policy.json", json!({"mode": "all"}));
    assert_eq!(s, 200, "{b}");
    let (s, b) = dst.post("/api/packages/import.json", json!({"package": v2}));
    assert_eq!(s, 400, "{b}");
    assert!(b.to_string().contains("cannot be upgraded"), "{b}");
    check_nothing_written("review");
}
