//! Bulk calls and `bulkRequest.json`: all or nothing.

use kumiki_tests::{sample_fields, TestApp};
use serde_json::json;

#[test]
fn bulk_add_is_all_or_nothing() {
    let app = TestApp::spawn();
    let id = app.create_app("b", sample_fields());
    let records: Vec<_> = (0..100)
        .map(|i| json!({"Text": {"value": format!("t{i}")}, "Number": {"value": i}}))
        .collect();
    let (s, b) = app.post("/k/v1/records.json", json!({"app": id, "records": records}));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["ids"].as_array().unwrap().len(), 100);
    assert_eq!(b["revisions"][0], "1");
    let too_many: Vec<_> = (0..101).map(|_| json!({})).collect();
    let (s, b) = app.post(
        "/k/v1/records.json",
        json!({"app": id, "records": too_many}),
    );
    assert_eq!((s, b["code"].as_str()), (400, Some("CB_VA01")));
    let (s, b) = app.post(
        "/k/v1/records.json",
        json!({"app": id, "records": [{"Text": {"value": "ok"}}, {"Number": {"value": "NaN?"}}]}),
    );
    assert_eq!(s, 400);
    assert!(
        b["errors"]
            .as_object()
            .unwrap()
            .keys()
            .any(|k| k.starts_with("records[1].")),
        "{b}"
    );
    let (_, b) = app.get(&format!("/k/v1/records.json?app={id}&totalCount=true"));
    assert_eq!(b["totalCount"], "100");
}

#[test]
fn bulk_request_rolls_back_every_sub_request() {
    let app = TestApp::spawn();
    let id = app.create_app("b", sample_fields());
    let rid = app.add_record(id, json!({"Number": {"value": "1"}}));
    let (s, b) = app.post(
        "/k/v1/bulkRequest.json",
        json!({"requests": [
            {"method": "POST", "api": "/k/v1/record.json", "payload": {"app": id, "record": {"Text": {"value": "new"}}}},
            {"method": "PUT", "api": "/k/v1/record.json", "payload": {"app": id, "id": rid, "revision": 99, "record": {}}}
        ]}),
    );
    assert_eq!(s, 409, "{b}");
    assert_eq!(b["results"][0], json!({}));
    assert_eq!(b["results"][1]["code"], "GAIA_CO02");
    let (_, b) = app.get(&format!("/k/v1/records.json?app={id}&totalCount=true"));
    assert_eq!(
        b["totalCount"], "1",
        "the first sub-request was rolled back"
    );

    let (s, b) = app.post(
        "/k/v1/bulkRequest.json",
        json!({"requests": [
            {"method": "POST", "api": "/k/v1/records.json", "payload": {"app": id, "records": [{"Text": {"value": "n1"}}]}},
            {"method": "PUT", "api": "/k/v1/record.json", "payload": {"app": id, "id": rid, "record": {"Number": {"value": "2"}}}},
            {"method": "DELETE", "api": "/k/v1/records.json", "payload": {"app": id, "ids": [rid]}}
        ]}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["results"][0]["ids"].as_array().unwrap().len(), 1);
    assert_eq!(b["results"][1]["revision"], "2");
    assert_eq!(b["results"][2], json!({}));
}
