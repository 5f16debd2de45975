//! Bad input never panics, never answers 500 and never writes half: malformed JSON, wrong types,
//! unknown apps and APIs, oversize bodies.

use kumiki_tests::{sample_fields, TestApp};
use reqwest::Method;
use serde_json::json;

#[test]
fn malformed_and_mistyped_requests_get_kintone_errors() {
    let app = TestApp::spawn();
    let id = app.create_app("a", sample_fields());
    let (s, b) = app.raw(Method::POST, "/k/v1/record.json", b"{not json".to_vec());
    assert_eq!((s, b["code"].as_str()), (400, Some("CB_IJ01")));
    let (s, b) = app.raw(Method::POST, "/k/v1/record.json", b"[1,2]".to_vec());
    assert_eq!((s, b["code"].as_str()), (400, Some("CB_IJ01")));
    let (s, b) = app.post("/k/v1/record.json", json!({"app": "abc", "record": {}}));
    assert_eq!((s, b["code"].as_str()), (400, Some("CB_VA01")));
    assert!(b["errors"]["app"].is_object(), "{b}");
    let (s, b) = app.post("/k/v1/record.json", json!({"app": id, "record": "text"}));
    assert_eq!((s, b["code"].as_str()), (400, Some("CB_VA01")));
    let (s, b) = app.post(
        "/k/v1/record.json",
        json!({"app": id, "record": {"Number": "not wrapped"}}),
    );
    assert_eq!((s, b["code"].as_str()), (400, Some("CB_VA01")), "{b}");
    let (s, b) = app.post(
        "/k/v1/record.json",
        json!({"app": id, "record": {"Tags": {"value": "x"}}}),
    );
    assert_eq!((s, b["code"].as_str()), (400, Some("CB_VA01")), "{b}");
    let (s, b) = app.post("/k/v1/record.json", json!({"app": 999, "record": {}}));
    assert_eq!((s, b["code"].as_str()), (404, Some("GAIA_AP01")));
    assert_eq!(
        b["message"],
        "The app (ID: 999) not found. The app may have been deleted."
    );
    let (s, b) = app.get("/k/v1/nonexistent.json");
    assert_eq!((s, b["code"].as_str()), (404, Some("CB_NF01")));
    let (s, b) = app.delete("/k/v1/records.json", json!({"app": id, "ids": [1, "x"]}));
    assert_eq!((s, b["code"].as_str()), (400, Some("CB_VA01")));
    let (s, b) = app.get(&format!("/k/v1/record.json?app={id}&id=12345"));
    assert_eq!((s, b["code"].as_str()), (404, Some("GAIA_RE01")));
    assert!(b["id"].is_string() && b["message"].is_string());
    let (_, b) = app.get(&format!("/k/v1/records.json?app={id}&totalCount=true"));
    assert_eq!(b["totalCount"], "0");
}

#[test]
fn oversize_bodies_are_refused_with_413() {
    let app = TestApp::spawn_with(|s| s.max_body_bytes = 64 * 1024);
    let id = app.create_app("a", sample_fields());
    let big = "あ".repeat(40_000);
    let (s, b) = app.post(
        "/k/v1/record.json",
        json!({"app": id, "record": {"Memo": {"value": big}}}),
    );
    assert_eq!(s, 413, "{b}");
    assert!(b["code"].is_string());
}

#[test]
fn japanese_messages_on_request() {
    let app = TestApp::spawn();
    let resp = app
        .client
        .get(app.url("/k/v1/apps.json"))
        .header("Accept-Language", "ja")
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let b: serde_json::Value = resp.json().unwrap();
    assert_eq!(b["message"], "ログインしてください。");
}
