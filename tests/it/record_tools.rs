//! Bulk update and bulk delete of the records a query selects (`/api/records/bulk_check.json`,
//! `bulk_update.json`, `bulk_delete.json`): every matching record or none, beyond 100 records,
//! through the normal write path (history, audit), with record and field permissions refused by name
//! and a cap.

use kumiki_tests::{url_encode, Auth, Client2, TestApp};
use serde_json::{json, Value};

const PW: &str = "record-tools-pw-1";

fn fields() -> Value {
    json!({
        "件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"},
        "数量": {"type": "NUMBER", "code": "数量", "label": "数量"},
        "区分": {"type": "DROP_DOWN", "code": "区分", "label": "区分", "options": {
            "A": {"label": "A", "index": "0"}, "B": {"label": "B", "index": "1"}}},
        "備考": {"type": "SINGLE_LINE_TEXT", "code": "備考", "label": "備考"},
    })
}

/// Adds `n` records in calls of 100; `kind(i)` is each record's 区分.
fn add_many(app: &TestApp, id: i64, n: usize, kind: impl Fn(usize) -> &'static str) {
    let all: Vec<Value> = (0..n)
        .map(|i| json!({"件名": {"value": format!("r{i}")}, "数量": {"value": i}, "区分": {"value": kind(i)}}))
        .collect();
    for chunk in all.chunks(100) {
        let (s, b) = app.post("/k/v1/records.json", json!({"app": id, "records": chunk}));
        assert_eq!(s, 200, "{b}");
    }
}

fn count(app: &TestApp, id: i64, query: &str) -> i64 {
    let q: String = url_encode(query);
    let (s, b) = app.get(&format!(
        "/k/v1/records.json?app={id}&totalCount=true&query={q}%20limit%201"
    ));
    assert_eq!(s, 200, "{b}");
    b["totalCount"].as_str().unwrap().parse().unwrap()
}

fn message(b: &Value) -> String {
    b["errors"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(_, v)| v["messages"].as_array().cloned().unwrap_or_default())
        .filter_map(|m| m.as_str().map(str::to_owned))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn bulk_update_changes_every_matching_record_beyond_100_with_history() {
    let app = TestApp::spawn();
    let id = app.create_app("一括", fields());
    add_many(&app, id, 150, |i| if i < 130 { "A" } else { "B" });
    let query = "区分 in (\"A\")";
    let (s, b) = app.get(&format!(
        "/api/records/bulk_check.json?app={id}&kind=update&query={}",
        url_encode(query)
    ));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["count"], 130);
    assert_eq!(b["overCap"], false);
    assert_eq!(b["refusedRecords"], json!([]));

    // A count that no longer matches what the user confirmed writes nothing.
    let (s, b) = app.post(
        "/api/records/bulk_update.json",
        json!({"app": id, "query": query, "record": {"備考": {"value": "点検済"}}, "expectedCount": 129}),
    );
    assert_eq!(s, 400, "{b}");
    assert!(message(&b).contains("changed (129 before, 130 now)"), "{b}");
    assert_eq!(count(&app, id, "備考 = \"点検済\""), 0);

    // limit/offset would make "every matching record" ambiguous.
    let (s, b) = app.post(
        "/api/records/bulk_update.json",
        json!({"app": id, "query": "区分 in (\"A\") limit 10", "record": {"備考": {"value": "x"}}}),
    );
    assert_eq!(s, 400, "{b}");
    assert!(message(&b).contains("limit"), "{b}");

    let (s, b) = app.post(
        "/api/records/bulk_update.json",
        json!({"app": id, "query": query, "record": {"備考": {"value": "点検済"}}, "expectedCount": 130}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["count"], 130);
    assert_eq!(count(&app, id, "備考 = \"点検済\""), 130);
    assert_eq!(count(&app, id, "区分 in (\"B\") and 備考 = \"点検済\""), 0);

    // The normal write path: revision 2 and a history entry naming the field.
    let (_, b) = app.get(&format!(
        "/k/v1/records.json?app={id}&query={}",
        url_encode("区分 in (\"A\") order by $id asc limit 1")
    ));
    let rec = &b["records"][0];
    assert_eq!(rec["$revision"]["value"], "2");
    let rid = rec["$id"]["value"].as_str().unwrap();
    let (s, h) = app.get(&format!("/api/record/history.json?app={id}&id={rid}"));
    assert_eq!(s, 200, "{h}");
    let latest = &h["history"][0];
    assert_eq!(latest["revision"], "2", "{h}");
    assert!(
        latest["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["field"] == "備考" && c["new"] == "点検済"),
        "{h}"
    );

    // A validation failure on the values rolls back every record.
    let (s, b) = app.post(
        "/api/records/bulk_update.json",
        json!({"app": id, "query": query, "record": {"数量": {"value": "abc"}}}),
    );
    assert_eq!(s, 400, "{b}");
    assert_eq!(count(&app, id, "数量 = 5"), 1);
    // No values, no call.
    let (s, _) = app.post(
        "/api/records/bulk_update.json",
        json!({"app": id, "query": query, "record": {}}),
    );
    assert_eq!(s, 400);
}

#[test]
fn bulk_delete_removes_every_matching_record_and_is_audited() {
    let app = TestApp::spawn();
    let id = app.create_app("一括削除", fields());
    add_many(&app, id, 140, |i| if i % 10 == 0 { "A" } else { "B" });
    let query = "区分 in (\"B\")";
    let (s, b) = app.get(&format!(
        "/api/records/bulk_check.json?app={id}&kind=delete&query={}",
        url_encode(query)
    ));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["count"], 126);
    let (s, b) = app.post(
        "/api/records/bulk_delete.json",
        json!({"app": id, "query": query, "expectedCount": 126}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["count"], 126);
    assert_eq!(count(&app, id, ""), 14);
    assert_eq!(count(&app, id, query), 0);
    let (s, b) = app.get("/api/audit.json?action=records.delete");
    assert_eq!(s, 200, "{b}");
    let entry = &b["entries"][0];
    assert_eq!(entry["target"], format!("app:{id}"));
    assert_eq!(entry["detail"]["count"], 126);
    assert_eq!(entry["detail"]["query"], query);
    // Nothing left to match: a no-op, not an error.
    let (s, b) = app.post(
        "/api/records/bulk_delete.json",
        json!({"app": id, "query": query}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["count"], 0);
}

fn as_user<'a>(app: &'a TestApp, login: &str) -> Client2<'a> {
    app.with_auth(Auth::Password(login.into(), PW.into()))
}

#[test]
fn record_and_field_rights_refuse_the_whole_call_by_name() {
    let app = TestApp::spawn();
    app.user("clerk", PW);
    app.user("outsider", PW);
    let id = app.create_app("権限", fields());
    add_many(&app, id, 5, |i| if i < 3 { "A" } else { "B" });
    let everyone = json!({"type": "GROUP", "code": "everyone"});
    let admin = json!({"type": "USER", "code": "Administrator"});
    let clerk = json!({"type": "USER", "code": "clerk"});
    let (s, b) = app.put(
        "/k/v1/preview/app/acl.json",
        json!({"app": id, "rights": [
            {"entity": admin, "appEditable": true, "recordViewable": true, "recordAddable": true, "recordEditable": true, "recordDeletable": true},
            {"entity": clerk, "recordViewable": true, "recordAddable": true, "recordEditable": true, "recordDeletable": true},
        ]}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.put(
        "/k/v1/preview/record/acl.json",
        json!({"app": id, "rights": [
            {"filterCond": "区分 in (\"B\")", "entities": [
                {"entity": admin, "viewable": true, "editable": true, "deletable": true},
                {"entity": everyone, "viewable": true, "editable": false, "deletable": false}]},
        ]}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.put(
        "/k/v1/preview/field/acl.json",
        json!({"app": id, "rights": [{"code": "備考", "entities": [
            {"accessibility": "WRITE", "entity": admin},
            {"accessibility": "READ", "entity": everyone}]}]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    let c = as_user(&app, "clerk");
    let revisions = |app: &TestApp| -> Vec<Value> {
        let (_, b) = app.get(&format!(
            "/k/v1/records.json?app={id}&query=order%20by%20%24id%20asc"
        ));
        b["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["$revision"]["value"].clone())
            .collect()
    };
    let before = revisions(&app);
    let b_ids: Vec<String> = {
        let (_, b) = app.get(&format!(
            "/k/v1/records.json?app={id}&query={}",
            url_encode("区分 in (\"B\") order by $id desc")
        ));
        b["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["$id"]["value"].as_str().unwrap().to_owned())
            .collect()
    };

    // The check names the records the clerk may not edit (in the query's order: newest first).
    let (s, b) = c.get(&format!(
        "/api/records/bulk_check.json?app={id}&kind=update"
    ));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["count"], 5);
    assert_eq!(b["refusedRecords"], json!(b_ids));

    // Record rights: two records are view-only for the clerk, so nothing is updated.
    let (s, b) = c.post(
        "/api/records/bulk_update.json",
        json!({"app": id, "query": "", "record": {"数量": {"value": 1}}}),
    );
    assert_eq!(s, 400, "{b}");
    let text = message(&b);
    assert!(
        text.contains("no permission to edit 2 of the 5 matching records"),
        "{b}"
    );
    assert!(text.contains(&b_ids.join(", ")), "{b}");
    assert_eq!(revisions(&app), before, "nothing written");

    // Field rights: 備考 is read-only for the clerk.
    let (s, b) = c.post(
        "/api/records/bulk_update.json",
        json!({"app": id, "query": "区分 in (\"A\")", "record": {"備考": {"value": "x"}}}),
    );
    assert_eq!(s, 400, "{b}");
    assert!(message(&b).contains("備考"), "{b}");
    assert_eq!(revisions(&app), before, "nothing written");

    // Delete rights likewise.
    let (s, b) = c.post(
        "/api/records/bulk_delete.json",
        json!({"app": id, "query": ""}),
    );
    assert_eq!(s, 400, "{b}");
    assert!(
        message(&b).contains("no permission to delete 2 of the 5"),
        "{b}"
    );
    assert_eq!(count(&app, id, ""), 5);

    // Within their rights the clerk's bulk update works.
    let (s, b) = c.post(
        "/api/records/bulk_update.json",
        json!({"app": id, "query": "区分 in (\"A\")", "record": {"数量": {"value": 1}}}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["count"], 3);

    // Without app rights, the app is not theirs at all.
    let o = as_user(&app, "outsider");
    let (s, b) = o.post(
        "/api/records/bulk_delete.json",
        json!({"app": id, "query": ""}),
    );
    assert!(s == 403 || s == 404, "{s} {b}");
    assert_eq!(count(&app, id, ""), 5);
}

#[test]
fn more_records_than_the_cap_are_refused() {
    let app = TestApp::spawn();
    let id = app.create_app("上限", fields());
    // 10,001 records through bulkRequest (20 × 100 a call).
    let mut added = 0;
    while added < 10_001 {
        let mut requests = Vec::new();
        while requests.len() < 20 && added < 10_001 {
            let n = (10_001 - added).min(100);
            let records: Vec<Value> = (0..n)
                .map(|i| json!({"数量": {"value": added + i}, "区分": {"value": "A"}}))
                .collect();
            requests.push(json!({"method": "POST", "api": "/k/v1/records.json", "payload": {"app": id, "records": records}}));
            added += n;
        }
        let (s, b) = app.post("/k/v1/bulkRequest.json", json!({"requests": requests}));
        assert_eq!(s, 200, "{b}");
    }
    let (s, b) = app.get(&format!(
        "/api/records/bulk_check.json?app={id}&kind=delete"
    ));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["overCap"], true);
    assert_eq!(b["cap"], 10_000);
    let (s, b) = app.post(
        "/api/records/bulk_update.json",
        json!({"app": id, "query": "", "record": {"備考": {"value": "x"}}}),
    );
    assert_eq!(s, 400, "{b}");
    assert!(message(&b).contains("More than 10000 records"), "{b}");
    assert_eq!(count(&app, id, "備考 = \"x\""), 0);
    let (s, b) = app.post(
        "/api/records/bulk_delete.json",
        json!({"app": id, "query": ""}),
    );
    assert_eq!(s, 400, "{b}");
    assert_eq!(count(&app, id, ""), 10_001);
    // Narrowed below the cap, it runs.
    let (s, b) = app.post(
        "/api/records/bulk_delete.json",
        json!({"app": id, "query": "数量 >= 10000"}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["count"], 1);
}

/// The record pages offer only what the user may do: settings links to managers, the create and
/// 再利用 buttons to those who may add records.
#[test]
fn record_pages_show_settings_and_create_buttons_only_to_who_may_use_them() {
    let app = TestApp::spawn();
    let id = app.create_app("備品", fields());
    let (s, b) = app.put(
        "/k/v1/preview/app/acl.json",
        json!({"app": id, "rights": [
            {"entity": {"type": "USER", "code": "Administrator"}, "appEditable": true, "recordViewable": true,
             "recordAddable": true, "recordEditable": true, "recordDeletable": true},
            {"entity": {"type": "GROUP", "code": "everyone"}, "appEditable": false, "recordViewable": true,
             "recordAddable": false, "recordEditable": false, "recordDeletable": false}
        ]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    let rid = app.add_record(id, json!({"件名": {"value": "机"}}));
    app.user("reader", PW);
    for (login, password, may) in [
        ("Administrator", kumiki_tests::ADMIN_PASSWORD, true),
        ("reader", PW, false),
    ] {
        let session = app.sign_in_form(login, password);
        let (s, list) = app.page(&session, &format!("/apps/{id}"));
        assert_eq!(s, 200);
        let (s, detail) = app.page(&session, &format!("/apps/{id}/records/{rid}"));
        assert_eq!(s, 200);
        for (html, testid) in [
            (&list, "data-testid=\"app-settings\""),
            (&list, "data-testid=\"new-record\""),
            (&detail, "data-testid=\"copy-record\""),
        ] {
            assert_eq!(html.contains(testid), may, "{login}: {testid}");
        }
    }
}
