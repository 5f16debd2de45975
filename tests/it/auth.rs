//! Authentication and API tokens: each failure has kintone's code, and tokens grant only their rights.

use kumiki_tests::{sample_fields, Auth, TestApp};
use serde_json::json;

#[test]
fn credentials_are_checked_with_kintone_codes() {
    let app = TestApp::spawn();
    let id = app.create_app("a", sample_fields());
    let path = format!("/k/v1/records.json?app={id}");
    let (s, b) = app.with_auth(Auth::None).get(&path);
    assert_eq!((s, b["code"].as_str()), (401, Some("CB_AU01")));
    let (s, b) = app
        .with_auth(Auth::Password("Administrator".into(), "wrong".into()))
        .get(&path);
    assert_eq!((s, b["code"].as_str()), (401, Some("CB_WA01")));
    assert!(b["message"]
        .as_str()
        .unwrap()
        .starts_with("Password authentication failed."));
    let (s, b) = app
        .with_auth(Auth::Password("nobody".into(), "whatever1".into()))
        .get(&path);
    assert_eq!((s, b["code"].as_str()), (401, Some("CB_WA01")));
    let (s, b) = app.with_auth(Auth::Tokens("not-a-token".into())).get(&path);
    assert_eq!((s, b["code"].as_str()), (400, Some("GAIA_IA02")));
}

#[test]
fn tokens_grant_their_rights_on_their_app_only() {
    let app = TestApp::spawn();
    let a = app.create_app("a", sample_fields());
    let b_app = app.create_app("b", sample_fields());
    let view = app.token(a, "view");
    let add = app.token(a, "view,add");
    let other = app.token(b_app, "view,add,edit,delete");
    let viewer = app.with_auth(Auth::Tokens(view.clone()));
    let (s, _) = viewer.get(&format!("/k/v1/records.json?app={a}"));
    assert_eq!(s, 200);
    let (s, b) = viewer.post("/k/v1/record.json", json!({"app": a, "record": {}}));
    assert_eq!((s, b["code"].as_str()), (403, Some("GAIA_NO01")));
    let (s, b) = viewer.get(&format!("/k/v1/records.json?app={b_app}"));
    assert_eq!((s, b["code"].as_str()), (403, Some("GAIA_NO01")));
    let (s, b) = app
        .with_auth(Auth::Tokens(add.clone()))
        .post("/k/v1/record.json", json!({"app": a, "record": {}}));
    assert_eq!(s, 200, "{b}");
    let rid = b["id"].as_str().unwrap();
    let (_, b) = app.get(&format!("/k/v1/record.json?app={a}&id={rid}"));
    assert_eq!(
        b["record"]["Created_by"]["value"]["code"], "Administrator",
        "token writes act as Administrator"
    );
    let (s, b) = app
        .with_auth(Auth::Tokens(format!("{view},{add}")))
        .get(&format!("/k/v1/records.json?app={a}"));
    assert_eq!((s, b["code"].as_str()), (400, Some("GAIA_DA03")));
    let (s, _) = app
        .with_auth(Auth::Tokens(format!("{view},{other}")))
        .get(&format!("/k/v1/records.json?app={b_app}"));
    assert_eq!(s, 200, "tokens of several apps combine");
    let (s, b) = viewer.get("/k/v1/apps.json");
    assert_eq!(
        (s, b["code"].as_str()),
        (403, Some("GAIA_NO01")),
        "apps.json refuses tokens"
    );
}

#[test]
fn bearer_tokens_from_the_login_endpoint() {
    let app = TestApp::spawn();
    app.user("sato", "sato-password");
    let (s, b) = app.with_auth(Auth::None).post(
        "/api/auth/token",
        json!({"login": "sato", "password": "sato-password"}),
    );
    assert_eq!(s, 200, "{b}");
    let token = b["token"].as_str().unwrap().to_owned();
    let (s, b) = app.with_auth(Auth::Bearer(token)).get("/k/v1/apps.json");
    assert_eq!(s, 200, "{b}");
    let (s, b) = app
        .with_auth(Auth::Bearer("forged.jwt.value".into()))
        .get("/k/v1/apps.json");
    assert_eq!((s, b["code"].as_str()), (401, Some("CB_AU01")));
    let (s, b) = app.with_auth(Auth::None).post(
        "/api/auth/token",
        json!({"login": "sato", "password": "nope"}),
    );
    assert_eq!((s, b["code"].as_str()), (401, Some("CB_WA01")));
}

#[test]
fn guest_space_paths_do_not_reach_ordinary_apps() {
    let app = TestApp::spawn();
    let id = app.create_app("a", sample_fields());
    let (s, b) = app.get(&format!("/k/guest/5/v1/records.json?app={id}"));
    assert_eq!((s, b["code"].as_str()), (403, Some("CB_NO02")));
}
