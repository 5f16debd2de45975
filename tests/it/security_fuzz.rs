//! I3 of the security test plan, in the normal suite: proptest-driven robustness of the parsers that
//! read untrusted text. cargo-fuzz needs nightly and minutes per target; these run a fixed number of
//! random and grammar-shaped inputs (`KUMIKI_FUZZ_CASES`, default 300 per HTTP target and 5× that for
//! the engine-level ones). Pass = no panic, no 5xx, a kintone-style JSON error or a result, each call
//! within a time bound.

use std::time::{Duration, Instant};

use kumiki_engine::fields::formula::Formula;
use kumiki_platform::params::parse_query_string;
use kumiki_tests::TestApp;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Value};

fn cases() -> u32 {
    std::env::var("KUMIKI_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

/// Odd text: any chars (NUL, bidi overrides, astral planes), up to a few thousand.
fn any_text() -> BoxedStrategy<String> {
    prop_oneof![
        proptest::collection::vec(any::<char>(), 0..3000).prop_map(|v| v.into_iter().collect()),
        "\\PC{0,500}",
        proptest::collection::vec(
            prop_oneof![
                Just('\0'),
                Just('"'),
                Just('\''),
                Just('\\'),
                Just('('),
                Just(')'),
                Just('['),
                Just(']'),
                Just('&'),
                Just('='),
                Just('%'),
                Just('\u{202E}'),
                Just('\u{FEFF}'),
                Just('𠮷'),
                Just('ｱ'),
                Just('\n'),
            ],
            0..2000
        )
        .prop_map(|v| v.into_iter().collect()),
    ]
    .boxed()
}

/// Token soup shaped like the kintone query language, plus deep nesting and long IN lists.
fn query_text() -> BoxedStrategy<String> {
    let token = prop_oneof![
        Just("("),
        Just(")"),
        Just(" and "),
        Just(" or "),
        Just("Text"),
        Just("Num"),
        Just("Choice"),
        Just("$id"),
        Just("作成日時"),
        Just(" = "),
        Just(" != "),
        Just(" > "),
        Just(" <= "),
        Just(" in "),
        Just(" not in "),
        Just(" like "),
        Just(" not like "),
        Just("\"a\""),
        Just("\"\\\"\""),
        Just("\""),
        Just("\\"),
        Just("\0"),
        Just("\u{202E}"),
        Just(","),
        Just("1"),
        Just("-1e999"),
        Just("99999999999999999999999"),
        Just("LOGINUSER()"),
        Just("TODAY()"),
        Just("FROM_TODAY(-5, DAYS)"),
        Just("THIS_MONTH(32)"),
        Just(" order by "),
        Just(" asc"),
        Just(" desc"),
        Just(" limit "),
        Just(" offset "),
    ];
    prop_oneof![
        4 => proptest::collection::vec(token, 0..200).prop_map(|v| v.concat()),
        1 => (1usize..3000).prop_map(|n| format!("{}Num > 1{}", "(".repeat(n), ")".repeat(n))),
        1 => (1usize..3000).prop_map(|n| format!(
            "Text in ({})",
            (0..n).map(|i| format!("\"{i}\"")).collect::<Vec<_>>().join(",")
        )),
        1 => (1usize..2000).prop_map(|n| vec!["Num = 1"; n].join(" or ")),
        2 => any_text(),
    ]
    .boxed()
}

/// Token soup shaped like CALC formulas.
fn formula_text() -> BoxedStrategy<String> {
    let token = prop_oneof![
        Just("SUM("),
        Just("IF("),
        Just("AND("),
        Just("OR("),
        Just("NOT("),
        Just("ROUND("),
        Just("ROUNDUP("),
        Just("YEN("),
        Just("DATE_FORMAT("),
        Just("CONTAINS("),
        Just("NOSUCH("),
        Just(")"),
        Just(","),
        Just("+"),
        Just("-"),
        Just("*"),
        Just("/"),
        Just("^"),
        Just("&"),
        Just("="),
        Just("<>"),
        Just(">="),
        Just("%"),
        Just("Num"),
        Just("Amount"),
        Just("\"x\""),
        Just("\""),
        Just("1e308"),
        Just("0.0000001"),
        Just("\0"),
        Just("\u{202E}"),
    ];
    prop_oneof![
        4 => proptest::collection::vec(token, 0..200).prop_map(|v| v.concat()),
        1 => (1usize..5000).prop_map(|n| format!("{}1{}", "(".repeat(n), ")".repeat(n))),
        1 => (1usize..3000).prop_map(|n| format!("{}1", "-".repeat(n))),
        1 => (1usize..3000).prop_map(|n| format!("{}1{}", "IF(1,".repeat(n), ",2)".repeat(n))),
        1 => (1usize..3000).prop_map(|n| vec!["1"; n].join("^")),
        2 => any_text(),
    ]
    .boxed()
}

/// Query strings shaped like qs parameters: nested brackets, huge indexes, repeated keys.
fn qs_text() -> BoxedStrategy<String> {
    let part = prop_oneof![
        Just("a"),
        Just("fields"),
        Just("["),
        Just("]"),
        Just("[]"),
        Just("[0]"),
        Just("[10000]"),
        Just("[99999999999999999999]"),
        Just("[x]"),
        Just("="),
        Just("&"),
        Just("%"),
        Just("%5B"),
        Just("%5D"),
        Just("%00"),
        Just("%E2%80%AE"),
        Just("%FF"),
        Just("+"),
    ];
    prop_oneof![
        3 => proptest::collection::vec(part, 0..400).prop_map(|v| v.concat()),
        1 => (1usize..1500).prop_map(|n| format!("a{}=x", "[0]".repeat(n))),
        1 => (1usize..1000).prop_map(|n| format!("a{}=x", "[10000]".repeat(n))),
        1 => (1usize..600).prop_map(|n| (0..n).map(|i| format!("k{i}[10000]=x")).collect::<Vec<_>>().join("&")),
        2 => any_text(),
    ]
    .boxed()
}

fn within(limit: Duration, start: Instant, what: &str) -> Result<(), TestCaseError> {
    if start.elapsed() > limit {
        return Err(TestCaseError::fail(format!(
            "{what} took {:?}",
            start.elapsed()
        )));
    }
    Ok(())
}

/// Percent-encodes every byte but unreserved ASCII.
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

/// A result, or kintone's error shape: never a 5xx and never a non-JSON body.
fn kintone_answer(status: u16, body: &Value, what: &str) -> Result<(), TestCaseError> {
    if status >= 500 {
        return Err(TestCaseError::fail(format!("{what}: {status} {body}")));
    }
    if status >= 400 && !(body["code"].is_string() && body["message"].is_string()) {
        return Err(TestCaseError::fail(format!(
            "{what}: {status} without a kintone error: {body}"
        )));
    }
    if status < 300 && !body.is_object() {
        return Err(TestCaseError::fail(format!("{what}: {status} {body}")));
    }
    Ok(())
}

#[test]
fn engine_query_parser_never_panics_or_hangs() {
    // Regression inputs first: the deepest nesting and the longest IN list the limits allow, and past them.
    for q in [
        format!("{}Num > 1{}", "(".repeat(10_000), ")".repeat(10_000)),
        "\"".repeat(5000),
        "Text in (".repeat(3000),
        "\0\u{202E}".to_owned(),
    ] {
        let _ = kumiki_engine::query::parse(&q);
    }
    runner(cases() * 5)
        .run(&query_text(), |q| {
            let start = Instant::now();
            let _ = kumiki_engine::query::parse(&q);
            within(Duration::from_secs(2), start, "query parse")
        })
        .expect("query parser");
}

#[test]
fn engine_formula_parser_never_panics_or_hangs() {
    for f in [
        format!("{}1{}", "(".repeat(20_000), ")".repeat(20_000)),
        "-".repeat(20_000),
        "IF(".repeat(5000),
        "\"".repeat(5000),
    ] {
        let _ = Formula::parse(&f);
    }
    runner(cases() * 5)
        .run(&formula_text(), |f| {
            let start = Instant::now();
            if let Ok(formula) = Formula::parse(&f) {
                let _ = formula.references();
            }
            within(Duration::from_secs(2), start, "formula parse")
        })
        .expect("formula parser");
}

#[test]
fn qs_parameter_parser_is_bounded() {
    // Deep or huge indexes must not let a few KB of URL allocate hundreds of MB.
    let hostile = [
        format!("a{}=x", "[10000]".repeat(1100)),
        (0..700)
            .map(|i| format!("k{i}[10000]=x"))
            .collect::<Vec<_>>()
            .join("&"),
    ];
    for qs in &hostile {
        let start = Instant::now();
        let v = parse_query_string(qs);
        let size = serde_json::to_string(&v).map(|s| s.len()).unwrap_or(0);
        assert!(
            size < 100 * qs.len() + 10_000,
            "{} bytes of query string made {size} bytes of parameters",
            qs.len()
        );
        assert!(start.elapsed() < Duration::from_secs(2));
    }
    runner(cases() * 5)
        .run(&qs_text(), |qs| {
            let start = Instant::now();
            let v = parse_query_string(&qs);
            if !v.is_object() {
                return Err(TestCaseError::fail("not an object"));
            }
            within(Duration::from_secs(2), start, "qs parse")
        })
        .expect("qs parser");
}

#[test]
fn http_parsers_answer_kintone_json_for_hostile_input() {
    let app = TestApp::spawn();
    let id = app.create_app(
        "fuzz",
        json!({
            "Text": {"type": "SINGLE_LINE_TEXT", "code": "Text", "label": "Text"},
            "Num": {"type": "NUMBER", "code": "Num", "label": "Num"},
            "Choice": {"type": "DROP_DOWN", "code": "Choice", "label": "Choice", "options": {
                "a": {"label": "a", "index": "0"}}},
        }),
    );
    app.add_record(id, json!({"Text": {"value": "a"}, "Num": {"value": "1"}}));
    let limit = Duration::from_secs(10);
    let n = cases();

    // Regression: before the qs depth limit this GET overflowed a worker's stack and aborted the server.
    for path in [
        format!("/k/v1/records.json?app={id}&a{}=x", "[0]".repeat(2500)),
        format!("/k/v1/records.json?app={id}&a{}=x", "[x]".repeat(2500)),
        format!(
            "/k/v1/records.json?app={id}&{}",
            (0..700)
                .map(|i| format!("k{i}[10000]=x"))
                .collect::<Vec<_>>()
                .join("&")
        ),
    ] {
        let (s, b) = app.get(&path);
        kintone_answer(s, &b, "deep qs").expect("deep qs");
        let (s, b) = app.with_auth(kumiki_tests::Auth::None).get(&path);
        assert_eq!(s, 401, "anonymous deep qs: {b}");
    }

    // (a) the record query language through the API (parse, resolve, compile, run).
    runner(n)
        .run(&query_text(), |q| {
            let start = Instant::now();
            let (s, b) = app.get(&format!("/k/v1/records.json?app={id}&query={}", enc(&q)));
            kintone_answer(s, &b, &format!("query {q:?}"))?;
            within(limit, start, "records query")
        })
        .expect("records.json?query=");

    // (c) the search query string.
    runner(n)
        .run(&query_text(), |q| {
            let start = Instant::now();
            let (s, b) = app.get(&format!("/api/search.json?q={}", enc(&q)));
            kintone_answer(s, &b, &format!("search {q:?}"))?;
            within(limit, start, "search")
        })
        .expect("search.json?q=");

    // (d) the qs parameter parser on a real route, raw (not re-encoded).
    runner(n)
        .run(&qs_text(), |qs| {
            let start = Instant::now();
            let raw: String = qs
                .chars()
                .filter(|c| c.is_ascii_graphic() && !"#".contains(*c))
                .collect();
            let (s, b) = app.get(&format!("/k/v1/records.json?app={id}&{raw}"));
            kintone_answer(s, &b, &format!("qs {raw:?}"))?;
            within(limit, start, "qs route")
        })
        .expect("records.json?<qs>");

    // (e) multipart file names.
    runner(n / 3 + 1)
        .run(&any_text(), |name| {
            let start = Instant::now();
            let name: String = name.chars().take(300).collect();
            let part = reqwest::blocking::multipart::Part::bytes(b"x".to_vec())
                .file_name(name.clone())
                .mime_str("text/plain")
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let form = reqwest::blocking::multipart::Form::new().part("file", part);
            let resp = app
                .client
                .post(app.url("/k/v1/file.json"))
                .header(
                    "X-Cybozu-Authorization",
                    "QWRtaW5pc3RyYXRvcjphZG1pbi1wYXNzd29yZC0x",
                )
                .multipart(form)
                .send()
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let s = resp.status().as_u16();
            let text = resp.text().unwrap_or_default();
            let b: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
            kintone_answer(s, &b, &format!("file name {name:?}"))?;
            within(limit, start, "upload")
        })
        .expect("file.json upload names");
}
