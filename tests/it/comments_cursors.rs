//! Record comments and cursors.

use kumiki_tests::{sample_fields, TestApp};
use serde_json::{json, Value};

#[test]
fn comments_add_list_delete() {
    let app = TestApp::spawn();
    let id = app.create_app("c", sample_fields());
    let rid = app.add_record(id, json!({}));
    for i in 0..12 {
        let (s, b) = app.post(
            "/k/v1/record/comment.json",
            json!({"app": id, "record": rid, "comment": {"text": format!("コメント{i}"), "mentions": [{"code": "Administrator", "type": "USER"}]}}),
        );
        assert_eq!(s, 200, "{b}");
    }
    let (_, b) = app.get(&format!("/k/v1/record/comments.json?app={id}&record={rid}"));
    let comments = b["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 10);
    assert_eq!(comments[0]["text"], "コメント11", "newest first");
    assert_eq!(comments[0]["creator"]["code"], "Administrator");
    assert_eq!(b["older"], true);
    assert_eq!(b["newer"], false);
    let (s, _) = app.delete(
        "/k/v1/record/comment.json",
        json!({"app": id, "record": rid, "comment": 12}),
    );
    assert_eq!(s, 200);
    let (s, b) = app.delete(
        "/k/v1/record/comment.json",
        json!({"app": id, "record": rid, "comment": 12}),
    );
    assert_eq!((s, b["code"].as_str()), (400, Some("GAIA_RE02")));
    let (s, _) = app.get(&format!(
        "/k/v1/record/comments.json?app={id}&record={rid}&limit=11"
    ));
    assert_eq!(s, 400);
}

#[test]
fn cursors_read_everything_then_disappear() {
    let app = TestApp::spawn();
    let id = app.create_app("c", sample_fields());
    let records: Vec<Value> = (0..250)
        .map(|i| json!({"Number": {"value": i % 7}}))
        .collect();
    for chunk in records.chunks(100) {
        let (s, _) = app.post("/k/v1/records.json", json!({"app": id, "records": chunk}));
        assert_eq!(s, 200);
    }
    let (s, b) = app.post(
        "/k/v1/records/cursor.json",
        json!({"app": id, "fields": ["$id", "Number"], "query": "Number >= 3 order by Number asc", "size": 40}),
    );
    assert_eq!(s, 200, "{b}");
    let cursor = b["id"].as_str().unwrap().to_owned();
    let total: usize = b["totalCount"].as_str().unwrap().parse().unwrap();
    let mut seen = Vec::new();
    loop {
        let (s, b) = app.get(&format!("/k/v1/records/cursor.json?id={cursor}"));
        assert_eq!(s, 200, "{b}");
        for r in b["records"].as_array().unwrap() {
            seen.push(
                r["Number"]["value"]
                    .as_str()
                    .unwrap()
                    .parse::<i64>()
                    .unwrap(),
            );
        }
        if b["next"] == false {
            break;
        }
    }
    assert_eq!(seen.len(), total);
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "in query order");
    let (s, _) = app.get(&format!("/k/v1/records/cursor.json?id={cursor}"));
    assert_eq!(s, 400, "the cursor is gone after the last page");
    let (s, b) = app.post(
        "/k/v1/records/cursor.json",
        json!({"app": id, "query": "limit 10"}),
    );
    assert_eq!((s, b["code"].as_str()), (400, Some("CB_VA01")), "{b}");
}

#[test]
fn only_the_writer_deletes_a_comment() {
    let app = TestApp::spawn();
    let id = app.create_app("c", sample_fields());
    let rid = app.add_record(id, json!({}));
    app.user("sato", "sato-password");
    let sato = app.with_auth(kumiki_tests::Auth::Password(
        "sato".into(),
        "sato-password".into(),
    ));
    let (s, b) = sato.post(
        "/k/v1/record/comment.json",
        json!({"app": id, "record": rid, "comment": {"text": "佐藤です"}}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.delete(
        "/k/v1/record/comment.json",
        json!({"app": id, "record": rid, "comment": 1}),
    );
    assert_eq!((s, b["code"].as_str()), (403, Some("CB_NO02")));
    let (s, _) = sato.delete(
        "/k/v1/record/comment.json",
        json!({"app": id, "record": rid, "comment": 1}),
    );
    assert_eq!(s, 200);
}
