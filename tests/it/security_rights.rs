//! Security hardening, permissions and what they reveal (issue 12; docs/security/rights.md): field
//! permissions through a rename, `updateKey` on a hidden field, history of hidden and deleted
//! fields, the app list, API token scopes, who may create apps and a new app's permission list,
//! the field canary across channels (plan A2) and random permission lists against a reference
//! model (plan A3).

use kumiki_tests::{Auth, Client2, TestApp};
use serde_json::{json, Value};

const PW: &str = "rights-pw-1";

fn as_user<'a>(app: &'a TestApp, login: &str) -> Client2<'a> {
    app.with_auth(Auth::Password(login.into(), PW.into()))
}

fn everyone() -> Value {
    json!({"type": "GROUP", "code": "everyone"})
}

fn admin_entity() -> Value {
    json!({"type": "USER", "code": "Administrator"})
}

/// Hides `field` from everyone but Administrator (pre-live; deploy to apply).
fn hide_field(app: &TestApp, id: i64, field: &str) {
    let (s, b) = app.put(
        "/k/v1/preview/field/acl.json",
        json!({"app": id, "rights": [{"code": field, "entities": [
            {"accessibility": "WRITE", "entity": admin_entity()},
            {"accessibility": "NONE", "entity": everyone()}]}]}),
    );
    assert_eq!(s, 200, "{b}");
}

fn canary() -> String {
    format!("CANARY-{}", uuid::Uuid::new_v4())
}

// ---- finding 6: a renamed field keeps its permission -------------------------------------------

#[test]
fn a_renamed_field_keeps_its_permission_and_an_orphan_rule_fails_closed() {
    let app = TestApp::spawn();
    app.user("u", PW);
    let id = app.create_app(
        "職員台帳",
        json!({
            "氏名": {"type": "SINGLE_LINE_TEXT", "code": "氏名", "label": "氏名"},
            "secret": {"type": "SINGLE_LINE_TEXT", "code": "secret", "label": "個人番号"},
        }),
    );
    let c = canary();
    let rec = app.add_record(
        id,
        json!({"氏名": {"value": "佐藤"}, "secret": {"value": c}}),
    );
    hide_field(&app, id, "secret");
    app.deploy(id);
    let u = as_user(&app, "u");
    let (s, b) = u.get(&format!("/k/v1/record.json?app={id}&id={rec}"));
    assert_eq!(s, 200, "{b}");
    assert!(!b.to_string().contains(&c));

    // Rename the field code: the permission follows the field.
    let (s, b) = app.put(
        "/k/v1/preview/app/form/fields.json",
        json!({"app": id, "properties": {"secret": {"type": "SINGLE_LINE_TEXT", "code": "my_number", "label": "個人番号"}}}),
    );
    assert_eq!(s, 200, "{b}");
    let (_, acl) = app.get(&format!("/k/v1/preview/field/acl.json?app={id}"));
    assert_eq!(acl["rights"][0]["code"], "my_number", "{acl}");
    app.deploy(id);
    let (s, b) = u.get(&format!("/k/v1/record.json?app={id}&id={rec}"));
    assert_eq!(s, 200, "{b}");
    assert!(b["record"].get("my_number").is_none(), "{b}");
    assert!(!b.to_string().contains(&c), "renamed field leaked: {b}");
    let (s, b) = u.put(
        "/k/v1/record.json",
        json!({"app": id, "id": rec, "record": {"my_number": {"value": "overwritten"}}}),
    );
    assert!(s >= 400, "writing the renamed hidden field: {s} {b}");
    let (_, b) = app.get(&format!("/k/v1/record.json?app={id}&id={rec}"));
    assert_eq!(b["record"]["my_number"]["value"], c);

    // A definition deployed before the check could hold a rule for a code that no longer
    // exists: fields without a rule are then closed, and the next deploy refuses it.
    let db = kumiki_engine::db::Database::connect(&app.database_url, 1).unwrap();
    let mut conn = db.conn().unwrap();
    for stage in ["live", "preview"] {
        let (mut def, _) =
            kumiki_engine::apps::load_definition(&mut conn, kumiki_engine::apps::AppId(id), stage)
                .unwrap()
                .unwrap();
        def.field_acl[0].code = "secret".into();
        let mut b = conn.sql();
        b.push("UPDATE app_settings SET definition = ")
            .bind_text(&serde_json::to_string(&def).unwrap())
            .push(" WHERE app_id = ")
            .bind_int(id)
            .push(" AND stage = ")
            .bind_text(stage);
        conn.execute(&b).unwrap();
    }
    let (s, b) = u.get(&format!("/k/v1/record.json?app={id}&id={rec}"));
    assert_eq!(s, 200, "{b}");
    assert!(
        !b.to_string().contains(&c),
        "orphan rule left the field open: {b}"
    );
    assert!(
        b["record"].get("氏名").is_none(),
        "fields without a rule close: {b}"
    );
    let (s, b) = app.post(
        "/k/v1/preview/app/deploy.json",
        json!({"apps": [{"app": id}]}),
    );
    assert_eq!(s, 400, "deploy of an orphan field permission: {b}");
    assert_eq!(b["code"], "CB_VA01", "{b}");
}

// ---- finding 7: updateKey on a hidden field ------------------------------------------------------

#[test]
fn update_key_on_a_hidden_field_tells_nothing_and_changes_nothing() {
    let app = TestApp::spawn();
    app.user("u", PW);
    let id = app.create_app(
        "住民",
        json!({
            "番号": {"type": "SINGLE_LINE_TEXT", "code": "番号", "label": "番号", "unique": true},
            "メモ": {"type": "SINGLE_LINE_TEXT", "code": "メモ", "label": "メモ"},
            "公開": {"type": "SINGLE_LINE_TEXT", "code": "公開", "label": "公開", "unique": true},
        }),
    );
    let rec = app.add_record(
        id,
        json!({"番号": {"value": "1234-5678"}, "メモ": {"value": "original"}, "公開": {"value": "P1"}}),
    );
    app.add_record(
        id,
        json!({"番号": {"value": "0000-0001"}, "メモ": {"value": "locked"}, "公開": {"value": "P2"}}),
    );
    hide_field(&app, id, "番号");
    // Record P2 is viewable but not editable for everyone else.
    let (s, b) = app.put(
        "/k/v1/preview/record/acl.json",
        json!({"app": id, "rights": [{"filterCond": "公開 in (\"P2\")", "entities": [
            {"entity": admin_entity(), "viewable": true, "editable": true, "deletable": true},
            {"entity": everyone(), "viewable": true}]}]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    let u = as_user(&app, "u");
    let put = |key_field: &str, value: &str| {
        u.put(
            "/k/v1/record.json",
            json!({"app": id, "updateKey": {"field": key_field, "value": value},
                   "record": {"メモ": {"value": "changed by u"}}}),
        )
    };
    let (s_hit, hit) = put("番号", "1234-5678");
    let (s_miss, miss) = put("番号", "9999-9999");
    assert_eq!(
        (s_hit, &hit["code"]),
        (s_miss, &miss["code"]),
        "{hit} / {miss}"
    );
    assert_eq!(hit["code"], "GAIA_RE20", "{hit}");
    // Found by a visible key, but not editable: the same answer.
    let (s, b) = put("公開", "P2");
    assert_eq!((s, &b["code"]), (s_miss, &miss["code"]), "{b}");
    let (_, b) = app.get(&format!("/k/v1/record.json?app={id}&id={rec}"));
    assert_eq!(
        b["record"]["メモ"]["value"], "original",
        "the record changed"
    );
    // Upsert on the hidden key: the same refusal whether or not the value exists.
    let upsert = |value: &str| {
        u.put(
            "/k/v1/records.json",
            json!({"app": id, "upsert": true, "records": [{"updateKey": {"field": "番号", "value": value},
                   "record": {"メモ": {"value": "upserted"}}}]}),
        )
    };
    let (s1, b1) = upsert("1234-5678");
    let (s2, b2) = upsert("5555-5555");
    assert_eq!((s1, &b1["code"]), (s2, &b2["code"]), "{b1} / {b2}");
    assert!(s1 >= 400, "{b1}");
    // The key the caller may view still works.
    let (s, b) = put("公開", "P1");
    assert_eq!(s, 200, "{b}");
}

// ---- finding 8: history of hidden and deleted fields ---------------------------------------------

#[test]
fn history_shows_no_hidden_or_deleted_field() {
    let app = TestApp::spawn();
    app.user("u", PW);
    let id = app.create_app(
        "相談記録",
        json!({
            "件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"},
            "内容": {"type": "SINGLE_LINE_TEXT", "code": "内容", "label": "内容"},
        }),
    );
    let c = canary();
    let rec = app.add_record(id, json!({"件名": {"value": "a"}, "内容": {"value": "x"}}));
    let (s, b) = app.put(
        "/k/v1/record.json",
        json!({"app": id, "id": rec, "record": {"件名": {"value": "b"}, "内容": {"value": c}}}),
    );
    assert_eq!(s, 200, "{b}");
    hide_field(&app, id, "内容");
    app.deploy(id);
    let u = as_user(&app, "u");
    let history = |c: &Client2| {
        let (s, b) = c.get(&format!("/api/record/history.json?app={id}&id={rec}"));
        assert_eq!(s, 200, "{b}");
        b
    };
    let b = history(&u);
    assert!(!b.to_string().contains(&c), "{b}");
    assert!(b.to_string().contains("件名"), "visible changes stay: {b}");
    // Delete the hidden field: its old values must not surface for anyone.
    let (s, b) = app.delete(
        "/k/v1/preview/app/form/fields.json",
        json!({"app": id, "fields": ["内容"]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    let b = history(&u);
    assert!(!b.to_string().contains(&c), "deleted field leaked: {b}");
    let admin = app.with_auth(app.auth.clone());
    let b = history(&admin);
    assert!(!b.to_string().contains(&c), "deleted field shown: {b}");
    // A new field that takes the old code does not inherit the old values.
    let (s, b) = app.post(
        "/k/v1/preview/app/form/fields.json",
        json!({"app": id, "properties": {"内容": {"type": "SINGLE_LINE_TEXT", "code": "内容", "label": "内容"}}}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(id);
    let b = history(&u);
    assert!(
        !b.to_string().contains(&c),
        "new field inherited old values: {b}"
    );
}

// ---- finding 9: the app list ---------------------------------------------------------------------

#[test]
fn apps_list_and_app_json_show_only_apps_the_caller_may_open() {
    let app = TestApp::spawn();
    app.user("u", PW);
    let open = app.create_app("共有アプリ", json!({}));
    let closed = app.create_app("人事評価（非公開）", json!({}));
    let (s, b) = app.put(
        "/k/v1/preview/app/acl.json",
        json!({"app": closed, "rights": [{"entity": admin_entity(), "appEditable": true,
            "recordViewable": true, "recordAddable": true, "recordEditable": true, "recordDeletable": true}]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(closed);
    let u = as_user(&app, "u");
    let (s, b) = u.get("/k/v1/apps.json");
    assert_eq!(s, 200, "{b}");
    let ids: Vec<&str> = b["apps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["appId"].as_str())
        .collect();
    assert!(ids.contains(&open.to_string().as_str()), "{b}");
    assert!(!b.to_string().contains("人事評価"), "{b}");
    let (s, b) = u.get(&format!("/k/v1/app.json?id={closed}"));
    let (s_missing, missing) = u.get("/k/v1/app.json?id=99999");
    assert_eq!((s, &b["code"]), (s_missing, &missing["code"]), "{b}");
    assert!(!b.to_string().contains("人事評価"), "{b}");
}

// ---- finding 14: API token scopes ----------------------------------------------------------------

fn upload_with_token(app: &TestApp, token: &str) -> (u16, Value) {
    let part = reqwest::blocking::multipart::Part::bytes(b"hello".to_vec())
        .file_name("a.txt")
        .mime_str("text/plain")
        .unwrap();
    let form = reqwest::blocking::multipart::Form::new().part("file", part);
    let resp = app
        .client
        .post(app.url("/k/v1/file.json"))
        .header("X-Cybozu-API-Token", token)
        .multipart(form)
        .send()
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().unwrap_or(Value::Null))
}

#[test]
fn api_tokens_act_within_their_scope_and_not_as_administrator() {
    let app = TestApp::spawn();
    let id = app.create_app(
        "問合せ",
        json!({"件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"}}),
    );
    let other = app.create_app("別アプリ", json!({}));
    let rec = app.add_record(id, json!({"件名": {"value": "a"}}));
    let (s, b) = app.post(
        "/k/v1/record/comment.json",
        json!({"app": id, "record": rec, "comment": {"text": "管理者のコメント"}}),
    );
    assert_eq!(s, 200, "{b}");
    let admin_comment = b["id"].as_str().unwrap().to_owned();

    let view = app.token(id, "view");
    let v = app.with_auth(Auth::Tokens(view.clone()));
    let (s, b) = v.post(
        "/k/v1/record/comment.json",
        json!({"app": id, "record": rec, "comment": {"text": "view token"}}),
    );
    assert_eq!((s, b["code"].as_str()), (403, Some("GAIA_NO01")), "{b}");
    let (s, b) = upload_with_token(&app, &view);
    assert_eq!((s, b["code"].as_str()), (403, Some("GAIA_NO01")), "{b}");

    let full = app.token(id, "view,add,edit,delete");
    let f = app.with_auth(Auth::Tokens(full.clone()));
    let (s, b) = f.delete(
        "/k/v1/record/comment.json",
        json!({"app": id, "record": rec, "comment": admin_comment}),
    );
    assert_eq!((s, b["code"].as_str()), (403, Some("GAIA_NO01")), "{b}");
    let (_, b) = app.get(&format!("/k/v1/record/comments.json?app={id}&record={rec}"));
    assert_eq!(b["comments"].as_array().map(Vec::len), Some(1), "{b}");
    // A writing token may comment and upload.
    let (s, b) = f.post(
        "/k/v1/record/comment.json",
        json!({"app": id, "record": rec, "comment": {"text": "token comment"}}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = upload_with_token(&app, &full);
    assert_eq!(s, 200, "{b}");

    // The same answer for an app that does not exist and one the token does not cover.
    let (s1, b1) = f.get(&format!("/k/v1/app.json?id={other}"));
    let (s2, b2) = f.get("/k/v1/app.json?id=99999");
    assert_eq!((s1, &b1["code"]), (s2, &b2["code"]), "{b1} / {b2}");
    let (s1, b1) = f.get(&format!("/k/v1/records.json?app={other}"));
    let (s2, b2) = f.get("/k/v1/records.json?app=99999");
    assert_eq!((s1, &b1["code"]), (s2, &b2["code"]), "{b1} / {b2}");
    assert_eq!(b1["code"], "GAIA_NO01");

    // Audit rows name the token, not Administrator.
    let (s, b) = f.delete("/k/v1/records.json", json!({"app": id, "ids": [rec]}));
    assert_eq!(s, 200, "{b}");
    let (_, b) = app.get("/api/audit.json?action=records.delete");
    let actor = b["entries"][0]["actor"].as_str().unwrap_or_default();
    assert_eq!(actor, format!("token:app{id}"), "{b}");
}

// ---- reviewer: who may create apps; a new app's permission list --------------------------------

#[test]
fn app_creation_is_a_setting_and_a_new_app_is_its_creators_to_manage() {
    let app = TestApp::spawn();
    for u in ["maker", "colleague"] {
        app.user(u, PW);
    }
    let maker = as_user(&app, "maker");
    let colleague = as_user(&app, "colleague");
    // Default: administrators only.
    let (s, b) = app.get("/api/admin/app-creation.json");
    assert_eq!((s, &b["mode"]), (200, &json!("administrators")), "{b}");
    let (s, b) = maker.post("/k/v1/preview/app.json", json!({"name": "私のアプリ"}));
    assert_eq!((s, b["code"].as_str()), (403, Some("CB_NO02")), "{b}");
    // Only administrators change the setting.
    let (s, b) = maker.put("/api/admin/app-creation.json", json!({"mode": "everyone"}));
    assert_eq!(s, 403, "{b}");
    let (s, b) = app.put(
        "/api/admin/app-creation.json",
        json!({"mode": "listed", "users": ["maker"]}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.put(
        "/api/admin/app-creation.json",
        json!({"mode": "listed", "users": ["nobody"]}),
    );
    assert_eq!((s, b["code"].as_str()), (400, Some("CB_VA01")), "{b}");
    let (s, b) = colleague.post("/k/v1/preview/app.json", json!({"name": "x"}));
    assert_eq!(s, 403, "{b}");
    let (s, b) = maker.post("/k/v1/preview/app.json", json!({"name": "私のアプリ"}));
    assert_eq!(s, 200, "{b}");
    let new_app: i64 = b["app"].as_str().unwrap().parse().unwrap();
    let (_, b) = app.get("/api/audit.json?action=app.creation.update");
    assert_eq!(b["entries"].as_array().map(Vec::len), Some(1), "{b}");

    // Before the first deploy, a colleague cannot reach the app at all.
    let (s, b) = colleague.put(
        "/api/app/scripts.json",
        json!({"app": new_app, "scripts": []}),
    );
    assert!(s >= 400, "{b}");
    let (s, b) = maker.post(
        "/k/v1/preview/app/form/fields.json",
        json!({"app": new_app, "properties": {"件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"}}}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = maker.post(
        "/k/v1/preview/app/deploy.json",
        json!({"apps": [{"app": new_app}]}),
    );
    assert_eq!(s, 200, "{b}");
    // Deployed with the default list: the colleague works with records, never the settings.
    let (_, acl) = maker.get(&format!("/k/v1/app/acl.json?app={new_app}"));
    assert_eq!(acl["rights"][0]["entity"]["type"], "CREATOR", "{acl}");
    assert_eq!(acl["rights"][1]["appEditable"], false, "{acl}");
    let (s, b) = colleague.post(
        "/k/v1/record.json",
        json!({"app": new_app, "record": {"件名": {"value": "同僚の記録"}}}),
    );
    assert_eq!(s, 200, "{b}");
    for (method, path, body) in [
        (
            "PUT",
            "/api/app/scripts.json",
            json!({"app": new_app, "scripts": []}),
        ),
        (
            "PUT",
            "/k/v1/preview/app/acl.json",
            json!({"app": new_app, "rights": []}),
        ),
        (
            "POST",
            "/k/v1/preview/app/deploy.json",
            json!({"apps": [{"app": new_app}]}),
        ),
    ] {
        let (s, b) = if method == "PUT" {
            colleague.put(path, body)
        } else {
            colleague.post(path, body)
        };
        assert_eq!(s, 403, "{method} {path}: {b}");
    }
    // Package import obeys the same setting.
    let (s, b) = app.put(
        "/api/admin/app-creation.json",
        json!({"mode": "administrators"}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = maker.post("/k/v1/preview/app.json", json!({"name": "y"}));
    assert_eq!(s, 403, "{b}");
    let (s, b) = app.put("/api/admin/app-creation.json", json!({"mode": "everyone"}));
    assert_eq!(s, 200, "{b}");
    let (s, b) = colleague.post("/k/v1/preview/app.json", json!({"name": "z"}));
    assert_eq!(s, 200, "{b}");

    // The admin page shows the setting, in Japanese first.
    let session = app.sign_in_form("Administrator", kumiki_tests::ADMIN_PASSWORD);
    let (s, html) = app.page(&session, "/admin/app-creation");
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("アプリの作成を許可するユーザー"), "{html}");
    assert!(html.contains("value=\"everyone\" selected"), "{html}");
    let maker_session = app.sign_in_form("maker", PW);
    let (s, _) = app.page(&maker_session, "/admin/app-creation");
    assert_eq!(s, 404);
}

#[path = "security_rights_model.rs"]
mod model;
