//! The form designer's API: `POST /api/app/formula/check.json` checks a CALC formula against the
//! pre-live definition (or the designer's unsaved fields) without saving anything.

use kumiki_tests::{Auth, TestApp, ADMIN_PASSWORD};
use serde_json::{json, Value};

const CHECK: &str = "/api/app/formula/check.json";

fn messages(body: &Value) -> String {
    body["errors"]["expression"]["messages"].to_string()
}

fn app_with_numbers(app: &TestApp) -> i64 {
    app.create_app(
        "formula",
        json!({
            "price": {"type": "NUMBER", "code": "price", "label": "単価"},
            "quantity": {"type": "NUMBER", "code": "quantity", "label": "数量"},
            "note": {"type": "SINGLE_LINE_TEXT", "code": "note", "label": "備考"},
            "items": {"type": "SUBTABLE", "code": "items", "label": "明細", "fields": {
                "unit": {"type": "NUMBER", "code": "unit", "label": "単価"},
                "count": {"type": "NUMBER", "code": "count", "label": "個数"}
            }}
        }),
    )
}

#[test]
fn a_valid_formula_is_accepted_and_nothing_is_saved() {
    let app = TestApp::spawn();
    let id = app_with_numbers(&app);
    let (_, before) = app.get(&format!("/k/v1/preview/app/form/fields.json?app={id}"));
    let (s, b) = app.post(CHECK, json!({"app": id, "expression": "price * quantity"}));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b, json!({"ok": true}));
    let (_, after) = app.get(&format!("/k/v1/preview/app/form/fields.json?app={id}"));
    assert_eq!(before, after, "checking writes nothing");
}

#[test]
fn syntax_errors_and_unknown_fields_are_reported_under_expression() {
    let app = TestApp::spawn();
    let id = app_with_numbers(&app);
    let (s, b) = app.post(CHECK, json!({"app": id, "expression": "price * (quantity"}));
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["code"], "CB_VA01");
    assert!(messages(&b).contains("character"), "{b}");

    let (s, b) = app.post(
        CHECK,
        json!({"app": id, "expression": "price * missing_field"}),
    );
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["code"], "CB_VA01");
    assert!(messages(&b).contains("missing_field"), "{b}");

    let (s, b) = app.post(CHECK, json!({"app": id, "expression": "  "}));
    assert_eq!(s, 400, "{b}");
    assert!(b["errors"]["expression"]["messages"].is_array(), "{b}");
}

#[test]
fn a_formula_in_a_table_may_use_the_row_and_a_self_reference_is_circular() {
    let app = TestApp::spawn();
    let id = app_with_numbers(&app);
    let (s, b) = app.post(
        CHECK,
        json!({"app": id, "expression": "unit * count", "subtable": "items", "code": "line_total"}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.post(
        CHECK,
        json!({"app": id, "expression": "price + total", "code": "total"}),
    );
    assert_eq!(s, 400, "{b}");
    assert!(!messages(&b).is_empty(), "{b}");
    let (s, b) = app.post(
        CHECK,
        json!({"app": id, "expression": "unit", "subtable": "no_such_table"}),
    );
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["code"], "CB_VA01");
}

#[test]
fn unsaved_fields_sent_by_the_designer_are_used() {
    let app = TestApp::spawn();
    let id = app_with_numbers(&app);
    let (s, _) = app.post(CHECK, json!({"app": id, "expression": "tax_rate * price"}));
    assert_eq!(s, 400, "tax_rate is not saved yet");
    let (_, fields) = app.get(&format!("/k/v1/preview/app/form/fields.json?app={id}"));
    let mut draft = fields["properties"].clone();
    draft["tax_rate"] = json!({"type": "NUMBER", "code": "tax_rate", "label": "税率"});
    let (s, b) = app.post(
        CHECK,
        json!({"app": id, "expression": "tax_rate * price", "properties": draft}),
    );
    assert_eq!(s, 200, "{b}");
}

#[test]
fn the_check_needs_the_manage_right_and_an_existing_app() {
    let app = TestApp::spawn();
    let id = app_with_numbers(&app);
    let (s, b) = app
        .with_auth(Auth::None)
        .post(CHECK, json!({"app": id, "expression": "1"}));
    assert_eq!(s, 401, "{b}");
    let token = app.token(id, "view,add,edit,delete");
    let (s, b) = app
        .with_auth(Auth::Tokens(token))
        .post(CHECK, json!({"app": id, "expression": "1"}));
    assert!(
        s == 403 || s == 400,
        "an API token cannot manage the app: {s} {b}"
    );
    let (s, b) = app.post(CHECK, json!({"app": 99999, "expression": "1"}));
    assert_eq!(s, 404, "{b}");
    assert_eq!(b["code"], "GAIA_AP01");
}

fn cookie_value(resp: &reqwest::blocking::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).expect("start marker") + start.len();
    let len = text[from..].find(end).expect("end marker");
    &text[from..from + len]
}

/// Signs in through the form; returns the session cookie.
fn sign_in(app: &TestApp, client: &reqwest::blocking::Client) -> String {
    let page = client.get(app.url("/login")).send().expect("login page");
    let login_cookie = cookie_value(&page, "__Host-kumiki_login_csrf").expect("login cookie");
    let html = page.text().expect("html");
    let csrf = between(&html, "name=\"_csrf\" value=\"", "\"").to_owned();
    let resp = client
        .post(app.url("/login"))
        .header("Cookie", login_cookie)
        .form(&[
            ("login", "Administrator"),
            ("password", ADMIN_PASSWORD),
            ("_csrf", csrf.as_str()),
            ("next", "/"),
        ])
        .send()
        .expect("sign in");
    assert_eq!(resp.status().as_u16(), 303);
    cookie_value(&resp, "__Host-kumiki_session").expect("session cookie")
}

#[test]
fn the_designer_page_needs_sign_in_and_exists_only_for_real_apps() {
    let app = TestApp::spawn();
    let id = app_with_numbers(&app);
    let client = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let resp = client
        .get(app.url(&format!("/apps/{id}/settings")))
        .send()
        .expect("request");
    assert_eq!(
        resp.status().as_u16(),
        303,
        "signed-out users are sent to sign in"
    );
    let location = resp
        .headers()
        .get("Location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(location.starts_with("/login"), "{location}");

    let session = sign_in(&app, &client);
    let resp = client
        .get(app.url(&format!("/apps/{id}/settings")))
        .header("Cookie", &session)
        .send()
        .expect("designer");
    assert_eq!(resp.status().as_u16(), 200);
    let html = resp.text().expect("html");
    assert!(
        html.contains("data-testid=\"canvas\""),
        "the canvas is there"
    );
    assert!(
        html.contains("/static/designer.js"),
        "the designer script is loaded"
    );
    let page_data: Value = serde_json::from_str(between(&html, "id=\"kumiki-page\">", "</script>"))
        .expect("page data");
    assert_eq!(page_data["app"], id);
    assert_eq!(
        page_data["unpublished"], false,
        "a freshly deployed app has nothing to publish"
    );
    let csrf: String =
        serde_json::from_str(between(&html, "id=\"kumiki-session\">", "</script>")).expect("csrf");

    // The page's own calls: the session cookie plus the CSRF header.
    let resp = client
        .post(app.url(CHECK))
        .header("Cookie", &session)
        .header("X-CSRF-Token", csrf)
        .json(&json!({"app": id, "expression": "price * 2"}))
        .send()
        .expect("check");
    assert_eq!(resp.status().as_u16(), 200);

    for missing in ["/apps/99999/settings", "/apps/abc/settings"] {
        let resp = client
            .get(app.url(missing))
            .header("Cookie", &session)
            .send()
            .expect("missing");
        assert_eq!(resp.status().as_u16(), 404, "{missing}");
    }
}
