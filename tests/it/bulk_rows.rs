//! Issue 18: a large `bulkRequest` (what `addAllRecords` sends: 20 × 100 records) writes everything
//! a record needs — every pivot index row (numbers, texts with their folded forms, long text,
//! subtable rows), its history entry and its change-log row, which feeds the search index and the
//! bell — on both databases (PostgreSQL writes index rows through its own array statements).

use std::time::Duration;

use kumiki_tests::{sample_fields, url_encode, Auth, TestApp};
use serde_json::{json, Value};

use crate::notify::wait_bell;

const RECORDS: usize = 2_000;
const PER_POST: usize = 100;

/// Record `i` of the load (0-based): half-width katakana text (stored with a folded form), every
/// indexed kind, and 1–3 subtable rows.
fn record(i: usize) -> Value {
    let lines: Vec<Value> = (0..=(i % 3))
        .map(|j| json!({"value": {"Item": {"value": format!("品{}", (i + j) % 10)}, "Amount": {"value": (j * 10).to_string()}}}))
        .collect();
    let tags = if i.is_multiple_of(2) {
        json!(["x", "y"])
    } else {
        json!(["x"])
    };
    let choice = ["A", "B", "C"][i % 3];
    json!({
        "Text": {"value": format!("ﾃｽﾄ{i:04}")},
        "Number": {"value": i.to_string()},
        "Choice": {"value": choice},
        "Tags": {"value": tags},
        "Day": {"value": format!("2026-01-{:02}", i % 28 + 1)},
        "When": {"value": format!("2026-02-{:02}T{:02}:00:00Z", i % 28 + 1, i % 24)},
        "Memo": {"value": format!("記録{i}番の備考 k{i:04}q")},
        "People": {"value": [{"code": "Administrator"}]},
        "Lines": {"value": lines}
    })
}

fn count(app: &TestApp, id: i64, query: &str) -> usize {
    let (s, b) = app.get(&format!(
        "/k/v1/records.json?app={id}&totalCount=true&query={}",
        url_encode(&format!("{query} limit 1"))
    ));
    assert_eq!(s, 200, "{query}: {b}");
    b["totalCount"].as_str().unwrap().parse().unwrap()
}

fn expected(matches: impl Fn(usize) -> bool) -> usize {
    (0..RECORDS).filter(|i| matches(*i)).count()
}

#[test]
fn a_bulk_request_of_2000_records_writes_every_index_history_change_and_search_row() {
    let app = TestApp::spawn();
    let id = app.create_app("bulk", sample_fields());
    let requests: Vec<Value> = (0..RECORDS / PER_POST)
        .map(|p| {
            let records: Vec<Value> = (p * PER_POST..(p + 1) * PER_POST).map(record).collect();
            json!({"method": "POST", "api": "/k/v1/records.json", "payload": {"app": id, "records": records}})
        })
        .collect();
    let (s, b) = app.post("/k/v1/bulkRequest.json", json!({ "requests": requests }));
    assert_eq!(s, 200, "{b}");
    let ids: Vec<i64> = b["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["ids"].as_array().unwrap().clone())
        .map(|v| v.as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(ids.len(), RECORDS);
    assert_eq!(ids, (1..=RECORDS as i64).collect::<Vec<_>>());

    // Every kind of index row answers its filter exactly.
    assert_eq!(count(&app, id, ""), RECORDS);
    assert_eq!(count(&app, id, "Number >= 1500"), expected(|i| i >= 1500));
    assert_eq!(
        count(&app, id, "Choice in (\"B\")"),
        expected(|i| i % 3 == 1)
    );
    assert_eq!(
        count(&app, id, "Tags in (\"y\")"),
        expected(|i| i.is_multiple_of(2))
    );
    assert_eq!(
        count(&app, id, "Day = \"2026-01-05\""),
        expected(|i| i % 28 == 4)
    );
    assert_eq!(
        count(&app, id, "When >= \"2026-02-28T00:00:00Z\""),
        expected(|i| i % 28 == 27)
    );
    assert_eq!(count(&app, id, "People in (\"Administrator\")"), RECORDS);
    // Long text, and the folded form of half-width text (ﾃｽﾄ is found as テスト).
    assert_eq!(count(&app, id, "Memo like \"k1999q\""), 1);
    assert_eq!(count(&app, id, "Text like \"テスト0042\""), 1);
    // Subtable rows, each with its own row id.
    assert_eq!(
        count(&app, id, "Item in (\"品7\")"),
        expected(|i| (0..=(i % 3)).any(|j| (i + j) % 10 == 7))
    );
    assert_eq!(count(&app, id, "Amount >= 20"), expected(|i| i % 3 == 2));
    let (_, b) = app.get(&format!(
        "/k/v1/records.json?app={id}&query={}",
        url_encode("order by Number desc limit 1")
    ));
    assert_eq!(
        b["records"][0]["Number"]["value"],
        (RECORDS - 1).to_string()
    );

    // History: the addition of the last record.
    let (s, h) = app.get(&format!("/api/record/history.json?app={id}&id={RECORDS}"));
    assert_eq!(s, 200, "{h}");
    assert_eq!(h["history"].as_array().unwrap().len(), 1, "{h}");
    assert_eq!(
        (&h["history"][0]["revision"], &h["history"][0]["action"]),
        (&json!("1"), &json!("ADD"))
    );

    // Change-log rows: the search index receives every record.
    app.wait_indexed(Duration::from_secs(120));
    for i in [0, 999, RECORDS - 1] {
        let (s, b) = app.get(&format!("/api/search.json?q=k{i:04}q"));
        assert_eq!(s, 200, "{b}");
        let hits: Vec<i64> = b["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["record"].as_i64().unwrap())
            .collect();
        assert_eq!(hits, vec![i as i64 + 1], "k{i:04}q: {b}");
    }
}

#[test]
fn the_bell_hears_of_every_added_record_of_a_call_even_when_one_is_already_gone() {
    let app = TestApp::spawn();
    app.user("sato", "bulk-rows-pw-1");
    let id = app.create_app("bell", sample_fields());
    let (s, b) = app.put(
        "/k/v1/preview/app/notifications/general.json",
        json!({"app": id, "notifications": [
            {"entity": {"type": "USER", "code": "sato"}, "recordAdded": true}]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    // Records 1–3 are added and record 2 deleted in one transaction: the consumer meets the
    // addition of a record that no longer exists in the middle of its batch.
    let records: Vec<Value> = (0..3).map(record).collect();
    let (s, b) = app.post(
        "/k/v1/bulkRequest.json",
        json!({"requests": [
            {"method": "POST", "api": "/k/v1/records.json", "payload": {"app": id, "records": records}},
            {"method": "DELETE", "api": "/k/v1/records.json", "payload": {"app": id, "ids": [2]}}
        ]}),
    );
    assert_eq!(s, 200, "{b}");
    let sato = app.with_auth(Auth::Password("sato".into(), "bulk-rows-pw-1".into()));
    let bell = wait_bell(&sato, 2);
    let mut told: Vec<i64> = bell["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["record"].as_str().unwrap().parse().unwrap())
        .collect();
    told.sort_unstable();
    assert_eq!(told, vec![1, 3], "{bell}");
    // The consumer went on past it: a later addition is told too.
    app.add_record(id, record(3));
    wait_bell(&sato, 3);
}
