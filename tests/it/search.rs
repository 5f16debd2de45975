//! Full-text search through `GET /api/search.json`: Japanese matching (width folding, bigram phrases,
//! one-character words, phrases across line breaks), operators and filters, permissions (hidden
//! record, hidden field, an app the user may not view: neither hit, count nor snippet), comments,
//! attachments of each format and a malformed one (its reason in the status), a record searchable
//! within a second of its save, and an index rebuilt from the database equal to the incremental one.

use std::time::{Duration, Instant};

use kumiki_tests::{Auth, Client2, TestApp};
use serde_json::{json, Value};

const PW: &str = "search-pw-1";

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn qs(params: &[(&str, &str)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn search_as(c: &Client2, params: &[(&str, &str)]) -> Value {
    let (s, b) = c.get(&format!("/api/search.json?{}", qs(params)));
    assert_eq!(s, 200, "{params:?}: {b}");
    b
}

fn search(app: &TestApp, params: &[(&str, &str)]) -> Value {
    search_as(&app.with_auth(app.auth.clone()), params)
}

/// Record ids of the hits, sorted.
fn ids(b: &Value) -> Vec<i64> {
    let mut v: Vec<i64> = b["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["record"].as_i64().unwrap())
        .collect();
    v.sort_unstable();
    v
}

pub(crate) fn text_app(app: &TestApp, name: &str) -> i64 {
    app.create_app(
        name,
        json!({
            "表題": {"type": "SINGLE_LINE_TEXT", "code": "表題", "label": "表題"},
            "本文": {"type": "MULTI_LINE_TEXT", "code": "本文", "label": "本文"},
        }),
    )
}

fn doc(app: &TestApp, id: i64, title: &str, body: &str) -> i64 {
    app.add_record(
        id,
        json!({"表題": {"value": title}, "本文": {"value": body}}),
    )
}

#[test]
fn japanese_words_are_found_as_users_expect() {
    let app = TestApp::spawn();
    let a = text_app(&app, "文書");
    let r1 = doc(&app, a, "市町村課からのお知らせ", "県の補助金について");
    let r2 = doc(&app, a, "市町合併と町村議会", "");
    let r3 = doc(&app, a, "連携", "ﾃﾞｰﾀ連携の手引き ＫＩＮＴＯＮＥ 活用");
    let r4 = doc(&app, a, "台帳", "住民基本\n台帳の整備");
    let r5 = doc(&app, a, "kintone 研修", "データ活用");
    app.wait_indexed(Duration::from_secs(10));
    let q = |q: &str| ids(&search(&app, &[("q", q)]));
    assert_eq!(
        q("市町村"),
        vec![r1],
        "市町村 inside 市町村課, not 市町…町村"
    );
    assert_eq!(q("県"), vec![r1], "one kanji alone");
    assert_eq!(q("データ"), vec![r3, r5]);
    assert_eq!(q("ﾃﾞｰﾀ"), vec![r3, r5], "half-width kana fold");
    assert_eq!(q("kintone"), vec![r3, r5]);
    assert_eq!(q("ＫＩＮＴＯＮＥ"), vec![r3, r5], "full-width Latin folds");
    assert_eq!(q("住民基本台帳"), vec![r4], "a phrase across a line break");
    assert_eq!(q("\"県の補助金\""), vec![r1]);
    assert_eq!(q("市町村 お知らせ"), vec![r1], "AND");
    assert_eq!(q("市町村 OR 町村議会"), vec![r1, r2]);
    assert_eq!(q("データ -連携"), vec![r5], "exclusion");
    assert_eq!(
        q("データ -ＫＩＮＴＯＮＥ"),
        Vec::<i64>::new(),
        "an excluded word anywhere in the record (r5's title) drops it"
    );
    // Words are matched per record: one may be in the title, another in the body.
    assert_eq!(q("お知らせ 補助金"), vec![r1], "AND across fields");
    assert_eq!(q("研修 データ活用"), vec![r5], "AND across fields");
    assert_eq!(q("データ -研修"), vec![r3], "exclusion from another field");
    assert_eq!(
        q("お知らせ 台帳"),
        Vec::<i64>::new(),
        "AND across records is no match"
    );
    assert!(q("存在しない言葉").is_empty());

    let b = search(&app, &[("q", "市町村")]);
    assert_eq!(b["total"], 1);
    let hit = &b["hits"][0];
    assert_eq!(hit["title"], "市町村課からのお知らせ");
    assert_eq!(hit["fieldCode"], "表題");
    assert_eq!(hit["kind"], "field");
    assert!(hit["snippet"].as_str().unwrap().contains("<mark>"), "{hit}");
    // Filters, paging, sorting.
    assert_eq!(
        ids(&search(&app, &[("q", "kintone"), ("field", "表題")])),
        vec![r5]
    );
    let b = search(&app, &[("q", "データ"), ("size", "1"), ("offset", "1")]);
    assert_eq!(
        (b["total"].as_i64(), b["hits"].as_array().unwrap().len()),
        (Some(2), 1)
    );
    let b = search(&app, &[("q", "データ"), ("sort", "newest")]);
    assert_eq!(b["hits"][0]["record"], r5);
    let b = search(
        &app,
        &[
            ("q", "データ"),
            ("from", "2000-01-01"),
            ("to", "2000-12-31"),
        ],
    );
    assert_eq!(b["total"], 0);
    let b = search(
        &app,
        &[
            ("q", "データ"),
            ("creator", "Administrator"),
            ("from", "2020-01-01"),
        ],
    );
    assert_eq!(b["total"], 2);
    // Grouped by app, filtered by app.
    let other = text_app(&app, "別の文書");
    doc(&app, other, "データ", "");
    app.wait_indexed(Duration::from_secs(10));
    let b = search(&app, &[("q", "データ")]);
    assert_eq!(b["total"], 3);
    assert_eq!(b["apps"][0], json!({"app": a, "name": "文書", "count": 2}));
    assert_eq!(b["apps"][1]["app"], other);
    let b = search(&app, &[("q", "データ"), ("app", &other.to_string())]);
    assert_eq!(b["total"], 1);
    let both = format!("{a},{other}");
    assert_eq!(search(&app, &[("q", "データ"), ("app", &both)])["total"], 3);
}

#[test]
fn bad_queries_answer_kintone_errors() {
    let app = TestApp::spawn();
    for params in [
        vec![("q", "\"open")],
        vec![("q", "")],
        vec![("q", "-only")],
        vec![("q", "x OR")],
        vec![("q", "x"), ("from", "yesterday")],
        vec![("q", "x"), ("size", "1000")],
        vec![("q", "x"), ("sort", "random")],
        vec![("q", "x"), ("kind", "table")],
        vec![("q", "x"), ("app", "one")],
    ] {
        let (s, b) = app.get(&format!("/api/search.json?{}", qs(&params)));
        assert_eq!(
            (s, b["code"].as_str()),
            (400, Some("CB_VA01")),
            "{params:?}: {b}"
        );
    }
    let (s, b) = app.get("/api/search.json?q=%E7%9C%8C");
    assert_eq!(s, 200, "{b}");
}

/// App A: record rule (非公開 rows for Administrator only), field rule (秘密 for Administrator only);
/// app B: only Administrator may view it.
#[test]
fn hidden_records_fields_and_apps_never_show() {
    let app = TestApp::spawn();
    app.user("u1", PW);
    let a = app.create_app(
        "名簿",
        json!({
            "氏名": {"type": "SINGLE_LINE_TEXT", "code": "氏名", "label": "氏名"},
            "所属": {"type": "DROP_DOWN", "code": "所属", "label": "所属", "options": {
                "公開": {"label": "公開", "index": "0"}, "非公開": {"label": "非公開", "index": "1"}}},
            "秘密": {"type": "SINGLE_LINE_TEXT", "code": "秘密", "label": "秘密"},
        }),
    );
    let open = app.add_record(
        a,
        json!({"氏名": {"value": "公開の職員"}, "所属": {"value": "公開"}, "秘密": {"value": "極秘の合言葉"}}),
    );
    let hidden = app.add_record(
        a,
        json!({"氏名": {"value": "非公開の職員"}, "所属": {"value": "非公開"}, "秘密": {"value": "合言葉"}}),
    );
    let admin = json!({"type": "USER", "code": "Administrator"});
    let everyone = json!({"type": "GROUP", "code": "everyone"});
    let (s, b) = app.put(
        "/k/v1/preview/record/acl.json",
        json!({"app": a, "rights": [{"filterCond": "所属 in (\"非公開\")", "entities": [
            {"entity": admin, "viewable": true, "editable": true}]}]}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.put(
        "/k/v1/preview/field/acl.json",
        json!({"app": a, "rights": [{"code": "秘密", "entities": [
            {"accessibility": "WRITE", "entity": admin},
            {"accessibility": "NONE", "entity": everyone}]}]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(a);
    let b_app = text_app(&app, "幹部会議");
    doc(&app, b_app, "秘密の会議", "職員の人事");
    let (s, b) = app.put(
        "/k/v1/preview/app/acl.json",
        json!({"app": b_app, "rights": [{"entity": admin, "appEditable": true, "recordViewable": true,
            "recordAddable": true, "recordEditable": true, "recordDeletable": true}]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(b_app);
    let (s, b) = app.post(
        "/k/v1/record/comment.json",
        json!({"app": a, "record": hidden, "comment": {"text": "内密のコメント"}}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.post(
        "/k/v1/record/comment.json",
        json!({"app": a, "record": open, "comment": {"text": "周知のコメント"}}),
    );
    assert_eq!(s, 200, "{b}");
    app.wait_indexed(Duration::from_secs(10));

    let u1 = app.with_auth(Auth::Password("u1".into(), PW.into()));
    let b = search_as(&u1, &[("q", "職員")]);
    assert_eq!(ids(&b), vec![open], "{b}");
    assert_eq!(b["total"], 1);
    assert_eq!(b["apps"], json!([{"app": a, "name": "名簿", "count": 1}]));
    let text = b.to_string();
    assert!(
        !text.contains("非公開") && !text.contains("合言葉") && !text.contains("人事"),
        "{text}"
    );
    let b = search_as(&u1, &[("q", "合言葉")]);
    assert_eq!(
        (b["total"].as_i64(), b["apps"].clone()),
        (Some(0), json!([])),
        "{b}"
    );
    assert_eq!(search_as(&u1, &[("q", "会議")])["total"], 0);
    assert_eq!(
        search_as(&u1, &[("q", "会議"), ("app", &b_app.to_string())])["total"],
        0
    );
    assert_eq!(search_as(&u1, &[("q", "内密")])["total"], 0);
    let b = search_as(&u1, &[("q", "コメント")]);
    assert_eq!(ids(&b), vec![open]);
    assert_eq!(b["hits"][0]["kind"], "comment");
    // The administrator sees everything.
    assert_eq!(
        ids(&search(&app, &[("q", "職員"), ("app", &a.to_string())])),
        vec![open, hidden]
    );
    assert_eq!(search(&app, &[("q", "合言葉")])["total"], 2);
    assert_eq!(search(&app, &[("q", "会議")])["total"], 1);
    assert_eq!(
        search(&app, &[("q", "コメント"), ("kind", "comment")])["total"],
        2
    );
    // The status is for administrators only.
    let (s, _) = u1.get("/api/search/status.json");
    assert_eq!(s, 403);
}

#[test]
fn a_saved_record_is_searchable_within_a_second() {
    let app = TestApp::spawn();
    let a = text_app(&app, "速報");
    app.wait_indexed(Duration::from_secs(10));
    let id = doc(&app, a, "緊急連絡網の更新", "");
    let saved = Instant::now();
    loop {
        if ids(&search(&app, &[("q", "緊急連絡網")])) == vec![id] {
            break;
        }
        assert!(
            saved.elapsed() < Duration::from_secs(1),
            "not searchable after 1 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // An update replaces the old text; a delete removes the record.
    let (s, b) = app.put(
        "/k/v1/record.json",
        json!({"app": a, "id": id, "record": {"表題": {"value": "防災訓練の案内"}}}),
    );
    assert_eq!(s, 200, "{b}");
    app.wait_indexed(Duration::from_secs(10));
    assert!(ids(&search(&app, &[("q", "緊急連絡網")])).is_empty());
    assert_eq!(ids(&search(&app, &[("q", "防災訓練")])), vec![id]);
    let (s, b) = app.delete("/k/v1/records.json", json!({"app": a, "ids": [id]}));
    assert_eq!(s, 200, "{b}");
    app.wait_indexed(Duration::from_secs(10));
    assert!(ids(&search(&app, &[("q", "防災訓練")])).is_empty());
}

fn archive_file(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../apps-examples/document-archive/files")
        .join(name);
    std::fs::read(path).unwrap()
}

#[test]
fn attached_files_of_each_format_are_searchable() {
    let app = TestApp::spawn();
    let a = app.create_app(
        "添付",
        json!({"添付": {"type": "FILE", "code": "添付", "label": "添付"}}),
    );
    // (file, content type, a word inside it, the file type label)
    let cases = [
        ("r8-0002-1.pdf", "application/pdf", "調査照会アプリ", "pdf"),
        (
            "r7-0003-2.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "クラウドサービス",
            "docx",
        ),
        (
            "r7-0004-1.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "駒ヶ根市",
            "xlsx",
        ),
        ("r7-0011-2.csv", "text/csv", "電子申請システム", "csv"),
        ("r7-0011-3.csv", "text/csv", "負担金", "csv"),
        (
            "r7-0012-2.txt",
            "text/plain",
            "住民基本台帳事務処理要領",
            "txt",
        ),
    ];
    let mut records = Vec::new();
    for (file, content_type, _, _) in &cases {
        let key = app.upload(file, content_type, archive_file(file));
        records.push(app.add_record(a, json!({"添付": {"value": [{"fileKey": key}]}})));
    }
    let key = app.upload(
        "壊れた資料.pdf",
        "application/pdf",
        b"%PDF-1.4 not really".to_vec(),
    );
    let broken = app.add_record(a, json!({"添付": {"value": [{"fileKey": key}]}}));
    app.wait_indexed(Duration::from_secs(60));
    for ((file, _, word, label), id) in cases.iter().zip(&records) {
        let b = search(&app, &[("q", word), ("kind", "file")]);
        assert!(ids(&b).contains(id), "{file}: {word} not found: {b}");
        let hit = b["hits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["record"] == *id)
            .unwrap();
        assert_eq!(hit["fileType"], *label, "{hit}");
        assert_eq!(hit["fieldCode"], "添付");
        let b = search(&app, &[("q", word), ("fileType", label)]);
        assert!(ids(&b).contains(id), "{file}: fileType filter: {b}");
    }
    // The malformed file is still found by its name, and the status says why its text is missing.
    assert_eq!(ids(&search(&app, &[("q", "壊れた資料")])), vec![broken]);
    let (s, b) = app.get("/api/search/status.json");
    assert_eq!(s, 200);
    let failed = b["failedFiles"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{b}");
    assert_eq!(failed[0]["name"], "壊れた資料.pdf");
    assert_eq!(failed[0]["recordId"], broken);
    assert!(!failed[0]["error"].as_str().unwrap().is_empty());
    assert!(b["documents"].as_u64().unwrap() >= 7);
}

#[test]
fn a_rebuilt_index_equals_the_incremental_one() {
    let app = TestApp::spawn();
    let a = app.create_app(
        "台帳",
        json!({
            "表題": {"type": "SINGLE_LINE_TEXT", "code": "表題", "label": "表題"},
            "説明": {"type": "RICH_TEXT", "code": "説明", "label": "説明"},
            "リンク": {"type": "LINK", "code": "リンク", "label": "リンク", "protocol": "WEB"},
            "添付": {"type": "FILE", "code": "添付", "label": "添付"},
            "明細": {"type": "SUBTABLE", "code": "明細", "label": "明細", "fields": {
                "品名": {"type": "SINGLE_LINE_TEXT", "code": "品名", "label": "品名"},
                "備考": {"type": "MULTI_LINE_TEXT", "code": "備考", "label": "備考"}}},
        }),
    );
    let mut ids_made = Vec::new();
    for i in 0..6 {
        ids_made.push(app.add_record(
            a,
            json!({
                "表題": {"value": format!("備品台帳 その{i}")},
                "説明": {"value": format!("<p>第<b>{i}</b>四半期の&amp;購入</p>")},
                "リンク": {"value": "https://example.jp/a"},
                "明細": {"value": [{"value": {"品名": {"value": "机"}, "備考": {"value": "木製"}}},
                                   {"value": {"品名": {"value": "椅子"}, "備考": {"value": ""}}}]},
            }),
        ));
    }
    let key = app.upload("memo.txt", "text/plain", "会議メモ".as_bytes().to_vec());
    let (s, b) = app.put(
        "/k/v1/record.json",
        json!({"app": a, "id": ids_made[0], "record": {"添付": {"value": [{"fileKey": key}]}, "表題": {"value": "更新後"}}}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.delete(
        "/k/v1/records.json",
        json!({"app": a, "ids": [ids_made[1]]}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.post(
        "/k/v1/record/comment.json",
        json!({"app": a, "record": ids_made[2], "comment": {"text": "確認しました"}}),
    );
    assert_eq!(s, 200, "{b}");
    // A deploy that drops a field re-indexes the whole app.
    let (s, b) = app.delete(
        "/k/v1/preview/app/form/fields.json",
        json!({"app": a, "fields": ["リンク"]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(a);
    app.wait_indexed(Duration::from_secs(30));

    let live_dir = app.data_dir.path().join("search-index");
    let live = kumiki_search::index::SearchIndex::open(&live_dir).unwrap();
    let incremental = kumiki_search::index::all_parts(&live).unwrap();
    let rebuilt_dir = tempfile::tempdir().unwrap();
    let db =
        std::sync::Arc::new(kumiki_engine::db::Database::connect(&app.database_url, 2).unwrap());
    kumiki_search::service::rebuild(
        db,
        rebuilt_dir.path(),
        &app.data_dir.path().join("files"),
        kumiki_tests::test_extractor(),
        None,
    )
    .unwrap();
    let rebuilt = kumiki_search::index::SearchIndex::open(&kumiki_search::index::index_dir(
        rebuilt_dir.path(),
    ))
    .unwrap();
    let rebuilt = kumiki_search::index::all_parts(&rebuilt).unwrap();
    assert_eq!(incremental, rebuilt);
    let keys: Vec<&str> = incremental.iter().map(|(k, _)| k.as_str()).collect();
    assert!(keys.iter().any(|k| k.contains("/comment/")), "{keys:?}");
    assert!(keys.iter().any(|k| k.contains("/file/")), "{keys:?}");
    assert!(keys.iter().any(|k| k.contains("/field/品名/")), "{keys:?}");
    assert!(!keys.iter().any(|k| k.contains("リンク")), "{keys:?}");
    assert!(!keys
        .iter()
        .any(|k| k.starts_with(&format!("{a}/{}/", ids_made[1]))));
    assert!(incremental
        .iter()
        .any(|(_, t)| t.contains("第0四半期の&購入")));
}

#[test]
fn api_tokens_search_only_their_apps() {
    let app = TestApp::spawn();
    let a = text_app(&app, "甲");
    let b = text_app(&app, "乙");
    let ra = doc(&app, a, "共通の議題", "");
    doc(&app, b, "共通の議題", "");
    app.wait_indexed(Duration::from_secs(10));
    assert_eq!(search(&app, &[("q", "議題")])["total"], 2);
    let viewer = app.with_auth(Auth::Tokens(app.token(a, "view")));
    let found = search_as(&viewer, &[("q", "議題")]);
    assert_eq!(ids(&found), vec![ra], "{found}");
    assert_eq!(found["apps"][0]["app"], a);
    let adder = app.with_auth(Auth::Tokens(app.token(b, "add")));
    assert_eq!(search_as(&adder, &[("q", "議題")])["total"], 0);
    let (s, _) = viewer.get("/api/search/status.json");
    assert_eq!(s, 403);
}

fn like_ids(app: &TestApp, a: i64, query: &str) -> Vec<i64> {
    let (s, b) = app.get(&format!("/k/v1/records.json?app={a}&query={}", enc(query)));
    assert_eq!(s, 200, "{query}: {b}");
    let mut v: Vec<i64> = b["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["$id"]["value"].as_str().unwrap().parse().unwrap())
        .collect();
    v.sort_unstable();
    v
}

#[test]
fn like_uses_the_index_and_stays_exact() {
    let app = TestApp::spawn();
    let a = app.create_app(
        "照会",
        json!({
            "本文": {"type": "MULTI_LINE_TEXT", "code": "本文", "label": "本文"},
            "添付": {"type": "FILE", "code": "添付", "label": "添付"},
        }),
    );
    let r1 = app.add_record(a, json!({"本文": {"value": "市町村課の通知 kintone"}}));
    let r2 = app.add_record(a, json!({"本文": {"value": "市町合併と町村議会"}}));
    let key = app.upload("r7-0011-2.csv", "text/csv", archive_file("r7-0011-2.csv"));
    let r3 = app.add_record(a, json!({"添付": {"value": [{"fileKey": key}]}}));
    app.wait_indexed(Duration::from_secs(30));
    assert_eq!(like_ids(&app, a, "本文 like \"市町村\""), vec![r1]);
    assert_eq!(like_ids(&app, a, "本文 like \"町村\""), vec![r1, r2]);
    assert_eq!(
        like_ids(&app, a, "本文 like \"kint\""),
        vec![r1],
        "Latin: SQL path"
    );
    assert_eq!(like_ids(&app, a, "本文 not like \"市町村\""), vec![r2, r3]);
    assert_eq!(
        like_ids(&app, a, "添付 like \"電子申請\""),
        vec![r3],
        "file content"
    );
    assert_eq!(
        like_ids(&app, a, "添付 like \"r7-0011\""),
        vec![r3],
        "file name"
    );
    // A record written a moment ago is found whether or not the index has it yet.
    let r4 = app.add_record(a, json!({"本文": {"value": "新しい市町村"}}));
    assert_eq!(like_ids(&app, a, "本文 like \"市町村\""), vec![r1, r4]);
    let (s, b) = app.put(
        "/k/v1/record.json",
        json!({"app": a, "id": r1, "record": {"本文": {"value": "変更後"}}}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(like_ids(&app, a, "本文 like \"市町村\""), vec![r4]);
}

/// What [`where_found`] made: the app and, per record (in order), where its 県 is.
pub(crate) struct WhereFound {
    pub app: i64,
    /// (record id, kind, field label, subtable label, file name, the unique words of that part).
    pub records: Vec<(
        i64,
        &'static str,
        &'static str,
        &'static str,
        String,
        String,
    )>,
}

/// Twenty records of one app, each mentioning 県 in exactly one place — a text field, a long text
/// field, a subtable cell, a comment or an attached file (its text) — with words unique to it. The
/// app's record title is 件名 (titleField MANUAL), which is not its first text field; record 0 has an
/// empty title.
pub(crate) fn where_found(app: &TestApp) -> WhereFound {
    let a = app.create_app(
        "県政記録",
        json!({
            "一連番号": {"type": "SINGLE_LINE_TEXT", "code": "一連番号", "label": "一連番号"},
            "件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"},
            "所在地": {"type": "SINGLE_LINE_TEXT", "code": "所在地", "label": "所在地"},
            "本文": {"type": "MULTI_LINE_TEXT", "code": "本文", "label": "本文"},
            "添付": {"type": "FILE", "code": "添付", "label": "添付資料"},
            "明細": {"type": "SUBTABLE", "code": "明細", "label": "明細", "fields": {
                "品名": {"type": "SINGLE_LINE_TEXT", "code": "品名", "label": "品名"},
            }},
        }),
    );
    let (s, b) = app.put(
        "/k/v1/preview/app/settings.json",
        json!({"app": a, "titleField": {"selectionMode": "MANUAL", "code": "件名"}}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(a);
    let mut records = Vec::new();
    for i in 0..20 {
        let words = format!("第{i}号の長野県{}", ["案件", "記録", "報告"][i % 3]);
        let title = if i == 0 {
            String::new()
        } else {
            format!("件名{i}")
        };
        let mut record = json!({
            "一連番号": {"value": format!("R7-{i:04}")},
            "件名": {"value": title},
        });
        let place = ["所在地", "本文", "品名", "comment", "file"][i % 5];
        let mut file_name = String::new();
        match place {
            "所在地" | "本文" => record[place] = json!({"value": words}),
            "品名" => {
                record["明細"] = json!({"value": [{"value": {"品名": {"value": words}}}]});
            }
            "file" => {
                file_name = format!("資料{i}.txt");
                let key = app.upload(&file_name, "text/plain", words.clone().into_bytes());
                record["添付"] = json!({"value": [{"fileKey": key}]});
            }
            _ => {}
        }
        let id = app.add_record(a, record);
        if place == "comment" {
            let (s, b) = app.post(
                "/k/v1/record/comment.json",
                json!({"app": a, "record": id, "comment": {"text": words}}),
            );
            assert_eq!(s, 200, "{b}");
        }
        let (kind, label, table) = match place {
            "所在地" => ("field", "所在地", ""),
            "本文" => ("field", "本文", ""),
            "品名" => ("field", "品名", "明細"),
            "comment" => ("comment", "", ""),
            _ => ("file", "添付資料", ""),
        };
        records.push((id, kind, label, table, file_name, words));
    }
    app.wait_indexed(Duration::from_secs(30));
    WhereFound { app: a, records }
}

#[test]
fn hits_show_the_part_where_the_words_were_found() {
    let app = TestApp::spawn();
    let made = where_found(&app);
    let b = search(&app, &[("q", "県"), ("size", "20")]);
    assert_eq!(b["total"], 20, "{b}");
    let hits = b["hits"].as_array().unwrap();
    let mut snippets = std::collections::HashSet::new();
    for hit in hits {
        let id = hit["record"].as_i64().unwrap();
        let (i, (_, kind, label, table, file_name, words)) = made
            .records
            .iter()
            .enumerate()
            .find(|(_, r)| r.0 == id)
            .unwrap();
        assert_eq!(hit["kind"], *kind, "{hit}");
        assert_eq!(hit["fieldLabel"], *label, "{hit}");
        assert_eq!(hit["subtableLabel"], *table, "{hit}");
        assert_eq!(hit["fileName"], file_name.as_str(), "{hit}");
        assert_eq!(
            hit["fileKey"].as_str().unwrap().is_empty(),
            file_name.is_empty()
        );
        let snippet = hit["snippet"].as_str().unwrap();
        let number = format!("第{i}号");
        assert!(
            snippet.contains(&number) && snippet.contains("<mark>県</mark>"),
            "{words}: {hit}"
        );
        snippets.insert(snippet.to_owned());
        // The title is the titleField's value, never the first text field's (一連番号).
        let title = if i == 0 {
            String::new()
        } else {
            format!("件名{i}")
        };
        assert_eq!(hit["title"], title.as_str(), "{hit}");
    }
    assert_eq!(snippets.len(), 20, "every hit has its own snippet");
    // A word only in an attached file's name finds it by the name.
    let b = search(&app, &[("q", "資料4.txt")]);
    assert_eq!(b["hits"][0]["fileName"], "資料4.txt", "{b}");
    assert_eq!(b["hits"][0]["kind"], "file");
}
