//! Record imports from CSV/XLSX (`/api/records/import.json`, issue 16): a Shift_JIS CSV with
//! full-width numbers and era dates, a UTF-8 BOM CSV, bad rows reported with nothing written,
//! update by key (a key matching two records is a row error), and a non-XLSX zip refused.

use kumiki_tests::TestApp;
use serde_json::{json, Value};

fn fields() -> Value {
    json!({
        "件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名", "unique": true},
        "数量": {"type": "NUMBER", "code": "数量", "label": "数量"},
        "期日": {"type": "DATE", "code": "期日", "label": "期日"},
        "担当": {"type": "SINGLE_LINE_TEXT", "code": "担当", "label": "担当者"},
    })
}

fn sjis(text: &str) -> Vec<u8> {
    encoding_rs::SHIFT_JIS.encode(text).0.into_owned()
}

fn records(app: &TestApp, id: i64) -> Vec<Value> {
    let (s, b) = app.get(&format!(
        "/k/v1/records.json?app={id}&query=order%20by%20%24id%20asc"
    ));
    assert_eq!(s, 200, "{b}");
    b["records"].as_array().unwrap().clone()
}

/// Runs an import (a durable job) and waits until it has ended; returns its last status.
fn run_to_end(app: &TestApp, import: &str) -> Value {
    let (s, r) = app.post("/api/records/import/run.json", json!({"id": import}));
    assert_eq!(s, 200, "{r}");
    assert!(
        r["state"] == "queued" || r["state"] == "running" || r["state"] == "done",
        "{r}"
    );
    let started = std::time::Instant::now();
    loop {
        let (s, b) = app.get(&format!("/api/records/import.json?id={import}"));
        assert_eq!(s, 200, "{b}");
        if b["state"] == "done" || b["state"] == "failed" {
            return b;
        }
        assert!(
            started.elapsed().as_secs() < 60,
            "the import did not end: {b}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn open(app: &TestApp, id: i64, name: &str, bytes: Vec<u8>) -> Value {
    let key = app.upload(name, "text/csv", bytes);
    let (s, b) = app.post(
        "/api/records/import.json",
        json!({"app": id, "fileKey": key}),
    );
    assert_eq!(s, 200, "{b}");
    b
}

#[test]
fn shift_jis_csv_is_converted_checked_and_imported() {
    let app = TestApp::spawn();
    let id = app.create_app("読込", fields());
    let csv = sjis("件名,数量,期日,担当者,メモ\r\n髙橋の件,\"１，２３４\",令和6年4月1日,髙橋\r\n①の件,5,R6.4.2,佐藤,x\r\n");
    let b = open(&app, id, "list.csv", csv);
    assert_eq!(b["encoding"], "shift_jis");
    assert_eq!(b["format"], "csv");
    assert_eq!(
        b["headers"],
        json!(["件名", "数量", "期日", "担当者", "メモ"])
    );
    // Headers match field codes or names; an unknown column stays unmapped.
    assert_eq!(b["mapping"], json!(["件名", "数量", "期日", "担当", null]));
    // The ragged first row is left out of the table (and reported), so the preview starts at ①.
    assert_eq!(b["preview"][0]["cells"][0], "①の件");
    // The first row has one cell fewer than the header: a row error, nothing can run.
    let errors = b["report"]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{b}");
    assert_eq!(errors[0]["line"], 2);
    assert_eq!(errors[0]["key"], "import.err.ragged_row");
    let import = b["id"].as_str().unwrap().to_owned();
    let (s, r) = app.post("/api/records/import/run.json", json!({"id": import}));
    assert_eq!(s, 400, "{r}");
    assert!(records(&app, id).is_empty());

    // Fixed file: conversions are reported, then everything is written.
    let csv = sjis("件名,数量,期日,担当者,メモ\r\n髙橋の件,\"１，２３４\",令和6年4月1日,髙橋,\r\n①の件,5,R6.4.2,佐藤,x\r\n");
    let b = open(&app, id, "list.csv", csv);
    assert_eq!(b["report"]["errors"], json!([]), "{b}");
    assert_eq!(b["report"]["records"], 2);
    let conversions = b["report"]["conversions"].as_array().unwrap();
    assert!(conversions
        .iter()
        .any(|c| c["args"]["to"] == "1234" && c["line"] == 2));
    assert!(conversions.iter().any(|c| c["args"]["to"] == "2024-04-01"));
    assert!(conversions
        .iter()
        .any(|c| c["args"]["to"] == "2024-04-02" && c["line"] == 3));
    // The check wrote nothing.
    assert!(records(&app, id).is_empty());
    let import = b["id"].as_str().unwrap().to_owned();
    // While it is being prepared, the import is not among the app's unfinished ones.
    let (s, a) = app.get(&format!("/api/records/import.json?app={id}"));
    assert_eq!((s, a["active"].clone()), (200, json!([])), "{a}");
    let r = run_to_end(&app, &import);
    assert_eq!(r["state"], "done", "{r}");
    assert_eq!(r["recordsWritten"], 2);
    let got = records(&app, id);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0]["件名"]["value"], "髙橋の件");
    assert_eq!(got[0]["数量"]["value"], "1234");
    assert_eq!(got[0]["期日"]["value"], "2024-04-01");
    assert_eq!(got[1]["担当"]["value"], "佐藤");
    // A finished import does not run twice.
    let (s, _) = app.post("/api/records/import/run.json", json!({"id": import}));
    assert_eq!(s, 400);
    assert_eq!(records(&app, id).len(), 2);
}

#[test]
fn bad_rows_are_reported_per_row_and_nothing_is_written() {
    let app = TestApp::spawn();
    let id = app.create_app("読込", fields());
    let csv = "\u{feff}件名,数量,期日\nA,1,2024/4/1\nB,abc,2024/4/1\nC,3,H31.5.1\nA,4,2024/4/3\n";
    let b = open(&app, id, "utf8.csv", csv.as_bytes().to_vec());
    assert_eq!(b["encoding"], "utf8_bom");
    let lines: Vec<i64> = b["report"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_i64().unwrap())
        .collect();
    // 数量 "abc" (row 3), a Heisei date after the era ended (row 4), a repeated unique 件名 (row 5).
    assert!(
        lines.contains(&3) && lines.contains(&4) && lines.contains(&5),
        "{b}"
    );
    assert!(!lines.contains(&2), "{b}");
    let columns: Vec<&str> = b["report"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["column"].as_str())
        .collect();
    assert!(
        columns.contains(&"数量") && columns.contains(&"期日"),
        "{b}"
    );
    // Each entry carries its message in the caller's language (Administrator: Japanese).
    let first = &b["report"]["errors"][0];
    let message = first["message"].as_str().unwrap_or_default();
    assert!(
        !message.is_empty() && message != first["key"].as_str().unwrap_or_default(),
        "{first}"
    );
    let import = b["id"].as_str().unwrap().to_owned();
    let (s, _) = app.post("/api/records/import/run.json", json!({"id": import}));
    assert_eq!(s, 400);
    assert!(records(&app, id).is_empty());
}

#[test]
fn update_by_key_changes_the_matching_records_and_refuses_ambiguous_keys() {
    let app = TestApp::spawn();
    let id = app.create_app("読込", fields());
    let (s, b) = app.post(
        "/k/v1/records.json",
        json!({"app": id, "records": [
            {"件名": {"value": "A"}, "数量": {"value": 1}, "担当": {"value": "同じ"}},
            {"件名": {"value": "B"}, "数量": {"value": 2}, "担当": {"value": "同じ"}},
        ]}),
    );
    assert_eq!(s, 200, "{b}");
    let b = open(
        &app,
        id,
        "upd.csv",
        "件名,数量\nB,20\nA,10\n".as_bytes().to_vec(),
    );
    let import = b["id"].as_str().unwrap().to_owned();
    let (s, b) = app.put(
        "/api/records/import.json",
        json!({"id": import, "settings": {"mapping": ["件名", "数量"], "mode": "update", "key": "件名"}}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["report"]["errors"], json!([]), "{b}");
    let r = run_to_end(&app, &import);
    assert_eq!(r["state"], "done", "{r}");
    let got = records(&app, id);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0]["数量"]["value"], "10");
    assert_eq!(got[1]["数量"]["value"], "20");

    // 担当 is the same on both records: as a key it matches two, a row error; a key that
    // matches nothing is one too.
    let b = open(
        &app,
        id,
        "upd2.csv",
        "担当者,数量\n同じ,5\nだれも,6\n".as_bytes().to_vec(),
    );
    let import = b["id"].as_str().unwrap().to_owned();
    let (s, b) = app.put(
        "/api/records/import.json",
        json!({"id": import, "settings": {"mapping": ["担当", "数量"], "mode": "update", "key": "担当"}}),
    );
    assert_eq!(s, 200, "{b}");
    let keys: Vec<(i64, &str)> = b["report"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_i64().unwrap(), e["key"].as_str().unwrap()))
        .collect();
    assert_eq!(
        keys,
        vec![(2, "import.err.key_many"), (3, "import.err.key_none")]
    );
    let got = records(&app, id);
    assert_eq!(got[0]["数量"]["value"], "10");
}

#[test]
fn a_zip_that_is_not_a_workbook_is_refused() {
    let app = TestApp::spawn();
    let id = app.create_app("読込", fields());
    let key = app.upload(
        "bad.xlsx",
        "application/octet-stream",
        b"PK\x03\x04not really a zip".to_vec(),
    );
    let (s, b) = app.post(
        "/api/records/import.json",
        json!({"app": id, "fileKey": key}),
    );
    assert_eq!(s, 400, "{b}");
    // Another user's import id is not found.
    let (s, _) = app.get("/api/records/import.json?id=999");
    assert_eq!(s, 400);
    // API tokens cannot import: the job acts as a user, and token writes would be Administrator's.
    let token = app.token(id, "view,add,edit");
    let key = app.upload("t.csv", "text/csv", "件名\nA\n".as_bytes().to_vec());
    let (s, b) = app.with_auth(kumiki_tests::Auth::Tokens(token)).post(
        "/api/records/import.json",
        json!({"app": id, "fileKey": key}),
    );
    assert_eq!(s, 403, "{b}");
}

#[test]
fn subtable_rows_follow_the_row_that_starts_their_record() {
    let app = TestApp::spawn();
    let id = app.create_app(
        "明細",
        json!({
            "件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"},
            "明細": {"type": "SUBTABLE", "code": "明細", "fields": {
                "品名": {"type": "SINGLE_LINE_TEXT", "code": "品名", "label": "品名"},
                "数": {"type": "NUMBER", "code": "数", "label": "数"},
            }},
        }),
    );
    // kintone's export shape: 「レコードの開始行」 marks each record's first row.
    let csv = "レコードの開始行,件名,品名,数\n*,A,りんご,1\n,,みかん,２\n*,B,ぶどう,3\n";
    let b = open(&app, id, "sub.csv", csv.as_bytes().to_vec());
    assert_eq!(b["mapping"], json!(["$start", "件名", "品名", "数"]), "{b}");
    assert_eq!(b["report"]["errors"], json!([]), "{b}");
    assert_eq!(b["report"]["records"], 2);
    let import = b["id"].as_str().unwrap().to_owned();
    let r = run_to_end(&app, &import);
    assert_eq!(r["state"], "done", "{r}");
    let got = records(&app, id);
    assert_eq!(got.len(), 2);
    let rows = got[0]["明細"]["value"].as_array().unwrap();
    let items: Vec<(&str, &str)> = rows
        .iter()
        .map(|row| {
            (
                row["value"]["品名"]["value"].as_str().unwrap(),
                row["value"]["数"]["value"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(items, vec![("りんご", "1"), ("みかん", "2")]);
    assert_eq!(got[1]["明細"]["value"].as_array().unwrap().len(), 1);
}

#[test]
fn a_workbook_lists_its_sheets_and_reads_the_chosen_one() {
    let app = TestApp::spawn();
    let id = app.create_app("読込", fields());
    let bytes = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../apps-examples/document-archive/files/r7-0004-1.xlsx"),
    )
    .unwrap();
    let key = app.upload(
        "r7-0004-1.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        bytes,
    );
    let (s, b) = app.post(
        "/api/records/import.json",
        json!({"app": id, "fileKey": key}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["format"], "xlsx");
    assert_eq!(b["encoding"], Value::Null);
    let sheets = b["sheets"].as_array().unwrap().clone();
    assert!(!sheets.is_empty(), "{b}");
    assert_eq!(b["sheet"], sheets[0]);
    let last = sheets.last().unwrap().clone();
    let import = b["id"].as_str().unwrap().to_owned();
    let (s, b) = app.put(
        "/api/records/import.json",
        json!({"id": import, "sheet": last}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["sheet"], last);
    // A sheet the workbook does not have is refused.
    let (s, _) = app.put(
        "/api/records/import.json",
        json!({"id": import, "sheet": "ない"}),
    );
    assert_eq!(s, 400);
}
