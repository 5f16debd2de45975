//! Pages: sign-in with CSRF and lockout, sessions that end on sign-out, cookie-authenticated API calls
//! that need the CSRF header, escaping of user text, and the same answer for missing and hidden pages.

use kumiki_tests::{TestApp, ADMIN_PASSWORD};
use reqwest::blocking::Client;
use reqwest::redirect::Policy;
use serde_json::json;

fn client() -> Client {
    Client::builder().redirect(Policy::none()).build().unwrap()
}

fn cookie_value(resp: &reqwest::blocking::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

fn hidden_csrf(html: &str) -> String {
    let start = html.find("name=\"_csrf\" value=\"").unwrap() + "name=\"_csrf\" value=\"".len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

/// Signs in through the form; returns the session cookie ("__Host-kumiki_session=...").
fn sign_in(app: &TestApp, password: &str) -> Result<String, String> {
    let c = client();
    let page = c.get(app.url("/login")).send().unwrap();
    let login_cookie = cookie_value(&page, "__Host-kumiki_login_csrf").unwrap();
    let csrf = hidden_csrf(&page.text().unwrap());
    let resp = c
        .post(app.url("/login"))
        .header("Cookie", login_cookie)
        .form(&[
            ("login", "Administrator"),
            ("password", password),
            ("_csrf", &csrf),
            ("next", "/"),
        ])
        .send()
        .unwrap();
    if resp.status().as_u16() == 303 {
        Ok(cookie_value(&resp, "__Host-kumiki_session").unwrap())
    } else {
        Err(resp.text().unwrap())
    }
}

fn page_csrf(app: &TestApp, session: &str) -> String {
    let html = client()
        .get(app.url("/"))
        .header("Cookie", session)
        .send()
        .unwrap()
        .text()
        .unwrap();
    let marker = "<script type=\"application/json\" id=\"kumiki-session\">\"";
    let start = html.find(marker).unwrap() + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

#[test]
fn sign_in_needs_the_form_token_and_locks_after_repeated_failures() {
    let app = TestApp::spawn();
    let resp = client()
        .post(app.url("/login"))
        .form(&[
            ("login", "Administrator"),
            ("password", ADMIN_PASSWORD),
            ("_csrf", "forged"),
        ])
        .send()
        .unwrap();
    assert_eq!(
        resp.status().as_u16(),
        200,
        "a forged form does not sign in"
    );
    assert!(cookie_value(&resp, "__Host-kumiki_session").is_none());
    for _ in 0..5 {
        let body = sign_in(&app, "wrong-password").unwrap_err();
        assert!(
            body.contains("正しくありません") || body.contains("ロック"),
            "{body}"
        );
    }
    let body = sign_in(&app, ADMIN_PASSWORD).unwrap_err();
    assert!(
        body.contains("ロック"),
        "locked even with the right password: {body}"
    );
}

#[test]
fn cookie_sessions_need_the_csrf_header_for_writes_and_end_on_sign_out() {
    let app = TestApp::spawn();
    let id = app.create_app("a", kumiki_tests::sample_fields());
    let session = sign_in(&app, ADMIN_PASSWORD).unwrap();
    let c = client();
    let get = c
        .get(app.url(&format!("/k/v1/records.json?app={id}")))
        .header("Cookie", &session)
        .send()
        .unwrap();
    assert_eq!(
        get.status().as_u16(),
        200,
        "reads work with the cookie alone"
    );
    let body = json!({"app": id, "record": {}});
    let post = c
        .post(app.url("/k/v1/record.json"))
        .header("Cookie", &session)
        .json(&body)
        .send()
        .unwrap();
    assert_eq!(
        post.status().as_u16(),
        403,
        "a write without the CSRF header is refused"
    );
    let csrf = page_csrf(&app, &session);
    let post = c
        .post(app.url("/k/v1/record.json"))
        .header("Cookie", &session)
        .header("X-CSRF-Token", &csrf)
        .json(&body)
        .send()
        .unwrap();
    assert_eq!(post.status().as_u16(), 200);
    let out = c
        .post(app.url("/logout"))
        .header("Cookie", &session)
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .unwrap();
    assert_eq!(out.status().as_u16(), 303);
    let after = c
        .get(app.url(&format!("/k/v1/records.json?app={id}")))
        .header("Cookie", &session)
        .send()
        .unwrap();
    assert_eq!(
        after.status().as_u16(),
        401,
        "the old cookie stops working at once"
    );
}

#[test]
fn user_text_is_escaped_and_missing_pages_say_not_found() {
    let app = TestApp::spawn();
    let (s, _) = app.post(
        "/k/v1/preview/app.json",
        json!({"name": "<script>alert(1)</script>台帳"}),
    );
    assert_eq!(s, 200);
    let session = sign_in(&app, ADMIN_PASSWORD).unwrap();
    let html = client()
        .get(app.url("/"))
        .header("Cookie", &session)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;台帳"));
    let resp = client()
        .get(app.url("/no/such/page"))
        .header("Cookie", &session)
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    assert!(resp.text().unwrap().contains("ページが見つかりません"));
    let resp = client().get(app.url("/")).send().unwrap();
    assert_eq!(resp.status().as_u16(), 303, "pages need a session");
}

#[test]
fn one_address_trying_many_logins_is_locked_too() {
    let app = TestApp::spawn();
    let c = client();
    for i in 0..20 {
        let page = c.get(app.url("/login")).send().unwrap();
        let login_cookie = cookie_value(&page, "__Host-kumiki_login_csrf").unwrap();
        let csrf = hidden_csrf(&page.text().unwrap());
        let login = format!("user{i}");
        c.post(app.url("/login"))
            .header("Cookie", login_cookie)
            .form(&[
                ("login", login.as_str()),
                ("password", "guess-1234"),
                ("_csrf", csrf.as_str()),
            ])
            .send()
            .unwrap();
    }
    let body = sign_in(&app, ADMIN_PASSWORD).unwrap_err();
    assert!(body.contains("ロック"), "{body}");
}
