//! `like` ignores width as kintone's does and as the search index does: ﾃﾚﾜｰｸ finds テレワーク and back,
//! ｄｘ finds DX and dx, ０１２ finds 012 — in text and long text fields, subtable cells, FILE names, with
//! `not like`, before and after the full-text index has the records (the index narrows CJK patterns),
//! and for rows written before the folded column existed (the backfill after the migration).

use std::time::Duration;

use kumiki_engine::db::{Database, SqlBuilder};
use kumiki_engine::query::fold;
use kumiki_tests::TestApp;
use serde_json::{json, Value};

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

/// Record ids matching `query`, ascending.
fn ids(app: &TestApp, a: i64, query: &str) -> Vec<i64> {
    let q = format!("{query} order by $id asc");
    let (status, body) = app.get(&format!("/k/v1/records.json?app={a}&query={}", enc(&q)));
    assert_eq!(status, 200, "{query}: {body}");
    body["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["$id"]["value"].as_str().unwrap().parse().unwrap())
        .collect()
}

fn record(app: &TestApp, a: i64, title: &str, body: &str, items: &[&str], file: &str) -> i64 {
    let rows: Vec<Value> = items
        .iter()
        .map(|i| json!({"value": {"品名": {"value": i}}}))
        .collect();
    let files: Vec<Value> = if file.is_empty() {
        Vec::new()
    } else {
        vec![json!({"fileKey": app.upload(file, "text/plain", b"x".to_vec())})]
    };
    app.add_record(
        a,
        json!({
            "件名": {"value": title},
            "内容": {"value": body},
            "明細": {"value": rows},
            "添付": {"value": files},
        }),
    )
}

#[test]
fn like_folds_widths_in_every_text_field() {
    let app = TestApp::spawn();
    let a = app.create_app(
        "在宅勤務",
        json!({
            "件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"},
            "内容": {"type": "MULTI_LINE_TEXT", "code": "内容", "label": "内容"},
            "添付": {"type": "FILE", "code": "添付", "label": "添付"},
            "明細": {"type": "SUBTABLE", "code": "明細", "label": "明細", "fields": {
                "品名": {"type": "SINGLE_LINE_TEXT", "code": "品名", "label": "品名"},
            }},
        }),
    );
    let r1 = record(
        &app,
        a,
        "テレワーク申請",
        "DXの推進について",
        &["ﾉｰﾄﾊﾟｿｺﾝ"],
        "ﾃﾞｰﾀ一覧.txt",
    );
    let r2 = record(
        &app,
        a,
        "ﾃﾚﾜｰｸ実施報告",
        "dx研修 受付番号０１２",
        &["ボールペン"],
        "",
    );
    let r3 = record(&app, a, "出張報告", "番号012", &[], "データ集計.txt");
    let r4 = record(&app, a, "その他", "", &["ﾎﾞｰﾙﾍﾟﾝ"], "memo.TXT");
    let check = |when: &str| {
        let q = |query: &str| ids(&app, a, query);
        assert_eq!(q("件名 like \"ﾃﾚﾜｰｸ\""), [r1, r2], "{when}");
        assert_eq!(q("件名 like \"テレワーク\""), [r1, r2], "{when}");
        assert_eq!(q("件名 like \"ﾃﾚﾜｰｸ実施\""), [r2], "{when}");
        assert_eq!(q("件名 not like \"ﾃﾚﾜｰｸ\""), [r3, r4], "{when}");
        assert_eq!(q("件名 not like \"テレワーク\""), [r3, r4], "{when}");
        assert_eq!(q("内容 like \"ｄｘ\""), [r1, r2], "{when}");
        assert_eq!(q("内容 like \"DX\""), [r1, r2], "{when}");
        assert_eq!(q("内容 like \"dx\""), [r1, r2], "{when}");
        assert_eq!(q("内容 like \"０１２\""), [r2, r3], "{when}");
        assert_eq!(q("内容 like \"012\""), [r2, r3], "{when}");
        assert_eq!(q("内容 not like \"ＤＸ\""), [r3, r4], "{when}");
        // Subtable cells: some row matches / no row matches (records without rows match neither).
        assert_eq!(q("品名 like \"パソコン\""), [r1], "{when}");
        assert_eq!(q("品名 like \"ﾎﾞｰﾙﾍﾟﾝ\""), [r2, r4], "{when}");
        assert_eq!(q("品名 not like \"ボールペン\""), [r1], "{when}");
        // FILE fields: the file's name.
        assert_eq!(q("添付 like \"データ\""), [r1, r3], "{when}");
        assert_eq!(q("添付 like \"ﾃﾞｰﾀ一覧\""), [r1], "{when}");
        assert_eq!(q("添付 like \"ｍｅｍｏ．ｔｘｔ\""), [r4], "{when}");
        assert_eq!(q("添付 not like \"データ\""), [r2, r4], "{when}");
        // With other conditions and in an OR.
        assert_eq!(
            q("件名 like \"ﾃﾚﾜｰｸ\" and 内容 like \"０１２\""),
            [r2],
            "{when}"
        );
        assert_eq!(
            q("件名 like \"出張\" or 品名 like \"ﾊﾟｿｺﾝ\""),
            [r1, r3],
            "{when}"
        );
    };
    // Right after the writes the index may not have them: the change log keeps the plain probe.
    check("before indexing");
    app.wait_indexed(Duration::from_secs(10));
    check("through the index");
}

/// A database written before the folded column existed: its rows are folded by the backfill that runs
/// after the migration (marker row in `like_fold_backfill`), and `like` then ignores width for them.
#[test]
fn rows_written_before_the_migration_are_backfilled() {
    let app = TestApp::spawn();
    let a = app.create_app(
        "旧データ",
        json!({
            "件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"},
            "内容": {"type": "MULTI_LINE_TEXT", "code": "内容", "label": "内容"},
        }),
    );
    let r1 = app.add_record(
        a,
        json!({"件名": {"value": "ﾃﾚﾜｰｸ申請"}, "内容": {"value": "ＤＸ（推進）"}}),
    );
    let r2 = app.add_record(
        a,
        json!({"件名": {"value": "出張"}, "内容": {"value": "dx"}}),
    );
    let db = Database::connect(&app.database_url, 1).unwrap();
    let mut conn = db.conn().unwrap();
    conn.batch_execute(
        "UPDATE record_values_text SET folded = NULL; UPDATE record_values_long SET folded = NULL; \
         INSERT INTO like_fold_backfill (pending) VALUES (1)",
    )
    .unwrap();
    assert_eq!(ids(&app, a, "件名 like \"テレワーク\""), Vec::<i64>::new());
    // Two rows fold differently (ﾃﾚﾜｰｸ申請, ＤＸ（推進）); 出張 and dx need nothing.
    assert_eq!(fold::backfill(&mut conn).unwrap(), 2);
    assert_eq!(ids(&app, a, "件名 like \"テレワーク\""), [r1]);
    assert_eq!(ids(&app, a, "内容 like \"ｄｘ\""), [r1, r2]);
    assert_eq!(ids(&app, a, "内容 like \"(推進)\""), [r1]);
    // Done once: the marker is gone.
    assert_eq!(fold::backfill(&mut conn).unwrap(), 0);
    let mut b = SqlBuilder::new(db.dialect());
    b.push("SELECT count(*) AS n FROM like_fold_backfill");
    let rows: Vec<kumiki_engine::db::IntRow> = conn.load(&b).unwrap();
    assert_eq!(rows[0].n, 0);
}
