//! The search pages: the search box in the header of signed-in pages and on record lists, the results
//! page (a hit with `<mark>`, record text that stays text, an app the user may not view that never
//! shows, readable messages for a bad query and for no results, filters and paging).

use std::time::Duration;

use kumiki_tests::{TestApp, ADMIN_PASSWORD};
use serde_json::json;

const PW: &str = "search-pages-pw-1";

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

fn search_page(app: &TestApp, session: &str, params: &[(&str, &str)]) -> String {
    let qs: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect();
    let (status, html) = app.page(session, &format!("/search?{}", qs.join("&")));
    assert_eq!(status, 200, "{params:?}: {html}");
    html
}

fn text_app(app: &TestApp, name: &str) -> i64 {
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

fn hits(html: &str) -> usize {
    html.matches("data-testid=\"search-hit\"").count()
}

#[test]
fn every_signed_in_page_has_the_search_box_and_lists_have_an_app_box() {
    let app = TestApp::spawn();
    let a = text_app(&app, "文書");
    let session = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    for path in ["/", "/settings", "/search", "/admin"] {
        let (status, html) = app.page(&session, path);
        assert_eq!(status, 200, "{path}");
        assert!(
            html.contains("data-testid=\"header-search\"") && html.contains("action=\"/search\""),
            "{path} has the header box"
        );
    }
    // A record list has ONE search box, its own (records_list.js builds it, with the link to the
    // full-text search of the app): the header's is left out there.
    let (_, list) = app.page(&session, &format!("/apps/{a}"));
    assert!(!list.contains("data-testid=\"header-search\""));
    assert!(list.contains("\"hideHeaderSearch\":true"));
    assert!(list.contains("id=\"records-list\""));
    let (_, login) = app.page("", "/login");
    assert!(
        !login.contains("data-testid=\"header-search\""),
        "not before sign-in"
    );
    // Signed out, the results page sends to the sign-in page.
    let (status, _) = app.page("", "/search?q=x");
    assert_eq!(status, 303);
}

#[test]
fn results_mark_matches_link_records_and_keep_record_text_as_text() {
    let app = TestApp::spawn();
    let a = text_app(&app, "文書");
    let good = doc(&app, a, "市町村課からのお知らせ", "県の補助金について");
    let evil = doc(
        &app,
        a,
        "<script>alert('市町村')</script>",
        "<img src=x onerror=alert(1)> 市町村 & \"引用\"",
    );
    app.post(
        "/k/v1/record/comment.json",
        json!({"app": a, "record": good, "comment": {"text": "市町村へ連絡済み"}}),
    );
    app.wait_indexed(Duration::from_secs(10));
    let session = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    let html = search_page(&app, &session, &[("q", "市町村")]);
    assert_eq!(hits(&html), 2, "{html}");
    assert!(html.contains("<mark>"), "{html}");
    assert!(html.contains(&format!("href=\"/apps/{a}/records/{good}\"")));
    assert!(html.contains(&format!("href=\"/apps/{a}/records/{evil}\"")));
    assert!(html.contains("市町村課からのお知らせ"));
    assert!(
        !html.contains("<script>alert") && !html.contains("<img src=x"),
        "{html}"
    );
    assert!(
        html.contains("&lt;script&gt;alert"),
        "the title is shown as text"
    );
    assert!(
        html.contains("data-testid=\"search-facet\""),
        "per-app counts"
    );
    // Comments are found and labelled.
    let html = search_page(&app, &session, &[("q", "連絡済み")]);
    assert_eq!(hits(&html), 1);
    assert!(html.contains("コメント"));
    // Filters: kind and the one app; a field filter lists that app's fields.
    let html = search_page(&app, &session, &[("q", "市町村"), ("kind", "comment")]);
    assert_eq!(hits(&html), 1);
    let html = search_page(&app, &session, &[("q", "補助金"), ("app", &a.to_string())]);
    assert_eq!(hits(&html), 1);
    assert!(html.contains("<option value=\"本文\""), "{html}");
    assert!(
        html.contains(&format!("href=\"/apps/{a}\"")),
        "back to the list"
    );
    let html = search_page(
        &app,
        &session,
        &[("q", "市町村"), ("app", &a.to_string()), ("field", "本文")],
    );
    assert_eq!(hits(&html), 1);
    // Newest first puts the last saved record first.
    let html = search_page(&app, &session, &[("q", "市町村"), ("sort", "newest")]);
    let first = html.find(&format!("/records/{evil}\"")).unwrap();
    let second = html.find(&format!("/records/{good}\"")).unwrap();
    assert!(first < second);
}

#[test]
fn an_app_the_user_may_not_view_never_shows() {
    let app = TestApp::spawn();
    app.user("u1", PW);
    let open = text_app(&app, "公開文書");
    doc(&app, open, "職員の研修", "");
    let secret = text_app(&app, "幹部会議");
    doc(&app, secret, "職員の人事", "極秘");
    let admin = json!({"type": "USER", "code": "Administrator"});
    let (s, b) = app.put(
        "/k/v1/preview/app/acl.json",
        json!({"app": secret, "rights": [{"entity": admin, "appEditable": true, "recordViewable": true,
            "recordAddable": true, "recordEditable": true, "recordDeletable": true}]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(secret);
    app.wait_indexed(Duration::from_secs(10));
    let u1 = app.sign_in_form("u1", PW);
    let html = search_page(&app, &u1, &[("q", "職員")]);
    assert_eq!(hits(&html), 1, "{html}");
    assert!(
        !html.contains("幹部会議") && !html.contains("人事"),
        "{html}"
    );
    let html = search_page(&app, &u1, &[("q", "職員"), ("app", &secret.to_string())]);
    assert_eq!(hits(&html), 0);
    assert!(!html.contains("幹部会議") && !html.contains("人事"));
    let html = search_page(&app, &u1, &[("q", "極秘")]);
    assert!(html.contains("data-testid=\"search-empty\""));
    // The administrator sees both apps.
    let session = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    let html = search_page(&app, &session, &[("q", "職員")]);
    assert_eq!(hits(&html), 2);
    assert!(html.contains("幹部会議"));
}

#[test]
fn bad_queries_and_empty_results_get_readable_messages() {
    let app = TestApp::spawn();
    let a = text_app(&app, "文書");
    for i in 0..25 {
        doc(&app, a, &format!("議事録 {i}"), "");
    }
    app.wait_indexed(Duration::from_secs(10));
    let session = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    let html = search_page(&app, &session, &[("q", "\"閉じない")]);
    assert!(
        html.contains("data-testid=\"search-error\"") && html.contains("引用符"),
        "{html}"
    );
    let html = search_page(&app, &session, &[("q", "-除外だけ")]);
    assert!(html.contains("data-testid=\"search-error\""));
    let html = search_page(&app, &session, &[("q", "議事録"), ("from", "2026-99-01")]);
    assert!(html.contains("YYYY-MM-DD"), "{html}");
    let html = search_page(&app, &session, &[("q", "議事録"), ("app", "abc")]);
    assert!(html.contains("data-testid=\"search-error\""));
    let html = search_page(&app, &session, &[("q", "存在しない言葉")]);
    assert!(html.contains("data-testid=\"search-empty\"") && !html.contains("search-error"));
    // Paging: 25 hits, 20 a page.
    let html = search_page(&app, &session, &[("q", "議事録")]);
    assert_eq!(hits(&html), 20);
    assert!(html.contains("data-testid=\"search-next\""));
    let html = search_page(&app, &session, &[("q", "議事録"), ("offset", "20")]);
    assert_eq!(hits(&html), 5);
    assert!(html.contains("data-testid=\"search-prev\"") && !html.contains("search-next"));
}

#[test]
fn hits_name_their_field_file_and_title() {
    let app = TestApp::spawn();
    let made = crate::search::where_found(&app);
    let session = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    let html = search_page(
        &app,
        &session,
        &[("q", "県"), ("app", &made.app.to_string())],
    );
    assert_eq!(hits(&html), 20, "{html}");
    // Each hit: its title (else 「レコード #id」), where the words were found, its own snippet.
    let (untitled, ..) = &made.records[0];
    assert!(html.contains(&format!("レコード #{untitled}")), "{html}");
    assert!(html.contains(">件名7</a>"), "{html}");
    assert!(!html.contains("R7-0007"), "not the first text field");
    assert!(html.contains("data-testid=\"search-hit-badge\">明細 › 品名</span>"));
    assert!(html.contains("data-testid=\"search-hit-badge\">所在地</span>"));
    assert!(html.contains("data-testid=\"search-hit-badge\">コメント</span>"));
    assert!(html.contains("data-testid=\"search-hit-badge\">添付資料</span>"));
    let file = "data-testid=\"search-hit-file\"><span class=\"sr-only\">添付ファイル名:</span>資料9.txt</span>";
    assert!(html.contains(file), "{html}");
    for i in 0..20 {
        assert!(html.contains(&format!("第{i}号の長野")), "{i}");
    }
}
