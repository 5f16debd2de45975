//! Issue 17 part 2, the import page (pages/package_import.rs): an uploaded package is previewed
//! with its roles, and imported with the mapping chosen on the page. A file that is no package, a
//! forged form and an unmapped or unknown role each come back as a Japanese message on the page,
//! and a refused import writes nothing.

use kumiki_tests::{page_client, TestApp};
use reqwest::blocking::multipart::{Form, Part};
use serde_json::{json, Value};

/// A bundle of one app whose permissions name the department 福祉課 (`fukushi`); the server
/// also has 子育て支援課 (`kosodate`).
fn bundle(app: &TestApp) -> Value {
    for (code, name) in [("fukushi", "福祉課"), ("kosodate", "子育て支援課")] {
        let (s, b) = app.post(
            "/api/org/departments.json",
            json!({"code": code, "name": name}),
        );
        assert_eq!(s, 200, "{b}");
    }
    let id = app.create_app(
        "相談記録",
        json!({"内容": {"type": "SINGLE_LINE_TEXT", "code": "内容", "label": "内容"}}),
    );
    let (s, b) = app.put(
        "/k/v1/preview/app/acl.json",
        json!({"app": id, "rights": [
            {"entity": {"type": "ORGANIZATION", "code": "fukushi"}, "recordViewable": true},
            {"entity": {"type": "CREATOR"}, "appEditable": true, "recordViewable": true}
        ]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    let (s, b) = app.post("/api/packages/export.json", json!({"apps": [id]}));
    assert_eq!(s, 200, "{b}");
    b
}

/// The session's form token, read from the portal's import form.
pub(crate) fn csrf(app: &TestApp, session: &str) -> String {
    let (s, html) = app.page(session, "/");
    assert_eq!(s, 200);
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker).expect("csrf field") + marker.len();
    let end = start + html[start..].find('"').expect("csrf end");
    html[start..end].to_owned()
}

pub(crate) fn post(app: &TestApp, session: &str, path: &str, form: Form) -> (u16, String, String) {
    let resp = page_client()
        .post(app.url(path))
        .header("Cookie", session)
        .multipart(form)
        .send()
        .expect("post");
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, location, resp.text().expect("html"))
}

pub(crate) fn upload(token: &str, bytes: Vec<u8>) -> Form {
    Form::new()
        .text("_csrf", token.to_owned())
        .part("file", Part::bytes(bytes).file_name("package.json"))
}

fn app_count(app: &TestApp) -> usize {
    let (s, b) = app.get("/k/v1/apps.json");
    assert_eq!(s, 200, "{b}");
    b["apps"].as_array().map_or(0, Vec::len)
}

#[test]
fn a_bad_file_or_a_forged_form_is_refused_in_japanese() {
    let app = TestApp::spawn();
    let session = app.sign_in_form("Administrator", kumiki_tests::ADMIN_PASSWORD);
    let token = csrf(&app, &session);

    let (s, _, html) = post(
        &app,
        &session,
        "/apps/import/preview",
        upload(&token, b"not json".to_vec()),
    );
    assert_eq!(s, 200);
    assert!(html.contains("ファイルを読み込めませんでした"), "{html}");

    let (s, _, html) = post(
        &app,
        &session,
        "/apps/import/preview",
        upload(&token, br#"{"format": "something/1"}"#.to_vec()),
    );
    assert_eq!(s, 200);
    assert!(html.contains("Kumikiのパッケージではありません"), "{html}");

    let package = bundle(&app);
    let before = app_count(&app);
    let forged = upload("forged", package.to_string().into_bytes());
    let (s, _, html) = post(&app, &session, "/apps/import/preview", forged);
    assert_eq!(s, 200);
    assert!(
        !html.contains("pkgimport-roles"),
        "no preview without the token"
    );
    let forged = Form::new()
        .text("_csrf", "forged")
        .text("package", package.to_string())
        .text("role_0", "kosodate");
    let (s, _, html) = post(&app, &session, "/apps/import/confirm", forged);
    assert_eq!(s, 200);
    assert!(!html.contains("pkgimport-roles"), "{html}");
    assert_eq!(
        app_count(&app),
        before,
        "nothing imported with a forged form"
    );
}

#[test]
fn preview_then_import_with_the_mapping_and_nothing_written_when_refused() {
    let app = TestApp::spawn();
    let session = app.sign_in_form("Administrator", kumiki_tests::ADMIN_PASSWORD);
    let token = csrf(&app, &session);
    let package = bundle(&app);
    let before = app_count(&app);

    let (s, _, html) = post(
        &app,
        &session,
        "/apps/import/preview",
        upload(&token, package.to_string().into_bytes()),
    );
    assert_eq!(s, 200);
    assert!(
        html.contains("pkgimport-roles") && html.contains("福祉課"),
        "{html}"
    );
    assert!(
        html.contains("<option value=\"fukushi\" selected>"),
        "{html}"
    );

    // Unmapped, then mapped to a department that does not exist: refused in Japanese, the
    // preview shown again, nothing written.
    let confirm = |role: &str| {
        Form::new()
            .text("_csrf", token.clone())
            .text("package", package.to_string())
            .text("role_0", role.to_owned())
    };
    let (s, _, html) = post(&app, &session, "/apps/import/confirm", confirm(""));
    assert_eq!(s, 200);
    assert!(
        html.contains("次の役割の割り当て先を選んでください"),
        "{html}"
    );
    assert!(
        html.contains("pkgimport-roles"),
        "the choices stay on the page"
    );
    let (s, _, html) = post(&app, &session, "/apps/import/confirm", confirm("nowhere"));
    assert_eq!(s, 200);
    assert!(html.contains("この環境にありません"), "{html}");
    assert_eq!(app_count(&app), before, "a refused import writes nothing");

    let (s, location, _) = post(&app, &session, "/apps/import/confirm", confirm("kosodate"));
    assert_eq!(s, 303);
    let id: i64 = location
        .strip_prefix("/apps/")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{location}"));
    let (s, acl) = app.get(&format!("/k/v1/app/acl.json?app={id}"));
    assert_eq!(s, 200, "{acl}");
    assert_eq!(acl["rights"][0]["entity"]["code"], "kosodate", "{acl}");
    assert_eq!(app_count(&app), before + 1);
}

#[test]
fn a_user_who_may_not_create_apps_gets_no_preview_and_imports_nothing() {
    let app = TestApp::spawn();
    let package = bundle(&app);
    let (s, b) = app.post(
        "/api/org/users.json",
        json!({"code": "sato", "name": "佐藤", "password": "long-enough-password-1",
            "mustChangePassword": false}),
    );
    assert_eq!(s, 200, "{b}");
    // Only administrators create apps by default.
    let session = app.sign_in_form("sato", "long-enough-password-1");
    let token = csrf(&app, &session);
    let before = app_count(&app);
    let (s, _, html) = post(
        &app,
        &session,
        "/apps/import/preview",
        upload(&token, package.to_string().into_bytes()),
    );
    assert_eq!(s, 200);
    assert!(html.contains("pkgimport-error"), "{html}");
    assert!(!html.contains("pkgimport-roles"), "{html}");
    let confirm = Form::new()
        .text("_csrf", token.clone())
        .text("package", package.to_string())
        .text("role_0", "kosodate");
    let (s, _, html) = post(&app, &session, "/apps/import/confirm", confirm);
    assert_eq!(s, 200);
    assert!(html.contains("pkgimport-error"), "{html}");
    assert_eq!(app_count(&app), before);
}
