//! The process settings page's APIs: the live diagram preview (`POST /api/app/diagram.svg`) of
//! settings not saved yet — manage right, the same checks as `preview/app/status.json`, nothing
//! stored — and the directory its picker searches (`GET /api/directory.json`), readable by every
//! signed-in user, not by API tokens. The page itself for managers only.

use kumiki_tests::{Auth, Client2, TestApp};
use serde_json::{json, Value};

const PW: &str = "process-settings-pw-1";

fn as_user<'a>(app: &'a TestApp, login: &str) -> Client2<'a> {
    app.with_auth(Auth::Password(login.into(), PW.into()))
}

/// 備品貸出管理 with a user field; `tanaka` manages it (app ACL), `suzuki` may only use it.
fn lending_app(app: &TestApp) -> i64 {
    let id = app.create_app(
        "備品貸出管理",
        json!({
            "備品名": {"type": "SINGLE_LINE_TEXT", "code": "備品名", "label": "備品名"},
            "区分": {"type": "DROP_DOWN", "code": "区分", "label": "区分", "options": {
                "通常": {"label": "通常", "index": "0"}, "高額": {"label": "高額", "index": "1"}}},
            "借用者": {"type": "USER_SELECT", "code": "借用者", "label": "借用者"}
        }),
    );
    for (code, name) in [
        ("tanaka", "田中 花子"),
        ("suzuki", "鈴木 次郎"),
        ("sato", "佐藤 一郎"),
    ] {
        let (s, b) = app.post(
            "/api/org/users.json",
            json!({"code": code, "name": name, "password": PW, "mustChangePassword": false}),
        );
        assert_eq!(s, 200, "{b}");
    }
    let all = json!({"recordViewable": true, "recordAddable": true, "recordEditable": true, "recordDeletable": true});
    let mut manager = all.clone();
    manager["entity"] = json!({"type": "USER", "code": "tanaka"});
    manager["appEditable"] = json!(true);
    let mut everyone = all;
    everyone["entity"] = json!({"type": "GROUP", "code": "everyone"});
    everyone["appEditable"] = json!(false);
    let (s, b) = app.put(
        "/k/v1/preview/app/acl.json",
        json!({"app": id, "rights": [manager, everyone]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    id
}

fn workflow(app: i64) -> Value {
    json!({"app": app, "enable": true,
    "states": {
        "申請": {"name": "申請", "index": "0", "assignee": {"type": "ONE", "entities": []}},
        "承認待ち": {"name": "承認待ち", "index": "1", "assignee": {"type": "ONE", "entities": [
            {"entity": {"type": "USER", "code": "sato"}, "includeSubs": false}]}},
        "貸出中": {"name": "貸出中", "index": "2", "assignee": {"type": "ANY", "entities": [
            {"entity": {"type": "FIELD_ENTITY", "code": "借用者"}, "includeSubs": false}]}},
        "返却済": {"name": "返却済", "index": "3", "assignee": {"type": "ONE", "entities": []}}
    },
    "actions": [
        {"name": "申請する", "from": "申請", "to": "承認待ち", "filterCond": "区分 in (\"高額\")"},
        {"name": "申請する", "from": "申請", "to": "貸出中", "filterCond": ""},
        {"name": "承認する", "from": "承認待ち", "to": "貸出中", "filterCond": ""},
        {"name": "返却する", "from": "貸出中", "to": "返却済", "filterCond": ""}
    ]})
}

/// The preview as raw text: (status, content type, body).
fn preview(app: &TestApp, login: Option<&str>, body: &Value) -> (u16, String, String) {
    let mut rb = app
        .client
        .post(app.url("/api/app/diagram.svg?lang=ja"))
        .header("Content-Type", "application/json")
        .body(body.to_string());
    if let Some(login) = login {
        use base64::Engine;
        let pw = if login == "Administrator" {
            kumiki_tests::ADMIN_PASSWORD
        } else {
            PW
        };
        rb = rb.header(
            "X-Cybozu-Authorization",
            base64::engine::general_purpose::STANDARD.encode(format!("{login}:{pw}")),
        );
    }
    let resp = rb.send().unwrap();
    let status = resp.status().as_u16();
    let ctype = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ctype, resp.text().unwrap())
}

#[test]
fn the_preview_draws_unsaved_settings_for_managers_only() {
    let app = TestApp::spawn();
    let id = lending_app(&app);
    let body = workflow(id);

    let (s, ctype, svg) = preview(&app, Some("tanaka"), &body);
    assert_eq!(s, 200, "{svg}");
    assert!(ctype.starts_with("image/svg+xml"), "{ctype}");
    assert!(svg.starts_with("<svg") || svg.starts_with("<?xml"), "{svg}");
    for name in [
        "申請",
        "承認待ち",
        "貸出中",
        "返却済",
        "申請する",
        "承認する",
        "返却する",
    ] {
        assert!(svg.contains(name), "{name} missing in {svg}");
    }
    assert!(svg.contains("高額"), "the condition is drawn: {svg}");

    // Nothing is stored: the pre-live settings are still the empty ones.
    let (s, b) = app.get(&format!("/k/v1/preview/app/status.json?app={id}"));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["enable"], false);
    assert_eq!(b["states"], Value::Null);

    // A user who may use the app but not manage it, and a stranger, are refused in JSON.
    let (s, ctype, text) = preview(&app, Some("suzuki"), &body);
    assert_eq!(s, 403, "{text}");
    assert!(ctype.starts_with("application/json"), "{ctype}");
    let err: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(err["code"], "CB_NO02");
    let (s, _, text) = preview(&app, None, &body);
    assert_eq!(s, 401, "{text}");
    // A missing app is the usual not-found.
    let (s, _, text) = preview(&app, Some("Administrator"), &workflow(9999));
    assert_eq!(s, 404, "{text}");
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["code"],
        "GAIA_AP01"
    );
    // The non-manager cannot open the page either (the same not-found as a missing app).
    let cookie = app.sign_in_form("suzuki", PW);
    let (s, _) = app.page(&cookie, &format!("/apps/{id}/process"));
    assert_eq!(s, 404);
    let cookie = app.sign_in_form("tanaka", PW);
    let (s, html) = app.page(&cookie, &format!("/apps/{id}/process"));
    assert_eq!(s, 200);
    assert!(html.contains("data-testid=\"process-settings\""));
    assert!(html.contains("/static/process_settings.js"));
}

#[test]
fn bad_settings_get_the_errors_status_json_gives() {
    let app = TestApp::spawn();
    let id = lending_app(&app);
    let mut body = workflow(id);
    body["actions"][2]["to"] = json!("どこにもない");
    body["actions"][0]["filterCond"] = json!("区分 in (\"高額\"");
    body["states"]["承認待ち"]["assignee"]["entities"][0]["entity"]["code"] = json!("nobody");
    let (s, ctype, text) = preview(&app, Some("tanaka"), &body);
    assert_eq!(s, 400, "{text}");
    assert!(ctype.starts_with("application/json"), "{ctype}");
    let err: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(err["code"], "CB_VA01");
    for key in [
        "actions[2].to",
        "actions[0].filterCond",
        "states.承認待ち.assignee.entities[0].entity.code",
    ] {
        assert!(err["errors"].get(key).is_some(), "{key} missing in {err}");
    }
    // status.json refuses the same settings with the same keys; the diagram of a Japanese page
    // (`lang=ja`) words them from the Japanese catalog, the API in kintone's English.
    let (s, saved) = app.put("/k/v1/preview/app/status.json", body.clone());
    assert_eq!(s, 400);
    let keys = |v: &Value| {
        let mut k: Vec<String> = v["errors"].as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&saved), keys(&err));
    assert_eq!(
        saved["errors"]["actions[2].to"]["messages"][0],
        "The status (どこにもない) does not exist."
    );
    assert_eq!(
        err["errors"]["actions[2].to"]["messages"][0],
        "ステータス「どこにもない」がありません。実行前・実行後のステータスを選んでください。"
    );

    // A malformed shape and a malformed body are kintone errors too, never a 500.
    let (s, _, text) = preview(
        &app,
        Some("tanaka"),
        &json!({"app": id, "states": {"申請": {"index": "x"}}}),
    );
    assert_eq!(s, 400, "{text}");
    assert!(
        serde_json::from_str::<Value>(&text).unwrap()["errors"]["states.申請.index"]["messages"]
            .is_array()
    );
    let resp = app
        .client
        .post(app.url("/api/app/diagram.svg"))
        .header("X-Cybozu-Authorization", {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(format!("tanaka:{PW}"))
        })
        .body("{not json")
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(resp.json::<Value>().unwrap()["code"], "CB_IJ01");

    // Members left out keep their pre-live values, as with status.json.
    let (s, b) = app.put("/k/v1/preview/app/status.json", workflow(id));
    assert_eq!(s, 200, "{b}");
    let (s, _, svg) = preview(&app, Some("tanaka"), &json!({"app": id, "enable": true}));
    assert_eq!(s, 200, "{svg}");
    assert!(svg.contains("承認待ち"));
}

#[test]
fn the_directory_names_people_departments_and_groups_for_signed_in_users() {
    let app = TestApp::spawn();
    let id = lending_app(&app);
    let (s, b) = app.post(
        "/api/org/departments.json",
        json!({"code": "somu", "name": "総務課"}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.post(
        "/api/org/groups.json",
        json!({"code": "approvers", "name": "承認者"}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.post("/api/org/users/disable.json", json!({"code": "suzuki"}));
    assert_eq!(s, 200, "{b}");
    // A department user (no administrator right) reads the names the admin lists keep to themselves.
    let (s, b) = as_user(&app, "tanaka").get("/api/org/departments.json");
    assert_eq!(s, 403, "{b}");
    let (s, b) = as_user(&app, "tanaka").get("/api/directory.json");
    assert_eq!(s, 200, "{b}");
    let users = b["users"].as_array().unwrap();
    assert!(users.contains(&json!({"code": "sato", "name": "佐藤 一郎"})));
    assert!(
        !users.iter().any(|u| u["code"] == "suzuki"),
        "disabled users are left out"
    );
    assert!(b["departments"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["code"] == "somu" && d["name"] == "総務課"));
    assert!(b["groups"]
        .as_array()
        .unwrap()
        .contains(&json!({"code": "approvers", "name": "承認者"})));
    // An API token is not someone who picks people.
    let token = app.token(id, "view,manage");
    let (s, b) = app
        .with_auth(Auth::Tokens(token))
        .get("/api/directory.json");
    assert_eq!(s, 403, "{b}");
}
