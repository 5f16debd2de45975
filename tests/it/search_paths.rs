//! Search takes one of two paths (search/src/page.rs): when no app needs a check per record it
//! counts records in bitsets and keeps only the page's best records; otherwise it collects every
//! matching record and checks the candidates' record rules in the database. A user must not be able
//! to tell them apart: the same searcher on the same records gets the same total, the same per-app
//! counts and the same pages in the same order, whether or not a record rule (here one that lets
//! everyone view every record) makes the search take the checking path.
//!
//! Scores depend on the whole index (term and length statistics count deleted documents until a
//! merge drops them), and deploying an app re-indexes its records: the rule that switches paths is
//! therefore put on an app without records, so that both paths search the same index.

use std::time::Duration;

use kumiki_tests::{url_encode, Auth, TestApp};

use crate::search::text_app;
use serde_json::{json, Value};

const PW: &str = "search-paths-pw-1";

/// Records whose words repeat a different number of times (so that scores differ and tie), some
/// words only in the title, some only in the body, some only in a comment.
fn fill(app: &TestApp, a: i64, salt: usize) {
    const WORDS: [&str; 6] = ["補助金", "申請", "防災", "計画", "空き家", "交付金"];
    for i in 0..45usize {
        let n = i * 7 + salt;
        let title = format!("{}の{}", WORDS[n % 6], WORDS[(n / 6) % 6]);
        let body = (0..(n % 4) + 1)
            .map(|k| WORDS[(n + k * 5) % 6])
            .collect::<Vec<_>>()
            .join("と");
        let id = app.add_record(
            a,
            json!({"表題": {"value": title}, "本文": {"value": format!("{body}について")}}),
        );
        if i % 5 == 0 {
            let (s, b) = app.post(
                "/k/v1/record/comment.json",
                json!({"app": a, "record": id, "comment": {"text": format!("{}の件", WORDS[(n + 3) % 6])}}),
            );
            assert_eq!(s, 200, "{b}");
        }
    }
}

/// What a user sees of a search: total, per-app counts and each hit's record, part and snippet.
fn seen(b: &Value) -> Value {
    let hits: Vec<Value> = b["hits"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|h| json!([h["app"], h["record"], h["fieldCode"], h["snippet"]]))
        .collect();
    json!({"total": b["total"], "apps": b["apps"], "hits": hits})
}

#[test]
fn both_search_paths_count_and_page_alike() {
    let app = TestApp::spawn();
    app.user("u1", PW);
    let first = text_app(&app, "補助事業");
    let second = text_app(&app, "防災計画");
    let ruled = text_app(&app, "記録規則");
    fill(&app, first, 0);
    fill(&app, second, 3);
    app.wait_indexed(Duration::from_secs(20));
    let u1 = app.with_auth(Auth::Password("u1".into(), PW.into()));
    let mut cases: Vec<Vec<(&str, String)>> = Vec::new();
    for q in [
        "補助金",
        "申請",
        "補助金 申請",
        "防災 -計画",
        "空き家 OR 交付金",
        "補助金 計画 申請",
    ] {
        for (sort, offset, size) in [
            ("best", 0, 5),
            ("best", 5, 5),
            ("newest", 0, 7),
            ("best", 40, 10),
        ] {
            cases.push(vec![
                ("q", q.to_owned()),
                ("sort", sort.to_owned()),
                ("offset", offset.to_string()),
                ("size", size.to_string()),
            ]);
        }
    }
    cases.push(vec![
        ("q", "補助金".into()),
        ("field", "本文".into()),
        ("size", "6".into()),
    ]);
    cases.push(vec![
        ("q", "交付金".into()),
        ("kind", "comment".into()),
        ("size", "3".into()),
    ]);
    let run = || -> Vec<Value> {
        cases
            .iter()
            .map(|params| {
                let qs: Vec<String> = params
                    .iter()
                    .map(|(k, v)| format!("{k}={}", url_encode(v)))
                    .collect();
                let (s, b) = u1.get(&format!("/api/search.json?{}", qs.join("&")));
                assert_eq!(s, 200, "{params:?}: {b}");
                assert_eq!(b["capped"], false, "{b}");
                seen(&b)
            })
            .collect()
    };
    let fast = run();
    // The searches find something, count both apps, and fill their pages.
    assert!(fast[0]["total"].as_i64().unwrap_or(0) > 10, "{}", fast[0]);
    assert_eq!(
        fast[0]["apps"].as_array().map(Vec::len),
        Some(2),
        "{}",
        fast[0]
    );
    assert_eq!(
        fast[1]["hits"].as_array().map(Vec::len),
        Some(5),
        "{}",
        fast[1]
    );

    // A record rule that lets everyone view every record of an app the searcher can see: the same
    // records are visible, but the search now takes the checking path.
    let everyone = |a: i64| {
        let (s, b) = app.put(
            "/k/v1/preview/record/acl.json",
            json!({"app": a, "rights": [{"filterCond": "", "entities": [
                {"entity": {"type": "GROUP", "code": "everyone"}, "viewable": true, "editable": true}]}]}),
        );
        assert_eq!(s, 200, "{b}");
        app.deploy(a);
        app.wait_indexed(Duration::from_secs(20));
    };
    everyone(ruled);
    let checked = run();
    for ((params, fast), checked) in cases.iter().zip(&fast).zip(&checked) {
        assert_eq!(fast, checked, "{params:?}");
    }

    // The same rule on an app whose records match: each candidate is checked in the database, and
    // every record still counts. (Its records were indexed again, so scores may shift: totals and
    // per-app counts, which do not depend on them, are compared.)
    everyone(first);
    let counted = |v: &Vec<Value>| -> Vec<Value> {
        v.iter().map(|b| json!([b["total"], b["apps"]])).collect()
    };
    assert_eq!(counted(&run()), counted(&fast));
}
