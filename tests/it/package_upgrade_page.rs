//! Issue 17 part 3, upgrades on the import page (pages/package_import.rs, package_upgrade.rs): the
//! preview of a newer version shows the 「更新」 section (the app, the diff, the warning for a
//! setting changed here) and 「更新する」 upgrades; the same and an older version, and a type
//! change the records refuse, are shown as problems in Japanese, with no button to import.

use kumiki_tests::TestApp;
use reqwest::blocking::multipart::Form;
use serde_json::{json, Value};

use super::package_import_page::{csrf, post, upload};

fn text(code: &str) -> Value {
    json!({"type": "SINGLE_LINE_TEXT", "code": code, "label": code})
}

fn relabel(app: &TestApp, id: i64, code: &str, label: &str) {
    let (s, b) = app.put(
        "/k/v1/preview/app/form/fields.json",
        json!({"app": id, "properties": {code: {"type": "SINGLE_LINE_TEXT", "code": code, "label": label}}}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
}

fn export(src: &TestApp, id: i64, version: &str) -> Value {
    let (s, b) = src.post(
        "/api/packages/export.json",
        json!({"apps": [id], "packageId": "bihin", "version": version}),
    );
    assert_eq!(s, 200, "{b}");
    b
}

/// Version 1 of 備品台帳 exported at `src` and installed at `dst`, with one record there; returns
/// (the source app, the installed app, version 1).
fn installed(src: &TestApp, dst: &TestApp) -> (i64, i64, Value) {
    let app = src.create_app(
        "備品台帳",
        json!({"品名": text("品名"), "場所": text("場所")}),
    );
    let v1 = export(src, app, "1");
    let (s, b) = dst.post("/api/packages/import.json", json!({"package": v1}));
    assert_eq!(s, 200, "{b}");
    let id: i64 = b["apps"][0]["app"].as_str().unwrap().parse().unwrap();
    dst.add_record(
        id,
        json!({"品名": {"value": "机"}, "場所": {"value": "2階"}}),
    );
    (app, id, v1)
}

fn preview(app: &TestApp, session: &str, token: &str, package: &Value) -> String {
    let (s, _, html) = post(
        app,
        session,
        "/apps/import/preview",
        upload(token, package.to_string().into_bytes()),
    );
    assert_eq!(s, 200);
    html
}

#[test]
fn the_preview_shows_the_upgrade_and_its_button_upgrades() {
    let src = TestApp::spawn();
    let dst = TestApp::spawn();
    let (app, installed, v1) = installed(&src, &dst);
    // Changed here, and differently in version 2: the page warns that it is overwritten.
    relabel(&dst, installed, "場所", "保管場所");
    relabel(&src, app, "場所", "設置場所");
    let (s, b) = src.post(
        "/k/v1/preview/app/form/fields.json",
        json!({"app": app, "properties": {"備考": text("備考")}}),
    );
    assert_eq!(s, 200, "{b}");
    src.deploy(app);
    let v2 = export(&src, app, "2");

    let session = dst.sign_in_form("Administrator", kumiki_tests::ADMIN_PASSWORD);
    let token = csrf(&dst, &session);
    let html = preview(&dst, &session, &token, &v2);
    assert!(html.contains("data-testid=\"pkgimport-upgrade\""), "{html}");
    assert!(html.contains("bihin: 1 → 2"), "{html}");
    // Nothing is created: the apps are the package's.
    assert!(html.contains("<h2>パッケージのアプリ</h2>"), "{html}");
    assert!(!html.contains("作成されるアプリ"), "{html}");
    assert!(
        html.contains(&format!("更新するアプリ： 備品台帳 (#{installed})")),
        "{html}"
    );
    assert!(html.contains("data-testid=\"pkgimport-local-changes\""));
    assert!(html.contains("この環境で変更した次の設定は、新しい版の内容で上書きされます。"));
    assert!(html.contains("<li>フィールド『保管場所』</li>"), "{html}");
    // The diff reads as on the review page (no message keys left).
    assert!(html.contains("備考") && html.contains("設置場所"), "{html}");
    assert!(!html.contains("review.say."), "{html}");
    assert!(!html.contains("pkgimport-problems"), "{html}");
    assert!(
        html.contains("data-testid=\"pkgimport-submit\">更新する</button>"),
        "{html}"
    );
    // An upgrade brings no records: the choice is not offered.
    assert!(!html.contains("pkgimport-with-records"));

    let confirm = Form::new()
        .text("_csrf", token.clone())
        .text("package", v2.to_string());
    let (s, location, _) = post(&dst, &session, "/apps/import/confirm", confirm);
    assert_eq!(s, 303);
    assert_eq!(location, format!("/apps/{installed}"));
    let (_, f) = dst.get(&format!("/k/v1/app/form/fields.json?app={installed}"));
    assert_eq!(f["properties"]["場所"]["label"], "設置場所", "{f}");
    assert!(f["properties"].get("備考").is_some(), "{f}");
    let (_, r) = dst.get(&format!("/k/v1/records.json?app={installed}"));
    assert_eq!(r["records"].as_array().unwrap().len(), 1, "{r}");
    let (_, apps) = dst.get("/k/v1/apps.json");
    assert_eq!(apps["apps"].as_array().unwrap().len(), 1, "{apps}");

    // The same version again, and the older one: problems in Japanese, no button.
    let html = preview(&dst, &session, &token, &v2);
    assert!(
        html.contains("data-testid=\"pkgimport-problems\""),
        "{html}"
    );
    assert!(
        html.contains("このパッケージの版 2 はすでに読み込まれています。"),
        "{html}"
    );
    assert!(!html.contains("pkgimport-submit"), "{html}");
    assert!(
        !html.contains("data-testid=\"pkgimport-upgrade\""),
        "no apps to upgrade beside the problem: {html}"
    );
    let html = preview(&dst, &session, &token, &v1);
    assert!(
        html.contains("版 1 は読み込まれている版 2 より古いため読み込めません。"),
        "{html}"
    );
    assert!(!html.contains("pkgimport-submit"), "{html}");
    // Posting the form anyway is refused on the page, nothing changes.
    let confirm = Form::new()
        .text("_csrf", token.clone())
        .text("package", v1.to_string());
    let (s, _, html) = post(&dst, &session, "/apps/import/confirm", confirm);
    assert_eq!(s, 200);
    assert!(html.contains("data-testid=\"pkgimport-error\""), "{html}");
    assert!(html.contains("より古いため"), "{html}");
    let (_, f) = dst.get(&format!("/k/v1/app/form/fields.json?app={installed}"));
    assert!(
        f["properties"].get("備考").is_some(),
        "still version 2: {f}"
    );
}

#[test]
fn a_type_change_the_records_refuse_is_a_problem_on_the_page() {
    let src = TestApp::spawn();
    let dst = TestApp::spawn();
    let (app, installed, _) = installed(&src, &dst);
    let (s, b) = src.delete(
        "/k/v1/preview/app/form/fields.json",
        json!({"app": app, "fields": ["場所"]}),
    );
    assert_eq!(s, 200, "{b}");
    src.deploy(app);
    let (s, b) = src.post(
        "/k/v1/preview/app/form/fields.json",
        json!({"app": app, "properties": {"場所": {"type": "DATE", "code": "場所", "label": "場所"}}}),
    );
    assert_eq!(s, 200, "{b}");
    src.deploy(app);
    let v2 = export(&src, app, "2");

    let session = dst.sign_in_form("Administrator", kumiki_tests::ADMIN_PASSWORD);
    let token = csrf(&dst, &session);
    let html = preview(&dst, &session, &token, &v2);
    assert!(
        html.contains(
            "アプリ「備品台帳」を更新できません：フィールド「場所」の種類（文字列（1行） → 日付）は、アプリにレコードがあるため変えられません。"
        ),
        "{html}"
    );
    assert!(!html.contains("pkgimport-submit"), "{html}");
    let confirm = Form::new()
        .text("_csrf", token)
        .text("package", v2.to_string());
    let (s, _, html) = post(&dst, &session, "/apps/import/confirm", confirm);
    assert_eq!(s, 200);
    assert!(html.contains("を更新できません"), "{html}");
    let (_, f) = dst.get(&format!("/k/v1/app/form/fields.json?app={installed}"));
    assert_eq!(f["properties"]["場所"]["type"], "SINGLE_LINE_TEXT", "{f}");
}
