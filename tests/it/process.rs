//! Process management (spec §5): settings, the case-management flow 受付 → 対応中 → 完了 with a
//! branch to 至急対応, every assignee mode (ONE with a chosen assignee, ALL, ANY, CREATOR,
//! FIELD_ENTITY), errors (GAIA_IL03, GAIA_ST02, 409), revisions +2, `records/status.json` atomicity,
//! assignee changes, history entries, and queries by Status and Assignee.

use kumiki_tests::{url_encode, Auth, Client2, TestApp};
use serde_json::{json, Value};

const PW: &str = "password-1234";

fn fields() -> Value {
    json!({
        "件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"},
        "優先度": {"type": "DROP_DOWN", "code": "優先度", "label": "優先度", "options": {
            "高": {"label": "高", "index": "0"}, "中": {"label": "中", "index": "1"}, "低": {"label": "低", "index": "2"}}},
        "担当": {"type": "USER_SELECT", "code": "担当", "label": "担当"}
    })
}

fn user(login: &str) -> Entity {
    json!({"entity": {"type": "USER", "code": login}})
}

type Entity = Value;

/// 受付 (creator) → 対応開始 → 対応中 (ONE of sato/suzuki/担当) → 確認依頼 → 確認中 (ANY of
/// sato/suzuki) → 完了する → 完了 (nobody); 対応開始 on 優先度 高 goes to 至急対応 (ALL of
/// sato/suzuki) → 承認 → 完了; 差し戻す → 再確認 (ANY: CREATOR) → 担当に回す → 担当者対応
/// (ANY: FIELD_ENTITY 担当) → 再受付 → 受付.
fn process_settings(app: i64) -> Value {
    json!({
        "app": app,
        "enable": true,
        "states": {
            "受付": {"name": "受付", "index": "0"},
            "対応中": {"name": "対応中", "index": "1", "assignee": {"type": "ONE", "entities": [
                user("sato"), user("suzuki"), {"entity": {"type": "FIELD_ENTITY", "code": "担当"}}]}},
            "至急対応": {"name": "至急対応", "index": "2", "assignee": {"type": "ALL", "entities": [
                user("sato"), user("suzuki")]}},
            "確認中": {"name": "確認中", "index": "3", "assignee": {"type": "ANY", "entities": [
                user("sato"), user("suzuki")]}},
            "完了": {"name": "完了", "index": "4", "assignee": {"type": "ONE", "entities": []}},
            "再確認": {"name": "再確認", "index": "5", "assignee": {"type": "ANY", "entities": [
                {"entity": {"type": "CREATOR"}}]}},
            "担当者対応": {"name": "担当者対応", "index": "6", "assignee": {"type": "ANY", "entities": [
                {"entity": {"type": "FIELD_ENTITY", "code": "担当"}}]}}
        },
        "actions": [
            {"name": "対応開始", "from": "受付", "to": "至急対応", "filterCond": "優先度 in (\"高\")"},
            {"name": "対応開始", "from": "受付", "to": "対応中", "filterCond": ""},
            {"name": "確認依頼", "from": "対応中", "to": "確認中"},
            {"name": "完了する", "from": "確認中", "to": "完了"},
            {"name": "承認", "from": "至急対応", "to": "完了"},
            {"name": "差し戻す", "from": "完了", "to": "再確認", "type": "SECONDARY"},
            {"name": "担当に回す", "from": "再確認", "to": "担当者対応"},
            {"name": "再受付", "from": "担当者対応", "to": "受付"}
        ]
    })
}

fn as_user<'a>(app: &'a TestApp, login: &str) -> Client2<'a> {
    app.with_auth(Auth::Password(login.into(), PW.into()))
}

/// An app with the case-management process deployed, and users sato, suzuki, tanaka, yamada.
fn case_app(app: &TestApp) -> i64 {
    for u in ["sato", "suzuki", "tanaka", "yamada"] {
        app.user(u, PW);
    }
    let id = app.create_app("相談案件", fields());
    let (s, b) = app.put("/k/v1/preview/app/status.json", process_settings(id));
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    id
}

fn add_case(client: &Client2<'_>, app: i64, priority: &str, person: Option<&str>) -> i64 {
    let mut record = json!({"件名": {"value": "デジタル化の相談"}, "優先度": {"value": priority}});
    if let Some(p) = person {
        record["担当"] = json!({"value": [{"code": p}]});
    }
    let (s, b) = client.post("/k/v1/record.json", json!({"app": app, "record": record}));
    assert_eq!(s, 200, "{b}");
    b["id"].as_str().unwrap().parse().unwrap()
}

fn record(app: &TestApp, id: i64, rid: i64) -> Value {
    let (s, b) = app.get(&format!("/k/v1/record.json?app={id}&id={rid}"));
    assert_eq!(s, 200, "{b}");
    b["record"].clone()
}

fn status_of(app: &TestApp, id: i64, rid: i64) -> (String, Vec<String>, String) {
    let r = record(app, id, rid);
    let assignees = r["Assignee"]["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap().to_owned())
        .collect();
    (
        r["Status"]["value"].as_str().unwrap().to_owned(),
        assignees,
        r["$revision"]["value"].as_str().unwrap().to_owned(),
    )
}

fn act(
    client: &Client2<'_>,
    app: i64,
    rid: i64,
    action: &str,
    assignee: Option<&str>,
) -> (u16, Value) {
    let mut body = json!({"app": app, "id": rid, "action": action});
    if let Some(a) = assignee {
        body["assignee"] = json!(a);
    }
    client.put("/k/v1/record/status.json", body)
}

fn ids(b: &Value) -> Vec<String> {
    b["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["$id"]["value"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn settings_are_checked_defaulted_and_deployed() {
    let app = TestApp::spawn();
    app.user("sato", PW);
    let id = app.create_app("相談案件", fields());
    let (s, b) = app.get(&format!("/k/v1/app/status.json?app={id}"));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["enable"], false);
    assert_eq!(b["states"], Value::Null);

    // The first state takes only ONE with no entities or the creator; actions need existing states;
    // filterCond must be a valid query; users must exist.
    let (s, b) = app.put(
        "/k/v1/preview/app/status.json",
        json!({"app": id, "enable": true,
               "states": {"受付": {"index": "0", "assignee": {"type": "ALL", "entities": [user("sato")]}},
                          "完了": {"index": "1", "assignee": {"type": "ANY", "entities": [user("ghost")]}}},
               "actions": [{"name": "完了する", "from": "受付", "to": "終了", "filterCond": "無い in (\"x\")"}]}),
    );
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["code"], "CB_VA01");
    for key in [
        "states.受付.assignee",
        "states.完了.assignee.entities[0].entity.code",
        "actions[0].to",
        "actions[0].filterCond",
    ] {
        assert!(b["errors"].get(key).is_some(), "{key} missing: {b}");
    }
    let (s, b) = app.put(
        "/k/v1/preview/app/status.json",
        json!({"app": id, "enable": true, "states": {"受付": {"index": 0}, "受付2": {"name": "受付", "index": 0}}}),
    );
    assert_eq!(s, 400, "{b}");
    assert!(b["errors"].get("states.受付.index").is_some(), "{b}");
    let (s, b) = app.put(
        "/k/v1/preview/app/status.json",
        json!({"app": id, "enable": true, "states": {"受付": {"index": 0}, "完了": {"index": 1, "assignee": {"type": "SOME"}}}}),
    );
    assert_eq!(s, 400, "{b}");
    assert!(
        b["errors"].get("states.完了.assignee.type").is_some(),
        "{b}"
    );

    let (s, b) = app.put(
        "/k/v1/preview/app/status.json",
        json!({"app": id, "enable": true,
               "states": {"受付": {"name": "受付", "index": "0"}, "完了": {"name": "完了", "index": "1",
                          "assignee": {"type": "ANY", "entities": [user("sato"), {"entity": {"type": "CREATOR", "code": "x"}}]}}},
               "actions": [{"name": "完了する", "from": "受付", "to": "完了"}]}),
    );
    assert_eq!(s, 200, "{b}");
    let (_, preview) = app.get(&format!("/k/v1/preview/app/status.json?app={id}"));
    assert_eq!(preview["enable"], true);
    assert_eq!(preview["states"]["受付"]["assignee"]["type"], "ONE");
    assert_eq!(
        preview["states"]["受付"]["assignee"]["entities"][0]["entity"],
        json!({"type": "FIELD_ENTITY", "code": "Created_by"})
    );
    assert_eq!(
        preview["states"]["完了"]["assignee"]["entities"][1]["entity"],
        json!({"type": "CREATOR", "code": null})
    );
    assert_eq!(preview["actions"][0]["type"], "PRIMARY");
    assert_eq!(preview["actions"][0]["filterCond"], "");
    assert_eq!(preview["revision"], b["revision"]);
    // Not live until deployed.
    let (_, live) = app.get(&format!("/k/v1/app/status.json?app={id}"));
    assert_eq!(live["enable"], false);
    app.deploy(id);
    let (_, live) = app.get(&format!("/k/v1/app/status.json?app={id}"));
    assert_eq!(live["enable"], true);
    assert_eq!(live["states"]["完了"]["index"], "1");
    // A stale settings revision is refused.
    let (s, b) = app.put(
        "/k/v1/preview/app/status.json",
        json!({"app": id, "enable": false, "revision": 1}),
    );
    assert_eq!(s, 409, "{b}");
}

#[test]
fn new_records_start_in_the_first_state_with_the_creator() {
    let app = TestApp::spawn();
    let id = case_app(&app);
    let tanaka = as_user(&app, "tanaka");
    let rid = add_case(&tanaka, id, "低", None);
    let r = record(&app, id, rid);
    assert_eq!(r["Status"], json!({"type": "STATUS", "value": "受付"}));
    assert_eq!(
        r["Assignee"],
        json!({"type": "STATUS_ASSIGNEE", "value": [{"code": "tanaka", "name": "tanaka"}]})
    );
    assert_eq!(r["$revision"]["value"], "1");
    // Ordinary edits keep the status.
    let (s, b) = tanaka.put(
        "/k/v1/record.json",
        json!({"app": id, "id": rid, "record": {"件名": {"value": "変更"}, "Status": {"value": "完了"}}}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(status_of(&app, id, rid).0, "受付");
}

#[test]
fn the_case_flow_runs_through_every_assignee_mode() {
    let app = TestApp::spawn();
    let id = case_app(&app);
    let tanaka = as_user(&app, "tanaka");
    let sato = as_user(&app, "sato");
    let suzuki = as_user(&app, "suzuki");
    let yamada = as_user(&app, "yamada");
    let rid = add_case(&tanaka, id, "低", Some("yamada"));

    // Only the assignee (the creator, tanaka) may act in 受付.
    let (s, b) = act(&sato, id, rid, "対応開始", Some("suzuki"));
    assert_eq!((s, b["code"].as_str()), (400, Some("GAIA_IL03")), "{b}");
    // ONE with candidates: the next assignee must be chosen, among the candidates.
    let (s, b) = act(&tanaka, id, rid, "対応開始", None);
    assert_eq!(s, 400, "{b}");
    assert!(b["errors"]["assignee"].is_object(), "{b}");
    let (s, b) = act(&tanaka, id, rid, "対応開始", Some("tanaka"));
    assert_eq!(s, 400, "{b}");
    assert!(b["errors"]["assignee"].is_object(), "{b}");
    assert_eq!(
        status_of(&app, id, rid),
        ("受付".into(), vec!["tanaka".into()], "1".into())
    );

    // FIELD_ENTITY candidates count too (yamada is in 担当). Revision grows by 2.
    let (s, b) = act(&tanaka, id, rid, "対応開始", Some("yamada"));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b, json!({"revision": "3"}));
    assert_eq!(
        status_of(&app, id, rid),
        ("対応中".into(), vec!["yamada".into()], "3".into())
    );

    // An action that does not leave the current status.
    let (s, b) = act(&yamada, id, rid, "完了する", None);
    assert_eq!((s, b["code"].as_str()), (400, Some("GAIA_IL03")), "{b}");
    let (s, b) = act(&yamada, id, rid, "存在しない", None);
    assert_eq!((s, b["code"].as_str()), (400, Some("GAIA_IL03")), "{b}");

    // ANY: both sato and suzuki become assignees; either one moves it. ANY takes no chosen assignee.
    let (s, b) = act(&yamada, id, rid, "確認依頼", Some("sato"));
    assert_eq!(s, 400, "{b}");
    let (s, b) = act(&yamada, id, rid, "確認依頼", None);
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        status_of(&app, id, rid),
        (
            "確認中".into(),
            vec!["sato".into(), "suzuki".into()],
            "5".into()
        )
    );
    let (s, b) = act(&suzuki, id, rid, "完了する", None);
    assert_eq!(s, 200, "{b}");
    // ONE with no entities: nobody is assigned, so anyone may act next.
    assert_eq!(
        status_of(&app, id, rid),
        ("完了".into(), vec![], "7".into())
    );

    // CREATOR: back to tanaka.
    let (s, b) = act(&sato, id, rid, "差し戻す", None);
    assert_eq!(s, 200, "{b}");
    assert_eq!(status_of(&app, id, rid).0, "再確認");
    assert_eq!(status_of(&app, id, rid).1, vec!["tanaka".to_owned()]);
    // FIELD_ENTITY: the users in 担当.
    let (s, b) = act(&tanaka, id, rid, "担当に回す", None);
    assert_eq!(s, 200, "{b}");
    assert_eq!(status_of(&app, id, rid).1, vec!["yamada".to_owned()]);
    // Back to the first state: its candidate (the creator) must be named.
    let (s, b) = act(&yamada, id, rid, "再受付", Some("tanaka"));
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        status_of(&app, id, rid),
        ("受付".into(), vec!["tanaka".into()], "13".into())
    );
}

#[test]
fn a_condition_branches_and_all_needs_every_assignee() {
    let app = TestApp::spawn();
    let id = case_app(&app);
    let tanaka = as_user(&app, "tanaka");
    let sato = as_user(&app, "sato");
    let suzuki = as_user(&app, "suzuki");
    let urgent = add_case(&tanaka, id, "高", None);
    // 優先度 高 matches the first 対応開始 (to 至急対応, ALL), which takes no chosen assignee.
    let (s, b) = act(&tanaka, id, urgent, "対応開始", Some("sato"));
    assert_eq!(s, 400, "{b}");
    let (s, b) = act(&tanaka, id, urgent, "対応開始", None);
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        status_of(&app, id, urgent),
        (
            "至急対応".into(),
            vec!["sato".into(), "suzuki".into()],
            "3".into()
        )
    );
    // sato approves: the status waits for suzuki; sato cannot approve twice.
    let (s, b) = act(&sato, id, urgent, "承認", None);
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["revision"], "5");
    assert_eq!(status_of(&app, id, urgent).0, "至急対応");
    let (s, b) = act(&sato, id, urgent, "承認", None);
    assert_eq!((s, b["code"].as_str()), (400, Some("GAIA_IL03")), "{b}");
    let (_, h) = app.get(&format!("/api/record/history.json?app={id}&id={urgent}"));
    assert_eq!(h["history"][0]["action"], "STATUS");
    assert_eq!(h["history"][0]["processAction"], "承認");
    assert_eq!(h["history"][0]["changes"], json!([]), "{h}");
    let (_, b) = sato.get(&format!("/api/process/actions.json?app={id}&id={urgent}"));
    assert_eq!(b["actions"], json!([]), "{b}");
    let (_, b) = suzuki.get(&format!("/api/process/actions.json?app={id}&id={urgent}"));
    assert_eq!(b["actions"][0]["name"], "承認", "{b}");
    let (s, b) = act(&suzuki, id, urgent, "承認", None);
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        status_of(&app, id, urgent),
        ("完了".into(), vec![], "7".into())
    );

    // The same action name on 優先度 低 goes to 対応中 instead.
    let normal = add_case(&tanaka, id, "低", None);
    let (s, b) = act(&tanaka, id, normal, "対応開始", Some("sato"));
    assert_eq!(s, 200, "{b}");
    assert_eq!(status_of(&app, id, normal).0, "対応中");
}

#[test]
fn revisions_are_checked_and_disabled_apps_refuse() {
    let app = TestApp::spawn();
    let id = case_app(&app);
    let tanaka = as_user(&app, "tanaka");
    let rid = add_case(&tanaka, id, "低", None);
    let (s, b) = tanaka.put(
        "/k/v1/record/status.json",
        json!({"app": id, "id": rid, "action": "対応開始", "assignee": "sato", "revision": 7}),
    );
    assert_eq!((s, b["code"].as_str()), (409, Some("GAIA_CO02")), "{b}");
    assert_eq!(status_of(&app, id, rid).2, "1");
    let (s, b) = tanaka.put(
        "/k/v1/record/status.json",
        json!({"app": id, "id": rid, "action": "対応開始", "assignee": "sato", "revision": "1"}),
    );
    assert_eq!((s, b), (200, json!({"revision": "3"})));
    let (s, b) = tanaka.put(
        "/k/v1/record/status.json",
        json!({"app": id, "id": 999, "action": "対応開始"}),
    );
    assert_eq!((s, b["code"].as_str()), (404, Some("GAIA_RE01")), "{b}");

    let plain = app.create_app("台帳", fields());
    let rid = app.add_record(plain, json!({"件名": {"value": "x"}}));
    for (path, body) in [
        (
            "/k/v1/record/status.json",
            json!({"app": plain, "id": rid, "action": "対応開始"}),
        ),
        (
            "/k/v1/records/status.json",
            json!({"app": plain, "records": [{"id": rid, "action": "対応開始"}]}),
        ),
        (
            "/k/v1/record/assignees.json",
            json!({"app": plain, "id": rid, "assignees": ["sato"]}),
        ),
    ] {
        let (s, b) = app.put(path, body);
        assert_eq!(
            (s, b["code"].as_str()),
            (400, Some("GAIA_ST02")),
            "{path}: {b}"
        );
    }
    // The record page asks on every app: without process management it is a normal answer.
    let (s, b) = app.get(&format!("/api/process/actions.json?app={plain}&id={rid}"));
    assert_eq!(
        (s, &b["enabled"], &b["actions"]),
        (200, &json!(false), &json!([])),
        "{b}"
    );
    let (s, b) = app.get(&format!(
        "/k/v1/records.json?app={plain}&query=Status%20in%20(%22x%22)"
    ));
    assert_eq!((s, b["code"].as_str()), (400, Some("GAIA_IQ11")), "{b}");
}

#[test]
fn records_status_is_all_or_nothing() {
    let app = TestApp::spawn();
    let id = case_app(&app);
    let tanaka = as_user(&app, "tanaka");
    let a = add_case(&tanaka, id, "低", None);
    let b_id = add_case(&tanaka, id, "低", None);
    let (s, b) = tanaka.put(
        "/k/v1/records/status.json",
        json!({"app": id, "records": [
            {"id": a, "action": "対応開始", "assignee": "sato"},
            {"id": b_id, "action": "完了する"}]}),
    );
    assert_eq!((s, b["code"].as_str()), (400, Some("GAIA_IL03")), "{b}");
    assert_eq!(
        status_of(&app, id, a),
        ("受付".into(), vec!["tanaka".into()], "1".into())
    );
    let (s, b) = tanaka.put(
        "/k/v1/records/status.json",
        json!({"app": id, "records": [
            {"id": a, "action": "対応開始", "assignee": "sato", "revision": 1},
            {"id": b_id, "action": "対応開始"}]}),
    );
    assert_eq!(s, 400, "{b}");
    assert!(b["errors"]["records[1].assignee"].is_object(), "{b}");
    let (s, b) = tanaka.put(
        "/k/v1/records/status.json",
        json!({"app": id, "records": [
            {"id": a, "action": "対応開始", "assignee": "sato", "revision": 1},
            {"id": b_id, "action": "対応開始", "assignee": "suzuki"}]}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b,
        json!({"records": [{"id": a.to_string(), "revision": "3"}, {"id": b_id.to_string(), "revision": "3"}]})
    );
    let too_many: Vec<Value> = (0..101).map(|_| json!({"id": a, "action": "x"})).collect();
    let (s, b) = tanaka.put(
        "/k/v1/records/status.json",
        json!({"app": id, "records": too_many}),
    );
    assert_eq!((s, b["code"].as_str()), (400, Some("CB_VA01")), "{b}");
    // Through bulkRequest too: a failing status call rolls back the record update before it.
    let (s, b) = app.post(
        "/k/v1/bulkRequest.json",
        json!({"requests": [
            {"method": "PUT", "api": "/k/v1/record.json", "payload": {"app": id, "id": a, "record": {"件名": {"value": "bulk"}}}},
            {"method": "PUT", "api": "/k/v1/record/status.json", "payload": {"app": id, "id": a, "action": "完了する"}}]}),
    );
    assert_eq!(s, 400, "{b}");
    assert_eq!(record(&app, id, a)["件名"]["value"], "デジタル化の相談");
}

#[test]
fn assignees_change_for_assignees_and_managers() {
    let app = TestApp::spawn();
    let id = case_app(&app);
    let tanaka = as_user(&app, "tanaka");
    let sato = as_user(&app, "sato");
    let rid = add_case(&tanaka, id, "低", None);
    // sato is neither an assignee nor an app manager.
    let (s, b) = sato.put(
        "/k/v1/record/assignees.json",
        json!({"app": id, "id": rid, "assignees": ["sato"]}),
    );
    assert_eq!((s, b["code"].as_str()), (403, Some("CB_NO02")), "{b}");
    // The current assignee hands over: revision +1.
    let (s, b) = tanaka.put(
        "/k/v1/record/assignees.json",
        json!({"app": id, "id": rid, "assignees": ["sato"], "revision": 1}),
    );
    assert_eq!((s, b), (200, json!({"revision": "2"})));
    assert_eq!(
        status_of(&app, id, rid),
        ("受付".into(), vec!["sato".into()], "2".into())
    );
    // Now sato may run the action; tanaka may not.
    let (s, _) = act(&tanaka, id, rid, "対応開始", Some("suzuki"));
    assert_eq!(s, 400);
    // The administrator (app manager) may change anything; ONE takes a single assignee; users must exist.
    let (s, b) = app.put(
        "/k/v1/record/assignees.json",
        json!({"app": id, "id": rid, "assignees": ["sato", "suzuki"]}),
    );
    assert_eq!(s, 400, "{b}");
    let (s, b) = app.put(
        "/k/v1/record/assignees.json",
        json!({"app": id, "id": rid, "assignees": ["ghost"]}),
    );
    assert_eq!(s, 400, "{b}");
    let (s, b) = app.put(
        "/k/v1/record/assignees.json",
        json!({"app": id, "id": rid, "assignees": ["suzuki"], "revision": 1}),
    );
    assert_eq!(s, 409, "{b}");
    let (s, b) = app.put(
        "/k/v1/record/assignees.json",
        json!({"app": id, "id": rid, "assignees": []}),
    );
    assert_eq!((s, b), (200, json!({"revision": "3"})));
    assert_eq!(status_of(&app, id, rid).1, Vec::<String>::new());
}

#[test]
fn history_actions_and_queries_follow_the_status() {
    let app = TestApp::spawn();
    let id = case_app(&app);
    let tanaka = as_user(&app, "tanaka");
    let suzuki = as_user(&app, "suzuki");
    let first = add_case(&tanaka, id, "低", None);
    let second = add_case(&tanaka, id, "中", None);
    let _third = add_case(&tanaka, id, "低", None);

    // What tanaka can run on a new record: 対応開始 (to 対応中 for 低), choosing among the candidates.
    let (s, b) = tanaka.get(&format!("/api/process/actions.json?app={id}&id={first}"));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "受付");
    assert_eq!(
        b["assignees"],
        json!([{"code": "tanaka", "name": "tanaka"}])
    );
    assert_eq!(b["actions"].as_array().unwrap().len(), 1, "{b}");
    assert_eq!(b["actions"][0]["name"], "対応開始");
    assert_eq!(b["actions"][0]["to"], "対応中");
    assert_eq!(b["actions"][0]["type"], "PRIMARY");
    assert_eq!(b["actions"][0]["assigneeRequired"], true);
    assert_eq!(
        b["actions"][0]["assigneeCandidates"],
        json!([{"code": "sato", "name": "sato"}, {"code": "suzuki", "name": "suzuki"}])
    );
    let (_, b) = suzuki.get(&format!("/api/process/actions.json?app={id}&id={first}"));
    assert_eq!(b["actions"], json!([]));

    for rid in [first, second] {
        let (s, b) = act(&tanaka, id, rid, "対応開始", Some("suzuki"));
        assert_eq!(s, 200, "{b}");
    }
    let (s, b) = suzuki.get(&format!(
        "/k/v1/records.json?app={id}&query={}",
        url_encode("Assignee in (LOGINUSER()) order by $id asc")
    ));
    assert_eq!(s, 200, "{b}");
    assert_eq!(ids(&b), [first.to_string(), second.to_string()]);
    let (_, b) = app.get(&format!(
        "/k/v1/records.json?app={id}&query={}",
        url_encode("Status in (\"対応中\") and 優先度 in (\"中\")")
    ));
    assert_eq!(ids(&b), [second.to_string()]);
    let (_, b) = app.get(&format!(
        "/k/v1/records.json?app={id}&query={}&totalCount=true",
        url_encode("Status = \"受付\"")
    ));
    assert_eq!(b["totalCount"], "1");
    let (_, b) = app.get(&format!(
        "/k/v1/records.json?app={id}&query={}",
        url_encode("Status not in (\"受付\") and Assignee in (\"tanaka\")")
    ));
    assert_eq!(ids(&b), Vec::<String>::new());

    // "Assigned to me" across apps.
    let (s, b) = suzuki.get("/api/process/assigned.json");
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b,
        json!({"apps": [{"app": id.to_string(), "name": "相談案件", "count": "2", "assigneeField": "Assignee"}]})
    );
    let (_, b) = tanaka.get("/api/process/assigned.json");
    assert_eq!(b["apps"][0]["count"], "1");

    // History: ADD, then a STATUS entry with the Status and Assignee changes.
    let (s, b) = app.get(&format!("/api/record/history.json?app={id}&id={first}"));
    assert_eq!(s, 200, "{b}");
    let entries = b["history"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{b}");
    assert_eq!(entries[0]["action"], "STATUS");
    assert_eq!(entries[0]["revision"], "3");
    assert_eq!(entries[0]["actor"]["code"], "tanaka");
    assert_eq!(entries[0]["processAction"], "対応開始");
    assert_eq!(entries[1]["processAction"], Value::Null);
    let changes = entries[0]["changes"].as_array().unwrap();
    let status = changes.iter().find(|c| c["field"] == "Status").unwrap();
    assert_eq!(
        (&status["old"], &status["new"]),
        (&json!("受付"), &json!("対応中"))
    );
    let assignee = changes.iter().find(|c| c["field"] == "Assignee").unwrap();
    assert_eq!(
        assignee["new"],
        json!([{"code": "suzuki", "name": "suzuki"}])
    );
    assert_eq!(entries[1]["action"], "ADD");
}

#[test]
fn enabling_later_puts_existing_records_in_the_first_state() {
    let app = TestApp::spawn();
    for u in ["sato", "suzuki", "tanaka", "yamada"] {
        app.user(u, PW);
    }
    let id = app.create_app("相談案件", fields());
    let tanaka = as_user(&app, "tanaka");
    let old = add_case(&tanaka, id, "低", None);
    let (s, b) = app.put("/k/v1/preview/app/status.json", process_settings(id));
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    assert_eq!(
        status_of(&app, id, old),
        ("受付".into(), vec!["tanaka".into()], "1".into())
    );
    let (_, b) = tanaka.get(&format!(
        "/k/v1/records.json?app={id}&query={}",
        url_encode("Status in (\"受付\") and Assignee in (LOGINUSER())")
    ));
    assert_eq!(ids(&b), [old.to_string()]);
    let (s, b) = act(&tanaka, id, old, "対応開始", Some("sato"));
    assert_eq!(s, 200, "{b}");

    // Switching off keeps statuses; switching on again restores them (as kintone).
    let (s, b) = app.put(
        "/k/v1/preview/app/status.json",
        json!({"app": id, "enable": false}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    assert!(record(&app, id, old).get("Status").is_none());
    let (s, b) = app.put(
        "/k/v1/preview/app/status.json",
        json!({"app": id, "enable": true}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    assert_eq!(status_of(&app, id, old).0, "対応中");
    let (_, b) = app.get(&format!(
        "/k/v1/records.json?app={id}&query={}",
        url_encode("Status in (\"対応中\")")
    ));
    assert_eq!(ids(&b), [old.to_string()]);

    // A status that records are in cannot be removed at deploy.
    let mut settings = process_settings(id);
    settings["states"].as_object_mut().unwrap().remove("対応中");
    let actions: Vec<Value> = settings["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["from"] != "対応中" && a["to"] != "対応中")
        .cloned()
        .collect();
    settings["actions"] = json!(actions);
    let (s, b) = app.put("/k/v1/preview/app/status.json", settings);
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.post(
        "/k/v1/preview/app/deploy.json",
        json!({"apps": [{"app": id}]}),
    );
    assert_eq!(s, 400, "{b}");
    assert_eq!(status_of(&app, id, old).0, "対応中");
}

#[test]
fn departments_and_groups_expand_to_their_members() {
    let app = TestApp::spawn();
    for u in ["sato", "suzuki", "tanaka", "yamada"] {
        app.user(u, PW);
    }
    {
        let db = kumiki_engine::db::Database::connect(&app.database_url, 1).unwrap();
        let mut conn = db.conn().unwrap();
        use kumiki_engine::org;
        org::add_department(&mut conn, "dx", "デジタル推進課", None, 0).unwrap();
        org::add_department(&mut conn, "dx-team", "推進係", Some("dx"), 0).unwrap();
        org::add_group(&mut conn, "reviewers", "審査担当").unwrap();
        org::set_user_departments(&mut conn, "sato", &["dx".into()], None).unwrap();
        org::set_user_departments(&mut conn, "suzuki", &["dx-team".into()], None).unwrap();
        org::set_user_groups(&mut conn, "yamada", &["reviewers".into()]).unwrap();
    }
    let id = app.create_app("相談案件", fields());
    let (s, b) = app.put(
        "/k/v1/preview/app/status.json",
        json!({"app": id, "enable": true,
               "states": {
                   "受付": {"index": "0"},
                   "課内": {"index": "1", "assignee": {"type": "ANY", "entities": [
                       {"entity": {"type": "ORGANIZATION", "code": "dx"}, "includeSubs": true}]}},
                   "審査": {"index": "2", "assignee": {"type": "ONE", "entities": [
                       {"entity": {"type": "GROUP", "code": "reviewers"}},
                       {"entity": {"type": "ORGANIZATION", "code": "dx"}, "includeSubs": false}]}}},
               "actions": [{"name": "回付", "from": "受付", "to": "課内"},
                           {"name": "審査へ", "from": "課内", "to": "審査"}]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    let tanaka = as_user(&app, "tanaka");
    let rid = add_case(&tanaka, id, "低", None);
    let (s, b) = act(&tanaka, id, rid, "回付", None);
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        status_of(&app, id, rid).1,
        vec!["sato".to_owned(), "suzuki".to_owned()]
    );
    let (_, b) =
        as_user(&app, "suzuki").get(&format!("/api/process/actions.json?app={id}&id={rid}"));
    assert_eq!(
        b["actions"][0]["assigneeCandidates"],
        json!([{"code": "yamada", "name": "yamada"}, {"code": "sato", "name": "sato"}]),
        "{b}"
    );
    // suzuki is in a sub-department only, so not a candidate without includeSubs.
    let (s, b) = act(&as_user(&app, "suzuki"), id, rid, "審査へ", Some("suzuki"));
    assert_eq!(s, 400, "{b}");
    let (s, b) = act(&as_user(&app, "suzuki"), id, rid, "審査へ", Some("yamada"));
    assert_eq!(s, 200, "{b}");
    assert_eq!(status_of(&app, id, rid).1, vec!["yamada".to_owned()]);
}
