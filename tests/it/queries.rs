//! The query language through `records.json`: operators, subtable same-row semantics, ordering,
//! limits, totals, date functions, `$id` keyset paging and error codes.

use kumiki_tests::{sample_fields, url_encode, TestApp};
use serde_json::{json, Value};

fn ids(b: &Value) -> Vec<i64> {
    let list = b["records"]
        .as_array()
        .unwrap_or_else(|| panic!("no records in {b}"));
    list.iter()
        .map(|r| r["$id"]["value"].as_str().unwrap().parse().unwrap())
        .collect()
}

fn query(app: &TestApp, id: i64, q: &str) -> (u16, Value) {
    let encoded: String = url_encode(q);
    app.get(&format!(
        "/k/v1/records.json?app={id}&query={encoded}&totalCount=true"
    ))
}

fn seeded() -> (TestApp, i64) {
    let app = TestApp::spawn();
    let id = app.create_app("q", sample_fields());
    let rows = [
        (
            "a",
            "10",
            "A",
            vec!["x"],
            "2026-04-01",
            vec![("紙", "5"), ("ペン", "50")],
        ),
        ("b", "20", "B", vec!["y"], "2026-05-01", vec![("紙", "50")]),
        ("c", "30", "C", vec!["x", "y"], "2026-06-01", vec![]),
        ("d", "", "A", vec![], "2025-12-31", vec![("ペン", "5")]),
    ];
    for (text, number, choice, tags, day, lines) in rows {
        let lines: Vec<Value> = lines
            .into_iter()
            .map(|(item, amount)| json!({"value": {"Item": {"value": item}, "Amount": {"value": amount}}}))
            .collect();
        app.add_record(
            id,
            json!({"Text": {"value": text}, "Number": {"value": number}, "Choice": {"value": choice},
                   "Tags": {"value": tags}, "Day": {"value": day}, "Lines": {"value": lines}}),
        );
    }
    (app, id)
}

#[test]
fn operators_order_and_totals() {
    let (app, id) = seeded();
    let (s, b) = query(&app, id, "Number>=20 order by Number desc");
    assert_eq!(s, 200, "{b}");
    assert_eq!(ids(&b), [3, 2]);
    assert_eq!(b["totalCount"], "2");
    let (_, b) = query(
        &app,
        id,
        r#"Choice in ("A","C") and Tags in ("x") order by $id asc"#,
    );
    assert_eq!(ids(&b), [1, 3]);
    let (_, b) = query(&app, id, r#"Choice not in ("A") order by $id asc"#);
    assert_eq!(ids(&b), [2, 3]);
    let (_, b) = query(&app, id, r#"Number = """#);
    assert_eq!(ids(&b), [4]);
    let (_, b) = query(
        &app,
        id,
        r#"(Text = "a" or Text = "d") and Day < "2026-01-01""#,
    );
    assert_eq!(ids(&b), [4]);
    let (_, b) = query(
        &app,
        id,
        "order by Choice asc, Number desc limit 2 offset 1",
    );
    assert_eq!(
        ids(&b),
        [4, 2],
        "A(1,4 by number desc: 1 then empty 4), B(2), C(3)"
    );
    let (_, b) = query(&app, id, "$id > 2 order by $id asc limit 500");
    assert_eq!(ids(&b), [3, 4]);
    let (_, b) = query(&app, id, "");
    assert_eq!(ids(&b), [4, 3, 2, 1], "default order is $id desc");
}

#[test]
fn subtable_conditions_match_the_same_row() {
    let (app, id) = seeded();
    let (_, b) = query(
        &app,
        id,
        r#"Item in ("紙") and Amount >= 50 order by $id asc"#,
    );
    assert_eq!(
        ids(&b),
        [2],
        "record 1 has 紙 with 5 and ペン with 50: not the same row"
    );
    let (_, b) = query(&app, id, r#"Item not in ("ペン") order by $id asc"#);
    assert_eq!(
        ids(&b),
        [2],
        "all rows must satisfy; records without rows never match"
    );
}

#[test]
fn like_and_date_functions() {
    let (app, id) = seeded();
    app.add_record(
        id,
        json!({"Memo": {"value": "市町村課への照会"}, "Day": {"value": "2026-11-27"}}),
    );
    let (_, b) = query(&app, id, r#"Memo like "町村""#);
    assert_eq!(ids(&b), [5]);
    let (s, b) = query(&app, id, "Day >= FROM_TODAY(-3650, DAYS) order by $id asc");
    assert_eq!(s, 200, "{b}");
    assert_eq!(ids(&b).len(), 5);
    let (s, _) = query(&app, id, "Created_datetime = TODAY()");
    assert_eq!(s, 200);
}

#[test]
fn query_errors_have_kintone_codes() {
    let (app, id) = seeded();
    let cases = [
        ("Unknown = 1", 400, "GAIA_IQ11"),
        ("Number like \"1\"", 400, "GAIA_IQ03"),
        ("Item = \"紙\"", 400, "GAIA_IQ07"),
        ("Choice in (\"Z\")", 400, "GAIA_IQ10"),
        ("limit 501", 400, "GAIA_QU01"),
        ("offset 10001", 400, "GAIA_QU02"),
        ("Number >", 400, "CB_VA01"),
        ("Text = \"unterminated", 400, "CB_VA01"),
    ];
    for (q, status, code) in cases {
        let (s, b) = query(&app, id, q);
        assert_eq!(
            (s, b["code"].as_str()),
            (status, Some(code)),
            "query {q}: {b}"
        );
    }
    let (s, b) = query(&app, id, "Number >");
    assert_eq!(s, 400);
    assert!(b["errors"]["query"]["messages"][0].is_string(), "{b}");
}

#[test]
fn fields_parameter_limits_the_output() {
    let (app, id) = seeded();
    let (_, b) = app.get(&format!(
        "/k/v1/records.json?app={id}&fields%5B0%5D=Text&fields%5B1%5D=%24id"
    ));
    let first = b["records"][0].as_object().unwrap();
    let mut keys: Vec<&String> = first.keys().collect();
    keys.sort();
    assert_eq!(keys, ["$id", "Text"]);
}

#[test]
fn long_queries_arrive_with_method_override() {
    let (app, id) = seeded();
    let list: Vec<String> = (0..600).map(|i| format!("\"v{i}\"")).collect();
    let q = format!("Text in ({}, \"b\")", list.join(","));
    let resp = app
        .client
        .post(app.url("/k/v1/records.json"))
        .header("X-HTTP-Method-Override", "GET")
        .header(
            "X-Cybozu-Authorization",
            "QWRtaW5pc3RyYXRvcjphZG1pbi1wYXNzd29yZC0x",
        )
        .json(&json!({"app": id, "query": q}))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let b: Value = resp.json().unwrap();
    assert_eq!(ids(&b), [2]);
}
