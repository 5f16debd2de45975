//! The search index page for administrators (`/admin/search`: position, lag, documents, size, last
//! commit, unreadable files, the rebuild command) and the `/api/search` alias of
//! `/api/search.json`.

use std::time::{Duration, Instant};

use kumiki_tests::{Auth, TestApp, ADMIN_PASSWORD};
use serde_json::json;

const PW: &str = "search-admin-pw-1";

/// The text of the element carrying `data-testid="<id>"` (up to its first tag).
fn cell<'a>(html: &'a str, id: &str) -> &'a str {
    let marker = format!("data-testid=\"{id}\">");
    let start = html.find(&marker).unwrap_or_else(|| panic!("{id}: {html}")) + marker.len();
    let rest = &html[start..];
    rest[..rest.find('<').unwrap()].trim()
}

fn notes_app(app: &TestApp) -> i64 {
    let id = app.create_app(
        "議事録",
        json!({"本文": {"type": "MULTI_LINE_TEXT", "code": "本文", "label": "本文"}}),
    );
    for text in ["予算の審議", "条例の改正", "予算の執行"] {
        app.add_record(id, json!({"本文": {"value": text}}));
    }
    id
}

#[test]
fn an_administrator_sees_the_index_status_with_numbers() {
    let app = TestApp::spawn();
    notes_app(&app);
    app.wait_indexed(Duration::from_secs(10));
    let (_, status) = app.get("/api/search/status.json");
    assert!(status["documents"].as_u64().unwrap() >= 3, "{status}");
    assert!(
        status["lastCommitAt"].as_i64().unwrap() > 0,
        "the indexer committed: {status}"
    );
    let session = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    let (s, index) = app.page(&session, "/admin");
    assert_eq!(s, 200);
    assert!(index.contains("href=\"/admin/search\""), "linked: {index}");
    let (s, html) = app.page(&session, "/admin/search");
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("検索インデックス"), "Japanese by default");
    assert!(html.contains("kumiki index rebuild"), "the rebuild help");
    assert_eq!(
        cell(&html, "index-head"),
        status["logHead"].to_string(),
        "{html}"
    );
    assert_eq!(cell(&html, "index-applied"), cell(&html, "index-head"));
    assert_eq!(cell(&html, "index-lag-rows"), "0");
    let documents: u64 = cell(&html, "index-documents").parse().unwrap();
    assert!(documents >= 3, "{html}");
    assert!(cell(&html, "index-size").ends_with('B'), "{html}");
    let last_commit = cell(&html, "index-last-commit");
    assert!(
        last_commit.len() == 19 && last_commit.starts_with("20"),
        "a local time: {last_commit}"
    );
    assert!(html.contains("data-testid=\"index-no-failed-files\""));
    // English is one click away (the header's language form).
    let marker = "name=\"_csrf\" value=\"";
    let at = html.find(marker).unwrap() + marker.len();
    let csrf = &html[at..at + html[at..].find('"').unwrap()];
    let resp = kumiki_tests::page_client()
        .post(app.url("/lang"))
        .header("Cookie", &session)
        .form(&[("lang", "en"), ("_csrf", csrf)])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    let (s, html) = app.page(&session, "/admin/search");
    assert_eq!(s, 200);
    assert!(html.contains("<html lang=\"en\""), "{html}");
    assert!(html.contains("Search index") && html.contains("Lag (rows)"));
    assert!(html.contains("kumiki index rebuild"));
}

#[test]
fn an_unreadable_attached_file_is_listed_with_its_reason() {
    let app = TestApp::spawn();
    let a = app.create_app(
        "添付",
        json!({"添付": {"type": "FILE", "code": "添付", "label": "添付"}}),
    );
    let part = reqwest::blocking::multipart::Part::bytes(b"%PDF-1.4 not really".to_vec())
        .file_name("壊れた<資料>.pdf")
        .mime_str("application/pdf")
        .unwrap();
    let resp = app
        .client
        .post(app.url("/k/v1/file.json"))
        // kintone's password header: base64 of `Administrator:<ADMIN_PASSWORD>`.
        .header(
            "X-Cybozu-Authorization",
            "QWRtaW5pc3RyYXRvcjphZG1pbi1wYXNzd29yZC0x",
        )
        .multipart(reqwest::blocking::multipart::Form::new().part("file", part))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let key = resp.json::<serde_json::Value>().unwrap()["fileKey"]
        .as_str()
        .unwrap()
        .to_owned();
    let record = app.add_record(a, json!({"添付": {"value": [{"fileKey": key}]}}));
    let start = Instant::now();
    let failed = loop {
        let (_, b) = app.get("/api/search/status.json");
        if let Some(f) = b["failedFiles"].as_array().and_then(|f| f.first()) {
            break f.clone();
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "never failed: {b}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let session = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    let (s, html) = app.page(&session, "/admin/search");
    assert_eq!(s, 200);
    assert!(
        html.contains("data-testid=\"index-failed-files\""),
        "{html}"
    );
    assert!(
        html.contains("壊れた&lt;資料&gt;.pdf"),
        "the name, escaped: {html}"
    );
    assert!(html.contains(&format!("href=\"/apps/{a}/records/{record}\"")));
    let reason = failed["error"].as_str().unwrap();
    assert!(!reason.is_empty());
    let first_words: String = reason.chars().take(10).collect();
    assert!(
        html.contains(
            first_words
                .split(['<', '>', '&', '"', '\''])
                .next()
                .unwrap()
        ),
        "the reason: {reason} in {html}"
    );
}

#[test]
fn others_get_no_index_status() {
    let app = TestApp::spawn();
    app.user("u1", PW);
    let session = app.sign_in_form("u1", PW);
    let (s, html) = app.page(&session, "/admin/search");
    assert_eq!(s, 404, "not found, as anything they may not see");
    assert!(!html.contains("index-status"));
    let (s, _) = app.page("", "/admin/search");
    assert_eq!(s, 303, "signed out: to the sign-in page");
    let (s, b) = app
        .with_auth(Auth::Password("u1".into(), PW.into()))
        .get("/api/search/status.json");
    assert_eq!((s, b["code"].as_str()), (403, Some("CB_NO02")), "{b}");
}

#[test]
fn api_search_without_json_answers_like_api_search_json() {
    let app = TestApp::spawn();
    let a = notes_app(&app);
    app.wait_indexed(Duration::from_secs(10));
    let q = format!("q={}&app={a}", "%E4%BA%88%E7%AE%97");
    let (s1, with_json) = app.get(&format!("/api/search.json?{q}"));
    let (s2, without) = app.get(&format!("/api/search?{q}"));
    assert_eq!((s1, s2), (200, 200), "{with_json} {without}");
    assert_eq!(without["total"], 2, "{without}");
    assert_eq!(with_json, without);
    // Bad input gets the same error envelope.
    let (s, b) = app.get("/api/search?q=%22open");
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["code"], "CB_VA01");
    // A non-admin user searches too (permission-filtered), API tokens as well.
    app.user("u1", PW);
    let (s, b) = app
        .with_auth(Auth::Password("u1".into(), PW.into()))
        .get(&format!("/api/search?{q}"));
    assert_eq!(s, 200, "{b}");
    // Only `search` has the alias: other Kumiki APIs keep their `.json`.
    let (s, _) = app.get("/api/search/status");
    assert_eq!(s, 404);
}
