//! General app settings (`preview/app/settings.json`): icon, record title field, default view and
//! description round trip to the live app; bad values are refused with kintone's 400 and nothing is
//! written; only administrators switch "require review"; the portal, the app's icon URL and search
//! hits follow the settings.

use kumiki_tests::{Auth, TestApp};
use serde_json::{json, Value};

const PW: &str = "password-123";

/// 備品貸出管理 with a few fields and two views; returns (app id, id of the view 貸出中).
fn loan_app(app: &TestApp) -> (i64, String) {
    let id = app.create_app(
        "備品貸出管理",
        json!({
            "備品名": {"type": "SINGLE_LINE_TEXT", "code": "備品名", "label": "備品名"},
            "管理番号": {"type": "SINGLE_LINE_TEXT", "code": "管理番号", "label": "管理番号"},
            "数量": {"type": "NUMBER", "code": "数量", "label": "数量"},
            "備考": {"type": "MULTI_LINE_TEXT", "code": "備考", "label": "備考"},
        }),
    );
    let (s, b) = app.put(
        "/k/v1/preview/app/views.json",
        json!({"app": id, "views": {
            "すべて": {"type": "LIST", "index": "0", "fields": ["備品名", "管理番号"]},
            "貸出中": {"type": "LIST", "index": "1", "fields": ["管理番号", "備品名", "数量"]},
        }}),
    );
    assert_eq!(s, 200, "{b}");
    let view = b["views"]["貸出中"]["id"].as_str().unwrap().to_owned();
    app.deploy(id);
    (id, view)
}

fn settings(app: &TestApp, id: i64, preview: bool) -> Value {
    let stage = if preview { "preview/" } else { "" };
    let (s, b) = app.get(&format!("/k/v1/{stage}app/settings.json?app={id}"));
    assert_eq!(s, 200, "{b}");
    b
}

#[test]
fn icon_title_field_and_default_view_round_trip_to_the_live_app() {
    let app = TestApp::spawn();
    let (id, view) = loan_app(&app);

    // Defaults: kintone's preset icon, the title resolved automatically, no default view.
    let b = settings(&app, id, true);
    assert_eq!(b["icon"], json!({"type": "PRESET", "key": "APP72"}));
    assert_eq!(
        b["titleField"],
        json!({"selectionMode": "AUTO", "code": "備品名"})
    );
    assert!(b.get("defaultView").is_none(), "{b}");

    let (s, b) = app.put(
        "/k/v1/preview/app/settings.json",
        json!({"app": id, "icon": {"type": "PRESET", "key": "box"},
               "titleField": {"selectionMode": "MANUAL", "code": "管理番号"},
               "defaultView": view, "description": "総務課の備品の貸出と返却を記録します。"}),
    );
    assert_eq!(s, 200, "{b}");
    // Pre-live only until published.
    let live = settings(&app, id, false);
    assert_eq!(live["icon"]["key"], "APP72");
    let pre = settings(&app, id, true);
    assert_eq!(pre["icon"], json!({"type": "PRESET", "key": "box"}));
    assert_eq!(pre["defaultView"], view);
    app.deploy(id);

    let live = settings(&app, id, false);
    assert_eq!(live["icon"], json!({"type": "PRESET", "key": "box"}));
    assert_eq!(
        live["titleField"],
        json!({"selectionMode": "MANUAL", "code": "管理番号"})
    );
    assert_eq!(live["defaultView"], view, "the list page reads it here");
    assert_eq!(
        live["description"],
        "総務課の備品の貸出と返却を記録します。"
    );

    // Search hits are titled by the chosen field.
    app.add_record(
        id,
        json!({"備品名": {"value": "プロジェクター"}, "管理番号": {"value": "備-0042"}}),
    );
    app.wait_indexed(std::time::Duration::from_secs(20));
    let (s, b) = app
        .get("/api/search.json?q=%E3%83%97%E3%83%AD%E3%82%B8%E3%82%A7%E3%82%AF%E3%82%BF%E3%83%BC");
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["hits"][0]["title"], "備-0042", "{b}");

    // The portal and the app's icon URL show the icon.
    let session = app.sign_in_form("Administrator", kumiki_tests::ADMIN_PASSWORD);
    let (s, html) = app.page(&session, "/");
    assert_eq!(s, 200);
    assert!(
        html.contains("/static/app-icons/box.svg"),
        "portal shows the icon"
    );
    let resp = kumiki_tests::page_client()
        .get(app.url(&format!("/apps/{id}/icon.svg")))
        .header("Cookie", &session)
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 302);
    assert_eq!(
        resp.headers()["location"].to_str().unwrap(),
        "/static/app-icons/box.svg"
    );
    let (s, svg) = app.page(&session, "/static/app-icons/box.svg");
    assert_eq!(s, 200);
    assert!(svg.starts_with("<svg"), "{svg}");

    // Back to automatic, no default view.
    let (s, b) = app.put(
        "/k/v1/preview/app/settings.json",
        json!({"app": id, "titleField": {"selectionMode": "AUTO"}, "defaultView": ""}),
    );
    assert_eq!(s, 200, "{b}");
    let pre = settings(&app, id, true);
    assert_eq!(
        pre["titleField"],
        json!({"selectionMode": "AUTO", "code": "備品名"})
    );
    assert!(pre.get("defaultView").is_none(), "{pre}");
}

#[test]
fn a_deleted_default_view_is_no_longer_reported() {
    let app = TestApp::spawn();
    let (id, view) = loan_app(&app);
    let (s, b) = app.put(
        "/k/v1/preview/app/settings.json",
        json!({"app": id, "defaultView": view}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.put(
        "/k/v1/preview/app/views.json",
        json!({"app": id, "views": {"すべて": {"type": "LIST", "index": "0", "fields": ["備品名"]}}}),
    );
    assert_eq!(s, 200, "{b}");
    assert!(settings(&app, id, true).get("defaultView").is_none());
}

#[test]
fn bad_title_field_default_view_or_icon_is_refused_and_nothing_is_written() {
    let app = TestApp::spawn();
    let (id, _) = loan_app(&app);
    let before = settings(&app, id, true);
    let cases = [
        (
            json!({"titleField": {"selectionMode": "MANUAL", "code": "無い項目"}}),
            "titleField.code",
        ),
        (
            json!({"titleField": {"selectionMode": "MANUAL", "code": "備考"}}),
            "titleField.code",
        ),
        (
            json!({"titleField": {"selectionMode": "SOMETIMES"}}),
            "titleField.selectionMode",
        ),
        (json!({"defaultView": "999"}), "defaultView"),
        (
            json!({"icon": {"type": "PRESET", "key": "rocket"}}),
            "icon.key",
        ),
        (
            json!({"icon": {"type": "FILE", "file": {"fileKey": "x"}}}),
            "icon.type",
        ),
    ];
    for (bad, key) in cases {
        // A valid change beside the bad one is not written either.
        let mut body = json!({"app": id, "name": "変わってはいけない"});
        for (k, v) in bad.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (s, b) = app.put("/k/v1/preview/app/settings.json", body);
        assert_eq!(s, 400, "{bad}: {b}");
        assert_eq!(b["code"], "CB_VA01", "{b}");
        let messages = &b["errors"][key]["messages"];
        assert!(
            messages[0].as_str().is_some_and(|m| !m.is_empty()),
            "{key}: {b}"
        );
    }
    let after = settings(&app, id, true);
    assert_eq!(after, before, "nothing was written");
}

#[test]
fn only_administrators_switch_require_review() {
    let app = TestApp::spawn();
    app.user("sato", PW);
    let sato = app.with_auth(Auth::Password("sato".into(), PW.into()));
    app.allow_app_creation_by_everyone();
    let (s, b) = sato.post("/k/v1/preview/app.json", json!({"name": "備品貸出管理"}));
    assert_eq!(s, 200, "{b}");
    let id: i64 = b["app"].as_str().unwrap().parse().unwrap();

    // The builder manages the app but may not switch review on or off.
    let (s, b) = sato.put(
        "/k/v1/preview/app/settings.json",
        json!({"app": id, "requireReview": true, "icon": {"type": "PRESET", "key": "box"}}),
    );
    assert_eq!((s, b["code"].as_str()), (403, Some("CB_NO02")), "{b}");
    let (s, b) = app.put(
        "/k/v1/preview/app/settings.json",
        json!({"app": id, "requireReview": true}),
    );
    assert_eq!(s, 200, "{b}");
    // Sending the current value back with other changes is fine (the page does).
    let (s, b) = sato.put(
        "/k/v1/preview/app/settings.json",
        json!({"app": id, "requireReview": true, "icon": {"type": "PRESET", "key": "box"}}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = sato.put(
        "/k/v1/preview/app/settings.json",
        json!({"app": id, "requireReview": false}),
    );
    assert_eq!(s, 403, "{b}");
    let (s, b) = sato.get(&format!("/k/v1/preview/app/settings.json?app={id}"));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["requireReview"], true);
    assert_eq!(b["icon"]["key"], "box");
}
