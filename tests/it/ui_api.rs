//! Kumiki's APIs for the record pages: `/api/users.json`, `/api/record/calc.json`,
//! `/api/record/history.json`.

use kumiki_tests::{sample_fields, Auth, TestApp};
use serde_json::json;

#[test]
fn users_lists_codes_and_names_for_signed_in_users_only() {
    let app = TestApp::spawn();
    app.user("suzuki", "password-123");
    let (s, b) = app.get("/api/users.json");
    assert_eq!(s, 200, "{b}");
    let users = b["users"].as_array().unwrap();
    let codes: Vec<&str> = users.iter().filter_map(|u| u["code"].as_str()).collect();
    assert!(
        codes.contains(&"Administrator") && codes.contains(&"suzuki"),
        "{b}"
    );
    assert!(users.iter().all(|u| u["name"].is_string()));
    assert!(users.iter().all(|u| u.get("password_hash").is_none()));

    let id = app.create_app("u", sample_fields());
    let token = app.token(id, "view");
    let (s, b) = app.with_auth(Auth::Tokens(token)).get("/api/users.json");
    assert_eq!(s, 403, "{b}");
    let (s, _) = app.with_auth(Auth::None).get("/api/users.json");
    assert_eq!(s, 401);
}

#[test]
fn calc_computes_top_level_and_subtable_fields_without_storing() {
    let app = TestApp::spawn();
    let id = app.create_app(
        "calc",
        json!({
            "Price": {"type": "NUMBER", "code": "Price", "label": "単価"},
            "Qty": {"type": "NUMBER", "code": "Qty", "label": "数量"},
            "Amount": {"type": "CALC", "code": "Amount", "label": "金額", "expression": "Price * Qty", "format": "NUMBER"},
            "Lines": {"type": "SUBTABLE", "code": "Lines", "fields": {
                "Each": {"type": "NUMBER", "code": "Each", "label": "単価"},
                "Count": {"type": "NUMBER", "code": "Count", "label": "数"},
                "Sub": {"type": "CALC", "code": "Sub", "label": "小計", "expression": "Each * Count", "format": "NUMBER"}
            }},
            "Total": {"type": "CALC", "code": "Total", "label": "合計", "expression": "SUM(Sub)", "format": "NUMBER"}
        }),
    );
    let (s, b) = app.post(
        "/api/record/calc.json",
        json!({"app": id, "record": {
            "Price": {"value": "120"},
            "Qty": {"value": 3},
            "Lines": {"value": [
                {"value": {"Each": {"value": "10"}, "Count": {"value": "2"}}},
                {"id": "99", "value": {"Each": {"value": "5"}, "Count": {"value": "4"}}}
            ]}
        }}),
    );
    assert_eq!(s, 200, "{b}");
    let r = &b["record"];
    assert_eq!(r["Amount"]["value"], "360", "{b}");
    assert_eq!(r["Lines"]["value"][0]["value"]["Sub"]["value"], "20", "{b}");
    assert_eq!(r["Lines"]["value"][1]["value"]["Sub"]["value"], "20", "{b}");
    assert_eq!(r["Lines"]["value"][1]["id"], "99", "row ids are kept: {b}");
    assert_eq!(r["Total"]["value"], "40", "{b}");
    assert_eq!(r["Price"]["value"], "120", "inputs come back as sent");

    // Empty inputs give an empty result, as on save; nothing was stored.
    let (s, b) = app.post("/api/record/calc.json", json!({"app": id, "record": {}}));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["record"]["Amount"]["value"], "");
    let (_, list) = app.get(&format!("/k/v1/records.json?app={id}&totalCount=true"));
    assert_eq!(list["totalCount"], "0");

    let (s, b) = app.post("/api/record/calc.json", json!({"app": id, "record": []}));
    assert_eq!((s, b["code"].as_str()), (400, Some("CB_VA01")), "{b}");
    let (s, b) = app.post("/api/record/calc.json", json!({"app": 999, "record": {}}));
    assert_eq!((s, b["code"].as_str()), (404, Some("GAIA_AP01")), "{b}");
    let token = app.token(id, "add");
    let (s, _) = app
        .with_auth(Auth::Tokens(token))
        .post("/api/record/calc.json", json!({"app": id, "record": {}}));
    assert_eq!(s, 403, "a token without the view right");
}

#[test]
fn history_lists_additions_and_changes_newest_first_with_labels() {
    let app = TestApp::spawn();
    let id = app.create_app("h", sample_fields());
    let rid = app.add_record(
        id,
        json!({"Text": {"value": "最初"}, "Number": {"value": "1"}}),
    );
    let (s, b) = app.put(
        "/k/v1/record.json",
        json!({"app": id, "id": rid, "record": {"Text": {"value": "二回目"}, "Choice": {"value": "B"}}}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.get(&format!("/api/record/history.json?app={id}&id={rid}"));
    assert_eq!(s, 200, "{b}");
    let history = b["history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "{b}");
    let update = &history[0];
    assert_eq!(update["action"], "UPDATE");
    assert_eq!(update["revision"], "2");
    assert_eq!(update["actor"]["code"], "Administrator");
    assert!(update["actor"]["name"].is_string());
    assert!(update["at"].as_str().unwrap().ends_with('Z'));
    let changes = update["changes"].as_array().unwrap();
    let text = changes.iter().find(|c| c["field"] == "Text").unwrap();
    assert_eq!(text["label"], "文字列");
    assert_eq!(text["type"], "SINGLE_LINE_TEXT");
    assert_eq!(text["old"], "最初");
    assert_eq!(text["new"], "二回目");
    assert!(changes
        .iter()
        .any(|c| c["field"] == "Choice" && c["new"] == "B"));
    assert!(
        changes.iter().all(|c| c["field"] != "Number"),
        "unchanged fields are left out"
    );
    assert_eq!(history[1]["action"], "ADD");
    assert_eq!(history[1]["revision"], "1");

    let (s, b) = app.get(&format!("/api/record/history.json?app={id}&id=9999"));
    assert_eq!((s, b["code"].as_str()), (404, Some("GAIA_RE01")), "{b}");
    let (s, b) = app.get(&format!("/api/record/history.json?app={id}"));
    assert_eq!((s, b["code"].as_str()), (400, Some("CB_VA01")), "{b}");
    let other = app.create_app("o", sample_fields());
    let token = app.token(other, "view");
    let (s, _) = app
        .with_auth(Auth::Tokens(token))
        .get(&format!("/api/record/history.json?app={id}&id={rid}"));
    assert_eq!(s, 403, "a token of another app");
}
