//! `like` driven from the full-text index over more matches than the index used to answer (5,000):
//! pages in every order and `totalCount` equal what the records say, also for records written after
//! the index's position, near-misses that hold the pattern's bigrams but not the pattern, another
//! AND-ed condition and a record rule (issue 18).

use std::collections::BTreeSet;
use std::time::Duration;

use kumiki_tests::{Auth, TestApp};
use serde_json::{json, Value};

const PW: &str = "like-index-pw-1";
const RECORDS: i64 = 7_000;
const WORD: &str = "業務改善";

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

/// Record `i`'s body: the word in 8 of 10 records; otherwise its bigrams without the word, or the
/// word split by a line break (which the index may join into a phrase, the LIKE never).
fn body(i: i64) -> String {
    match i % 10 {
        0 => format!("第{i}号 業務の改善と改善業務"),
        5 => format!("第{i}号 業務改\n善の報告"),
        _ => format!("第{i}号 {WORD}の報告"),
    }
}

fn kind(i: i64) -> &'static str {
    if i % 3 == 0 {
        "A"
    } else {
        "B"
    }
}

/// (ids, totalCount) of `query` for `auth`, the ids in the answer's order.
fn list(app: &TestApp, auth: &Auth, a: i64, query: &str) -> (Vec<i64>, i64) {
    let c = app.with_auth(auth.clone());
    let (s, b) = c.get(&format!(
        "/k/v1/records.json?app={a}&totalCount=true&fields[0]=$id&query={}",
        enc(query)
    ));
    assert_eq!(s, 200, "{query}: {b}");
    let ids = b["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["$id"]["value"].as_str().unwrap().parse().unwrap())
        .collect();
    let total = b["totalCount"].as_str().unwrap().parse().unwrap();
    (ids, total)
}

#[test]
fn like_over_many_matches_answers_exactly_from_the_index() {
    let app = TestApp::spawn();
    let a = app.create_app(
        "業務記録",
        json!({
            "本文": {"type": "MULTI_LINE_TEXT", "code": "本文", "label": "本文"},
            "番号": {"type": "NUMBER", "code": "番号", "label": "番号"},
            "区分": {"type": "DROP_DOWN", "code": "区分", "label": "区分", "options": {
                "A": {"label": "A", "index": "0"}, "B": {"label": "B", "index": "1"}}},
        }),
    );
    // Record id i+1 holds generator row i; 番号 runs against the ids so that sorting by it differs.
    let mut text: Vec<(i64, String, &str, i64)> = Vec::new();
    for chunk in (0..RECORDS).collect::<Vec<_>>().chunks(100) {
        let records: Vec<Value> = chunk
            .iter()
            .map(|i| {
                json!({"本文": {"value": body(*i)}, "番号": {"value": ((i * 7919) % 1000).to_string()},
                       "区分": {"value": kind(*i)}})
            })
            .collect();
        let (s, b) = app.post("/k/v1/records.json", json!({"app": a, "records": records}));
        assert_eq!(s, 200, "{b}");
        for (i, id) in chunk.iter().zip(b["ids"].as_array().unwrap()) {
            let id: i64 = id.as_str().unwrap().parse().unwrap();
            text.push((id, body(*i), kind(*i), (i * 7919) % 1000));
        }
    }
    app.user("staff", PW);
    let user = |code: &str| json!({"type": "USER", "code": code});
    let (s, b) = app.put(
        "/k/v1/preview/record/acl.json",
        json!({"app": a, "rights": [
            {"filterCond": "区分 in (\"A\")", "entities": [{"entity": user("staff"), "viewable": true},
                {"entity": user("Administrator"), "viewable": true, "editable": true, "deletable": true}]},
            {"filterCond": "", "entities": [{"entity": user("Administrator"), "viewable": true, "editable": true, "deletable": true}]},
        ]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(a);
    app.wait_indexed(Duration::from_secs(120));

    // Written after the index's position (queried at once, whether or not it has them yet): a new
    // match, a match that no longer matches, a non-match that now matches, a deleted match.
    let added = app.add_record(
        a,
        json!({"本文": {"value": format!("追加の{WORD}")}, "番号": {"value": "5"}, "区分": {"value": "A"}}),
    );
    text.push((added, format!("追加の{WORD}"), "A", 5));
    let edits = [
        (text[3].0, "変更後".to_owned()),
        (text[30].0, WORD.to_owned()),
    ];
    for (id, value) in &edits {
        let (s, b) = app.put(
            "/k/v1/record.json",
            json!({"app": a, "id": id, "record": {"本文": {"value": value}}}),
        );
        assert_eq!(s, 200, "{b}");
        if let Some(row) = text.iter_mut().find(|r| r.0 == *id) {
            row.1 = value.clone();
        }
    }
    let deleted = text[6].0;
    let (s, b) = app.delete("/k/v1/records.json", json!({"app": a, "ids": [deleted]}));
    assert_eq!(s, 200, "{b}");
    text.retain(|r| r.0 != deleted);

    let admin = app.auth.clone();
    let staff = Auth::Password("staff".into(), PW.into());
    let matching = |only_a: bool| -> Vec<&(i64, String, &str, i64)> {
        text.iter()
            .filter(|r| r.1.contains(WORD) && (!only_a || r.2 == "A"))
            .collect()
    };
    assert!(matching(false).len() > 5_000, "more than the old cap");
    let by_id_desc = |rows: Vec<&(i64, String, &str, i64)>| -> Vec<i64> {
        let set: BTreeSet<i64> = rows.iter().map(|r| r.0).collect();
        set.into_iter().rev().collect()
    };
    let by_number_desc = |rows: Vec<&(i64, String, &str, i64)>| -> Vec<i64> {
        let mut v: Vec<(i64, i64)> = rows.iter().map(|r| (r.3, r.0)).collect();
        v.sort_unstable_by(|x, y| y.cmp(x));
        v.into_iter().map(|(_, id)| id).collect()
    };
    let page = |all: &[i64], offset: usize, limit: usize| -> Vec<i64> {
        all.iter().skip(offset).take(limit).copied().collect()
    };
    let cases: Vec<(&Auth, String, Vec<i64>)> = vec![
        (&admin, String::new(), by_id_desc(matching(false))),
        (
            &admin,
            " and 区分 in (\"A\")".into(),
            by_id_desc(matching(true)),
        ),
        (&staff, String::new(), by_id_desc(matching(true))),
    ];
    for (auth, extra, expected) in &cases {
        for (offset, limit) in [(0, 100), (250, 500), (4_950, 100)] {
            let q = format!("本文 like \"{WORD}\"{extra} limit {limit} offset {offset}");
            let (ids, total) = list(&app, auth, a, &q);
            assert_eq!(ids, page(expected, offset, limit), "{q}");
            assert_eq!(total, expected.len() as i64, "count of {q}");
            let q = format!(
                "本文 like \"{WORD}\"{extra} order by $id asc limit {limit} offset {offset}"
            );
            let ascending: Vec<i64> = expected.iter().rev().copied().collect();
            assert_eq!(
                list(&app, auth, a, &q).0,
                page(&ascending, offset, limit),
                "{q}"
            );
        }
    }
    // Another sort key: 番号 descending, ties by $id descending.
    let expected = by_number_desc(matching(false));
    for (offset, limit) in [(0, 100), (3_000, 200)] {
        let q = format!("本文 like \"{WORD}\" order by 番号 desc limit {limit} offset {offset}");
        let (ids, total) = list(&app, &admin, a, &q);
        assert_eq!(ids, page(&expected, offset, limit), "{q}");
        assert_eq!(total, expected.len() as i64, "count of {q}");
    }
    let expected = by_number_desc(matching(true));
    let q = format!("本文 like \"{WORD}\" order by 番号 desc limit 100");
    let (ids, total) = list(&app, &staff, a, &q);
    assert_eq!(ids, page(&expected, 0, 100), "staff: {q}");
    assert_eq!(total, expected.len() as i64, "staff: count of {q}");
}
