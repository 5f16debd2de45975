//! Record add/get/update/delete, validation, calculated fields, subtable merge rules, revisions,
//! unique fields and `updateKey` upserts.

use kumiki_tests::{sample_fields, TestApp};
use serde_json::json;

#[test]
fn add_get_update_delete_round_trip() {
    let app = TestApp::spawn();
    let id = app.create_app("台帳", sample_fields());
    let rid = app.add_record(
        id,
        json!({
            "Text": {"value": "市町村課"},
            "Number": {"value": "1.5e1"},
            "Choice": {"value": "B"},
            "Tags": {"value": ["x", "y"]},
            "Day": {"value": "2026-04-01"},
            "When": {"value": "2026-04-01T09:30:00+09:00"},
            "Memo": {"value": "一行目\n二行目"},
            "People": {"value": [{"code": "Administrator"}]},
            "Lines": {"value": [{"value": {"Item": {"value": "紙"}, "Amount": {"value": "100"}}},
                                 {"value": {"Item": {"value": "ペン"}, "Amount": {"value": "250"}}}]}
        }),
    );
    let (s, b) = app.get(&format!("/k/v1/record.json?app={id}&id={rid}"));
    assert_eq!(s, 200, "{b}");
    let r = &b["record"];
    assert_eq!(r["Number"]["value"], "15");
    assert_eq!(r["Number"]["type"], "NUMBER");
    assert_eq!(r["When"]["value"], "2026-04-01T00:30:00Z");
    assert_eq!(r["Total"]["value"], "350");
    assert_eq!(r["People"]["value"][0]["name"], "Administrator");
    assert_eq!(r["$id"]["value"], rid.to_string());
    assert_eq!(r["$revision"]["value"], "1");
    assert_eq!(r["Record_number"]["value"], rid.to_string());
    assert!(
        r.get("Status").is_none(),
        "no Status without process management"
    );
    let row_ids: Vec<String> = r["Lines"]["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["id"].as_str().unwrap().to_owned())
        .collect();

    // Merge the first row by id (keeping its Item), drop the second, add a new one.
    let (s, b) = app.put(
        "/k/v1/record.json",
        json!({"app": id, "id": rid, "revision": 1, "record": {
            "Lines": {"value": [{"id": row_ids[0], "value": {"Amount": {"value": "120"}}},
                                {"value": {"Item": {"value": "糊"}, "Amount": {"value": "80"}}}]}}}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["revision"], "2");
    let (_, b) = app.get(&format!("/k/v1/record.json?app={id}&id={rid}"));
    let lines = b["record"]["Lines"]["value"].as_array().unwrap().clone();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["id"], row_ids[0].as_str());
    assert_eq!(lines[0]["value"]["Item"]["value"], "紙");
    assert_eq!(lines[0]["value"]["Amount"]["value"], "120");
    assert_ne!(lines[1]["id"], row_ids[1].as_str());
    assert_eq!(b["record"]["Total"]["value"], "200");
    assert_eq!(
        b["record"]["Text"]["value"], "市町村課",
        "fields not sent are kept"
    );

    let (s, b) = app.delete(
        "/k/v1/records.json",
        json!({"app": id, "ids": [rid], "revisions": [null]}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.get(&format!("/k/v1/record.json?app={id}&id={rid}"));
    assert_eq!((s, b["code"].as_str()), (404, Some("GAIA_RE01")));
}

#[test]
fn stale_revision_is_a_conflict_and_writes_nothing() {
    let app = TestApp::spawn();
    let id = app.create_app("a", sample_fields());
    let rid = app.add_record(id, json!({"Number": {"value": "1"}}));
    let (s, _) = app.put(
        "/k/v1/record.json",
        json!({"app": id, "id": rid, "record": {"Number": {"value": "2"}}}),
    );
    assert_eq!(s, 200);
    let (s, b) = app.put(
        "/k/v1/record.json",
        json!({"app": id, "id": rid, "revision": 1, "record": {"Number": {"value": "3"}}}),
    );
    assert_eq!(s, 409);
    assert_eq!(b["code"], "GAIA_CO02");
    let (_, b) = app.get(&format!("/k/v1/record.json?app={id}&id={rid}"));
    assert_eq!(b["record"]["Number"]["value"], "2");
    let (s, b) = app.delete(
        "/k/v1/records.json",
        json!({"app": id, "ids": [rid], "revisions": [1]}),
    );
    assert_eq!((s, b["code"].as_str()), (409, Some("GAIA_CO02")));
}

#[test]
fn validation_errors_use_kintone_keys() {
    let app = TestApp::spawn();
    let id = app.create_app(
        "v",
        json!({
            "Name": {"type": "SINGLE_LINE_TEXT", "code": "Name", "required": true, "maxLength": "5"},
            "Age": {"type": "NUMBER", "code": "Age", "maxValue": "150"},
            "Pick": {"type": "CHECK_BOX", "code": "Pick", "options": {"a": {"label": "a", "index": "0"}}}
        }),
    );
    let (s, b) = app.post(
        "/k/v1/record.json",
        json!({"app": id, "record": {"Name": {"value": "とても長い名前です"}, "Age": {"value": "abc"}, "Pick": {"value": ["z"]}}}),
    );
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["code"], "CB_VA01");
    let errors = b["errors"].as_object().unwrap();
    assert!(errors.keys().any(|k| k.contains("Name")), "{b}");
    assert!(errors.keys().any(|k| k.contains("Age")), "{b}");
    assert!(errors.keys().any(|k| k.contains("Pick")), "{b}");
    let (s, b) = app.post("/k/v1/record.json", json!({"app": id, "record": {}}));
    assert_eq!(s, 400);
    assert_eq!(b["errors"]["record.Name.value"]["messages"][0], "Required.");
    let (_, b) = app.get(&format!("/k/v1/records.json?app={id}&totalCount=true"));
    assert_eq!(b["totalCount"], "0", "nothing was written");
}

#[test]
fn unique_fields_and_update_key_upsert() {
    let app = TestApp::spawn();
    let id = app.create_app("u", sample_fields());
    app.add_record(
        id,
        json!({"Text": {"value": "K-1"}, "Number": {"value": "1"}}),
    );
    let (s, b) = app.post(
        "/k/v1/record.json",
        json!({"app": id, "record": {"Text": {"value": "K-1"}}}),
    );
    assert_eq!(s, 400);
    assert_eq!(
        b["errors"]["record.Text.value"]["messages"][0],
        "This value already exists in another record."
    );

    let (s, b) = app.put(
        "/k/v1/record.json",
        json!({"app": id, "updateKey": {"field": "Text", "value": "K-1"}, "record": {"Number": {"value": "5"}}}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.put(
        "/k/v1/records.json",
        json!({"app": id, "upsert": true, "records": [
            {"updateKey": {"field": "Text", "value": "K-1"}, "record": {"Number": {"value": "6"}}},
            {"updateKey": {"field": "Text", "value": "K-2"}, "record": {"Number": {"value": "7"}}}
        ]}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["records"][0]["operation"], "UPDATE");
    assert_eq!(b["records"][1]["operation"], "INSERT");
    let (_, b) = app.get(&format!(
        "/k/v1/records.json?app={id}&query=order%20by%20Text%20asc"
    ));
    let numbers: Vec<&str> = b["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Number"]["value"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["6", "7"]);
    let (s, b) = app.put(
        "/k/v1/record.json",
        json!({"app": id, "updateKey": {"field": "Text", "value": "nope"}, "record": {}}),
    );
    assert_eq!((s, b["code"].as_str()), (400, Some("GAIA_RE20")));
}

#[test]
fn system_fields_are_settable_on_add_and_app_code_prefixes_record_numbers() {
    let app = TestApp::spawn();
    let id = app.create_app("c", sample_fields());
    let (s, b) = app.put(
        "/k/v1/preview/app/settings.json",
        json!({"app": id, "code": "MyApp"}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    let rid = app.add_record(
        id,
        json!({"Created_by": {"value": {"code": "Administrator"}}, "Created_datetime": {"value": "2020-01-02T03:04:00Z"}}),
    );
    let (_, b) = app.get(&format!("/k/v1/record.json?app={id}&id={rid}"));
    assert_eq!(
        b["record"]["Created_datetime"]["value"],
        "2020-01-02T03:04:00Z"
    );
    assert_eq!(
        b["record"]["Record_number"]["value"],
        format!("MyApp-{rid}")
    );
}

#[test]
fn lookups_copy_fields_from_the_source_app() {
    let app = TestApp::spawn();
    let source = app.create_app(
        "部署",
        json!({"Code": {"type": "SINGLE_LINE_TEXT", "code": "Code", "unique": true},
               "Name": {"type": "SINGLE_LINE_TEXT", "code": "Name"}}),
    );
    app.add_record(
        source,
        json!({"Code": {"value": "D01"}, "Name": {"value": "総務課"}}),
    );
    let target = app.create_app(
        "職員",
        json!({"Dept": {"type": "SINGLE_LINE_TEXT", "code": "Dept", "lookup": {
                    "relatedApp": {"app": source.to_string()}, "relatedKeyField": "Code",
                    "fieldMappings": [{"field": "DeptName", "relatedField": "Name"}]}},
               "DeptName": {"type": "SINGLE_LINE_TEXT", "code": "DeptName"}}),
    );
    let rid = app.add_record(
        target,
        json!({"Dept": {"value": "D01"}, "DeptName": {"value": "ignored"}}),
    );
    let (_, b) = app.get(&format!("/k/v1/record.json?app={target}&id={rid}"));
    assert_eq!(b["record"]["DeptName"]["value"], "総務課");
    let (s, b) = app.post(
        "/k/v1/record.json",
        json!({"app": target, "record": {"Dept": {"value": "D99"}}}),
    );
    assert_eq!((s, b["code"].as_str()), (400, Some("GAIA_LO04")));
}

#[test]
fn concurrent_updates_with_one_revision_let_exactly_one_win() {
    let app = TestApp::spawn();
    let id = app.create_app("race", sample_fields());
    let rid = app.add_record(id, json!({"Number": {"value": "0"}}));
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..16)
            .map(|i| {
                let app = &app;
                scope.spawn(move || {
                    app.put(
                        "/k/v1/record.json",
                        json!({"app": id, "id": rid, "revision": 1, "record": {"Number": {"value": i}}}),
                    )
                    .0
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        15,
        "{statuses:?}"
    );
    let (_, b) = app.get(&format!("/k/v1/record.json?app={id}&id={rid}"));
    assert_eq!(b["record"]["$revision"]["value"], "2");
}

#[test]
fn concurrent_adds_never_duplicate_a_unique_value() {
    let app = TestApp::spawn();
    let id = app.create_app("race", sample_fields());
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..12)
            .map(|_| {
                let app = &app;
                scope.spawn(move || {
                    app.post(
                        "/k/v1/record.json",
                        json!({"app": id, "record": {"Text": {"value": "同じ値"}}}),
                    )
                    .0
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    let (_, b) = app.get(&format!("/k/v1/records.json?app={id}&totalCount=true"));
    assert_eq!(b["totalCount"], "1");
}
