//! App settings: pre-live and live copies, field changes, layout, views, settings, deploy and revert.

use kumiki_tests::{sample_fields, TestApp};
use serde_json::json;

#[test]
fn settings_change_pre_live_until_deployed() {
    let app = TestApp::spawn();
    let id = app.create_app("申請", sample_fields());
    let (s, b) = app.post(
        "/k/v1/preview/app/form/fields.json",
        json!({"app": id, "properties": {"Extra": {"type": "SINGLE_LINE_TEXT", "code": "Extra", "label": "追加"}}}),
    );
    assert_eq!(s, 200, "{b}");
    let (_, live) = app.get(&format!("/k/v1/app/form/fields.json?app={id}"));
    assert!(
        live["properties"].get("Extra").is_none(),
        "live is unchanged before deploy"
    );
    let (_, pre) = app.get(&format!("/k/v1/preview/app/form/fields.json?app={id}"));
    assert_eq!(pre["properties"]["Extra"]["label"], "追加");
    let (_, layout) = app.get(&format!("/k/v1/preview/app/form/layout.json?app={id}"));
    assert!(
        layout["layout"].to_string().contains("Extra"),
        "a new field is placed in the layout"
    );
    app.deploy(id);
    let (_, b) = app.get(&format!("/k/v1/preview/app/deploy.json?apps[0]={id}"));
    assert_eq!(b["apps"][0]["status"], "SUCCESS");
    let (_, live) = app.get(&format!("/k/v1/app/form/fields.json?app={id}"));
    assert_eq!(live["properties"]["Extra"]["type"], "SINGLE_LINE_TEXT");
}

#[test]
fn renaming_a_field_keeps_its_data_and_revert_discards_changes() {
    let app = TestApp::spawn();
    let id = app.create_app("r", sample_fields());
    let rid = app.add_record(id, json!({"Number": {"value": "42"}}));
    let (s, b) = app.put(
        "/k/v1/preview/app/form/fields.json",
        json!({"app": id, "properties": {"Number": {"code": "Amount_total", "label": "金額合計"}}}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    let (_, b) = app.get(&format!("/k/v1/record.json?app={id}&id={rid}"));
    assert_eq!(b["record"]["Amount_total"]["value"], "42");
    let (s, _) = app.get(&format!(
        "/k/v1/records.json?app={id}&query=Amount_total%20%3D%2042"
    ));
    assert_eq!(s, 200);

    let (s, _) = app.delete(
        "/k/v1/preview/app/form/fields.json",
        json!({"app": id, "fields": ["Memo"]}),
    );
    assert_eq!(s, 200);
    let (s, _) = app.post(
        "/k/v1/preview/app/deploy.json",
        json!({"apps": [{"app": id}], "revert": true}),
    );
    assert_eq!(s, 200);
    let (_, pre) = app.get(&format!("/k/v1/preview/app/form/fields.json?app={id}"));
    assert!(
        pre["properties"].get("Memo").is_some(),
        "revert restores the live definition"
    );
}

#[test]
fn bad_field_definitions_are_refused() {
    let app = TestApp::spawn();
    let id = app.create_app("x", sample_fields());
    let cases = [
        json!({"1bad": {"type": "SINGLE_LINE_TEXT", "code": "1bad"}}),
        json!({"Calc": {"type": "CALC", "code": "Calc", "expression": "Number +"}}),
        json!({"Calc2": {"type": "CALC", "code": "Calc2", "expression": "Nope * 2"}}),
        json!({"Pick": {"type": "DROP_DOWN", "code": "Pick"}}),
        json!({"Text": {"type": "NUMBER", "code": "Text"}}),
        json!({"X": {"type": "NO_SUCH_TYPE", "code": "X"}}),
    ];
    for props in cases {
        let (s, b) = app.post(
            "/k/v1/preview/app/form/fields.json",
            json!({"app": id, "properties": props}),
        );
        assert_eq!(
            (s, b["code"].as_str()),
            (400, Some("CB_VA01")),
            "{props}: {b}"
        );
    }
    let (s, b) = app.put(
        "/k/v1/preview/app/form/fields.json",
        json!({"app": id, "properties": {"Number": {"type": "SINGLE_LINE_TEXT"}}}),
    );
    assert_eq!(s, 400, "type changes are refused: {b}");
    let (s, b) = app.delete(
        "/k/v1/preview/app/form/fields.json",
        json!({"app": id, "fields": ["Nope"]}),
    );
    assert_eq!((s, b["code"].as_str()), (400, Some("GAIA_FC01")));
}

#[test]
fn views_settings_and_revisions() {
    let app = TestApp::spawn();
    let id = app.create_app("v", sample_fields());
    let (s, b) = app.put(
        "/k/v1/preview/app/views.json",
        json!({"app": id, "views": {"大きい順": {"type": "LIST", "fields": ["Text", "Number"], "filterCond": "Number > 10", "sort": "Number desc"}}}),
    );
    assert_eq!(s, 200, "{b}");
    assert!(b["views"]["大きい順"]["id"].is_string());
    let (s, b) = app.put(
        "/k/v1/preview/app/views.json",
        json!({"app": id, "views": {"bad": {"type": "LIST", "filterCond": "Nope > 1"}}}),
    );
    assert_eq!(s, 400, "a view filter must be a valid query: {b}");
    let (_, b) = app.get(&format!("/k/v1/preview/app/settings.json?app={id}"));
    let revision: i64 = b["revision"].as_str().unwrap().parse().unwrap();
    let (s, b) = app.put(
        "/k/v1/preview/app/settings.json",
        json!({"app": id, "name": "新しい名前", "revision": revision}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.put(
        "/k/v1/preview/app/settings.json",
        json!({"app": id, "name": "古い", "revision": revision}),
    );
    assert_eq!((s, b["code"].as_str()), (409, Some("GAIA_CO02")));
    app.deploy(id);
    let (_, b) = app.get(&format!("/k/v1/app.json?id={id}"));
    assert_eq!(b["name"], "新しい名前");
    let (_, b) = app.get("/k/v1/apps.json?name=%E6%96%B0%E3%81%97%E3%81%84");
    assert_eq!(b["apps"].as_array().unwrap().len(), 1);
}

#[test]
fn an_app_never_deployed_has_no_live_records_api() {
    let app = TestApp::spawn();
    let (_, b) = app.post("/k/v1/preview/app.json", json!({"name": "draft"}));
    let id = b["app"].as_str().unwrap();
    let (s, b) = app.get(&format!("/k/v1/records.json?app={id}"));
    assert_eq!((s, b["code"].as_str()), (404, Some("GAIA_AP01")));
}
